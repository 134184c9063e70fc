//! `junit.xml`: the report as JUnit XML, for CI servers (Jenkins, GitLab, GitHub) to show.
//!
//! One testsuite for the package, one testcase per rule. A failed rule is a `<failure>` whose
//! text lists its findings; a rule that could not run is an `<error>`, because CI tools show a
//! `<skipped>` test as harmless and a check that did not run must never look passed; a rule on
//! an optional layer the package does not deliver is `<skipped>`. A failure of a class the profile
//! only warns about is still a failure here; its message says it is a warning, and the exit code
//! follows the profile. The suite's properties carry the verdict (`grade`, `score`: GB/T 24356)
//! and the gate (`fail_on`, `exit_code`): a red suite is not a 不合格, nor a green one a 合格. The output validates against both the Ant JUnit schema (which wants
//! `hostname`, `timestamp` without a zone, `time`, `properties`, `system-out` and `system-err`)
//! and Jenkins' xunit schema.

use std::fmt::Write;

use super::{clip, Report};

use crate::finding::{Finding, Status};
use crate::quality::DefectClass;

/// Findings listed in one failure's text; JSON and the error layer keep them all.
pub const LISTED_PER_RULE: usize = 50;

/// `junit.xml`: one testsuite for the package, one testcase per rule, the verdict and the gate as
/// suite properties (see the module's documentation).
pub fn render_junit(report: &Report) -> String {
    let mut out = String::from(HEADER);
    testsuite(&mut out, report, &report.package.name, 0);
    out.push_str(FOOTER);
    out
}

/// What opens a JUnit file, up to its first testsuite.
pub(crate) const HEADER: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n";
/// What closes it.
pub(crate) const FOOTER: &str = "</testsuites>\n";

/// One package's testsuite, named `name` and numbered `id` in its file.
pub(crate) fn testsuite(out: &mut String, report: &Report, name: &str, id: usize) {
    let c = &report.counts;
    // A hostname would make the file differ from machine to machine: the schema's placeholder
    // stands in. Rule times overlap (rules run in parallel); the suite's is the run's.
    let t = &report.timings;
    suite_open(
        out,
        &Suite {
            name,
            id,
            timestamp: &report.generated_at,
            tests: report.rules.len(),
            failures: c.rules_failed,
            errors: c.rules_not_run,
            skipped: c.rules_not_applicable,
            seconds: (t.load_ms + t.measure_ms + t.rules_ms) / 1000.0,
        },
    );
    properties(
        out,
        &[
            ("package.xzqdm", report.package.manifest.area_code.as_str()),
            (
                "package.crs",
                report.package.manifest.crs.as_deref().unwrap_or(""),
            ),
            ("ruleset", &report.ruleset.id),
            ("ruleset.sha256", &report.ruleset.sha256),
            ("profile", &report.profile.name),
            // The verdict (the GB/T 24356-2023 grade) and the gate --fail-on sets the exit code by.
            ("grade", report.grading.grade.zh()),
            (
                "score",
                &report
                    .grading
                    .score
                    .map_or_else(String::new, |s| s.to_decimal(2)),
            ),
            ("fail_on", &report.profile.fail_on.to_string()),
            ("exit_code", &super::verdict::exit_code(report).to_string()),
            ("outcome", outcome(report)),
            ("findings", &c.findings.to_string()),
            ("run_id", &report.run_id),
        ],
    );
    for rule in &report.rules {
        testcase(
            out,
            &Case {
                element: &rule.element,
                id: &rule.id,
                title: &rule.title,
                class: rule.class,
                status: rule.status,
                reason: rule.reason.as_deref(),
                findings: rule.findings,
                excepted: (
                    rule.excepted,
                    report.profile.exceptions == crate::quality::ExceptionPolicy::Count,
                ),
                listed: report
                    .findings_of(&rule.id)
                    .take(LISTED_PER_RULE)
                    .map(finding_line)
                    .collect(),
                fails: report.profile.fails(rule.class),
                all_in: "report.json",
                seconds: rule.elapsed_ms / 1000.0,
            },
        );
    }
    // The Ant schema allows no output per testcase: what the rules skipped, which a green
    // testcase must not hide, is the suite's output, one line a rule.
    let skips: Vec<String> = report
        .rules
        .iter()
        .filter(|r| !r.coverage.skipped.is_empty())
        .filter_map(|r| Some(format!("{} {}", r.id, r.coverage.summary_zh()?)))
        .collect();
    suite_close(out, &skips.join("\n"));
}

/// A testsuite's attributes.
pub(crate) struct Suite<'a> {
    /// What it tests: a package, or a batch's cross-package rules.
    pub name: &'a str,
    /// Its number in the file.
    pub id: usize,
    /// RFC 3339 UTC; written without the zone, as the Ant schema wants.
    pub timestamp: &'a str,
    /// Its testcases.
    pub tests: usize,
    /// Its failed testcases.
    pub failures: usize,
    /// Its testcases in error (rules not run).
    pub errors: usize,
    /// Its skipped testcases (rules not applicable).
    pub skipped: usize,
    /// Its wall time.
    pub seconds: f64,
}

/// Opens a testsuite.
pub(crate) fn suite_open(out: &mut String, s: &Suite) {
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" package=\"nrqc\" id=\"{}\" timestamp=\"{}\" hostname=\"localhost\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3}\">",
        attr(s.name),
        s.id,
        attr(s.timestamp.trim_end_matches('Z')),
        s.tests,
        s.failures,
        s.errors,
        s.skipped,
        s.seconds,
    );
}

/// A testsuite's properties.
pub(crate) fn properties(out: &mut String, properties: &[(&str, &str)]) {
    out.push_str("    <properties>\n");
    for (name, value) in properties {
        let _ = writeln!(
            out,
            "      <property name=\"{}\" value=\"{}\"/>",
            attr(name),
            attr(value)
        );
    }
    out.push_str("    </properties>\n");
}

/// Closes a testsuite with its output (none when empty).
pub(crate) fn suite_close(out: &mut String, system_out: &str) {
    if system_out.is_empty() {
        out.push_str("    <system-out/>\n");
    } else {
        let _ = writeln!(out, "    <system-out>{}</system-out>", text(system_out));
    }
    out.push_str("    <system-err/>\n  </testsuite>\n");
}

fn outcome(report: &Report) -> &'static str {
    match report.outcome {
        super::Outcome::Pass => "pass",
        super::Outcome::Fail => "fail",
    }
}

/// A rule as a testcase: a package's rule, or a batch's cross-package rule.
pub(crate) struct Case<'a> {
    /// Its quality element: the testcase's class name.
    pub element: &'a str,
    /// Its id.
    pub id: &'a str,
    /// Its title.
    pub title: &'a str,
    /// The class of its findings.
    pub class: DefectClass,
    /// Its status.
    pub status: Status,
    /// Why it did not run or does not apply.
    pub reason: Option<&'a str>,
    /// How many findings it has.
    pub findings: usize,
    /// How many of them an exception covers, and whether those still count (the profile's
    /// `exceptions`).
    pub excepted: (usize, bool),
    /// Its first findings (at most [`LISTED_PER_RULE`]), one line each.
    pub listed: Vec<String>,
    /// Whether its findings reach the profile's `--fail-on`, rather than warn.
    pub fails: bool,
    /// The report that lists every finding.
    pub all_in: &'a str,
    /// Its wall time.
    pub seconds: f64,
}

/// One testcase.
pub(crate) fn testcase(out: &mut String, rule: &Case) {
    let _ = write!(
        out,
        "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
        attr(rule.element),
        attr(&format!("{} {}", rule.id, rule.title)),
        rule.seconds
    );
    let reason = rule.reason.unwrap_or_default();
    match rule.status {
        Status::Passed => out.push_str("/>\n"),
        Status::NotRun => {
            let _ = writeln!(
                out,
                ">\n      <error type=\"not_run\" message=\"未能运行：{}\"/>\n    </testcase>",
                attr(reason)
            );
        }
        Status::NotApplicable => {
            let _ = writeln!(
                out,
                ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                attr(reason)
            );
        }
        Status::Failed => {
            let warning = if rule.fails {
                ""
            } else {
                "（按检查方案为警告，不影响退出码）"
            };
            let excepted = match rule.excepted {
                (0, _) => String::new(),
                (n, false) => format!("（其中 {n} 处为例外，不计入）"),
                (n, true) => format!("（其中 {n} 处为例外，按检查方案仍计入）"),
            };
            let message = format!(
                "{} 处 {} 类错漏{excepted}{warning}",
                rule.findings, rule.class
            );
            let _ = write!(
                out,
                ">\n      <failure type=\"{}\" message=\"{}\">",
                rule.class,
                attr(&message)
            );
            for line in &rule.listed {
                out.push_str(&text(line));
                out.push('\n');
            }
            if rule.findings > LISTED_PER_RULE {
                let left = rule.findings - LISTED_PER_RULE;
                let _ = writeln!(out, "另有 {left} 处未列出，见 {}。", rule.all_in);
            }
            out.push_str("</failure>\n    </testcase>\n");
        }
    }
}

/// A finding in a failure's text.
pub(crate) fn finding_line(f: &Finding) -> String {
    let ids: Vec<String> = f
        .feature_ids
        .iter()
        .map(|id| match &id.key {
            Some(key) => format!("{}（{key}）", id.fid),
            None => id.fid.to_string(),
        })
        .collect();
    let mut line = format!(
        "{} FID {}：{}",
        f.layer,
        clip(&ids.join(", ")),
        clip(&f.message)
    );
    if let Some(v) = &f.measured {
        let _ = write!(line, "；实测 {}", clip(&v.to_string()));
    }
    if let Some(v) = &f.expected {
        let _ = write!(line, "；应为 {}", clip(&v.to_string()));
    }
    if let Some(w) = &f.exception {
        let _ = write!(line, "；例外：{}", clip(&w.reason));
    }
    let _ = write!(line, "；指纹 {}", f.fingerprint);
    line
}

/// Escapes character data. Characters XML 1.0 cannot carry at all (most C0 controls) become
/// U+FFFD rather than making the whole file unreadable.
fn text(s: &str) -> String {
    escape(s, false)
}

/// Escapes an attribute value; line breaks are kept as references, which a parser would
/// otherwise normalise to spaces.
fn attr(s: &str) -> String {
    escape(s, true)
}

fn escape(s: &str, in_attribute: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if in_attribute => out.push_str("&quot;"),
            '\n' if in_attribute => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' if in_attribute => out.push_str("&#9;"),
            '\t' | '\n' => out.push(ch),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_markup_quotes_and_characters_xml_cannot_hold() {
        assert_eq!(
            super::attr("a<b & \"c\"\nd\u{1}"),
            "a&lt;b &amp; &quot;c&quot;&#10;d\u{FFFD}"
        );
        assert_eq!(super::text("]]> \"x\"\n"), "]]&gt; \"x\"\n");
    }
}
