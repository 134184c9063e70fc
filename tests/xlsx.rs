//! `report.xlsx` (`--format xlsx`) read by another program: `scripts/xlsx_vs_json.py` opens it
//! with openpyxl and compares every cell of 问题记录 and 规则结果, and the score, grade and
//! sub-element scores of 质量评定, with report.json of the same run.
//!
//! Needs a Python 3 with openpyxl (Debian's `python3-openpyxl`, which `scripts/test` installs):
//! `NRQC_PYTHON`, else the first of `python3` and `/usr/bin/python3` that imports openpyxl.
//! Without one this fails, naming what to install, unless `NRQC_SKIP_OPENPYXL=1` opts out.

use crate::common;

use std::path::PathBuf;
use std::process::Command;

use common::DEFECTIVE;

const OPT_OUT: &str = "NRQC_SKIP_OPENPYXL";

/// A Python that can import openpyxl.
fn python() -> Option<PathBuf> {
    let candidates: Vec<PathBuf> = match std::env::var_os("NRQC_PYTHON") {
        Some(p) => vec![p.into()],
        None => vec!["python3".into(), "/usr/bin/python3".into()],
    };
    candidates.into_iter().find(|p| {
        Command::new(p)
            .args(["-c", "import openpyxl"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// The Python to read with; `None` when the test is opted out of.
fn python_or_opt_out() -> Option<PathBuf> {
    let python = python();
    if python.is_none() {
        if std::env::var(OPT_OUT).is_ok_and(|v| v == "1") {
            eprintln!("skipped: no Python 3 with openpyxl, and {OPT_OUT}=1");
            return None;
        }
        panic!(
            "a Python 3 with openpyxl is needed to read report.xlsx independently: install it \
             (`apt-get install -y python3-openpyxl`, as scripts/test does), point NRQC_PYTHON at \
             one, or set {OPT_OUT}=1 to skip this test"
        );
    }
    python
}

/// Runs scripts/xlsx_vs_json.py on the two reports of one run; its output.
fn compare(python: &std::path::Path, dir: &std::path::Path) -> String {
    let compared = Command::new(python)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/xlsx_vs_json.py"
        ))
        .arg(dir.join("report.xlsx"))
        .arg(dir.join("report.json"))
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    let stdout = String::from_utf8_lossy(&compared.stdout).into_owned();
    assert!(
        compared.status.success(),
        "{}: scripts/xlsx_vs_json.py found differences:\n{stdout}{}",
        dir.display(),
        String::from_utf8_lossy(&compared.stderr)
    );
    assert!(
        stdout.contains("report.xlsx matches report.json"),
        "{stdout}"
    );
    stdout
}

/// Every defective fixture's workbook: each kind's measured and expected values in words (no
/// key such as `computed` or `tolerance_parts` left for a person to decode).
#[test]
fn every_defective_fixtures_workbook_holds_its_report() {
    let Some(python) = python_or_opt_out() else {
        return;
    };
    let fixtures: Vec<PathBuf> = std::fs::read_dir("fixtures")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with("_defective"))
        .collect();
    assert_eq!(fixtures.len(), 8);
    for fixture in fixtures {
        let out = tempfile::tempdir().unwrap();
        let o = common::nrqc(&[
            "check",
            fixture.to_str().unwrap(),
            "--format",
            "json,xlsx",
            "--out",
            out.path().to_str().unwrap(),
            "--quiet",
        ]);
        assert_eq!(o.status.code(), Some(1), "{}", fixture.display());
        compare(&python, out.path());
    }
}

#[test]
fn xlsx_holds_what_report_json_holds() {
    let Some(python) = python_or_opt_out() else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    // One finding excepted, so that the 例外 column holds something to compare.
    let first = out.path().join("first");
    common::nrqc(&[
        "check",
        DEFECTIVE,
        "--format",
        "json",
        "--out",
        first.to_str().unwrap(),
    ]);
    let exceptions = out.path().join("exceptions.yaml");
    let o = common::nrqc(&[
        "exceptions",
        "add",
        exceptions.to_str().unwrap(),
        "--report",
        first.to_str().unwrap(),
        "--rule",
        "ZR-N001",
        "--reason",
        "名称待批复",
        "--by",
        "李四",
        "--date",
        "2025-11-21",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    common::nrqc_exits(
        1,
        &[
            "check",
            DEFECTIVE,
            "--format",
            "json",
            "--format",
            "xlsx",
            "--exceptions",
            exceptions.to_str().unwrap(),
            "--out",
            out.path().to_str().unwrap(),
            "--quiet",
        ],
    );
    let json = out.path().join("report.json");
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert!(
        report["findings"].as_array().unwrap().len() > 10,
        "the defective package should give findings to compare"
    );
    assert_eq!(report["counts"]["excepted"], 1);

    compare(&python, out.path());
}
