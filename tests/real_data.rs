//! nrqc against GEOS on boundary files nobody on this project wrote: the national 1:4,000,000
//! counties (`nfgis-4m/BOUNT_poly.shp`, 3,407 records) and provinces (`nfgis-4m/bou2_4p.shp`,
//! 925 records), and the 14 Gansu prefectures of DataV (`datav-geojson/620000_full.json`), all in
//! `../shared/data/real/` (its README says where they come from; they are never copied into the
//! repository, only into a temporary package at run time).
//!
//! Each file becomes the one layer of a package, mapped in `package.yaml`, under a rule set of
//! `geometry_valid`, `no_overlap` (`min_area: 0`) and `no_gaps`, and for the two national files
//! a second `no_gaps` whose `where` leaves a few inland features out, since neither layer has a
//! gap of its own. The expected answers are GEOS's, written by `scripts/real_reference.py` to
//! `tests/data/real/*.json` (see its docstring for how its reading is made the same as nrqc's
//! and how it measures areas): the same invalid features with a compatible reason, the same
//! overlapping pairs and the same gaps, with areas equal to GEOS's geometry measured with the
//! official formula's edges ([`CEA_ABS`], [`CEA_REL`]) and within [`AREA_TOLERANCE`] of it
//! measured with edges straight in lon/lat.
//!
//! There is no difference left to explain in the pairs, gaps or invalid features. The one this
//! test found was the reading of rings: with one clockwise ring and counter-clockwise rings
//! outside it (5 counties, 1 province), nrqc made islands of those rings where GDAL, and so
//! GEOS, makes holes outside the shell; the shapefile reader now follows GDAL. GEOS names the
//! first defect of a feature and nrqc every one, so the reasons are compared as compatible
//! codes, and the holes outside a shell and the parts sharing segments are counted on both
//! sides. The places differ (GEOS gives one point, nrqc one per defect), and all of them lie on
//! the segments the parts share.
//!
//! The data is WGS84 (the shapefiles' `.prj`) or GCJ-02 (DataV) longitude/latitude. The package
//! declares `crs: EPSG:4490`, CGCS2000 longitude/latitude, so that nrqc measures on the CGCS2000
//! ellipsoid as the script does: the datums differ by well under a metre, GCJ-02's offset moves
//! the shapes without changing what overlaps, and the comparison is about algorithms. The layer
//! CRS that the `.prj` declares (WGS84) is not checked here (no `crs` rule). Every feature lies
//! within the longitudes 73–136° and latitudes 3–54° nrqc accepts for China (the extents are
//! 73.45–135.09°E, 6.32–53.56°N), so no feature is skipped as not fitting the CRS, and the test
//! asserts that.

use crate::common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use geo::{Contains, Coord, Geometry};
use nrqc::finding::{Finding, Status, Unit};
use nrqc::quality::DefectClass;
use nrqc::report::Report;
use nrqc::rules::{RuleSet, RuleSources};
use serde_json::Value;

const REAL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/real");

/// nrqc's areas (the official trapezoid formula) against GEOS's geometry measured with the
/// formula's own edge model (`area_cea_m2`, edges straight in the cylindrical equal-area
/// projection): equal up to the 0.01 m² rounding of reported areas, plus a relative 1e-9 for
/// the formula's truncated series.
const CEA_ABS: f64 = 0.005;
const CEA_REL: f64 = 1e-9;

/// nrqc's areas against the same geometry with edges straight in lon/lat (`area_m2`, geodesic
/// area of the densified geometry). On these files' kilometre-long edges the two edge models
/// differ by up to 3.1e-5 relative (bou2_4p, pair 4–60: 1,550,991.40 m² against 1,551,039.54
/// m²); on survey parcels, whose edges are metres long, by nothing measurable.
const AREA_TOLERANCE: f64 = 1e-4;

struct Case {
    /// `tests/data/real/<name>.json`.
    name: &'static str,
    reference: &'static str,
    /// The package directory's name: `<xzqdm>_<xzqmc>`.
    package: &'static str,
    layer: &'static str,
    /// The file the layer is mapped to, then its sidecars, under `../shared/data/real/`.
    files: &'static [&'static str],
    /// Key field and its schema type, then further fields.
    fields: &'static [(&'static str, &'static str)],
}

const BOUNT: Case = Case {
    name: "bount_poly",
    reference: include_str!("data/real/bount_poly.json"),
    package: "100000_全国县级",
    layer: "BOUNT",
    files: &[
        "nfgis-4m/BOUNT_poly.shp",
        "nfgis-4m/BOUNT_poly.shx",
        "nfgis-4m/BOUNT_poly.dbf",
        "nfgis-4m/BOUNT_poly.prj",
    ],
    fields: &[("ADCODE99", "string"), ("NAME99", "string")],
};

const BOU2: Case = Case {
    name: "bou2_4p",
    reference: include_str!("data/real/bou2_4p.json"),
    package: "100000_全国省级",
    layer: "BOU2",
    files: &[
        "nfgis-4m/bou2_4p.shp",
        "nfgis-4m/bou2_4p.shx",
        "nfgis-4m/bou2_4p.dbf",
        "nfgis-4m/bou2_4p.prj",
    ],
    fields: &[("ADCODE99", "integer"), ("NAME", "string")],
};

const GANSU: Case = Case {
    name: "gansu_620000",
    reference: include_str!("data/real/gansu_620000.json"),
    package: "620000_甘肃省",
    layer: "GANSU",
    files: &["datav-geojson/620000_full.json"],
    fields: &[("adcode", "integer"), ("name", "string")],
};

fn real_dir() -> PathBuf {
    let dir = PathBuf::from(REAL);
    assert!(
        dir.join("README.md").is_file(),
        "the third-party test data is missing: expected {} (the shared data directory beside \
         the checkout, ../shared/data/real); these tests compare nrqc with GEOS on it and do not \
         pass without it",
        dir.display()
    );
    dir
}

/// The package (in a temporary directory) and the rule set for `case`.
fn setup(case: &Case) -> (tempfile::TempDir, PathBuf, tempfile::TempDir, RuleSet) {
    let real = real_dir();
    let tmp = tempfile::tempdir().unwrap();
    let pkg = tmp.path().join(case.package);
    std::fs::create_dir_all(pkg.join("vector")).unwrap();
    for file in case.files {
        let from = real.join(file);
        let name = Path::new(file).file_name().unwrap();
        std::fs::copy(&from, pkg.join("vector").join(name))
            .unwrap_or_else(|e| panic!("copying {}: {e}", from.display()));
    }
    let main = Path::new(case.files[0])
        .file_name()
        .unwrap()
        .to_str()
        .unwrap();
    let (xzqdm, xzqmc) = case.package.split_once('_').unwrap();
    std::fs::write(
        pkg.join("package.yaml"),
        format!(
            "xzqdm: \"{xzqdm}\"\nxzqmc: {xzqmc}\nlevel: province\ncrs: EPSG:4490\n\
             layers:\n  {}: vector/{main}\n",
            case.layer
        ),
    )
    .unwrap();

    let rules_dir = tempfile::tempdir().unwrap();
    let fields: String = case
        .fields
        .iter()
        .map(|(f, t)| format!("        {f}: {{ type: {t} }}\n"))
        .collect();
    let schema = format!(
        "schema:\n  version: 1\n  layers:\n    {}:\n      geometry: polygon\n      required: true\n      key: {}\n      fields:\n{fields}",
        case.layer, case.fields[0].0
    );
    // min_area 0: every overlap of positive area is reported, so the area unit of the
    // threshold decides nothing here.
    let mut rules: Vec<(&str, String)> = vec![
        ("R-VALID", "geometry_valid: { layer: L }".into()),
        ("R-OVERLAP", "no_overlap: { layer: L, min_area: 0 }".into()),
        ("R-GAPS", "no_gaps: { layer: L }".into()),
    ];
    let geos: Value = serde_json::from_str(case.reference).unwrap();
    if let Some(keys) = geos["gaps_without"]["keys"].as_array() {
        // The key values as SQL literals: quoted text or bare numbers, as the JSON has them.
        let literals: Vec<String> = keys
            .iter()
            .map(|k| match k {
                Value::String(s) => format!("'{s}'"),
                other => other.to_string(),
            })
            .collect();
        let key = case.fields[0].0;
        rules.push((
            "R-GAPS-WITHOUT",
            format!(
                "where: {key} NOT IN ({})\n    no_gaps: {{ layer: L }}",
                literals.join(", ")
            ),
        ));
    }
    let rules: String = rules
        .iter()
        .map(|(id, kind)| {
            format!(
                "  - id: {id}\n    title: 对照\n    class: B\n    element: 逻辑一致性\n    {}\n",
                kind.replace("layer: L", &format!("layer: {}", case.layer))
            )
        })
        .collect();
    std::fs::write(rules_dir.path().join("schema.yaml"), schema).unwrap();
    std::fs::write(
        rules_dir.path().join("rules.yaml"),
        format!("rules:\n{rules}"),
    )
    .unwrap();
    let set = RuleSet::load(&RuleSources {
        builtin: false,
        dirs: vec![rules_dir.path().to_owned()],
    })
    .unwrap_or_else(|e| panic!("{:?}", miette::Report::new(e)));
    (tmp, pkg, rules_dir, set)
}

struct Run {
    report: Report,
    geos: Value,
}

impl Run {
    fn of(case: &Case) -> Run {
        let (_tmp, pkg, _rules, set) = setup(case);
        let start = Instant::now();
        let report = nrqc::inspect(&pkg, &set, DefectClass::B).unwrap();
        eprintln!(
            "{}: nrqc inspected {} features in {:.3} s",
            case.name,
            report.package.feature_counts[case.layer],
            start.elapsed().as_secs_f64()
        );
        let geos: Value = serde_json::from_str(case.reference).unwrap();
        assert_eq!(
            report.package.feature_counts[case.layer] as u64,
            geos["features"].as_u64().unwrap(),
            "feature count"
        );
        Run { report, geos }
    }

    fn findings(&self, rule: &str) -> Vec<&Finding> {
        self.report
            .findings
            .iter()
            .filter(|f| f.rule_id == rule)
            .collect()
    }

    fn status(&self, rule: &str) -> Status {
        self.report
            .rules
            .iter()
            .find(|r| r.id == rule)
            .unwrap()
            .status
    }

    /// The features GEOS finds invalid.
    fn geos_invalid(&self) -> Vec<usize> {
        self.geos["invalid"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["index"].as_u64().unwrap() as usize)
            .collect()
    }
}

/// The same invalid features as GEOS, each with a compatible reason; every other feature valid.
fn assert_same_invalid(run: &Run) {
    let ours: Vec<(usize, Vec<String>)> = run
        .findings("R-VALID")
        .iter()
        .map(|f| {
            let reasons = f.measured.as_ref().unwrap()["reasons"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_str().unwrap().to_owned())
                .collect();
            (f.feature_ids[0].fid, reasons)
        })
        .collect();
    let fids: Vec<usize> = ours.iter().map(|(fid, _)| *fid).collect();
    assert_eq!(fids, run.geos_invalid(), "invalid features");
    for ((fid, reasons), geos) in ours.iter().zip(run.geos["invalid"].as_array().unwrap()) {
        let code = geos["code"].as_str().unwrap();
        eprintln!("  invalid {fid}: nrqc {reasons:?}, GEOS {}", geos["reason"]);
        assert!(
            reasons
                .iter()
                .any(|r| common::geos_reason_codes(code).contains(&r.as_str())),
            "feature {fid}: nrqc {reasons:?}, GEOS {}",
            geos["reason"]
        );
        // GEOS names a feature's first defect; nrqc every hole outside its shell, and a
        // self-intersection for each part meeting an earlier part along a segment (in these
        // files no part meets two, so that is one per pair). The script counts both.
        for (count, code) in [
            ("holes_outside_shell", "hole_outside_shell"),
            ("part_pairs_sharing_segments", "self_intersection"),
        ] {
            if let Some(want) = geos[count].as_u64() {
                let ours = reasons.iter().filter(|r| *r == code).count();
                assert_eq!(ours as u64, want, "feature {fid}: {count}");
            }
        }
    }
}

/// The topology rules measured every valid feature and skipped exactly the invalid ones, for
/// that reason and no other (none for coordinates outside China): the overlap rule decided
/// every pair of valid features, the gap rule covered every valid feature.
fn assert_skipped_only_invalid(run: &Run, layer: &str) {
    let invalid = run.geos_invalid().len();
    let valid = run.report.package.feature_counts[layer] - invalid;
    for (id, checked, unit) in [
        ("R-OVERLAP", valid * (valid - 1) / 2, Unit::Pairs),
        ("R-GAPS", valid, Unit::Features),
    ] {
        let rule = run.report.rules.iter().find(|r| r.id == id).unwrap();
        assert_eq!(rule.coverage.checked, Some(checked), "{id} checked");
        assert_eq!(rule.coverage.unit, Some(unit), "{id} unit");
        let skipped: Vec<(usize, &str)> = rule
            .coverage
            .skipped
            .iter()
            .map(|s| (s.count, s.reason.as_str()))
            .collect();
        let expected = format!("{layer} 几何无效");
        let want: Vec<(usize, &str)> = if invalid == 0 {
            vec![]
        } else {
            vec![(invalid, expected.as_str())]
        };
        assert_eq!(skipped, want, "{id} skipped");
    }
}

/// Asserts `ours` against both of GEOS's areas in `geos`; returns the relative difference from
/// the lon/lat-straight one.
fn assert_area(what: &str, ours: f64, geos: &Value) -> f64 {
    let cea = geos["area_cea_m2"].as_f64().unwrap();
    let straight = geos["area_m2"].as_f64().unwrap();
    assert!(
        (ours - cea).abs() <= CEA_ABS + CEA_REL * cea,
        "{what}: nrqc {ours} m², GEOS with the formula's edges {cea} m²"
    );
    let relative = (ours - straight).abs() / straight;
    assert!(
        relative <= AREA_TOLERANCE,
        "{what}: nrqc {ours} m², GEOS with lon/lat edges {straight} m²"
    );
    relative
}

fn measured_area(f: &Finding) -> f64 {
    let m = f.measured.as_ref().unwrap();
    assert_eq!(m["unit"], "m2");
    m["area"].as_f64().unwrap()
}

/// nrqc's overlapping pairs and areas, as (a, b) → m².
fn our_overlaps(run: &Run) -> Vec<((usize, usize), f64)> {
    run.findings("R-OVERLAP")
        .iter()
        .map(|f| {
            let a = f.feature_ids[0].fid;
            let b = f.related.as_ref().unwrap().feature_ids[0].fid;
            ((a, b), measured_area(f))
        })
        .collect()
}

fn geos_overlaps(run: &Run) -> Vec<((usize, usize), f64)> {
    run.geos["overlaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                (
                    o["a"].as_u64().unwrap() as usize,
                    o["b"].as_u64().unwrap() as usize,
                ),
                o["area_m2"].as_f64().unwrap(),
            )
        })
        .collect()
}

/// The same pairs in the same order, with the same areas; returns the largest relative
/// difference from the lon/lat-straight areas.
fn assert_same_overlaps(run: &Run) -> f64 {
    let ours = our_overlaps(run);
    let geos = run.geos["overlaps"].as_array().unwrap();
    let pairs = |v: &[((usize, usize), f64)]| v.iter().map(|(p, _)| *p).collect::<Vec<_>>();
    assert_eq!(
        pairs(&ours),
        pairs(&geos_overlaps(run)),
        "overlapping pairs"
    );
    ours.iter()
        .zip(geos)
        .map(|((pair, area), g)| assert_area(&format!("pair {pair:?}"), *area, g))
        .fold(0.0, f64::max)
}

/// Each GEOS gap held by exactly one of nrqc's, with the same area, and no other gaps.
fn assert_same_gaps(run: &Run, rule: &str, geos: &Value) {
    let ours = run.findings(rule);
    let geos = geos.as_array().unwrap();
    assert_eq!(ours.len(), geos.len(), "gap count");
    for g in geos {
        let p = g["point"].as_array().unwrap();
        let point = Coord {
            x: p[0].as_f64().unwrap(),
            y: p[1].as_f64().unwrap(),
        };
        let holding: Vec<&&Finding> = ours
            .iter()
            .filter(|f| match &f.geometry {
                Some(Geometry::MultiPolygon(m)) => m.contains(&point),
                _ => false,
            })
            .collect();
        assert_eq!(holding.len(), 1, "GEOS gap at {point:?}");
        assert_area(&format!("gap at {point:?}"), measured_area(holding[0]), g);
    }
}

fn summary(run: &Run, name: &str, worst: f64) {
    let total = |v: &[((usize, usize), f64)]| v.iter().fold(0.0, |t, (_, a)| t + a);
    eprintln!(
        "{name}: invalid {} (GEOS {}), overlapping pairs {} = {:.2} m² (GEOS {} = {:.2} m², \
         largest relative difference {worst:.2e}), gaps {} (GEOS {})",
        run.findings("R-VALID").len(),
        run.geos_invalid().len(),
        our_overlaps(run).len(),
        total(&our_overlaps(run)),
        geos_overlaps(run).len(),
        total(&geos_overlaps(run)),
        run.findings("R-GAPS").len(),
        run.geos["gaps"].as_array().unwrap().len(),
    );
}

fn compare(case: &Case) -> Run {
    let run = Run::of(case);
    assert_same_invalid(&run);
    assert_skipped_only_invalid(&run, case.layer);
    let worst = assert_same_overlaps(&run);
    assert_same_gaps(&run, "R-GAPS", &run.geos["gaps"]);
    if let Some(without) = run.geos["gaps_without"].as_object() {
        let left_out = without["keys"].as_array().unwrap().len();
        let rule = run
            .report
            .rules
            .iter()
            .find(|r| r.id == "R-GAPS-WITHOUT")
            .unwrap();
        let total = run.report.package.feature_counts[case.layer];
        assert_eq!(
            rule.coverage.checked,
            Some(total - run.geos_invalid().len() - left_out)
        );
        assert_same_gaps(&run, "R-GAPS-WITHOUT", &without["gaps"]);
        eprintln!(
            "{}: without {}: gaps {} = {:.2} m² (GEOS {} = {:.2} m²)",
            case.name,
            without["keys"],
            run.findings("R-GAPS-WITHOUT").len(),
            run.findings("R-GAPS-WITHOUT")
                .iter()
                .map(|f| measured_area(f))
                .sum::<f64>(),
            without["gaps"].as_array().unwrap().len(),
            without["gaps"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g["area_m2"].as_f64().unwrap())
                .sum::<f64>(),
        );
    }
    summary(&run, case.name, worst);
    run
}

/// Five counties are one clockwise ring with counter-clockwise rings outside it (islands wound
/// the wrong way); GDAL, and so nrqc, makes those rings holes, which lie outside the shell.
/// Before nrqc followed GDAL's one-outer-ring rule it read them as islands and found none
/// invalid.
#[test]
fn national_counties_match_geos() {
    let run = compare(&BOUNT);
    assert_eq!(run.geos_invalid(), [2472, 2602, 2749, 2792, 3084]);
    assert_eq!(run.status("R-VALID"), Status::Failed);
    assert_eq!(run.status("R-OVERLAP"), Status::Failed);
    // GEOS finds no hole in the union of the valid counties, and neither does nrqc: the rule
    // evaluated every valid county and passed.
    assert_eq!(run.status("R-GAPS"), Status::Passed);
}

#[test]
fn national_provinces_match_geos() {
    let run = compare(&BOU2);
    assert_eq!(run.geos_invalid(), [898]);
    assert_eq!(run.status("R-VALID"), Status::Failed);
    assert_eq!(run.status("R-OVERLAP"), Status::Failed);
    assert_eq!(run.status("R-GAPS"), Status::Passed);
}

/// Three prefectures are MultiPolygons whose parts share boundary segments: invalid as a whole
/// for GEOS and nrqc alike. The other eleven neither overlap nor leave a hole.
#[test]
fn gansu_prefectures_match_geos() {
    let run = compare(&GANSU);
    assert_eq!(run.geos_invalid(), [0, 7, 8]);
    let reasons: BTreeSet<&str> = run.geos["invalid"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, BTreeSet::from(["Self-intersection"]));
    assert_eq!(run.status("R-OVERLAP"), Status::Passed);
    assert_eq!(run.status("R-GAPS"), Status::Passed);
}
