//! One report model, several renderers (JSON, Markdown, HTML, JUnit XML, the error layer, the
//! xlsx 质检记录表), written atomically.

pub mod diff;
pub mod doc;
pub mod grade;
pub mod html;
pub(crate) mod junit;
mod layer;
pub mod map;
mod markdown;
mod model;
pub mod review;
mod time;
pub mod verdict;
mod write;
mod xlsx;

use std::collections::BTreeMap;
use std::path::Path;

pub use html::{render_html, Lang};
pub use junit::render_junit;
pub use layer::{render_fgb, render_geojson};
pub use map::MapLayers;
pub(crate) use markdown::exact;
pub use markdown::{
    grading_markdown, render_failed_markdown, render_markdown, summary, FINDINGS_PER_RULE,
};
pub use model::*;
pub use time::{now_rfc3339, run_id};
pub use write::{check_out, path_component, write_atomic, OutError, Staged, REPORT_FILES};
pub use xlsx::{render_xlsx, SHEETS as XLSX_SHEETS};

use crate::finding::{RuleRun, Status};
use crate::package::{Dataset, Unread};
use crate::quality::{DefectClass, Profile};
use crate::rules::{Rule, RuleSet};

/// The wall time of an inspection's stages, measured by its caller.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stages {
    /// Opening and loading the package.
    pub load: std::time::Duration,
    /// Measuring what the rules share.
    pub measure: std::time::Duration,
    /// Running the rules.
    pub rules: std::time::Duration,
    /// Whether the rules ran one at a time (`--timings`), each rule's time its own.
    pub one_at_a_time: bool,
}

/// Assembles the report of one inspection.
pub fn build(
    dataset: &Dataset,
    package_path: &Path,
    rules: &RuleSet,
    outcomes: Vec<RuleRun>,
    profile: &Profile,
    stages: Stages,
) -> Report {
    let mut counts = Counts::default();
    for class in DefectClass::ALL {
        counts.by_class.insert(class, 0);
    }
    let mut results = Vec::new();
    let mut findings = Vec::new();
    for (rule, mut outcome) in rules.rules.iter().zip(outcomes) {
        counts.add(outcome.status, rule.class, outcome.findings.len());
        if let Some(r) = rules.replaced.iter().find(|r| r.id == rule.id) {
            outcome.notes.push(format!(
                "本规则来自 {}，替换了 {} 中的同号规则",
                r.by, r.was
            ));
        }
        results.push(RuleResult {
            id: rule.id.clone(),
            title: rule.title.clone(),
            kind: rule.kind.to_owned(),
            class: rule.class,
            element: rule.element.clone(),
            sub_element: rule.sub_element.clone(),
            basis: rule.basis.clone(),
            status: outcome.status,
            reason: outcome.reason,
            notes: outcome.notes,
            coverage: outcome.coverage,
            findings: outcome.findings.len(),
            excepted: 0,
            elapsed_ms: model::millis(outcome.elapsed),
        });
        findings.extend(outcome.findings);
    }
    crate::finding::fingerprint::assign(&mut findings);
    let uninspected = uninspected(dataset, rules, &results);
    let layer_crs: BTreeMap<String, _> = dataset
        .frames
        .values()
        .filter_map(|f| Some((f.name.clone(), f.geometry.as_ref()?.crs.clone())))
        .collect();
    let mut report = Report {
        schema: REPORT_SCHEMA.to_owned(),
        engine: Engine::nrqc(),
        generated_at: time::now_rfc3339(),
        run_id: time::run_id().to_owned(),
        package: PackageInfo {
            name: dataset.name(),
            path: package_path.to_string_lossy().replace('\\', "/"),
            manifest: dataset.manifest.clone(),
            layer_crs,
            field_aliases: dataset
                .frames
                .values()
                .filter(|f| !f.aliases.is_empty())
                .map(|f| (f.name.clone(), f.aliases.clone()))
                .collect(),
            feature_counts: dataset
                .frames
                .values()
                .map(|f| (f.name.clone(), f.len()))
                .collect(),
            files: dataset.files.clone(),
            unread: dataset
                .unread
                .iter()
                .cloned()
                .chain(unmatched_documents(dataset, rules, &results))
                .collect(),
            uninspected,
            unreadable: dataset
                .failed
                .iter()
                .map(|f| Unreadable {
                    path: f.error.path.to_string_lossy().replace('\\', "/"),
                    frames: f.frames.clone(),
                    error: f.error.to_string(),
                })
                .collect(),
            notes: dataset.notes.clone(),
        },
        ruleset: RulesetInfo::of(rules, false),
        profile: profile.clone(),
        // Both are set by `judge` from the results.
        outcome: Outcome::Fail,
        grading: grade::grade(&[], profile),
        counts,
        rules: results,
        findings,
        exceptions: None,
        baseline: None,
        timings: Timings {
            load_ms: model::millis(stages.load),
            measure_ms: model::millis(stages.measure),
            rules_ms: model::millis(stages.rules),
            one_at_a_time: stages.one_at_a_time,
            files: dataset
                .load_times
                .iter()
                .map(|t| FileTiming {
                    path: t.path.clone(),
                    frames: t.frames.clone(),
                    ms: model::millis(t.elapsed),
                })
                .collect(),
        },
    };
    report.judge();
    report
}

/// The files of `docs/` that no rule which ran attributed to a feature, with the reason of the
/// first rule that looked at them; all of them when no such rule ran.
fn unmatched_documents(dataset: &Dataset, rules: &RuleSet, results: &[RuleResult]) -> Vec<Unread> {
    let Some(documents) = &dataset.documents else {
        return vec![];
    };
    let ran: Vec<&Rule> = rules
        .rules
        .iter()
        .zip(results)
        .filter(|(rule, result)| {
            rule.check.reads_documents() && matches!(result.status, Status::Passed | Status::Failed)
        })
        .map(|(rule, _)| rule)
        .collect();
    let mut unmatched: BTreeMap<String, (usize, String)> = BTreeMap::new();
    for rule in &ran {
        for u in rule.check.unmatched_documents(dataset) {
            unmatched.entry(u.path).or_insert((0, u.reason)).0 += 1;
        }
    }
    documents
        .iter()
        .filter_map(|path| match unmatched.remove(path) {
            _ if ran.is_empty() => Some(Unread {
                path: path.clone(),
                reason: "没有运行的规则检查 docs/ 中的文件（只按文件名检查，未打开）".into(),
            }),
            Some((n, reason)) if n == ran.len() => Some(Unread {
                path: path.clone(),
                reason,
            }),
            _ => None,
        })
        .collect()
}

/// The delivered layers, tables and fields that no rule which ran inspected.
fn uninspected(dataset: &Dataset, rules: &RuleSet, results: &[RuleResult]) -> Vec<Uninspected> {
    let mut read: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
    for (rule, result) in rules.rules.iter().zip(results) {
        if !matches!(result.status, Status::Passed | Status::Failed) {
            continue;
        }
        for (frame, field) in rule.check.inspects(&rules.schema) {
            let fields = read.entry(frame).or_default();
            fields.extend(field);
        }
    }
    dataset
        .frames
        .values()
        .filter_map(|frame| {
            let path = frame.path.to_string_lossy().replace('\\', "/");
            let fields: Vec<String> = match read.get(&frame.name) {
                None => vec![],
                Some(fields) => {
                    let unread: Vec<String> = frame
                        .df
                        .get_column_names()
                        .into_iter()
                        .filter(|c| !fields.contains(c.as_str()))
                        .map(|c| c.to_string())
                        .collect();
                    if unread.is_empty() {
                        return None;
                    }
                    unread
                }
            };
            Some(Uninspected {
                layer: frame.name.clone(),
                path,
                fields,
            })
        })
        .collect()
}

/// `report.json`: the whole report, every finding.
pub fn render_json(report: &Report) -> String {
    json_lines(report)
}

/// JSON indented down to the report's lists and compact within their items: each finding, rule,
/// file and quality element of a report is one line (a finding's coordinates no longer take a
/// line each), so the file stays near the size of its data and `grep ZR-G003 report.json` lists
/// findings.
pub fn json_lines<T: serde::Serialize>(value: &T) -> String {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, LinesFormatter::default());
    value
        .serialize(&mut ser)
        .expect("the report model serializes");
    out.push(b'\n');
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// serde_json's pretty printing for the top two levels of nesting and the items of lists on the
/// third (`package.files`, `grading.elements`), compact within.
#[derive(Default)]
struct LinesFormatter {
    /// The open containers, innermost last: whether each is an array.
    open: Vec<bool>,
    has_value: bool,
}

impl LinesFormatter {
    /// Whether the innermost open container puts each of its items on a line.
    fn pretty(&self) -> bool {
        match self.open.len() {
            0..=2 => true,
            3 => self.open[2],
            _ => false,
        }
    }

    fn newline<W: ?Sized + std::io::Write>(&self, w: &mut W, depth: usize) -> std::io::Result<()> {
        w.write_all(b"\n")?;
        w.write_all(&b"  ".repeat(depth))
    }

    fn begin<W: ?Sized + std::io::Write>(&mut self, w: &mut W, array: bool) -> std::io::Result<()> {
        self.open.push(array);
        self.has_value = false;
        w.write_all(if array { b"[" } else { b"{" })
    }

    fn end<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        let pretty = self.pretty();
        let array = self.open.pop().unwrap_or(false);
        if self.has_value && pretty {
            self.newline(w, self.open.len())?;
        }
        w.write_all(if array { b"]" } else { b"}" })
    }

    fn item<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        if self.pretty() {
            self.newline(w, self.open.len())?;
        }
        Ok(())
    }
}

impl serde_json::ser::Formatter for LinesFormatter {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.begin(w, true)
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.end(w)
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.item(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.begin(w, false)
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.end(w)
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.item(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(if self.pretty() { b": " } else { b":" })
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// `report.json` of a run that could not inspect the package.
pub fn render_failed_json(failed: &FailedRun) -> String {
    json_lines(failed)
}
