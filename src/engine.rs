//! Planning and running: every rule's check over the dataset, in parallel, with a deterministic
//! result whatever the thread count.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::checks::derived::Derived;
use crate::checks::{Context, NotRun, RuleFacts, Run};
use crate::finding::{Coverage, RuleRun, Status};
use crate::package::Dataset;
use crate::progress::{Observer, Stage};
use crate::rules::{Rule, RuleSet};

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

fn run_rule(rule: &Rule, run: &Run, rules: &RuleSet) -> RuleRun {
    let started = Instant::now();
    let mut outcome = judge_rule(rule, run, rules);
    outcome.elapsed = started.elapsed();
    outcome
}

fn judge_rule(rule: &Rule, run: &Run, rules: &RuleSet) -> RuleRun {
    if let Some((status, reason)) = gate(rule, run.dataset, rules) {
        return RuleRun {
            status,
            reason: Some(reason),
            notes: vec![],
            coverage: Coverage::default(),
            findings: vec![],
            elapsed: Duration::ZERO,
        };
    }
    let cx = Context::new(
        run,
        RuleFacts {
            id: &rule.id,
            class: rule.class,
            element: &rule.element,
            filter: rule.filter_expr.as_ref(),
        },
    );
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
    RuleRun {
        status,
        reason,
        notes,
        coverage,
        findings,
        elapsed: Duration::ZERO,
    }
}

/// What the checks of `selected` share: the derived facts of the layers they measure, and who
/// reads what among all the rules of `rules`.
fn prepare<'a>(dataset: &'a Dataset, rules: &'a RuleSet, selected: &[Rule]) -> Run<'a> {
    let measured: BTreeSet<&str> = selected
        .iter()
        .flat_map(|r| r.check.measures())
        .map(|n| n.value.as_str())
        .collect();
    let mut derived = Derived::compute(dataset, &measured, &rules.schema);
    let mut overlapping: BTreeMap<&str, usize> = BTreeMap::new();
    for name in selected.iter().filter_map(|r| r.check.overlaps_within()) {
        *overlapping.entry(name.value.as_str()).or_default() += 1;
    }
    overlapping.retain(|_, checks| *checks > 1);
    derived.share_overlaps(dataset, &overlapping.into_keys().collect());
    let mut readers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for rule in &rules.rules {
        for read in rule.check.reads() {
            let ids = readers.entry(read.frame.value.clone()).or_default();
            if !ids.contains(&rule.id) {
                ids.push(rule.id.clone());
            }
        }
    }
    Run {
        dataset,
        schema: &rules.schema,
        codes: &rules.codes,
        derived,
        readers,
    }
}

/// Runs every rule on the current rayon pool; outcomes are in rule order (sorted by id), each
/// rule's findings in the order its check produced them.
pub fn run(dataset: &Dataset, rules: &RuleSet) -> Vec<RuleRun> {
    run_observed(dataset, rules, &(), Schedule::Together).outcomes
}

/// How the rules share the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Schedule {
    /// All rules at once, for the shortest run. A thread waiting inside one rule runs parts of
    /// others meanwhile, so a rule's wall time may hold other rules' work.
    #[default]
    Together,
    /// One rule after another, each still parallel within: every rule's wall time is its own,
    /// for `--timings`, at the cost of the parallelism between rules.
    OneAtATime,
}

/// The rules' outcomes, and how long measuring the layers they share took.
pub struct Ran {
    /// In rule order, as [`run`] returns them.
    pub outcomes: Vec<RuleRun>,
    /// Wall time of the measurements the rules share (areas, indexes), before any rule ran.
    pub measuring: Duration,
}

/// [`run`], telling `observer` of each rule run ([`Stage::Rules`]), the rules scheduled as
/// `schedule` says.
pub fn run_observed(
    dataset: &Dataset,
    rules: &RuleSet,
    observer: &dyn Observer,
    schedule: Schedule,
) -> Ran {
    // Started before measuring, which can take as long as the rules on a large package.
    observer.start(Stage::Rules, rules.rules.len());
    let started = Instant::now();
    let run = prepare(dataset, rules, &rules.rules);
    let measuring = started.elapsed();
    let one = |rule: &Rule| {
        let outcome = run_rule(rule, &run, rules);
        observer.step(Stage::Rules);
        outcome
    };
    let outcomes = match schedule {
        Schedule::Together => rules.rules.par_iter().map(one).collect(),
        Schedule::OneAtATime => rules.rules.iter().map(one).collect(),
    };
    Ran {
        outcomes,
        measuring,
    }
}

/// Runs one rule of `rules` as [`run`] runs it among the others, measuring only what it needs:
/// for looking at a rule on its own, as its test cases do.
pub fn run_one(dataset: &Dataset, rules: &RuleSet, rule: &Rule) -> RuleRun {
    let run = prepare(dataset, rules, std::slice::from_ref(rule));
    run_rule(rule, &run, rules)
}
