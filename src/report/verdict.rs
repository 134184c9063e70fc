//! The one way every report states its answer. The verdict is the GB/T 24356-2023 grade
//! (6.2.5: 优, 良, 合格 or 不合格). `--fail-on` is a gate for pipelines: it sets the exit code of
//! `nrqc check` and nothing else, and every report that shows the verdict shows the gate beside
//! it with that relation, so that no reader sees a green 通过 next to 不合格.

use super::html::Lang;
use super::model::Report;
use crate::finding::Status;
use crate::quality::DefectClass;

/// The exit code `nrqc check` gives for this report: 2 when part of the package could not be
/// read, 1 when a finding not of a warning class reaches `--fail-on` or a rule did not run,
/// else 0.
pub fn exit_code(report: &Report) -> u8 {
    if !report.package.unreadable.is_empty() {
        2
    } else if gate_findings(report) > 0 || report.counts.rules_not_run > 0 {
        1
    } else {
        0
    }
}

/// The findings that reach `--fail-on`: of its class or a more severe one, not warnings.
pub fn gate_findings(report: &Report) -> usize {
    report
        .findings
        .iter()
        .filter(|f| f.counts() && report.profile.fails(f.class))
        .count()
}

/// What follows the verdict: its basis and score, `GB/T 24356-2023 评定，S = 80.80`.
pub fn verdict_basis(report: &Report, lang: Lang) -> String {
    let score = report.grading.score.map(|s| s.to_decimal(2));
    match (lang, score) {
        (Lang::Zh, Some(s)) => format!("GB/T 24356-2023 评定，S = {s}"),
        (Lang::Zh, None) => "GB/T 24356-2023 评定，无得分".into(),
        (Lang::En, Some(s)) => format!("GB/T 24356-2023 grade, S = {s}"),
        (Lang::En, None) => "GB/T 24356-2023 grade, no score".into(),
    }
}

/// The gate and its relation to the verdict:
/// `退出码 1：3 处 B 类及以上问题（--fail-on B）；--fail-on 只决定 nrqc check 的退出码，不改变评定`.
pub fn gate(report: &Report, lang: Lang) -> String {
    let fail_on = report.profile.fail_on;
    let code = exit_code(report);
    let findings = gate_findings(report);
    let not_run = report
        .rules
        .iter()
        .filter(|r| r.status == Status::NotRun)
        .count();
    let unreadable = report.package.unreadable.len();
    let warned: Vec<String> = report.profile.warn.iter().map(|c| c.to_string()).collect();
    match lang {
        Lang::Zh => {
            let mut why = Vec::new();
            if unreadable > 0 {
                why.push(format!("{unreadable} 个文件无法读取，成果包未能完整检查"));
            }
            // A is the most severe class: there is nothing above it.
            let classes = if fail_on == DefectClass::A {
                "A 类".to_owned()
            } else {
                format!("{fail_on} 类及以上")
            };
            if findings > 0 {
                why.push(format!("{findings} 处 {classes}问题"));
            }
            if not_run > 0 {
                why.push(format!("{not_run} 条规则未运行"));
            }
            if why.is_empty() {
                why.push(format!("没有 {classes}问题，规则均已运行"));
            }
            let warn = if warned.is_empty() {
                String::new()
            } else {
                format!("，{} 类问题为警告、不计", warned.join("、"))
            };
            format!(
                "退出码 {code}：{}（--fail-on {fail_on}{warn}）；--fail-on 只决定 nrqc check 的退出码，不改变评定",
                why.join("，")
            )
        }
        Lang::En => {
            let mut why = Vec::new();
            if unreadable > 0 {
                why.push(format!(
                    "{unreadable} files could not be read, the package was not inspected fully"
                ));
            }
            if findings > 0 {
                why.push(format!(
                    "{findings} findings of class {fail_on} or more severe"
                ));
            }
            if not_run > 0 {
                why.push(format!("{not_run} rules did not run"));
            }
            if why.is_empty() {
                why.push(format!(
                    "no finding of class {fail_on} or more severe, every rule ran"
                ));
            }
            let warn = if warned.is_empty() {
                String::new()
            } else {
                format!(
                    ", class {} findings are warnings and not counted",
                    warned.join(", ")
                )
            };
            format!(
                "exit code {code}: {} (--fail-on {fail_on}{warn}); --fail-on sets the exit code of nrqc check only, not the verdict",
                why.join(", ")
            )
        }
    }
}
