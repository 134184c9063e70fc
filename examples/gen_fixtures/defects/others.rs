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

/// A feature's ring made a bowtie: only its validity rule fires; the area and topology rules
/// skip it and say so in their notes.
fn bowtie_feature(layer: &'static str, fid: usize, rule: &'static str) -> Defect {
    Box::new(move |p: &mut Package| {
        let row = &mut p.layer_mut(layer).rows[fid];
        row.ring = bowtie(&row.ring);
        vec![finding(
            rule,
            layer,
            vec![fid],
            "ring self-intersects (two vertices swapped)",
        )]
    })
}

/// A field left out of a layer's file: only the layer's schema rule fires.
fn drop_field(layer: &'static str, field: &'static str, rule: &'static str) -> Defect {
    Box::new(move |p: &mut Package| {
        p.layer_mut(layer).drop_column(field);
        vec![finding(
            rule,
            layer,
            vec![],
            format!("{layer} delivered without {field}"),
        )]
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

// ---------------------------------------------------------------------------------------------
// 622901 临夏市: 0 大夏河 (21), 1 北塬森林 (40), 2 南龙山草原 (50), 3 折桥荒地 (60).

fn linxia_city() -> Vec<Defect> {
    vec![
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
        Box::new(|p: &mut Package| overlapping_unit(p, &RIVERBANK_WETLAND, 0, "ZR-T106", 103)),
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
            Some("市级"),
            "ZR-D010",
            "FZJGJB 市级 not an issuing level",
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
        drop_field("KYQ", "QLLX", "ZR-S109"),
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
    let mut findings = vec![unit_finding(
        rule,
        new,
        format!(
            "the new unit {name} ({}, fid {new}, DJDYLX {}) overlaps unit {target}, its related \
             feature, by about {shared:.1} m²",
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
        bowtie_feature("ZRZYDJDY", 6, "ZR-G001"),
        drop_field("XZQ", "XZQMC", "ZR-S103"),
        misallocate(3, ("ZR-M014", "CYMJ"), ("ZR-M015", "HDMJ"), 5_000),
        resummarise(),
    ]
}

// ---------------------------------------------------------------------------------------------
// 622924 广河县: 0 广通河 (21), 1 洮河 (21), 2 林场森林 (40), 3 齐家坪草原 (50), 4 阿力麻土荒地
// (60), 5 砖瓦用黄土矿 (70); deposit KC001 with a mining right.

fn guanghe() -> Vec<Defect> {
    vec![
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
        bowtie_feature("YJJBNT", 0, "ZR-G006"),
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
    ]
}

// ---------------------------------------------------------------------------------------------
// 622925 和政县: 0 太子山 (12, 622900), 1 松鸣岩 (13), 2 大南岔河 (21), 3 北山草原 (50),
// 4 新庄荒地 (60); deposit KC001 inside 太子山.

fn hezheng() -> Vec<Defect> {
    vec![
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
        drop_field("YJJBNT", "MJ", "ZR-S108"),
        drop_field("KCZY", "KZ", "ZR-S106"),
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
        bowtie_feature("XZQ", 0, "ZR-G003"),
        drop_field("CKQ", "KSMC", "ZR-S107"),
        Box::new(|p: &mut Package| {
            for row in &mut p.rights.rows {
                row.ring = row.ring.iter().map(|&(x, y)| (y, x)).collect();
            }
            vec![finding(
                "ZR-P007",
                "CKQ",
                vec![0],
                "the mining right stores the northing as x (swapped_axes)",
            )]
        }),
    ]
}

// ---------------------------------------------------------------------------------------------
// 积石山县: 0 黄河 (21), 1 大河家湿地 (30), 2 林场森林 (40), 3 吹麻滩草原 (50), 4 石塬荒地 (60),
// 5 砖瓦用黏土矿 (70); deposit KC001 with a mining right.

fn jishishan() -> Vec<Defect> {
    vec![
        bowtie_feature("STBHHX", 0, "ZR-G004"),
        bowtie_feature("KCZY", 0, "ZR-G005"),
        bowtie_feature("CKQ", 0, "ZR-G007"),
        set_field("KCZY", 0, "KZ", Some(""), "ZR-N006", "KZ blank"),
        set_field("KYQ", 0, "QLLX", Some(""), "ZR-N008", "QLLX blank"),
        Box::new(|p: &mut Package| {
            let fid = parcels_of(p, 4, "DLBM", "1206")[0];
            p.parcels.set(fid, "DLBM", Value::Null);
            vec![parcel_finding(
                "ZR-N002",
                fid,
                "石塬荒地 parcel with DLBM null",
            )]
        }),
        Box::new(|p: &mut Package| {
            p.zones.drop_column("HXMC");
            vec![finding(
                "ZR-S104",
                "STBHHX",
                vec![],
                "STBHHX delivered without HXMC",
            )]
        }),
    ]
}
