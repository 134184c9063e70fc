//! Units are units: a lon/lat (EPSG:4490) package is measured in m² and metres on the
//! ellipsoid like a Gauss-Krüger one, never in square degrees; coordinates that do not fit
//! the declared CRS are a `crs` finding and a counted skip on every measuring rule; and the
//! spatial checks count what they compared and what they could not, so none passes without
//! checking.
//!
//! The lon/lat package is the clean 永靖县 package with every vertex inverse-projected from
//! zone 34 (in memory). The defects injected into it, and their areas and widths, come from
//! `scripts/lonlat_reference.py` (shapely overlay, pyproj's geodesic area and perimeter on the
//! CGCS2000 ellipsoid), recorded in `tests/data/lonlat_reference.json`.
//!
//! Tolerance, measured: on the rectangles nrqc's official trapezoid formula and pyproj's
//! geodesic area of the same polygons segmentized to 1e-5° agree to within the reports'
//! rounding to the cent (at most 0.0045 m² on 2–8 km², below 1e-9 relative). On the overlap
//! of ZR-T108, bounded in part by a slanted 1.1 km edge, they differ by 0.84 m² (2.0e-7): the
//! formula takes each edge's mean longitude over its latitude span, exact on meridians and
//! parallels only. Areas may differ by 5e-7 relative plus 0.005 m². The sliver's width, 0.538 m,
//! may differ by 1e-3 m, the reports' rounding.

use std::path::Path;

use geo::{Geometry, MapCoords};
use nrqc::engine::run_one;
use nrqc::finding::RuleRun;
use nrqc::finding::{Finding, Skipped, Status, Unit};
use nrqc::geom::crs::Crs;
use nrqc::package::{Dataset, Frame};
use nrqc::rules::{RuleSet, RuleSources};
use polars::prelude::*;
use serde_json::Value;

use crate::common;

fn reference() -> Value {
    let text = std::fs::read_to_string("tests/data/lonlat_reference.json").unwrap();
    serde_json::from_str(&text).unwrap()
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("{v} is not a number"))
}

/// The clean package, loaded once per test, as delivered.
fn clean() -> (Dataset, RuleSet) {
    let rules = common::builtin();
    let dataset = nrqc::package::load(Path::new(common::CLEAN), &rules.schema).unwrap();
    (dataset, rules)
}

/// The clean package in EPSG:4490: every vertex inverse-projected from its zone.
fn lonlat() -> (Dataset, RuleSet) {
    let (mut dataset, rules) = clean();
    let zone = Crs::from_epsg(dataset.manifest.epsg.unwrap()).unwrap();
    for frame in dataset.frames.values_mut() {
        let Some(column) = &mut frame.geometry else {
            continue;
        };
        for g in column.geoms.iter_mut().flatten() {
            *g = g.map_coords(|c| {
                let (lon, lat) = zone.to_lonlat(c.x, c.y);
                geo::coord! { x: lon, y: lat }
            });
        }
        column.crs.epsg = Some(4490);
        column.crs.text = Some("urn:ogc:def:crs:EPSG::4490".into());
    }
    dataset.manifest.epsg = Some(4490);
    dataset.manifest.crs = Some("EPSG:4490".into());
    (dataset, rules)
}

fn frame_mut<'a>(dataset: &'a mut Dataset, layer: &str) -> &'a mut Frame {
    dataset.frames.get_mut(layer).unwrap()
}

/// The row of `layer` whose `field` is `key`.
fn row_of(dataset: &Dataset, layer: &str, field: &str, key: &str) -> usize {
    let frame = dataset.frame(layer).unwrap();
    (0..frame.len())
        .find(|&r| frame.text(field, r).as_deref() == Some(key))
        .unwrap_or_else(|| panic!("{layer} has no {field} = {key}"))
}

/// Sets one value (`None`: null) of a column, keeping the column's type.
fn set(frame: &mut Frame, row: usize, field: &str, value: Option<&str>) {
    let column = frame.df.column(field).unwrap();
    let dtype = column.dtype().clone();
    let mut values: Vec<AnyValue<'static>> = (0..column.len())
        .map(|i| column.get(i).unwrap().into_static())
        .collect();
    values[row] = match value {
        None => AnyValue::Null,
        Some(v) => AnyValue::StringOwned(v.into()),
    };
    let series = Series::from_any_values_and_dtype(field.into(), &values, &dtype, true).unwrap();
    frame.df.with_column(series.into_column()).unwrap();
}

/// Appends a copy of the feature whose `field` is `like`, with `values` changed and the
/// geometry `wkt` (lon/lat).
fn append(
    dataset: &mut Dataset,
    layer: &str,
    field: &str,
    like: &str,
    values: &[(&str, &str)],
    wkt: &str,
) {
    use wkt::TryFromWkt;
    let row = row_of(dataset, layer, field, like);
    let frame = frame_mut(dataset, layer);
    let copy = frame.df.slice(row as i64, 1);
    frame.df.vstack_mut(&copy).unwrap();
    let new = frame.len() - 1;
    for (name, value) in values {
        set(frame, new, name, Some(value));
    }
    let geometry = Geometry::try_from_wkt_str(wkt).unwrap();
    frame.geometry.as_mut().unwrap().geoms.push(Some(geometry));
}

fn delete(frame: &mut Frame, row: usize) {
    let keep: BooleanChunked = (0..frame.len()).map(|i| i != row).collect();
    frame.df = frame.df.filter(&keep).unwrap();
    frame.geometry.as_mut().unwrap().geoms.remove(row);
}

fn rule<'a>(rules: &'a RuleSet, id: &str) -> &'a nrqc::rules::Rule {
    rules.rule(id).unwrap_or_else(|| panic!("no rule {id}"))
}

fn keys(f: &Finding) -> Vec<String> {
    f.feature_ids
        .iter()
        .map(|i| i.key.clone().unwrap_or_default())
        .collect()
}

fn related(f: &Finding) -> Vec<String> {
    f.related
        .iter()
        .flat_map(|r| {
            r.feature_ids
                .iter()
                .map(|i| i.key.clone().unwrap_or_default())
        })
        .collect()
}

/// An area reported in m² (rounded to the cent) against pyproj's.
fn assert_area(reported: &Value, expected: &Value, what: &str) {
    let (r, e) = (num(reported), num(expected));
    assert!(
        (r - e).abs() <= 5e-7 * e + 0.005,
        "{what}: nrqc {r} m², pyproj {e} m² (relative {:.2e})",
        (r - e).abs() / e
    );
}

fn failed(outcome: &RuleRun) -> &[Finding] {
    assert_eq!(outcome.status, Status::Failed, "{outcome:?}");
    &outcome.findings
}

#[test]
fn the_lonlat_package_is_clean_for_the_topology_rules() {
    let (dataset, rules) = lonlat();
    // Not ZR-R001: GGGZ's MJ are the areas of the overlaps as drawn in zone 34, and where two
    // boundaries cross, straight edges through the same vertices in lon/lat cross elsewhere
    // (72 to 967 m² on the fixture's three 17–25 km² overlaps). Feature areas, taken over the
    // same vertices, are the same: ZR-M005 compares them.
    for id in [
        "ZR-T101", "ZR-T102", "ZR-T103", "ZR-T104", "ZR-T105", "ZR-T108", "ZR-R002", "ZR-M005",
        "ZR-P002",
    ] {
        let outcome = run_one(&dataset, &rules, rule(&rules, id));
        assert!(
            outcome.findings.is_empty() && outcome.coverage.skipped.is_empty(),
            "{id}: {:?} {:?}\n{:#?}",
            outcome.status,
            outcome.coverage,
            outcome
                .findings
                .iter()
                .map(|f| &f.message)
                .collect::<Vec<_>>()
        );
    }
}

#[test]
fn no_overlap_reports_a_lonlat_overlap_of_square_kilometres_in_m2() {
    let r = &reference()["no_overlap"];
    let (mut dataset, rules) = lonlat();
    for unit in r["units"].as_array().unwrap() {
        let key = unit["key"].as_str().unwrap();
        append(
            &mut dataset,
            "ZRZYDJDY",
            "ZRZYDJDYH",
            "6229234000001",
            &[("ZRZYDJDYH", key)],
            unit["wkt"].as_str().unwrap(),
        );
    }
    let outcome = run_one(&dataset, &rules, rule(&rules, "ZR-T108"));
    let findings = failed(&outcome);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(
        (keys(&findings[0]), related(&findings[0])),
        (vec!["6229234000901".into()], vec!["6229234000902".into()])
    );
    assert_area(
        &findings[0].measured.as_ref().unwrap()["area"],
        &r["overlap_m2"],
        "ZR-T108 overlap",
    );
    assert_eq!(findings[0].measured.as_ref().unwrap()["unit"], "m2");
    // Every pair of units outside the protected areas and the minerals is decided, whatever
    // their types.
    let units = dataset.frame("ZRZYDJDY").unwrap();
    let compared = (0..units.len())
        .filter(|&row| {
            let t = units.text("DJDYLX", row);
            !matches!(t.as_deref(), Some("11" | "12" | "13" | "70"))
        })
        .count();
    let pairs = compared * (compared - 1) / 2;
    assert_eq!(
        (outcome.coverage.checked, outcome.coverage.unit),
        (Some(pairs), Some(Unit::Pairs))
    );
}

#[test]
fn no_overlap_with_reports_a_lonlat_overlap_in_m2() {
    let r = &reference()["no_overlap_with"];
    let (mut dataset, rules) = lonlat();
    let (forest, reserve) = (&r["forest"], &r["reserve"]);
    append(
        &mut dataset,
        "ZRZYDJDY",
        "ZRZYDJDYH",
        "6229234000001",
        &[("ZRZYDJDYH", forest["key"].as_str().unwrap())],
        forest["wkt"].as_str().unwrap(),
    );
    append(
        &mut dataset,
        "ZRZYDJDY",
        "ZRZYDJDYH",
        "6229231300001",
        &[("ZRZYDJDYH", reserve["key"].as_str().unwrap())],
        reserve["wkt"].as_str().unwrap(),
    );
    let outcome = run_one(&dataset, &rules, rule(&rules, "ZR-T102"));
    let findings = failed(&outcome);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(
        (keys(&findings[0]), related(&findings[0])),
        (vec!["6229234000903".into()], vec!["6229231300901".into()])
    );
    assert_area(
        &findings[0].measured.as_ref().unwrap()["area"],
        &r["overlap_m2"],
        "ZR-T102 overlap",
    );
    assert_eq!(outcome.coverage.unit, Some(Unit::Pairs));
}

#[test]
fn overlap_link_reports_a_lonlat_overlap_without_its_row_in_m2() {
    let r = &reference()["overlap_link"];
    let (mut dataset, rules) = lonlat();
    let (unit, zone) = (&r["unit"], &r["zone"]);
    append(
        &mut dataset,
        "ZRZYDJDY",
        "ZRZYDJDYH",
        "6229234000001",
        &[("ZRZYDJDYH", unit["key"].as_str().unwrap())],
        unit["wkt"].as_str().unwrap(),
    );
    let zones = dataset.frame("STBHHX").unwrap();
    let fixture: Vec<String> = (0..zones.len())
        .filter_map(|r| zones.text("HXBM", r))
        .collect();
    append(
        &mut dataset,
        "STBHHX",
        "HXBM",
        &fixture[0],
        &[("HXBM", zone["key"].as_str().unwrap())],
        zone["wkt"].as_str().unwrap(),
    );
    // Only the new zone: the fixture's overlaps were measured in zone 34 (see above), and rows
    // naming a zone that is not delivered are left to the `reference` rules.
    for key in &fixture {
        let row = row_of(&dataset, "STBHHX", "HXBM", key);
        delete(frame_mut(&mut dataset, "STBHHX"), row);
    }
    let outcome = run_one(&dataset, &rules, rule(&rules, "ZR-R001"));
    let findings = failed(&outcome);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(
        (keys(&findings[0]), related(&findings[0])),
        (vec!["6229234000904".into()], vec!["62292310901".into()])
    );
    assert_area(
        &findings[0].measured.as_ref().unwrap()["overlap_area"],
        &r["overlap_m2"],
        "ZR-R001 overlap",
    );
    assert_eq!(outcome.coverage.unit, Some(Unit::Pairs));
}

#[test]
fn tiles_and_no_overlap_report_lonlat_gaps_overhangs_and_overlaps_in_m2() {
    let r = &reference()["tiles"];
    let (mut dataset, rules) = lonlat();
    let unit = r["unit"]["key"].as_str().unwrap();
    append(
        &mut dataset,
        "ZRZYDJDY",
        "ZRZYDJDYH",
        "6229234000001",
        &[("ZRZYDJDYH", unit)],
        r["unit"]["wkt"].as_str().unwrap(),
    );
    let parcels = r["parcels"].as_array().unwrap();
    for p in parcels {
        append(
            &mut dataset,
            "ZRZK",
            "BSM",
            "6229232021000001",
            &[("BSM", p["key"].as_str().unwrap()), ("ZRZYDJDYH", unit)],
            p["wkt"].as_str().unwrap(),
        );
    }
    let parcel = |i: usize| parcels[i]["key"].as_str().unwrap().to_owned();
    let outcome = run_one(&dataset, &rules, rule(&rules, "ZR-T103"));
    let findings = failed(&outcome);
    let found: Vec<(Vec<String>, Vec<String>)> =
        findings.iter().map(|f| (keys(f), related(f))).collect();
    assert_eq!(
        found,
        vec![
            (vec![unit.to_owned()], vec![]),
            (vec![parcel(0)], vec![unit.to_owned()]),
            (vec![parcel(1)], vec![parcel(2)]),
        ]
    );
    let measured = |i: usize, field: &str| findings[i].measured.as_ref().unwrap()[field].clone();
    assert_area(&measured(0, "gap_area"), &r["gap_m2"], "ZR-T103 gap");
    assert_area(
        &measured(1, "outside_area"),
        &r["overhang_m2"],
        "ZR-T103 overhang",
    );
    assert_area(&measured(2, "area"), &r["overlap_m2"], "ZR-T103 overlap");

    let outcome = run_one(&dataset, &rules, rule(&rules, "ZR-T105"));
    let findings = failed(&outcome);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(
        (keys(&findings[0]), related(&findings[0])),
        (vec![parcel(1)], vec![parcel(2)])
    );
    assert_area(
        &findings[0].measured.as_ref().unwrap()["area"],
        &r["overlap_m2"],
        "ZR-T105 overlap",
    );
}

/// The built-in rules with one more rule file.
fn with_rule(yaml: &str) -> (tempfile::TempDir, RuleSet) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("extra.yaml"), yaml).unwrap();
    let rules = RuleSet::load(&RuleSources {
        builtin: true,
        dirs: vec![dir.path().to_owned()],
    })
    .unwrap_or_else(|e| panic!("{:?}", miette::Report::new(e)));
    (dir, rules)
}

#[test]
fn no_gaps_measures_lonlat_widths_in_metres() {
    let r = &reference()["no_gaps"];
    let (mut dataset, _) = lonlat();
    let unit = r["unit"].as_str().unwrap();
    for p in r["parcels"].as_array().unwrap() {
        append(
            &mut dataset,
            "ZRZK",
            "BSM",
            "6229232021000001",
            &[("BSM", p["key"].as_str().unwrap()), ("ZRZYDJDYH", unit)],
            p["wkt"].as_str().unwrap(),
        );
    }
    let (_dir, rules) = with_rule(&format!(
        "rules:\n  - id: X-G01\n    title: 图斑缝隙\n    class: B\n    element: 逻辑一致性\n    where: ZRZYDJDYH = '{unit}'\n    no_gaps: {{ layer: ZRZK, max_width: 1.0 }}\n"
    ));
    let outcome = run_one(&dataset, &rules, rule(&rules, "X-G01"));
    let findings = failed(&outcome);
    // The sliver only: the 36 m wide strip is wider than max_width.
    let sliver = &r["gaps"][0];
    assert!(num(&sliver["width_m"]) < 1.0 && num(&r["gaps"][1]["width_m"]) > 30.0);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let m = findings[0].measured.as_ref().unwrap();
    assert_area(&m["area"], &sliver["area_m2"], "sliver area");
    let width = num(&sliver["width_m"]);
    assert!(
        (num(&m["width"]) - width).abs() <= 1e-3,
        "width {} m, pyproj {width} m",
        m["width"]
    );
    assert_eq!(
        findings[0].message,
        format!(
            "覆盖缝隙 {:.2} m²，宽 {width:.2} m",
            num(&sliver["area_m2"])
        )
    );
}

#[test]
fn min_area_measures_a_lonlat_parcel_in_m2() {
    let r = &reference()["min_area"];
    let (mut dataset, rules) = lonlat();
    let key = r["parcel"]["key"].as_str().unwrap();
    append(
        &mut dataset,
        "ZRZK",
        "BSM",
        "6229232021000001",
        &[("BSM", key)],
        r["parcel"]["wkt"].as_str().unwrap(),
    );
    let outcome = run_one(&dataset, &rules, rule(&rules, "ZR-T107"));
    let findings = failed(&outcome);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(keys(&findings[0]), vec![key.to_owned()]);
    assert_area(
        &findings[0].measured.as_ref().unwrap()["area"],
        &r["area_m2"],
        "ZR-T107 area",
    );
}

fn skipped(outcome: &RuleRun) -> Vec<(usize, Unit, &str)> {
    outcome
        .coverage
        .skipped
        .iter()
        .map(
            |Skipped {
                 count,
                 unit,
                 reason,
             }| (*count, *unit, reason.as_str()),
        )
        .collect()
}

#[test]
fn swapped_lonlat_axes_are_a_crs_finding_and_a_counted_skip() {
    let (mut dataset, rules) = lonlat();
    let row = row_of(&dataset, "ZRZYDJDY", "ZRZYDJDYH", "6229234000001");
    let g = frame_mut(&mut dataset, "ZRZYDJDY")
        .geometry
        .as_mut()
        .unwrap()
        .geoms[row]
        .as_mut()
        .unwrap();
    *g = g.map_coords(|c| geo::coord! { x: c.y, y: c.x });
    let outcome = run_one(&dataset, &rules, rule(&rules, "ZR-P002"));
    let findings = failed(&outcome);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(keys(&findings[0]), vec!["6229234000001".to_owned()]);
    assert_eq!(
        findings[0].measured.as_ref().unwrap()["reason"],
        "swapped_axes"
    );
    let misfit = (1, Unit::Features, "ZRZYDJDY 坐标与坐标系不符");
    for id in [
        "ZR-T108", "ZR-T102", "ZR-T103", "ZR-T104", "ZR-R001", "ZR-M005",
    ] {
        let outcome = run_one(&dataset, &rules, rule(&rules, id));
        assert!(
            skipped(&outcome).contains(&misfit),
            "{id}: {:?}",
            outcome.coverage
        );
    }
}

#[test]
fn coordinates_beyond_the_zone_band_are_a_crs_finding_and_a_counted_skip() {
    let (mut dataset, rules) = clean();
    let row = row_of(&dataset, "ZRZK", "BSM", "6229232021000001");
    // 250 km east: still prefixed 34, but about 106°E, beyond zone 34's band and its margin.
    let g = frame_mut(&mut dataset, "ZRZK")
        .geometry
        .as_mut()
        .unwrap()
        .geoms[row]
        .as_mut()
        .unwrap();
    *g = g.map_coords(|c| geo::coord! { x: c.x + 250_000.0, y: c.y });
    let outcome = run_one(&dataset, &rules, rule(&rules, "ZR-P003"));
    let findings = failed(&outcome);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(keys(&findings[0]), vec!["6229232021000001".to_owned()]);
    assert_eq!(
        findings[0].measured.as_ref().unwrap()["reason"],
        "outside_band"
    );
    let misfit = (1, Unit::Features, "ZRZK 坐标与坐标系不符");
    for id in ["ZR-T103", "ZR-T105", "ZR-T107"] {
        let outcome = run_one(&dataset, &rules, rule(&rules, id));
        assert!(
            skipped(&outcome).contains(&misfit),
            "{id}: {:?}",
            outcome.coverage
        );
    }
    // The unit whose parcel cannot be measured is not tiled, and says so.
    let outcome = run_one(&dataset, &rules, rule(&rules, "ZR-T103"));
    assert!(
        skipped(&outcome).contains(&(1, Unit::Features, "ZRZYDJDY 含无法量算的 ZRZK")),
        "{:?}",
        outcome.coverage
    );
}

#[test]
fn every_layer_of_the_schema_has_a_crs_rule() {
    let rules = common::builtin();
    let layers: Vec<&String> = rules
        .schema
        .layers
        .iter()
        .filter(|(_, d)| d.geometry.is_some())
        .map(|(n, _)| n)
        .collect();
    assert!(layers.len() >= 7, "{layers:?}");
    for layer in layers {
        assert!(
            rules
                .rules
                .iter()
                .any(|r| r.kind == "crs" && r.check.frame().value == *layer),
            "no crs rule checks {layer}"
        );
    }
}

#[test]
fn no_overlap_with_an_empty_other_side_is_not_applicable() {
    // A package without nature reserves: ZR-T102 has no pair to compare.
    let (mut dataset, rules) = clean();
    for key in ["6229231200001", "6229231300001"] {
        let row = row_of(&dataset, "ZRZYDJDY", "ZRZYDJDYH", key);
        set(
            frame_mut(&mut dataset, "ZRZYDJDY"),
            row,
            "DJDYLX",
            Some("50"),
        );
    }
    let outcome = run_one(&dataset, &rules, rule(&rules, "ZR-T102"));
    assert_eq!(outcome.status, Status::NotApplicable, "{outcome:?}");
    assert_eq!(
        (outcome.coverage.checked, outcome.coverage.unit),
        (Some(0), Some(Unit::Pairs))
    );
}

#[test]
fn tiles_counts_a_unit_without_key_as_skipped() {
    let (mut dataset, rules) = clean();
    let units = dataset.frame("ZRZYDJDY").unwrap().len();
    let row = row_of(&dataset, "ZRZYDJDY", "ZRZYDJDYH", "6229236000001");
    set(frame_mut(&mut dataset, "ZRZYDJDY"), row, "ZRZYDJDYH", None);
    let outcome = run_one(&dataset, &rules, rule(&rules, "ZR-T103"));
    assert_eq!(outcome.status, Status::Passed, "{outcome:?}");
    assert_eq!(
        skipped(&outcome),
        vec![(1, Unit::Features, "ZRZYDJDY 的 ZRZYDJDYH 为空")]
    );
    assert_eq!(
        (outcome.coverage.checked, outcome.coverage.unit),
        (Some(units - 1), Some(Unit::Features))
    );
}

#[test]
fn overlap_link_counts_a_row_without_area_as_skipped() {
    let (mut dataset, rules) = clean();
    let table = dataset.frame("GGGZ").unwrap();
    let row = (0..table.len())
        .find(|&r| {
            table.text("ZRZYDJDYH", r).as_deref() == Some("6229231200001")
                && table.text("GGGZFQBSM", r).as_deref() == Some("62292310001")
        })
        .unwrap();
    set(frame_mut(&mut dataset, "GGGZ"), row, "MJ", None);
    let outcome = run_one(&dataset, &rules, rule(&rules, "ZR-R001"));
    assert_eq!(outcome.status, Status::Passed, "{outcome:?}");
    assert_eq!(
        skipped(&outcome),
        vec![(1, Unit::Rows, "GGGZ 记录的 MJ 为空")]
    );
}

#[test]
fn crs_counts_a_feature_without_geometry_as_skipped() {
    let (mut dataset, rules) = clean();
    let row = row_of(&dataset, "ZRZK", "BSM", "6229232021000001");
    frame_mut(&mut dataset, "ZRZK")
        .geometry
        .as_mut()
        .unwrap()
        .geoms[row] = None;
    let parcels = dataset.frame("ZRZK").unwrap().len();
    let outcome = run_one(&dataset, &rules, rule(&rules, "ZR-P003"));
    assert_eq!(outcome.status, Status::Passed, "{outcome:?}");
    assert_eq!(
        skipped(&outcome),
        vec![(1, Unit::Features, "ZRZK 没有几何")]
    );
    assert_eq!(outcome.coverage.checked, Some(parcels - 1));
}

#[test]
fn geometry_valid_measures_lonlat_segments_in_metres() {
    // A 100 m square at 36.4°N whose top edge ends in a 0.1 m segment (degrees from the
    // ellipsoid's metres per degree there: 89 740 east, 110 960 north, to 0.1 %).
    let (x0, y0, dx, dy) = (104.2, 36.4, 100.0 / 89_740.0, 100.0 / 110_960.0);
    let step = 0.1 / 89_740.0;
    let wkt = format!(
        "POLYGON(({x0} {y0},{x1} {y0},{x1} {y1},{xs} {y1},{x0} {y1},{x0} {y0}))",
        x1 = x0 + dx,
        y1 = y0 + dy,
        xs = x0 + step,
    );
    let (mut dataset, _) = lonlat();
    append(
        &mut dataset,
        "ZRZK",
        "BSM",
        "6229232021000001",
        &[("BSM", "6229232021009301")],
        &wkt,
    );
    let (_dir, rules) = with_rule(
        "rules:\n  - id: X-G02\n    title: 短线\n    class: C\n    element: 逻辑一致性\n    where: BSM = '6229232021009301'\n    geometry_valid: { layer: ZRZK, min_segment: 0.2 }\n",
    );
    let outcome = run_one(&dataset, &rules, rule(&rules, "X-G02"));
    let findings = failed(&outcome);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let m = findings[0].measured.as_ref().unwrap();
    assert_eq!(m["reasons"], serde_json::json!(["short_segment"]));
    // The short segment's midpoint, in lon/lat; in degrees every edge would be shorter than 0.2.
    let at = m["at"].as_array().unwrap();
    assert_eq!(at.len(), 1, "{m}");
    assert!(
        (num(&at[0][0]) - (x0 + step / 2.0)).abs() < 1e-9
            && (num(&at[0][1]) - (y0 + dy)).abs() < 1e-9,
        "{m}"
    );
}

#[test]
fn area_sum_counts_a_unit_without_its_declared_area_as_skipped() {
    let (mut dataset, rules) = clean();
    let units = dataset.frame("ZRZYDJDY").unwrap().len();
    let row = row_of(&dataset, "ZRZYDJDY", "ZRZYDJDYH", "6229234000001");
    set(frame_mut(&mut dataset, "ZRZYDJDY"), row, "DJDYZMJ", None);
    let outcome = run_one(&dataset, &rules, rule(&rules, "ZR-M010"));
    assert_eq!(outcome.status, Status::Passed, "{outcome:?}");
    assert_eq!(
        skipped(&outcome),
        vec![(1, Unit::Features, "ZRZYDJDY 的 DJDYZMJ 为空")]
    );
    assert_eq!(
        (outcome.coverage.checked, outcome.coverage.unit),
        (Some(units - 1), Some(Unit::Features))
    );
}
