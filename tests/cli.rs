//! The `nrqc` binary: exit codes, reports on disk, and errors people can act on.

use crate::common;

use common::nrqc;
use std::path::Path;
use std::process::Output;

use common::*;

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `nrqc check` on a damaged copy: it must fail with exit 2 and an error containing `needle`,
/// never a panic. Returns stderr.
fn check_fails_reading(pkg: &Path, needle: &str) -> String {
    let out = pkg.with_extension("out");
    let o = nrqc(&[
        "check",
        pkg.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains(needle), "{err}");
    err
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn defective_package_exits_1_and_writes_its_reports() {
    let out = tempfile::tempdir().unwrap();
    let o = nrqc(&[
        "check",
        DEFECTIVE,
        "--lang",
        "zh",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("：不合格（GB/T 24356-2023 评定，S = "),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("\n退出码 1："), "{}", stdout(&o));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("report.json")).unwrap()).unwrap();
    assert_eq!(json["schema"], "nrqc-report/1");
    assert_eq!(json["generated_at"], "2025-11-28T00:00:00Z");
    let md = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    assert!(md.starts_with("# 质量检查报告：永靖县（622923）"));
    let html = std::fs::read_to_string(out.path().join("report.html")).unwrap();
    assert!(html.contains("<h1>质量检查报告：永靖县（622923）</h1>"));
    // No temporary file is left behind by the atomic writes.
    let names: Vec<_> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
}

#[test]
fn clean_package_exits_0() {
    let out = tempfile::tempdir().unwrap();
    let o = nrqc(&[
        "check",
        CLEAN,
        "--out",
        out.path().to_str().unwrap(),
        "--jobs",
        "1",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
}

#[test]
fn fail_on_a_lets_b_findings_pass_but_not_a() {
    // The defective package has A-class findings (ZR-O001), so even --fail-on A fails it.
    let out = tempfile::tempdir().unwrap();
    let o = nrqc(&[
        "check",
        DEFECTIVE,
        "--out",
        out.path().to_str().unwrap(),
        "--fail-on",
        "A",
    ]);
    assert_eq!(o.status.code(), Some(1));
}

/// `--rules DIR` without `+` replaces the built-in schema too; the diagnostic says that `+DIR`
/// adds, and the same directory with `+` loads.
#[test]
fn rules_dir_without_plus_says_that_plus_adds() {
    let o = nrqc(&["rules", "check", "--rules", "tests/rules/doc_extra"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        err.contains("the rule set has no schema.yaml, so it declares no layer"),
        "{err}"
    );
    assert!(err.contains("`--rules +DIR` adds DIR to them"), "{err}");
    let o = nrqc(&["rules", "check", "--rules", "+tests/rules/doc_extra"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn misspelt_field_gets_a_diagnostic_with_line_and_column() {
    let o = nrqc(&["rules", "check", "--rules", "+tests/rules/misspelt_field"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("tests/rules/misspelt_field/ownership.yaml:8:43"),
        "{err}"
    );
    insta::assert_snapshot!("misspelt_field_diagnostic", err);
}

#[test]
fn bad_where_and_unknown_kind_are_both_reported() {
    let o = nrqc(&["rules", "check", "--rules", "+tests/rules/bad_where"]);
    assert_eq!(o.status.code(), Some(2));
    insta::assert_snapshot!("bad_where_diagnostic", stderr(&o));
}

/// A misspelt rule key is named with what it was meant to be, not only as the field it left
/// missing.
#[test]
fn a_misspelt_rule_key_is_named() {
    let o = nrqc(&["rules", "check", "--rules", "+tests/rules/misspelt_key"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("unknown key `titel`: did you mean `title`?"),
        "{err}"
    );
    assert!(err.contains("tests/rules/misspelt_key/a.yaml:3:"), "{err}");
}

/// A condition's message is linted like the condition: a misspelt field inside `{…}`, a `{`
/// left open, and no message at all are each a diagnostic at the rule's line.
#[test]
fn expression_messages_are_linted() {
    let o = nrqc(&["rules", "check", "--rules", "+tests/rules/bad_message"]);
    assert_eq!(o.status.code(), Some(2));
    insta::assert_snapshot!("bad_message_diagnostic", stderr(&o));
}

#[test]
fn builtin_rules_lint_clean_and_list() {
    let o = nrqc(&["rules", "check"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = nrqc(&["rules", "list"]);
    let list = stdout(&o);
    let n = builtin().rules.len();
    assert_eq!(list.lines().count(), n);
    assert!(
        list.lines()
            .any(|l| l == "ZR-U001\tpattern\tB\t逻辑一致性\t登记单元号格式错误"),
        "{list}"
    );
}

#[test]
fn truncated_flatgeobuf_is_a_short_error_and_exit_2() {
    let (_dir, pkg) = copy_package(CLEAN);
    let fgb = pkg.join("vector/ZRZK.fgb");
    let bytes = std::fs::read(&fgb).unwrap();
    std::fs::write(&fgb, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let err = check_fails_reading(&pkg, "vector/ZRZK.fgb: ZRZK");
    assert!(err.contains("truncated or corrupt FlatGeobuf"), "{err}");
    assert!(err.lines().count() < 10, "{err}");
}

#[test]
fn garbage_flatgeobuf_is_an_error() {
    let (_dir, pkg) = copy_package(CLEAN);
    std::fs::write(pkg.join("vector/XZQ.fgb"), b"this is not a flatgeobuf file").unwrap();
    check_fails_reading(&pkg, "vector/XZQ.fgb: XZQ: not a readable FlatGeobuf file");
}

#[test]
fn missing_manifest_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let err = check_fails_reading(dir.path(), "no package.yaml here");
    assert!(!err.contains("nrqc batch"), "{err}");
}

/// A path that is not there is named as such, not as a folder without package.yaml.
#[test]
fn a_path_that_does_not_exist_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let err = check_fails_reading(
        &dir.path().join("622923_永靖县"),
        "622923_永靖县: does not exist",
    );
    assert!(!err.contains("package.yaml here"), "{err}");
}

/// `check` pointed at a folder of packages says how many it holds and suggests `batch`.
#[test]
fn a_folder_of_packages_suggests_batch() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["622923_永靖县", "622901_临夏市"] {
        std::fs::create_dir(dir.path().join(name)).unwrap();
        std::fs::write(dir.path().join(name).join("package.yaml"), "").unwrap();
    }
    std::fs::write(dir.path().join("622921_临夏县.zip"), b"PK").unwrap();
    std::fs::write(dir.path().join("notes.txt"), b"").unwrap();
    let err = check_fails_reading(dir.path(), "no package.yaml here");
    let flat = err.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains(
            "this folder holds 3 packages (622901_临夏市, 622921_临夏县.zip, 622923_永靖县)"
        ),
        "{err}"
    );
    assert!(
        flat.contains(&format!("`nrqc batch {}`", dir.path().display())),
        "{err}"
    );
}

/// The terminal names report.html when it was written, so that it can be opened.
#[test]
fn the_terminal_names_report_html() {
    let out = tempfile::tempdir().unwrap();
    let report = out.path().join("r");
    let args = [
        "check",
        CLEAN,
        "--lang",
        "zh",
        "--out",
        report.to_str().unwrap(),
    ];
    let o = nrqc(&[&args[..], &["--format", "html"]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let line = format!("网页报告：{}", report.join("report.html").display());
    assert!(text.contains(&line), "{text}");
    assert!(report.join("report.html").is_file());
    let o = nrqc(&[&args[..], &["--format", "json"]].concat());
    assert!(!stdout(&o).contains("网页报告"), "{}", stdout(&o));
}

#[test]
fn bad_manifest_value_points_at_it() {
    let (_dir, pkg) = copy_package(CLEAN);
    let manifest = std::fs::read_to_string(pkg.join("package.yaml")).unwrap();
    std::fs::write(
        pkg.join("package.yaml"),
        manifest.replace("EPSG:4522", "CGCS2000"),
    )
    .unwrap();
    let err = check_fails_reading(&pkg, "crs `CGCS2000` is not of the form EPSG:<code>");
    assert!(err.contains("package.yaml:5:6"), "{err}");
}

#[test]
fn table_in_the_wrong_encoding_names_file_and_line() {
    let (_dir, pkg) = copy_package(CLEAN);
    let manifest = std::fs::read_to_string(pkg.join("package.yaml")).unwrap();
    std::fs::write(
        pkg.join("package.yaml"),
        manifest.replace("encoding: GBK\n", ""),
    )
    .unwrap();
    check_fails_reading(&pkg, "tables/GGGZ.csv: GGGZ: line 2: not valid UTF-8");
}

#[test]
fn feature_with_a_mistyped_field_names_feature_and_field() {
    let (_dir, pkg) = copy_package(CLEAN);
    let path = pkg.join("vector/STBHHX.geojson");
    let json = std::fs::read_to_string(&path).unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&json).unwrap();
    value["features"][1]["properties"]["MJ"] = "很大".into();
    std::fs::write(&path, value.to_string()).unwrap();
    let err = check_fails_reading(&pkg, "vector/STBHHX.geojson: STBHHX, feature 1, field MJ");
    assert!(err.contains("a string value where earlier"), "{err}");
}

#[test]
fn missing_required_layer_is_an_a_finding_and_its_rules_do_not_run() {
    let (_dir, pkg) = copy_package(CLEAN);
    std::fs::remove_file(pkg.join("vector/XZQ.fgb")).unwrap();
    let rules = builtin();
    let report = nrqc::inspect(Path::new(&pkg), &rules, nrqc::quality::DefectClass::B).unwrap();
    let s003: Vec<_> = report.findings_of("ZR-S003").collect();
    assert_eq!(s003.len(), 1);
    assert_eq!(s003[0].class, nrqc::quality::DefectClass::A);
    let g003 = report.rules.iter().find(|r| r.id == "ZR-G003").unwrap();
    assert_eq!(g003.status, nrqc::finding::Status::NotRun);
    assert_eq!(report.outcome, nrqc::report::Outcome::Fail);
}

#[test]
fn self_check_reports_c_and_d_as_warnings() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().to_str().unwrap();
    let o = nrqc(&[
        "check",
        DEFECTIVE,
        "--out",
        dir,
        "--profile",
        "self-check",
        "--lang",
        "zh",
    ]);
    // A and B findings still fail a self-check.
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("report.json")).unwrap())
            .unwrap();
    assert_eq!(json["profile"]["name"], "self-check");
    assert_eq!(json["profile"]["warn"], serde_json::json!(["C", "D"]));
    let md = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    assert!(
        md.contains("- 检查方案：生产单位自检（self-check）"),
        "{md}"
    );
    assert!(md.contains(
        "| ZR-O004 | 直接行使的登记单元填写了代理行使主体 | C | 属性精度 | 权属属性 | 警告 | 1 个要素 | 1 |"
    ), "{md}");
    assert!(stdout(&o).contains("ZR-O004 [C] 警告"), "{}", stdout(&o));
}

/// Under --fail-on D a C finding fails a county acceptance but is only a warning in a
/// self-check.
#[test]
fn warning_classes_never_fail_the_package() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().to_str().unwrap();
    let run = |profile: &str| {
        nrqc(&[
            "check",
            CLEAN,
            "--rules",
            "+tests/rules/c_finding",
            "--out",
            dir,
            "--fail-on",
            "D",
            "--profile",
            profile,
            "--lang",
            "zh",
        ])
    };
    assert_eq!(run("county").status.code(), Some(1));
    let o = run("self-check");
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("X-C001 [C] 警告"), "{}", stdout(&o));
}

/// The verdict is the GB/T 24356-2023 grade and `--fail-on` only sets the exit code: a package
/// whose eleven B findings put one sub-element at 100 − 12×11 = −32 is 不合格 in every report,
/// and exits 0 under `--fail-on A`, each report saying why with the relation.
#[test]
fn the_grade_is_the_verdict_and_fail_on_the_exit_code() {
    let out = tempfile::tempdir().unwrap();
    let o = nrqc(&[
        "check",
        CLEAN,
        "--rules",
        "+tests/rules/b_findings",
        "--lang",
        "zh",
        "--fail-on",
        "A",
        "--format",
        "json,md,html,junit",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let gate = "退出码 0：没有 A 类问题，规则均已运行（--fail-on A）；\
                --fail-on 只决定 nrqc check 的退出码，不改变评定";
    let printed = stdout(&o);
    assert!(
        printed.starts_with(&format!(
            "622923_永靖县 (永靖县)：不合格（GB/T 24356-2023 评定，S = 86.80）\n{gate}\n"
        )),
        "{printed}"
    );
    let md = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    assert!(
        md.contains(&format!(
            "- 结论：**不合格**（GB/T 24356-2023 评定，S = 86.80，计算见“质量评分”）\n- {gate}\n"
        )),
        "{md}"
    );
    assert!(!md.contains("通过**"), "{md}");
    let html = std::fs::read_to_string(out.path().join("report.html")).unwrap();
    assert!(
        html.contains(&format!(
            "<span class=\"badge fail\" id=\"verdict\">不合格</span>\
             <span class=\"score fail\" id=\"score\"><small>得分 S</small>86.80</span><span class=\"why\">\
             GB/T 24356-2023 评定，S = 86.80<br><span id=\"gate\">{gate}</span></span>"
        )),
        "{html}"
    );
    let junit = std::fs::read_to_string(out.path().join("junit.xml")).unwrap();
    for property in [
        "<property name=\"grade\" value=\"不合格\"/>",
        "<property name=\"score\" value=\"86.80\"/>",
        "<property name=\"exit_code\" value=\"0\"/>",
    ] {
        assert!(junit.contains(property), "{junit}");
    }
    // report.json: the gate as `outcome`, the verdict as the grading, with exact scores. No
    // floor at 0: GB/T 24356-2023 formula (4) has none (README, Grading).
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("report.json")).unwrap()).unwrap();
    assert_eq!(json["outcome"], "pass");
    let g = &json["grading"];
    assert_eq!(g["grade"], "unqualified");
    let complete = g["elements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["element"] == "完整性")
        .unwrap();
    let test = complete["sub_elements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["sub_element"] == "测试")
        .unwrap();
    assert_eq!(test["defects"]["B"], 11);
    assert_eq!(test["deduction"], "132");
    assert_eq!(test["score"], "-32");
    // 完整性 has this sub-element and one other at 100: S₂ = (−32 + 100)/2.
    assert_eq!(complete["score"], "34");
    // Five elements inspected, four at 100: S = (4×100 + 34)/5.
    assert_eq!(g["score"], "434/5");
    assert_eq!(
        g["reasons"],
        serde_json::json!([
            "子元素 完整性/测试 得分 -32.00 < 60",
            "质量元素 完整性 得分 34.00 < 60"
        ])
    );
}

#[test]
fn profiles_are_listed_and_an_unknown_one_is_an_error() {
    let o = nrqc(&["rules", "profiles"]);
    let names: Vec<String> = stdout(&o)
        .lines()
        .map(|l| l.split('\t').next().unwrap().to_owned())
        .collect();
    assert_eq!(
        names,
        ["county (default)", "prefecture", "self-check", "strict"]
    );
    assert!(stdout(&o).contains("strict\tfail-on B\twarn []\texceptions count\t严格验收"));
    let o = nrqc(&["check", CLEAN, "--profile", "provincial"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(
            "no profile `provincial` in rule set builtin; profiles: county, prefecture, self-check, strict"
        ),
        "{}",
        stderr(&o)
    );
    // A default profile that is not defined is a rule-file error at its line.
    let o = nrqc(&["rules", "check", "--rules", "+tests/rules/bad_profile"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("the default profile `provincial` is not defined"),
        "{err}"
    );
    assert!(err.contains("profiles.yaml:1:10"), "{err}");
}

/// `--timings` prints the stages and the ten slowest rules and files, as report.json records
/// them; each rule's time lies within the rules' stage, each file's within loading, and
/// junit.xml carries the same times.
#[test]
fn timings_show_where_the_time_went() {
    let out = tempfile::tempdir().unwrap();
    let o = nrqc(&[
        "check",
        DEFECTIVE,
        "--timings",
        "--quiet",
        "--format",
        "json,junit",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("report.json")).unwrap()).unwrap();
    let t = &json["timings"];
    let ms = |v: &serde_json::Value| v.as_f64().unwrap();
    let mut rules: Vec<(f64, &str)> = json["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (ms(&r["elapsed_ms"]), r["id"].as_str().unwrap()))
        .collect();
    assert!(rules.iter().all(|(e, _)| *e >= 0.0));
    // One at a time, each measured to 0.1 ms: the rules' times add up to the stage's at most.
    assert_eq!(t["one_at_a_time"], true);
    let sum: f64 = rules.iter().map(|r| r.0).sum();
    let bound = ms(&t["rules_ms"]) + 0.05 * rules.len() as f64;
    assert!(sum > 0.0 && sum <= bound, "{sum} > {bound}: {t}");
    let files = t["files"].as_array().unwrap();
    let paths: Vec<&str> = files.iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(paths.len(), 10, "{paths:?}");
    assert!(paths.contains(&"vector/ZRZK.fgb") && paths.contains(&"tables/GGGZ.csv"));
    assert!(
        files
            .iter()
            .all(|f| ms(&f["ms"]) <= ms(&t["load_ms"]) + 0.1),
        "{t}"
    );

    let printed = stdout(&o);
    let lines: Vec<&str> = printed.lines().collect();
    assert!(lines[0].starts_with("time: load "), "{printed}");
    assert_eq!(
        lines[1],
        "slowest rules (run one at a time, each parallel within):"
    );
    rules.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    let shown: Vec<&str> = lines[2..12]
        .iter()
        .map(|l| l.split_whitespace().nth(2).unwrap())
        .collect();
    let expected: Vec<&str> = rules.iter().take(10).map(|r| r.1).collect();
    assert_eq!(shown, expected, "{printed}");
    assert_eq!(lines[12], "slowest files (read in parallel):");
    assert_eq!(lines.len(), 23, "{printed}");

    // Without --timings the rules run together.
    let again = tempfile::tempdir().unwrap();
    let o = nrqc(&[
        "check",
        DEFECTIVE,
        "--quiet",
        "--format",
        "json",
        "--out",
        again.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(again.path().join("report.json")).unwrap()).unwrap();
    assert_eq!(json["timings"]["one_at_a_time"], false);

    // junit.xml: each testcase's time is its rule's, in seconds.
    let junit = std::fs::read_to_string(out.path().join("junit.xml")).unwrap();
    for (elapsed, id) in &rules {
        let case = format!("name=\"{id} ");
        let line = junit.lines().find(|l| l.contains(&case)).unwrap();
        assert!(
            line.contains(&format!("time=\"{:.3}\"", elapsed / 1000.0)),
            "{line}"
        );
    }
}
