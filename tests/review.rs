//! The review lifecycle: fingerprints that survive formats and thread counts, exceptions (例外),
//! `--baseline` and `nrqc diff` over an inspection, a producer's fixes and a re-inspection (复检).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::common::{
    copy_dir, inspect, json, nrqc, nrqc_exits, COUNTIES, DEFECTIVE, MISSING_LAYERS,
};

/// (rule, fingerprint) of every finding of the package at `path`, sorted.
fn fingerprints(path: &str, threads: usize) -> Vec<(String, String)> {
    crate::common::fingerprints(&inspect(path, threads))
}

fn ogr2ogr_available() -> bool {
    Command::new("ogr2ogr").arg("--version").output().is_ok()
}

/// `scripts/format_copy.sh FORMAT SRC DST`: the copy GDAL's ogr2ogr writes.
fn format_copy(format: &str, src: &str, dst: &Path) {
    let out = Command::new("sh")
        .args(["scripts/format_copy.sh", format, src])
        .arg(dst)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "format_copy.sh {format} {src}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `scripts/zip_fixture.py`: the zip a Chinese Windows archiver writes (GBK entry names).
fn zip_copy(src: &str, tmp: &Path) -> std::path::PathBuf {
    let folder = tmp.join(Path::new(src).file_name().unwrap());
    copy_dir(Path::new(src), &folder);
    let out = Command::new("python3")
        .arg("scripts/zip_fixture.py")
        .arg(&folder)
        .output()
        .expect("python3 runs scripts/zip_fixture.py");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    folder.with_extension("zip")
}

#[test]
fn fingerprints_are_the_same_in_every_format_and_thread_count() {
    assert!(
        ogr2ogr_available(),
        "ogr2ogr is needed to write the copies (Debian: gdal-bin; scripts/test installs it)"
    );
    let mut fixtures: Vec<String> = COUNTIES
        .iter()
        .flat_map(|c| [format!("fixtures/{c}"), format!("fixtures/{c}_defective")])
        .collect();
    fixtures.push(MISSING_LAYERS.to_owned());
    let mut compared = 0;
    for fixture in &fixtures {
        let tmp = tempfile::tempdir().unwrap();
        let original = fingerprints(fixture, 1);
        if fixture.ends_with("_defective") {
            assert!(!original.is_empty(), "{fixture}: no findings to compare");
        }
        let mut copies: Vec<(String, String)> = vec![("--jobs 4".into(), fixture.clone())];
        for format in ["gpkg", "shp"] {
            let dst = tmp
                .path()
                .join(format)
                .join(Path::new(fixture).file_name().unwrap());
            format_copy(format, fixture, &dst);
            copies.push((format.into(), dst.to_string_lossy().into_owned()));
        }
        let zip = zip_copy(fixture, &tmp.path().join("zip"));
        copies.push(("zip".into(), zip.to_string_lossy().into_owned()));
        for (what, path) in copies {
            let threads = if what == "--jobs 4" { 4 } else { 2 };
            assert_eq!(
                fingerprints(&path, threads),
                original,
                "{fixture}: the {what} copy's fingerprints differ"
            );
            compared += original.len();
        }
    }
    // The committed copies of 永靖县 (GDAL-written, and the .dbf without .cpg).
    let original = fingerprints(DEFECTIVE, 3);
    for copy in ["_gpkg", "_shp", "_shp_nocpg", ".zip"] {
        assert_eq!(
            fingerprints(&format!("{DEFECTIVE}{copy}"), 2),
            original,
            "{copy}"
        );
    }
    assert!(compared > 300, "only {compared} fingerprints compared");
}

/// The fingerprint of the one finding of `rule` in report `r`.
fn fingerprint_of(r: &Value, rule: &str) -> String {
    let found: Vec<&Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == rule)
        .collect();
    assert_eq!(found.len(), 1, "{rule}");
    found[0]["fingerprint"].as_str().unwrap().to_owned()
}

/// Replaces `from` by `to` (once, and it must be there) in a file of the package copy.
fn edit(package: &Path, file: &str, from: &[u8], to: &[u8]) {
    let path = package.join(file);
    let bytes = std::fs::read(&path).unwrap();
    let at = bytes
        .windows(from.len())
        .position(|w| w == from)
        .unwrap_or_else(|| panic!("{file} has no {}", String::from_utf8_lossy(from)));
    assert!(
        bytes[at + 1..].windows(from.len()).all(|w| w != from),
        "{file}: {} is there twice",
        String::from_utf8_lossy(from)
    );
    let mut out = bytes[..at].to_vec();
    out.extend_from_slice(to);
    out.extend_from_slice(&bytes[at + from.len()..]);
    std::fs::write(path, out).unwrap();
}

fn counts(v: &Value) -> BTreeMap<String, i64> {
    v.as_object()
        .unwrap()
        .iter()
        .filter_map(|(k, n)| Some((k.clone(), n.as_i64()?)))
        .collect()
}

/// `nrqc check PACKAGE --format json --out OUT EXTRA…`, asserting exit code 1 (every package
/// checked here has findings); its report.json.
fn check_json(package: &str, out: &Path, extra: &[&str]) -> Value {
    let args = [
        &[
            "check",
            package,
            "--format",
            "json",
            "--out",
            out.to_str().unwrap(),
        ][..],
        extra,
    ]
    .concat();
    nrqc_exits(1, &args);
    json(&out.join("report.json"))
}

#[test]
fn inspect_except_fix_reinspect_and_diff() {
    let tmp = tempfile::tempdir().unwrap();
    let first = tmp.path().join("first");
    let r1 = check_json(DEFECTIVE, &first, &[]);
    assert_eq!(r1["counts"]["findings"], 48);

    // The producer asks for two findings to be accepted as exceptions; the inspector writes
    // them without typing a fingerprint.
    let exceptions = tmp.path().join("exceptions.yaml");
    let (d005, m019) = (
        fingerprint_of(&r1, "ZR-D005"),
        fingerprint_of(&r1, "ZR-M019"),
    );
    let out = nrqc(&[
        "exceptions",
        "add",
        exceptions.to_str().unwrap(),
        "--report",
        first.to_str().unwrap(),
        "--fingerprint",
        &d005,
        "--rule",
        "ZR-M019",
        "--reason",
        "经县政府确认，权利行使方式按批复执行",
        "--by",
        "张三",
        "--date",
        "2025-11-20",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = std::fs::read_to_string(&exceptions).unwrap();
    assert_eq!(written.matches("  - fingerprint: ").count(), 2, "{written}");
    assert!(written.contains(&format!("fingerprint: {d005}")) && written.contains(&m019));

    // The producer fixes three defects in a copy and brings in a new one.
    let fixed = tmp.path().join("622923_永靖县_defective");
    copy_dir(Path::new(DEFECTIVE), &fixed);
    // ZR-F004: the control zone now names a red-line zone that exists.
    edit(
        &fixed,
        "tables/GGGZ.csv",
        b",62292319999,",
        b",62292310001,",
    );
    // ZR-P004 (declared_mismatch): the red-line layer declares the package's CRS.
    edit(
        &fixed,
        "vector/STBHHX.geojson",
        b"EPSG::4523",
        b"EPSG::4522",
    );
    // ZR-T001: the 合计 row's forest total is the sum of its rows again.
    edit(&fixed, "tables/TJ_ZRZYMJ.csv", b",2410.44,", b",2409.44,");
    // New: a control record of a unit that does not exist.
    edit(
        &fixed,
        "tables/GGGZ.csv",
        b"6229232300001,",
        b"6229232300009,",
    );

    let second = tmp.path().join("second");
    nrqc_exits(
        1,
        &[
            "check",
            fixed.to_str().unwrap(),
            "--format",
            "json",
            "--exceptions",
            exceptions.to_str().unwrap(),
            "--baseline",
            first.join("report.json").to_str().unwrap(),
            "--out",
            second.to_str().unwrap(),
        ],
    );
    let r2 = json(&second.join("report.json"));
    let applied = &r2["exceptions"];
    assert_eq!(
        (applied["entries"].as_i64(), applied["applied"].as_i64()),
        (Some(2), Some(2))
    );
    assert_eq!(applied["stale"], serde_json::json!([]));
    let excepted: Vec<&str> = r2["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f.get("exception").is_some())
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert_eq!(excepted, ["ZR-D005", "ZR-M019"]);
    let baseline = &r2["baseline"];
    let gone: Vec<&str> = baseline["fixed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert_eq!(gone, ["ZR-F004", "ZR-P004", "ZR-T001"]);
    let new: Vec<&str> = r2["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["baseline"] == "new")
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        new,
        ["ZR-F003"],
        "the unit code of the edited control record"
    );
    assert_eq!(baseline["new"], 1);
    assert_eq!(baseline["persisting"], 45);
    assert_eq!(r2["counts"]["findings"], 46);
    assert_eq!(r2["counts"]["excepted"], 2);

    // The grade by hand (GB/T 24356-2023 formula (4), t = 1; the five inspected elements weigh
    // 1/5 each, sub-elements equally within their element):
    //   空间参考系/坐标系统: A 3 → 2 (ZR-P004 fixed): S₁ −26 → 100 − 42×2 = 16; element +42
    //   属性精度/分类与代码 (1/3): B 4 → 3 (ZR-D005 excepted): 52 → 64; element +4
    //   面积精度/面积量算与平衡 (1/2): B 14 → 13 (ZR-M019 excepted): −68 → −56; element +6
    //   逻辑一致性/统计汇总 (1/6): B 4 → 3 (ZR-T001 fixed): 52 → 64; element +2
    //   逻辑一致性/标识码: B 6 → 6 (ZR-F004 fixed, ZR-F003 new)
    //   unit: 551/15 + (42 + 4 + 6 + 2)/5 = 551/15 + 162/15 = 713/15 ≈ 47.53, still 不合格
    //   (A-class findings remain, and 713/15 < 60).
    assert_eq!(r1["grading"]["score"], "551/15");
    assert_eq!(r2["grading"]["score"], "713/15");
    assert_eq!(r2["grading"]["grade"], "unqualified");
    let sub = |r: &Value, element: &str, sub: &str| -> Value {
        let e = r["grading"]["elements"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["element"] == element)
            .unwrap();
        let s = e["sub_elements"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["sub_element"] == sub);
        s.unwrap()["score"].clone()
    };
    assert_eq!(sub(&r2, "空间参考系", "坐标系统"), "16");
    assert_eq!(sub(&r2, "属性精度", "分类与代码"), "64");
    assert_eq!(sub(&r2, "面积精度", "面积量算与平衡"), "-56");
    assert_eq!(sub(&r2, "逻辑一致性", "统计汇总"), "64");

    // Under the strict profile the two exceptions are listed but count: 713/15 − (4 + 6)/5.
    let strict = tmp.path().join("strict");
    let r3 = check_json(
        fixed.to_str().unwrap(),
        &strict,
        &[
            "--profile",
            "strict",
            "--exceptions",
            exceptions.to_str().unwrap(),
        ],
    );
    assert_eq!(r3["grading"]["score"], "683/15");
    assert_eq!(r3["counts"]["excepted"], 2);
    let marks: Vec<&Value> = r3["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f.get("exception"))
        .collect();
    assert!(marks.iter().all(|m| m["counted"] == true), "{marks:?}");

    let diff = tmp.path().join("diff");
    let out = nrqc(&[
        "diff",
        first.to_str().unwrap(),
        second.to_str().unwrap(),
        "--out",
        diff.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "a new finding: exit 1");
    let d = json(&diff.join("diff.json"));
    let expected: BTreeMap<String, i64> = [("fixed", 3), ("new", 1), ("open", 43), ("excepted", 2)]
        .map(|(k, n)| (k.to_owned(), n))
        .into();
    assert_eq!(counts(&d["total"]), expected);
    assert_eq!(
        counts(&d["by_class"]["A"]),
        [("fixed", 1), ("new", 0), ("open", 4), ("excepted", 0)]
            .map(|(k, n)| (k.to_owned(), n))
            .into()
    );
    assert_eq!(
        (&d["old"]["score"], &d["new"]["score"]),
        (&Value::from("551/15"), &Value::from("713/15"))
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("unqualified 36.73 → unqualified 47.53"),
        "{stdout}"
    );
    assert!(
        stdout.contains("fixed 3, new 1, still open 43, excepted 2"),
        "{stdout}"
    );
    let md = std::fs::read_to_string(diff.join("diff.md")).unwrap();
    assert!(md.contains("## 新增问题（1 处）"), "{md}");
    assert!(
        md.contains("| ZR-F004 | 公共管制关联的红线分区不存在 | B | 1 | 0 | 0 | 0 |"),
        "{md}"
    );
    let html = std::fs::read_to_string(diff.join("diff.html")).unwrap();
    assert!(html.contains("<h2>已改正（3 处）</h2>"), "{html}");

    // The same comparison with nothing new exits 0.
    let out = nrqc(&["diff", second.to_str().unwrap(), second.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
}

/// An exceptions file is checked like a rule file, and its entries that cover nothing are
/// listed, each with why: expired, gone, of another rule, or a second entry for one finding.
#[test]
fn exceptions_are_checked_listed_when_stale_and_found_in_the_package() {
    let tmp = tempfile::tempdir().unwrap();
    let first = tmp.path().join("first");
    let r1 = check_json(DEFECTIVE, &first, &[]);
    let (d001, n001) = (
        fingerprint_of(&r1, "ZR-D001"),
        fingerprint_of(&r1, "ZR-N001"),
    );

    // No reason: a diagnostic at the entry's line, and nothing is written.
    let bad = tmp.path().join("bad.yaml");
    std::fs::write(
        &bad,
        format!("exceptions:\n  - fingerprint: {d001}\n    by: 张三\n    date: 2025-11-20\n"),
    )
    .unwrap();
    let out = tmp.path().join("out");
    let o = nrqc(&[
        "check",
        DEFECTIVE,
        "--exceptions",
        bad.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("this exception has no `reason`"),
        "{stderr}"
    );
    assert!(stderr.contains("bad.yaml:2:"), "{stderr}");

    // The SOURCE_DATE_EPOCH of the tests is 2025-11-28.
    let entries = [
        (d001.as_str(), "ZR-D001", "", ""),           // applies
        (d001.as_str(), "ZR-D001", "", ""),           // the same finding again
        (n001.as_str(), "ZR-N001", "2025-11-27", ""), // expired the day before
        (n001.as_str(), "ZR-N002", "", ""),           // names another rule
        ("0123456789abcdef", "ZR-M001", "", ""),      // no such finding
        (n001.as_str(), "ZR-N001", "", "622901"),     // for another county
    ];
    let mut text = String::from("exceptions:\n");
    for (fp, rule, expires, scope) in entries {
        text.push_str(&format!(
            "  - fingerprint: {fp}\n    rule: {rule}\n    reason: 已核实\n    by: 张三\n    date: 2025-11-20\n"
        ));
        if !expires.is_empty() {
            text.push_str(&format!("    expires: {expires}\n"));
        }
        if !scope.is_empty() {
            text.push_str(&format!("    scope: \"{scope}\"\n"));
        }
    }
    // Found at the package's root, in a copy (inputs are never written).
    let package = tmp.path().join("622923_永靖县_defective");
    copy_dir(Path::new(DEFECTIVE), &package);
    std::fs::write(package.join("exceptions.yaml"), &text).unwrap();
    nrqc_exits(
        1,
        &[
            "check",
            package.to_str().unwrap(),
            "--format",
            "json,md,html",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let r = json(&out.join("report.json"));
    let x = &r["exceptions"];
    assert!(x["file"]
        .as_str()
        .unwrap()
        .ends_with("622923_永靖县_defective/exceptions.yaml"));
    assert_eq!(
        (x["entries"].as_i64(), x["applied"].as_i64()),
        (Some(6), Some(1))
    );
    assert_eq!(x["out_of_scope"], 1);
    let stale: Vec<(i64, &str)> = x["stale"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["line"].as_i64().unwrap(), s["why"].as_str().unwrap()))
        .collect();
    assert_eq!(
        stale,
        [
            (7, "与第 2 行的例外指向同一问题"),
            (12, "已于 2025-11-27 到期"),
            (18, "此指纹的问题属于规则 ZR-N001，例外写的是 ZR-N002"),
            (23, "本次检查没有此指纹的问题：已改正，或问题所涉要素已变"),
        ]
    );
    // Read and hashed as a file of the package.
    let files: Vec<&str> = r["package"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(files.contains(&"exceptions.yaml"), "{files:?}");
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("例外：已核实（张三，2025-11-20）"), "{md}");
    assert!(md.contains("4 条失效：第 7 行"), "{md}");
    // report.html follows --lang (English here), report.md is Chinese.
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("exception: 已核实 (张三, 2025-11-20)"),
        "html"
    );
    // The same file inside a zip of the package is found too.
    let zipped = zip_copy(package.to_str().unwrap(), &tmp.path().join("zip"));
    let zout = tmp.path().join("zout");
    let z = check_json(zipped.to_str().unwrap(), &zout, &[]);
    assert_eq!(z["exceptions"]["applied"], 1);
    assert!(z["exceptions"]["file"]
        .as_str()
        .unwrap()
        .ends_with(".zip/exceptions.yaml"));
}

/// A county's exceptions.yaml holds in `nrqc batch` as in `nrqc check`.
#[test]
fn a_packages_exceptions_hold_in_a_batch() {
    let tmp = tempfile::tempdir().unwrap();
    let first = tmp.path().join("first");
    let d001 = fingerprint_of(&check_json(DEFECTIVE, &first, &[]), "ZR-D001");
    let package = tmp.path().join("delivered").join("622923_永靖县_defective");
    copy_dir(Path::new(DEFECTIVE), &package);
    std::fs::write(
        package.join("exceptions.yaml"),
        format!("exceptions:\n  - fingerprint: {d001}\n    reason: 已核实\n    by: 张三\n    date: 2025-11-20\n"),
    )
    .unwrap();
    let out = tmp.path().join("batch");
    nrqc_exits(
        1,
        &[
            "batch",
            tmp.path().join("delivered").to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ],
    );
    let r = json(&out.join("622923_永靖县_defective").join("report.json"));
    assert_eq!(r["exceptions"]["applied"], 1);
    assert_eq!(r["counts"]["excepted"], 1);
}

/// The report of a run that could not inspect its package has nothing to compare: `diff` and
/// `exceptions add` say so, and exit 2.
#[test]
fn a_failed_runs_report_is_refused_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    let failed = tmp.path().join("failed");
    let missing = tmp.path().join("no_such_package");
    let o = nrqc(&[
        "check",
        missing.to_str().unwrap(),
        "--out",
        failed.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    for args in [
        vec!["diff", failed.to_str().unwrap(), failed.to_str().unwrap()],
        vec![
            "exceptions",
            "add",
            "x.yaml",
            "--report",
            failed.to_str().unwrap(),
            "--rule",
            "ZR",
            "--reason",
            "r",
            "--by",
            "b",
        ],
    ] {
        let o = nrqc(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(
            stderr.contains("is the report of a run that could not inspect the package"),
            "{stderr}"
        );
    }
    assert!(!Path::new("x.yaml").exists());
}

/// The package's exceptions.yaml is read as its other files are: a symlink out of the package
/// is refused, naming the file, not followed.
#[test]
fn an_exceptions_file_linking_out_of_the_package_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let package = tmp.path().join("622923_永靖县_defective");
    copy_dir(Path::new(DEFECTIVE), &package);
    let outside = tmp.path().join("elsewhere.yaml");
    std::fs::write(&outside, "exceptions:\n").unwrap();
    std::os::unix::fs::symlink(&outside, package.join("exceptions.yaml")).unwrap();
    let out = tmp.path().join("out");
    let o = nrqc(&[
        "check",
        package.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("exceptions.yaml"), "{stderr}");
}
