//! The defects of 永靖县 (622923), written against the original hand-made layout u1 … u9 (the
//! first nine units of [`crate::counties::YONGJING`]). ZR-F002 comes first, because deleting
//! parcels shifts the fids of every later parcel; after it, fids only ever grow by appending.
//! The statistics table comes last: it is summarised from the parcels as the other defects
//! left them.

use geo::{BooleanOps, Contains, Intersects, Validation};

use super::*;
use crate::build::{Frame, TOTAL_ROW};
use crate::counties::{cell, state, UnitSpec, YONGJING};
use crate::model::{text, Package, Value, RED_LINE, RED_LINE_RULE, RESOURCE_TYPES};
use crate::shape::{reproject, ring_centre, ring_cents, star_ring, Mm, Ring};
use crate::write::decimal;

pub fn defects() -> Vec<Defect> {
    vec![
        Box::new(f002_unit_without_parcels),
        Box::new(n001_blank_name),
        Box::new(d001_unit_type),
        Box::new(d002_resource_type),
        Box::new(d003_land_class),
        Box::new(u001_unit_code),
        Box::new(u003_duplicate_bsm),
        Box::new(f001_unknown_unit),
        Box::new(m001_area_sum),
        Box::new(o001_no_representative),
        Box::new(o003_no_agent),
        Box::new(o004_agent_when_direct),
        Box::new(o005_no_owner_name),
        Box::new(d005_exercise_mode),
        Box::new(g002_bowtie),
        Box::new(f004_unknown_zone),
        Box::new(p004_wrong_zone),
        Box::new(p006_swapped_axes),
        Box::new(m004_parcel_area),
        Box::new(m003_type_areas),
        Box::new(t108_forest_overlap),
        Box::new(t102_grassland_overlap),
        Box::new(t103_overhang),
        Box::new(t001_wrong_totals),
    ]
}

// Indices into YONGJING.units, which are also the units' fids: units are written in that order
// and the defects never remove one.
const U1: usize = 0;
const U2: usize = 1;
const U3: usize = 2;
const U4: usize = 3;
const U5: usize = 4;
const U6: usize = 5;
const U7: usize = 6;
const U8: usize = 7;
const U9: usize = 8;

/// The zone the package is delivered in, and the neighbouring zone 35 (CM 105°E), in which
/// the defective package's red line arrives.
const EPSG: u32 = 4522;
const EPSG_EAST: u32 = 4523;

/// The TJ_ZRZYMJ row whose HJ is damaged: not 40, whose HJ already disagrees with its parts
/// through the LD parcel of ZR-D002, and one whose ZB keeps within ZR-T001's tolerance of the
/// damaged HJ (see [`assert_zb_holds`]).
const WRONG_HJ_ROW: &str = "21";

fn f002_unit_without_parcels(package: &mut Package) -> Vec<Finding> {
    let code = Value::Text(unit_code(package, U6));
    let column = package.parcels.column("ZRZYDJDYH");
    package
        .parcels
        .rows
        .retain(|row| row.values[column] != code);
    // u6's parcels were all state forest, so its total, forest and state areas now face sums of
    // no parcels; its other areas are 0 and still match.
    vec![
        unit_finding(
            "ZR-F002",
            U6,
            "u6 has no ZRZK parcels (deleted); its own fields unchanged",
        ),
        unit_finding("ZR-M010", U6, "u6 DJDYZMJ against no parcels (ZR-F002)"),
        unit_finding("ZR-M013", U6, "u6 SLMJ against no SL parcels (ZR-F002)"),
        unit_finding("ZR-M018", U6, "u6 GYMJ against no state parcels (ZR-F002)"),
        unit_finding(
            "ZR-T103",
            U6,
            "u6 is one gap: no parcel covers it (ZR-F002)",
        ),
    ]
}

fn n001_blank_name(package: &mut Package) -> Vec<Finding> {
    package.units.set(U7, "DJDYMC", text(""));
    vec![unit_finding("ZR-N001", U7, "DJDYMC blank")]
}

fn d001_unit_type(package: &mut Package) -> Vec<Finding> {
    package.units.set(U9, "DJDYLX", text("99"));
    vec![
        unit_finding("ZR-D001", U9, "DJDYLX 99 not in the code list"),
        unit_finding(
            "ZR-U005",
            U9,
            "u9's unit code keeps type segment 60 against DJDYLX 99 (ZR-D001)",
        ),
    ]
}

/// TJ_ZRZYMJ feels this too: see [`ld_parcel_in_total`].
fn d002_resource_type(package: &mut Package) -> Vec<Finding> {
    let fid = parcels_of(package, U5, "ZYLX", "SL")[0];
    package.parcels.set(fid, "ZYLX", text("LD"));
    vec![
        parcel_finding("ZR-D002", fid, "u5 SL parcel with ZYLX LD"),
        unit_finding(
            "ZR-M013",
            U5,
            "u5 SLMJ still counts its parcel relabelled LD (ZR-D002)",
        ),
    ]
}

fn d003_land_class(package: &mut Package) -> Vec<Finding> {
    let fid = parcels_of(package, U8, "DLBM", "0401")[0];
    package.parcels.set(fid, "DLBM", text("0399"));
    vec![parcel_finding(
        "ZR-D003",
        fid,
        "u8 CY parcel with DLBM 0399",
    )]
}

/// The unit keeps a consistent code everywhere, so only the format rule fires; the code's type
/// digits stay 30, so TJ_ZRZYMJ keeps the unit in its row.
fn u001_unit_code(package: &mut Package) -> Vec<Finding> {
    let old = unit_code(package, U4);
    let new = "622923300001";
    package.units.set(U4, "ZRZYDJDYH", text(new));
    for layer in [&mut package.parcels, &mut package.links] {
        for fid in layer.find("ZRZYDJDYH", &old) {
            layer.set(fid, "ZRZYDJDYH", text(new));
        }
    }
    vec![unit_finding(
        "ZR-U001",
        U4,
        "u4 code has 12 digits; its parcels and GGGZ rows follow",
    )]
}

fn u003_duplicate_bsm(package: &mut Package) -> Vec<Finding> {
    let original = parcels_of(package, U2, "ZYLX", "SZY")[0];
    let copy = parcels_of(package, U3, "ZYLX", "SD")[0];
    let bsm = package.parcels.get(original, "BSM").clone();
    package.parcels.set(copy, "BSM", bsm);
    vec![finding(
        "ZR-U003",
        "ZRZK",
        vec![original, copy],
        "a u3 parcel carries the BSM of a u2 parcel",
    )]
}

/// u1 has four parcels, so it keeps three and ZR-F002 stays quiet; the moved parcel (state
/// wetland) is missing from u1's total, wetland and state sums. TJ_ZRZYMJ counts it under
/// type 40, the type digits of the code it names.
fn f001_unknown_unit(package: &mut Package) -> Vec<Finding> {
    let fid = parcels_of(package, U1, "DLBM", "1108")[0];
    package.parcels.set(fid, "ZRZYDJDYH", text("6229234000099"));
    vec![
        parcel_finding(
            "ZR-F001",
            fid,
            "u1 parcel points at unit 6229234000099, which does not exist",
        ),
        unit_finding(
            "ZR-M010",
            U1,
            "u1 DJDYZMJ lacks its parcel moved away (ZR-F001)",
        ),
        unit_finding(
            "ZR-M012",
            U1,
            "u1 SDMJ lacks its SD parcel moved away (ZR-F001)",
        ),
        unit_finding(
            "ZR-T103",
            U1,
            "u1 has a gap where its parcel was moved away (ZR-F001)",
        ),
        unit_finding(
            "ZR-M018",
            U1,
            "u1 GYMJ lacks its state parcel moved away (ZR-F001)",
        ),
    ]
}

fn m001_area_sum(package: &mut Package) -> Vec<Finding> {
    package.units.shift(U5, "JTMJ", 10_000);
    vec![
        unit_finding("ZR-M001", U5, "u5 JTMJ raised by 100.00"),
        unit_finding(
            "ZR-M019",
            U5,
            "u5 JTMJ 100.00 (ZR-M001) against no collective parcels",
        ),
        unit_finding(
            "ZR-O008",
            U5,
            "u5 JTMJ 100.00 (ZR-M001) but SYQZT names no collective",
        ),
        unit_finding(
            "ZR-O010",
            U5,
            "u5 (40) declares JTMJ 100.00 (ZR-M001) beside its state land",
        ),
    ]
}

fn o001_no_representative(package: &mut Package) -> Vec<Finding> {
    package.units.set(U2, "DBXSZT", Value::Null);
    vec![unit_finding(
        "ZR-O001",
        U2,
        "u2 has state-owned area but DBXSZT is null",
    )]
}

fn o003_no_agent(package: &mut Package) -> Vec<Finding> {
    package.units.set(U8, "QLXSFS", text("2"));
    package.units.set(U8, "DLXSZT", text(""));
    vec![unit_finding("ZR-O003", U8, "u8 QLXSFS 2 with DLXSZT blank")]
}

fn o004_agent_when_direct(package: &mut Package) -> Vec<Finding> {
    package.units.set(U1, "DLXSZT", text("甘肃省人民政府"));
    vec![unit_finding(
        "ZR-O004",
        U1,
        "u1 QLXSFS 1 with DLXSZT filled",
    )]
}

fn o005_no_owner_name(package: &mut Package) -> Vec<Finding> {
    let fid = parcels_of(package, U4, "QSXZ", "30")[0];
    package.parcels.set(fid, "QSDWMC", text(""));
    vec![parcel_finding(
        "ZR-O005",
        fid,
        "u4 collective parcel with QSDWMC blank",
    )]
}

fn d005_exercise_mode(package: &mut Package) -> Vec<Finding> {
    package.units.set(U3, "QLXSFS", text("3"));
    vec![unit_finding(
        "ZR-D005",
        U3,
        "u3 QLXSFS 3 not in the code list",
    )]
}

/// ZR-M004 skips the parcel (an invalid ring has no meaningful area) and says so in its notes;
/// its MJ is unchanged, so the sums of declared areas still hold.
fn g002_bowtie(package: &mut Package) -> Vec<Finding> {
    let fid = parcels_of(package, U7, "DLBM", "0401")[0];
    let ring = &mut package.parcels.rows[fid].ring;
    *ring = bowtie(ring);
    vec![parcel_finding(
        "ZR-G002",
        fid,
        "u7 parcel ring self-intersects (two vertices swapped)",
    )]
}

fn f004_unknown_zone(package: &mut Package) -> Vec<Finding> {
    let unit = package.units.get(U5, "ZRZYDJDYH").clone();
    package.links.push(
        Ring::new(),
        vec![
            ("ZRZYDJDYH", unit),
            ("GGGZYSLX", text(RED_LINE)),
            ("GGGZFQBSM", text("62292319999")),
            // A plausible overlap of 25 000 m²; there is no zone to measure it against.
            ("MJ", Value::Area(2_500_000)),
            ("GGGZNR", text(RED_LINE_RULE)),
        ],
    );
    vec![finding(
        "ZR-F004",
        "GGGZ",
        vec![package.links.rows.len() - 1],
        "GGGZ row for u5 names red-line zone 62292319999, which does not exist",
    )]
}

/// The red line as the ecology department keeps it, in zone 35, never converted to the
/// package's zone 34. Its MJ stays the true area, which ZR-M007 cannot check: it skips features
/// whose coordinates do not fit the package CRS and says so in its notes.
fn p004_wrong_zone(package: &mut Package) -> Vec<Finding> {
    let (package_crs, east) = (crs_of(EPSG), crs_of(EPSG_EAST));
    for row in &mut package.zones.rows {
        row.ring = reproject(&row.ring, &package_crs, &east);
        assert!(
            polygon(&row.ring).is_valid(),
            "a reprojected zone is invalid"
        );
    }
    package.zones.epsg = EPSG_EAST;
    let mut findings = vec![
        finding(
            "ZR-P004",
            "STBHHX",
            vec![],
            "STBHHX.geojson declares EPSG:4523, package.yaml EPSG:4522 (declared_mismatch)",
        ),
        finding(
            "ZR-P004",
            "STBHHX",
            (0..package.zones.rows.len()).collect(),
            "both zones have zone-35 eastings (35xxxxxx) in a zone-34 package (zone_prefix)",
        ),
    ];
    for rule in ["ZR-M007", "ZR-R001", "ZR-R002"] {
        let note = "every zone has coordinates of another zone (ZR-P004), so none can be measured";
        findings.push(not_run(rule, "STBHHX", unmeasurable("STBHHX"), note));
    }
    findings
}

/// The farmland with x and y exchanged, as a careless export writes it; its header still says
/// EPSG:4522 and its MJ the true area. No rule compares YJJBNT areas, so ZR-P006 fires and
/// ZR-R003, which overlays the farmland on the units, can measure none of it.
fn p006_swapped_axes(package: &mut Package) -> Vec<Finding> {
    for row in &mut package.farmland.rows {
        row.ring = row.ring.iter().map(|&(x, y)| (y, x)).collect();
    }
    vec![
        finding(
            "ZR-P006",
            "YJJBNT",
            (0..package.farmland.rows.len()).collect(),
            "both farmland parcels store the northing as x (swapped_axes)",
        ),
        not_run(
            "ZR-R003",
            "YJJBNT",
            unmeasurable("YJJBNT"),
            "every farmland parcel has swapped axes (ZR-P006), so none can be measured",
        ),
    ]
}

/// A parcel's MJ 5.00 m² too large, carried into its unit's totals as a producer summing
/// parcel MJ would: every sum of declared areas still holds, and only the comparisons with
/// ellipsoidal areas see it. Every unit already carries some defect; u2's (DBXSZT null) touches
/// no area, its SD parcel is state-owned and otherwise untouched, and ZR-M005 allows u2 about
/// 0.06 m² (3 parcels × 0.005 m² + 1e-9 of its 4.5e7 m²), far below 5 m².
fn m004_parcel_area(package: &mut Package) -> Vec<Finding> {
    let fid = parcels_of(package, U2, "ZYLX", "SD")[0];
    assert_eq!(
        package.parcels.text_at(fid, "QSXZ"),
        "10",
        "u2's SD parcel is state"
    );
    package.parcels.shift(fid, "MJ", 500);
    let zylx = package.parcels.text_at(fid, "ZYLX");
    let (_, type_area) = RESOURCE_TYPES
        .iter()
        .find(|t| t.0 == zylx)
        .expect("a natural-resource parcel");
    for field in ["DJDYZMJ", "GYMJ", "DYNZRZYZMJ", type_area] {
        package.units.shift(U2, field, 500);
    }
    assert_m005_fires(package, U2);
    vec![
        parcel_finding("ZR-M004", fid, "u2 state SD parcel MJ +5.00 m²"),
        unit_finding(
            "ZR-M005",
            U2,
            "u2 DJDYZMJ carries its parcel's +5.00 m² (ZR-M004)",
        ),
    ]
}

/// Only unit fields change, so TJ_ZRZYMJ, summed from the parcels, does not see it.
fn m003_type_areas(package: &mut Package) -> Vec<Finding> {
    package.units.shift(U3, "SDMJ", 3_000);
    vec![
        unit_finding(
            "ZR-M003",
            U3,
            "u3 SDMJ +30.00 with DYNZRZYZMJ unchanged: the six type areas exceed it",
        ),
        unit_finding(
            "ZR-M012",
            U3,
            "u3 SDMJ +30.00 (ZR-M003) is no longer the sum of its SD parcels",
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// Topology defects: units that overlap, a unit leaving the county, a parcel leaving its unit

/// A forest unit drawn from the forestry department's 林地 map, which overlaps 罗家洞森林 (u5).
/// Its land is what the third national land survey classed as 其他草地 and 裸土地 (宜林地 not
/// yet afforested), not SL: a unit of SL parcels would change TJ_ZRZYMJ's 合计 SLMJ, which
/// `tests/fixtures.rs` pins at 2410.44.
const NEW_FOREST: UnitSpec = cell(
    "罗家洞林场森林",
    "40",
    3,
    "永靖县川城镇罗家洞村",
    "永靖县自然资源局",
    (0, 1),
    &[state("CY", "0404"), state("HD", "1206")],
);

/// A grassland unit drawn over the west side of the protected area u1, and past the county
/// line into the neighbouring county.
const NEW_GRASSLAND: UnitSpec = cell(
    "太极草原",
    "50",
    3,
    "永靖县太极镇",
    "永靖县自然资源局",
    (0, 0),
    &[state("CY", "0401"), state("CY", "0404")],
);

/// How far the overhanging parcel's new vertex lies outside its unit, in millimetres.
const OVERHANG_MM: i64 = 1_000;

/// The planar area of a ring, in m².
fn planar_area(ring: &[Mm]) -> f64 {
    use geo::Area;
    polygon(ring).unsigned_area()
}

/// ZR-T108: a third forest unit overlapping u5 by 20–40 % of its own area, inside the county,
/// clear of every other unit. Its parcels overlap u5's, which ZR-T105 reports pair by pair;
/// every area field of it is the sum of its parcels', so no area rule fires, and TJ_ZRZYMJ,
/// summarised afterwards, counts its parcels in row 40.
fn t108_forest_overlap(package: &mut Package) -> Vec<Finding> {
    let frame = Frame::new(&YONGJING, &crs_of(EPSG));
    let (dx, dy) = frame.cell_size();
    let mut rng = topology_rng(package, 101);
    let shape = star_ring(&mut rng, (0.0, 0.0), 0.18 * dx, 0.22 * dy, 8, 0.7);
    let from = ring_centre(&package.units.rows[U5].ring);
    // East first: the red line 62292310002 lies over u5's west edge.
    let centres = rays(from, &[0.0, -20.0, 20.0, -40.0, 40.0], 0.02 * dx, 1.0 * dx);
    let ring = place(
        package,
        &shape,
        centres.into_iter(),
        U5,
        |shared, out, own| (0.2..=0.4).contains(&(shared / own)) && out == 0.0,
    );
    let u10 = package.units.rows.len();
    let parcels = append_unit(package, &NEW_FOREST, &ring, &mut rng);
    let shared = unit_overlap(package, U5, u10);
    let mut findings = vec![unit_finding(
        "ZR-T108",
        U5,
        format!(
            "u5 and the new forest unit u10 ({}, fid {u10}), both DJDYLX 40, overlap by about {shared:.1} \
             m²; the finding lies on the lower fid, u10 is its related feature",
            unit_code(package, u10)
        ),
    )];
    findings.extend(parcel_overlaps(
        package,
        &parcels,
        "u10",
        "ZR-T108: u10 overlaps u5",
    ));
    findings
}

/// ZR-T102 and ZR-T104: a grassland unit over the west side of the protected area u1 that also
/// runs past the county line. Its parcels overlap u1's (ZR-T105, pair by pair); nothing else
/// checks ZRZK against XZQ.
fn t102_grassland_overlap(package: &mut Package) -> Vec<Finding> {
    let frame = Frame::new(&YONGJING, &crs_of(EPSG));
    let (dx, dy) = frame.cell_size();
    let mut rng = topology_rng(package, 102);
    let shape = star_ring(&mut rng, (0.0, 0.0), 0.4 * dx, 0.12 * dy, 8, 0.7);
    let from = ring_centre(&package.units.rows[U1].ring);
    let mut centres = Vec::new();
    for j in 0..30 {
        for i in 0..40 {
            centres.push((
                from.0 - 0.05 * dx * i as f64,
                from.1 - 0.8 * dy + 0.05 * dy * j as f64,
            ));
        }
    }
    let ring = place(
        package,
        &shape,
        centres.into_iter(),
        U1,
        |shared, out, own| shared > 100_000.0 && out > 100_000.0 && out < 0.5 * own,
    );
    let u11 = package.units.rows.len();
    let parcels = append_unit(package, &NEW_GRASSLAND, &ring, &mut rng);
    let shared = unit_overlap(package, u11, U1);
    let county = polygon(&package.xzq.rows[0].ring);
    let outside = ellipsoidal(
        &polygon(&package.units.rows[u11].ring).difference(&county),
        &crs_of(EPSG),
    );
    let mut findings = vec![
        unit_finding(
            "ZR-T102",
            u11,
            format!(
                "the new grassland unit u11 ({}, fid {u11}, DJDYLX 50) overlaps the protected-area \
                 unit u1 (12), its related feature, by about {shared:.1} m²",
                unit_code(package, u11)
            ),
        ),
        unit_finding(
            "ZR-T104",
            u11,
            format!("u11 has about {outside:.1} m² outside the county (XZQ)"),
        ),
    ];
    findings.extend(parcel_overlaps(
        package,
        &parcels,
        "u11",
        "ZR-T102: u11 overlaps u1",
    ));
    findings
}

/// ZR-T103 overhang: a vertex added to u9's 1207 parcel, 1 m outside the middle of its longest
/// edge on u9's outline, so a long thin triangle of the parcel lies outside u9. The producer
/// measures the parcel as drawn and sums it into u9 (MJ, DJDYZMJ, GYMJ, DYNZRZYZMJ, HDMJ all
/// carry the triangle), so every declared sum holds and ZR-M004 agrees with the parcel; only u9's
/// outline, unchanged, no longer has the area its DJDYZMJ declares (ZR-M005). u9's one defect so
/// far (DJDYLX 99) touches no area or geometry.
///
/// The triangle's official area is well below its planar area (about 1433 against 2437 m²):
/// the official method takes each edge as straight in (B, L), and over a 4.9 km edge that line
/// bows some 0.4 m away from the straight grid edge, which the 1 m apex barely clears. Both
/// rules measure the overlay's grid triangle by the official method, so they agree.
fn t103_overhang(package: &mut Package) -> Vec<Finding> {
    let crs = crs_of(EPSG);
    let fid = parcels_of(package, U9, "DLBM", "1207")[0];
    let unit_ring = package.units.rows[U9].ring.clone();
    let ring = package.parcels.rows[fid].ring.clone();
    let n = ring.len();
    let on_outline = |p: Mm, q: Mm| {
        let i = unit_ring.iter().position(|&v| v == p);
        i.is_some_and(|i| unit_ring[(i + 1) % unit_ring.len()] == q)
    };
    let length = |p: Mm, q: Mm| ((q.0 - p.0) as f64).hypot((q.1 - p.1) as f64);
    let edge = (0..n)
        .filter(|&i| on_outline(ring[i], ring[(i + 1) % n]))
        .max_by(|&a, &b| {
            let la = length(ring[a], ring[(a + 1) % n]);
            let lb = length(ring[b], ring[(b + 1) % n]);
            la.partial_cmp(&lb).expect("finite")
        })
        .expect("the parcel has an edge on its unit's outline");
    let (p, q) = (ring[edge], ring[(edge + 1) % n]);
    let len = length(p, q);
    // Counter-clockwise ring: the outside is to the right of p → q.
    let (ox, oy) = ((q.1 - p.1) as f64 / len, -(q.0 - p.0) as f64 / len);
    let apex = (
        (p.0 + q.0) / 2 + (ox * OVERHANG_MM as f64).round() as i64,
        (p.1 + q.1) / 2 + (oy * OVERHANG_MM as f64).round() as i64,
    );
    let mut pushed = ring.clone();
    pushed.insert(edge + 1, apex);
    let unit = polygon(&unit_ring);
    let outside = ellipsoidal(&polygon(&pushed).difference(&unit), &crs);
    let planar = {
        use geo::Area;
        polygon(&pushed).unsigned_area() - planar_area(&ring)
    };
    assert!(polygon(&pushed).is_valid(), "the pushed parcel is invalid");
    assert!(!unit.contains(&geo::Point::new(
        apex.0 as f64 / 1000.0,
        apex.1 as f64 / 1000.0
    )));
    assert!(outside > 100.0, "overhang of only {outside} m²");
    for u in (0..package.units.rows.len()).filter(|&u| u != U9) {
        assert!(!polygon(&pushed).intersects(&polygon(&package.units.rows[u].ring)));
    }
    let old = package.parcels.area_at(fid, "MJ");
    let new = ring_cents(&pushed, &crs);
    package.parcels.rows[fid].ring = pushed;
    package.parcels.set(fid, "MJ", Value::Area(new));
    assert_eq!(
        package.parcels.text_at(fid, "QSXZ"),
        "10",
        "u9's 1207 parcel is state"
    );
    for field in ["DJDYZMJ", "GYMJ", "DYNZRZYZMJ", "HDMJ"] {
        package.units.shift(U9, field, new - old);
    }
    assert_m005_fires(package, U9);
    vec![
        parcel_finding(
            "ZR-T103",
            fid,
            format!(
                "u9's 1207 parcel has a vertex 1 m outside the middle of a {:.0} m edge of u9's \
                 outline: a triangle of {planar:.1} m² in the plane, about {outside:.1} m² by the \
                 official ellipsoidal method, overhangs u9",
                len / 1000.0
            ),
        ),
        unit_finding(
            "ZR-M005",
            U9,
            format!(
                "u9 DJDYZMJ +{} m² carries its parcel's overhang (ZR-T103), which u9's outline \
                 lacks",
                decimal(new - old, 2)
            ),
        ),
    ]
}

/// TJ_ZRZYMJ summarised from the defective parcels, then given a wrong total row and a wrong
/// total column.
fn t001_wrong_totals(package: &mut Package) -> Vec<Finding> {
    let mut findings = ld_parcel_in_total(package);
    findings.extend(wrong_total_row(package));
    findings.extend(wrong_total_column(package));
    findings
}

/// The producer summarises the parcels as delivered, defects and all, so ZR-T002, which sums
/// the same parcels, agrees with every figure. ZR-T001 does not: u5's LD parcel (ZR-D002) is
/// in HJ (`ZYLX <> 'FZR'`) but in none of the six parts of its row.
fn ld_parcel_in_total(package: &mut Package) -> Vec<Finding> {
    summarise_parcels(package);
    let row = stats_row(package, YONGJING.units[U5].djdylx);
    vec![stats_finding(
        "ZR-T001",
        row,
        "row 40 HJ counts u5's LD parcel (ZR-D002), which no part column holds",
    )]
}

/// The 合计 row's SLMJ 1.00 公顷 too large: the column no longer sums, and neither does the row
/// (whose HJ already differed from its parts by the LD parcel).
fn wrong_total_row(package: &mut Package) -> Vec<Finding> {
    let total = stats_row(package, TOTAL_ROW);
    package.stats.shift(total, "SLMJ", 100);
    vec![
        stats_finding(
            "ZR-T001",
            total,
            "合计 SLMJ +1.00 is not the sum of the rows' SLMJ",
        ),
        stats_finding(
            "ZR-T001",
            total,
            "合计 HJ is not the sum of its parts: SLMJ +1.00, and the LD parcel (ZR-D002) in HJ only",
        ),
    ]
}

/// A data row's HJ 0.50 公顷 too large, its ZB left as it was.
fn wrong_total_column(package: &mut Package) -> Vec<Finding> {
    let row = stats_row(package, WRONG_HJ_ROW);
    let total = stats_row(package, TOTAL_ROW);
    package.stats.shift(row, "HJ", 50);
    assert_zb_holds(package, row, total);
    vec![
        stats_finding(
            "ZR-T001",
            row,
            "HJ +0.50: neither the sum of the row's parts nor what 合计 HJ sums; both pin this cell",
        ),
        stats_finding(
            "ZR-T002",
            row,
            "HJ +0.50 is not the sum of the row's parcels",
        ),
    ]
}

/// ZR-T001 checks ZB against 100 × HJ / 合计 HJ within one unit of its last decimal (±0.01, for
/// 强制调平); this row's ZB is kept within half a unit (±0.005). The
/// damaged HJ moves that ratio by 100 × 0.50 / 合计 HJ (about 0.0015 here) on top of ZB's own
/// rounding, so whether ZB raises a finding of its own depends on the row: this row's must not.
fn assert_zb_holds(package: &Package, row: usize, total: usize) {
    let figure = |fid, field| match package.stats.get(fid, field) {
        Value::Figure(v) => *v as f64 / 100.0,
        other => panic!("TJ_ZRZYMJ {field} is {other:?}"),
    };
    let ratio = 100.0 * figure(row, "HJ") / figure(total, "HJ");
    assert!(
        (figure(row, "ZB") - ratio).abs() < 0.005,
        "row {row}: ZB no longer matches HJ"
    );
}
