//! Planning and running: every rule's check over the dataset, in parallel, with a deterministic
//! result whatever the thread count.

use std::collections::BTreeSet;

use rayon::prelude::*;

use crate::checks::derived::Derived;
use crate::checks::{Context, NotRun};
use crate::package::Dataset;
use crate::progress::{Observer, Stage};
use crate::report::{Coverage, Finding, Status};
use crate::rules::{Rule, RuleSet};

/// What one rule gave.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub status: Status,
    pub reason: Option<String>,
    /// What the run should tell beyond its counts.
    pub notes: Vec<String>,
    /// What the check evaluated and skipped; `checked: None` when it did not run.
    pub coverage: Coverage,
    pub findings: Vec<Finding>,
}

/// Whether the package has everything the rule reads; the reason it has not otherwise.
fn gate(rule: &Rule, dataset: &Dataset, rules: &RuleSet) -> Option<(Status, String)> {
    // A delivered layer that could not be read is neither missing nor checked.
    let frames =
        std::iter::once(rule.check.frame()).chain(rule.check.reads().into_iter().map(|r| r.frame));
    for name in frames {
        if let Some(failed) = dataset
            .failed
            .iter()
            .find(|f| f.frames.contains(&name.value))
        {
            return Some((
                Status::NotRun,
                format!("{} 无法读取（{}），无法检查", name.value, failed.error),
            ));
        }
    }
    for read in rule.check.reads() {
        let name = &read.frame.value;
        let Some(frame) = dataset.frame(name) else {
            let required = rules.schema.frame(name).is_some_and(|d| d.required);
            return Some(if required {
                (Status::NotRun, format!("缺少{name}，无法检查"))
            } else {
                (Status::NotApplicable, format!("成果包未交付可选的{name}"))
            });
        };
        if let Some(field) = read.field {
            if !frame.has_field(&field.value) {
                // An optional field left out of the file (GDAL's GeoJSON drops a field no
                // feature fills) holds nothing to check, as when it is there and empty.
                let optional = rules
                    .schema
                    .frame(name)
                    .and_then(|d| d.fields.get(&field.value))
                    .is_some_and(|f| !f.required);
                return Some(if optional {
                    (
                        Status::NotApplicable,
                        format!("{name} 未交付可选字段 {}，没有可检查的内容", field.value),
                    )
                } else {
                    (
                        Status::NotRun,
                        format!("{name} 缺少字段 {}，无法检查", field.value),
                    )
                });
            }
        }
    }
    // After the layers: a rule that cannot read its layer has not run, documents or not.
    if rule.check.reads_documents() && dataset.documents.is_none() {
        return Some((
            Status::NotApplicable,
            "成果包未交付可选的 docs/ 文件夹，没有可检查的文档".into(),
        ));
    }
    None
}

fn run_rule(rule: &Rule, dataset: &Dataset, rules: &RuleSet, derived: &Derived) -> Outcome {
    if let Some((status, reason)) = gate(rule, dataset, rules) {
        return Outcome {
            status,
            reason: Some(reason),
            notes: vec![],
            coverage: Coverage::default(),
            findings: vec![],
        };
    }
    let cx = Context::new(dataset, rules, rule, derived);
    let result = rule.check.run(&cx);
    let (notes, coverage, unmeasurable) = cx.finish();
    let evaluated = coverage.checked.unwrap_or(0);
    let (status, reason, findings) = match result {
        // Skipping every feature of a layer is not a pass: nothing was checked there.
        Ok(findings) if findings.is_empty() && !unmeasurable.is_empty() => (
            Status::NotRun,
            Some(format!(
                "{} 的要素全部无法量算，未能检查",
                unmeasurable.join("、")
            )),
            findings,
        ),
        // Evaluating nothing is not a pass. Everything skipped: the rule could not run.
        Ok(findings) if findings.is_empty() && evaluated == 0 && !coverage.skipped.is_empty() => (
            Status::NotRun,
            Some(format!(
                "没有可检查的内容：{}",
                coverage.skipped_zh().unwrap_or_default()
            )),
            findings,
        ),
        // Nothing to evaluate at all (no row meets the rule's `where`, an empty optional
        // table): the rule does not apply to this package.
        Ok(findings) if findings.is_empty() && evaluated == 0 => (
            Status::NotApplicable,
            Some("没有符合条件的要素或记录，未检查任何内容".into()),
            findings,
        ),
        Ok(findings) if findings.is_empty() => (Status::Passed, None, findings),
        Ok(findings) => (Status::Failed, None, findings),
        Err(NotRun(reason)) => (Status::NotRun, Some(reason), vec![]),
    };
    let coverage = match status {
        Status::NotRun => Coverage {
            checked: None,
            ..coverage
        },
        _ => coverage,
    };
    Outcome {
        status,
        reason,
        notes,
        coverage,
        findings,
    }
}

/// The derived facts of the layers that `selected` measure.
fn derive(dataset: &Dataset, rules: &RuleSet, selected: &[Rule]) -> Derived {
    let measured: BTreeSet<&str> = selected
        .iter()
        .flat_map(|r| r.check.measures())
        .map(|n| n.value.as_str())
        .collect();
    Derived::compute(dataset, &measured, &rules.schema)
}

/// Runs every rule on the current rayon pool; outcomes are in rule order (sorted by id), each
/// rule's findings in the order its check produced them.
pub fn run(dataset: &Dataset, rules: &RuleSet) -> Vec<Outcome> {
    run_observed(dataset, rules, &())
}

/// [`run`], telling `observer` of each rule run ([`Stage::Rules`]).
pub fn run_observed(dataset: &Dataset, rules: &RuleSet, observer: &dyn Observer) -> Vec<Outcome> {
    // Started before measuring, which can take as long as the rules on a large package.
    observer.start(Stage::Rules, rules.rules.len());
    let derived = derive(dataset, rules, &rules.rules);
    rules
        .rules
        .par_iter()
        .map(|rule| {
            let outcome = run_rule(rule, dataset, rules, &derived);
            observer.step(Stage::Rules);
            outcome
        })
        .collect()
}

/// Runs one rule of `rules` as [`run`] runs it among the others, measuring only what it needs:
/// for looking at a rule on its own, as its test cases do.
pub fn run_one(dataset: &Dataset, rules: &RuleSet, rule: &Rule) -> Outcome {
    let derived = derive(dataset, rules, std::slice::from_ref(rule));
    run_rule(rule, dataset, rules, &derived)
}
