//! The bundled county packages: each defective one gives exactly its listed defects, each clean
//! one none; the 永靖县 reports are stable (insta snapshots) and independent of the thread count.

use crate::common;

use common::*;
use nrqc::finding::Status;

#[test]
fn clean_package_has_no_findings() {
    assert_clean(CLEAN);
}

#[test]
fn defective_package_gives_exactly_the_injected_defects() {
    assert_truth(DEFECTIVE);
}

/// The generated packages of all eight Linxia counties: clean ones find nothing, defective ones
/// exactly their ground truth (precision and recall 100%).
#[test]
fn every_county_package_gives_exactly_its_ground_truth() {
    for county in COUNTIES {
        assert_clean(&format!("fixtures/{county}"));
        assert_truth(&format!("fixtures/{county}_defective"));
    }
}

/// Without its required layers a package gives their completeness findings, and every rule
/// reading one of them does not run.
#[test]
fn package_without_required_layers_gives_exactly_its_ground_truth() {
    assert_truth(MISSING_LAYERS);
}

#[test]
fn findings_do_not_depend_on_thread_count() {
    let mut one = inspect(DEFECTIVE, 1);
    let mut four = inspect(DEFECTIVE, 4);
    assert_eq!(one.findings, four.findings);
    // The runs may straddle a second.
    one.generated_at.clear();
    four.generated_at.clear();
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
        // Random per process unless SOURCE_DATE_EPOCH is set.
        ".run_id" => "[run]",
        ".engine.version" => "[version]",
        // The hash covers the rule files' text, so it moves with every edit of a rule's wording.
        ".ruleset.sha256" => "[sha256]",
        // Wall times differ from run to run.
        ".rules[].elapsed_ms" => "[ms]",
        ".timings" => "[timings]",
    });
    let mut report = report;
    report.generated_at = "[time]".into();
    report.run_id = "[run]".into();
    report.engine.version = "[version]".into();
    report.ruleset.sha256 = "[sha256]".into();
    insta::assert_snapshot!(
        "defective_report_md",
        nrqc::report::render_markdown(&report)
    );
}

/// The area findings state declared, computed, difference and tolerance, as measured.
#[test]
fn area_findings_carry_their_measurements() {
    let report = inspect(DEFECTIVE, 2);
    let measured = |rule: &str| -> Vec<serde_json::Value> {
        report
            .findings_of(rule)
            .map(|f| f.measured.clone().unwrap())
            .collect()
    };
    // A parcel whose MJ was raised by 5.00 m².
    let m004 = measured("ZR-M004");
    assert_eq!(m004.len(), 1);
    assert_eq!(m004[0]["declared"], 25552002.11);
    assert_eq!(m004[0]["unit"], "m2");
    // Half a hundredth for MJ's rounding and 1e-9 of the area for the formula computed again.
    let computed = m004[0]["computed"].as_f64().unwrap();
    let tolerance = m004[0]["tolerance"].as_f64().unwrap();
    assert!(
        (tolerance - (0.005 + 1e-9 * computed)).abs() < 1e-6,
        "{tolerance}"
    );
    assert_eq!(
        m004[0]["tolerance_parts"],
        serde_json::json!({ "m2": 0.005, "relative": 1e-9 })
    );
    let difference = m004[0]["difference"].as_f64().unwrap();
    assert!((difference - 5.0).abs() < 0.01, "{difference}");
    // u3's SDMJ raised by 30.00 against its wetland parcels: half a hundredth for SDMJ and for
    // each parcel summed.
    let m012 = measured("ZR-M012");
    let raised = m012
        .iter()
        .find(|m| m["difference"] == 30.0)
        .expect("u3's SDMJ");
    let terms = raised["tolerance_parts"]["terms"].as_u64().unwrap();
    assert!(terms > 0, "{raised}");
    assert!(
        (raised["tolerance"].as_f64().unwrap() - (terms + 1) as f64 * 0.005).abs() < 1e-9,
        "{raised}"
    );
    // The statistics table: the total row's SLMJ is 1.00 too high, row 21's HJ 0.50.
    let t001 = measured("ZR-T001");
    assert!(
        t001.iter()
            .any(|m| m["difference"] == 1.0 && m["declared"] == 2410.44),
        "{t001:?}"
    );
    assert!(
        t001.iter()
            .any(|m| m["difference"] == 0.5 && m["declared"] == 3933.95),
        "{t001:?}"
    );
}

/// A layer of which every feature had to be skipped was not checked: the rule did not run.
#[test]
fn rules_that_could_measure_nothing_did_not_run() {
    let report = inspect(DEFECTIVE, 2);
    let not_run: Vec<(&str, &str)> = report
        .rules
        .iter()
        .filter(|r| r.status == Status::NotRun)
        .map(|r| (r.id.as_str(), r.reason.as_deref().unwrap_or("")))
        .collect();
    // STBHHX is delivered in zone 35 while the package is in zone 34; YJJBNT has its axes
    // swapped.
    assert_eq!(
        not_run,
        vec![
            ("ZR-M007", "STBHHX 的要素全部无法量算，未能检查"),
            ("ZR-R001", "STBHHX 的要素全部无法量算，未能检查"),
            ("ZR-R002", "STBHHX 的要素全部无法量算，未能检查"),
            ("ZR-R003", "YJJBNT 的要素全部无法量算，未能检查"),
        ]
    );
}

/// 广河县 delivers docs/: the clean package has both documents of every unit but the mineral
/// one, read by name only; in the defective one the misnamed register book is listed among the
/// content not inspected, with the reason (its unit's missing documents are in the ground truth).
#[test]
fn documents_of_guanghe_are_matched_by_name() {
    let clean = inspect("fixtures/622924_广河县", 2);
    let rule = clean.rules.iter().find(|r| r.id == "ZR-S006").unwrap();
    assert_eq!(
        (rule.status, rule.coverage.checked),
        (Status::Passed, Some(5))
    );
    assert!(
        clean.package.unread.is_empty(),
        "{:?}",
        clean.package.unread
    );
    assert!(clean
        .package
        .files
        .iter()
        .all(|f| !f.path.starts_with("docs/")));

    let defective = inspect("fixtures/622924_广河县_defective", 2);
    let unread: Vec<&str> = defective
        .package
        .unread
        .iter()
        .map(|u| u.path.as_str())
        .collect();
    assert_eq!(unread, ["docs/6229245000001登记簿.pdf"]);
}

/// 康乐县 delivers suffixed 三调 land classes (format 1.1): 0301K under a forest unit and 0403K
/// under a grassland one. They are codes of the list and keep their base code's resource type,
/// so the code and consistency rules check them (none skipped) and pass.
#[test]
fn suffixed_land_classes_of_kangle_are_checked_and_pass() {
    let parcels = std::fs::read("fixtures/622922_康乐县/vector/ZRZK.fgb").unwrap();
    for code in ["0301K", "0403K"] {
        assert!(
            parcels.windows(code.len()).any(|w| w == code.as_bytes()),
            "{code} is not in 康乐县's ZRZK"
        );
    }
    let report = inspect("fixtures/622922_康乐县", 2);
    for id in ["ZR-D003", "ZR-D008"] {
        let rule = report.rules.iter().find(|r| r.id == id).unwrap();
        assert_eq!(rule.status, Status::Passed, "{id}");
        assert!(rule.coverage.checked.unwrap_or(0) > 0, "{id}");
        assert!(
            rule.coverage.skipped.is_empty(),
            "{id}: {:?}",
            rule.coverage.skipped
        );
    }
}
