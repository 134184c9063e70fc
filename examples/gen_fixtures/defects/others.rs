//! The defects of the seven counties other than 永靖县, spread so that together with 永靖县's
//! they reach every built-in rule that a single edit can make fire. Unit indices refer to the
//! county's list in [`crate::counties`]; they are also the units' fids.

use super::*;
use crate::build::Frame;
use crate::counties::{cell, collective, state, Collective, UnitSpec, COUNTIES};
use crate::model::{text, Value, RED_LINE, RED_LINE_RULE};
use crate::shape::{ring_centre, star_ring};

pub fn defects(code: &str) -> Vec<Defect> {
    match code {
        "622901" => linxia_city(),
        "622921" => linxia_county(),
        "622922" => kangle(),
        "622924" => guanghe(),
        "622925" => hezheng(),
        "622926" => dongxiang(),
        "622927" => jishishan(),
        other => panic!("no defects for {other}"),
    }
}

/// The GGGZ rows of unit `unit`.
fn links_of(package: &Package, unit: usize) -> Vec<usize> {
    package.links.find("ZRZYDJDYH", &unit_code(package, unit))
}

/// Moves `cents` of a unit's area from one field to another: each field faces the sum of its
/// parcels, so both rules fire; their totals still add up.
fn misallocate(
    unit: usize,
    from: (&'static str, &'static str),
    to: (&'static str, &'static str),
    cents: i64,
) -> Defect {
    Box::new(move |p: &mut Package| {
        p.units.shift(unit, from.1, -cents);
        p.units.shift(unit, to.1, cents);
        let note = format!(
            "{} {:.2} m² booked as {} instead",
            from.1,
            cents as f64 / 100.0,
            to.1
        );
        vec![
            unit_finding(
                from.0,
                unit,
                format!("{note}: {} short of its parcels", from.1),
            ),
            unit_finding(to.0, unit, format!("{note}: {} beyond its parcels", to.1)),
        ]
    })
}

/// A text field of one feature set to `value` (None: null), with the one finding it causes.
fn set_field(
    layer: &'static str,
    fid: usize,
    field: &'static str,
    value: Option<&'static str>,
    rule: &'static str,
    note: &'static str,
) -> Defect {
    Box::new(move |p: &mut Package| {
        p.layer_mut(layer)
            .set(fid, field, value.map_or(Value::Null, text));
        vec![finding(rule, layer, vec![fid], note)]
    })
}

/// An area field of one feature raised by `cents`, which only the area rule sees.
fn raise_area(
    layer: &'static str,
    fid: usize,
    field: &'static str,
    cents: i64,
    rule: &'static str,
) -> Defect {
    Box::new(move |p: &mut Package| {
        p.layer_mut(layer).shift(fid, field, cents);
        let note = format!(
            "{field} +{:.2} against the ellipsoidal area",
            cents as f64 / 100.0
        );
        vec![finding(rule, layer, vec![fid], note)]
    })
}

/// A feature's ring made a bowtie: its validity rule fires; the area and topology rules skip
/// it and say so in their notes, and `stops` names the rules left with nothing to measure.
fn bowtie_feature(
    layer: &'static str,
    fid: usize,
    rule: &'static str,
    stops: Vec<Finding>,
) -> Defect {
    Box::new(move |p: &mut Package| {
        let row = &mut p.layer_mut(layer).rows[fid];
        row.ring = bowtie(&row.ring);
        let invalid = finding(
            rule,
            layer,
            vec![fid],
            "ring self-intersects (two vertices swapped)",
        );
        std::iter::once(invalid).chain(stops.clone()).collect()
    })
}

/// The rules that measure the only feature of `layer`, which a defect made unmeasurable.
fn unmeasured(layer: &'static str, rules: &[&'static str], cause: &str) -> Vec<Finding> {
    let note = format!("the only {layer} feature cannot be measured ({cause})");
    rules
        .iter()
        .map(|&rule| not_run(rule, layer, unmeasurable(layer), note.clone()))
        .collect()
}

/// A field left out of a layer's file: the layer's schema rule fires, and the rules reading the
/// field (`gated`) cannot run.
fn drop_field(
    layer: &'static str,
    field: &'static str,
    rule: &'static str,
    gated: &'static [&'static str],
) -> Defect {
    Box::new(move |p: &mut Package| {
        p.layer_mut(layer).drop_column(field);
        let mut findings = vec![finding(
            rule,
            layer,
            vec![],
            format!("{layer} delivered without {field}"),
        )];
        for &stopped in gated {
            let note = format!("reads {layer}.{field} ({rule})");
            findings.push(not_run(stopped, layer, missing_field(layer, field), note));
        }
        findings
    })
}

/// The producer summarises TJ_ZRZYMJ from the parcels as the defects left them, so ZR-T002
/// agrees with it.
fn resummarise() -> Defect {
    Box::new(|p: &mut Package| {
        summarise_parcels(p);
        Vec::new()
    })
}

/// The layer's file declares `epsg` in its header while its coordinates stay in the package's
/// CRS: only the layer's CRS rule sees it, once per reason `reasons` names.
fn wrong_header(
    layer: &'static str,
    epsg: u32,
    rule: &'static str,
    reasons: &'static [&'static str],
) -> Defect {
    Box::new(move |p: &mut Package| {
        p.layer_mut(layer).epsg = epsg;
        reasons
            .iter()
            .map(|reason| {
                let note =
                    format!("{layer} file declares EPSG:{epsg}, coordinates unchanged ({reason})");
                finding(rule, layer, vec![], note)
            })
            .collect()
    })
}

/// A feature delivered twice: the copy is appended, so no fid moves.
fn deliver_twice(layer: &mut crate::model::Layer, fid: usize) -> usize {
    let row = layer.rows[fid].clone();
    layer.rows.push(row);
    layer.rows.len() - 1
}

// ---------------------------------------------------------------------------------------------
// 622901 临夏市: 0 大夏河 (21), 1 北塬森林 (40), 2 南龙山草原 (50), 3 折桥荒地 (60).

/// The village whose forest 北塬森林 (unit 1) takes in, in the defective 临夏市.
const WANGPING: Collective = Collective {
    code: "6229011010030000000",
    name: "枹罕镇王坪村农民集体",
};

fn linxia_city() -> Vec<Defect> {
    vec![
        Box::new(|p: &mut Package| {
            // 北塬森林 drawn across the ownership boundary: its shrub parcel is the village's.
            // The unit books it consistently (JTMJ, SYQZT), so only the delimitation is wrong.
            let fid = parcels_of(p, 1, "DLBM", "0305")[0];
            p.parcels.set(fid, "QSXZ", text("30"));
            p.parcels.set(fid, "QSDWDM", text(WANGPING.code));
            p.parcels.set(fid, "QSDWMC", text(WANGPING.name));
            let cents = p.parcels.area_at(fid, "MJ");
            p.units.shift(1, "GYMJ", -cents);
            p.units.shift(1, "JTMJ", cents);
            let syqzt = format!("{}、{}", p.units.text_at(1, "SYQZT"), WANGPING.name);
            p.units.set(1, "SYQZT", Value::Text(syqzt));
            vec![unit_finding(
                "ZR-O010",
                1,
                "北塬森林 (40) holds state parcels and the village's collective shrub parcel",
            )]
        }),
        set_field("XZQ", 0, "XZQMC", Some(""), "ZR-N003", "XZQMC blank"),
        raise_area("XZQ", 0, "DCMJ", 100, "ZR-M006"),
        Box::new(|p: &mut Package| {
            p.xzq.set(0, "XZQDM", text("622999"));
            let mut findings = vec![finding(
                "ZR-D007",
                "XZQ",
                vec![0],
                "XZQDM 622999 is no Gansu code",
            )];
            for unit in 0..p.units.rows.len() {
                let note =
                    "unit prefix 622901 against the XZQDM 622999 of the XZQ it lies in (ZR-D007)";
                findings.push(unit_finding("ZR-U006", unit, note));
            }
            findings
        }),
        Box::new(|p: &mut Package| {
            p.units.shift(0, "FZRZYZMJ", 200);
            vec![
                unit_finding(
                    "ZR-M002",
                    0,
                    "大夏河 FZRZYZMJ +2.00: DJDYZMJ ≠ DYNZRZYZMJ + FZRZYZMJ",
                ),
                unit_finding(
                    "ZR-M017",
                    0,
                    "大夏河 FZRZYZMJ +2.00 (ZR-M002) against its FZR parcels",
                ),
            ]
        }),
        Box::new(|p: &mut Package| {
            let fid = parcels_of(p, 1, "DLBM", "0307")[0];
            p.parcels.set(fid, "DLBM", text("0401"));
            vec![parcel_finding(
                "ZR-D008",
                fid,
                "北塬森林 SL parcel with DLBM 0401 (天然牧草地, CY)",
            )]
        }),
        set_field(
            "ZRZYDJDY",
            2,
            "SYQZT",
            Some("南龙镇张家村农民集体"),
            "ZR-O007",
            "南龙山草原 has state parcels but SYQZT names only the collective",
        ),
        Box::new(|p: &mut Package| {
            let row = links_of(p, 0)[0];
            p.links.shift(row, "MJ", 1_000);
            vec![finding(
                "ZR-R001",
                "GGGZ",
                vec![row],
                "大夏河's red-line row MJ +10.00 against the overlap",
            )]
        }),
        drop_field("ZRZYDJDY", "ZL", "ZR-S101", &["ZR-N001"]),
        Box::new(|p: &mut Package| {
            // The copy lies on the original: ZR-R001 pairs each unit with it under the same
            // HXBM and one GGGZ row, and no rule checks zones against each other.
            let copy = deliver_twice(&mut p.zones, 0);
            vec![finding(
                "ZR-U009",
                "STBHHX",
                vec![0, copy],
                "the red-line zone delivered twice",
            )]
        }),
    ]
}

// ---------------------------------------------------------------------------------------------
// 622921 临夏县: 0 大夏河 (21), 1 北塬林场 (40), 2 麻尼寺沟草原 (50), 3 红台荒地 (60), 4 槐山湿地
// (30), 5 北塬石膏矿 (70); deposit KC001 with a mining right.

const HUAISHAN: Collective = Collective {
    code: "6229212120030000000",
    name: "桥寺乡槐山村农民集体",
};

/// A wetland unit drawn from the wetland survey over the bank of 大夏河 (unit 0).
const RIVERBANK_WETLAND: UnitSpec = cell(
    "大夏河滩涂湿地",
    "30",
    2,
    "临夏县土桥镇",
    "临夏县自然资源局",
    (1, 1),
    &[state("SD", "1106"), collective("SD", "1108", &HUAISHAN)],
);

fn linxia_county() -> Vec<Defect> {
    vec![
        set_field(
            "ZRZYDJDY",
            1,
            "SYQZT",
            None,
            "ZR-O009",
            "SYQZT null: the unit registers no owner",
        ),
        Box::new(|p: &mut Package| overlapping_unit(p, &RIVERBANK_WETLAND, 0, "ZR-T108", 103)),
        Box::new(|p: &mut Package| {
            p.right_links.rows.remove(0);
            vec![finding(
                "ZR-K002",
                "KCZY",
                vec![0],
                "KC001's licence lost its KYQ row",
            )]
        }),
        set_field(
            "CKQ",
            0,
            "FZJGJB",
            Some("乡级"),
            "ZR-D010",
            "FZJGJB 乡级 not an issuing level (市级 is 州级's other name)",
        ),
        raise_area("KCZY", 0, "CLGSFWMJ", 100, "ZR-M008"),
        set_field(
            "ZRZYDJDY",
            3,
            "DBXSZT",
            Some("甘肃省人民政府"),
            "ZR-O006",
            "红台荒地 DBXSZT names the province, not 自然资源部",
        ),
        drop_field("KYQ", "QLLX", "ZR-S109", &["ZR-D009", "ZR-N008"]),
        wrong_header("XZQ", 4523, "ZR-P001", &["declared_mismatch"]),
        Box::new(|p: &mut Package| {
            let row = links_of(p, 0)[0];
            // Hundredths of m² to hundredths of 公顷.
            let mj = crate::write::decimal(p.links.area_at(row, "MJ") / 10_000, 2);
            p.links.set(row, "MJ", Value::Text(format!("约{mj}公顷")));
            vec![
                finding(
                    "ZR-S105",
                    "GGGZ",
                    vec![row],
                    "大夏河's red-line row MJ written as text with its unit, in 公顷",
                ),
                // ZR-R001 leaves a row without an area to ZR-N005.
                finding(
                    "ZR-N005",
                    "GGGZ",
                    vec![row],
                    "MJ unreadable as a number (ZR-S105), so null",
                ),
            ]
        }),
        resummarise(),
    ]
}

/// A new unit of `spec`, placed over unit `target` by 20–40 % of its own area, inside the
/// county and clear of other units, red line and farmland, with its own parcels. `rule` sees
/// the unit overlap, ZR-T105 every pair of overlapping parcels.
fn overlapping_unit(
    package: &mut Package,
    spec: &'static UnitSpec,
    target: usize,
    rule: &'static str,
    salt: u64,
) -> Vec<Finding> {
    let county = COUNTIES
        .iter()
        .find(|c| c.code == package.county.code)
        .expect("a Linxia county");
    let frame = Frame::new(county, &package_crs(package));
    let (dx, dy) = frame.cell_size();
    let mut rng = topology_rng(package, salt);
    let shape = star_ring(&mut rng, (0.0, 0.0), 0.2 * dx, 0.2 * dy, 8, 0.7);
    let from = ring_centre(&package.units.rows[target].ring);
    let angles: Vec<f64> = (0..24).map(|i| 15.0 * i as f64).collect();
    let centres = rays(from, &angles, 0.02 * dx, 1.5 * dx);
    let ring = place(
        package,
        &shape,
        centres.into_iter(),
        target,
        |shared, out, own| (0.2..=0.4).contains(&(shared / own)) && out == 0.0,
    );
    let new = package.units.rows.len();
    let parcels = append_unit(package, spec, &ring, &mut rng);
    let shared = unit_overlap(package, target, new);
    let name = spec.name;
    // `no_overlap` reports a pair on its lower fid: the target, as the new unit comes last.
    let mut findings = vec![unit_finding(
        rule,
        target,
        format!(
            "the new unit {name} ({}, fid {new}, DJDYLX {}), the related feature, overlaps unit \
             {target} by about {shared:.1} m²",
            unit_code(package, new),
            spec.djdylx
        ),
    )];
    findings.extend(parcel_overlaps(
        package,
        &parcels,
        name,
        &format!("{rule}: {name} overlaps unit {target}"),
    ));
    findings
}

// ---------------------------------------------------------------------------------------------
// 622922 康乐县: 0 莲花山 (13), 1 洮河 (21), 2 胭脂河 (21), 3 草滩草原 (50), 4 八松森林 (40),
// 5 草滩铜矿 (70), 6 景古荒地 (60); deposit KC001 with an exploration licence.

fn kangle() -> Vec<Defect> {
    vec![
        Box::new(|p: &mut Package| {
            // Two farmland rows for unit 0: one naming a real farmland parcel the unit does not
            // touch (farmland lies clear of every unit), one naming a parcel YJJBNT lacks.
            let unit = unit_code(p, 0);
            let parcel = p.farmland.text_at(0, "YJJBNTTBBH").to_owned();
            let mut rows = Vec::new();
            for (id, mj) in [
                (parcel, 523_018),
                (format!("{}YJ9999", p.county.code), 1_000),
            ] {
                let row = deliver_twice(&mut p.links, 0);
                p.links.set(row, "ZRZYDJDYH", Value::Text(unit.clone()));
                p.links.set(row, "GGGZYSLX", text("永久基本农田"));
                p.links.set(row, "GGGZFQBSM", Value::Text(id));
                p.links.set(row, "MJ", Value::Area(mj));
                p.links.set(row, "GGGZNR", text("永久基本农田特殊保护"));
                rows.push(row);
            }
            vec![
                finding(
                    "ZR-R003",
                    "GGGZ",
                    vec![rows[0]],
                    "a farmland row for a unit clear of that farmland parcel",
                ),
                finding(
                    "ZR-F007",
                    "GGGZ",
                    vec![rows[1]],
                    "a farmland row naming a parcel YJJBNT lacks",
                ),
            ]
        }),
        set_field(
            "ZRZYDJDY",
            0,
            "DJDYMC",
            Some("洮河特有鱼类国家级水产种质资源保护区"),
            "ZR-D012",
            "莲花山 (13) renamed as an aquatic germplasm reserve, which is no protected-area unit",
        ),
        set_field(
            "XZQ",
            0,
            "XZQDM",
            Some("62292200"),
            "ZR-D011",
            "XZQDM of 8 digits, neither a county's 6 nor a township's 9",
        ),
        set_field(
            "KCZY",
            0,
            "ZSH",
            Some("甘(2021)康乐县不动产权第0000123号"),
            "ZR-K001",
            "a deposit with a certificate number",
        ),
        set_field(
            "KYQ",
            0,
            "QLLX",
            Some("勘查许可"),
            "ZR-D009",
            "QLLX 勘查许可 is neither 探矿权 nor 采矿权",
        ),
        Box::new(|p: &mut Package| {
            let old = unit_code(p, 4);
            let new = old.replacen("622922", "622921", 1);
            for layer in ["ZRZYDJDY", "ZRZK", "GGGZ"] {
                let layer = p.layer_mut(layer);
                for fid in layer.find("ZRZYDJDYH", &old) {
                    layer.set(fid, "ZRZYDJDYH", text(&new));
                }
            }
            vec![unit_finding(
                "ZR-U006",
                4,
                "八松森林 coded with 临夏县's prefix 622921; its parcels follow",
            )]
        }),
        Box::new(|p: &mut Package| {
            let fid = parcels_of(p, 3, "QSXZ", "30")[0];
            p.parcels.set(fid, "QSXZ", text("39"));
            vec![
                parcel_finding("ZR-D004", fid, "草滩草原 collective parcel with QSXZ 39"),
                unit_finding(
                    "ZR-M019",
                    3,
                    "草滩草原 JTMJ against no collective parcels (ZR-D004)",
                ),
            ]
        }),
        bowtie_feature("ZRZYDJDY", 6, "ZR-G001", vec![]),
        drop_field("XZQ", "XZQMC", "ZR-S103", &["ZR-N003"]),
        misallocate(3, ("ZR-M014", "CYMJ"), ("ZR-M015", "HDMJ"), 5_000),
        Box::new(|p: &mut Package| {
            // U003 and N002 read BSM as well, and find every number unique and present.
            p.parcels.retype("BSM", crate::model::Kind::Number);
            vec![finding(
                "ZR-S102",
                "ZRZK",
                vec![],
                "BSM written as a number field",
            )]
        }),
        resummarise(),
    ]
}

// ---------------------------------------------------------------------------------------------
// 622924 广河县: 0 广通河 (21), 1 洮河 (21), 2 林场森林 (40), 3 齐家坪草原 (50), 4 阿力麻土荒地
// (60), 5 砖瓦用黄土矿 (70); deposit KC001 with a mining right.

/// A forest unit drawn from the forest survey into the grassland unit 3: units of two types
/// overlap, which the former same-type rule never compared.
const QIJIAPING_FOREST: UnitSpec = cell(
    "齐家坪林场森林",
    "40",
    2,
    "广河县齐家镇",
    "广河县自然资源局",
    (1, 1),
    &[state("SL", "0301"), state("SL", "0305")],
);

fn guanghe() -> Vec<Defect> {
    vec![
        Box::new(|p: &mut Package| {
            // The forest's map left out, the grassland's register book named without the `_`
            // between code and material: no document of the unit, and a file of no unit.
            let (forest, grassland) = (unit_code(p, 2), unit_code(p, 3));
            let documents = p.documents.as_mut().expect("广河县 delivers docs/");
            documents.retain(|d| *d != format!("{forest}_附图.jpg"));
            for d in documents.iter_mut() {
                if *d == format!("{grassland}_登记簿.pdf") {
                    *d = format!("{grassland}登记簿.pdf");
                }
            }
            vec![
                unit_finding("ZR-S006", 2, "广河县林场森林's map left out of docs/"),
                unit_finding(
                    "ZR-S006",
                    3,
                    "齐家坪草原's register book misnamed <code>登记簿.pdf",
                ),
            ]
        }),
        Box::new(|p: &mut Package| overlapping_unit(p, &QIJIAPING_FOREST, 3, "ZR-T108", 108)),
        Box::new(|p: &mut Package| {
            // A second polygon of the same licence, drawn over the middle of the red line.
            let centre = ring_centre(&p.zones.rows[0].ring);
            let mut rng = topology_rng(p, 124);
            let ring = star_ring(&mut rng, centre, 300.0, 250.0, 8, 0.7);
            let mut row = p.rights.rows[0].clone();
            row.ring = ring;
            p.rights.rows.push(row);
            vec![
                finding(
                    "ZR-U008",
                    "CKQ",
                    vec![0, 1],
                    "a second CKQ polygon under the same licence",
                ),
                finding(
                    "ZR-R002",
                    "CKQ",
                    vec![1],
                    "the second polygon lies inside red-line zone 0",
                ),
            ]
        }),
        set_field("CKQ", 0, "KSMC", Some(""), "ZR-N007", "KSMC blank"),
        Box::new(|p: &mut Package| {
            let row = p.deposits.rows[0].clone();
            p.deposits.rows.push(row);
            vec![finding(
                "ZR-U007",
                "KCZY",
                vec![0, 1],
                "the deposit delivered twice",
            )]
        }),
        misallocate(1, ("ZR-M011", "SZYMJ"), ("ZR-M012", "SDMJ"), 3_000),
        bowtie_feature("YJJBNT", 0, "ZR-G006", vec![]),
        Box::new(|p: &mut Package| {
            p.farmland.set(1, "MJ", Value::Null);
            vec![finding("ZR-N009", "YJJBNT", vec![1], "MJ null")]
        }),
        Box::new(|p: &mut Package| {
            let row = p.links.rows[0].clone();
            p.links.rows.push(row);
            let copy = p.links.rows.len() - 1;
            vec![finding(
                "ZR-U004",
                "GGGZ",
                vec![0, copy],
                "a GGGZ row delivered twice",
            )]
        }),
        wrong_header(
            "ZRZYDJDY",
            4326,
            "ZR-P002",
            &["not_cgcs2000", "declared_mismatch"],
        ),
        // TJ_ZRZYMJ counts the new forest unit's parcels, as a producer's summary would.
        resummarise(),
    ]
}

// ---------------------------------------------------------------------------------------------
// 622925 和政县: 0 太子山 (12, 622900), 1 松鸣岩 (13), 2 大南岔河 (21), 3 北山草原 (50),
// 4 新庄荒地 (60); deposit KC001 inside 太子山.

/// A forest park whose boundary crosses 太子山's: two protected-area units overlap, where the
/// larger boundary should have made one unit.
const TAIZISHAN_PARK: UnitSpec = cell(
    "太子山森林公园",
    "13",
    2,
    "和政县罗家集乡",
    "临夏州自然资源局",
    (1, 1),
    &[state("SL", "0301"), state("CY", "0401")],
);

fn hezheng() -> Vec<Defect> {
    vec![
        Box::new(|p: &mut Package| overlapping_unit(p, &TAIZISHAN_PARK, 0, "ZR-T101", 101)),
        Box::new(|p: &mut Package| {
            let other = unit_code(p, 1);
            p.deposits.set(0, "ZRZYDJDYH", Value::Text(other));
            vec![finding(
                "ZR-K003",
                "KCZY",
                vec![0],
                "the deposit inside 太子山 names 松鸣岩's code",
            )]
        }),
        set_field("STBHHX", 0, "HXMC", Some(""), "ZR-N004", "HXMC blank"),
        raise_area("STBHHX", 0, "MJ", 100, "ZR-M007"),
        set_field(
            "ZRZYDJDY",
            3,
            "QLXSFS",
            None,
            "ZR-O002",
            "北山草原 has state area but no QLXSFS",
        ),
        Box::new(|p: &mut Package| {
            p.units.set(4, "DJDYLX", text("50"));
            vec![unit_finding(
                "ZR-U005",
                4,
                "新庄荒地 DJDYLX 50 against type segment 60 of its code",
            )]
        }),
        Box::new(|p: &mut Package| {
            let row = links_of(p, 0)[0];
            p.links.set(row, "MJ", Value::Null);
            // ZR-R001 leaves a row without an area to ZR-N005.
            vec![finding(
                "ZR-N005",
                "GGGZ",
                vec![row],
                "太子山's red-line row MJ null",
            )]
        }),
        drop_field("YJJBNT", "MJ", "ZR-S108", &["ZR-N009"]),
        drop_field("KCZY", "KZ", "ZR-S106", &["ZR-N006"]),
        Box::new(|p: &mut Package| {
            let fid = p.parcels.find("ZRZYDJDYH", &unit_code(p, 3))[0];
            let new = cut_corner(p, fid, 150.0);
            vec![parcel_finding(
                "ZR-T107",
                new,
                format!("北山草原 parcel {fid}'s 150 m² corner split off as a parcel of its own"),
            )]
        }),
        wrong_header("ZRZK", 4490, "ZR-P003", &["declared_mismatch"]),
        // TJ_ZRZYMJ counts the new forest park's parcels, as a producer's summary would.
        resummarise(),
    ]
}

// ---------------------------------------------------------------------------------------------
// 622926 东乡族自治县: 0 洮河 (21), 1 大夏河 (21), 2 林场森林 (40), 3 南山草原 (50), 4 北山荒地
// (60), 5 那勒寺湿地 (30), 6 砖瓦用黏土矿 (70); deposit KC001 with a mining right.

fn dongxiang() -> Vec<Defect> {
    vec![
        Box::new(|p: &mut Package| {
            p.right_links.set(0, "KCBH", text("622926KC009"));
            vec![
                finding(
                    "ZR-F006",
                    "KYQ",
                    vec![0],
                    "KYQ row names deposit 622926KC009, which does not exist",
                ),
                finding(
                    "ZR-K002",
                    "KCZY",
                    vec![0],
                    "KC001's licence has no KYQ row left (ZR-F006)",
                ),
            ]
        }),
        Box::new(|p: &mut Package| {
            p.deposits.set(0, "ZRZYDJDYH", text("6229267000009"));
            vec![finding(
                "ZR-F005",
                "KCZY",
                vec![0],
                "the deposit names unit 6229267000009, which does not exist",
            )]
        }),
        Box::new(|p: &mut Package| {
            let code = unit_code(p, 2);
            p.links.push(
                Vec::new(),
                vec![
                    ("ZRZYDJDYH", text("6229264000009")),
                    ("GGGZYSLX", text(RED_LINE)),
                    ("GGGZFQBSM", p.zones.get(0, "HXBM").clone()),
                    ("MJ", Value::Area(1_200_000)),
                    ("GGGZNR", text(RED_LINE_RULE)),
                ],
            );
            let row = p.links.rows.len() - 1;
            vec![finding(
                "ZR-F003",
                "GGGZ",
                vec![row],
                format!("GGGZ row for unit 6229264000009, which does not exist (a typo of {code})"),
            )]
        }),
        Box::new(|p: &mut Package| {
            let row = links_of(p, 0)[0];
            p.links.set(row, "GGGZYSLX", text("红线"));
            vec![
                finding(
                    "ZR-D006",
                    "GGGZ",
                    vec![row],
                    "GGGZYSLX 红线 not in the code list",
                ),
                unit_finding(
                    "ZR-R001",
                    0,
                    "洮河's red-line overlap has no 生态保护红线 row left (ZR-D006)",
                ),
            ]
        }),
        misallocate(5, ("ZR-M012", "SDMJ"), ("ZR-M016", "QTMJ"), 2_500),
        bowtie_feature("XZQ", 0, "ZR-G003", {
            let mut stops = unmeasured("XZQ", &["ZR-M006", "ZR-U006"], "ZR-G003");
            stops.push(not_run(
                "ZR-T104",
                "XZQ",
                "XZQ 有无法量算的要素，范围不可靠",
                "the county outline is invalid (ZR-G003): no unit can be tested against it",
            ));
            stops
        }),
        drop_field("CKQ", "KSMC", "ZR-S107", &["ZR-N007"]),
        Box::new(|p: &mut Package| {
            // The mineral department's export subtracted the 500 km false easting once more.
            for row in &mut p.deposits.rows {
                row.ring = row
                    .ring
                    .iter()
                    .map(|&(x, y)| (x - 500_000_000, y))
                    .collect();
            }
            let mut findings = vec![finding(
                "ZR-P005",
                "KCZY",
                vec![0],
                "the deposit's eastings 500 km short, near 97.9°E: west of zone 34's band \
                 100.5°–103.5°E by more than its 1° margin (outside_band)",
            )];
            findings.extend(unmeasured("KCZY", &["ZR-K003", "ZR-M008"], "ZR-P005"));
            findings
        }),
        Box::new(|p: &mut Package| {
            for row in &mut p.rights.rows {
                row.ring = row.ring.iter().map(|&(x, y)| (y, x)).collect();
            }
            let mut findings = vec![finding(
                "ZR-P007",
                "CKQ",
                vec![0],
                "the mining right stores the northing as x (swapped_axes)",
            )];
            findings.extend(unmeasured("CKQ", &["ZR-R002"], "ZR-P007"));
            findings
        }),
    ]
}

// ---------------------------------------------------------------------------------------------
// 积石山县: 0 黄河 (21), 1 大河家湿地 (30), 2 林场森林 (40), 3 吹麻滩草原 (50), 4 石塬荒地 (60),
// 5 砖瓦用黏土矿 (70); deposit KC001 with a mining right.

fn jishishan() -> Vec<Defect> {
    vec![
        bowtie_feature(
            "STBHHX",
            0,
            "ZR-G004",
            unmeasured("STBHHX", &["ZR-M007", "ZR-R001", "ZR-R002"], "ZR-G004"),
        ),
        bowtie_feature(
            "KCZY",
            0,
            "ZR-G005",
            unmeasured("KCZY", &["ZR-K003", "ZR-M008"], "ZR-G005"),
        ),
        bowtie_feature(
            "CKQ",
            0,
            "ZR-G007",
            vec![not_run(
                "ZR-R002",
                "CKQ",
                unmeasurable("CKQ、STBHHX"),
                "the only CKQ feature cannot be measured either (ZR-G007)",
            )],
        ),
        set_field("KCZY", 0, "KZ", Some(""), "ZR-N006", "KZ blank"),
        Box::new(|p: &mut Package| {
            let mut found = set_field("KYQ", 0, "QLLX", Some(""), "ZR-N008", "QLLX blank")(p);
            found.push(not_run(
                "ZR-D009",
                "KYQ",
                "没有可检查的内容：1 行未检查：KYQ QLLX 为空（由非空规则检查）",
                "the only KYQ row has QLLX blank: its code has nothing to check (ZR-N008)",
            ));
            found
        }),
        Box::new(|p: &mut Package| {
            let fid = parcels_of(p, 4, "DLBM", "1206")[0];
            p.parcels.set(fid, "DLBM", Value::Null);
            vec![parcel_finding(
                "ZR-N002",
                fid,
                "石塬荒地 parcel with DLBM null",
            )]
        }),
        drop_field("STBHHX", "HXMC", "ZR-S104", &["ZR-N004"]),
        Box::new(|p: &mut Package| {
            assert!(links_of(p, 3).is_empty(), "吹麻滩草原 has no red-line row");
            let copy = deliver_twice(&mut p.units, 3);
            vec![
                finding(
                    "ZR-U002",
                    "ZRZYDJDY",
                    vec![3, copy],
                    "吹麻滩草原 delivered twice",
                ),
                unit_finding(
                    "ZR-T108",
                    3,
                    format!(
                        "吹麻滩草原 lies on its copy (fid {copy}, ZR-U002), its related feature"
                    ),
                ),
            ]
        }),
    ]
}

/// Splits a triangle of about `area` m² off parcel `fid` as a new parcel with the same
/// attributes: its base is an edge of the parcel, its apex a new vertex inside, so both share
/// bit-identical edges with everything around them and their MJ add up to the old one. Returns
/// the new parcel's fid.
fn cut_corner(package: &mut Package, fid: usize, area: f64) -> usize {
    let crs = package_crs(package);
    let ring = package.parcels.rows[fid].ring.clone();
    let n = ring.len();
    let length = |i: usize| {
        let (a, b) = (ring[i], ring[(i + 1) % n]);
        ((b.0 - a.0) as f64).hypot((b.1 - a.1) as f64) / 1000.0
    };
    // Edges of 30 m or more, shortest first: the apex stays close to its base.
    let mut edges: Vec<usize> = (0..n).filter(|&i| length(i) >= 30.0).collect();
    edges.sort_by(|&a, &b| length(a).total_cmp(&length(b)));
    let parcel = polygon(&ring);
    let (corner, rest) = edges
        .into_iter()
        .find_map(|e| {
            let (a, b) = (ring[e], ring[(e + 1) % n]);
            let len = length(e);
            let depth = 2.0 * area / len;
            // Counter-clockwise ring: the inside is to the left of a → b.
            let inward = (-(b.1 - a.1) as f64 / len, (b.0 - a.0) as f64 / len);
            let apex = (
                (a.0 + b.0) / 2 + (inward.0 * depth).round() as i64,
                (a.1 + b.1) / 2 + (inward.1 * depth).round() as i64,
            );
            let corner = vec![a, b, apex];
            let mut rest = ring.clone();
            rest.insert(e + 1, apex);
            let fits =
                polygon(&rest).is_valid() && geo::Contains::contains(&parcel, &polygon(&corner));
            fits.then_some((corner, rest))
        })
        .expect("an edge of the parcel with room for the corner");
    // The corner's MJ rounded up or down, whichever leaves the rest's MJ nearer its area.
    let exact = |r: &[Mm]| geometry_area(&polygon(r).into(), &crs) * 100.0;
    let (corner_exact, rest_exact) = (exact(&corner), exact(&rest));
    let old = package.parcels.area_at(fid, "MJ");
    let corner_cents = [corner_exact.floor(), corner_exact.ceil()]
        .into_iter()
        .map(|c| c as i64)
        .min_by(|&a, &b| {
            let off = |c: i64| ((old - c) as f64 - rest_exact).abs();
            off(a).total_cmp(&off(b))
        })
        .expect("two candidates");
    let rest_cents = old - corner_cents;
    assert!(
        ((rest_cents as f64) - rest_exact).abs() < 1.0,
        "the rest's MJ is off its area"
    );
    assert!(corner_cents < 20_000, "the corner is not below 200 m²");
    let bsm = crate::build::next_bsm(package);
    let mut row = package.parcels.rows[fid].clone();
    package.parcels.rows[fid].ring = rest;
    package.parcels.set(fid, "MJ", Value::Area(rest_cents));
    row.ring = corner;
    package.parcels.rows.push(row);
    let new = package.parcels.rows.len() - 1;
    package.parcels.set(new, "BSM", text(&bsm));
    package.parcels.set(new, "MJ", Value::Area(corner_cents));
    new
}
