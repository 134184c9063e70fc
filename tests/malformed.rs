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

/// Runs the case in English; returns (what went wrong) or None.
fn run(case: &Case, tmp: &Path) -> Option<String> {
    let output = command(case, tmp).env("NRQC_LANG", "en").output().unwrap();
    judge(case, tmp, &output)
}

/// The command that runs `case`, its input put in place under `tmp`, and the name its error must
/// give.
fn command(case: &Case, tmp: &Path) -> Command {
    let input = Path::new(CORPUS).join(&case.file);
    let bin = env!("CARGO_BIN_EXE_nrqc");
    let out = tmp.join("out");
    let mut cmd = match case.place.as_str() {
        "rules" => {
            let dir = tmp.join("rules");
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::copy(&input, dir.join(&case.file)).unwrap();
            let mut cmd = Command::new(bin);
            cmd.args(["rules", "check", "--rules"])
                .arg(format!("+{}", dir.display()));
            cmd
        }
        "zip" => {
            let zip = tmp.join("622923_永靖县.zip");
            std::fs::copy(&input, &zip).unwrap();
            let mut cmd = Command::new(bin);
            cmd.arg("check").arg(&zip);
            cmd
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
            cmd
        }
    };
    if case.place != "rules" {
        cmd.arg("--quiet").arg("--out").arg(&out);
    }
    cmd.env("NO_COLOR", "1");
    cmd
}

/// The name a case's error must give: the rule file, the zip, or the file's place.
fn names(case: &Case) -> &str {
    match case.place.as_str() {
        "rules" => &case.file,
        "zip" => "622923_永靖县.zip",
        place => place,
    }
}

fn judge(case: &Case, tmp: &Path, output: &std::process::Output) -> Option<String> {
    let (names, out) = (names(case), tmp.join("out"));
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
        if !flat.contains(names) {
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

/// Runs of English words left in `text`: four or more words of letters in a row, between
/// punctuation and outside backticks (names and values are quoted there) and the rule or
/// manifest lines a diagnostic quotes. Each is a message the catalogue (src/i18n/zh.tsv) does
/// not know.
fn english_left(text: &str) -> Vec<String> {
    let quoted_source = |line: &str| {
        let t = line.trim_start_matches(|c: char| c.is_ascii_digit() || c == ' ');
        t.starts_with('│') || t.starts_with('·')
    };
    let mut runs = Vec::new();
    for line in text.lines().filter(|l| !quoted_source(l)) {
        for (i, outside) in line.split('`').enumerate() {
            if i % 2 == 1 {
                continue;
            }
            for clause in outside.split([',', ';', ':', '.', '(', ')', '=', '，', '；', '：']) {
                let words: Vec<&str> = clause.split(' ').filter(|w| !w.is_empty()).collect();
                let word = |w: &&str| w.len() >= 2 && w.chars().all(|c| c.is_ascii_alphabetic());
                for run in words.split(|w| !word(w)).filter(|r| r.len() >= 4) {
                    runs.push(run.join(" "));
                }
            }
        }
    }
    runs
}

/// By default the same errors are in Chinese, with every name and place they give: no run of
/// English words is left but in quoted names and values, in what the reader prints and in the
/// failed run's report.md.
#[test]
fn every_malformed_input_is_explained_in_chinese_by_default() {
    let mut failures = Vec::new();
    let (mut checked, mut found_in_english) = (0, 0);
    for case in cases().iter().filter(|c| c.exit == 2) {
        let tmp = tempfile::tempdir().unwrap();
        let output = command(case, tmp.path())
            .env_remove("NRQC_LANG")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        if output.status.code() != Some(2) || !common::flat(&stderr).contains(names(case)) {
            failures.push(format!("{}: {stderr}", case.file));
            continue;
        }
        let left = english_left(&stderr);
        // The search finds the same errors in English: it can fail.
        let english = command(case, tmp.path())
            .env("NRQC_LANG", "en")
            .output()
            .unwrap();
        found_in_english +=
            usize::from(!english_left(&String::from_utf8_lossy(&english.stderr)).is_empty());
        checked += 1;
        if !left.is_empty() {
            failures.push(format!("{}: English left: {left:?}\n{stderr}", case.file));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(
        found_in_english * 2 > checked,
        "English found in only {found_in_english} of {checked} English errors"
    );
    eprintln!(
        "{checked} errors in Chinese; English found in {found_in_english} of them in English"
    );
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
