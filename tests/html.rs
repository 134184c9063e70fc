//! `report.html` in a real browser: headless Chromium (Debian's `chromium`) runs the page's
//! script, and the finding count the page shows and counts must equal report.json's.
//!
//! Without Chromium this fails, naming what to install, unless `NRQC_SKIP_CHROMIUM=1` opts out;
//! CI installs Chromium and never sets it.

use crate::common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

const OPT_OUT: &str = "NRQC_SKIP_CHROMIUM";

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
        .find(|p| p.is_file())
}

/// The DOM after the page's script ran.
fn dump_dom(browser: &Path, page: &Path) -> String {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("file://{}", page.canonicalize().unwrap().display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", browser.display()));
    // Read while it runs: a DOM larger than the pipe's buffer would otherwise block it.
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut dom = String::new();
        stdout.read_to_string(&mut dom).map(|_| dom)
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{} did not finish within 120 s", browser.display());
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "chromium exited with {status}");
    reader.join().unwrap().unwrap()
}

/// The value of `attr="…"` on the first element that has it.
fn attribute(dom: &str, attr: &str) -> Option<String> {
    let needle = format!(" {attr}=\"");
    let start = dom.find(&needle)? + needle.len();
    Some(dom[start..start + dom[start..].find('"')?].to_owned())
}

#[test]
fn chromium_shows_as_many_findings_as_report_json() {
    let Some(browser) = chromium() else {
        if std::env::var(OPT_OUT).is_ok_and(|v| v == "1") {
            eprintln!("skipped: no chromium, and {OPT_OUT}=1");
            return;
        }
        panic!(
            "headless Chromium is needed to test report.html: install it (`apt-get install -y \
             chromium`), point CHROMIUM at it, or set {OPT_OUT}=1 to skip this test"
        );
    };
    let out = tempfile::tempdir().unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_nrqc"))
        .args(["check", DEFECTIVE, "--quiet", "--out"])
        .arg(out.path())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("report.json")).unwrap()).unwrap();
    let expected = json["findings"].as_array().unwrap().len();
    assert_eq!(json["counts"]["findings"], expected);
    assert!(expected > 0);

    let dom = dump_dom(&browser, &out.path().join("report.html"));
    // Set by the page's script, which counts listed rows plus those said to be left out: it
    // ran, and what the page lists adds up.
    assert_eq!(
        attribute(&dom, "data-findings-counted").as_deref(),
        Some(expected.to_string().as_str()),
        "the page's script did not run or counted otherwise"
    );
    // The count shown in the verdict.
    let shown = dom
        .split("id=\"finding-count\"")
        .nth(1)
        .and_then(|rest| Some(rest[rest.find('>')? + 1..rest.find('<')?].to_owned()));
    assert_eq!(shown, Some(expected.to_string()));
}
