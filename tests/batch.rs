//! `nrqc batch`: a prefecture's county packages graded, cross-package rules, the batch verdict.

use crate::common;
#[path = "../examples/gen_fixtures/counties.rs"]
#[allow(dead_code)]
mod counties;

use common::nrqc;
use std::path::Path;
use std::process::Output;

use common::*;
use serde_json::Value;

fn batch(packages: &[String], extra: &[&str], out: &Path) -> (Output, Value) {
    let mut args = vec!["batch", "--out", out.to_str().unwrap()];
    args.extend(packages.iter().map(String::as_str));
    args.extend(extra);
    let o = nrqc(&args);
    let text = std::fs::read_to_string(out.join("batch.json"))
        .unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(&o.stderr)));
    (o, serde_json::from_str(&text).unwrap())
}

fn clean() -> Vec<String> {
    COUNTIES.iter().map(|c| format!("fixtures/{c}")).collect()
}

/// Replaces the built-in plan list with the plan's units the clean fixtures deliver, for the
/// tests that are not about the plan: `--rules +DIR`.
const DELIVERED_PLAN: [&str; 2] = ["--rules", "+tests/data/plans/delivered"];

fn cross<'a>(summary: &'a Value, id: &str) -> &'a Value {
    summary["cross_package"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {summary}"))
}

fn grades(summary: &Value) -> Vec<(String, String)> {
    summary["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["package"].as_str().unwrap().to_owned(),
                u["grade"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn eight_clean_counties_are_all_excellent() {
    let out = tempfile::tempdir().unwrap();
    let (o, summary) = batch(&clean(), &DELIVERED_PLAN, out.path());
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let grades = grades(&summary);
    assert_eq!(grades.len(), 8);
    assert!(grades.iter().all(|(_, g)| g == "excellent"), "{grades:?}");
    assert_eq!(summary["verdict"]["clause"], "6.4.1");
    assert_eq!(summary["verdict"]["grade"], "excellent");
    assert_eq!(summary["profile"]["name"], "prefecture");
    for c in ["ZR-X001", "ZR-X002", "ZR-X004"] {
        let r = cross(&summary, c);
        assert_eq!(r["status"], "passed", "{r}");
    }
    let md = std::fs::read_to_string(out.path().join("batch.md")).unwrap();
    assert!(md.contains("## 批结论：**优**"), "{md}");
    assert!(
        md.contains(
            "[report.md](622923_永靖县/report.md) · [report.html](622923_永靖县/report.html)"
        ),
        "{md}"
    );
    assert!(out.path().join("622923_永靖县/report.html").is_file());
    let county: Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("622925_和政县/report.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(county["grading"]["score"], "100");
    // The county report carries the cross-package rules it was judged by.
    assert!(county["rules"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["id"] == "ZR-X001"));
}

#[test]
fn defective_counties_are_unqualified_with_their_computation() {
    let out = tempfile::tempdir().unwrap();
    let mut packages = Vec::new();
    for (i, c) in COUNTIES.iter().enumerate() {
        packages.push(if i % 2 == 0 {
            format!("fixtures/{c}")
        } else {
            format!("fixtures/{c}_defective")
        });
    }
    let (o, summary) = batch(&packages, &[], out.path());
    assert_eq!(o.status.code(), Some(1));
    for (i, (package, grade)) in grades(&summary).iter().enumerate() {
        if i % 2 == 0 {
            assert_eq!(grade, "excellent", "{package}");
        } else {
            assert_eq!(grade, "unqualified", "{package}");
            let md = std::fs::read_to_string(out.path().join(package).join("report.md")).unwrap();
            assert!(md.contains("## 质量评分（GB/T 24356-2023）"), "{package}");
            assert!(md.contains("S₁ = 100 − 42×"), "{package}");
            assert!(md.contains("单位成果：S = "), "{package}");
            assert!(md.contains("评定：**不合格**"), "{package}");
        }
    }
    assert_eq!(summary["verdict"]["grade"], "unqualified");
    assert_eq!(summary["verdict"]["unqualified"], 4);
    let md = std::fs::read_to_string(out.path().join("batch.md")).unwrap();
    assert!(md.contains("## 批结论：**不合格**"), "{md}");
    assert!(md.contains("不合格原因"), "{md}");
}

/// The same county twice (a copy of 和政县 in another folder, beside the eight counties): one
/// finding about the delivery naming both paths, and none from the rules that compare counties.
#[test]
fn a_county_delivered_twice_is_one_finding_about_the_delivery() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("v2/622925_和政县");
    copy_dir(Path::new("fixtures/622925_和政县"), &copy);
    let out = tempfile::tempdir().unwrap();
    let mut packages = clean();
    packages.push(copy.to_str().unwrap().to_owned());
    let (o, summary) = batch(&packages, &DELIVERED_PLAN, out.path());
    assert_eq!(o.status.code(), Some(1));
    for id in ["ZR-X001", "ZR-X002", "ZR-X004"] {
        let r = cross(&summary, id);
        assert_eq!(r["status"], "passed", "{r}");
    }
    let x005 = cross(&summary, "ZR-X005");
    assert_eq!(x005["status"], "failed");
    assert_eq!(x005["class"], "B");
    let findings = x005["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:?}");
    let f = &findings[0];
    assert!(f["package"].is_null(), "about the batch: {f}");
    assert_eq!(
        f["message"],
        format!(
            "622925 和政县交付了 2 次：fixtures/622925_和政县、{}",
            copy.display()
        )
    );
    assert_eq!(f["measured"]["xzqdm"], "622925");
    assert_eq!(
        f["measured"]["reports"],
        serde_json::json!(["fixtures_622925_和政县", "v2_622925_和政县"])
    );
    // The copies are named by their paths; the other counties by their folders.
    let names: Vec<String> = grades(&summary).into_iter().map(|(p, _)| p).collect();
    assert_eq!(names[5], "fixtures_622925_和政县");
    assert_eq!(names[8], "v2_622925_和政县");
    assert_eq!(names[0], "622901_临夏市");
    for dir in ["fixtures_622925_和政县", "v2_622925_和政县"] {
        let county: Value = serde_json::from_str(
            &std::fs::read_to_string(out.path().join(dir).join("report.json")).unwrap(),
        )
        .unwrap();
        // Each copy is graded as the package it is; the delivery is the batch's defect.
        assert_eq!(county["grading"]["grade"], "excellent", "{dir}");
    }
    // Every county is graded; the batch is 不合格 for the second delivery alone.
    assert!(grades(&summary).iter().all(|(_, g)| g == "excellent"));
    assert_eq!(
        summary["verdict"]["reasons"],
        serde_json::json!(["跨县检查未通过：ZR-X005 同一县重复交付（1 处）"])
    );
    // The prefecture's table is not judged against a sum holding a county twice.
    let table = prefecture_table(dir.path(), None);
    let mut args = vec!["--prefecture-table", table.to_str().unwrap()];
    args.extend(DELIVERED_PLAN);
    let (_, summary) = batch(&packages, &args, out.path());
    let x003 = cross(&summary, "ZR-X003");
    assert_eq!(x003["status"], "not_run");
    assert_eq!(x003["reason"], "622925 交付了 2 次，各县之和无法确定");
}

/// One folder named twice is not a second delivery: refused before anything is inspected.
#[test]
fn a_package_given_twice_is_refused() {
    let out = tempfile::tempdir().unwrap();
    let o = nrqc(&[
        "batch",
        "--out",
        out.path().to_str().unwrap(),
        "fixtures/622923_永靖县",
        "fixtures/../fixtures/622923_永靖县",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "error: fixtures/622923_永靖县 and fixtures/../fixtures/622923_永靖县 are the same \
         package: give it once\n"
    );
    assert!(!out.path().join("batch.json").exists());
}

/// stdout: a header, one line per county with its grade and score, the cross-package rules
/// that found something, the batch verdict; every county's folder holds junit.xml and the
/// error layers, and batch-junit.xml a suite per county and one of the cross-package rules.
#[test]
fn the_terminal_lists_each_county_and_every_folder_has_junit_and_layers() {
    let out = tempfile::tempdir().unwrap();
    let packages = vec![
        "fixtures/622901_临夏市".to_owned(),
        "fixtures/622923_永靖县_defective".to_owned(),
    ];
    let (o, summary) = batch(&packages, &["--lang", "zh"], out.path());
    assert_eq!(o.status.code(), Some(1));
    let stdout = String::from_utf8(o.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    let cells = |line: &str| -> Vec<String> {
        line.split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(
        cells(lines[0]),
        ["县", "代码", "评定", "得分", "问题数", "报告"],
        "{stdout}"
    );
    let report = |dir: &str| out.path().join(dir).display().to_string();
    assert_eq!(
        cells(lines[1]),
        [
            "临夏市",
            "622901",
            "优",
            "100.00",
            "0",
            &report("622901_临夏市")
        ],
        "{stdout}"
    );
    let defective = &summary["units"][1];
    let score = defective["score"].as_str().unwrap();
    let (n, d) = score.split_once('/').unwrap_or((score, "1"));
    let score = format!(
        "{:.2}",
        n.parse::<f64>().unwrap() / d.parse::<f64>().unwrap()
    );
    assert_eq!(
        cells(lines[2]),
        [
            "永靖县",
            "622923",
            "不合格",
            &score,
            &defective["findings"].to_string(),
            &report("622923_永靖县_defective")
        ],
        "{stdout}"
    );
    // The columns line up: the report path starts at one column on every line, the Chinese
    // characters before it two columns wide.
    let column = |line: &str| line.find(&*out.path().display().to_string()).unwrap();
    let widths: Vec<usize> = lines[1..3]
        .iter()
        .map(|l| {
            l[..column(l)]
                .chars()
                .map(|c| if c.is_ascii() { 1 } else { 2 })
                .sum()
        })
        .collect();
    assert_eq!(widths[0], widths[1], "{stdout}");
    assert_eq!(
        lines.last().unwrap(),
        &format!("报告：{}", out.path().display())
    );
    assert!(
        lines[lines.len() - 2].starts_with("批结论（6.4.1）：不合格（1 个单位成果不合格"),
        "{stdout}"
    );
    // --quiet prints nothing.
    let o = nrqc(&[
        "batch",
        "--quiet",
        "--out",
        out.path().to_str().unwrap(),
        &packages[0],
        &packages[1],
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty() && o.stderr.is_empty());

    for dir in ["622901_临夏市", "622923_永靖县_defective"] {
        let dir = out.path().join(dir);
        let junit = std::fs::read_to_string(dir.join("junit.xml")).unwrap();
        assert!(junit.contains("<testsuite name="), "{junit}");
        let layer: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("errors.geojson")).unwrap())
                .unwrap();
        assert_eq!(layer["type"], "FeatureCollection");
        assert!(dir.join("errors.fgb").is_file());
    }
    let junit = std::fs::read_to_string(out.path().join("batch-junit.xml")).unwrap();
    let suites: Vec<&str> = junit
        .lines()
        .filter_map(|l| l.trim().strip_prefix("<testsuite name=\""))
        .map(|l| &l[..l.find('"').unwrap()])
        .collect();
    assert_eq!(
        suites,
        ["622901_临夏市", "622923_永靖县_defective", "跨县检查"]
    );
    assert!(junit.contains("<testcase classname=\"完整性\" name=\"ZR-X005 同一县重复交付\""));
}

/// No option says its default twice (in its text and from clap), in `batch` or in `check`.
#[test]
fn help_texts_give_each_default_once() {
    for command in ["batch", "check"] {
        let o = nrqc(&[command, "--help"]);
        assert_eq!(o.status.code(), Some(0));
        let help = String::from_utf8(o.stdout).unwrap();
        assert!(help.contains("[default:"), "{help}");
        for line in help.lines() {
            assert!(line.matches("[default:").count() <= 1, "{command}: {line}");
        }
        assert!(!help.contains("by default"), "{command}: {help}");
    }
}

/// The eight clean counties' statistics tables summed, as the prefecture's table.
fn prefecture_table(dir: &Path, bump: Option<(&str, usize)>) -> std::path::PathBuf {
    let mut header = Vec::new();
    let mut rows: Vec<(String, Vec<i64>)> = Vec::new();
    for c in COUNTIES {
        let bytes = std::fs::read(format!("fixtures/{c}/tables/TJ_ZRZYMJ.csv")).unwrap();
        let (text, _, _) = encoding_rs::GBK.decode(&bytes);
        let mut lines = text.lines();
        header = lines
            .next()
            .unwrap()
            .split(',')
            .map(str::to_owned)
            .collect();
        for line in lines {
            let cells: Vec<&str> = line.split(',').collect();
            let cents: Vec<i64> = cells[2..]
                .iter()
                .map(|v| (v.parse::<f64>().unwrap() * 100.0).round() as i64)
                .collect();
            match rows.iter_mut().find(|(k, _)| k == cells[0]) {
                Some((_, sum)) => sum.iter_mut().zip(cents).for_each(|(s, v)| *s += v),
                None => rows.push((cells[0].to_owned(), cents)),
            }
        }
    }
    let mut csv = header.join(",") + "\n";
    for (key, mut cents) in rows {
        if let Some((k, col)) = bump {
            if k == key {
                cents[col] += 100;
            }
        }
        let values: Vec<String> = cents
            .iter()
            .map(|c| format!("{}.{:02}", c / 100, c % 100))
            .collect();
        csv += &format!("{key},,{}\n", values.join(","));
    }
    let path = dir.join("TJ_ZRZYMJ.csv");
    std::fs::write(&path, csv).unwrap();
    path
}

#[test]
fn county_totals_add_up_to_the_prefecture_table() {
    let dir = tempfile::tempdir().unwrap();
    let table = prefecture_table(dir.path(), None);
    let out = tempfile::tempdir().unwrap();
    let args = [
        "--prefecture-table",
        table.to_str().unwrap(),
        DELIVERED_PLAN[0],
        DELIVERED_PLAN[1],
    ];
    let (o, summary) = batch(&clean(), &args, out.path());
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(summary["cross_package"][2]["id"], "ZR-X003");
    assert_eq!(summary["cross_package"][2]["status"], "passed");

    // The prefecture's 森林 row overstates SLMJ (column 2 of the sums) by 1.00.
    let table = prefecture_table(dir.path(), Some(("40", 2)));
    let (o, summary) = batch(&clean(), &args, out.path());
    assert_eq!(o.status.code(), Some(1));
    let x003 = &summary["cross_package"][2];
    assert_eq!(x003["status"], "failed");
    let findings = x003["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert!(findings[0]["message"]
        .as_str()
        .unwrap()
        .starts_with("DJDYLX = 40 行 SLMJ"));
    assert_eq!(summary["verdict"]["grade"], "unqualified");
    let _ = table;
}

#[test]
fn a_sample_is_drawn_by_table_1_with_its_seed() {
    let out = tempfile::tempdir().unwrap();
    let args = ["--sample", "auto", "--seed", "20251128"];
    let (o, first) = batch(&clean(), &args, out.path());
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let sampling = &first["sampling"];
    assert_eq!(sampling["population"], 8);
    assert_eq!(sampling["size"], 3);
    assert_eq!(sampling["seed"], 20251128u64);
    assert_eq!(first["units"].as_array().unwrap().len(), 3);
    assert_eq!(first["verdict"]["clause"], "6.3");
    assert_eq!(first["verdict"]["mean_score"], "100");
    let (_, second) = batch(&clean(), &args, out.path());
    assert_eq!(
        first["sampling"]["selected"],
        second["sampling"]["selected"]
    );
}

#[test]
fn an_unreadable_package_is_exit_2_and_listed() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("622999_坏包");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(broken.join("package.yaml"), "xzqdm: [").unwrap();
    let out = tempfile::tempdir().unwrap();
    let packages = vec![
        "fixtures/622901_临夏市".to_owned(),
        broken.to_str().unwrap().to_owned(),
    ];
    let (o, summary) = batch(&packages, &[], out.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&o.stderr).contains("panicked"));
    assert!(summary["units"][1]["error"].is_string());
    assert_eq!(summary["verdict"]["grade"], "unqualified");
}

/// A name as the plan list compares it, written here apart from nrqc's: no whitespace, the
/// list's ignored words removed, longest first.
fn normalised(name: &str, ignore: &[String]) -> String {
    let mut text: String = name.chars().filter(|c| !c.is_whitespace()).collect();
    let mut words = ignore.to_vec();
    words.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
    for w in &words {
        text = text.replace(w.as_str(), "");
    }
    text
}

/// The built-in plan list against the eight clean counties: the units missing are those of
/// the list whose name and aliases match no unit of the fixture generator's counties.
#[test]
fn the_plans_units_missing_from_the_eight_counties_are_reported() {
    let rules = nrqc::rules::RuleSet::builtin().unwrap();
    let list = &rules.unit_lists["临夏州州级登记单元"];
    assert_eq!(list.units.len(), 19, "3 + 10 + 3 + 3 units of 五(二)1–4");
    let delivered: Vec<String> = counties::COUNTIES
        .iter()
        .flat_map(|c| c.units.iter().map(|u| normalised(u.name, &list.ignore)))
        .collect();
    let missing: Vec<&str> = list
        .units
        .iter()
        .filter(|u| {
            !std::iter::once(&u.name)
                .chain(&u.aliases)
                .any(|n| delivered.contains(&normalised(n, &list.ignore)))
        })
        .map(|u| u.name.as_str())
        .collect();
    // The fixtures hold two of the plan's units (黄河三峡湿地省级自然保护区 and, as
    // 刘家峡恐龙国家地质公园, the geopark of 表1), both of the plan's type.
    assert_eq!(missing.len(), 17, "{missing:?}");

    let out = tempfile::tempdir().unwrap();
    let (o, summary) = batch(&clean(), &[], out.path());
    assert_eq!(o.status.code(), Some(1));
    let x004 = cross(&summary, "ZR-X004");
    assert_eq!(x004["status"], "failed");
    let findings = x004["findings"].as_array().unwrap();
    let reported: Vec<&str> = findings
        .iter()
        .map(|f| {
            assert!(f["package"].is_null(), "a missing unit is the batch's: {f}");
            assert_eq!(f["class"], "B");
            f["expected"]["name"].as_str().unwrap()
        })
        .collect();
    assert_eq!(reported, missing);
    // 广通河 is delivered only as 广河县's section: named beside the missing unit.
    let gtn = &findings[0];
    assert_eq!(gtn["expected"]["name"], "广通河");
    assert_eq!(gtn["expected"]["type"], "21");
    assert_eq!(gtn["expected"]["year"], 2020);
    assert_eq!(gtn["measured"]["similar"][0]["name"], "广通河广河段");
    assert_eq!(gtn["measured"]["similar"][0]["package"], "622924_广河县");
    // Every county keeps its grade; the batch is 不合格 for the plan's missing units.
    assert!(grades(&summary).iter().all(|(_, g)| g == "excellent"));
    assert_eq!(summary["verdict"]["grade"], "unqualified");
    let reasons = summary["verdict"]["reasons"].as_array().unwrap();
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(reasons[0].as_str().unwrap().contains("ZR-X004"));
    let md = std::fs::read_to_string(out.path().join("batch.md")).unwrap();
    assert!(
        md.contains(
            "计划单元“牙塘水库”（23 水流—水库，2023 年，五(二)4（第499行））没有任何成果包交付"
        ),
        "{md}"
    );
    // Judged at the end of 2020, only the units of 五(二)1 are due.
    let due: Vec<&str> = list
        .units
        .iter()
        .filter(|u| u.year.is_some_and(|y| y <= 2020) && missing.contains(&u.name.as_str()))
        .map(|u| u.name.as_str())
        .collect();
    assert_eq!(due.len(), 3, "{due:?}");
    let (_, summary) = batch(&clean(), &["--plan-year", "2020"], out.path());
    let reported: Vec<&str> = cross(&summary, "ZR-X004")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["expected"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(reported, due);
    assert_eq!(summary["plan_year"], 2020);
}

/// Any list, from `rules/data/` of an added rule directory: a unit named as the list's but of
/// another type is a finding in the package that delivered it, on its feature.
#[test]
fn a_planned_unit_of_another_type_is_the_delivering_countys_finding() {
    let yongjing = counties::COUNTIES
        .iter()
        .find(|c| c.code == "622923")
        .unwrap();
    let fid = yongjing
        .units
        .iter()
        .position(|u| u.name == "刘家峡水库")
        .unwrap();
    let code = yongjing.units[fid].code(yongjing.code);
    let out = tempfile::tempdir().unwrap();
    let (o, summary) = batch(
        &clean(),
        &["--rules", "+tests/data/plans/wrong_type"],
        out.path(),
    );
    assert_eq!(o.status.code(), Some(1));
    let rule = cross(&summary, "ZR-X904");
    let findings = rule["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2, "{findings:?}");
    // Findings about the batch come first, then those about each package.
    assert!(findings[0]["package"].is_null());
    assert_eq!(findings[0]["expected"]["name"], "牙塘水库");
    let wrong = &findings[1];
    assert_eq!(wrong["package"], "622923_永靖县");
    assert_eq!(wrong["feature_ids"][0]["fid"], fid);
    assert_eq!(wrong["feature_ids"][0]["key"], code.as_str());
    assert_eq!(wrong["measured"]["DJDYLX"], "23");
    assert_eq!(wrong["expected"]["type"], "21");
    // It is in 永靖县's report and counts in its grade.
    let county: Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("622923_永靖县/report.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(county["counts"]["by_class"]["B"], 1, "{}", county["counts"]);
    let rule = county["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "ZR-X904")
        .unwrap();
    assert_eq!(rule["status"], "failed");
    assert_eq!(rule["findings"], 1);
}

/// A batch of some counties of the list's area cannot tell a missing unit from one delivered
/// by a county it does not hold: the rule says so and reports nothing.
#[test]
fn missing_units_are_not_judged_without_every_county() {
    let out = tempfile::tempdir().unwrap();
    let packages = vec![
        "fixtures/622901_临夏市".to_owned(),
        "fixtures/622923_永靖县".to_owned(),
    ];
    let (o, summary) = batch(&packages, &[], out.path());
    assert_eq!(o.status.code(), Some(0));
    let x004 = cross(&summary, "ZR-X004");
    assert_eq!(x004["status"], "not_applicable");
    assert_eq!(
        x004["reason"],
        "批中没有临夏回族自治州的 6 个县级成果包：临夏县（622921）、康乐县（622922）、广河县（622924）、\
         和政县（622925）、东乡族自治县（622926）、积石山保安族东乡族撒拉族自治县（622927）；\
         计划单元可能由其交付，未判断单元缺失"
    );
    assert!(x004["findings"].as_array().unwrap().is_empty());
}

/// A rule naming a list `rules/data/` does not have, a list whose type is not a code of the
/// rule's type list, and a name that is nothing but ignored words, are diagnostics pointing at
/// the line.
#[test]
fn a_misnamed_list_an_unknown_type_and_an_empty_name_are_diagnostics() {
    let o = nrqc(&["rules", "check", "--rules", "+tests/rules/bad_plan"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("no unit list `测试记划`"), "{err}");
    assert!(
        err.contains("tests/rules/bad_plan/batch.yaml:7:13"),
        "{err}"
    );
    assert!(err.contains("did you mean `测试计划`?"), "{err}");
    assert!(
        err.contains("type `31` of 牙塘水库 is not in the code list DJDYLX"),
        "{err}"
    );
    assert!(
        err.contains("tests/rules/bad_plan/data/plan.yaml:6:33"),
        "{err}"
    );
    assert!(
        err.contains("the name `甘肃` is empty once the list's `ignore` words are removed"),
        "{err}"
    );
    assert!(
        err.contains("tests/rules/bad_plan/data/plan.yaml:7:27"),
        "{err}"
    );
}

/// A batch rule is parsed as any rule: a misspelt kind is named with the kind it resembles, and
/// `where`, which a cross-package kind does not take, points at its line.
#[test]
fn a_batch_rule_with_a_misspelt_kind_or_a_where_is_a_diagnostic() {
    let o = nrqc(&["rules", "check", "--rules", "+tests/rules/bad_batch_kind"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("unknown key `unique_acros`: neither a rule field nor a check kind"),
        "{err}"
    );
    assert!(err.contains("did you mean `unique_across`?"), "{err}");
    assert!(
        err.contains("tests/rules/bad_batch_kind/batch.yaml:8:5"),
        "{err}"
    );
    assert!(
        err.contains("check kind `unique_across` does not take `where`"),
        "{err}"
    );
    assert!(
        err.contains("tests/rules/bad_batch_kind/batch.yaml:13:12"),
        "{err}"
    );
    assert!(err.contains("2 problem(s)"), "{err}");
}
