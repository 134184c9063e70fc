//! `report.md` (a Chinese summary for people) and the summary printed to stdout.

use std::fmt::Write;

use super::grade::{Grade, Grading};
use super::html::Lang;
use super::model::{clip, FailedRun, Report, RuleResult};
use super::verdict;
use crate::finding::{Finding, Since, Status};
use crate::quality::{CountMode, DefectClass, ExceptionPolicy};
use crate::ratio::Ratio;

/// Findings listed per failed rule in Markdown; JSON keeps all.
pub const FINDINGS_PER_RULE: usize = 20;

/// A rule's status in words; a failed rule of a class the profile only warns about is a warning.
fn status_zh(report: &Report, r: &RuleResult) -> &'static str {
    match r.status {
        Status::Passed => "通过",
        Status::Failed if report.profile.warns(r.class) => "警告",
        Status::Failed => "未通过",
        Status::NotRun => "未运行",
        Status::NotApplicable => "不适用",
    }
}

/// The status, and next to it what the rule left unchecked: `通过（3 个要素未检查：几何无效）`.
fn status_with_skips(report: &Report, r: &RuleResult) -> String {
    let word = match r.excepted {
        0 => status_zh(report, r).to_owned(),
        n => format!("{}（其中 {n} 处为例外）", status_zh(report, r)),
    };
    match r.coverage.skipped_zh() {
        Some(skipped) if matches!(r.status, Status::Passed | Status::Failed) => {
            format!("{word}（{skipped}）")
        }
        _ => word,
    }
}

/// What the run changed of the usual inspection and what review of earlier work did, one line
/// each: rules left out or replaced, the exceptions applied (and those that covered nothing),
/// the baseline compared with.
pub fn review_lines(report: &Report, lang: Lang) -> Vec<String> {
    let mut lines = Vec::new();
    let set = &report.ruleset;
    if !set.left_out.is_empty() {
        lines.push(match lang {
            Lang::Zh => format!(
                "按 --select/--ignore 未运行的规则 {} 条（其检查内容本次未检查）：{}",
                set.left_out.len(),
                set.left_out.join("、")
            ),
            Lang::En => format!(
                "{} rules left out by --select/--ignore (what they check was not checked): {}",
                set.left_out.len(),
                set.left_out.join(", ")
            ),
        });
    }
    for r in &set.replaced {
        lines.push(match lang {
            Lang::Zh => format!("规则 {} 来自 {}，替换了 {} 中的同号规则", r.id, r.by, r.was),
            Lang::En => format!("rule {} from {} replaces the one in {}", r.id, r.by, r.was),
        });
    }
    if let Some(x) = &report.exceptions {
        let zh = lang == Lang::Zh;
        let policy = match (x.policy, zh) {
            (ExceptionPolicy::Waive, true) => "不计入退出码与评定",
            (ExceptionPolicy::Count, true) => "按检查方案仍计入退出码与评定",
            (ExceptionPolicy::Waive, false) => "left out of the exit code and the grade",
            (ExceptionPolicy::Count, false) => "still counted, as the profile says",
        };
        let mut line = if zh {
            format!(
                "例外：{} 共 {} 条，{} 条适用（{policy}）",
                x.file, x.entries, x.applied
            )
        } else {
            format!(
                "Exceptions: {} has {} entries, {} applied ({policy})",
                x.file, x.entries, x.applied
            )
        };
        if x.out_of_scope > 0 {
            let _ = match zh {
                true => write!(line, "，{} 条属于其他成果包", x.out_of_scope),
                false => write!(line, ", {} for other packages", x.out_of_scope),
            };
        }
        if !x.stale.is_empty() {
            let _ = match zh {
                true => write!(line, "，{} 条失效：", x.stale.len()),
                false => write!(line, ", {} stale: ", x.stale.len()),
            };
            let stale: Vec<String> = x
                .stale
                .iter()
                .map(|e| match zh {
                    true => format!("第 {} 行 {}（{}）", e.line, e.fingerprint, e.why),
                    false => format!("line {} {} ({})", e.line, e.fingerprint, e.why),
                })
                .collect();
            line.push_str(&stale.join(if zh { "；" } else { "; " }));
        }
        lines.push(line);
    }
    if let Some(b) = &report.baseline {
        lines.push(match lang {
            Lang::Zh => format!(
                "对比基线：{}（评定 {}）：新增 {} 处，仍存在 {} 处，已改正 {} 处",
                b.file,
                b.grade.zh(),
                b.new,
                b.persisting,
                b.fixed.len()
            ),
            Lang::En => format!(
                "Baseline {} (grade {}): {} new, {} persisting, {} fixed",
                b.file,
                b.grade.zh(),
                b.new,
                b.persisting,
                b.fixed.len()
            ),
        });
    }
    lines
}

/// A finding's marks for the tables, in `lang`: 例外 with its reason, and new or persisting
/// against the baseline.
pub(crate) fn marks(f: &Finding, lang: Lang) -> String {
    let zh = lang == Lang::Zh;
    let mut marks = Vec::new();
    if let Some(w) = &f.exception {
        marks.push(if zh {
            format!("例外：{}（{}，{}）", w.reason, w.by, w.date)
        } else {
            format!("exception: {} ({}, {})", w.reason, w.by, w.date)
        });
    }
    let since = match (f.baseline, zh) {
        (Some(Since::New), true) => Some("新增"),
        (Some(Since::New), false) => Some("new"),
        (Some(Since::Persisting), true) => Some("仍存在"),
        (Some(Since::Persisting), false) => Some("persisting"),
        (None, _) => None,
    };
    marks.extend(since.map(str::to_owned));
    marks.join(if zh { "；" } else { "; " })
}

/// Markdown table cells cannot hold `|` or line breaks; a long text is clipped.
pub(crate) fn cell(s: &str) -> String {
    clip(s).replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn class_counts(report: &Report, lang: Lang) -> String {
    DefectClass::ALL
        .iter()
        .map(|c| {
            let n = report.counts.by_class.get(c).copied().unwrap_or(0);
            match lang {
                Lang::Zh => format!("{c} 类 {n}"),
                Lang::En => format!("class {c} {n}"),
            }
        })
        .collect::<Vec<_>>()
        .join(if lang == Lang::Zh { "，" } else { ", " })
}

/// The few lines printed to stdout after a run, in `lang`; rule titles and reasons stay as the
/// rule set writes them.
pub fn summary(report: &Report, lang: Lang) -> String {
    let c = &report.counts;
    let zh = lang == Lang::Zh;
    let mut s = String::new();
    let grade = if zh {
        report.grading.grade.zh()
    } else {
        report.grading.grade.en()
    };
    let _ = writeln!(
        s,
        "{} ({}){}{grade}{}{}{}",
        report.package.name,
        report.package.manifest.area_name,
        if zh { "：" } else { ": " },
        if zh { "（" } else { " (" },
        verdict::verdict_basis(report, lang),
        if zh { "）" } else { ")" },
    );
    let _ = writeln!(s, "{}", verdict::gate(report, lang));
    let (rules, findings) = if zh {
        (
            format!(
                "规则 {} 条：通过 {}，未通过 {}，未运行 {}，不适用 {}",
                report.rules.len(),
                c.rules_passed,
                c.rules_failed,
                c.rules_not_run,
                c.rules_not_applicable
            ),
            format!("问题 {} 处：{}", c.findings, class_counts(report, lang)),
        )
    } else {
        (
            format!(
                "{} rules: {} passed, {} failed, {} not run, {} not applicable",
                report.rules.len(),
                c.rules_passed,
                c.rules_failed,
                c.rules_not_run,
                c.rules_not_applicable
            ),
            format!("{} findings: {}", c.findings, class_counts(report, lang)),
        )
    };
    let _ = writeln!(s, "{rules}\n{findings}");
    for line in review_lines(report, lang) {
        let _ = writeln!(s, "{line}");
    }
    // Rules that need attention, and passes that left something unchecked.
    for r in report.rules.iter().filter(|r| {
        !matches!(r.status, Status::Passed | Status::NotApplicable)
            || !r.coverage.skipped.is_empty()
    }) {
        let detail = match (&r.reason, r.status, zh) {
            (Some(reason), _, _) => reason.clone(),
            (None, Status::Passed, true) => "0 处".to_owned(),
            (None, _, true) => format!("{} 处", r.findings),
            (None, _, false) => format!("{} findings", r.findings),
        };
        let status = if zh {
            status_with_skips(report, r)
        } else {
            status_en(report, r)
        };
        let colon = if zh { "：" } else { ": " };
        let _ = writeln!(
            s,
            "  {} [{}] {status} {}{colon}{detail}",
            r.id, r.class, r.title
        );
    }
    s
}

/// The status in English, with what was excepted and skipped (the reasons as the report has
/// them).
fn status_en(report: &Report, r: &RuleResult) -> String {
    let mut word = match r.status {
        Status::Passed => "passed",
        Status::Failed if report.profile.warns(r.class) => "warning",
        Status::Failed => "failed",
        Status::NotRun => "not run",
        Status::NotApplicable => "not applicable",
    }
    .to_owned();
    if r.excepted > 0 {
        word.push_str(&format!(" ({} excepted)", r.excepted));
    }
    if let Some(skipped) = r.coverage.skipped_en() {
        if matches!(r.status, Status::Passed | Status::Failed) {
            word.push_str(&format!(" ({skipped})"));
        }
    }
    word
}

/// `report.md`: the package, rule set and profile, the verdict beside the `--fail-on` gate, what
/// was not read or not inspected, the grading computation, the rule table, and up to
/// `FINDINGS_PER_RULE` findings of each failed rule.
pub fn render_markdown(report: &Report) -> String {
    let mut s = String::new();
    let p = &report.package;
    let _ = writeln!(
        s,
        "# 质量检查报告：{}（{}）\n",
        p.manifest.area_name, p.manifest.area_code
    );
    let _ = writeln!(s, "- 成果包：`{}`", p.path);
    let _ = writeln!(
        s,
        "- 坐标系：{}",
        p.manifest
            .crs
            .as_deref()
            .unwrap_or("未声明（成果包无图层）")
    );
    let _ = writeln!(
        s,
        "- 规则集：{}（{} 条，sha256 `{}`）",
        report.ruleset.id,
        report.ruleset.rules,
        &report.ruleset.sha256[..12.min(report.ruleset.sha256.len())]
    );
    let _ = writeln!(
        s,
        "- 检查引擎：{} {}",
        report.engine.name, report.engine.version
    );
    let _ = writeln!(
        s,
        "- 生成时间：{}（运行编号 {}）",
        report.generated_at, report.run_id
    );
    let profile = &report.profile;
    let _ = writeln!(s, "- 检查方案：{}（{}）", profile.title, profile.name);
    let _ = writeln!(
        s,
        "- 结论：**{}**（{}，计算见“质量评分”）",
        report.grading.grade.zh(),
        verdict::verdict_basis(report, Lang::Zh)
    );
    let _ = writeln!(s, "- {}", verdict::gate(report, Lang::Zh));
    let _ = writeln!(
        s,
        "- 问题 {} 处：{}",
        report.counts.findings,
        class_counts(report, Lang::Zh)
    );
    for line in review_lines(report, Lang::Zh) {
        let _ = writeln!(s, "- {}", cell(&line));
    }
    s.push('\n');
    if !p.unreadable.is_empty() {
        let _ = writeln!(
            s,
            "无法读取的图层或表（其内容未检查，成果包未能完整检查）：\n"
        );
        for u in &p.unreadable {
            let error = crate::i18n::tr(Lang::Zh, &u.error);
            let _ = writeln!(s, "- {}：{}", u.frames.join("、"), cell(&error));
        }
        s.push('\n');
    }
    if !p.unread.is_empty() || !p.uninspected.is_empty() {
        let _ = writeln!(s, "未检查的交付内容：\n");
        for u in &p.unread {
            let _ = writeln!(s, "- `{}`：未读取，{}", u.path, u.reason);
        }
        for u in &p.uninspected {
            if u.fields.is_empty() {
                let _ = writeln!(s, "- {}（`{}`）：没有规则检查该图层或表", u.layer, u.path);
            } else {
                let _ = writeln!(
                    s,
                    "- {}（`{}`）：没有规则检查的字段 {}",
                    u.layer,
                    u.path,
                    u.fields.join("、")
                );
            }
        }
        s.push('\n');
    }
    if !p.notes.is_empty() {
        let _ = writeln!(s, "读取说明：\n");
        for n in &p.notes {
            let _ = writeln!(
                s,
                "- `{}`：{}",
                n.path,
                crate::i18n::tr(Lang::Zh, &n.message)
            );
        }
        s.push('\n');
    }
    s.push_str(&grading_markdown(&report.grading, !profile.warn.is_empty()));
    let _ = writeln!(s, "## 规则\n");
    let _ = writeln!(
        s,
        "| 规则 | 名称 | 类别 | 质量元素 | 子元素 | 状态 | 已检查 | 问题数 |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|");
    for r in &report.rules {
        let word = status_with_skips(report, r);
        let status = match &r.reason {
            Some(reason) => format!("{word}（{}）", cell(reason)),
            None => cell(&word),
        };
        let checked = match (r.coverage.checked, r.coverage.unit) {
            (Some(n), Some(unit)) => format!("{n} {}", unit.zh()),
            (Some(n), None) => n.to_string(),
            (None, _) => "—".to_owned(),
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            r.id,
            cell(&r.title),
            r.class,
            r.element,
            cell(&r.sub_element),
            status,
            checked,
            r.findings
        );
    }
    for r in report.rules.iter().filter(|r| r.status == Status::Failed) {
        let _ = writeln!(s, "\n## {} {}\n", r.id, cell(&r.title));
        if let Some(basis) = &r.basis {
            let _ = writeln!(s, "依据：{}\n", cell(basis));
        }
        // What was measured and expected is in the message, in words; report.json keeps the
        // values.
        let _ = writeln!(s, "| 图层 | 要素 | 说明 | 指纹 | 备注 |");
        let _ = writeln!(s, "|---|---|---|---|---|");
        for f in report.findings_of(&r.id).take(FINDINGS_PER_RULE) {
            let _ = writeln!(
                s,
                "| {} | {} | {} | `{}` | {} |",
                cell(&f.layer),
                cell(&f.places()),
                cell(&f.message),
                f.fingerprint,
                cell(&marks(f, Lang::Zh))
            );
        }
        if r.findings > FINDINGS_PER_RULE {
            let _ = writeln!(
                s,
                "\n仅列出前 {FINDINGS_PER_RULE} 处，另有 {} 处见 report.json。",
                r.findings - FINDINGS_PER_RULE
            );
        }
    }
    if let Some(b) = report.baseline.as_ref().filter(|b| !b.fixed.is_empty()) {
        let _ = writeln!(s, "\n## 已改正（对比基线 {}）\n", cell(&b.file));
        let _ = writeln!(
            s,
            "| 规则 | 图层 | 要素 | 说明 | 指纹 |\n|---|---|---|---|---|"
        );
        for f in &b.fixed {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | `{}` |",
                f.rule_id,
                cell(&f.layer),
                cell(&super::model::places(&f.feature_ids, f.related.as_ref())),
                cell(&f.message),
                f.fingerprint
            );
        }
    }
    s
}

/// `report.md` of a run that could not inspect the package: the error, as an indented block so
/// that nothing in it is read as Markdown.
pub fn render_failed_markdown(failed: &FailedRun) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# 质量检查未完成：{}\n", cell(&failed.package.name));
    let _ = writeln!(s, "- 成果包：`{}`", cell(&failed.package.path));
    let _ = writeln!(
        s,
        "- 检查引擎：{} {}",
        failed.engine.name, failed.engine.version
    );
    let _ = writeln!(
        s,
        "- 生成时间：{}（运行编号 {}）",
        failed.generated_at, failed.run_id
    );
    let _ = writeln!(
        s,
        "- 结论：**无法检查**（成果包或规则无法读取，退出码 2）\n"
    );
    let _ = writeln!(s, "错误：\n");
    for line in crate::i18n::tr(Lang::Zh, &failed.error).lines() {
        let _ = writeln!(s, "    {line}");
    }
    s
}

/// An exact value, with its decimal approximation when it is a fraction.
pub(crate) fn exact(v: Ratio) -> String {
    if v.is_integer() {
        v.to_string()
    } else {
        format!("{v} ≈ {}", v.to_decimal(2))
    }
}

/// A score as a factor of a product: a negative one in parentheses.
fn factor(v: Ratio) -> String {
    if v < Ratio::ZERO {
        format!("({v})")
    } else {
        v.to_string()
    }
}

/// The grading section of `report.md`: the formula, every sub-element's counts and score, every
/// element's weighted sum, the unit's, and the grade with its reasons.
pub fn grading_markdown(g: &Grading, warnings_counted: bool) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "## 质量评分（GB/T 24356-2023）\n");
    let counting = match g.count {
        CountMode::Findings => "每处问题计一个错漏",
        CountMode::Rules => "每条未通过的规则计一个错漏",
    };
    let warned = if warnings_counted {
        "；警告类问题同样计入"
    } else {
        ""
    };
    let _ = writeln!(
        s,
        "子元素 {}，t = {}；质量元素 S₂ = Σ S₁ᵢ·pᵢ；单位成果 S = Σ S₂ⱼ·Pⱼ。权重在实际检查的部分中逐级归一化\
         （未检查的子元素、质量元素不参与）；{counting}{warned}。分数为精确分数，比较前不舍入，≈ 后为两位小数的近似值。\n",
        g.formula, g.t
    );
    let _ = writeln!(
        s,
        "| 质量元素 | 子元素 | A | B | C | D | 计算 | 权 | 归一化权 pᵢ |"
    );
    let _ = writeln!(s, "|---|---|---:|---:|---:|---:|---|---:|---:|");
    for e in &g.elements {
        for sub in &e.sub_elements {
            let d = &sub.defects;
            let computation = sub
                .computation(g.t)
                .unwrap_or_else(|| format!("未检查（{}）", sub.rules_not_inspected.join("、")));
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                e.element,
                cell(&sub.sub_element),
                d.a,
                d.b,
                d.c,
                d.d,
                computation,
                sub.weight,
                sub.share.map_or_else(|| "—".into(), |p| p.to_string())
            );
        }
    }
    s.push('\n');
    for e in &g.elements {
        match (e.score, e.share) {
            (Some(v), Some(p)) => {
                let terms: Vec<String> = e
                    .sub_elements
                    .iter()
                    .filter_map(|sub| Some(format!("{}×{}", factor(sub.score?), sub.share?)))
                    .collect();
                let _ = writeln!(
                    s,
                    "- {}：S₂ = {} = {}；权 {}，归一化权 Pⱼ = {p}",
                    e.element,
                    terms.join(" + "),
                    exact(v),
                    e.weight
                );
            }
            _ if e.sub_elements.is_empty() => {
                let _ = writeln!(s, "- {}：无规则，未检查，不参与归一化", e.element);
            }
            _ => {
                let _ = writeln!(
                    s,
                    "- {}：规则均未运行或不适用，未检查，不参与归一化",
                    e.element
                );
            }
        }
    }
    let terms: Vec<String> = g
        .elements
        .iter()
        .filter_map(|e| Some(format!("{}×{}", factor(e.score?), e.share?)))
        .collect();
    match g.score {
        Some(v) => {
            let _ = writeln!(s, "\n单位成果：S = {} = {}\n", terms.join(" + "), exact(v));
        }
        None => {
            let _ = writeln!(s, "\n单位成果：无得分\n");
        }
    }
    let _ = writeln!(s, "评定：**{}**", g.grade.zh());
    if g.grade == Grade::Unqualified {
        for r in &g.reasons {
            let _ = writeln!(s, "- {}", cell(r));
        }
    }
    s.push('\n');
    s
}
