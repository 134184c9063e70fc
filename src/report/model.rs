//! The report model: one structure that every renderer reads.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Serialize;

use super::grade::Grading;
use crate::finding::{Coverage, FeatureId, Finding, Status};
use crate::package::{FileDigest, InputNote, LayerCrs, Manifest, Unread};
use crate::quality::{DefectClass, Profile};

/// The version of `report.json`'s schema (docs/report-schema.md). Bump on any incompatible change.
pub const REPORT_SCHEMA: &str = "nrqc-report/1";

/// Characters of one text (a message, a measured or expected value, a feature's key, a read
/// error) that the human-readable reports (report.md, report.html, junit.xml, batch.md) show;
/// report.json and the error layer keep it whole.
pub const SHOWN_CHARS: usize = 200;

/// `s` held to about [`SHOWN_CHARS`] characters: its start and its end (where a message says
/// what is wrong with the value it quotes), with what was left out counted between them.
pub fn clip(s: &str) -> Cow<'_, str> {
    const HEAD: usize = SHOWN_CHARS * 3 / 5;
    const TAIL: usize = SHOWN_CHARS - HEAD;
    let total = s.chars().count();
    if total <= SHOWN_CHARS {
        return Cow::Borrowed(s);
    }
    let head_end = s.char_indices().nth(HEAD).map_or(s.len(), |(i, _)| i);
    let tail_start = s
        .char_indices()
        .nth(total - TAIL)
        .map_or(s.len(), |(i, _)| i);
    Cow::Owned(format!(
        "{}…（略去 {} 字符，全文见 report.json）…{}",
        &s[..head_end],
        total - HEAD - TAIL,
        &s[tail_start..]
    ))
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleResult {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub class: DefectClass,
    pub element: String,
    pub sub_element: String,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What the run should tell beyond its counts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// What the rule evaluated and what it skipped, with the reasons.
    pub coverage: Coverage,
    pub findings: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Engine {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PackageInfo {
    pub name: String,
    pub path: String,
    pub manifest: Manifest,
    /// The CRS each layer file declares about itself.
    pub layer_crs: BTreeMap<String, LayerCrs>,
    pub feature_counts: BTreeMap<String, usize>,
    pub files: Vec<FileDigest>,
    pub unread: Vec<Unread>,
    /// Delivered layers and tables that could not be read: the package was not inspected fully,
    /// and `nrqc check` exits 2 after writing the report.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<Unreadable>,
    /// Delivered layers, tables and fields that no rule that ran read (未检查的交付内容); files
    /// nrqc could not read at all are in `unread`.
    pub uninspected: Vec<Uninspected>,
    /// How files were read where the reader of the report must know it, e.g. a shapefile whose
    /// `.cpg` said GBK while its text is UTF-8.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<InputNote>,
}

/// Delivered content that no rule read: a whole layer or table (`fields` empty), or fields of
/// one that other rules read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Uninspected {
    pub layer: String,
    pub path: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
}

/// A delivered file that could not be read, with the layers or tables it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unreadable {
    pub path: String,
    pub frames: Vec<String>,
    /// The reader's error, naming the file, layer, feature and field where known.
    pub error: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RulesetInfo {
    pub id: String,
    pub sha256: String,
    pub rules: usize,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    pub by_class: BTreeMap<DefectClass, usize>,
    pub rules_passed: usize,
    pub rules_failed: usize,
    pub rules_not_run: usize,
    pub rules_not_applicable: usize,
    pub findings: usize,
}

impl Finding {
    /// The features a finding is about, and those of its other side after `↔`, as one line for
    /// the Markdown and HTML tables; `—` for none.
    pub fn places(&self) -> String {
        let mut parts: Vec<String> = self.feature_ids.iter().map(FeatureId::label).collect();
        if let Some(r) = &self.related {
            let related: Vec<String> = r
                .feature_ids
                .iter()
                .map(|id| id.key.clone().unwrap_or_else(|| format!("FID {}", id.fid)))
                .collect();
            parts.push(format!("↔ {} {}", r.layer, related.join(", ")));
        }
        if parts.is_empty() {
            "—".into()
        } else {
            parts.join("; ")
        }
    }
}

impl Counts {
    pub fn add(&mut self, status: Status, class: DefectClass, findings: usize) {
        match status {
            Status::Passed => self.rules_passed += 1,
            Status::Failed => self.rules_failed += 1,
            Status::NotRun => self.rules_not_run += 1,
            Status::NotApplicable => self.rules_not_applicable += 1,
        }
        *self.by_class.entry(class).or_default() += findings;
        self.findings += findings;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Fail,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema: String,
    pub engine: Engine,
    /// RFC 3339 UTC; from `SOURCE_DATE_EPOCH` when set, for reproducible reports.
    pub generated_at: String,
    /// The same in every report one run writes (report.json, report.md, report.html,
    /// junit.xml; batch.json and each package's reports in a batch).
    pub run_id: String,
    pub package: PackageInfo,
    pub ruleset: RulesetInfo,
    /// The profile inspected under: its failing threshold and warning classes decide `outcome`.
    pub profile: Profile,
    pub outcome: Outcome,
    /// The GB/T 24356-2023 grade and every term of its computation.
    pub grading: Grading,
    pub counts: Counts,
    pub rules: Vec<RuleResult>,
    pub findings: Vec<Finding>,
}

/// `report.json` of a run that could not inspect the package (exit 2), or `batch.json` of a
/// batch that could not run: it replaces any earlier report, so that no older verdict is read as
/// this run's.
#[derive(Debug, Clone, Serialize)]
pub struct FailedRun {
    pub schema: &'static str,
    pub engine: Engine,
    pub generated_at: String,
    pub run_id: String,
    pub package: FailedPackage,
    /// Always `error`.
    pub outcome: &'static str,
    /// What went wrong, as printed on stderr.
    pub error: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FailedPackage {
    pub name: String,
    pub path: String,
}

impl FailedRun {
    /// `schema` is the report's (`nrqc-report/1`, `nrqc-batch/1`); `name` and `path` are the
    /// package's, or the batch's name and its arguments.
    pub fn new(schema: &'static str, name: String, path: String, error: String) -> FailedRun {
        FailedRun {
            schema,
            engine: Engine::nrqc(),
            generated_at: super::now_rfc3339(),
            run_id: super::run_id().to_owned(),
            package: FailedPackage { name, path },
            outcome: "error",
            error,
        }
    }
}

impl Engine {
    /// This build of nrqc.
    pub fn nrqc() -> Engine {
        Engine {
            name: env!("CARGO_PKG_NAME").to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }
}

impl Report {
    /// Sets `outcome` and `grading` from the rule results and findings under the report's
    /// profile.
    pub fn judge(&mut self) {
        let failing = self.findings.iter().any(|f| self.profile.fails(f.class));
        self.outcome = if failing || self.counts.rules_not_run > 0 {
            Outcome::Fail
        } else {
            Outcome::Pass
        };
        self.grading = super::grade::grade(&self.rules, &self.profile);
    }

    /// Adds a rule run after the inspection, a batch's cross-package rule, with its findings
    /// about this package, and judges the report again.
    pub fn add_rule(&mut self, result: RuleResult, findings: Vec<Finding>) {
        self.counts.add(result.status, result.class, findings.len());
        self.rules.push(result);
        self.findings.extend(findings);
        self.judge();
    }

    /// The findings of one rule, in report order.
    pub fn findings_of<'a>(&'a self, rule_id: &'a str) -> impl Iterator<Item = &'a Finding> + 'a {
        self.findings.iter().filter(move |f| f.rule_id == rule_id)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn long_texts_keep_their_start_and_end() {
        assert_eq!(super::clip("短"), "短");
        let exact = "值".repeat(super::SHOWN_CHARS);
        assert_eq!(super::clip(&exact), exact);
        let long = format!("GGGZYSLX 的值 {} 不在代码表中", "X".repeat(1_000_000));
        let clipped = super::clip(&long);
        assert!(clipped.starts_with("GGGZYSLX 的值 XXX"), "{clipped}");
        assert!(clipped.ends_with("XXX 不在代码表中"), "{clipped}");
        assert!(
            clipped.contains("…（略去 999819 字符，全文见 report.json）…"),
            "{clipped}"
        );
        assert_eq!(long.chars().count() - 999_819, super::SHOWN_CHARS);
    }
}
