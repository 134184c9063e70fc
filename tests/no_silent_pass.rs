//! Nothing passes silently: what a rule skipped is shown next to its verdict in every report,
//! delivered content no rule read is listed, and a package that cannot be read in full still
//! gets a report that says so (exit 2).

use crate::common;

use common::nrqc;
use std::path::Path;
use std::process::Output;

use common::{copy_package, CLEAN, DEFECTIVE};

fn check(pkg: &Path, out: &Path) -> Output {
    nrqc(&[
        "check",
        pkg.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--format",
        "json,md,html,junit",
    ])
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// 永靖县's defective package has one invalid ZRZK parcel: the minimum-area rule cannot measure
/// it and passes on the others. That pass says what it did not check, in every format.
#[test]
fn a_pass_that_skipped_features_says_so_in_every_report() {
    let dir = tempfile::tempdir().unwrap();
    let o = check(Path::new(DEFECTIVE), dir.path());
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_str(&read(&dir.path().join("report.json"))).unwrap();
    let rule = json["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "ZR-T107")
        .unwrap();
    assert_eq!(rule["status"], "passed");
    let zrzk = json["package"]["feature_counts"]["ZRZK"].as_u64().unwrap();
    assert_eq!(
        rule["coverage"],
        serde_json::json!({
            "checked": zrzk - 1,
            "unit": "features",
            "skipped": [{ "count": 1, "unit": "features", "reason": "ZRZK 几何无效" }]
        })
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    let printed = "passed (1 feature not checked: ZRZK 几何无效)";
    assert!(
        stdout.contains(&format!("ZR-T107 [C] {printed}")),
        "{stdout}"
    );
    let words = "通过（1 个要素未检查：ZRZK 几何无效）";
    let md = read(&dir.path().join("report.md"));
    let row = md.lines().find(|l| l.starts_with("| ZR-T107 ")).unwrap();
    assert!(row.contains(words), "{row}");
    assert!(row.contains(&format!("| {} 个要素 |", zrzk - 1)), "{row}");
    let html = read(&dir.path().join("report.html"));
    assert!(
        html.contains("passed (1 feature not checked: ZRZK 几何无效)"),
        "html in English, like the terminal"
    );
    let junit = read(&dir.path().join("junit.xml"));
    assert!(
        junit.contains(&format!(
            "ZR-T107 检查 {} 个要素；1 个要素未检查：ZRZK 几何无效",
            zrzk - 1
        )),
        "junit"
    );
}

/// A column no rule reads is listed as delivered but not inspected.
#[test]
fn delivered_content_no_rule_read_is_listed() {
    let dir = tempfile::tempdir().unwrap();
    let o = check(Path::new(CLEAN), dir.path());
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_str(&read(&dir.path().join("report.json"))).unwrap();
    assert_eq!(
        json["package"]["uninspected"],
        serde_json::json!([{ "layer": "TJ_ZRZYMJ", "path": "tables/TJ_ZRZYMJ.csv", "fields": ["DJDYLXMC"] }])
    );
    let md = read(&dir.path().join("report.md"));
    assert!(
        md.contains("未检查的交付内容：\n\n- TJ_ZRZYMJ（`tables/TJ_ZRZYMJ.csv`）：没有规则检查的字段 DJDYLXMC"),
        "{md}"
    );
}

/// One unreadable layer: the rest is inspected and reported, the layer is an A finding of
/// completeness, the rules that need it did not run, and the exit code is 2.
#[test]
fn an_unreadable_layer_still_gives_a_report() {
    let (_dir, pkg) = copy_package(CLEAN);
    std::fs::remove_file(pkg.join("vector/STBHHX.geojson")).unwrap();
    std::fs::write(
        pkg.join("vector/STBHHX.fgb"),
        b"this is not a flatgeobuf file",
    )
    .unwrap();
    let out = pkg.with_extension("out");
    let o = check(&pkg, &out);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("vector/STBHHX.fgb: STBHHX: not a readable FlatGeobuf file"),
        "{err}"
    );
    let json: serde_json::Value = serde_json::from_str(&read(&out.join("report.json"))).unwrap();
    assert_eq!(json["outcome"], "fail");
    assert_eq!(
        json["package"]["unreadable"][0]["path"],
        "vector/STBHHX.fgb"
    );
    let findings = json["findings"].as_array().unwrap();
    let s000: Vec<_> = findings
        .iter()
        .filter(|f| f["rule_id"] == "ZR-S000")
        .collect();
    assert_eq!(s000.len(), 1, "{findings:#?}");
    assert_eq!(s000[0]["class"], "A");
    assert_eq!(s000[0]["layer"], "STBHHX");
    assert_eq!(s000[0]["measured"]["file"], "vector/STBHHX.fgb");
    let rules = json["rules"].as_array().unwrap();
    let status = |id: &str| rules.iter().find(|r| r["id"] == id).unwrap()["status"].clone();
    // The red-line completeness rule cannot say "missing": it was delivered, unreadable.
    assert_eq!(status("ZR-S004"), "not_run");
    // Everything else was inspected: the units' geometry rule ran and passed.
    assert_eq!(status("ZR-G001"), "passed");
    assert!(read(&out.join("report.md")).contains("无法读取的图层或表"));
}

/// Package format 1.1: a package of tables alone needs no `crs`; one with layers does.
#[test]
fn crs_is_required_only_with_layers() {
    let (_dir, pkg) = copy_package(CLEAN);
    let manifest = read(&pkg.join("package.yaml"));
    let without_crs: String = manifest
        .lines()
        .filter(|l| !l.starts_with("crs:"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(pkg.join("package.yaml"), &without_crs).unwrap();
    let out = pkg.with_extension("out");
    let o = check(&pkg, &out);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("no `crs`: the package delivers the layer"),
        "{err}"
    );

    std::fs::remove_dir_all(pkg.join("vector")).unwrap();
    let o = check(&pkg, &out);
    let err = String::from_utf8_lossy(&o.stderr);
    // Read and inspected: the missing layers are completeness findings, not a manifest error.
    assert_eq!(o.status.code(), Some(1), "{err}");
    let json: serde_json::Value = serde_json::from_str(&read(&out.join("report.json"))).unwrap();
    assert!(json["package"]["manifest"].get("crs").is_none());
    let findings = json["findings"].as_array().unwrap();
    assert!(
        findings.iter().any(|f| f["rule_id"] == "ZR-S001"),
        "{findings:#?}"
    );
}

/// A `.prj` nrqc cannot identify (here a Xian 1980 Gauss-Krüger zone) is a finding of the layer's
/// CRS rule, never a quiet fallback to the manifest's CRS.
#[test]
fn an_unrecognised_prj_is_a_crs_finding() {
    let (_dir, pkg) = copy_package("fixtures/622923_永靖县_defective_shp");
    let prj = r#"PROJCS["Xian_1980_3_Degree_GK_CM_102E",GEOGCS["GCS_Xian_1980",DATUM["D_Xian_1980",SPHEROID["Xian_1980",6378140.0,298.257]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",102.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
    std::fs::write(pkg.join("vector/ZRZK.prj"), prj).unwrap();
    let report = nrqc::inspect(&pkg, &common::builtin(), nrqc::quality::DefectClass::B).unwrap();
    let crs: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.rule_id == "ZR-P003" && f.layer == "ZRZK")
        .collect();
    assert_eq!(crs.len(), 1, "{crs:#?}");
    assert_eq!(crs[0].measured.as_ref().unwrap()["reason"], "unrecognised");
    assert_eq!(crs[0].measured.as_ref().unwrap()["text"], prj);
}
