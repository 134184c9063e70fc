//! The exceptions file (例外): findings the inspector accepted as not being defects, each named by
//! its fingerprint, with the reason, who accepted it and when.
//!
//! ```yaml
//! exceptions:
//!   - fingerprint: 3f2a9c0d1e2b4a5c   # from report.json, or written by `nrqc exceptions add`
//!     rule: ZR-M001                   # optional: the rule the finding must be of
//!     reason: 争议面积已由县政府确认，待下一轮调查更正
//!     by: 张三
//!     date: 2026-12-01
//!     expires: 2027-06-30             # optional: not applied after this day
//!     scope: ["622923"]               # optional: only for packages of these area codes
//!     features: 6229234000001         # optional, for people: the finding's features
//!     message: …                      # optional, for people: the finding's message
//! ```
//!
//! Given with `nrqc check --exceptions FILE`, or found as `exceptions.yaml` at the package's
//! root. A missing reason, who or date, or a date that is not one, is a diagnostic at its line.

use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;

use crate::diag::{is_date, yaml_options, yaml_report, Location, Problem, SourceFile, Spanned};

/// The file name nrqc looks for at a package's root when `--exceptions` is not given.
pub const CONVENTIONAL: &str = "exceptions.yaml";

/// A parsed exceptions file.
#[derive(Debug, Clone)]
pub struct Exceptions {
    /// The file as given (or found), for the report.
    pub source: String,
    /// Its entries, in file order.
    pub entries: Vec<Exception>,
}

/// One accepted exception.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exception {
    /// The fingerprint of the finding it covers.
    pub fingerprint: String,
    /// The rule that finding must be of, when the entry names one.
    pub rule: Option<String>,
    /// Why the finding is not a defect.
    pub reason: String,
    /// Who accepted it.
    pub by: String,
    /// When, `YYYY-MM-DD`.
    pub date: String,
    /// The last day it applies, `YYYY-MM-DD`.
    pub expires: Option<String>,
    /// The area codes (xzqdm) of the packages it is for; empty for any package.
    pub scope: Vec<String>,
    /// Its line in the file (1-based), for the report's list of stale exceptions.
    pub line: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    // `exceptions:` with nothing under it, as `nrqc exceptions add` starts a file, is null.
    #[serde(default)]
    exceptions: Option<Vec<Spanned<Entry>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    fingerprint: Option<Spanned<String>>,
    rule: Option<String>,
    reason: Option<Spanned<String>>,
    by: Option<Spanned<String>>,
    date: Option<Spanned<String>>,
    expires: Option<Spanned<String>>,
    #[serde(default)]
    scope: Scope,
    // For people reading the file: nrqc writes them and never reads them back.
    #[allow(dead_code)]
    features: Option<serde::de::IgnoredAny>,
    #[allow(dead_code)]
    message: Option<serde::de::IgnoredAny>,
}

/// `scope: "622923"` or `scope: ["622923", "622924"]`.
#[derive(Deserialize, Default)]
#[serde(untagged)]
enum Scope {
    #[default]
    Any,
    One(String),
    Many(Vec<String>),
}

impl Exceptions {
    /// The package's own exceptions file: `text`, the `exceptions.yaml` its dataset read (see
    /// `package::Dataset::exceptions`), shown under `package`, the path given; `None` when the
    /// package has none.
    pub fn delivered(
        text: Option<&str>,
        package: &Path,
    ) -> Option<Result<Exceptions, miette::Report>> {
        let shown = package
            .join(CONVENTIONAL)
            .to_string_lossy()
            .replace('\\', "/");
        Some(Exceptions::parse(text?, &shown))
    }

    /// Reads and parses the exceptions file at `path`, shown as `shown`.
    pub fn read(path: &Path, shown: &str) -> Result<Exceptions, miette::Report> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| miette::miette!("cannot read exceptions file {shown}: {e}"))?;
        Exceptions::parse(&text, shown)
    }

    /// Parses `text`, the exceptions file shown as `source`; every problem is a miette diagnostic
    /// pointing at its line.
    pub fn parse(text: &str, source: &str) -> Result<Exceptions, miette::Report> {
        let raw: Raw = serde_saphyr::from_str_with_options(text, yaml_options())
            .map_err(|e| yaml_report(&e, text, source))?;
        let file = SourceFile {
            name: source.to_owned(),
            text: Arc::from(text),
        };
        let mut problems = Vec::new();
        let mut entries = Vec::new();
        for entry in raw.exceptions.unwrap_or_default() {
            match validate(entry) {
                Ok(e) => entries.push(e),
                Err(p) => problems.push(miette::Report::new(file.diagnostic(p))),
            }
        }
        if let Some(first) = problems.into_iter().next() {
            // One at a time keeps the terminal readable; each names its line.
            return Err(first);
        }
        Ok(Exceptions {
            source: source.to_owned(),
            entries,
        })
    }
}

fn validate(entry: Spanned<Entry>) -> Result<Exception, Problem> {
    let at = entry.referenced;
    let e = entry.value;
    let required = |field: Option<Spanned<String>>, name: &str, help: &str| match field
        .filter(|f| !f.value.trim().is_empty())
    {
        Some(f) => Ok(f),
        None => Err(Problem::new(at, format!("this exception has no `{name}`"))
            .label(format!("`{name}` missing or empty"))
            .help(help.to_owned())),
    };
    let fingerprint = required(
        e.fingerprint,
        "fingerprint",
        "copy the finding's `fingerprint` from report.json, or write entries with `nrqc exceptions add`",
    )?;
    if !is_fingerprint(&fingerprint.value) {
        return Err(Problem::new(
            fingerprint.referenced,
            format!("`{}` is not a finding fingerprint", fingerprint.value),
        )
        .help("a fingerprint is 16 hex digits, sometimes followed by -2, -3…, as report.json gives it"));
    }
    let reason = required(
        e.reason,
        "reason",
        "say why the finding is not a defect: an exception without a reason cannot be reviewed",
    )?;
    let by = required(e.by, "by", "name who accepted the exception")?;
    let date = required(e.date, "date", "give the day it was accepted, YYYY-MM-DD")?;
    for d in std::iter::once(&date).chain(e.expires.as_ref()) {
        if !is_date(&d.value) {
            return Err(Problem::new(
                d.referenced,
                format!("`{}` is not a date YYYY-MM-DD", d.value),
            ));
        }
    }
    Ok(Exception {
        fingerprint: fingerprint.value,
        rule: e.rule,
        reason: reason.value.trim().to_owned(),
        by: by.value.trim().to_owned(),
        date: date.value,
        expires: e.expires.map(|d| d.value),
        scope: match e.scope {
            Scope::Any => vec![],
            Scope::One(s) => vec![s],
            Scope::Many(v) => v,
        },
        line: line_of(&at),
    })
}

fn line_of(at: &Location) -> usize {
    at.line() as usize
}

/// 16 lower-case hex digits, optionally `-n`.
fn is_fingerprint(s: &str) -> bool {
    let (hex, n) = s.split_once('-').unwrap_or((s, "2"));
    hex.len() == 16
        && hex
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        && !n.is_empty()
        && n.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::Exceptions;

    const GOOD: &str = "exceptions:\n  - fingerprint: 0123456789abcdef\n    rule: ZR-M001\n    reason: 已确认\n    by: 张三\n    date: 2026-12-01\n  - fingerprint: 0123456789abcdef-2\n    reason: 另一处\n    by: 李四\n    date: 2026-12-02\n    expires: 2027-01-31\n    scope: \"622923\"\n";

    #[test]
    fn entries_with_their_lines() {
        let x = Exceptions::parse(GOOD, "x.yaml").unwrap();
        assert_eq!(x.entries.len(), 2);
        assert_eq!(x.entries[0].line, 2);
        assert_eq!(x.entries[0].rule.as_deref(), Some("ZR-M001"));
        assert_eq!(x.entries[1].line, 7);
        assert_eq!(x.entries[1].scope, vec!["622923".to_owned()]);
        assert_eq!(x.entries[1].expires.as_deref(), Some("2027-01-31"));
    }

    fn problem(text: &str) -> String {
        let e = Exceptions::parse(text, "x.yaml").unwrap_err();
        let mut out = String::new();
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .render_report(&mut out, e.as_ref())
            .unwrap();
        out
    }

    #[test]
    fn a_missing_reason_is_a_diagnostic_at_its_entry() {
        let text = GOOD.replace("    reason: 另一处\n", "");
        let out = problem(&text);
        assert!(out.contains("this exception has no `reason`"), "{out}");
        assert!(out.contains("x.yaml:7:"), "{out}");
    }

    #[test]
    fn bad_dates_and_fingerprints_and_keys_are_diagnostics() {
        let out = problem(&GOOD.replace("2027-01-31", "2027-02-30"));
        assert!(out.contains("`2027-02-30` is not a date"), "{out}");
        let out = problem(&GOOD.replace("0123456789abcdef-2", "ZR-M001"));
        assert!(out.contains("not a finding fingerprint"), "{out}");
        let out = problem(&GOOD.replace("    by: 李四", "    who: 李四"));
        assert!(out.contains("who"), "{out}");
    }
}
