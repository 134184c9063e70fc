//! `tiles` and the overlays behind it on many parts: time near-linear in the parts, and an
//! overlay too costly to finish reported as not checked. Packages are made here from the clean
//! fixture, their unit and parcels rewritten as FlatGeobuf.
//!
//! The test build is unoptimised, so time bounds are generous absolute limits plus growth ratios:
//! 4n parts must cost well under the 16 times n of a quadratic step.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::Duration;

use flatgeobuf::{
    FallibleStreamingIterator, FgbCrs, FgbReader, FgbWriter, FgbWriterOptions, GeometryType,
};
use geo::{Contains, Geometry, MultiPolygon, Polygon, Rect};
use geozero::{FeatureProperties, ToGeo};

use crate::common::{check_capped, copy_package, Measured, CLEAN};

/// 徐顶荒地: a wasteland unit of two parcels, linked to no red line.
const UNIT: &str = "6229236000001";

/// Kills a run that has not finished by then: 16,000 parts took 207 s.
const LIMIT: Duration = Duration::from_secs(90);

/// A box inside the unit's outline, where its new parts go.
fn inside_unit() -> Rect<f64> {
    Rect::new((34_627_500.0, 3_995_000.0), (34_633_000.0, 3_998_000.0))
}

/// `n` squares on a grid over `inside_unit`, each half its cell wide, west to east by rows.
fn squares(n: usize) -> Vec<Polygon<f64>> {
    let area = inside_unit();
    let side = (n as f64).sqrt().ceil() as usize;
    let (w, h) = (area.width() / side as f64, area.height() / side as f64);
    (0..n)
        .map(|i| {
            let (x, y) = (
                area.min().x + (i % side) as f64 * w,
                area.min().y + (i / side) as f64 * h,
            );
            Rect::new((x, y), (x + w / 2.0, y + h / 2.0)).to_polygon()
        })
        .collect()
}

/// Rewrites the FlatGeobuf layer `name` of `pkg`: every feature of the unit is dropped and
/// `replace` is written in its place, with the attributes of the unit's first feature; the
/// other features are copied as they are.
fn rewrite(pkg: &Path, name: &str, replace: &Geometry<f64>) {
    let path = pkg.join(format!("vector/{name}.fgb"));
    let bytes = std::fs::read(&path).unwrap();
    let reader = FgbReader::open(std::io::Cursor::new(&bytes)).unwrap();
    let header = reader.header();
    let options = FgbWriterOptions {
        write_index: false,
        crs: FgbCrs {
            code: header.crs().unwrap().code(),
            ..Default::default()
        },
        ..Default::default()
    };
    // Unknown: each feature says whether it is a polygon or a multipolygon.
    let mut out = FgbWriter::create_with_options(name, GeometryType::Unknown, options).unwrap();
    for column in header.columns().unwrap() {
        out.add_column(column.name(), column.type_(), |_, _| {});
    }
    let mut features = reader.select_all_seq().unwrap();
    let mut written = false;
    while let Some(feature) = features.next().unwrap() {
        let ours = feature.property::<String>("ZRZYDJDYH").unwrap() == UNIT;
        if ours && written {
            continue;
        }
        let geometry = if ours {
            replace.clone()
        } else {
            feature.to_geo().unwrap()
        };
        written |= ours;
        out.add_feature_geom(geometry, |w| {
            feature.process_properties(w).unwrap();
        })
        .unwrap();
    }
    assert!(written, "{name} has no feature of unit {UNIT}");
    out.write(&mut BufWriter::new(File::create(&path).unwrap()))
        .unwrap();
}

/// The clean package with unit 徐顶荒地 drawn as a multipolygon of `unit` and its parcels as one
/// feature, a multipolygon of `parcels`.
fn package(unit: Vec<Polygon<f64>>, parcels: Vec<Polygon<f64>>) -> (tempfile::TempDir, PathBuf) {
    let (dir, pkg) = copy_package(CLEAN);
    rewrite(
        &pkg,
        "ZRZYDJDY",
        &Geometry::MultiPolygon(MultiPolygon::new(unit)),
    );
    rewrite(
        &pkg,
        "ZRZK",
        &Geometry::MultiPolygon(MultiPolygon::new(parcels)),
    );
    (dir, pkg)
}

/// Runs `nrqc check` on `pkg`, its address space capped at 4 GiB.
fn check(pkg: &Path) -> Measured {
    check_capped(pkg, LIMIT, 4 << 30, &[])
}

/// A star of `spikes` spikes 1 km long around the middle of the unit: valid, without a
/// crossing, and with every edge's box meeting a quarter of the others, the input that makes
/// overlay quadratic (a comb of 1,000 or 4,000 teeth across one band took 0.12 or 2.0 s to union
/// in a debug build). A star rather than a comb: geo's simplification, which the report's map
/// runs, recurses once per tooth of a comb and overflowed its stack at 3,000 teeth.
fn star(spikes: usize) -> Polygon<f64> {
    let centre = inside_unit().center();
    let ring: Vec<(f64, f64)> = (0..2 * spikes)
        .map(|i| {
            let angle = std::f64::consts::PI * i as f64 / spikes as f64;
            let r = if i % 2 == 0 { 50.0 } else { 1_000.0 };
            (centre.x + r * angle.cos(), centre.y + r * angle.sin())
        })
        .collect();
    Polygon::new(ring.into(), vec![])
}

/// The report of the run on `pkg`.
fn report(pkg: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(pkg.with_file_name("out").join("report.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The rule of each finding, sorted.
fn finding_rules(report: &serde_json::Value) -> Vec<&str> {
    let mut rules: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    rules.sort();
    rules
}

fn rule<'r>(report: &'r serde_json::Value, id: &str) -> &'r serde_json::Value {
    report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap()
}

/// The area attributes of the redrawn unit and parcel no longer match their geometry; that is
/// all that is wrong besides what a test leaves out.
const AREA_FINDINGS: [&str; 7] = [
    "ZR-M004", "ZR-M005", "ZR-M010", "ZR-M015", "ZR-M018", "ZR-T002", "ZR-T002",
];

/// A unit of 20,000 parts tiled by one parcel of as many costs about 4 times one of 5,000: each
/// part is compared with the unit's parts near it (an R-tree), not all of them, and the union of
/// scattered parts is one overlay. Each part was compared with the whole unit: 4,000 parts took
/// 14.6 s and 16,000 took 207 s. One part left uncovered is found.
#[test]
fn tiles_on_many_parts_costs_near_linear_time() {
    let parcels = |n: usize| squares(n).into_iter().skip(1).collect();
    let (_a, small) = package(squares(5_000), parcels(5_000));
    let (_b, large) = package(squares(20_000), parcels(20_000));
    let s = check(&small);
    let l = check(&large);
    for (m, pkg) in [(&s, &small), (&l, &large)] {
        assert_eq!(m.output.status.code(), Some(1));
        let report = report(pkg);
        let mut expected = AREA_FINDINGS.to_vec();
        expected.push("ZR-T103");
        expected.sort();
        assert_eq!(finding_rules(&report), expected);
        let gap = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule_id"] == "ZR-T103")
            .unwrap();
        assert_eq!(gap["layer"], "ZRZYDJDY");
        assert_eq!(gap["feature_ids"][0]["key"], UNIT);
        let tiles = rule(&report, "ZR-T103");
        assert_eq!(tiles["coverage"]["checked"], 11, "{tiles}");
        assert!(tiles["coverage"].get("skipped").is_none(), "{tiles}");
        assert!(m.peak_mib < 600, "{} MiB", m.peak_mib);
    }
    assert!(l.wall < Duration::from_secs(60), "{:?}", l.wall);
    let ratio = l.wall.as_secs_f64() / s.wall.as_secs_f64();
    assert!(
        ratio < 8.0,
        "4x parts took {ratio:.1}x ({:?} vs {:?})",
        l.wall,
        s.wall
    );
}

/// A parcel of 3,000 spikes: the edges of its union meet in millions of box pairs, far over the
/// budget of 64 per edge, so its unit's gaps are not computed and the rule says so next to its
/// verdict; its overhang is decided without overlay and is checked.
#[test]
fn a_star_too_complex_to_overlay_is_reported_not_checked() {
    let unit = inside_unit().to_polygon();
    assert!(unit.contains(&star(3_000)));
    let (_d, pkg) = package(vec![unit], vec![star(3_000)]);
    let m = check(&pkg);
    assert_eq!(m.output.status.code(), Some(1));
    let report = report(&pkg);
    assert_eq!(finding_rules(&report), AREA_FINDINGS);
    let tiles = rule(&report, "ZR-T103");
    assert_eq!(tiles["status"], "passed", "{tiles}");
    assert_eq!(tiles["coverage"]["checked"], 11, "{tiles}");
    assert_eq!(
        tiles["coverage"]["skipped"],
        serde_json::json!([{
            "count": 1,
            "unit": "features",
            "reason": "ZRZK 与所属 ZRZYDJDY 边界过于复杂，缝隙的叠加运算超出预算"
        }])
    );
    let md = std::fs::read_to_string(pkg.with_file_name("out").join("report.md")).unwrap();
    assert!(
        md.contains("1 个要素未检查：ZRZK 与所属 ZRZYDJDY 边界过于复杂，缝隙的叠加运算超出预算"),
        "{md}"
    );
    // Most of it is geometry_valid on the star (debug build).
    assert!(m.wall < Duration::from_secs(45), "{:?}", m.wall);
}
