//! The malformed-input corpus (`tests/malformed/`, listed in `cases.tsv`): each file is put into
//! a copy of the clean 永靖县 package (or used as a rule file, or as the package zip itself) and
//! the `nrqc` binary is run on it. Bad input must never crash nor pass silently: exit 2 with an
//! error naming the file (and the expected detail), or, for input nrqc reads and then judges
//! (NaN coordinates, empty layers), exit 1 with the expected finding in report.json. No case may
//! print a panic.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

const CORPUS: &str = "tests/malformed";
const CLEAN: &str = "fixtures/622923_永靖县";
/// Where a shapefile case's unbroken files come from.
const SHAPEFILES: &str = "fixtures/622923_永靖县_defective_shp/vector";

struct Case {
    file: String,
    place: String,
    exit: i32,
    expect: String,
}

fn cases() -> Vec<Case> {
    let index = std::fs::read_to_string(Path::new(CORPUS).join("cases.tsv")).unwrap();
    index
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            assert!(cols.len() >= 4, "cases.tsv: bad line {l:?}");
            Case {
                file: cols[0].into(),
                place: cols[1].into(),
                exit: cols[2].parse().unwrap(),
                expect: cols[3].into(),
            }
        })
        .collect()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// Runs the case; returns (what went wrong) or None.
fn run(case: &Case, tmp: &Path) -> Option<String> {
    let input = Path::new(CORPUS).join(&case.file);
    let bin = env!("CARGO_BIN_EXE_nrqc");
    let out = tmp.join("out");
    let (mut cmd, names): (Command, String) = match case.place.as_str() {
        "rules" => {
            let dir = tmp.join("rules");
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::copy(&input, dir.join(&case.file)).unwrap();
            let mut cmd = Command::new(bin);
            cmd.args(["rules", "check", "--rules"])
                .arg(format!("+{}", dir.display()));
            (cmd, case.file.clone())
        }
        "zip" => {
            let zip = tmp.join("622923_永靖县.zip");
            std::fs::copy(&input, &zip).unwrap();
            let mut cmd = Command::new(bin);
            cmd.arg("check").arg(&zip);
            (cmd, "622923_永靖县.zip".into())
        }
        place => {
            let pkg = tmp.join("622923_永靖县");
            copy_dir(Path::new(CLEAN), &pkg);
            let target: PathBuf = pkg.join(place);
            // The layer or table is delivered once: drop its other formats.
            let stem = target.file_stem().unwrap().to_owned();
            for e in std::fs::read_dir(target.parent().unwrap()).unwrap() {
                let p = e.unwrap().path();
                if p.file_stem() == Some(&stem) {
                    std::fs::remove_file(p).unwrap();
                }
            }
            // A broken file of a shapefile layer comes with the layer's other files.
            if let Some(ext @ ("shp" | "shx" | "dbf")) = target.extension().and_then(|e| e.to_str())
            {
                for sidecar in ["shp", "shx", "dbf", "prj", "cpg"] {
                    if sidecar != ext {
                        let from = Path::new(SHAPEFILES).join(&stem).with_extension(sidecar);
                        std::fs::copy(from, target.with_extension(sidecar)).unwrap();
                    }
                }
            }
            std::fs::copy(&input, &target).unwrap();
            let mut cmd = Command::new(bin);
            cmd.arg("check").arg(&pkg);
            (cmd, place.to_owned())
        }
    };
    if case.place != "rules" {
        cmd.arg("--quiet").arg("--out").arg(&out);
    }
    let output = cmd.env("NO_COLOR", "1").output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let code = output.status.code();
    if stderr.contains("panicked") {
        return Some(format!("panicked:\n{stderr}"));
    }
    if code != Some(case.exit) {
        return Some(format!("exit {code:?}, expected {}:\n{stderr}", case.exit));
    }
    // miette wraps long lines; compare with the wrapping undone.
    let flat = common::flat(&stderr);
    if case.exit == 2 {
        if !flat.contains(&names) {
            return Some(format!("the error does not name {names}:\n{stderr}"));
        }
        if !flat.contains(&case.expect) && !stderr.contains(&case.expect) {
            return Some(format!(
                "the error does not say {:?}:\n{stderr}",
                case.expect
            ));
        }
    } else {
        let report = std::fs::read_to_string(out.join("report.json")).unwrap_or_default();
        if !report.contains(&case.expect) {
            return Some(format!("report.json does not hold {:?}", case.expect));
        }
    }
    None
}

#[test]
fn every_malformed_input_gives_a_clear_error_or_finding_and_no_panic() {
    let cases = cases();
    assert!(cases.len() >= 20);
    let mut failures = Vec::new();
    for case in &cases {
        let tmp = tempfile::tempdir().unwrap();
        if let Some(problem) = run(case, tmp.path()) {
            failures.push(format!("{} ({}): {problem}", case.file, case.place));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Every file of the corpus is listed in cases.tsv, and every listed file exists.
#[test]
fn the_index_lists_every_file() {
    let listed: std::collections::BTreeSet<String> = cases().into_iter().map(|c| c.file).collect();
    let present: std::collections::BTreeSet<String> = std::fs::read_dir(CORPUS)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !["cases.tsv", "README.md", "make.py"].contains(&n.as_str()))
        .collect();
    assert_eq!(listed, present);
}
