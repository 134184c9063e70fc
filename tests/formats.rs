//! `nrqc check --format`: JUnit XML against the JUnit schemas (xmllint), the error layer as GDAL
//! reads it (ogrinfo), and the committed example reports against what the code produces.
//!
//! xmllint (Debian `libxml2-utils`) and ogrinfo (Debian `gdal-bin`) are required: a test fails,
//! never skips, without them. `.ci/run` installs both.

use crate::common;

use common::nrqc;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use common::DEFECTIVE;

const ALL_FORMATS: &str = "json,md,html,junit,layer,xlsx";
const EXAMPLES: &str = "reports/examples";

/// Every format of the defective package, written once for all the tests here.
fn all_formats() -> &'static Path {
    static OUT: OnceLock<PathBuf> = OnceLock::new();
    OUT.get_or_init(|| {
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("formats_all");
        let _ = std::fs::remove_dir_all(&out);
        let o = nrqc(&[
            "check",
            DEFECTIVE,
            "--format",
            ALL_FORMATS,
            "--out",
            out.to_str().unwrap(),
            "--quiet",
            "--lang",
            "zh",
        ]);
        assert_eq!(
            o.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        out
    })
}

fn report_json() -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(all_formats().join("report.json")).unwrap()).unwrap()
}

/// Runs an external tool the test needs; a missing tool fails the test with how to install it.
fn run_tool(program: &str, debian_package: &str, args: &[&str]) -> Output {
    match Command::new(program).args(args).output() {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "{program} is not installed; install Debian's {debian_package} \
             (apt-get install {debian_package}), as .ci/run does"
        ),
        Err(e) => panic!("cannot run {program}: {e}"),
    }
}

fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn format_selects_the_files_written() {
    let out = tempfile::tempdir().unwrap();
    let o = nrqc(&[
        "check",
        DEFECTIVE,
        "--format",
        "junit",
        "--format",
        "layer,junit",
        "--out",
        out.path().to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        file_names(out.path()),
        ["errors.fgb", "errors.geojson", "junit.xml"]
    );
    let o = nrqc(&[
        "check",
        DEFECTIVE,
        "--format",
        "pdf",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn junit_validates_against_the_ant_and_jenkins_schemas() {
    let junit = all_formats().join("junit.xml");
    for schema in [
        "tests/data/junit/ant-junit.xsd",
        "tests/data/junit/jenkins-junit-10.xsd",
    ] {
        let o = run_tool(
            "xmllint",
            "libxml2-utils",
            &["--noout", "--schema", schema, junit.to_str().unwrap()],
        );
        assert!(
            o.status.success(),
            "{schema}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

#[test]
fn junit_has_a_testcase_per_rule_and_rules_not_run_as_errors() {
    let xml = std::fs::read_to_string(all_formats().join("junit.xml")).unwrap();
    let json = report_json();
    let rules = json["rules"].as_array().unwrap();
    let with_status = |s: &str| rules.iter().filter(|r| r["status"] == s).count();
    assert_eq!(xml.matches("<testcase ").count(), rules.len());
    assert_eq!(xml.matches("<failure ").count(), with_status("failed"));
    assert!(
        with_status("not_run") > 0,
        "the fixture has rules that cannot run"
    );
    assert_eq!(xml.matches("<error ").count(), with_status("not_run"));
    assert_eq!(
        xml.matches("<skipped ").count(),
        with_status("not_applicable")
    );
}

/// Findings with a geometry, counted by rule id, as report.json has them.
fn located_by_rule() -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for f in report_json()["findings"].as_array().unwrap() {
        if !f["geometry"].is_null() {
            *counts
                .entry(f["rule_id"].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
    }
    counts
}

#[test]
fn error_layers_open_in_gdal_with_one_feature_per_located_finding() {
    let expected = located_by_rule();
    assert!(!expected.is_empty());
    let epsg = report_json()["package"]["manifest"]["epsg"]
        .as_u64()
        .unwrap();
    for (file, driver) in [("errors.fgb", "FlatGeobuf"), ("errors.geojson", "GeoJSON")] {
        let path = all_formats().join(file);
        let o = run_tool(
            "ogrinfo",
            "gdal-bin",
            &["-ro", "-al", path.to_str().unwrap()],
        );
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success(),
            "{file}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(
            text.contains(&format!("using driver `{driver}' successful")),
            "{text}"
        );
        // The package CRS, so the layer lies over the delivery.
        assert!(
            text.contains(&format!("ID[\"EPSG\",{epsg}]]")),
            "{file}: {text}"
        );
        for field in [
            "rule_id", "class", "element", "layer", "fids", "keys", "message", "measured",
            "expected",
        ] {
            assert!(
                text.contains(&format!("\n{field}: String")),
                "{file} lacks {field}"
            );
        }
        let mut found: BTreeMap<String, usize> = BTreeMap::new();
        for line in text.lines() {
            if let Some(id) = line.strip_prefix("  rule_id (String) = ") {
                *found.entry(id.to_owned()).or_default() += 1;
            }
        }
        assert_eq!(found, expected, "{file}");
        let total: usize = expected.values().sum();
        assert!(
            text.contains(&format!("Feature Count: {total}\n")),
            "{file}"
        );
    }
}

/// A report with its wall times (report.json's `elapsed_ms`, `timings`, junit.xml's `time`) set
/// to 0: they differ from run to run.
fn without_times(bytes: Vec<u8>) -> Vec<u8> {
    let Ok(text) = String::from_utf8(bytes.clone()) else {
        return bytes;
    };
    let json =
        regex::Regex::new(r#""(elapsed_ms|load_ms|measure_ms|rules_ms|ms)": ?[0-9.e+-]+"#).unwrap();
    let xml = regex::Regex::new(r#" time="[0-9.]+""#).unwrap();
    let text = json.replace_all(&text, "\"$1\": 0");
    xml.replace_all(&text, r#" time="0""#)
        .into_owned()
        .into_bytes()
}

#[test]
fn committed_examples_are_what_the_code_produces() {
    let fresh = all_formats();
    let regenerate = "regenerate them with scripts/regen_examples.sh and commit the result";
    assert_eq!(
        file_names(Path::new(EXAMPLES)),
        file_names(fresh),
        "{EXAMPLES} does not hold every format; {regenerate}"
    );
    for name in file_names(fresh) {
        let committed = without_times(std::fs::read(Path::new(EXAMPLES).join(&name)).unwrap());
        let produced = without_times(std::fs::read(fresh.join(&name)).unwrap());
        assert!(
            committed == produced,
            "{EXAMPLES}/{name} differs from what the code produces ({}); {regenerate}",
            fresh.join(&name).display()
        );
    }
}
