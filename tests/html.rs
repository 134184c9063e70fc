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

/// Prints `page` to `pdf` as Chromium's print-to-PDF does, without the browser's own header and
/// footer (the page's `@page` rules give the page numbers).
fn print_to_pdf(browser: &Path, page: &Path, pdf: &Path) {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", page.canonicalize().unwrap().display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", browser.display()));
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{} did not finish printing within 120 s", browser.display());
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "chromium exited with {status}");
}

/// Runs a poppler tool (Debian's `poppler-utils`, which scripts/test installs).
fn poppler(program: &str, args: &[&str]) -> String {
    let o = match Command::new(program).args(args).output() {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "{program} is not installed; install Debian's poppler-utils \
             (apt-get install poppler-utils), as scripts/test does"
        ),
        Err(e) => panic!("cannot run {program}: {e}"),
    };
    assert!(
        o.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn report_html_prints_on_numbered_a4_pages() {
    let Some(browser) = chromium() else {
        if std::env::var(OPT_OUT).is_ok_and(|v| v == "1") {
            eprintln!("skipped: no chromium, and {OPT_OUT}=1");
            return;
        }
        panic!(
            "headless Chromium is needed to print report.html: install it (`apt-get install -y \
             chromium`), point CHROMIUM at it, or set {OPT_OUT}=1 to skip this test"
        );
    };
    let out = tempfile::tempdir().unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_nrqc"))
        .args(["check", DEFECTIVE, "--quiet", "--format", "html", "--out"])
        .arg(out.path())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1));
    let pdf = out.path().join("report.pdf");
    print_to_pdf(&browser, &out.path().join("report.html"), &pdf);
    let pdf = pdf.to_str().unwrap();

    let info = poppler("pdfinfo", &[pdf]);
    let field = |name: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(name))
            .map(str::trim)
            .unwrap_or_else(|| panic!("pdfinfo gives no {name}\n{info}"))
            .to_owned()
    };
    assert!(field("Page size:").ends_with("(A4)"), "{info}");
    let pages: usize = field("Pages:").parse().unwrap();
    // The grading, rules and findings, then the map on a page of its own, then the sign-off.
    assert!(pages >= 3, "{pages} pages");
    // The @page margin box numbers every page: `n / pages` at its foot.
    for n in [1, pages] {
        let text = poppler(
            "pdftotext",
            &[
                "-layout",
                "-f",
                &n.to_string(),
                "-l",
                &n.to_string(),
                pdf,
                "-",
            ],
        );
        assert!(
            text.contains(&format!("{n} / {pages}")),
            "page {n} has no page number:\n{text}"
        );
    }
    // The sign-off block ends the printout; the map is alone on the page before it.
    let last = poppler(
        "pdftotext",
        &["-f", &pages.to_string(), "-l", &pages.to_string(), pdf, "-"],
    );
    assert!(
        last.contains("检查人") && last.contains("检查意见"),
        "{last}"
    );
    let map_page = (pages - 1).to_string();
    let map = poppler("pdftotext", &["-f", &map_page, "-l", &map_page, pdf, "-"]);
    assert!(map.contains("地图") && !map.contains("ZR-"), "{map}");
}
