//! `report.html`: one self-contained page (no external CSS, scripts or fonts) with the verdict,
//! the element and rule tables, the findings of each rule and a map of the package with the
//! findings drawn on it. The page's text, style and script are `report.html` beside this file;
//! this fills it in: the layout here, the words in `labels`, the map in `svg`. The page ends with
//! a sign-off block to fill in on screen or sign on paper; the template's print style lays it out
//! on numbered A4 pages with the map on a page of its own.
//!
//! Every value from the data goes through [`esc`] (text and attributes) or [`json_for_script`]
//! (the JSON block the script reads), so a layer name, field value or message cannot inject
//! markup or script.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::{json, Value};

use super::grade::{Grade, Grading};
use super::map::MapLayers;
use super::model::{clip, Report, RuleResult};
use super::verdict;
use crate::finding::{Finding, Status};
use crate::quality::{DefectClass, ELEMENTS};

mod labels;
mod svg;

pub use labels::Lang;

use labels::Labels;
use svg::{Drawing, Drawn};

/// Findings listed per rule; JSON keeps all.
pub const FINDINGS_PER_RULE: usize = 50;

const TEMPLATE: &str = include_str!("report.html");

/// Escapes text for HTML text and quoted attribute values alike.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// JSON that is safe inside `<script type="application/json">`: no `<` can close the element
/// or open a comment, and `JSON.parse` reads the escapes back as the same characters.
pub fn json_for_script(v: &Value) -> String {
    v.to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// The indices (in `report.findings`) of the findings the page lists: the first
/// [`FINDINGS_PER_RULE`] of each rule, in rule order. The map draws the same ones.
pub fn listed_findings(report: &Report) -> Vec<usize> {
    let mut by_rule: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, f) in report.findings.iter().enumerate() {
        let list = by_rule.entry(f.rule_id.as_str()).or_default();
        if list.len() < FINDINGS_PER_RULE {
            list.push(i);
        }
    }
    report
        .rules
        .iter()
        .flat_map(|r| by_rule.remove(r.id.as_str()).unwrap_or_default())
        .collect()
}

/// Fills `{{name}}` placeholders in one pass, so text put in is never scanned for more.
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start..].find("}}") else {
            break;
        };
        let name = &rest[start + 2..start + len];
        match values.iter().find(|(k, _)| *k == name) {
            Some((_, v)) => {
                out.push_str(&rest[..start]);
                out.push_str(v);
            }
            None => out.push_str(&rest[..start + len + 2]),
        }
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    out
}

fn status_of(report: &Report, r: &RuleResult) -> (&'static str, fn(&Labels) -> &'static str) {
    match r.status {
        Status::Passed => ("passed", |l| l.passed),
        Status::Failed if report.profile.warns(r.class) => ("warning", |l| l.warning),
        Status::Failed => ("failed", |l| l.failed),
        Status::NotRun => ("not_run", |l| l.not_run),
        Status::NotApplicable => ("not_applicable", |l| l.not_applicable),
    }
}

fn class_index(c: DefectClass) -> usize {
    DefectClass::ALL.iter().position(|x| *x == c).unwrap_or(0)
}

/// Renders the page. `map` is what [`MapLayers::build`] took from the dataset for the findings
/// of [`listed_findings`].
pub fn render_html(report: &Report, map: &MapLayers, lang: Lang) -> String {
    let l = lang.labels();
    let listed = listed_findings(report);
    let drawing = Drawing::new(report, map, &listed);
    let mut body = String::new();
    header(&mut body, report, l);
    grading(&mut body, &report.grading, l);
    elements(&mut body, report, l);
    rules(&mut body, report, l);
    let _ = writeln!(body, "<main><h2>{}</h2>", l.findings_map);
    let _ = writeln!(body, "<div class=\"split\"><section class=\"findings\">");
    findings(&mut body, report, &drawing, l);
    let _ = writeln!(body, "</section>");
    drawing.render(&mut body, report, map, l);
    let _ = writeln!(body, "</div></main>");
    sign_off(&mut body, report, l);
    let _ = writeln!(
        body,
        "<footer>{} {} · {} · {} · run {}</footer>",
        esc(&report.engine.name),
        esc(&report.engine.version),
        esc(&report.schema),
        esc(&report.generated_at),
        esc(&report.run_id)
    );

    let data_findings: BTreeMap<String, Value> = listed
        .iter()
        .map(|&i| {
            let f = &report.findings[i];
            (
                i.to_string(),
                json!({
                    "rule": f.rule_id,
                    "class": f.class.to_string(),
                    "layer": f.layer,
                    "ids": clip(&f.places()),
                    "message": clip(&f.message),
                }),
            )
        })
        .collect();
    let data = json!({
        "findings": data_findings,
        "labels": { "not_on_map": l.not_on_map },
    });
    let title = format!(
        "{}：{}（{}）",
        l.title, report.package.manifest.area_name, report.package.manifest.area_code
    );
    fill(
        TEMPLATE,
        &[
            ("lang", l.html_lang),
            ("title", &esc(&title)),
            ("findings", &report.counts.findings.to_string()),
            ("body", &body),
            ("data", &json_for_script(&data)),
        ],
    )
}

fn header(s: &mut String, report: &Report, l: &Labels) {
    let p = &report.package;
    let _ = writeln!(
        s,
        "<header><h1>{}：{}（{}）</h1>",
        l.title,
        esc(&p.manifest.area_name),
        esc(&p.manifest.area_code)
    );
    let sha = &report.ruleset.sha256[..12.min(report.ruleset.sha256.len())];
    let _ = writeln!(
        s,
        "<ul class=\"meta\"><li>{}：<code>{}</code></li><li>{}：{}</li>\
         <li>{}：{}（{} {}，sha256 <code>{}</code>）</li><li>{}：{} {}</li><li>{}：{}</li>\
         <li>{}：{}（{}）</li></ul>",
        l.package,
        esc(&p.path),
        l.crs,
        esc(p.manifest.crs.as_deref().unwrap_or("—")),
        l.ruleset,
        esc(&report.ruleset.id),
        report.ruleset.rules,
        l.rules_unit,
        esc(sha),
        l.engine,
        esc(&report.engine.name),
        esc(&report.engine.version),
        l.generated,
        esc(&report.generated_at),
        l.profile,
        esc(&report.profile.title),
        esc(&report.profile.name),
    );
    // The verdict is the grade; the gate beside it says what --fail-on decided (the exit code).
    let badge = if report.grading.grade == Grade::Unqualified {
        "fail"
    } else {
        "pass"
    };
    // The score is as large as the grade it decides: on paper the two are read together.
    let score = report
        .grading
        .score
        .map_or_else(|| "—".into(), |v| v.to_decimal(2));
    let _ = writeln!(
        s,
        "<section class=\"verdict\"><span class=\"badge {badge}\" id=\"verdict\">{}</span>\
         <span class=\"score {badge}\" id=\"score\"><small>{}</small>{}</span>\
         <span class=\"why\">{}<br><span id=\"gate\">{}</span></span><div class=\"classes\">",
        grade_word(report.grading.grade, l),
        l.score,
        esc(&score),
        esc(&verdict::verdict_basis(report, l.lang)),
        esc(&verdict::gate(report, l.lang))
    );
    let _ = writeln!(
        s,
        "<div class=\"cls total\">{}<b id=\"finding-count\" data-findings=\"{}\">{}</b></div>",
        l.findings, report.counts.findings, report.counts.findings
    );
    for c in DefectClass::ALL {
        let n = report.counts.by_class.get(&c).copied().unwrap_or(0);
        let _ = writeln!(
            s,
            "<div class=\"cls c{c}\">{c} {}<b>{n}</b></div>",
            l.legend_class
        );
    }
    let _ = writeln!(s, "</div></section>");
    let review = super::markdown::review_lines(report, l.lang);
    if !review.is_empty() {
        let _ = writeln!(s, "<ul class=\"review\">");
        for line in review {
            let _ = writeln!(s, "<li>{}</li>", esc(&line));
        }
        let _ = writeln!(s, "</ul>");
    }
    if !p.unread.is_empty() {
        let _ = writeln!(s, "<p>{}：</p><ul>", l.unread);
        for u in &p.unread {
            let _ = writeln!(
                s,
                "<li><code>{}</code>：{}</li>",
                esc(&u.path),
                esc(&u.reason)
            );
        }
        let _ = writeln!(s, "</ul>");
    }
    if !p.unreadable.is_empty() {
        let _ = writeln!(s, "<p>{}：</p><ul>", l.unreadable);
        for u in &p.unreadable {
            let _ = writeln!(
                s,
                "<li>{}：{}</li>",
                esc(&u.frames.join("、")),
                esc(&clip(&crate::i18n::tr(l.lang, &u.error)))
            );
        }
        let _ = writeln!(s, "</ul>");
    }
    if !p.uninspected.is_empty() {
        let _ = writeln!(s, "<p>{}：</p><ul>", l.uninspected);
        for u in &p.uninspected {
            let template = if u.fields.is_empty() {
                l.uninspected_frame
            } else {
                l.uninspected_fields
            };
            let item = template
                .replace("{layer}", &esc(&u.layer))
                .replace("{path}", &esc(&u.path))
                .replace("{fields}", &esc(&u.fields.join(", ")));
            let _ = writeln!(s, "<li>{item}</li>");
        }
        let _ = writeln!(s, "</ul>");
    }
    if !p.notes.is_empty() {
        let _ = writeln!(s, "<p>{}：</p><ul>", l.notes);
        for n in &p.notes {
            let _ = writeln!(
                s,
                "<li><code>{}</code>：{}</li>",
                esc(&n.path),
                esc(&crate::i18n::tr(l.lang, &n.message))
            );
        }
        let _ = writeln!(s, "</ul>");
    }
    let _ = writeln!(s, "</header>");
}

/// Where the inspector and the reviewer sign: fields to fill in on screen, printed as lines to
/// sign on (the page's print style).
fn sign_off(s: &mut String, report: &Report, l: &Labels) {
    let p = &report.package;
    let score = report
        .grading
        .score
        .map_or_else(|| "—".into(), |v| v.to_decimal(2));
    // The page it prints on names what is signed for, in case it is filed apart from the rest.
    let _ = writeln!(
        s,
        "<section class=\"signoff\"><h2>{}</h2><p class=\"hint\">{}</p>\
         <p class=\"signed-for\">{}（{}） · <code>{}</code> · {} · S = {} · run {}</p><div class=\"sign-fields\">",
        l.sign_off,
        l.sign_off_hint,
        esc(&p.manifest.area_name),
        esc(&p.manifest.area_code),
        esc(&p.name),
        grade_word(report.grading.grade, l),
        esc(&score),
        esc(&report.run_id)
    );
    for (id, label) in [
        ("sign-inspector", l.inspector),
        ("sign-reviewer", l.reviewer),
        ("sign-date", l.date),
    ] {
        let _ = writeln!(
            s,
            "<label for=\"{id}\">{label}<input type=\"text\" id=\"{id}\" autocomplete=\"off\"></label>"
        );
    }
    let _ = writeln!(
        s,
        "</div><label for=\"sign-opinion\" class=\"opinion\">{}<textarea id=\"sign-opinion\" rows=\"5\"></textarea></label></section>",
        l.opinion
    );
}

fn grade_word(g: Grade, l: &Labels) -> &'static str {
    match g {
        Grade::Excellent => l.grades[0],
        Grade::Good => l.grades[1],
        Grade::Qualified => l.grades[2],
        Grade::Unqualified => l.grades[3],
    }
}

/// The grade and every term of its computation, as report.md prints it.
fn grading(s: &mut String, g: &Grading, l: &Labels) {
    let _ = writeln!(
        s,
        "<main><h2>{}</h2><p><code>{}</code>, t = {}</p><table><thead><tr><th>{}</th><th>{}</th>\
         <th>A</th><th>B</th><th>C</th><th>D</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        l.grading,
        esc(g.formula),
        esc(&g.t.to_string()),
        l.element,
        l.sub_element,
        l.computation,
        l.weight,
        l.share
    );
    for e in &g.elements {
        for sub in &e.sub_elements {
            let d = &sub.defects;
            let computation = sub.computation(g.t).unwrap_or_else(|| {
                format!(
                    "{}（{}）",
                    l.not_inspected,
                    sub.rules_not_inspected.join("、")
                )
            });
            let share = sub.share.map_or_else(|| "—".into(), |p| p.to_string());
            let _ = writeln!(
                s,
                "<tr><td>{}</td><td>{}</td>{}{}{}{}<td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(&e.element),
                esc(&sub.sub_element),
                num(d.a),
                num(d.b),
                num(d.c),
                num(d.d),
                esc(&computation),
                esc(&sub.weight.to_string()),
                esc(&share)
            );
        }
    }
    let _ = writeln!(s, "</tbody></table><ul>");
    for e in &g.elements {
        if let (Some(v), Some(p)) = (e.score, e.share) {
            let _ = writeln!(
                s,
                "<li>{}：S₂ = {}；{} {}，{} Pⱼ = {}</li>",
                esc(&e.element),
                esc(&super::exact(v)),
                l.weight,
                esc(&e.weight.to_string()),
                l.share,
                esc(&p.to_string())
            );
        }
    }
    let unit = g.score.map_or_else(|| "—".into(), super::exact);
    let _ = writeln!(
        s,
        "<li><b>{}：S = {}，{}</b></li>",
        l.unit_score,
        esc(&unit),
        grade_word(g.grade, l)
    );
    for r in &g.reasons {
        let _ = writeln!(s, "<li class=\"st-failed\">{}</li>", esc(r));
    }
    let _ = writeln!(s, "</ul></main>");
}

fn num(n: usize) -> String {
    if n == 0 {
        "<td class=\"n zero\">0</td>".into()
    } else {
        format!("<td class=\"n\">{n}</td>")
    }
}

fn elements(s: &mut String, report: &Report, l: &Labels) {
    #[derive(Default)]
    struct Row {
        rules: usize,
        by_status: [usize; 4],
        by_class: [usize; 4],
    }
    let mut rows: BTreeMap<(usize, &str), Row> = BTreeMap::new();
    for r in &report.rules {
        let order = ELEMENTS
            .iter()
            .position(|e| *e == r.element)
            .unwrap_or(ELEMENTS.len());
        let row = rows.entry((order, r.element.as_str())).or_default();
        row.rules += 1;
        let status = match r.status {
            Status::Passed => 0,
            Status::Failed => 1,
            Status::NotRun => 2,
            Status::NotApplicable => 3,
        };
        row.by_status[status] += 1;
        row.by_class[class_index(r.class)] += r.findings;
    }
    let _ = writeln!(
        s,
        "<main><h2>{}</h2><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th>\
         <th>{}</th><th>{}</th><th>A</th><th>B</th><th>C</th><th>D</th><th>{}</th></tr></thead><tbody>",
        l.elements,
        l.element,
        l.rules,
        l.passed,
        l.failed,
        l.not_run,
        l.not_applicable,
        l.count
    );
    for ((_, element), row) in &rows {
        let _ = write!(s, "<tr><td>{}</td>{}", esc(element), num(row.rules));
        for n in row.by_status.iter().chain(&row.by_class) {
            s.push_str(&num(*n));
        }
        let _ = writeln!(s, "{}</tr>", num(row.by_class.iter().sum()));
    }
    let _ = writeln!(s, "</tbody></table></main>");
}

/// Rules that passed or do not apply are folded away: the ones that need attention come first.
fn rules(s: &mut String, report: &Report, l: &Labels) {
    // A pass that skipped something is not folded: the skip is what needs attention.
    let quiet = |r: &RuleResult| {
        matches!(r.status, Status::Passed | Status::NotApplicable) && r.coverage.skipped.is_empty()
    };
    let head = format!(
        "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th>\
         <th>{}</th></tr></thead><tbody>",
        l.rule, l.name, l.class, l.element, l.status, l.checked, l.count
    );
    let _ = writeln!(s, "<main><h2>{}</h2>{head}", l.rules);
    let mut folded = String::new();
    let mut n_folded = 0;
    for (k, r) in report.rules.iter().enumerate() {
        let (key, word) = status_of(report, r);
        let reason = r
            .reason
            .as_ref()
            .cloned()
            .or(r.coverage.skipped_in(l.lang))
            .map(|x| match l.lang {
                Lang::Zh => format!("（{}）", esc(&x)),
                Lang::En => format!(" ({})", esc(&x)),
            })
            .unwrap_or_default();
        let checked = match (r.coverage.checked, r.coverage.unit) {
            (Some(n), Some(unit)) => format!("{n} {}", (l.unit)(unit)),
            (Some(n), None) => n.to_string(),
            (None, _) => "—".into(),
        };
        let id = if r.findings > 0 {
            format!("<a href=\"#r{k}\">{}</a>", esc(&r.id))
        } else {
            esc(&r.id)
        };
        let row = format!(
            "<tr><td class=\"id\">{id}</td><td>{}</td><td><span class=\"tag c{}\">{}</span></td><td class=\"k\">{}</td>\
             <td class=\"st-{key}\">{}{reason}</td><td class=\"k\">{}</td>{}</tr>\n",
            esc(&r.title),
            r.class,
            r.class,
            esc(&r.element),
            word(l),
            esc(&checked),
            num(r.findings)
        );
        if quiet(r) {
            folded.push_str(&row);
            n_folded += 1;
        } else {
            s.push_str(&row);
        }
    }
    let _ = writeln!(s, "</tbody></table>");
    if n_folded > 0 {
        let _ = writeln!(
            s,
            "<details><summary>{} / {}（{n_folded}）</summary>{head}{folded}</tbody></table></details>",
            l.passed, l.not_applicable
        );
    }
    let _ = writeln!(s, "</main>");
}

fn findings(s: &mut String, report: &Report, drawing: &Drawing, l: &Labels) {
    let _ = writeln!(s, "<p class=\"off hint\">{}</p>", l.click_hint);
    if report.findings.is_empty() {
        let _ = writeln!(s, "<p>{}</p>", l.no_findings);
    }
    for (k, r) in report.rules.iter().enumerate() {
        let of_rule: Vec<(usize, &Finding)> = report
            .findings
            .iter()
            .enumerate()
            .filter(|(_, f)| f.rule_id == r.id)
            .collect();
        if of_rule.is_empty() {
            continue;
        }
        let (key, word) = status_of(report, r);
        let _ = writeln!(
            s,
            "<h3 id=\"r{k}\"><span class=\"tag c{}\">{}</span> {} {} \
             <span class=\"st-{key}\">{}</span> · {} {}</h3>",
            r.class,
            r.class,
            esc(&r.id),
            esc(&r.title),
            word(l),
            of_rule.len(),
            l.findings
        );
        if let Some(basis) = &r.basis {
            let _ = writeln!(s, "<p class=\"basis\">{}：{}</p>", l.basis, esc(basis));
        }
        let _ = writeln!(
            s,
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
            l.layer, l.features, l.message
        );
        for (i, f) in of_rule.iter().take(FINDINGS_PER_RULE) {
            let where_ = match drawing.state.get(i) {
                Some(Drawn::Located) => format!("<br><span class=\"off\">{}</span>", l.located),
                Some(Drawn::Outside) => format!("<br><span class=\"off\">{}</span>", l.outside_map),
                Some(Drawn::Nothing) | None => {
                    format!("<br><span class=\"off\">{}</span>", l.not_on_map)
                }
                Some(Drawn::Own) => String::new(),
            };
            let marks = super::markdown::marks(f, l.lang);
            let marks = if marks.is_empty() {
                String::new()
            } else {
                format!("<br><span class=\"mark\">{}</span>", esc(&marks))
            };
            let _ = writeln!(
                s,
                "<tr class=\"finding\" id=\"f{i}\" data-i=\"{i}\"><td>{}</td><td>{}{where_}</td>\
                 <td>{}{marks}</td></tr>",
                esc(&f.layer),
                esc(&clip(&f.places())),
                esc(&clip(&f.message)),
            );
        }
        let _ = writeln!(s, "</tbody></table>");
        if of_rule.len() > FINDINGS_PER_RULE {
            let left = of_rule.len() - FINDINGS_PER_RULE;
            let _ = writeln!(
                s,
                "<p class=\"more\" data-omitted=\"{left}\">{}</p>",
                l.left_out
                    .replace("{shown}", &FINDINGS_PER_RULE.to_string())
                    .replace("{left}", &left.to_string())
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::report::map;

    use geo::{polygon, Geometry};
    use serde_json::Value;

    use super::*;
    use crate::report::map::MapLayer;
    use crate::rules::RuleSet;

    const HOSTILE: &str =
        "<script>alert(\"x\")</script>' onmouseover=\"alert(1)\" & {{data}} </script><!--";

    fn defective() -> (Report, MapLayers) {
        let rules = RuleSet::builtin().unwrap();
        let profile = rules.profile(None).unwrap().clone();
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/622923_永靖县_defective");
        crate::Inspection::run(&path, &rules, &())
            .unwrap()
            .report_and_map(&profile)
    }

    /// The JSON block the page's script reads, parsed as the browser would.
    fn data_block(html: &str) -> Value {
        let start = html.find("id=\"nrqc-data\">").unwrap() + "id=\"nrqc-data\">".len();
        let end = start + html[start..].find("</script>").unwrap();
        serde_json::from_str(&html[start..end]).unwrap()
    }

    #[test]
    fn hostile_values_are_escaped_everywhere() {
        let (mut report, mut map) = defective();
        report.package.manifest.area_name = HOSTILE.into();
        report.package.path = HOSTILE.into();
        report.rules[0].title = HOSTILE.into();
        report.rules[0].element = HOSTILE.into();
        for f in &mut report.findings {
            f.layer = HOSTILE.into();
            f.message = HOSTILE.into();
            f.measured = Some(Value::String(HOSTILE.into()));
            f.expected = Some(serde_json::json!({ HOSTILE: HOSTILE }));
            for id in &mut f.feature_ids {
                id.key = Some(HOSTILE.into());
            }
        }
        map.layers.push(MapLayer {
            name: HOSTILE.into(),
            features: 1,
            shapes: vec![map::parts(
                &Geometry::Polygon(polygon![(x: 0., y: 0.), (x: 1., y: 0.), (x: 1., y: 1.)]),
                0.0,
                true,
            )],
            outside: 3,
            omitted: None,
        });
        for lang in [Lang::Zh, Lang::En] {
            let html = render_html(&report, &map, lang);
            // Only the page's own two script elements open and close.
            assert_eq!(html.matches("<script").count(), 2);
            assert_eq!(html.matches("</script>").count(), 2);
            assert!(!html.contains("<!--"));
            // Quotes are escaped as JSON inside the data block and as entities elsewhere.
            let start = html.find("id=\"nrqc-data\">").unwrap();
            let end = start + html[start..].find("</script>").unwrap();
            let markup = format!("{}{}", &html[..start], &html[end..]);
            assert!(!markup.contains("onmouseover=\""));
            assert!(!markup.contains("\"alert"));
            assert!(!html[start..end].contains('<'));
            assert!(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;"));
            assert!(html.contains(" &amp; "));
            // The placeholder in a value was not filled: the template is filled in one pass.
            assert!(html.contains("{{data}}"));
            assert_eq!(html.matches("id=\"nrqc-data\"").count(), 1);
            assert!(html.contains(&format!("data-layer=\"{}\"", esc(HOSTILE))));
            // The script reads the values back unchanged.
            let data = data_block(&html);
            let first = data["findings"]
                .as_object()
                .unwrap()
                .values()
                .next()
                .unwrap();
            assert_eq!(first["message"], HOSTILE);
            assert_eq!(first["layer"], HOSTILE);
        }
    }

    #[test]
    fn lists_a_capped_number_per_rule_and_says_how_many_are_left_out() {
        let (mut report, map) = defective();
        let extra = FINDINGS_PER_RULE + 7;
        let template = report.findings[0].clone();
        report
            .findings
            .splice(1..1, std::iter::repeat_n(template, extra));
        report.counts.findings = report.findings.len();
        let rule = report.findings[0].rule_id.clone();
        let total_of_rule = report.findings_of(&rule).count();
        let html = render_html(&report, &map, Lang::Zh);
        let left = total_of_rule - FINDINGS_PER_RULE;
        assert!(html.contains(&format!("data-omitted=\"{left}\"")), "{left}");
        assert_eq!(
            html.matches("<tr class=\"finding\"").count() + left,
            report.findings.len()
        );
        assert_eq!(listed_findings(&report).len() + left, report.findings.len());
    }

    #[test]
    fn english_labels_leave_data_values_alone() {
        let (report, map) = defective();
        let html = render_html(&report, &map, Lang::En);
        assert!(html.contains("<html lang=\"en\">"));
        assert!(html.contains(">unqualified (不合格)<"));
        assert!(html.contains("exit code 1: "));
        assert!(html.contains("永靖县"));
        assert!(!html.contains("不通过"));
    }

    #[test]
    fn every_listed_finding_of_the_fixture_is_drawn_or_says_why_not() {
        let (report, map) = defective();
        let html = render_html(&report, &map, Lang::Zh);
        let listed = listed_findings(&report);
        assert_eq!(listed.len(), report.findings.len());
        let drawn = listed
            .iter()
            .filter(|i| {
                html.contains(&format!(
                    "<path class=\"f c{}\" data-i=\"{i}\"",
                    report.findings[**i].class
                ))
            })
            .count();
        // Tables and the layer-level CRS findings have no place; the rest are on the map.
        let without = report
            .findings
            .iter()
            .filter(|f| f.layer.starts_with("TJ_") || f.layer == "GGGZ" || f.feature_ids.is_empty())
            .count();
        let outside = report
            .findings
            .iter()
            .filter(|f| f.rule_id == "ZR-P004" || f.rule_id == "ZR-P006")
            .count();
        assert!(
            drawn + without + outside >= listed.len(),
            "{drawn} {without} {outside}"
        );
        assert!(drawn >= 30, "{drawn}");
    }
}
