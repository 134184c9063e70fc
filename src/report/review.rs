//! The review lifecycle on top of one report: accepted exceptions (例外) mark the findings they
//! cover, an earlier report (`--baseline`) marks each finding new or persisting, and two reports
//! compare finding by finding (`nrqc diff`). Findings are matched by fingerprint only
//! (`finding::fingerprint`), never by FID or position in the report.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::grade::Grade;
use super::model::Report;
use crate::finding::exception::Exceptions;
use crate::finding::{FeatureId, Related, Since, Waiver};
use crate::quality::{DefectClass, ExceptionPolicy};
use crate::ratio::Ratio;

/// The exceptions file a report applied: `exceptions` of report.json.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExceptionsApplied {
    /// The file, as given with `--exceptions` or found in the package.
    pub file: String,
    /// Its entries.
    pub entries: usize,
    /// Entries that covered a finding of this report.
    pub applied: usize,
    /// What the profile does with excepted findings: `waive` or `count`.
    pub policy: ExceptionPolicy,
    /// Entries scoped to other packages (`scope`), not considered.
    pub out_of_scope: usize,
    /// Entries for this package that covered no finding: expired, or their finding is gone
    /// (fixed, or changed so that its fingerprint changed), or it is of another rule.
    pub stale: Vec<StaleException>,
}

/// An exception that covered nothing, and why.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StaleException {
    /// The fingerprint it names.
    pub fingerprint: String,
    /// The rule it names, when it names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Its line in the exceptions file.
    pub line: usize,
    /// Why it covered nothing, in Chinese.
    pub why: String,
}

/// The earlier report a report was compared with: `baseline` of report.json.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BaselineApplied {
    /// The earlier report.json, as given.
    pub file: String,
    /// Its `run_id`.
    pub run_id: String,
    /// Its grade.
    pub grade: Grade,
    /// Findings of this report not in the earlier one.
    pub new: usize,
    /// Findings of this report also in the earlier one.
    pub persisting: usize,
    /// Findings of the earlier report that this one no longer has: fixed, or changed beyond
    /// their fingerprint.
    pub fixed: Vec<Seen>,
}

/// What a report.json says of one finding, as much as review needs; read back from the file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Seen {
    /// Its fingerprint.
    pub fingerprint: String,
    /// Its rule.
    pub rule_id: String,
    /// Its rule's class.
    pub class: DefectClass,
    /// Its layer or table.
    pub layer: String,
    /// Its features.
    #[serde(default)]
    pub feature_ids: Vec<FeatureId>,
    /// Its other side, for a pair.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub related: Option<Related>,
    /// Its message.
    pub message: String,
    /// The exception that covered it, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exception: Option<Waiver>,
}

/// A report.json read back: its identity, verdict, rules and findings.
#[derive(Debug, Clone, Deserialize)]
pub struct Snapshot {
    /// The run that wrote it.
    pub run_id: String,
    /// When.
    pub generated_at: String,
    /// The package.
    pub package: SnapshotPackage,
    /// Its grade and score.
    pub grading: SnapshotGrading,
    /// Its rules' results.
    pub rules: Vec<SnapshotRule>,
    /// Its findings.
    pub findings: Vec<Seen>,
}

/// `package` of a report.json read back.
#[derive(Debug, Clone, Deserialize)]
pub struct SnapshotPackage {
    /// The package's name.
    pub name: String,
}

/// `grading` of a report.json read back.
#[derive(Debug, Clone, Deserialize)]
pub struct SnapshotGrading {
    /// The unit score as report.json writes it (`551/15`); absent when nothing was scored.
    #[serde(default)]
    pub score: Option<String>,
    /// The grade.
    pub grade: Grade,
}

/// One entry of `rules` of a report.json read back: what the comparison names a rule by.
#[derive(Debug, Clone, Deserialize)]
pub struct SnapshotRule {
    /// The rule's id.
    pub id: String,
    /// Its title.
    pub title: String,
}

impl Snapshot {
    /// Reads a report.json (`file` names it in errors).
    pub fn parse(text: &str, file: &str) -> Result<Snapshot, String> {
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| format!("{file} is not an nrqc report.json: {e}"))?;
        if value["outcome"] == "error" {
            return Err(format!(
                "{file} is the report of a run that could not inspect the package ({}); \
                 there are no findings to compare",
                value["error"].as_str().unwrap_or("no reason given")
            ));
        }
        let snapshot: Snapshot = serde_json::from_value(value)
            .map_err(|e| format!("{file} is not an nrqc report.json: {e}"))?;
        if let Some(f) = snapshot.findings.iter().find(|f| f.fingerprint.is_empty()) {
            return Err(format!(
                "{file}: finding of {} has no fingerprint; it was written by an nrqc older than \
                 fingerprints, check the package again to compare",
                f.rule_id
            ));
        }
        Ok(snapshot)
    }

    /// The unit score, exactly.
    pub fn score(&self) -> Option<Ratio> {
        parse_ratio(self.grading.score.as_deref()?)
    }
}

/// `a/b` or `a` as report.json writes a [`Ratio`].
fn parse_ratio(s: &str) -> Option<Ratio> {
    let (n, d) = s.split_once('/').unwrap_or((s, "1"));
    Ratio::new(n.parse().ok()?, d.parse().ok()?).ok()
}

impl Report {
    /// Marks the findings `exceptions` covers, lists its entries that cover nothing, and judges
    /// the report again. An entry covers the finding with its fingerprint when it is for this
    /// package (`scope`), has not expired by the report's date, and names the finding's rule
    /// if it names one.
    pub fn apply_exceptions(&mut self, exceptions: &Exceptions) {
        let today = self.generated_at.get(..10).unwrap_or("").to_owned();
        let counted = self.profile.exceptions == ExceptionPolicy::Count;
        let area = self.package.manifest.area_code.clone();
        let by_fingerprint: BTreeMap<&str, usize> = self
            .findings
            .iter()
            .enumerate()
            .map(|(i, f)| (f.fingerprint.as_str(), i))
            .collect();
        let mut marks: Vec<(usize, Waiver)> = Vec::new();
        let mut covered: BTreeMap<usize, usize> = BTreeMap::new();
        let mut applied = ExceptionsApplied {
            file: exceptions.source.clone(),
            entries: exceptions.entries.len(),
            applied: 0,
            policy: self.profile.exceptions,
            out_of_scope: 0,
            stale: vec![],
        };
        for e in &exceptions.entries {
            if !e.scope.is_empty() && !e.scope.contains(&area) {
                applied.out_of_scope += 1;
                continue;
            }
            let stale = |why: String| StaleException {
                fingerprint: e.fingerprint.clone(),
                rule: e.rule.clone(),
                line: e.line,
                why,
            };
            if let Some(day) = e.expires.as_ref().filter(|d| **d < today) {
                applied.stale.push(stale(format!("已于 {day} 到期")));
                continue;
            }
            let Some(&i) = by_fingerprint.get(e.fingerprint.as_str()) else {
                applied.stale.push(stale(
                    "本次检查没有此指纹的问题：已改正，或问题所涉要素已变".into(),
                ));
                continue;
            };
            let rule = &self.findings[i].rule_id;
            if let Some(named) = e.rule.as_ref().filter(|r| *r != rule) {
                applied.stale.push(stale(format!(
                    "此指纹的问题属于规则 {rule}，例外写的是 {named}"
                )));
                continue;
            }
            if let Some(first) = covered.get(&i) {
                applied
                    .stale
                    .push(stale(format!("与第 {first} 行的例外指向同一问题")));
                continue;
            }
            covered.insert(i, e.line);
            marks.push((
                i,
                Waiver {
                    reason: e.reason.clone(),
                    by: e.by.clone(),
                    date: e.date.clone(),
                    counted,
                },
            ));
        }
        applied.applied = marks.len();
        for (i, waiver) in marks {
            self.findings[i].exception = Some(waiver);
        }
        self.exceptions = Some(applied);
        self.count_exceptions();
        self.judge();
    }

    /// `excepted` of each rule and of the counts, from the findings' marks.
    fn count_exceptions(&mut self) {
        let mut per_rule: BTreeMap<&str, usize> = BTreeMap::new();
        for f in self.findings.iter().filter(|f| f.exception.is_some()) {
            *per_rule.entry(&f.rule_id).or_default() += 1;
        }
        for r in &mut self.rules {
            r.excepted = per_rule.get(r.id.as_str()).copied().unwrap_or(0);
        }
        self.counts.excepted = per_rule.values().sum();
    }

    /// Marks each finding new or persisting against `earlier`, the report.json `file`, and
    /// lists the earlier findings this report no longer has.
    pub fn apply_baseline(&mut self, earlier: &Snapshot, file: &str) {
        let before: BTreeSet<&str> = earlier
            .findings
            .iter()
            .map(|f| f.fingerprint.as_str())
            .collect();
        let now: BTreeSet<String> = self
            .findings
            .iter()
            .map(|f| f.fingerprint.clone())
            .collect();
        let (mut new, mut persisting) = (0, 0);
        for f in &mut self.findings {
            let since = if before.contains(f.fingerprint.as_str()) {
                persisting += 1;
                Since::Persisting
            } else {
                new += 1;
                Since::New
            };
            f.baseline = Some(since);
        }
        self.baseline = Some(BaselineApplied {
            file: file.to_owned(),
            run_id: earlier.run_id.clone(),
            grade: earlier.grading.grade,
            new,
            persisting,
            fixed: earlier
                .findings
                .iter()
                .filter(|f| !now.contains(&f.fingerprint))
                .cloned()
                .collect(),
        });
    }
}
