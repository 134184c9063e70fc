//! One report model, several renderers (JSON, Markdown, HTML, JUnit XML, the error layer),
//! written atomically.

pub mod grade;
pub mod html;
mod junit;
mod layer;
pub mod map;
mod markdown;
mod model;
mod time;
mod write;

use std::collections::BTreeMap;
use std::path::Path;

pub use html::{render_html, Lang};
pub use junit::render_junit;
pub use layer::{render_fgb, render_geojson};
pub use map::MapLayers;
pub(crate) use markdown::exact;
pub use markdown::{
    grading_markdown, render_failed_markdown, render_markdown, score_line, summary,
    FINDINGS_PER_RULE,
};
pub use model::*;
pub use time::{now_rfc3339, run_id};
pub use write::{check_out, path_component, write_atomic, OutError, Staged, REPORT_FILES};

use crate::engine::Outcome as RuleOutcome;
use crate::package::Dataset;
use crate::rules::{DefectClass, Profile, RuleSet};

/// Assembles the report of one inspection.
pub fn build(
    dataset: &Dataset,
    package_path: &Path,
    rules: &RuleSet,
    outcomes: Vec<RuleOutcome>,
    profile: &Profile,
) -> Report {
    let mut counts = Counts::default();
    for class in DefectClass::ALL {
        counts.by_class.insert(class, 0);
    }
    let mut results = Vec::new();
    let mut findings = Vec::new();
    for (rule, outcome) in rules.rules.iter().zip(outcomes) {
        counts.add(outcome.status, rule.class, outcome.findings.len());
        results.push(RuleResult {
            id: rule.id.clone(),
            title: rule.title.clone(),
            kind: rule.kind.to_owned(),
            class: rule.class,
            element: rule.element.clone(),
            sub_element: rule.sub_element.clone(),
            status: outcome.status,
            reason: outcome.reason,
            notes: outcome.notes,
            coverage: outcome.coverage,
            findings: outcome.findings.len(),
        });
        findings.extend(outcome.findings);
    }
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
            feature_counts: dataset
                .frames
                .values()
                .map(|f| (f.name.clone(), f.len()))
                .collect(),
            files: dataset.files.clone(),
            unread: dataset.unread.clone(),
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
        ruleset: RulesetInfo {
            id: rules.id.clone(),
            sha256: rules.hash.clone(),
            rules: rules.rules.len(),
        },
        profile: profile.clone(),
        // Both are set by `judge` from the results.
        outcome: Outcome::Fail,
        grading: grade::grade(&[], profile),
        counts,
        rules: results,
        findings,
    };
    report.judge();
    report
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
    let mut s = serde_json::to_string_pretty(report).expect("the report model serializes");
    s.push('\n');
    s
}

/// `report.json` of a run that could not inspect the package.
pub fn render_failed_json(failed: &FailedRun) -> String {
    let mut s = serde_json::to_string_pretty(failed).expect("the report model serializes");
    s.push('\n');
    s
}
