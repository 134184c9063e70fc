//! Batch inspection of a prefecture: every county package inspected in parallel, the
//! cross-package rules run over all of them, and one summary with the batch verdict
//! (GB/T 24356-2023 6.4.1, or 6.3 for a sample).

mod render;
pub mod sample;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

pub use render::render_markdown;

use crate::checks::cross::{CrossContext, Input};
use crate::checks::RuleFacts;
use crate::finding::{Finding, Status};
use crate::quality::{DefectClass, Profile};
use crate::ratio::Ratio;
use crate::report::grade::Grade;
use crate::report::{self, Report, RuleResult};
use crate::rules::RuleSet;

/// The version of `batch.json`'s schema.
pub const BATCH_SCHEMA: &str = "nrqc-batch/1";

/// `--sample`: a fixed size, or the size 表1 gives for the batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleSize {
    Auto,
    Fixed(usize),
}

#[derive(Debug, Clone, Serialize)]
pub struct Sampling {
    /// `auto` (表1) or the size asked for.
    pub requested: String,
    pub population: usize,
    pub size: usize,
    /// Replays the draw: `--sample … --seed SEED`.
    pub seed: u64,
    pub method: &'static str,
    pub selected: Vec<String>,
}

/// One county's row of the summary.
#[derive(Debug, Clone, Serialize)]
pub struct Unit {
    /// The package directory's name, and the directory its reports are written to.
    pub package: String,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(rename = "xzqdm")]
    pub area_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(rename = "xzqmc")]
    pub area_name: Option<String>,
    /// `<package>/report.md`, relative to the summary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<Ratio>,
    pub grade: Grade,
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
    pub id: String,
    pub title: String,
    pub kind: &'static str,
    pub class: DefectClass,
    pub element: String,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// With the package each is about (none for the prefecture's table).
    pub findings: Vec<CrossFinding>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CrossFinding {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    #[serde(flatten)]
    pub finding: Finding,
}

#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// `6.4.1` (最终检查批, every unit inspected) or `6.3` (a sample).
    pub clause: &'static str,
    pub grade: Grade,
    /// E, G, Q and U: units graded 优, 良, 合格, 不合格; N = all of them.
    pub excellent: usize,
    pub good: usize,
    pub qualified: usize,
    pub unqualified: usize,
    pub n: usize,
    /// 6.3: the mean of the unit scores.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_score: Option<Ratio>,
    pub reasons: Vec<String>,
}

/// `batch.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub schema: &'static str,
    pub engine: report::Engine,
    pub generated_at: String,
    /// The run id of every package report written beside it.
    pub run_id: String,
    pub name: String,
    pub ruleset: report::RulesetInfo,
    pub profile: Profile,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sampling: Option<Sampling>,
    /// `--plan-year`: the year plan lists are judged at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan_year: Option<i32>,
    pub units: Vec<Unit>,
    pub cross_package: Vec<CrossResult>,
    pub verdict: Verdict,
}

/// What to inspect and how.
pub struct Options<'a> {
    pub name: String,
    pub profile: &'a Profile,
    pub sample: Option<(SampleSize, u64)>,
    /// `--prefecture-table`: files named after their table (`TJ_ZRZYMJ.csv`).
    pub prefecture_tables: &'a [PathBuf],
    /// `--plan-year`: units of a plan list registered later are not expected.
    pub plan_year: Option<i32>,
}

/// A batch's summary and each readable county's report with its map layers (for report.html),
/// by the name of its report directory (in the summary's order).
pub struct Batch {
    pub summary: Summary,
    pub reports: Vec<(String, Report, report::MapLayers)>,
}

/// Packages from the command line: a directory holding `package.yaml` or a `.zip` file is a
/// package; any other directory contributes its subdirectories that hold one and its `.zip`
/// files, sorted. A `.zip` that is not a regular file (a FIFO) is kept, so that opening it
/// refuses it in its own report rather than leaving it out unsaid.
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
    Ok(out)
}

/// Names for the packages' report directories: their directory names, made safe path
/// components and unique (`-2`, `-3`, … in the order given).
fn unique_names(paths: &[PathBuf]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for p in paths {
        let base = report::path_component(&crate::package::package_name(p));
        let mut name = base.clone();
        let mut n = 1;
        while names.contains(&name) {
            n += 1;
            name = format!("{base}-{n}");
        }
        names.push(name);
    }
    names
}

/// Why a package of the batch has no report.
#[derive(Debug)]
pub enum Failure {
    /// The package could not be opened or read.
    Package(crate::package::PackageError),
    /// nrqc panicked on it (a bug it has not met yet), with the panic's message.
    Internal(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Package(e) => e.fmt(f),
            Failure::Internal(what) => write!(
                f,
                "nrqc failed on this package (internal error: {what}); please report it with the package"
            ),
        }
    }
}

impl std::error::Error for Failure {}

/// Runs one package's inspection so that a panic in it (a bug nrqc has not met yet) costs that
/// package's report only: it becomes the package's [`Failure::Internal`], and the other packages
/// are reported. A zip package's extraction is removed as the panic unwinds.
fn isolated<T>(
    inspect: impl FnOnce() -> Result<T, crate::package::PackageError>,
) -> Result<T, Failure> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(inspect))
        .map(|r| r.map_err(Failure::Package))
        .unwrap_or_else(|payload| {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".into());
            Err(Failure::Internal(what))
        })
}

/// Inspects the packages on the current rayon pool and runs the cross-package rules.
pub fn run(packages: &[PathBuf], rules: &RuleSet, opts: &Options) -> Result<Batch, String> {
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
                method: "GB/T 24356-2023 表1；SplitMix64 部分 Fisher–Yates 抽样",
                selected: chosen.iter().map(|p| p.display().to_string()).collect(),
            };
            (chosen, Some(sampling))
        }
    };
    let names = unique_names(&packages);
    let cross_rules: Vec<_> = if opts.profile.cross_package {
        rules.batch_rules.iter().collect()
    } else {
        vec![]
    };
    // Each package's map is drawn here, while its dataset is at hand; findings the
    // cross-package rules add later are listed in its report.html but not drawn.
    type Inspected = (Report, Vec<Input>, report::MapLayers);
    let inspected: Vec<Result<Inspected, Failure>> = packages
        .par_iter()
        .map(|path| {
            isolated(|| {
                let inspection = crate::Inspection::run(path, rules, &())?;
                let inputs = cross_rules
                    .iter()
                    .map(|r| r.check.extract(inspection.dataset()))
                    .collect();
                let (report, map) = inspection.report_and_map(opts.profile);
                Ok((report, inputs, map))
            })
        })
        .collect();

    let mut cross_results = Vec::new();
    let mut per_package_findings: Vec<Vec<(RuleResult, Vec<Finding>)>> =
        vec![Vec::new(); packages.len()];
    let readable: Vec<(usize, &Vec<Input>)> = inspected
        .iter()
        .enumerate()
        .filter_map(|(i, r)| Some((i, &r.as_ref().ok()?.1)))
        .collect();
    let delivered_areas: BTreeSet<&str> = inspected
        .iter()
        .filter_map(|r| Some(r.as_ref().ok()?.0.package.manifest.area_code.as_str()))
        .collect();
    for (k, rule) in cross_rules.iter().enumerate() {
        let inputs: Vec<(&str, &Input)> = readable
            .iter()
            .map(|(i, inputs)| (names[*i].as_str(), &inputs[k]))
            .collect();
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
            unreadable: packages.len() - readable.len(),
            areas: &delivered_areas,
            plan_year: opts.plan_year,
            prefecture_tables: opts.prefecture_tables,
        })?;
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
        };
        let about_packages = judgement.per_package;
        for ((i, _), findings) in readable.iter().zip(about_packages.unwrap_or_default()) {
            result
                .findings
                .extend(findings.iter().map(|f| CrossFinding {
                    package: Some(names[*i].clone()),
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
    for ((i, outcome), added) in inspected.into_iter().enumerate().zip(per_package_findings) {
        match outcome {
            Ok((mut report, _, map)) => {
                for (result, findings) in added {
                    report.add_rule(result, findings);
                }
                units.push(Unit {
                    package: names[i].clone(),
                    path: report.package.path.clone(),
                    area_code: Some(report.package.manifest.area_code.clone()),
                    area_name: Some(report.package.manifest.area_name.clone()),
                    report: Some(format!("{}/report.md", names[i])),
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
                reports.push((names[i].clone(), report, map));
            }
            Err(error) => units.push(Unit {
                package: names[i].clone(),
                path: packages[i].display().to_string(),
                area_code: None,
                area_name: None,
                report: None,
                score: None,
                grade: Grade::Unqualified,
                findings: 0,
                reasons: vec!["成果包无法读取".into()],
                error: Some(error.to_string()),
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
            ruleset: report::RulesetInfo {
                id: rules.id.clone(),
                sha256: rules.hash.clone(),
                rules: rules.rules.len() + cross_rules.len(),
            },
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
