//! Batch inspection of a prefecture: every county package inspected in parallel, the
//! cross-package rules run over all of them, and one summary with the batch verdict
//! (GB/T 24356-2023 6.4.1, or 6.3 for a sample).

mod render;
pub mod sample;
pub mod shard;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

pub use render::{render_junit, render_markdown};

use crate::checks::cross::{CrossContext, Input, Package};
use crate::checks::RuleFacts;
use crate::finding::exception::Exceptions;
use crate::finding::{Finding, Status};
use crate::quality::{DefectClass, Profile};
use crate::ratio::Ratio;
use crate::report::grade::Grade;
use crate::report::{self, Report, RuleResult};
use crate::rules::RuleSet;

/// The version of `batch.json`'s schema.
pub const BATCH_SCHEMA: &str = "nrqc-batch/1";

/// Every file name a batch writes beside the counties' folders: a run removes those it did not
/// write, so that no summary of an earlier run stays beside its own.
pub const BATCH_FILES: [&str; 3] = ["batch.json", "batch.md", "batch-junit.xml"];

/// `--sample`: a fixed size, or the size 表1 gives for the batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleSize {
    /// `--sample auto`: the size 表1 gives for the number of packages found.
    Auto,
    /// `--sample N`: N packages, or all of them when fewer were found.
    Fixed(usize),
}

/// How a sampled batch was drawn: `sampling` of batch.json and the 抽样 line of batch.md, with what
/// `--sample … --seed …` replays it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Sampling {
    /// `auto` (表1) or the size asked for.
    pub requested: String,
    /// Packages found on the command line, before sampling.
    pub population: usize,
    /// Packages drawn: at most `population`.
    pub size: usize,
    /// Replays the draw: `--sample … --seed SEED`.
    pub seed: u64,
    /// The table and the draw, in Chinese (GB/T 24356-2023 表1, SplitMix64 partial Fisher–Yates).
    pub method: String,
    /// The paths of the packages drawn, in the order they were found.
    pub selected: Vec<String>,
}

/// One county's row of the summary.
#[derive(Debug, Clone, Serialize)]
pub struct Unit {
    /// The folder its reports are written to: the package directory's name, or, for packages
    /// of the same name, the end of its path (`v2_622923_永靖县`).
    pub package: String,
    /// The package's path as found from the command line.
    pub path: String,
    /// `xzqdm` of its `package.yaml` (the JSON key too); absent when the package could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(rename = "xzqdm")]
    pub area_code: Option<String>,
    /// `xzqmc` of its `package.yaml` (the JSON key too); absent when the package could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(rename = "xzqmc")]
    pub area_name: Option<String>,
    /// `<package>/report.md`, relative to the summary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<String>,
    /// Its unit score S as exact text, e.g. `"1076/11"`; absent when the package could not be read
    /// or nothing was inspected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<Ratio>,
    /// Its grade, cross-package findings included; 不合格 when the package could not be read.
    pub grade: Grade,
    /// Its findings, cross-package ones included; 0 when the package could not be read.
    pub findings: usize,
    /// Why the unit is 不合格.
    pub reasons: Vec<String>,
    /// The package could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A cross-package rule's result over the batch.
#[derive(Debug, Clone, Serialize)]
pub struct CrossResult {
    /// The batch rule's id, e.g. `ZR-X001`.
    pub id: String,
    /// Its `title` in `batch.yaml`, in Chinese.
    pub title: String,
    /// Its cross-package check kind, e.g. `unique_across`.
    pub kind: &'static str,
    /// The defect class of its findings, in each package's grade and for the batch's `--fail-on`.
    pub class: DefectClass,
    /// The quality element it is graded under in each package's report, e.g. `逻辑一致性`.
    pub element: String,
    /// `failed` when it found anything; else `passed`, or `not_run`/`not_applicable` when it could
    /// not judge the batch.
    pub status: Status,
    /// Why it judged nothing, or not everything (then beside `failed`); absent when it judged the
    /// whole batch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// With the package each is about (none for the prefecture's table).
    pub findings: Vec<CrossFinding>,
    /// Wall time of judging it, in milliseconds (to 0.1 ms).
    pub elapsed_ms: f64,
}

/// One finding of a cross-package rule in batch.json: the finding's fields with `package` beside
/// them.
#[derive(Debug, Clone, Serialize)]
pub struct CrossFinding {
    /// The report directory of the package it is about (as `Unit::package`); absent for a finding
    /// about the batch as a whole, which makes the batch 不合格 when it reaches `--fail-on`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// The finding, its fields flattened into this object.
    #[serde(flatten)]
    pub finding: Finding,
}

/// The batch verdict: `verdict` of batch.json, the 批结论 of batch.md.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// `6.4.1` (最终检查批, every unit inspected) or `6.3` (a sample).
    pub clause: &'static str,
    /// 不合格 when `reasons` is not empty; else, by 6.4.1, from E, G and N, or by 6.3 from
    /// `mean_score`.
    pub grade: Grade,
    /// E, G, Q and U: units graded 优, 良, 合格, 不合格; N = all of them.
    pub excellent: usize,
    /// G: units graded 良.
    pub good: usize,
    /// Q: units graded 合格 (shown; 6.4.1 grades by E and G).
    pub qualified: usize,
    /// U: units graded 不合格, packages that could not be read included.
    pub unqualified: usize,
    /// N: every unit of the batch (of the sample when sampled), readable or not.
    pub n: usize,
    /// 6.3: the mean of the unit scores.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_score: Option<Ratio>,
    /// Why the batch is 不合格, in Chinese; empty otherwise.
    pub reasons: Vec<String>,
}

/// `batch.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// `nrqc-batch/1` (`BATCH_SCHEMA`).
    pub schema: &'static str,
    /// The nrqc that ran the batch.
    pub engine: report::Engine,
    /// RFC 3339 UTC; from `SOURCE_DATE_EPOCH` when that is set.
    pub generated_at: String,
    /// The run id of every package report written beside it.
    pub run_id: String,
    /// The batch's name, batch.md's heading: the name of the one directory of packages given, or
    /// `batch`.
    pub name: String,
    /// The rule set; its `rules` counts the package rules and, when the profile runs them, the
    /// cross-package rules.
    pub ruleset: report::RulesetInfo,
    /// The profile every package was inspected and graded under, `--fail-on` applied.
    pub profile: Profile,
    /// How the sample was drawn (6.3); absent when every package was inspected (6.4.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sampling: Option<Sampling>,
    /// `--plan-year`: the year plan lists are judged at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan_year: Option<i32>,
    /// One row per package inspected, readable or not, in the order found.
    pub units: Vec<Unit>,
    /// The cross-package rules' results, by id; empty when the profile does not run them.
    pub cross_package: Vec<CrossResult>,
    /// The batch verdict.
    pub verdict: Verdict,
}

/// What to inspect and how.
pub struct Options<'a> {
    /// The batch's name (`Summary::name`).
    pub name: String,
    /// The profile to inspect and grade under: its `cross_package` runs the batch rules, and its
    /// `fail_on` decides which findings about the batch make it 不合格.
    pub profile: &'a Profile,
    /// `--sample` and `--seed`: the size and the seed of the draw; `None` inspects every package.
    pub sample: Option<(SampleSize, u64)>,
    /// `--prefecture-table`: files named after their table (`TJ_ZRZYMJ.csv`).
    pub prefecture_tables: &'a [PathBuf],
    /// `--plan-year`: units of a plan list registered later are not expected.
    pub plan_year: Option<i32>,
}

/// A batch's summary and each readable county's report with its map layers (for report.html),
/// by the name of its report directory (in the summary's order).
pub struct Batch {
    /// What batch.json holds and batch.md renders.
    pub summary: Summary,
    /// For each readable package, in the summary's order: its report directory's name
    /// (`Unit::package`), its report with the cross-package findings about it added, and its map
    /// for report.html.
    pub reports: Vec<(String, Report, report::MapLayers)>,
}

/// Packages from the command line: a directory holding `package.yaml` or a `.zip` file is a
/// package; any other directory contributes its subdirectories that hold one and its `.zip`
/// files, sorted. A `.zip` that is not a regular file (a FIFO) is kept, so that opening it
/// refuses it in its own report rather than leaving it out unsaid. A package found twice is an
/// error.
pub fn discover(args: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let is_package =
        |p: &Path| p.join("package.yaml").is_file() || crate::package::archive::is_zip(p);
    let mut out = Vec::new();
    for arg in args {
        if is_package(arg) {
            out.push(arg.clone());
            continue;
        }
        let entries = std::fs::read_dir(arg).map_err(|e| format!("{}: {e}", arg.display()))?;
        let mut found: Vec<PathBuf> = entries
            .filter_map(|e| Some(e.ok()?.path()))
            .filter(|p| is_package(p))
            .collect();
        if found.is_empty() {
            return Err(format!(
                "{}: neither a package (no package.yaml) nor a directory of packages",
                arg.display()
            ));
        }
        found.sort();
        out.extend(found);
    }
    // One folder found twice (named twice, or named and inside a folder named) is one delivery
    // inspected twice, not a county delivered twice: refused rather than reported.
    let mut seen: std::collections::BTreeMap<PathBuf, &Path> = std::collections::BTreeMap::new();
    for p in &out {
        let canonical = p.canonicalize().unwrap_or_else(|_| p.clone());
        if let Some(earlier) = seen.insert(canonical, p) {
            return Err(format!(
                "{} and {} are the same package: give it once",
                earlier.display(),
                p.display()
            ));
        }
    }
    Ok(out)
}

/// Names for the packages' report folders, as safe path components. A package is named by its
/// folder (a zip by its name without `.zip`). Packages that share that name (a county delivered
/// again from another folder) are named by as many of the last components of their canonical
/// paths as tell them apart, joined with `_` (`fixtures_622925_和政县` beside
/// `v2_622925_和政县`), a zip keeping its `.zip` there (`X` and `X.zip` side by side): a copy is
/// named by where it came from, and the same packages get the same names whatever order they are
/// given in. Paths that no name tells apart (names that differ only in characters a folder name
/// cannot hold) are an error.
fn unique_names(paths: &[PathBuf]) -> Result<Vec<String>, String> {
    // The components of each canonical path, last first.
    let parts: Vec<Vec<String>> = paths
        .iter()
        .map(|p| {
            let full = p.canonicalize().unwrap_or_else(|_| p.clone());
            full.components()
                .rev()
                .filter_map(|c| match c {
                    std::path::Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
                    _ => None,
                })
                .collect()
        })
        .collect();
    let name = |i: usize, depth: usize| match depth {
        1 => report::path_component(&crate::package::package_name(&paths[i])),
        _ => {
            let mut last: Vec<&str> = parts[i][..depth].iter().map(String::as_str).collect();
            last.reverse();
            report::path_component(&last.join("_"))
        }
    };
    let mut depth = vec![1; paths.len()];
    loop {
        let names: Vec<String> = (0..paths.len()).map(|i| name(i, depth[i])).collect();
        let clashing: Vec<usize> = (0..names.len())
            .filter(|&i| names.iter().filter(|n| **n == names[i]).count() > 1)
            .collect();
        let Some(&first) = clashing.first() else {
            return Ok(names);
        };
        let mut deeper = false;
        for &i in &clashing {
            if depth[i] < parts[i].len() {
                depth[i] += 1;
                deeper = true;
            }
        }
        if !deeper {
            let same: Vec<String> = clashing
                .iter()
                .filter(|&&i| names[i] == names[first])
                .map(|&i| paths[i].display().to_string())
                .collect();
            return Err(format!(
                "{}: no report folder name tells these packages apart",
                same.join(", ")
            ));
        }
    }
}

/// Why a package of the batch has no report.
#[derive(Debug)]
pub enum Failure {
    /// The package could not be opened or read.
    Package(crate::package::PackageError),
    /// nrqc panicked on it (a bug it has not met yet), with the panic's message.
    Internal(String),
    /// Its `exceptions.yaml` is not a valid exceptions file: the diagnostic, with its line.
    Exceptions(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Package(e) => e.fmt(f),
            Failure::Exceptions(d) => f.write_str(d),
            Failure::Internal(what) => write!(
                f,
                "nrqc failed on this package (internal error: {what}); please report it with the package"
            ),
        }
    }
}

impl std::error::Error for Failure {}

impl From<crate::package::PackageError> for Failure {
    fn from(e: crate::package::PackageError) -> Failure {
        Failure::Package(e)
    }
}

/// Runs one package's inspection so that a panic in it (a bug nrqc has not met yet) costs that
/// package's report only: it becomes the package's [`Failure::Internal`], and the other packages
/// are reported. A zip package's extraction is removed as the panic unwinds.
fn isolated<T>(inspect: impl FnOnce() -> Result<T, Failure>) -> Result<T, Failure> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(inspect)).unwrap_or_else(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".into());
        Err(Failure::Internal(what))
    })
}

/// The packages a batch inspects, in the order found, with the names of their report folders
/// and, for a sample, how it was drawn. A shard selects as the whole batch does, so that its
/// packages and their folders' names are the whole batch's.
pub struct Selection {
    /// The packages inspected: every package found, or the sample drawn from them.
    pub packages: Vec<PathBuf>,
    /// Each package's report folder (`Unit::package`), unique within the batch.
    pub names: Vec<String>,
    /// How the sample was drawn; `None` when every package is inspected.
    pub sampling: Option<Sampling>,
}

/// Draws the sample of `opts.sample`, if any, from the packages found, and names the packages
/// inspected.
pub fn select(packages: &[PathBuf], opts: &Options) -> Result<Selection, String> {
    let population = packages.len();
    let (packages, sampling) = match opts.sample {
        None => (packages.to_vec(), None),
        Some((size, seed)) => {
            let (requested, k) = match size {
                SampleSize::Auto => ("auto".to_owned(), sample::table1(population)),
                SampleSize::Fixed(n) => (n.to_string(), n.min(population)),
            };
            let chosen: Vec<PathBuf> = sample::draw(population, k, seed)
                .into_iter()
                .map(|i| packages[i].clone())
                .collect();
            let sampling = Sampling {
                requested,
                population,
                size: chosen.len(),
                seed,
                method: SAMPLING_METHOD.to_owned(),
                selected: chosen.iter().map(|p| p.display().to_string()).collect(),
            };
            (chosen, Some(sampling))
        }
    };
    let names = unique_names(&packages)?;
    Ok(Selection {
        packages,
        names,
        sampling,
    })
}

/// `Sampling::method`.
const SAMPLING_METHOD: &str = "GB/T 24356-2023 表1；SplitMix64 部分 Fisher–Yates 抽样";

/// A package of the batch once inspected: what the batch's verdict and its county reports are
/// made from. A shard keeps it in its manifest for `nrqc merge`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    /// Its report folder (`Unit::package`).
    pub name: String,
    /// Its path as found from the command line.
    pub path: String,
    /// Its inspection, or why it could not be read.
    pub outcome: Outcome,
}

/// What inspecting one package of a batch gave.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Its report (before the cross-package rules), what each cross-package rule takes from it
    /// (in the order of the rule set's batch rules), and its map for report.html.
    Inspected {
        /// Its report, exceptions applied; the cross-package findings are added by [`finish`].
        report: Box<Report>,
        /// Per cross-package rule the profile runs, in order: what the rule took from it.
        inputs: Vec<Input>,
        /// Drawn while its dataset was at hand: findings the cross-package rules add later are
        /// listed in its report.html but not drawn.
        map: report::MapLayers,
    },
    /// It could not be read (or nrqc failed on it): the error, as batch.json gives it.
    Unreadable {
        /// What went wrong.
        error: String,
    },
}

/// The cross-package rules `profile` runs: all of the rule set's, or none.
fn cross_rules<'r>(rules: &'r RuleSet, profile: &Profile) -> Vec<&'r crate::rules::BatchRule> {
    if profile.cross_package {
        rules.batch_rules.iter().collect()
    } else {
        vec![]
    }
}

/// Inspects the packages `which` (indices into `selection`) on the current rayon pool, in
/// parallel, each isolated from the others' failures; in the order of `which`.
pub fn inspect(
    selection: &Selection,
    which: &[usize],
    rules: &RuleSet,
    opts: &Options,
) -> Vec<Entry> {
    let cross_rules = cross_rules(rules, opts.profile);
    which
        .par_iter()
        .map(|&i| {
            let path = &selection.packages[i];
            let outcome = isolated(|| {
                let inspection = crate::Inspection::run(path, rules, &())?;
                let inputs = cross_rules
                    .iter()
                    .map(|r| r.check.extract(inspection.dataset()))
                    .collect();
                // A county's accepted exceptions hold at the prefecture as at home.
                let exceptions =
                    Exceptions::delivered(inspection.dataset().exceptions.as_deref(), path)
                        .transpose()
                        .map_err(|d| Failure::Exceptions(format!("{d:?}")))?;
                let (mut report, map) = inspection.report_and_map(opts.profile);
                if let Some(x) = &exceptions {
                    report.apply_exceptions(x);
                }
                Ok(Outcome::Inspected {
                    report: Box::new(report),
                    inputs,
                    map,
                })
            })
            .unwrap_or_else(|error| Outcome::Unreadable {
                error: error.to_string(),
            });
            Entry {
                name: selection.names[i].clone(),
                path: path.display().to_string(),
                outcome,
            }
        })
        .collect()
}

/// Inspects the packages on the current rayon pool and runs the cross-package rules.
pub fn run(packages: &[PathBuf], rules: &RuleSet, opts: &Options) -> Result<Batch, String> {
    let selection = select(packages, opts)?;
    let every: Vec<usize> = (0..selection.packages.len()).collect();
    let entries = inspect(&selection, &every, rules, opts);
    finish(entries, selection.sampling, rules, opts)
}

/// The batch from its packages' inspections, in batch order: the cross-package rules judged
/// over them, their findings added to each county's report, the summary and its verdict. One
/// `nrqc batch` and `nrqc merge` of its shards both end here, so that they write the same.
pub fn finish(
    entries: Vec<Entry>,
    sampling: Option<Sampling>,
    rules: &RuleSet,
    opts: &Options,
) -> Result<Batch, String> {
    let cross_rules = cross_rules(rules, opts.profile);
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    let readable: Vec<(usize, &Report, &Vec<Input>)> = entries
        .iter()
        .enumerate()
        .filter_map(|(i, e)| match &e.outcome {
            Outcome::Inspected { report, inputs, .. } => Some((i, &**report, inputs)),
            Outcome::Unreadable { .. } => None,
        })
        .collect();
    let delivered_areas: BTreeSet<&str> = readable
        .iter()
        .map(|(_, report, _)| report.package.manifest.area_code.as_str())
        .collect();
    let mut cross_results = Vec::new();
    let mut per_package_findings: Vec<Vec<(RuleResult, Vec<Finding>)>> =
        vec![Vec::new(); entries.len()];
    for (k, rule) in cross_rules.iter().enumerate() {
        let inputs: Vec<Package> = readable
            .iter()
            .map(|(i, report, inputs)| Package {
                name: names[*i],
                path: &report.package.path,
                area_code: &report.package.manifest.area_code,
                area_name: &report.package.manifest.area_name,
                input: &inputs[k],
            })
            .collect();
        let started = std::time::Instant::now();
        let judgement = rule.check.judge(&CrossContext {
            rule: RuleFacts {
                id: &rule.id,
                class: rule.class,
                element: &rule.element,
                filter: None,
            },
            packages: &inputs,
            codes: &rules.codes,
            unit_lists: &rules.unit_lists,
            sampled: sampling.is_some(),
            unreadable: entries.len() - readable.len(),
            areas: &delivered_areas,
            plan_year: opts.plan_year,
            prefecture_tables: opts.prefecture_tables,
        })?;
        // The rule is judged once for the batch; each package's result carries that time.
        let elapsed_ms = crate::report::millis(started.elapsed());
        let mut judgement = judgement;
        crate::finding::fingerprint::assign(&mut judgement.about_batch);
        for findings in judgement.per_package.iter_mut().flatten() {
            crate::finding::fingerprint::assign(findings);
        }
        let (status, reason) = judgement
            .not_judged
            .map_or((Status::Passed, None), |(s, r)| (s, Some(r)));
        let mut result = CrossResult {
            id: rule.id.clone(),
            title: rule.title.clone(),
            kind: rule.kind,
            class: rule.class,
            element: rule.element.clone(),
            status,
            reason,
            findings: judgement
                .about_batch
                .into_iter()
                .map(|finding| CrossFinding {
                    package: None,
                    finding,
                })
                .collect(),
            elapsed_ms,
        };
        let about_packages = judgement.per_package;
        for ((i, _, _), findings) in readable.iter().zip(about_packages.unwrap_or_default()) {
            result
                .findings
                .extend(findings.iter().map(|f| CrossFinding {
                    package: Some(names[*i].to_owned()),
                    finding: f.clone(),
                }));
            per_package_findings[*i].push((
                RuleResult {
                    id: rule.id.clone(),
                    title: rule.title.clone(),
                    kind: rule.kind.to_owned(),
                    class: rule.class,
                    element: rule.element.clone(),
                    sub_element: rule.sub_element.clone(),
                    basis: rule.basis.clone(),
                    status: if findings.is_empty() {
                        Status::Passed
                    } else {
                        Status::Failed
                    },
                    reason: None,
                    notes: vec![],
                    // The rule compares this package with every readable one.
                    coverage: crate::finding::Coverage {
                        checked: Some(inputs.len()),
                        unit: Some(crate::finding::Unit::Packages),
                        skipped: vec![],
                    },
                    findings: findings.len(),
                    excepted: 0,
                    elapsed_ms,
                },
                findings,
            ));
        }
        if !result.findings.is_empty() {
            result.status = Status::Failed;
        }
        cross_results.push(result);
    }

    let mut reports = Vec::new();
    let mut units = Vec::new();
    for (entry, added) in entries.into_iter().zip(per_package_findings) {
        let Entry {
            name,
            path,
            outcome,
        } = entry;
        match outcome {
            Outcome::Inspected {
                mut report, map, ..
            } => {
                for (result, findings) in added {
                    report.add_rule(result, findings);
                }
                // Every report written beside batch.json carries its run id (a shard's reports
                // are rewritten by the merge that completes them).
                report.run_id = report::run_id().to_owned();
                units.push(Unit {
                    package: name.clone(),
                    path: report.package.path.clone(),
                    area_code: Some(report.package.manifest.area_code.clone()),
                    area_name: Some(report.package.manifest.area_name.clone()),
                    report: Some(format!("{name}/report.md")),
                    score: report.grading.score,
                    grade: report.grading.grade,
                    findings: report.counts.findings,
                    reasons: report.grading.reasons.clone(),
                    // Inspected in part: its report lists what could not be read.
                    error: (!report.package.unreadable.is_empty()).then(|| {
                        let errors: Vec<&str> = report
                            .package
                            .unreadable
                            .iter()
                            .map(|u| u.error.as_str())
                            .collect();
                        errors.join("; ")
                    }),
                });
                reports.push((name, *report, map));
            }
            Outcome::Unreadable { error } => units.push(Unit {
                package: name,
                path,
                area_code: None,
                area_name: None,
                report: None,
                score: None,
                grade: Grade::Unqualified,
                findings: 0,
                reasons: vec!["成果包无法读取".into()],
                error: Some(error),
            }),
        }
    }
    let batch_failures: Vec<String> = cross_results
        .iter()
        .filter(|r| {
            r.findings
                .iter()
                .any(|f| f.package.is_none() && opts.profile.fails(f.finding.class))
        })
        .map(|r| format!("{} {}（{} 处）", r.id, r.title, r.findings.len()))
        .collect();
    let verdict = verdict(&units, sampling.is_some(), &batch_failures);
    Ok(Batch {
        summary: Summary {
            schema: BATCH_SCHEMA,
            engine: report::Engine::nrqc(),
            generated_at: report::now_rfc3339(),
            run_id: report::run_id().to_owned(),
            name: opts.name.clone(),
            ruleset: report::RulesetInfo::of(rules, opts.profile.cross_package),
            profile: opts.profile.clone(),
            sampling,
            plan_year: opts.plan_year,
            units,
            cross_package: cross_results,
            verdict,
        },
        reports,
    })
}

/// The batch verdict: 6.4.1 over every unit, or 6.3 over a sample; any 不合格 unit, and any
/// failing finding about the batch as a whole, makes it 不合格.
pub fn verdict(units: &[Unit], sampled: bool, batch_failures: &[String]) -> Verdict {
    let count = |g: Grade| units.iter().filter(|u| u.grade == g).count();
    let (e, g, q, u) = (
        count(Grade::Excellent),
        count(Grade::Good),
        count(Grade::Qualified),
        count(Grade::Unqualified),
    );
    let n = units.len();
    let mut reasons = Vec::new();
    if u > 0 {
        reasons.push(format!("{u} 个单位成果不合格"));
    }
    for f in batch_failures {
        reasons.push(format!("跨县检查未通过：{f}"));
    }
    if n == 0 {
        reasons.push("没有检查任何成果包".into());
    }
    let mean_score = if sampled && n > 0 {
        units
            .iter()
            .try_fold(Ratio::ZERO, |acc, unit| acc.checked_add(unit.score?).ok())
            .and_then(|sum| sum.checked_div(Ratio::int(n as i128)).ok())
    } else {
        None
    };
    let grade = if !reasons.is_empty() {
        Grade::Unqualified
    } else if sampled {
        mean_score.map_or(Grade::Unqualified, Grade::of_score)
    } else {
        // (E + G)/N ≥ 90% and E/N ≥ 50% ⇒ 优; ≥ 80% and ≥ 30% ⇒ 良; in integers, exactly.
        let (eg, e, n) = (e + g, e, n);
        if 10 * eg >= 9 * n && 2 * e >= n {
            Grade::Excellent
        } else if 10 * eg >= 8 * n && 10 * e >= 3 * n {
            Grade::Good
        } else {
            Grade::Qualified
        }
    };
    Verdict {
        clause: if sampled { "6.3" } else { "6.4.1" },
        grade,
        excellent: e,
        good: g,
        qualified: q,
        unqualified: u,
        n,
        mean_score,
        reasons,
    }
}

/// `batch.json`.
pub fn render_json(summary: &Summary) -> String {
    report::json_lines(summary)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_panic_in_one_package_is_its_error() {
        let panicked: Result<(), super::Failure> =
            super::isolated(|| panic!("index out of bounds"));
        let failure = panicked.unwrap_err();
        assert!(matches!(&failure, super::Failure::Internal(w) if w == "index out of bounds"));
        assert_eq!(
            failure.to_string(),
            "nrqc failed on this package (internal error: index out of bounds); please report it with the package"
        );
        assert_eq!(super::isolated(|| Ok(7)).unwrap(), 7);
    }
}
