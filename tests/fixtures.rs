//! The bundled 永靖县 packages: the defective one gives exactly its listed defects, the clean one
//! none, and the reports are stable (insta snapshots) and independent of the thread count.

mod common;

use common::*;
use nrqc::report::{Outcome, Status};

#[test]
fn clean_package_has_no_findings() {
    let report = inspect(CLEAN, 2);
    let not_passed: Vec<_> = report
        .rules
        .iter()
        .filter(|r| r.status != Status::Passed && r.status != Status::NotApplicable)
        .map(|r| (&r.id, r.status, &r.reason))
        .collect();
    assert!(not_passed.is_empty(), "{not_passed:?}");
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    assert_eq!(report.outcome, Outcome::Pass);
}

#[test]
fn defective_package_gives_exactly_the_injected_defects() {
    let report = inspect(DEFECTIVE, 2);
    let truth = truth(&format!("{DEFECTIVE}.truth.yaml"));
    assert_eq!(truth.package, "622923_永靖县_defective");
    let found = finding_keys(&report);
    let expected = truth_keys(&truth);
    let missed: Vec<_> = expected.difference(&found).collect();
    let extra: Vec<_> = found.difference(&expected).collect();
    assert!(
        missed.is_empty() && extra.is_empty(),
        "missed: {missed:#?}\nextra: {extra:#?}"
    );
    // One finding per listed defect: none is reported twice.
    assert_eq!(report.findings.len(), truth.findings.len());
    // Keys named by the ground truth are the keys the report gives.
    for t in &truth.findings {
        let f = report
            .findings
            .iter()
            .find(|f| {
                f.rule_id == t.rule
                    && f.feature_ids
                        .iter()
                        .map(|i| i.fid)
                        .eq(t.fids.iter().copied())
            })
            .unwrap();
        let keys: Vec<String> = f.feature_ids.iter().filter_map(|i| i.key.clone()).collect();
        let expected: Vec<String> = t.keys.iter().map(TruthKey::joined).collect();
        assert_eq!(keys, expected, "{}: {}", t.rule, t.note);
    }
    assert_eq!(report.outcome, Outcome::Fail);
}

#[test]
fn findings_do_not_depend_on_thread_count() {
    let one = inspect(DEFECTIVE, 1);
    let four = inspect(DEFECTIVE, 4);
    assert_eq!(one.findings, four.findings);
    assert_eq!(
        nrqc::report::render_markdown(&one),
        nrqc::report::render_markdown(&four)
    );
}

#[test]
fn defective_report_snapshots() {
    let report = inspect(DEFECTIVE, 2);
    insta::assert_json_snapshot!("defective_report_json", report, {
        ".generated_at" => "[time]",
        ".engine.version" => "[version]",
    });
    let mut report = report;
    report.generated_at = "[time]".into();
    report.engine.version = "[version]".into();
    insta::assert_snapshot!(
        "defective_report_md",
        nrqc::report::render_markdown(&report)
    );
}
