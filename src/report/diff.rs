//! Re-inspection (复检): two reports of one package compared by fingerprint. A finding of the
//! earlier report that the later one lacks is fixed; one only in the later report is new; one in
//! both is still open; one the later report marks 例外 is excepted, whatever the earlier said.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use serde::Serialize;

use super::grade::Grade;
use super::html::esc;
use super::markdown::cell;
use super::review::{Seen, Snapshot};
use crate::quality::DefectClass;
use crate::ratio::Ratio;

/// One side of a comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    /// The report.json compared (or the package checked to make it).
    pub file: String,
    /// The package's name.
    pub package: String,
    /// The run that wrote it.
    pub run_id: String,
    /// When.
    pub generated_at: String,
    /// Its grade.
    pub grade: Grade,
    /// Its unit score, exactly.
    pub score: Option<Ratio>,
}

/// Findings of one rule by what became of them.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Tally {
    /// In the earlier report, not in the later.
    pub fixed: usize,
    /// In the later report only.
    pub new: usize,
    /// In both, not excepted.
    pub open: usize,
    /// In the later report, covered by an exception.
    pub excepted: usize,
}

/// One rule's line of the comparison.
#[derive(Debug, Clone, Serialize)]
pub struct RuleTally {
    /// The rule's id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its class.
    pub class: DefectClass,
    /// Its findings by what became of them.
    #[serde(flatten)]
    pub tally: Tally,
}

/// Picks the counter of a [`Tally`] a group of findings adds to.
type Counter = fn(&mut Tally) -> &mut usize;

/// Two reports compared: `nrqc diff`'s JSON, and what its Markdown and HTML render.
#[derive(Debug, Clone, Serialize)]
pub struct Diff {
    /// The earlier report.
    pub old: Side,
    /// The later report.
    pub new: Side,
    /// All findings by what became of them.
    pub total: Tally,
    /// The same per defect class.
    pub by_class: BTreeMap<DefectClass, Tally>,
    /// The same per rule, for rules with any finding on either side, in rule-id order.
    pub rules: Vec<RuleTally>,
    /// The earlier findings the later report lacks.
    pub fixed: Vec<Seen>,
    /// The later findings the earlier report lacks, not excepted.
    pub new_findings: Vec<Seen>,
    /// Findings in both, not excepted.
    pub open: Vec<Seen>,
    /// Later findings covered by an exception.
    pub excepted: Vec<Seen>,
}

impl Diff {
    /// Compares `old` (report.json `old_file`) with `new`.
    pub fn between(old: &Snapshot, old_file: &str, new: &Snapshot, new_file: &str) -> Diff {
        let before: BTreeSet<&str> = old
            .findings
            .iter()
            .map(|f| f.fingerprint.as_str())
            .collect();
        let after: BTreeSet<&str> = new
            .findings
            .iter()
            .map(|f| f.fingerprint.as_str())
            .collect();
        let fixed: Vec<Seen> = old
            .findings
            .iter()
            .filter(|f| !after.contains(f.fingerprint.as_str()))
            .cloned()
            .collect();
        let (mut new_findings, mut open, mut excepted) = (vec![], vec![], vec![]);
        for f in &new.findings {
            if f.exception.is_some() {
                excepted.push(f.clone());
            } else if before.contains(f.fingerprint.as_str()) {
                open.push(f.clone());
            } else {
                new_findings.push(f.clone());
            }
        }
        let titles: BTreeMap<&str, &str> = old
            .rules
            .iter()
            .chain(&new.rules)
            .map(|r| (r.id.as_str(), r.title.as_str()))
            .collect();
        let mut total = Tally::default();
        let mut by_class: BTreeMap<DefectClass, Tally> = DefectClass::ALL
            .iter()
            .map(|&c| (c, Tally::default()))
            .collect();
        // A rule's class is its findings' class.
        let mut per_rule: BTreeMap<String, (DefectClass, Tally)> = BTreeMap::new();
        let groups: [(&[Seen], Counter); 4] = [
            (&fixed, |t| &mut t.fixed),
            (&new_findings, |t| &mut t.new),
            (&open, |t| &mut t.open),
            (&excepted, |t| &mut t.excepted),
        ];
        for (findings, field) in groups {
            for f in findings {
                *field(&mut total) += 1;
                *field(by_class.entry(f.class).or_default()) += 1;
                let (_, tally) = per_rule
                    .entry(f.rule_id.clone())
                    .or_insert((f.class, Tally::default()));
                *field(tally) += 1;
            }
        }
        let rules = per_rule
            .into_iter()
            .map(|(id, (class, tally))| {
                let title = titles.get(id.as_str()).copied().unwrap_or_default();
                RuleTally {
                    title: title.to_owned(),
                    class,
                    id,
                    tally,
                }
            })
            .collect();
        let side = |s: &Snapshot, file: &str| Side {
            file: file.to_owned(),
            package: s.package.name.clone(),
            run_id: s.run_id.clone(),
            generated_at: s.generated_at.clone(),
            grade: s.grading.grade,
            score: s.score(),
        };
        Diff {
            old: side(old, old_file),
            new: side(new, new_file),
            total,
            by_class,
            rules,
            fixed,
            new_findings,
            open,
            excepted,
        }
    }

    /// `nrqc diff`'s exit code: 1 when the later report has a new finding or a worse grade,
    /// else 0 (2, for input that cannot be read, is the caller's).
    pub fn exit_code(&self) -> u8 {
        u8::from(!self.new_findings.is_empty() || self.new.grade > self.old.grade)
    }
}

fn score(s: &Side) -> String {
    match s.score {
        Some(v) => v.to_decimal(2),
        None => "—".into(),
    }
}

fn places(f: &Seen) -> String {
    super::model::places(&f.feature_ids, f.related.as_ref())
}

/// The sections of findings, in the order people act on them.
fn sections(d: &Diff) -> [(&'static str, &[Seen]); 4] {
    [
        ("新增问题", &d.new_findings),
        ("仍未改正", &d.open),
        ("例外", &d.excepted),
        ("已改正", &d.fixed),
    ]
}

/// The comparison as Markdown (`diff.md`).
pub fn render_diff_markdown(d: &Diff) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# 复检对比：{}\n", d.new.package);
    let _ = writeln!(s, "| | 初检 | 复检 |\n|---|---|---|");
    let _ = writeln!(
        s,
        "| 报告 | {} | {} |",
        cell(&d.old.file),
        cell(&d.new.file)
    );
    let _ = writeln!(
        s,
        "| 时间 | {} | {} |",
        d.old.generated_at, d.new.generated_at
    );
    let _ = writeln!(s, "| 评定 | {} | {} |", d.old.grade.zh(), d.new.grade.zh());
    let _ = writeln!(s, "| 得分 | {} | {} |\n", score(&d.old), score(&d.new));
    let t = &d.total;
    let _ = writeln!(
        s,
        "已改正 {} 处，新增 {} 处，仍未改正 {} 处，例外 {} 处。\n",
        t.fixed, t.new, t.open, t.excepted
    );
    let _ = writeln!(
        s,
        "## 按问题类别\n\n| 类别 | 已改正 | 新增 | 仍未改正 | 例外 |\n|---|---|---|---|---|"
    );
    for (c, t) in &d.by_class {
        let _ = writeln!(
            s,
            "| {c} | {} | {} | {} | {} |",
            t.fixed, t.new, t.open, t.excepted
        );
    }
    let _ = writeln!(s, "\n## 按规则\n\n| 规则 | 名称 | 类别 | 已改正 | 新增 | 仍未改正 | 例外 |\n|---|---|---|---|---|---|---|");
    for r in &d.rules {
        let t = &r.tally;
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} |",
            r.id,
            cell(&r.title),
            r.class,
            t.fixed,
            t.new,
            t.open,
            t.excepted
        );
    }
    for (title, findings) in sections(d) {
        if findings.is_empty() {
            continue;
        }
        let _ = writeln!(s, "\n## {title}（{} 处）\n", findings.len());
        let _ = writeln!(
            s,
            "| 指纹 | 规则 | 图层 | 要素 | 问题 | 例外理由 |\n|---|---|---|---|---|---|"
        );
        for f in findings {
            let reason = f.exception.as_ref().map_or(String::new(), |w| {
                format!("{}（{}，{}）", w.reason, w.by, w.date)
            });
            let _ = writeln!(
                s,
                "| `{}` | {} | {} | {} | {} | {} |",
                f.fingerprint,
                f.rule_id,
                cell(&f.layer),
                cell(&places(f)),
                cell(&f.message),
                cell(&reason)
            );
        }
    }
    s
}

/// The comparison as one HTML page (`diff.html`); every text from the reports is escaped.
pub fn render_diff_html(d: &Diff) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>复检对比：{}</title>\
         <style>body{{font-family:sans-serif;margin:2em;}}table{{border-collapse:collapse;margin:1em 0;}}\
         th,td{{border:1px solid #bbb;padding:.25em .5em;text-align:left;vertical-align:top;}}\
         td.n{{text-align:right;white-space:nowrap;}}code{{font-size:.9em;}}\
         @media print{{tr{{break-inside:avoid;}}}}</style></head><body>\n",
        esc(&d.new.package)
    );
    let _ = writeln!(s, "<h1>复检对比：{}</h1>", esc(&d.new.package));
    let _ = writeln!(s, "<table><tr><th></th><th>初检</th><th>复检</th></tr>");
    for (label, a, b) in [
        ("报告", d.old.file.clone(), d.new.file.clone()),
        (
            "时间",
            d.old.generated_at.clone(),
            d.new.generated_at.clone(),
        ),
        ("评定", d.old.grade.zh().into(), d.new.grade.zh().into()),
        ("得分", score(&d.old), score(&d.new)),
    ] {
        let _ = writeln!(
            s,
            "<tr><th>{label}</th><td>{}</td><td>{}</td></tr>",
            esc(&a),
            esc(&b)
        );
    }
    let _ = writeln!(s, "</table>");
    let t = &d.total;
    let _ = writeln!(
        s,
        "<p>已改正 {} 处，新增 {} 处，仍未改正 {} 处，例外 {} 处。</p>",
        t.fixed, t.new, t.open, t.excepted
    );
    let _ = writeln!(s, "<h2>按规则</h2><table><tr><th>规则</th><th>名称</th><th>类别</th><th>已改正</th><th>新增</th><th>仍未改正</th><th>例外</th></tr>");
    for r in &d.rules {
        let t = &r.tally;
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&r.id),
            esc(&r.title),
            r.class,
            t.fixed,
            t.new,
            t.open,
            t.excepted
        );
    }
    let _ = writeln!(s, "</table>");
    for (title, findings) in sections(d) {
        if findings.is_empty() {
            continue;
        }
        let _ = writeln!(s, "<h2>{title}（{} 处）</h2>", findings.len());
        let _ = writeln!(s, "<table><tr><th>指纹</th><th>规则</th><th>图层</th><th>要素</th><th>问题</th><th>例外理由</th></tr>");
        for f in findings {
            let reason = f.exception.as_ref().map_or(String::new(), |w| {
                format!("{}（{}，{}）", w.reason, w.by, w.date)
            });
            let _ = writeln!(
                s,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&f.fingerprint),
                esc(&f.rule_id),
                esc(&f.layer),
                esc(&places(f)),
                esc(&f.message),
                esc(&reason)
            );
        }
        let _ = writeln!(s, "</table>");
    }
    s.push_str("</body></html>\n");
    s
}
