//! Check kinds on small hand-made packages, for semantics the fixtures do not reach.

use std::path::Path;

use nrqc::quality::DefectClass;
use nrqc::report::Report;
use nrqc::rules::{RuleSet, RuleSources};

/// A package of the given files under a temporary directory, in `crs`.
fn package(crs: &str, files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let manifest = format!("xzqdm: \"622923\"\nxzqmc: 永靖县\nlevel: county\ncrs: {crs}\n");
    std::fs::write(dir.path().join("package.yaml"), manifest).unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

/// A rule set of only `schema` and `rules`, replacing the built-in one.
fn rules(schema: &str, rules: &str) -> (tempfile::TempDir, RuleSet) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("schema.yaml"), schema).unwrap();
    std::fs::write(dir.path().join("rules.yaml"), rules).unwrap();
    let set = RuleSet::load(&RuleSources {
        builtin: false,
        dirs: vec![dir.path().to_owned()],
    })
    .unwrap_or_else(|e| panic!("{:?}", miette::Report::new(e)));
    (dir, set)
}

fn run(pkg: &Path, rules: &RuleSet) -> Report {
    nrqc::inspect(pkg, rules, DefectClass::B).unwrap()
}

fn messages(report: &Report) -> Vec<String> {
    report.findings.iter().map(|f| f.message.clone()).collect()
}

const TABLE_SCHEMA: &str = "schema:
  version: 1
  tables:
    TJ:
      key: K
      fields:
        K: { type: string }
        A: { type: number }
        B: { type: number }
        C: { type: number }
        AB: { type: number }
        HJ: { type: number }
        ZB: { type: number }
";

const TABLE_RULE: &str = "rules:
  - id: T-1
    title: 汇总表
    class: B
    element: 逻辑一致性
    table_totals:
      layer: TJ
      key: K
      columns: [AB, C]
      total: HJ
      blank: missing
      subtotals: [{ total: AB, parts: [A, B] }]
      row_subtotals: [{ row: 小计, parts: ['1', '2'] }]
      percent: [{ column: ZB, of: HJ }]
";

#[test]
fn table_totals_checks_nested_subtotals_rows_and_percentages() {
    let good = "K,A,B,AB,C,HJ,ZB
1,1.00,2.00,3.00,1.00,4.00,40.00
2,1.00,1.00,2.00,1.00,3.00,30.00
小计,2.00,3.00,5.00,2.00,7.00,70.00
3,1.00,1.00,2.00,1.00,3.00,30.00
合计,3.00,4.00,7.00,3.00,10.00,100.00
";
    let (_r, set) = rules(TABLE_SCHEMA, TABLE_RULE);
    let pkg = package("EPSG:4522", &[("tables/TJ.csv", good)]);
    let report = run(pkg.path(), &set);
    assert!(report.findings.is_empty(), "{:?}", messages(&report));

    // Row 2's B is off: its AB subtotal, the 小计 row's B and the 合计 row's B disagree, all by
    // 0.50, which pins the error on that one cell; ZB of row 1 is off by more than one unit of
    // its last decimal.
    let bad = good
        .replace("2,1.00,1.00,2.00", "2,1.00,1.50,2.00")
        .replace(
            "1,1.00,2.00,3.00,1.00,4.00,40.00",
            "1,1.00,2.00,3.00,1.00,4.00,40.50",
        );
    let pkg = package("EPSG:4522", &[("tables/TJ.csv", &bad)]);
    let report = run(pkg.path(), &set);
    let labels: Vec<String> = report
        .findings
        .iter()
        .map(|f| {
            format!(
                "{}:{}",
                f.feature_ids[0].fid,
                f.message.split('：').next().unwrap()
            )
        })
        .collect();
    assert_eq!(
        labels,
        vec!["1:2 行 B 数值有误", "0:1 行 ZB 与 HJ 占比不符"]
    );
}

#[test]
fn table_tolerance_follows_the_written_decimals() {
    // One decimal: three parts may drift by 3 × 0.05 = 0.15.
    let table = "K,A,B,AB,C,HJ,ZB\n1,0.3,0.3,0.6,0.3,1.0,100.0\n合计,0.3,0.3,0.6,0.3,1.0,100.0\n";
    let rule = "rules:
  - id: T-1
    title: 汇总表
    class: B
    element: 逻辑一致性
    table_totals: { layer: TJ, key: K, columns: [A, B, C], total: HJ, blank: missing }
";
    let (_r, set) = rules(TABLE_SCHEMA, rule);
    let pkg = package("EPSG:4522", &[("tables/TJ.csv", table)]);
    let report = run(pkg.path(), &set);
    assert!(report.findings.is_empty(), "{:?}", messages(&report));
    let pkg = package(
        "EPSG:4522",
        &[(
            "tables/TJ.csv",
            &table.replace("1,0.3,0.3,0.6,0.3,1.0", "1,0.3,0.3,0.6,0.3,1.2"),
        )],
    );
    // Row 1's HJ breaks its row (+0.3, allowed 0.15) and the 合计 row's HJ (+0.2, allowed
    // 0.05): both point at that cell.
    let report = run(pkg.path(), &set);
    assert_eq!(
        messages(&report),
        vec!["1 行 HJ 数值有误：1 行 HJ 与各列之和、合计 行 HJ 与各行之和均不符，申报 1.2，按各式应为 0.9，相差 +0.3（允许 ±0.15）"]
    );
}

const LAYER_SCHEMA: &str = "schema:
  version: 1
  layers:
    L:
      geometry: polygon
      key: ID
      fields:
        ID: { type: string }
        MU: { type: number }
";

/// A 100 m × 150 m parcel in zone 34 near 永靖县, as GeoJSON with its legacy `crs` member.
fn parcel_layer(mu: f64, crs: &str) -> String {
    let (x, y) = (34_610_000.0, 3_985_000.0);
    format!(
        r#"{{"type":"FeatureCollection","crs":{{"type":"name","properties":{{"name":"{crs}"}}}},"features":[{{"type":"Feature","properties":{{"ID":"P1","MU":{mu}}},"geometry":{{"type":"Polygon","coordinates":[[[{x},{y}],[{x1},{y}],[{x1},{y1}],[{x},{y1}],[{x},{y}]]]}}}}]}}"#,
        x1 = x + 100.0,
        y1 = y + 150.0
    )
}

#[test]
fn area_matches_converts_units() {
    let rule = "rules:
  - id: A-1
    title: 面积（亩）
    class: B
    element: 面积精度
    area_matches: { layer: L, field: MU, unit: mu, tolerance: { m2: 0.01 } }
";
    let (_r, set) = rules(LAYER_SCHEMA, rule);
    let crs = nrqc::geom::crs::Crs::from_epsg(4522).unwrap();
    let square = geo::Geometry::Polygon(
        geo::Rect::new(
            geo::coord! { x: 34_610_000.0, y: 3_985_000.0 },
            geo::coord! { x: 34_610_100.0, y: 3_985_150.0 },
        )
        .to_polygon(),
    );
    let m2 = nrqc::geom::area::geometry_area(&square, &crs);
    // A plane rectangle of 15 000 m² is a little smaller on the ellipsoid, 99 km from the
    // central meridian where the scale factor exceeds 1.
    assert!((m2 - 15_000.0).abs() < 5.0 && m2 < 15_000.0, "{m2}");
    let mu = (m2 / (2000.0 / 3.0) * 1e6).round() / 1e6;
    let pkg = package(
        "EPSG:4522",
        &[("vector/L.geojson", &parcel_layer(mu, "EPSG:4522"))],
    );
    assert!(run(pkg.path(), &set).findings.is_empty());
    let pkg = package(
        "EPSG:4522",
        &[("vector/L.geojson", &parcel_layer(mu + 1.0, "EPSG:4522"))],
    );
    let report = run(pkg.path(), &set);
    assert_eq!(report.findings.len(), 1);
    let m = report.findings[0].measured.as_ref().unwrap();
    assert_eq!(m["unit"], "mu");
    assert!(
        (m["difference"].as_f64().unwrap() - 1.0).abs() < 1e-5,
        "{m}"
    );
}

/// `per_term` counts terms: a tolerance that has none to count is a diagnostic on the rule's
/// line, not an allowance silently read as zero.
#[test]
fn per_term_without_terms_is_a_diagnostic() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("schema.yaml"), LAYER_SCHEMA).unwrap();
    let rule = "rules:
  - id: A-1
    title: 面积
    class: B
    element: 面积精度
    area_matches: { layer: L, field: MU, tolerance: { per_term: 0.005 } }
";
    std::fs::write(dir.path().join("rules.yaml"), rule).unwrap();
    let err = RuleSet::load(&RuleSources {
        builtin: false,
        dirs: vec![dir.path().to_owned()],
    })
    .map(|_| ())
    .expect_err("per_term without terms is refused");
    let text = format!("{:?}", miette::Report::new(err));
    assert!(
        text.contains("`tolerance.per_term` needs terms to count"),
        "{text}"
    );
    assert!(text.contains("rules.yaml:6:"), "{text}");
}

#[test]
fn crs_rule_reports_an_unaccepted_crs_and_skips_area_checks() {
    let rule = "rules:
  - id: P-1
    title: 坐标系
    class: A
    element: 空间参考系
    crs: { layer: L }
  - id: A-1
    title: 面积（亩）
    class: B
    element: 面积精度
    area_matches: { layer: L, field: MU, unit: mu }
";
    let (_r, set) = rules(LAYER_SCHEMA, rule);
    let pkg = package(
        "EPSG:32648",
        &[("vector/L.geojson", &parcel_layer(22.5, "EPSG:32648"))],
    );
    let report = run(pkg.path(), &set);
    assert_eq!(
        messages(&report),
        vec!["L 的坐标系 EPSG:32648 不是允许的 CGCS2000 坐标系"]
    );
    let area = report.rules.iter().find(|r| r.id == "A-1").unwrap();
    assert_eq!(area.status, nrqc::finding::Status::NotRun);
    assert_eq!(report.outcome, nrqc::report::Outcome::Fail);
}

/// Format 1.1 section 5: a 6° Gauss-Krüger zone is CGCS2000 but not accepted, and the finding
/// says so rather than calling it another datum.
#[test]
fn crs_rule_refuses_a_six_degree_zone_by_default() {
    let rule = "rules:
  - id: P-1
    title: 坐标系
    class: A
    element: 空间参考系
    crs: { layer: L }
";
    let (_r, set) = rules(LAYER_SCHEMA, rule);
    let layer = parcel_layer(22.5, "EPSG:4496").replace("34610", "18335");
    let pkg = package("EPSG:4496", &[("vector/L.geojson", &layer)]);
    let report = run(pkg.path(), &set);
    assert_eq!(
        messages(&report),
        vec!["L 的坐标系 EPSG:4496 是 CGCS2000 6° 带坐标系，成果包只接受 3° 带或经纬度"]
    );
    assert_eq!(
        report.findings[0].measured,
        Some(serde_json::json!({ "reason": "six_degree_zone", "epsg": 4496 }))
    );
    // The same parcel in the 3° zone of the format is accepted.
    let pkg = package(
        "EPSG:4522",
        &[("vector/L.geojson", &parcel_layer(22.5, "EPSG:4522"))],
    );
    assert_eq!(messages(&run(pkg.path(), &set)), Vec::<String>::new());
}

/// A GeoJSON layer of rectangles `(id, type, x0, y0, x1, y1)`, offsets in metres from a point in
/// zone 34 near 永靖县.
fn rect_layer(rects: &[(&str, &str, f64, f64, f64, f64)]) -> String {
    let (ox, oy) = (34_610_000.0, 3_985_000.0);
    let features: Vec<String> = rects
        .iter()
        .map(|(id, t, x0, y0, x1, y1)| {
            let (x0, y0, x1, y1) = (ox + x0, oy + y0, ox + x1, oy + y1);
            format!(
                r#"{{"type":"Feature","properties":{{"ID":"{id}","T":"{t}"}},"geometry":{{"type":"Polygon","coordinates":[[[{x0},{y0}],[{x1},{y0}],[{x1},{y1}],[{x0},{y1}],[{x0},{y0}]]]}}}}"#
            )
        })
        .collect();
    format!(
        r#"{{"type":"FeatureCollection","features":[{}]}}"#,
        features.join(",")
    )
}

const TOPO_SCHEMA: &str = "schema:
  version: 1
  layers:
    U:
      geometry: polygon
      key: ID
      fields:
        ID: { type: string }
        T: { type: string }
    Z:
      geometry: polygon
      key: ID
      fields:
        ID: { type: string }
        T: { type: string }
  tables:
    LINK:
      key: [UID, ZID]
      fields:
        UID: { type: string }
        ZID: { type: string }
        MJ: { type: number }
";

fn topo_rule(kind: &str) -> String {
    format!(
        "rules:\n  - id: K-1\n    title: 拓扑\n    class: B\n    element: 逻辑一致性\n    {kind}\n"
    )
}

/// (fid of the finding, fids of the related features, measured) for each finding.
fn pairs(report: &Report) -> Vec<(Vec<usize>, Vec<usize>, serde_json::Value)> {
    report
        .findings
        .iter()
        .map(|f| {
            (
                f.feature_ids.iter().map(|i| i.fid).collect(),
                f.related
                    .iter()
                    .flat_map(|r| r.feature_ids.iter().map(|i| i.fid))
                    .collect(),
                f.measured.clone().unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn no_overlap_counts_containment_and_duplicates_but_not_touching() {
    let layer = rect_layer(&[
        ("a", "40", 0.0, 0.0, 100.0, 100.0),
        ("b", "40", 50.0, 0.0, 150.0, 100.0), // overlaps a by 50 × 100
        ("c", "40", 300.0, 0.0, 400.0, 100.0),
        ("d", "40", 300.0, 0.0, 400.0, 100.0), // duplicate of c
        ("e", "40", 500.0, 0.0, 600.0, 100.0),
        ("f", "40", 520.0, 20.0, 540.0, 40.0), // inside e
        ("g", "40", 600.0, 0.0, 700.0, 100.0), // touches e along an edge
        ("h", "50", 520.0, 60.0, 540.0, 80.0), // inside e, another group
    ]);
    let (_r, set) = rules(
        TOPO_SCHEMA,
        &topo_rule("no_overlap: { layer: U, group_by: T }"),
    );
    let pkg = package("EPSG:4522", &[("vector/U.geojson", &layer)]);
    let report = run(pkg.path(), &set);
    let found: Vec<(Vec<usize>, Vec<usize>)> =
        pairs(&report).into_iter().map(|(a, b, _)| (a, b)).collect();
    assert_eq!(
        found,
        vec![(vec![0], vec![1]), (vec![2], vec![3]), (vec![4], vec![5])]
    );
    let areas: Vec<f64> = pairs(&report)
        .iter()
        .map(|(_, _, m)| m["area"].as_f64().unwrap())
        .collect();
    // Ellipsoidal areas are 0.03% below the plane ones 110 km east of the central meridian.
    for (area, plane) in areas.iter().zip([5000.0, 10_000.0, 400.0]) {
        assert!(
            *area < plane && *area > plane * 0.999,
            "{areas:?} vs {plane}"
        );
    }
}

#[test]
fn no_gaps_finds_the_hole_of_a_ring_of_parcels() {
    let layer = rect_layer(&[
        ("a", "", 0.0, 0.0, 300.0, 100.0),
        ("b", "", 0.0, 200.0, 300.0, 300.0),
        ("c", "", 0.0, 100.0, 100.0, 200.0),
        ("d", "", 101.0, 100.0, 300.0, 200.0), // leaves a 1 m wide, 100 m long sliver
    ]);
    let (_r, set) = rules(
        TOPO_SCHEMA,
        &topo_rule("no_gaps: { layer: U, max_width: 2.0 }"),
    );
    let pkg = package("EPSG:4522", &[("vector/U.geojson", &layer)]);
    let report = run(pkg.path(), &set);
    let found = pairs(&report);
    assert_eq!(found.len(), 1, "{found:?}");
    let m = &found[0].2;
    assert!((m["area"].as_f64().unwrap() - 100.0).abs() < 0.1, "{m}");
    // 2 × area / perimeter of a 1 × 100 sliver.
    assert!(
        (m["width"].as_f64().unwrap() - 200.0 / 202.0).abs() < 1e-3,
        "{m}"
    );
    // A gap wider than max_width is an intended hole.
    let (_r, set) = rules(
        TOPO_SCHEMA,
        &topo_rule("no_gaps: { layer: U, max_width: 0.5 }"),
    );
    assert!(run(pkg.path(), &set).findings.is_empty());
}

#[test]
fn within_reports_the_part_outside() {
    let units = rect_layer(&[
        ("in", "", 10.0, 10.0, 90.0, 90.0),
        ("out", "", 50.0, 50.0, 150.0, 90.0),
    ]);
    let zone = rect_layer(&[("x", "", 0.0, 0.0, 100.0, 100.0)]);
    let (_r, set) = rules(
        TOPO_SCHEMA,
        &topo_rule("within: { layer: U, container: Z }"),
    );
    let pkg = package(
        "EPSG:4522",
        &[("vector/U.geojson", &units), ("vector/Z.geojson", &zone)],
    );
    let found = pairs(&run(pkg.path(), &set));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, vec![1]);
    let outside = found[0].2["outside_area"].as_f64().unwrap();
    assert!((outside - 50.0 * 40.0).abs() < 2.0, "{outside}");
}

#[test]
fn overlap_link_finds_missing_extra_and_wrong_rows() {
    let units = rect_layer(&[
        ("u1", "", 0.0, 0.0, 100.0, 100.0),
        ("u2", "", 200.0, 0.0, 300.0, 100.0),
        ("u3", "", 400.0, 0.0, 500.0, 100.0),
    ]);
    let zones = rect_layer(&[("z1", "", 50.0, 0.0, 250.0, 100.0)]); // overlaps u1 and u2 by 5000 m²
    let rule = topo_rule(
        "overlap_link: { layer: U, key: ID, other: Z, other_key: ID, table: LINK, table_key: UID, table_other_key: ZID, table_area: MJ, tolerance: { m2: 1.0 } }",
    );
    let (_r, set) = rules(TOPO_SCHEMA, &rule);
    let crs = nrqc::geom::crs::Crs::from_epsg(4522).unwrap();
    let overlap = geo::Geometry::Polygon(
        geo::Rect::new(
            geo::coord! { x: 34_610_050.0, y: 3_985_000.0 },
            geo::coord! { x: 34_610_100.0, y: 3_985_100.0 },
        )
        .to_polygon(),
    );
    let mj = nrqc::geom::area::geometry_area(&overlap, &crs);
    // u1's row is right, u2 has none, u3's row names no overlap, and a fourth row's MJ is wrong.
    let table = format!("UID,ZID,MJ\nu1,z1,{mj:.2}\nu3,z1,10.00\n");
    let pkg = package(
        "EPSG:4522",
        &[
            ("vector/U.geojson", &units),
            ("vector/Z.geojson", &zones),
            ("tables/LINK.csv", &table),
        ],
    );
    let report = run(pkg.path(), &set);
    let summary: Vec<(String, Vec<usize>)> = report
        .findings
        .iter()
        .map(|f| {
            (
                f.layer.clone(),
                f.feature_ids.iter().map(|i| i.fid).collect(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![("U".to_owned(), vec![1]), ("LINK".to_owned(), vec![1])],
        "{:?}",
        messages(&report)
    );

    let wrong = format!("UID,ZID,MJ\nu1,z1,{:.2}\nu2,z1,{mj:.2}\n", mj + 50.0);
    let pkg = package(
        "EPSG:4522",
        &[
            ("vector/U.geojson", &units),
            ("vector/Z.geojson", &zones),
            ("tables/LINK.csv", &wrong),
        ],
    );
    let report = run(pkg.path(), &set);
    assert_eq!(report.findings.len(), 1, "{:?}", messages(&report));
    let m = report.findings[0].measured.as_ref().unwrap();
    assert!(
        (m["difference"].as_f64().unwrap() - 50.0).abs() < 0.01,
        "{m}"
    );
}

#[test]
fn min_area_finds_fragments() {
    let layer = rect_layer(&[
        ("big", "", 0.0, 0.0, 100.0, 100.0),
        ("small", "", 200.0, 0.0, 210.0, 10.0),
    ]);
    let (_r, set) = rules(
        TOPO_SCHEMA,
        &topo_rule("min_area: { layer: U, min_area: 400 }"),
    );
    let pkg = package("EPSG:4522", &[("vector/U.geojson", &layer)]);
    let found = pairs(&run(pkg.path(), &set));
    assert_eq!(
        found.iter().map(|f| f.0.clone()).collect::<Vec<_>>(),
        vec![vec![1]]
    );
}

#[test]
fn geometry_valid_reports_optional_shape_defects_with_their_places() {
    let (ox, oy) = (34_610_000.0, 3_985_000.0);
    let ring = [
        (0., 0.),
        (100., 0.),
        (100., 0.),
        (100., 100.),
        (50.5, 100.),
        (50., 150.),
        (49.5, 100.),
        (0.1, 100.),
        (0., 100.),
        (0., 0.),
    ];
    let coords: Vec<String> = ring
        .iter()
        .map(|(x, y)| format!("[{},{}]", ox + x, oy + y))
        .collect();
    let layer = format!(
        r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"ID":"a","T":""}},"geometry":{{"type":"Polygon","coordinates":[[{}]]}}}}]}}"#,
        coords.join(",")
    );
    let pkg = package("EPSG:4522", &[("vector/U.geojson", &layer)]);
    let (_r, plain) = rules(TOPO_SCHEMA, &topo_rule("geometry_valid: { layer: U }"));
    assert!(
        run(pkg.path(), &plain).findings.is_empty(),
        "valid, and shape checks are off"
    );
    let (_r, set) = rules(
        TOPO_SCHEMA,
        &topo_rule(
            "geometry_valid: { layer: U, repeated_points: true, spike_angle: 5, min_segment: 0.2 }",
        ),
    );
    let report = run(pkg.path(), &set);
    assert_eq!(report.findings.len(), 1);
    let m = report.findings[0].measured.as_ref().unwrap();
    assert_eq!(
        m["reasons"],
        serde_json::json!(["repeated_point", "spike", "short_segment"])
    );
    assert_eq!(m["at"][1], serde_json::json!([ox + 50.0, oy + 150.0]));
}

/// Features within a container must name it (nested containers: any of them); features within
/// none, or only partly within one, are not this check's business.
#[test]
fn container_key_names_the_container_a_feature_lies_in() {
    let units = rect_layer(&[
        ("A1", "A", 10.0, 10.0, 20.0, 20.0),   // in A: right
        ("B7", "B", 30.0, 10.0, 40.0, 20.0),   // in A: wrong
        ("B8", "C", 210.0, 10.0, 220.0, 20.0), // in B and nested C: C is right
        ("B9", "A", 310.0, 10.0, 320.0, 20.0), // in no zone
        ("A2", "B", 95.0, 10.0, 105.0, 20.0),  // half in A, half out
    ]);
    let zones = rect_layer(&[
        ("A", "", 0.0, 0.0, 100.0, 100.0),
        ("B", "", 200.0, 0.0, 300.0, 100.0),
        ("C", "", 205.0, 5.0, 250.0, 50.0),
    ]);
    let (_r, set) = rules(
        TOPO_SCHEMA,
        &topo_rule("container_key: { layer: U, field: T, container: Z, container_field: ID }"),
    );
    let pkg = package(
        "EPSG:4522",
        &[("vector/U.geojson", &units), ("vector/Z.geojson", &zones)],
    );
    let report = run(pkg.path(), &set);
    assert_eq!(pairs(&report), vec![(vec![1], vec![0], "B".into())]);
    assert_eq!(messages(&report), ["位于 Z A 之内，T 应为 A，实为 B"]);

    // With a prefix only the first characters are compared.
    let (_r, set) = rules(
        TOPO_SCHEMA,
        &topo_rule(
            "container_key: { layer: U, field: ID, prefix: 1, container: Z, container_field: ID }",
        ),
    );
    let report = run(pkg.path(), &set);
    assert_eq!(
        messages(&report),
        ["位于 Z A 之内，ID 前 1 位应为 A，实为 B"]
    );
}

const CODE_SCHEMA: &str = "schema:
  version: 1
  tables:
    P:
      key: ID
      fields:
        ID: { type: string }
        DLBM: { type: string }
        ZYLX: { type: string }
";

/// A code determines another field through a mapping list; a value outside the implied field's
/// own list is left to `in_domain`.
#[test]
fn code_implies_checks_the_mapped_field() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("schema.yaml"), CODE_SCHEMA).unwrap();
    std::fs::create_dir(dir.path().join("codes")).unwrap();
    std::fs::write(
        dir.path().join("codes/MAP.yaml"),
        "code_list: MAP\ncodes: { \"0301\": SL, \"0401\": CY }\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("codes/ZYLX.yaml"),
        "code_list: ZYLX\ncodes: { SL: 森林, CY: 草原 }\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("rules.yaml"),
        topo_rule("code_implies: { layer: P, field: DLBM, code_list: MAP, implies: ZYLX }"),
    )
    .unwrap();
    let set = RuleSet::load(&RuleSources {
        builtin: false,
        dirs: vec![dir.path().to_owned()],
    })
    .unwrap_or_else(|e| panic!("{:?}", miette::Report::new(e)));
    let pkg = package(
        "EPSG:4522",
        &[(
            "tables/P.csv",
            "ID,DLBM,ZYLX\np1,0301,SL\np2,0301,CY\np3,0401,XX\np4,9999,SL\np5,,SL\n",
        )],
    );
    let report = run(pkg.path(), &set);
    assert_eq!(messages(&report), ["DLBM 0301应属 ZYLX SL，实为 CY"]);
    assert_eq!(report.findings[0].feature_ids[0].fid, 1);
}

const LINK_SCHEMA: &str = "schema:
  version: 1
  tables:
    D:
      key: KCBH
      fields:
        KCBH: { type: string }
        XKZH: { type: string }
    L:
      key: [KCBH, XKZH]
      fields:
        KCBH: { type: string }
        XKZH: { type: string }
";

/// A list field is split, and with `paired` a value counts only beside the same pairing value.
#[test]
fn reference_splits_lists_and_matches_pairs() {
    let rule = "reference: { layer: D, field: XKZH, separator: ',', target: L, target_field: XKZH, paired: { field: KCBH, target_field: KCBH } }";
    let (_r, set) = rules(LINK_SCHEMA, &topo_rule(rule));
    let pkg = package(
        "EPSG:4522",
        &[
            ("tables/D.csv", "KCBH,XKZH\nK1,\"C1, C2\"\nK2,C1\nK3,\n"),
            ("tables/L.csv", "KCBH,XKZH\nK1,C1\nK1,C2\nK3,C2\n"),
        ],
    );
    let report = run(pkg.path(), &set);
    assert_eq!(
        messages(&report),
        ["XKZH 为 C1，但 L 中没有 KCBH 为 K2 且 XKZH 为 C1 的记录"]
    );
    assert_eq!(report.findings[0].feature_ids[0].fid, 1);
}

const UNIT_SCHEMA: &str = "schema:
  version: 1
  tables:
    U:
      key: DYH
      fields:
        DYH: { type: string }
        DJDYLX: { type: string }
        GYMJ: { type: number }
        JTMJ: { type: number }
    P:
      key: BSM
      fields:
        BSM: { type: string }
        DYH: { type: string }
        QSXZ: { type: string }
        MJ: { type: number }
";

/// A unit is in a class by a child's code or by its declared area; a unit of one class, a unit
/// the `where` leaves out, and children without a class code are not findings (the last are
/// counted as skipped).
#[test]
fn single_class_finds_units_of_two_classes_by_children_or_declared_areas() {
    let (_dir, set) = rules(
        UNIT_SCHEMA,
        "rules:
  - id: T-1
    title: 混合权属
    class: B
    element: 逻辑一致性
    where: DJDYLX IN ('40', '50')
    single_class:
      layer: U
      key: DYH
      children: P
      child_key: DYH
      field: QSXZ
      area: MJ
      classes:
        - { name: 国有, codes: ['10', '20'], area: GYMJ }
        - { name: 集体, codes: ['30', '40'], area: JTMJ }
",
    );
    let pkg = package(
        "EPSG:4522",
        &[
            (
                "tables/U.csv",
                "DYH,DJDYLX,GYMJ,JTMJ\nu1,40,10,20\nu2,50,0,5\nu3,40,10,2\nu4,21,10,20\n",
            ),
            (
                "tables/P.csv",
                "BSM,DYH,QSXZ,MJ\np1,u1,10,10\np2,u1,30,20\np3,u2,30,5\np4,u3,20,10\np5,u2,,1\np6,u1,99,1\np7,u4,10,10\np8,u4,30,20\n",
            ),
        ],
    );
    let report = run(pkg.path(), &set);
    assert_eq!(
        messages(&report),
        [
            "U u1 混有 国有、集体：国有 P 1 个（p1），MJ 合计 10.00 m²，GYMJ 10.00 m²；集体 P 1 个（p2），MJ 合计 20.00 m²，JTMJ 20.00 m²",
            "U u3 混有 国有、集体：国有 P 1 个（p4），MJ 合计 10.00 m²，GYMJ 10.00 m²；集体 P 0 个，MJ 合计 0.00 m²，JTMJ 2.00 m²",
        ]
    );
    let related: Vec<usize> = report.findings[0]
        .related
        .as_ref()
        .unwrap()
        .feature_ids
        .iter()
        .map(|f| f.fid)
        .collect();
    assert_eq!(related, [0, 1]);
    let coverage = &report.rules[0].coverage;
    assert_eq!(coverage.checked, Some(3));
    let skipped: Vec<(usize, &str)> = coverage
        .skipped
        .iter()
        .map(|s| (s.count, s.reason.as_str()))
        .collect();
    assert_eq!(
        skipped,
        [
            (1, "P 的 QSXZ 不属于任何一类（由代码表规则检查）"),
            (1, "P 的 QSXZ 为空（由非空规则检查）"),
        ]
    );
}

const DOCUMENTS_RULE: &str = "rules:
  - id: T-1
    title: 缺少文档
    class: B
    element: 完整性
    documents: { layer: U, key: DYH, materials: [登记簿, 附图], extensions: [pdf, jpg] }
";

/// Documents are matched by name (extension without case, more `_` parts allowed); a missing
/// one is a finding per unit and material, and every file of docs/ that is no unit's document
/// (another extension, no unit code, a folder, a symlink out of the package) is listed as unread
/// with the reason. Without docs/ the rule does not apply.
#[test]
fn documents_are_matched_by_name_and_the_rest_is_listed() {
    let (_dir, set) = rules(UNIT_SCHEMA, DOCUMENTS_RULE);
    let units = (
        "tables/U.csv",
        "DYH,DJDYLX,GYMJ,JTMJ\nu1,40,1,0\nu2,50,1,0\n",
    );
    let pkg = package(
        "EPSG:4522",
        &[
            units,
            ("docs/u1_登记簿.pdf", "x"),
            ("docs/u1_北山_附图.JPG", "x"),
            ("docs/u2_登记簿.docx", "x"),
            ("docs/说明.pdf", "x"),
            ("docs/sub/u2_附图.jpg", "x"),
        ],
    );
    std::os::unix::fs::symlink("/etc/hostname", pkg.path().join("docs/u2_附图.pdf")).unwrap();
    let report = run(pkg.path(), &set);
    assert_eq!(
        messages(&report),
        [
            "U u2 缺少 登记簿：docs/ 中没有 u2_登记簿.pdf（或 jpg）",
            "U u2 缺少 附图：docs/ 中没有 u2_附图.pdf（或 jpg）",
        ]
    );
    let unread: Vec<(&str, &str)> = report
        .package
        .unread
        .iter()
        .map(|u| (u.path.as_str(), u.reason.as_str()))
        .collect();
    assert_eq!(unread.len(), 4, "{unread:?}");
    assert_eq!(unread[0].0, "docs/sub");
    assert!(unread[0].1.starts_with("is a directory"), "{unread:?}");
    assert_eq!(unread[1].0, "docs/u2_附图.pdf");
    assert!(
        unread[1].1.starts_with("points outside the package"),
        "{unread:?}"
    );
    assert_eq!(
        unread[2..],
        [
            (
                "docs/u2_登记簿.docx",
                "不是登记单元的文档：扩展名不是 pdf、jpg 之一（只按文件名检查，未打开）"
            ),
            (
                "docs/说明.pdf",
                "不是登记单元的文档：文件名不以 U 中的某个 DYH 开头（只按文件名检查，未打开）"
            ),
        ]
    );
    // Nothing of a document is read: none is among the files hashed.
    assert!(report
        .package
        .files
        .iter()
        .all(|f| !f.path.starts_with("docs/")));

    let without = package("EPSG:4522", &[units]);
    let report = run(without.path(), &set);
    assert_eq!(report.rules[0].status, nrqc::finding::Status::NotApplicable);
    assert_eq!(
        report.rules[0].reason.as_deref(),
        Some("成果包未交付可选的 docs/ 文件夹，没有可检查的文档")
    );
}
