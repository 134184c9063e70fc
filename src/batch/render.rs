//! `batch.md`: the prefecture summary in Chinese, each county linked to its full report; and
//! `batch-junit.xml`, the batch for CI servers.

use std::fmt::Write;

use super::{Batch, Summary};
use crate::finding::{FeatureId, Status};
use crate::report::grade::Grade;
use crate::report::junit::{self, Case, Suite, LISTED_PER_RULE};
use crate::report::FINDINGS_PER_RULE;

/// Markdown table cells cannot hold `|` or line breaks; a long text is clipped.
fn cell(s: &str) -> String {
    crate::report::clip(s)
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

/// `batch.md`: the verdict with its clause and counts, each county's score and grade linked to its
/// report.md and report.html, the 不合格 units' reasons, and the cross-package rules with up to
/// `FINDINGS_PER_RULE` findings each.
pub fn render_markdown(s: &Summary) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# 批量质量检查汇总：{}\n", cell(&s.name));
    let _ = writeln!(out, "- 检查方案：{}（{}）", s.profile.title, s.profile.name);
    let _ = writeln!(
        out,
        "- 规则集：{}（sha256 `{}`）",
        s.ruleset.id,
        &s.ruleset.sha256[..12.min(s.ruleset.sha256.len())]
    );
    let _ = writeln!(out, "- 检查引擎：{} {}", s.engine.name, s.engine.version);
    let _ = writeln!(
        out,
        "- 生成时间：{}（运行编号 {}）",
        s.generated_at, s.run_id
    );
    if let Some(sm) = &s.sampling {
        let _ = writeln!(
            out,
            "- 抽样：批量 {}，样本量 {}（{}，{}），种子 {}；复现：`--sample {} --seed {}`",
            sm.population, sm.size, sm.requested, sm.method, sm.seed, sm.requested, sm.seed
        );
    }
    if let Some(year) = s.plan_year {
        let _ = writeln!(
            out,
            "- 计划年度：{year} 年（计划在此之后登记的单元不计为缺失，--plan-year）"
        );
    }
    let v = &s.verdict;
    let _ = writeln!(out, "\n## 批结论：**{}**\n", v.grade.zh());
    match v.clause {
        "6.3" => {
            let mean = v
                .mean_score
                .map_or_else(|| "—".into(), crate::report::exact);
            let _ = writeln!(
                out,
                "依据 GB/T 24356-2023 6.3（样本）：有不合格单位成果则样本不合格，否则以单位成果得分的算术平均 {mean} 评定。\n"
            );
        }
        _ => {
            let _ = writeln!(
                out,
                "依据 GB/T 24356-2023 6.4.1：N = {n}，优 E = {e}，良 G = {g}，合格 Q = {q}，不合格 {u}；\
                 (E + G)/N = {eg}/{n}，E/N = {e}/{n}。优：(E + G)/N ≥ 90% 且 E/N ≥ 50%；良：≥ 80% 且 ≥ 30%；\
                 否则合格；有不合格单位成果则批不合格。\n",
                n = v.n,
                e = v.excellent,
                g = v.good,
                q = v.qualified,
                u = v.unqualified,
                eg = v.excellent + v.good
            );
        }
    }
    for r in &v.reasons {
        let _ = writeln!(out, "- {}", cell(r));
    }
    if !v.reasons.is_empty() {
        out.push('\n');
    }
    let _ = writeln!(out, "## 各县成果\n");
    let _ = writeln!(out, "| 成果包 | 行政区 | 得分 S | 评定 | 问题数 | 报告 |");
    let _ = writeln!(out, "|---|---|---:|---|---:|---|");
    for u in &s.units {
        let place = match (&u.area_name, &u.area_code) {
            (Some(m), Some(d)) => format!("{m}（{d}）"),
            _ => "—".into(),
        };
        let score = u.score.map_or_else(|| "—".into(), crate::report::exact);
        // The county's grade is its verdict here; its --fail-on gate is no part of the batch's
        // (the batch's exit code follows the batch verdict).
        let grade = match &u.error {
            Some(e) => format!("{}（无法读取：{}）", u.grade.zh(), cell(e)),
            None => u.grade.zh().to_owned(),
        };
        let link = u.report.as_ref().map_or_else(
            || "—".into(),
            |r| {
                let html = std::path::Path::new(r).with_file_name("report.html");
                format!("[report.md]({r}) · [report.html]({})", html.display())
            },
        );
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            cell(&u.package),
            cell(&place),
            score,
            grade,
            u.findings,
            link
        );
    }
    let failed: Vec<_> = s
        .units
        .iter()
        .filter(|u| u.grade == Grade::Unqualified)
        .collect();
    if !failed.is_empty() {
        let _ = writeln!(
            out,
            "\n不合格原因（计算过程见各县报告的“质量评分”一节）：\n"
        );
        for u in failed {
            let _ = writeln!(
                out,
                "- {}：{}",
                cell(&u.package),
                cell(&u.reasons.join("；"))
            );
        }
    }
    if !s.cross_package.is_empty() {
        let _ = writeln!(out, "\n## 跨县检查\n");
        let _ = writeln!(out, "| 规则 | 名称 | 类别 | 状态 | 问题数 |");
        let _ = writeln!(out, "|---|---|---|---|---:|");
        for r in &s.cross_package {
            let word = match r.status {
                Status::Passed => "通过",
                Status::Failed => "未通过",
                Status::NotRun => "未运行",
                Status::NotApplicable => "不适用",
            };
            // A rule that found something may still have left part unjudged (ZR-X004).
            let status = match &r.reason {
                Some(reason) => format!("{word}（{}）", cell(reason)),
                None => word.to_owned(),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                r.id,
                cell(&r.title),
                r.class,
                status,
                r.findings.len()
            );
        }
        for r in s.cross_package.iter().filter(|r| !r.findings.is_empty()) {
            let _ = writeln!(out, "\n### {} {}\n", r.id, cell(&r.title));
            let _ = writeln!(out, "| 成果包 | 图层 | 要素 | 说明 |");
            let _ = writeln!(out, "|---|---|---|---|");
            for f in r.findings.iter().take(FINDINGS_PER_RULE) {
                let ids: Vec<String> = f.finding.feature_ids.iter().map(FeatureId::label).collect();
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} |",
                    f.package.as_deref().map_or("州级".into(), cell),
                    f.finding.layer,
                    cell(&ids.join("; ")),
                    cell(&f.finding.message)
                );
            }
            if r.findings.len() > FINDINGS_PER_RULE {
                let _ = writeln!(
                    out,
                    "\n仅列出前 {FINDINGS_PER_RULE} 处，另有 {} 处见 batch.json。",
                    r.findings.len() - FINDINGS_PER_RULE
                );
            }
        }
    }
    out
}

/// `batch-junit.xml`: each county's testsuite as its junit.xml has it (named by its report
/// folder, which tells copies apart), a package that could not be read as a suite of one
/// error, and a last suite of the cross-package rules, a finding about a package listed with
/// its name, with the batch verdict as properties.
pub fn render_junit(batch: &Batch) -> String {
    let s = &batch.summary;
    let mut out = String::from(junit::HEADER);
    for (id, unit) in s.units.iter().enumerate() {
        match batch
            .reports
            .iter()
            .find(|(name, ..)| *name == unit.package)
        {
            Some((_, report, _)) => junit::testsuite(&mut out, report, &unit.package, id),
            None => {
                junit::suite_open(
                    &mut out,
                    &Suite {
                        name: &unit.package,
                        id,
                        timestamp: &s.generated_at,
                        tests: 1,
                        failures: 0,
                        errors: 1,
                        skipped: 0,
                        seconds: 0.0,
                    },
                );
                junit::properties(
                    &mut out,
                    &[("path", &unit.path), ("grade", unit.grade.zh())],
                );
                junit::testcase(
                    &mut out,
                    &Case {
                        element: "成果包",
                        id: &unit.package,
                        title: "无法读取",
                        class: crate::quality::DefectClass::A,
                        status: Status::NotRun,
                        reason: unit.error.as_deref(),
                        findings: 0,
                        excepted: (0, false),
                        listed: vec![],
                        fails: true,
                        all_in: "batch.json",
                        // It was never loaded.
                        seconds: 0.0,
                    },
                );
                junit::suite_close(&mut out, "");
            }
        }
    }
    let count = |status| {
        s.cross_package
            .iter()
            .filter(|r| r.status == status)
            .count()
    };
    junit::suite_open(
        &mut out,
        &Suite {
            name: "跨县检查",
            id: s.units.len(),
            timestamp: &s.generated_at,
            tests: s.cross_package.len(),
            failures: count(Status::Failed),
            errors: count(Status::NotRun),
            skipped: count(Status::NotApplicable),
            seconds: s.cross_package.iter().map(|r| r.elapsed_ms).sum::<f64>() / 1000.0,
        },
    );
    let v = &s.verdict;
    junit::properties(
        &mut out,
        &[
            ("batch", &s.name),
            ("ruleset", &s.ruleset.id),
            ("ruleset.sha256", &s.ruleset.sha256),
            ("profile", &s.profile.name),
            // The batch verdict (GB/T 24356-2023 6.4.1 or 6.3), by which the exit code goes.
            ("clause", v.clause),
            ("grade", v.grade.zh()),
            ("reasons", &v.reasons.join("；")),
            ("run_id", &s.run_id),
        ],
    );
    for r in &s.cross_package {
        junit::testcase(
            &mut out,
            &Case {
                element: &r.element,
                id: &r.id,
                title: &r.title,
                class: r.class,
                status: r.status,
                reason: r.reason.as_deref(),
                findings: r.findings.len(),
                // Exceptions apply to a package's own findings, not to the batch's.
                excepted: (0, false),
                listed: r
                    .findings
                    .iter()
                    .take(LISTED_PER_RULE)
                    .map(|f| {
                        let about = f.package.as_deref().unwrap_or("州级");
                        format!("{about}：{}", junit::finding_line(&f.finding))
                    })
                    .collect(),
                fails: s.profile.fails(r.class),
                all_in: "batch.json",
                seconds: r.elapsed_ms / 1000.0,
            },
        );
    }
    junit::suite_close(&mut out, "");
    out.push_str(junit::FOOTER);
    out
}
