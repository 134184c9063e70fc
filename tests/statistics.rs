//! Statistics tables as delivered: blanks, counts, balanced shares, rows a rule names that the
//! table lacks, and `TJ_*` tables no rule was written for. The Linxia tables in
//! `tests/data/statistics/` are transcribed from the prefecture's plan
//! (`../shared/docs/linxia-plan.txt`); their expected results (`expected.json`) are computed by
//! `scripts/statistics_expected.py`, independently of nrqc.

use crate::common;

use std::path::Path;

use nrqc::report::{Report, RuleResult};

use nrqc::finding::{Finding, Status, Unit};
use nrqc::quality::DefectClass;
use nrqc::rules::{RuleSet, RuleSources};
use serde_json::Value;

const DATA: &str = "tests/data/statistics";

fn expected(table: &str, case: &str, blank: &str) -> Value {
    let text = std::fs::read_to_string(format!("{DATA}/expected.json")).unwrap();
    let all: Value = serde_json::from_str(&text).unwrap();
    all[table][case][blank].clone()
}

fn data(file: &str) -> String {
    std::fs::read_to_string(format!("{DATA}/{file}")).unwrap()
}

/// A package of tables alone (no CRS needed), each `(name, csv)` under `tables/`.
fn package(tables: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("package.yaml"),
        "xzqdm: \"622900\"\nxzqmc: 临夏回族自治州\nlevel: prefecture\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("tables")).unwrap();
    for (name, csv) in tables {
        std::fs::write(dir.path().join(format!("tables/{name}.csv")), csv).unwrap();
    }
    dir
}

/// A rule set of `schema` and `rules` alone, or added to the built-in one.
fn rule_set(schema: &str, rules: &str, builtin: bool) -> Result<RuleSet, String> {
    let dir = tempfile::tempdir().unwrap();
    if !schema.is_empty() {
        std::fs::write(dir.path().join("schema.yaml"), schema).unwrap();
    }
    std::fs::write(dir.path().join("rules.yaml"), rules).unwrap();
    RuleSet::load(&RuleSources {
        builtin,
        dirs: vec![dir.path().to_owned()],
    })
    .map_err(|e| format!("{:?}", miette::Report::new(e)))
}

fn inspect(pkg: &Path, rules: &RuleSet) -> Report {
    nrqc::inspect(pkg, rules, DefectClass::B).unwrap()
}

fn rule<'r>(report: &'r Report, id: &str) -> &'r RuleResult {
    report.rules.iter().find(|r| r.id == id).unwrap()
}

fn findings<'r>(report: &'r Report, id: &str) -> Vec<&'r Finding> {
    report.findings.iter().filter(|f| f.rule_id == id).collect()
}

fn skipped(result: &RuleResult, why: &str) -> usize {
    (result.coverage.skipped.iter())
        .filter(|s| s.unit == Unit::Equations && s.reason.contains(why))
        .map(|s| s.count)
        .sum()
}

/// The counts a rule's result must agree with the independent computation on.
fn assert_counts(result: &RuleResult, expected: &Value, what: &str) {
    assert_eq!(
        result.coverage.checked,
        expected["evaluated"].as_u64().map(|n| n as usize),
        "{what}: equations evaluated"
    );
    assert_eq!(
        skipped(result, "空白"),
        expected["skipped_blank"].as_u64().unwrap() as usize,
        "{what}: skipped for a blank"
    );
    assert_eq!(
        skipped(result, "非数值"),
        expected["skipped_text"].as_u64().unwrap() as usize,
        "{what}: skipped for text"
    );
    let zeroed = expected["zeroed"].as_u64().unwrap();
    let noted = result
        .notes
        .iter()
        .any(|n| n.contains(&format!("{zeroed} 个空白单元格按 0 计")));
    assert_eq!(noted, zeroed > 0, "{what}: notes {:?}", result.notes);
}

/// The one finding of a wrong cell, as the independent computation pins it.
fn assert_pinned(findings: &[&Finding], expected: &Value, what: &str) {
    let pinned = &expected["pinned"];
    assert_eq!(pinned["agree"], true, "{what}");
    let [f] = findings else {
        panic!("{what}: {findings:#?}");
    };
    assert_eq!(
        f.feature_ids[0].key.as_deref(),
        pinned["row"].as_str(),
        "{what}"
    );
    let cell = format!(
        "{} 行 {} 数值有误",
        pinned["row"].as_str().unwrap(),
        pinned["column"].as_str().unwrap()
    );
    assert!(f.message.starts_with(&cell), "{what}: {}", f.message);
    let measured = f.measured.as_ref().unwrap();
    assert_eq!(measured["difference"], pinned["difference"], "{what}");
    assert_eq!(
        measured["equations"].as_array().unwrap().len(),
        expected["failing"].as_array().unwrap().len(),
        "{what}: the failing equations it explains"
    );
}

const TABLE4_SCHEMA: &str = "schema:
  version: 1
  tables:
    TJ_GYHD:
      key: 县市
      total_row: 合计
      fields:
        县市: { type: string }
        空闲地: { type: number }
        裸岩石砾地: { type: number }
        裸土地: { type: number }
        合计: { type: number }
";

fn table4_rules(blank: &str) -> String {
    format!(
        "rules:
  - id: T-4
    title: 国有荒地面积统计表
    class: B
    element: 逻辑一致性
    table_totals:
      layer: TJ_GYHD
      key: 县市
      columns: [空闲地, 裸岩石砾地, 裸土地]
      total: 合计
      blank: {blank}
  - id: T-G
    title: 统计表（按表头）
    class: B
    element: 逻辑一致性
    statistics_tables: {{ tables: TJ_GYHD_*, blank: {blank} }}
"
    )
}

/// 表4 of the Linxia plan leaves 8 cells blank. Read as missing, 9 of its 13 equations are
/// skipped (and said to be); read as zero, all 13 are checked. The same table under another
/// name, which no rule reads, gets the same 13 equations from its headers.
#[test]
fn linxia_table4_blanks_are_read_as_the_rule_says_and_counted() {
    let table = data("linxia_table4.csv");
    for blank in ["zero", "missing"] {
        let expected = expected("table4", "clean", blank);
        let rules = rule_set(TABLE4_SCHEMA, &table4_rules(blank), false).unwrap();
        let pkg = package(&[("TJ_GYHD", &table), ("TJ_GYHD_2", &table)]);
        let report = inspect(pkg.path(), &rules);
        assert!(report.findings.is_empty(), "{:#?}", report.findings);
        for id in ["T-4", "T-G"] {
            let result = rule(&report, id);
            assert_eq!(result.status, Status::Passed, "{id} {blank}");
            assert_counts(result, &expected, &format!("{id} blank: {blank}"));
        }
    }
}

/// 永靖县's 裸土地 1.00 公顷 too large breaks its row and the 合计 row; both equations have a
/// blank in them, so reading blanks as missing never sees it. Read as zero, it is one finding,
/// on 永靖县's 裸土地.
#[test]
fn linxia_table4_planted_error_is_pinned_on_its_cell() {
    let table = data("linxia_table4.csv").replace("12851.72", "12852.72");
    for blank in ["zero", "missing"] {
        let expected = expected("table4", "永靖县.裸土地+1.00", blank);
        let rules = rule_set(TABLE4_SCHEMA, &table4_rules(blank), false).unwrap();
        let pkg = package(&[("TJ_GYHD", &table), ("TJ_GYHD_2", &table)]);
        let report = inspect(pkg.path(), &rules);
        for id in ["T-4", "T-G"] {
            let what = format!("{id} blank: {blank}");
            assert_counts(rule(&report, id), &expected, &what);
            if blank == "zero" {
                assert_pinned(&findings(&report, id), &expected, &what);
            } else {
                assert!(findings(&report, id).is_empty(), "{what}");
            }
        }
    }
}

/// 表3 counts mining licences: integers, so a total one licence off is a defect (a rounding
/// tolerance would allow ±4 over its 8 counties). Its total row, 临夏州, comes first and writes
/// 无 for none, which is text: the two equations through it are skipped and said to be.
#[test]
fn linxia_table3_counts_are_exact() {
    let schema = "schema:
  version: 1
  tables:
    TJ_CKQ:
      key: 行政区
      fields:
        序号: { type: integer }
        政区码: { type: string }
        行政区: { type: string }
        部级发证: { type: integer }
        省级发证: { type: integer }
        市级发证: { type: integer }
        县级发证: { type: integer }
        合计: { type: integer }
";
    let rules = "rules:
  - id: T-3
    title: 采矿权分布情况统计表
    class: B
    element: 逻辑一致性
    table_totals:
      layer: TJ_CKQ
      key: 行政区
      total_row: 临夏州
      columns: [部级发证, 省级发证, 市级发证, 县级发证]
      total: 合计
      blank: zero
";
    let rules = rule_set(schema, rules, false).unwrap();
    let clean = data("linxia_table3.csv");
    let report = inspect(package(&[("TJ_CKQ", &clean)]).path(), &rules);
    assert_eq!(rule(&report, "T-3").status, Status::Passed);
    assert_counts(
        rule(&report, "T-3"),
        &expected("table3", "clean", "zero"),
        "clean",
    );

    let planted = clean.replace("永靖县,,3,5,4,12", "永靖县,,3,5,5,12");
    let report = inspect(package(&[("TJ_CKQ", &planted)]).path(), &rules);
    let expected = expected("table3", "永靖县.县级发证+1", "zero");
    assert_counts(rule(&report, "T-3"), &expected, "planted");
    let found = findings(&report, "T-3");
    assert_pinned(&found, &expected, "planted");
    assert_eq!(found[0].measured.as_ref().unwrap()["tolerance"], 0.0);
}

/// The grassland shares of the plan are balanced to 100.00: 62.90 / 410.70 = 15.3153 is written
/// 15.31. One unit of the last decimal allows it; two units off (15.33) is a finding.
#[test]
fn balanced_shares_pass_and_a_share_two_units_off_does_not() {
    let rules = rule_set(
        "",
        "rules:
  - id: T-G
    title: 统计表（按表头）
    class: B
    element: 逻辑一致性
    statistics_tables: { tables: TJ_*, blank: zero }
",
        true,
    )
    .unwrap();
    let clean = data("linxia_grassland.csv");
    let report = inspect(package(&[("TJ_CYMJ", &clean)]).path(), &rules);
    let result = rule(&report, "T-G");
    assert_eq!(result.status, Status::Passed, "{:#?}", report.findings);
    assert_counts(result, &expected("grassland", "clean", "zero"), "clean");

    let planted = clean.replace("62.90,15.31", "62.90,15.33");
    let report = inspect(package(&[("TJ_CYMJ", &planted)]).path(), &rules);
    let expected = expected("grassland", "高寒灌丛草甸.占比+0.02", "zero");
    let failing = &expected["failing"][0];
    let [f] = findings(&report, "T-G")[..] else {
        panic!("{:#?}", report.findings);
    };
    assert_eq!(f.feature_ids[0].key.as_deref(), failing["row"].as_str());
    assert!(
        f.message
            .starts_with("高寒灌丛草甸 行 占比 与 面积 占比不符"),
        "{}",
        f.message
    );
    let m = f.measured.as_ref().unwrap();
    let difference = m["difference"].as_f64().unwrap();
    assert!((difference - failing["difference"].as_f64().unwrap()).abs() < 1e-4);
    assert_eq!(m["tolerance"], failing["tolerance"]);
}

/// The clean 永靖县 package with a statistics table of its own, listed in package.yaml, in the
/// package's encoding (GBK); `total` sets its 合计 row's HJ.
fn with_tj_zymj(total: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let (dir, pkg) = common::copy_package("fixtures/622923_永靖县");
    let csv = format!(
        "ZYLX,ZYLXMC,GYMJ,JTMJ,HJ,ZB
SZY,水流,6726.19,,6726.19,18.04
SD,湿地,6904.12,911.67,7815.79,20.96
SL,森林,5123.40,2732.29,7855.69,21.07
CY,草原,3310.05,5084.73,8394.78,22.51
HD,荒地,5601.05,,5601.05,15.02
QT,其他,893.19,,893.19,2.40
合计,,28558.00,8728.69,{total},100.00
"
    );
    let (bytes, _, _) = encoding_rs::GBK.encode(&csv);
    std::fs::create_dir(pkg.join("stats")).unwrap();
    std::fs::write(pkg.join("stats/TJ_ZYMJ.csv"), bytes).unwrap();
    let manifest = std::fs::read_to_string(pkg.join("package.yaml")).unwrap();
    std::fs::write(
        pkg.join("package.yaml"),
        format!("{manifest}tables:\n  TJ_ZYMJ: stats/TJ_ZYMJ.csv\n"),
    )
    .unwrap();
    (dir, pkg)
}

/// A `TJ_*` table that no rule names is checked by its headers (ZR-T003): clean, its 17
/// equations pass (7 rows, 3 column totals, 7 shares), 3 blanks read as zero; with its total
/// 1.00 公顷 too large, the finding names the 合计 row's HJ.
#[test]
fn tj_table_listed_in_the_manifest_gets_the_generic_checks() {
    let rules = common::builtin();
    let (_d, pkg) = with_tj_zymj("37286.69");
    let report = inspect(&pkg, &rules);
    let result = rule(&report, "ZR-T003");
    assert_eq!(result.status, Status::Passed, "{:#?}", report.findings);
    assert_eq!(result.coverage.checked, Some(17));
    assert!(
        result
            .notes
            .iter()
            .any(|n| n == "TJ_ZYMJ 有 3 个空白单元格按 0 计（blank: zero）"),
        "{:?}",
        result.notes
    );

    let (_d, pkg) = with_tj_zymj("37287.69");
    let report = inspect(&pkg, &rules);
    for id in ["ZR-T001", "ZR-T002"] {
        assert_eq!(rule(&report, id).status, Status::Passed, "{id}");
    }
    let [f] = findings(&report, "ZR-T003")[..] else {
        panic!("{:#?}", report.findings);
    };
    assert_eq!(f.layer, "TJ_ZYMJ");
    assert_eq!(
        (f.feature_ids[0].fid, f.feature_ids[0].key.as_deref()),
        (6, Some("合计"))
    );
    let m = f.measured.as_ref().unwrap();
    assert_eq!(
        (&m["declared"], &m["computed"], &m["difference"]),
        (
            &Value::from(37287.69),
            &Value::from(37286.69),
            &Value::from(1.0)
        )
    );
}

/// Blanks in TJ_ZRZYMJ of the 永靖县 package, where 1176.09 belongs: read as zero by both
/// built-in rules, found by both, on row 12's SZYMJ.
#[test]
fn a_blank_where_a_value_belongs_is_found_by_both_builtin_rules() {
    let (_d, pkg) = common::copy_package("fixtures/622923_永靖县");
    let path = pkg.join("tables/TJ_ZRZYMJ.csv");
    let bytes = std::fs::read(&path).unwrap();
    let (text, _, _) = encoding_rs::GBK.decode(&bytes);
    let text = text.replacen(",1176.09,", ",,", 1);
    std::fs::write(&path, encoding_rs::GBK.encode(&text).0).unwrap();
    let report = inspect(&pkg, &common::builtin());
    for id in ["ZR-T001", "ZR-T002"] {
        let [f] = findings(&report, id)[..] else {
            panic!("{id}: {:#?}", findings(&report, id));
        };
        assert_eq!(f.feature_ids[0].key.as_deref(), Some("12"), "{id}");
        assert_eq!(f.measured.as_ref().unwrap()["declared"], 0.0, "{id}");
        assert!(
            rule(&report, id)
                .notes
                .iter()
                .any(|n| n.contains("1 个空白单元格按 0 计")),
            "{id}"
        );
    }
    let t001 = findings(&report, "ZR-T001")[0];
    assert!(
        t001.message.starts_with("12 行 SZYMJ 数值有误"),
        "{}",
        t001.message
    );
    assert_eq!(t001.measured.as_ref().unwrap()["difference"], -1176.09);
}

/// A row the rule names that the table lacks: an error of the rule file where the schema knows
/// the table's rows (its total row, its key's code list), else a rule that does not run.
#[test]
fn a_misspelt_row_is_a_lint_error_or_a_rule_that_did_not_run() {
    let rule_file = |params: &str| {
        format!(
            "rules:
  - id: X-1
    title: 汇总表
    class: B
    element: 逻辑一致性
    table_totals:
      layer: TJ_ZRZYMJ
      key: DJDYLX
      columns: [SZYMJ, SDMJ, SLMJ, CYMJ, HDMJ, QTMJ]
      total: HJ
      blank: zero
{params}"
        )
    };
    let err = rule_set("", &rule_file("      total_row: 合记\n"), true).unwrap_err();
    assert!(
        err.contains("the total row of `TJ_ZRZYMJ` is `合计` (schema), not `合记`"),
        "{err}"
    );
    let err = rule_set(
        "",
        &rule_file("      row_subtotals: [{ row: '12', parts: ['41'] }]\n"),
        true,
    )
    .unwrap_err();
    assert!(
        err.contains("`41` is not a value of TJ_ZRZYMJ.DJDYLX (code list DJDYLX)"),
        "{err}"
    );

    let err = rule_set(
        "",
        "rules:
  - id: X-2
    title: 汇总表与图斑
    class: B
    element: 面积精度
    table_matches_layer:
      layer: TJ_ZRZYMJ
      key: DJDYLX
      total_row: 合记
      source: ZRZK
      source_key: substr(ZRZYDJDYH, 7, 2)
      field: MJ
      unit: ha
      blank: zero
      columns: { SLMJ: \"ZYLX = 'SL'\" }
",
        true,
    )
    .unwrap_err();
    assert!(
        err.contains("the total row of `TJ_ZRZYMJ` is `合计` (schema), not `合记`"),
        "{err}"
    );

    // A schema that declares neither: only the data can tell.
    let schema = TABLE4_SCHEMA.replace("      total_row: 合计\n", "");
    let rules = "rules:
  - id: T-4
    title: 国有荒地面积统计表
    class: B
    element: 逻辑一致性
    table_totals:
      layer: TJ_GYHD
      key: 县市
      total_row: 合记
      columns: [空闲地, 裸岩石砾地, 裸土地]
      total: 合计
      blank: zero
";
    let rules = rule_set(&schema, rules, false).unwrap();
    let table = data("linxia_table4.csv").replace("12851.72", "12852.72");
    let report = inspect(package(&[("TJ_GYHD", &table)]).path(), &rules);
    let result = rule(&report, "T-4");
    assert_eq!(result.status, Status::NotRun);
    assert_eq!(
        result.reason.as_deref(),
        Some("TJ_GYHD 没有 县市 为 合记 的行，规则所指的合计行或小计行无从核对")
    );
}

/// 表3 as the plan prints it repeats the header 部级发证: the table cannot be read (ZR-S000), and
/// the rule for `TJ_*` tables says it checked nothing rather than that nothing applied.
#[test]
fn an_unreadable_tj_table_is_not_checked_and_says_so() {
    let table = data("linxia_table3.csv").replace("省级发证", "部级发证");
    let report = inspect(package(&[("TJ_CKQ", &table)]).path(), &common::builtin());
    assert_eq!(rule(&report, "ZR-S000").status, Status::Failed);
    let result = rule(&report, "ZR-T003");
    assert_eq!(result.status, Status::NotRun);
    assert_eq!(
        result.reason.as_deref(),
        Some("没有可检查的内容：1 个图层或表未检查：TJ_CKQ 无法读取")
    );
}
