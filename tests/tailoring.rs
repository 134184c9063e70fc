//! Tailoring a run without copying the rule set: `--select`/`--ignore`, a rule of `+DIR` that
//! replaces the built-in rule of its id, `nrqc rules export`; and a re-run into one `--out`.

use std::path::Path;

use serde_json::Value;

use crate::common::{fingerprints, json, nrqc, nrqc_exits, CLEAN, DEFECTIVE};

fn rule_ids(report: &Value) -> Vec<String> {
    report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn select_and_ignore_run_only_the_chosen_rules_and_list_the_others() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    nrqc_exits(
        1,
        &[
            "check",
            DEFECTIVE,
            "--select",
            "ZR-M,ZR-T105",
            "--ignore",
            "ZR-M01",
            "--format",
            "json,md",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let r = json(&out.join("report.json"));
    let ids = rule_ids(&r);
    assert_eq!(
        ids,
        [
            "ZR-M001", "ZR-M002", "ZR-M003", "ZR-M004", "ZR-M005", "ZR-M006", "ZR-M007", "ZR-M008",
            "ZR-T105"
        ]
    );
    let left_out = r["ruleset"]["left_out"].as_array().unwrap();
    // The cross-package rules, which `nrqc check` never runs, are not listed as left out.
    assert_eq!(left_out.len() + ids.len(), common_rule_count());
    assert!(left_out
        .iter()
        .all(|id| !id.as_str().unwrap().starts_with("ZR-X")));
    assert!(left_out.iter().any(|id| id == "ZR-M010"));
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.contains(&format!(
            "按 --select/--ignore 未运行的规则 {} 条",
            left_out.len()
        )),
        "{md}"
    );
    // A misspelt id selects nothing: it is an error that names it, not a quiet empty run.
    let o = nrqc(&[
        "check",
        DEFECTIVE,
        "--ignore",
        "ZR-M0011",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains(
            "--ignore ZR-M0011: no rule id is or starts with `ZR-M0011`; did you mean `ZR-M011`?"
        ),
        "{stderr}"
    );
}

fn common_rule_count() -> usize {
    crate::common::builtin().rules.len()
}

#[test]
fn a_rule_of_plus_dir_with_a_builtin_id_replaces_it_and_the_report_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("county_rules");
    std::fs::create_dir_all(&dir).unwrap();
    // ZR-M001 with a county's tolerance of 200 m² instead of 0.005 m²: the fixture's 100 m²
    // difference passes.
    std::fs::write(
        dir.join("area_logic.yaml"),
        "rules:\n  - id: ZR-M001\n    title: 单元总面积不等于国有、集体与争议区面积之和（县定容差）\n    class: B\n    element: 面积精度\n    expression:\n      layer: ZRZYDJDY\n      condition: abs(DJDYZMJ - (GYMJ + JTMJ + ZYQMJ)) <= 200\n      message: '差 {DJDYZMJ - (GYMJ + JTMJ + ZYQMJ):+.2} m²，允许 ±200 m²'\n",
    )
    .unwrap();
    let rules = format!("+{}", dir.display());
    let out = tmp.path().join("out");
    nrqc_exits(
        1,
        &[
            "check",
            DEFECTIVE,
            "--rules",
            &rules,
            "--format",
            "json",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let r = json(&out.join("report.json"));
    assert_eq!(
        rule_ids(&r).len(),
        common_rule_count(),
        "replaced, not added"
    );
    let m001 = r["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "ZR-M001")
        .unwrap();
    assert_eq!(m001["status"], "passed");
    assert_eq!(
        m001["title"],
        "单元总面积不等于国有、集体与争议区面积之和（县定容差）"
    );
    let note = m001["notes"][0].as_str().unwrap();
    assert!(
        note.contains("替换了 builtin:area_logic.yaml 中的同号规则"),
        "{note}"
    );
    assert_eq!(r["ruleset"]["replaced"][0]["id"], "ZR-M001");
    assert_eq!(
        r["ruleset"]["replaced"][0]["was"],
        "builtin:area_logic.yaml"
    );

    // Within one directory an id given twice is still an error.
    let text = std::fs::read_to_string(dir.join("area_logic.yaml")).unwrap();
    std::fs::write(dir.join("more.yaml"), text).unwrap();
    let o = nrqc(&["rules", "check", "--rules", &rules]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("duplicate rule id `ZR-M001`"));
}

#[test]
fn rules_export_writes_the_builtin_set_and_never_overwrites() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("mine");
    let o = nrqc(&["rules", "export", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let builtin = nrqc(&["rules", "list"]);
    let exported = nrqc(&["rules", "list", "--rules", dir.to_str().unwrap()]);
    assert_eq!(exported.stdout, builtin.stdout);
    let o = nrqc(&["rules", "export", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr)
        .contains("exists; export into an empty or new directory"));
}

#[test]
fn a_rerun_into_one_out_leaves_no_file_of_the_earlier_run() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = nrqc(&[
        "check",
        DEFECTIVE,
        "--format",
        "json,md,html,junit,layer,xlsx",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(out.join("errors.fgb").is_file() && out.join("report.xlsx").is_file());
    // A file of the user's own in --out is not nrqc's to remove.
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    nrqc_exits(
        0,
        &[
            "check",
            CLEAN,
            "--format",
            "json",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["notes.txt", "report.json"]);
}

/// `nrqc init` on copies of the defective fixture without their package.yaml (FlatGeobuf and
/// GeoJSON; a GeoPackage; shapefiles in GBK without .cpg): the proposal names the CRS the files
/// declare, detects the tables' GBK, and checking with it finds what checking with the original finds.
#[test]
fn init_proposes_a_manifest_that_inspects_like_the_original() {
    let original: Vec<(String, String)> = fingerprints(&crate::common::inspect(DEFECTIVE, 2));
    // Every copy's CSV tables are GBK, as the original's package.yaml says.
    for copy in ["", "_gpkg", "_shp_nocpg"] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("622923_永靖县");
        crate::common::copy_dir(Path::new(&format!("{DEFECTIVE}{copy}")), &dir);
        std::fs::remove_file(dir.join("package.yaml")).unwrap();
        let o = nrqc(&["init", dir.to_str().unwrap()]);
        assert!(
            o.status.success(),
            "{copy}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let text = std::fs::read_to_string(dir.join("package.yaml")).unwrap();
        assert!(
            text.contains("xzqdm: \"622923\"\nxzqmc: 永靖县\nlevel: county\n"),
            "{text}"
        );
        assert!(
            text.contains("crs: EPSG:4522   # 由 6 个图层文件声明"),
            "{copy}: {text}"
        );
        assert!(
            text.contains("# 注意：STBHHX 声明的是 EPSG:4523"),
            "{copy}: {text}"
        );
        assert!(text.contains("encoding: GBK   #"), "{copy}: {text}");
        assert!(text.contains("#   ZRZK: vector/"), "{text}");
        let report = crate::common::inspect(dir.to_str().unwrap(), 2);
        assert_eq!(fingerprints(&report), original, "{copy}");
        // A second init refuses to overwrite.
        let o = nrqc(&["init", dir.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&o.stderr).contains("already has a package.yaml"));
    }
    // A folder not named after its area needs the area given.
    let tmp = tempfile::tempdir().unwrap();
    let o = nrqc(&["init", tmp.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("give --xzqdm CODE --xzqmc NAME"));
}

/// A batch lists the cross-package rules `--ignore` left out; its packages' reports list only
/// rules of one package.
#[test]
fn a_batch_lists_the_cross_package_rules_left_out() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("batch");
    nrqc_exits(
        0,
        &[
            "batch",
            CLEAN,
            "--ignore",
            "ZR-X005,ZR-T105",
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ],
    );
    let batch = json(&out.join("batch.json"));
    assert_eq!(
        batch["ruleset"]["left_out"],
        serde_json::json!(["ZR-T105", "ZR-X005"])
    );
    let county = json(&out.join("622923_永靖县").join("report.json"));
    assert_eq!(
        county["ruleset"]["left_out"],
        serde_json::json!(["ZR-T105"])
    );
}
