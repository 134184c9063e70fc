//! Nothing written outside `--out`, no stale verdicts, one run's reports as one set, and nothing
//! printed that can drive the reader's terminal (README, "Output: nothing written outside
//! --out, no stale verdicts"). Symlinks and concurrent runs cannot live in a corpus, so these
//! cases are made here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::common::{copy_package, flat, run_measured, Measured, CLEAN, DEFECTIVE};

const LIMIT: Duration = Duration::from_secs(60);

fn nrqc(args: &[&std::ffi::OsStr]) -> Measured {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nrqc"));
    cmd.args(args)
        .env("NRQC_LANG", "en")
        .env("NO_COLOR", "1")
        .env_remove("SOURCE_DATE_EPOCH");
    let m = run_measured(&cmd, LIMIT);
    assert!(!m.timed_out, "nrqc hung: {args:?}");
    m
}

/// `nrqc check PKG --quiet --out OUT [extra…]`.
fn check(package: &Path, out: &Path, extra: &[&str]) -> Measured {
    let mut args: Vec<&std::ffi::OsStr> = vec![
        "check".as_ref(),
        package.as_os_str(),
        "--quiet".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ];
    args.extend(extra.iter().map(|a| std::ffi::OsStr::new(*a)));
    nrqc(&args)
}

fn stderr(m: &Measured) -> String {
    flat(&String::from_utf8_lossy(&m.output.stderr))
}

fn assert_refused(m: &Measured, expected: &str) {
    let err = stderr(m);
    assert_eq!(m.output.status.code(), Some(2), "{err}");
    assert!(err.contains(expected), "expected {expected:?} in:\n{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// Every path under `dir` (symlinks not followed) with what it is: a file's content hash, a
/// symlink's target, or a folder.
fn tree(dir: &Path) -> BTreeMap<PathBuf, String> {
    use sha2::Digest;
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(dir).unwrap().to_owned();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            let what = if meta.is_symlink() {
                format!("-> {}", std::fs::read_link(&p).unwrap().display())
            } else if meta.is_dir() {
                stack.push(p.clone());
                "folder".to_owned()
            } else {
                let digest = sha2::Sha256::digest(std::fs::read(&p).unwrap());
                digest.iter().map(|b| format!("{b:02x}")).collect()
            };
            out.insert(rel, what);
        }
    }
    out
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn planted_symlinks_in_out_are_replaced_not_written_through() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let victim = work.path().join("victim.txt");
    std::fs::write(&victim, "unchanged").unwrap();
    for report in ["report.json", "report.md"] {
        std::os::unix::fs::symlink(&victim, out.join(report)).unwrap();
    }
    // The shell plants a link where nrqc used to put its temporary file,
    // `.<report>.<pid>.tmp`, then becomes nrqc under the same pid.
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(
            r#"for f in report.json report.md report.html junit.xml; do ln -s "$1" "$2/.$f.$$.tmp"; done
               exec "$3" check "$4" --quiet --format json,md,html,junit --out "$2""#,
        )
        .arg("sh")
        .args([victim.as_os_str(), out.as_os_str()])
        .arg(env!("CARGO_BIN_EXE_nrqc"))
        .arg(CLEAN)
        .env("NRQC_LANG", "en")
        .env_remove("SOURCE_DATE_EPOCH");
    let m = run_measured(&cmd, LIMIT);
    assert_eq!(m.output.status.code(), Some(0), "{}", stderr(&m));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "unchanged");
    for report in ["report.json", "report.md", "report.html", "junit.xml"] {
        let meta = std::fs::symlink_metadata(out.join(report)).unwrap();
        assert!(meta.is_file(), "{report} is a file of its own");
    }
    assert_eq!(json(&out.join("report.json"))["outcome"], "pass");
    // The planted links are left as they were, and no staging folder.
    let others: Vec<String> = names(&out)
        .into_iter()
        .filter(|n| !n.starts_with("report.") && n != "junit.xml")
        .collect();
    assert_eq!(others.len(), 4, "{others:?}");
    assert!(others.iter().all(|n| n.ends_with(".tmp")), "{others:?}");

    // `rules doc --out FILE` through a symlink: the link is replaced.
    let doc = out.join("rules.md");
    std::os::unix::fs::symlink(&victim, &doc).unwrap();
    let m = nrqc(&[
        "rules".as_ref(),
        "doc".as_ref(),
        "--out".as_ref(),
        doc.as_os_str(),
    ]);
    assert_eq!(m.output.status.code(), Some(0), "{}", stderr(&m));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "unchanged");
    assert!(std::fs::symlink_metadata(&doc).unwrap().is_file());
}

#[test]
fn batch_over_dot_named_zips_writes_only_inside_out() {
    let work = tempfile::tempdir().unwrap();
    let packages = work.path().join("deep/packages");
    std::fs::create_dir_all(&packages).unwrap();
    for zip in ["...zip", "..zip", ".hidden.zip", "a\u{1b}[2J.zip"] {
        crate::hostile::paths::zip_package(&packages.join(zip), &[]);
    }
    let before = tree(work.path());
    let out = work.path().join("deep/packages/../out");
    let m = nrqc(&[
        "batch".as_ref(),
        packages.as_os_str(),
        "--quiet".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    // Four copies of one county: one county delivered four times (ZR-X005), so the batch is
    // 不合格.
    assert_eq!(m.output.status.code(), Some(1), "{}", stderr(&m));
    let after = tree(work.path());
    let new: Vec<&PathBuf> = after.keys().filter(|p| !before.contains_key(*p)).collect();
    assert!(
        new.iter().all(|p| p.starts_with("deep/out")),
        "written outside --out: {new:?}"
    );
    let out = work.path().join("deep/out");
    // `...zip` is the package `..`, `..zip` the package `.`: both `package`, so each is named
    // by its folder and file.
    assert_eq!(
        names(&out),
        [
            "_hidden",
            "a_[2J",
            "batch-junit.xml",
            "batch.json",
            "batch.md",
            "packages_...zip",
            "packages_..zip"
        ]
    );
    for dir in ["_hidden", "a_[2J", "packages_...zip", "packages_..zip"] {
        assert_eq!(
            names(&out.join(dir)),
            [
                "errors.fgb",
                "errors.geojson",
                "junit.xml",
                "report.html",
                "report.json",
                "report.md"
            ]
        );
    }
    let batch = json(&out.join("batch.json"));
    let reports: Vec<&str> = batch["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["report"].as_str().unwrap())
        .collect();
    assert_eq!(
        reports,
        [
            "packages_...zip/report.md",
            "packages_..zip/report.md",
            "_hidden/report.md",
            "a_[2J/report.md"
        ]
    );
}

#[test]
fn a_failed_run_replaces_the_earlier_pass() {
    let (work, package) = copy_package(CLEAN);
    let out = work.path().join("out");
    let m = check(&package, &out, &["--format", "json,md,html,junit,layer"]);
    assert_eq!(m.output.status.code(), Some(0), "{}", stderr(&m));
    assert_eq!(json(&out.join("report.json"))["outcome"], "pass");

    std::fs::remove_file(package.join("package.yaml")).unwrap();
    let m = check(&package, &out, &[]);
    assert_refused(&m, "no package.yaml here");
    assert_eq!(names(&out), ["report.json", "report.md"]);
    let report = json(&out.join("report.json"));
    assert_eq!(report["outcome"], "error");
    assert_eq!(report["schema"], "nrqc-report/1");
    let error = report["error"].as_str().unwrap();
    assert!(error.contains("no package.yaml here"), "{error}");
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("结论：**无法检查**"), "{md}");
    // report.md is in Chinese, like the terminal by default.
    assert!(md.contains("此处没有 package.yaml"), "{md}");
    assert!(!md.contains("通过"), "{md}");
    assert_eq!(
        report["run_id"].as_str().map(|id| md.contains(id)),
        Some(true)
    );
}

#[test]
fn out_inside_the_package_is_refused_before_anything_is_written() {
    let (work, package) = copy_package(CLEAN);
    let link = work.path().join("link");
    std::os::unix::fs::symlink(&package, &link).unwrap();
    let before = tree(work.path());
    for out in [
        package.clone(),
        package.join("reports"),
        package.join("vector"),
        package.join("new/../../622923_永靖县/r"),
        link.join("reports/deeper"),
    ] {
        let m = check(&package, &out, &[]);
        assert_refused(
            &m,
            &format!(
                "--out {} is inside the package {}",
                out.display(),
                package.display()
            ),
        );
        assert_eq!(tree(work.path()), before, "--out {}", out.display());
    }
    // The same in a batch, for each package it inspects.
    let m = nrqc(&[
        "batch".as_ref(),
        package.as_os_str(),
        "--out".as_ref(),
        package.join("reports").as_os_str(),
    ]);
    assert_refused(&m, "is inside the package");
    assert_eq!(tree(work.path()), before);

    // A zip package's folder is not the package.
    let zip = work.path().join("622923_永靖县.zip");
    crate::hostile::paths::zip_package(&zip, &[]);
    let m = check(&zip, &work.path().join("reports"), &[]);
    assert_eq!(m.output.status.code(), Some(0), "{}", stderr(&m));
}

#[test]
fn out_naming_a_file_is_said_plainly() {
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("report.json");
    std::fs::write(&file, "mine").unwrap();
    let m = check(Path::new(CLEAN), &file, &[]);
    assert_refused(
        &m,
        &format!("error: --out {} is a file, not a folder", file.display()),
    );
    assert!(!stderr(&m).contains("os error"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
}

/// The run id each report of `out` carries.
fn run_ids(out: &Path) -> BTreeMap<&'static str, String> {
    let read = |name: &str| std::fs::read_to_string(out.join(name)).unwrap();
    let after = |text: &str, marker: &str, end: char| -> String {
        let at = text
            .find(marker)
            .unwrap_or_else(|| panic!("{marker} in {text}"))
            + marker.len();
        text[at..].split(end).next().unwrap().to_owned()
    };
    BTreeMap::from([
        (
            "report.json",
            json(&out.join("report.json"))["run_id"]
                .as_str()
                .unwrap()
                .to_owned(),
        ),
        ("report.md", after(&read("report.md"), "运行编号 ", '）')),
        ("report.html", after(&read("report.html"), " · run ", '<')),
        (
            "junit.xml",
            after(&read("junit.xml"), "name=\"run_id\" value=\"", '"'),
        ),
    ])
}

#[test]
fn concurrent_runs_into_one_out_leave_one_set() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    let formats = "json,md,html,junit";
    for pair in 0..20 {
        let spawn = |package: &str| {
            Command::new(env!("CARGO_BIN_EXE_nrqc"))
                .args(["check", package, "--quiet", "--format", formats, "--out"])
                .arg(&out)
                .env_remove("SOURCE_DATE_EPOCH")
                .spawn()
                .unwrap()
        };
        let (mut a, mut b) = (spawn(CLEAN), spawn(DEFECTIVE));
        let (a, b) = (a.wait().unwrap(), b.wait().unwrap());
        assert_eq!((a.code(), b.code()), (Some(0), Some(1)), "pair {pair}");
        let ids = run_ids(&out);
        let first = ids["report.json"].clone();
        assert!(
            ids.values().all(|id| *id == first),
            "pair {pair}: a mixed set {ids:?}"
        );
        // The verdicts agree too: one package's set.
        let passed = json(&out.join("report.json"))["outcome"] == "pass";
        let md = std::fs::read_to_string(out.join("report.md")).unwrap();
        assert_eq!(md.contains("- 退出码 0："), passed, "pair {pair}");
        assert_eq!(
            names(&out),
            ["junit.xml", "report.html", "report.json", "report.md"],
            "pair {pair}: only the reports, no staging folder"
        );
    }
}

#[test]
fn control_characters_never_reach_the_terminal() {
    let (work, package) = copy_package(CLEAN);
    let manifest = package.join("package.yaml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    // YAML's own escapes: ESC ] 0 ; title BEL sets a terminal's title, ESC [ 2 J clears it; CSI
    // (U+009B) is the one-character C1 form of ESC [.
    std::fs::write(
        &manifest,
        text.replace(
            "xzqmc: 永靖县",
            "xzqmc: \"\\e]0;title\\a永靖县\\e[2J\\u009B2J\\r\"",
        ),
    )
    .unwrap();
    // Not --quiet: the summary names the package's xzqmc.
    let out = work.path().join("out");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nrqc"));
    cmd.arg("check")
        .arg(&package)
        .arg("--out")
        .arg(&out)
        .env("NRQC_LANG", "en");
    let summary = run_measured(&cmd, LIMIT);
    // An argument clap rejects, quoted in its error. clap's plain rendering drops the ESC
    // sequences itself; the one-character CSI is escaped by nrqc.
    let clap = nrqc(&[
        "check".as_ref(),
        "a".as_ref(),
        "b\u{1b}]0;x\u{7}\u{9b}2J\u{1b}[2J".as_ref(),
    ]);
    // A package that cannot be read, named in the error.
    let bad = work.path().join("bad\u{1b}]0;x\u{7}");
    std::fs::create_dir(&bad).unwrap();
    let unreadable = check(&bad, &work.path().join("bad-out"), &[]);
    for (what, m, escaped) in [
        (
            "summary",
            &summary,
            "\\x1b]0;title\\x07永靖县\\x1b[2J\\u{9b}2J\\x0d",
        ),
        ("clap error", &clap, "unexpected argument 'b\\u{9b}2J'"),
        ("package error", &unreadable, "bad\\x1b]0;x\\x07"),
    ] {
        let all = [m.output.stdout.as_slice(), m.output.stderr.as_slice()].concat();
        let text = String::from_utf8_lossy(&all);
        assert!(
            !text.contains(['\u{1b}', '\u{7}', '\u{9b}', '\r']),
            "{what}: raw control characters in {text:?}"
        );
        assert!(text.contains(escaped), "{what}: {escaped} in {text}");
    }
    assert_eq!(summary.output.status.code(), Some(0));
    // The reports keep the value as delivered: JSON escapes it, and HTML escapes what it must.
    let report = json(&out.join("report.json"));
    assert_eq!(
        report["package"]["manifest"]["xzqmc"],
        "\u{1b}]0;title\u{7}永靖县\u{1b}[2J\u{9b}2J\r"
    );
}

/// A copy of the clean package whose GGGZ table has `rows` more rows, each with a type not in
/// the code list (`value(i)`, an in_domain finding) and a unit that does not exist (a reference
/// finding): two findings a row.
fn many_findings(rows: usize, value: impl Fn(usize) -> String) -> (tempfile::TempDir, PathBuf) {
    use std::io::Write;
    let (work, package) = copy_package(CLEAN);
    let mut table = std::fs::OpenOptions::new()
        .append(true)
        .open(package.join("tables/GGGZ.csv"))
        .unwrap();
    let mut text = String::new();
    for i in 0..rows {
        text.push_str(&format!(
            "62292390{i:05},{},6229239{i:04},1.0,x\n",
            value(i)
        ));
    }
    table.write_all(text.as_bytes()).unwrap();
    (work, package)
}

/// Bytes of each report written into `out`.
fn sizes(out: &Path) -> BTreeMap<String, u64> {
    names(out)
        .into_iter()
        .map(|n| {
            let len = std::fs::metadata(out.join(&n)).unwrap().len();
            (n, len)
        })
        .collect()
}

const ALL_FORMATS: &[&str] = &["--format", "json,md,html,junit,layer"];

/// Bounds of report.md, report.html and junit.xml, whatever the findings.
const HUMAN_BOUNDS: [(&str, u64); 3] = [
    ("report.md", 64 << 10),
    ("report.html", 256 << 10),
    ("junit.xml", 64 << 10),
];

#[test]
fn human_reports_are_bounded_by_rule_not_by_finding() {
    let mut seen = Vec::new();
    for rows in [5_000, 20_000] {
        let (work, package) = many_findings(rows, |i| format!("X{i}"));
        let out = work.path().join("out");
        let m = check(&package, &out, ALL_FORMATS);
        assert_eq!(m.output.status.code(), Some(1), "{}", stderr(&m));
        let report = json(&out.join("report.json"));
        let findings = report["counts"]["findings"].as_u64().unwrap();
        assert_eq!(findings, 2 * rows as u64);
        // report.json keeps every finding, one line each.
        assert_eq!(
            report["findings"].as_array().unwrap().len() as u64,
            findings
        );
        let sizes = sizes(&out);
        // About 390 bytes a finding: its message, values, keys and fingerprint.
        assert!(
            sizes["report.json"] < 420 * findings,
            "{rows} rows: {sizes:?}"
        );
        for (name, bound) in HUMAN_BOUNDS {
            assert!(sizes[name] < bound, "{rows} rows, {name}: {sizes:?}");
        }
        let md = std::fs::read_to_string(out.join("report.md")).unwrap();
        let more = format!("仅列出前 20 处，另有 {} 处见 report.json。", rows - 20);
        assert_eq!(md.matches(&more).count(), 2, "{more}");
        seen.push(sizes);
    }
    // Four times the findings: the same human-readable reports but for their counts.
    for (name, _) in HUMAN_BOUNDS {
        let (small, large) = (seen[0][name], seen[1][name]);
        assert!(
            large.abs_diff(small) < 1024,
            "{name}: {small} and {large} bytes"
        );
    }
}

#[test]
fn long_values_are_clipped_in_human_reports() {
    const LONG: usize = 500_000;
    let (work, package) = many_findings(20, |i| format!("{i}{}", "X".repeat(LONG)));
    let out = work.path().join("out");
    let m = check(&package, &out, ALL_FORMATS);
    assert_eq!(m.output.status.code(), Some(1), "{}", stderr(&m));
    let sizes = sizes(&out);
    for (name, bound) in HUMAN_BOUNDS {
        assert!(sizes[name] < bound, "{name}: {sizes:?}");
    }
    // report.json keeps each value whole, in the message and as the measured value.
    assert!(sizes["report.json"] > 2 * 20 * LONG as u64, "{sizes:?}");
    // Each of the 20 listed findings shows its message clipped (junit.xml its measured value
    // too; report.md and report.html leave the values to the message), the start and end kept:
    // no run of the value longer than the 200 characters shown.
    for (name, clipped) in [("report.md", 20), ("report.html", 20), ("junit.xml", 40)] {
        let text = std::fs::read_to_string(out.join(name)).unwrap();
        assert!(
            text.matches("全文见 report.json）").count() >= clipped,
            "{name}"
        );
        let longest = text.split(|c| c != 'X').map(str::len).max().unwrap();
        assert!(longest < 200, "{name}: {longest} X in a row");
    }
}

#[test]
fn a_failed_batch_replaces_the_earlier_verdict() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    let batch = |extra: &[&std::ffi::OsStr]| {
        let mut args: Vec<&std::ffi::OsStr> = vec![
            "batch".as_ref(),
            CLEAN.as_ref(),
            "--quiet".as_ref(),
            "--out".as_ref(),
            out.as_os_str(),
        ];
        args.extend(extra);
        nrqc(&args)
    };
    let m = batch(&[]);
    assert_eq!(m.output.status.code(), Some(0), "{}", stderr(&m));
    assert_eq!(
        json(&out.join("batch.json"))["verdict"]["grade"],
        "excellent"
    );

    let missing = work.path().join("TJ_ZRZYMJ.csv");
    let m = batch(&["--prefecture-table".as_ref(), missing.as_os_str()]);
    assert_refused(&m, &missing.display().to_string());
    let summary = json(&out.join("batch.json"));
    assert_eq!(summary["schema"], "nrqc-batch/1");
    assert_eq!(summary["outcome"], "error");
    assert!(summary.get("verdict").is_none());
    assert!(!out.join("batch.md").exists());
}
