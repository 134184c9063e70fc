//! `report.xlsx` (`--format xlsx`): the 质检记录表 an inspector files and a producer answers, in
//! three sheets. 问题记录 lists every finding, one row each, with empty 处理意见 cells for the
//! producer; 规则结果 has one row per rule; 质量评定 shows the GB/T 24356-2023 computation as
//! report.md does. Counts, scores, weights and coordinates are numeric cells, so that a
//! spreadsheet can sort, filter and sum them; exact fractions are given as text beside them.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

use geo::InteriorPoint;
use rust_xlsxwriter::{
    DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError,
};

use super::grade::{Grade, Grading};
use super::html::Lang;
use super::model::{Report, RuleResult};
use super::verdict;
use crate::finding::{Finding, Status};
use crate::quality::CountMode;
use crate::ratio::Ratio;

/// The sheets' names, in workbook order.
pub const SHEETS: [&str; 3] = ["问题记录", "规则结果", "质量评定"];

/// The header row of 问题记录.
const FINDING_COLUMNS: [(&str, f64); 16] = [
    ("序号", 6.0),
    ("规则", 10.0),
    ("规则名称", 24.0),
    ("问题类别", 8.0),
    ("质量元素", 10.0),
    ("图层", 10.0),
    ("要素标识", 24.0),
    ("问题描述", 48.0),
    ("依据", 24.0),
    ("实测", 18.0),
    ("应为", 18.0),
    ("坐标X", 14.0),
    ("坐标Y", 14.0),
    ("处理意见", 24.0),
    ("例外", 16.0),
    ("指纹", 18.0),
];

/// The header row of 规则结果.
const RULE_COLUMNS: [(&str, f64); 11] = [
    ("规则", 10.0),
    ("名称", 30.0),
    ("检查类型", 18.0),
    ("问题类别", 8.0),
    ("质量元素", 10.0),
    ("子元素", 14.0),
    ("状态", 8.0),
    ("问题数", 8.0),
    ("检查数", 8.0),
    ("未检查", 30.0),
    ("原因", 40.0),
];

/// Excel's last row (0-based); 问题记录 lists findings up to it and then says how many more
/// report.json holds.
const LAST_ROW: u32 = 1_048_575;

/// The most UTF-16 units an Excel cell holds.
const CELL_UNITS: usize = 32_767;

/// Formats shared by the sheets.
struct Formats {
    header: Format,
    text: Format,
    wrapped: Format,
    integer: Format,
    coordinate: Format,
    score: Format,
    weight: Format,
    title: Format,
    label: Format,
}

impl Formats {
    fn new() -> Formats {
        let text = Format::new().set_align(FormatAlign::Top);
        Formats {
            header: Format::new()
                .set_bold()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_background_color(0xD9E1F2)
                .set_border(FormatBorder::Thin),
            wrapped: text.clone().set_text_wrap(),
            integer: text.clone().set_num_format("0"),
            // Projected metres show to the millimetre, degrees to about 0.1 m.
            coordinate: text.clone().set_num_format("0.000###"),
            score: text.clone().set_num_format("0.00"),
            weight: text.clone().set_num_format("0.####"),
            title: Format::new().set_bold().set_font_size(14),
            label: text.clone().set_bold(),
            text,
        }
    }
}

/// `report.xlsx`: the sheets 问题记录, 规则结果 and 质量评定 (see the module's documentation).
pub fn render_xlsx(report: &Report) -> Result<Vec<u8>, XlsxError> {
    let f = Formats::new();
    let mut workbook = Workbook::new();
    // The report's time rather than the clock's: with SOURCE_DATE_EPOCH the file is the same
    // byte for byte, as the other reports are.
    let mut properties = DocProperties::new()
        .set_title(format!("质检记录表：{}", report.package.name))
        .set_author(format!("{} {}", report.engine.name, report.engine.version));
    if let Ok(time) = ExcelDateTime::parse_from_str(&report.generated_at) {
        properties = properties.set_creation_datetime(&time);
    }
    workbook.set_properties(&properties);
    findings_sheet(workbook.add_worksheet().set_name(SHEETS[0])?, report, &f)?;
    rules_sheet(workbook.add_worksheet().set_name(SHEETS[1])?, report, &f)?;
    grading_sheet(workbook.add_worksheet().set_name(SHEETS[2])?, report, &f)?;
    workbook.save_to_buffer()
}

/// Header row, widths, frozen header, autofilter over `rows` data rows, and A4 landscape pages
/// that repeat the header.
fn table(
    ws: &mut Worksheet,
    columns: &[(&str, f64)],
    rows: u32,
    f: &Formats,
) -> Result<(), XlsxError> {
    let last_col = (columns.len() - 1) as u16;
    for (col, (name, width)) in columns.iter().enumerate() {
        ws.write_string_with_format(0, col as u16, *name, &f.header)?;
        ws.set_column_width(col as u16, *width)?;
    }
    ws.set_freeze_panes(1, 0)?;
    ws.autofilter(0, 0, rows.max(1), last_col)?;
    page_setup(ws);
    ws.set_repeat_rows(0, 0)?;
    Ok(())
}

fn page_setup(ws: &mut Worksheet) {
    const A4: u8 = 9;
    ws.set_paper_size(A4)
        .set_landscape()
        .set_print_fit_to_pages(1, 0)
        .set_footer("&C第 &P 页，共 &N 页");
}

fn findings_sheet(ws: &mut Worksheet, report: &Report, f: &Formats) -> Result<(), XlsxError> {
    let rules: HashMap<&str, (&str, &str)> = report
        .rules
        .iter()
        .map(|r| {
            let basis = r.basis.as_deref().unwrap_or("");
            (r.id.as_str(), (r.title.as_str(), basis))
        })
        .collect();
    let listed = report.findings.len().min(LAST_ROW as usize - 1);
    let rows = listed as u32 + u32::from(listed < report.findings.len());
    table(ws, &FINDING_COLUMNS, rows, f)?;
    for (i, finding) in report.findings.iter().take(listed).enumerate() {
        let row = i as u32 + 1;
        let (title, basis) = rules
            .get(finding.rule_id.as_str())
            .copied()
            .unwrap_or(("", ""));
        ws.write_number_with_format(row, 0, (i + 1) as f64, &f.integer)?;
        text(ws, row, 1, &finding.rule_id, &f.text)?;
        text(ws, row, 2, title, &f.text)?;
        text(ws, row, 3, &finding.class.to_string(), &f.text)?;
        text(ws, row, 4, &finding.element, &f.text)?;
        text(ws, row, 5, &finding.layer, &f.text)?;
        text(ws, row, 6, &finding.places(), &f.text)?;
        text(ws, row, 7, &finding.message, &f.wrapped)?;
        text(ws, row, 8, basis, &f.wrapped)?;
        // In words, as the values read; report.json keeps them as JSON.
        for (col, value) in [(9, &finding.measured), (10, &finding.expected)] {
            if let Some(v) = value {
                text(ws, row, col, &shown(v), &f.text)?;
            }
        }
        if let Some((x, y)) = representative_point(finding) {
            ws.write_number_with_format(row, 11, x, &f.coordinate)?;
            ws.write_number_with_format(row, 12, y, &f.coordinate)?;
        }
        // Column 13, 处理意见, is left for the producer's answer.
        if let Some(w) = &finding.exception {
            let reason = format!("{}（{}，{}）", w.reason, w.by, w.date);
            text(ws, row, 14, &reason, &f.wrapped)?;
        }
        text(ws, row, 15, &finding.fingerprint, &f.text)?;
    }
    if listed < report.findings.len() {
        text(
            ws,
            listed as u32 + 1,
            7,
            &format!(
                "另有 {} 处问题超出 Excel 的行数，见 report.json",
                report.findings.len() - listed
            ),
            &f.wrapped,
        )?;
    }
    Ok(())
}

/// A measured or expected value in words: a string as it is, a number as JSON writes it, a list
/// joined by 、, an object as `key：value` pairs joined by ； (a nested one in parentheses, its
/// pairs joined by ，), null as nothing. Keys, and the codes under `reason`, `reasons` and
/// `unit`, are put in words by src/i18n/terms.tsv (`computed` → 计算值, `m2` → m²); a key it does
/// not list, a field code such as GYMJ, stays as it is.
pub fn shown(v: &serde_json::Value) -> String {
    shown_at(v, 0, false)
}

/// `coded`: `v` is the value of a key whose values are codes (`reason`, `reasons`, `unit`).
fn shown_at(v: &serde_json::Value, depth: usize, coded: bool) -> String {
    use crate::i18n::{term, Term};
    use serde_json::Value;
    match v {
        Value::Null => String::new(),
        Value::Bool(true) => "是".into(),
        Value::Bool(false) => "否".into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) if coded => term(Term::Code, s).unwrap_or(s).to_owned(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(|v| shown_at(v, depth + 1, coded))
            .collect::<Vec<_>>()
            .join("、"),
        Value::Object(m) => {
            let pairs: Vec<String> = m
                .iter()
                .map(|(k, v)| {
                    let coded = matches!(k.as_str(), "reason" | "reasons" | "unit");
                    let word = term(Term::Key, k).unwrap_or(k);
                    format!("{word}：{}", shown_at(v, depth + 1, coded))
                })
                .collect();
            match depth {
                0 => pairs.join("；"),
                _ => format!("（{}）", pairs.join("，")),
            }
        }
    }
}

/// A point of the finding's geometry (on it, for a polygon inside it), in the package's CRS;
/// `None` without a geometry or with a coordinate that is not finite.
fn representative_point(finding: &Finding) -> Option<(f64, f64)> {
    let p = finding.geometry.as_ref()?.interior_point()?;
    (p.x().is_finite() && p.y().is_finite()).then(|| (p.x(), p.y()))
}

/// A rule's status as the 质检记录表 names it.
fn status_zh(status: Status) -> &'static str {
    match status {
        Status::Passed => "通过",
        Status::Failed => "不通过",
        Status::NotRun => "未运行",
        Status::NotApplicable => "不适用",
    }
}

fn rules_sheet(ws: &mut Worksheet, report: &Report, f: &Formats) -> Result<(), XlsxError> {
    table(ws, &RULE_COLUMNS, report.rules.len() as u32, f)?;
    for (i, r) in report.rules.iter().enumerate() {
        rule_row(ws, i as u32 + 1, r, f)?;
    }
    Ok(())
}

fn rule_row(ws: &mut Worksheet, row: u32, r: &RuleResult, f: &Formats) -> Result<(), XlsxError> {
    text(ws, row, 0, &r.id, &f.text)?;
    text(ws, row, 1, &r.title, &f.text)?;
    text(ws, row, 2, &r.kind, &f.text)?;
    text(ws, row, 3, &r.class.to_string(), &f.text)?;
    text(ws, row, 4, &r.element, &f.text)?;
    text(ws, row, 5, &r.sub_element, &f.text)?;
    text(ws, row, 6, status_zh(r.status), &f.text)?;
    ws.write_number_with_format(row, 7, r.findings as f64, &f.integer)?;
    if let Some(n) = r.coverage.checked {
        ws.write_number_with_format(row, 8, n as f64, &f.integer)?;
    }
    if let Some(skipped) = r.coverage.skipped_zh() {
        text(ws, row, 9, &skipped, &f.wrapped)?;
    }
    if let Some(reason) = &r.reason {
        text(ws, row, 10, reason, &f.wrapped)?;
    }
    Ok(())
}

/// The header of the sub-element table of 质量评定.
const SUB_ELEMENT_COLUMNS: [&str; 12] = [
    "质量元素",
    "子元素",
    "A",
    "B",
    "C",
    "D",
    "扣分",
    "得分 S₁",
    "计算",
    "权",
    "归一化权 pᵢ",
    "未检查的规则",
];

/// The header of the element table of 质量评定.
const ELEMENT_COLUMNS: [&str; 6] = ["质量元素", "权", "归一化权 Pⱼ", "得分 S₂", "计算", "说明"];

/// 质量评定: the package and the verdict at the top, then formula (4) per sub-element, the
/// weighted sum per element, the unit's score and the grade with its reasons.
fn grading_sheet(ws: &mut Worksheet, report: &Report, f: &Formats) -> Result<(), XlsxError> {
    let g = &report.grading;
    let p = &report.package;
    for (col, width) in [
        12.0, 16.0, 6.0, 6.0, 6.0, 6.0, 8.0, 10.0, 44.0, 8.0, 12.0, 24.0,
    ]
    .into_iter()
    .enumerate()
    {
        ws.set_column_width(col as u16, width)?;
    }
    page_setup(ws);
    text(
        ws,
        0,
        0,
        &format!(
            "质量评定：{}（{}）",
            p.manifest.area_name, p.manifest.area_code
        ),
        &f.title,
    )?;
    let mut row = 2;
    let mut field = |ws: &mut Worksheet, label: &str, value: &str| -> Result<(), XlsxError> {
        text(ws, row, 0, label, &f.label)?;
        text(ws, row, 1, value, &f.text)?;
        row += 1;
        Ok(())
    };
    field(ws, "成果包", &p.name)?;
    field(
        ws,
        "检查方案",
        &format!("{}（{}）", report.profile.title, report.profile.name),
    )?;
    field(ws, "评定依据", "GB/T 24356-2023")?;
    field(ws, "评定", g.grade.zh())?;
    field(ws, "结论", &verdict::verdict_basis(report, Lang::Zh))?;
    field(ws, "退出码", &verdict::gate(report, Lang::Zh))?;
    field(
        ws,
        "生成时间",
        &format!("{}（运行编号 {}）", report.generated_at, report.run_id),
    )?;
    text(ws, row, 0, "单位成果得分 S", &f.label)?;
    if let Some(s) = g.score {
        ws.write_number_with_format(row, 1, s.to_f64(), &f.score)?;
        text(ws, row, 2, &s.to_string(), &f.text)?;
    } else {
        text(ws, row, 1, "无得分", &f.text)?;
    }
    row += 2;

    let counting = match g.count {
        CountMode::Findings => "每处问题计一个错漏",
        CountMode::Rules => "每条未通过的规则计一个错漏",
    };
    text(
        ws,
        row,
        0,
        &format!(
            "子元素 {}，t = {}；质量元素 S₂ = Σ S₁ᵢ·pᵢ；单位成果 S = Σ S₂ⱼ·Pⱼ。权重在实际检查的部分中逐级归一化（未检查的子元素、质量元素不参与）；{counting}。",
            g.formula, g.t
        ),
        &f.text,
    )?;
    row += 1;
    text(ws, row, 0, "t", &f.label)?;
    ws.write_number_with_format(row, 1, g.t.to_f64(), &f.weight)?;
    row += 2;

    row = sub_element_table(ws, row, g, f)?;
    row = element_table(ws, row + 1, g, f)?;
    row += 1;
    text(ws, row, 0, "评定", &f.label)?;
    text(ws, row, 1, g.grade.zh(), &f.label)?;
    row += 1;
    if g.grade == Grade::Unqualified {
        for reason in &g.reasons {
            text(ws, row, 1, reason, &f.text)?;
            row += 1;
        }
    }
    Ok(())
}

/// Formula (4) for every sub-element with rules; returns the next free row.
fn sub_element_table(
    ws: &mut Worksheet,
    mut row: u32,
    g: &Grading,
    f: &Formats,
) -> Result<u32, XlsxError> {
    for (col, name) in SUB_ELEMENT_COLUMNS.iter().enumerate() {
        ws.write_string_with_format(row, col as u16, *name, &f.header)?;
    }
    row += 1;
    for e in &g.elements {
        for sub in &e.sub_elements {
            let d = &sub.defects;
            text(ws, row, 0, &e.element, &f.text)?;
            text(ws, row, 1, &sub.sub_element, &f.text)?;
            for (col, n) in [(2, d.a), (3, d.b), (4, d.c), (5, d.d)] {
                ws.write_number_with_format(row, col, n as f64, &f.integer)?;
            }
            ws.write_number_with_format(row, 6, sub.deduction.to_f64(), &f.score)?;
            match sub.computation(g.t) {
                Some(computation) => {
                    if let Some(s) = sub.score {
                        ws.write_number_with_format(row, 7, s.to_f64(), &f.score)?;
                    }
                    text(ws, row, 8, &computation, &f.text)?;
                }
                None => text(ws, row, 8, "未检查", &f.text)?,
            }
            ws.write_number_with_format(row, 9, sub.weight.to_f64(), &f.weight)?;
            if let Some(share) = sub.share {
                ws.write_number_with_format(row, 10, share.to_f64(), &f.weight)?;
            }
            if !sub.rules_not_inspected.is_empty() {
                text(ws, row, 11, &sub.rules_not_inspected.join("、"), &f.wrapped)?;
            }
            row += 1;
        }
    }
    Ok(row)
}

/// S₂ per element and S for the unit; returns the row after the unit's.
fn element_table(
    ws: &mut Worksheet,
    mut row: u32,
    g: &Grading,
    f: &Formats,
) -> Result<u32, XlsxError> {
    for (col, name) in ELEMENT_COLUMNS.iter().enumerate() {
        ws.write_string_with_format(row, col as u16, *name, &f.header)?;
    }
    row += 1;
    for e in &g.elements {
        text(ws, row, 0, &e.element, &f.text)?;
        ws.write_number_with_format(row, 1, e.weight.to_f64(), &f.weight)?;
        match (e.score, e.share) {
            (Some(s), Some(p)) => {
                ws.write_number_with_format(row, 2, p.to_f64(), &f.weight)?;
                ws.write_number_with_format(row, 3, s.to_f64(), &f.score)?;
                let terms: Vec<String> = e
                    .sub_elements
                    .iter()
                    .filter_map(|sub| Some(format!("{}×{}", factor(sub.score?), sub.share?)))
                    .collect();
                text(
                    ws,
                    row,
                    4,
                    &format!("S₂ = {} = {}", terms.join(" + "), super::exact(s)),
                    &f.text,
                )?;
            }
            _ if e.sub_elements.is_empty() => {
                text(ws, row, 5, "无规则，未检查，不参与归一化", &f.text)?
            }
            _ => text(
                ws,
                row,
                5,
                "规则均未运行或不适用，未检查，不参与归一化",
                &f.text,
            )?,
        }
        row += 1;
    }
    text(ws, row, 0, "单位成果", &f.label)?;
    if let Some(s) = g.score {
        ws.write_number_with_format(row, 3, s.to_f64(), &f.score)?;
        let terms: Vec<String> = g
            .elements
            .iter()
            .filter_map(|e| Some(format!("{}×{}", factor(e.score?), e.share?)))
            .collect();
        text(
            ws,
            row,
            4,
            &format!("S = {} = {}", terms.join(" + "), super::exact(s)),
            &f.text,
        )?;
    } else {
        text(ws, row, 5, "无得分", &f.text)?;
    }
    Ok(row + 1)
}

/// A score as a factor of a product: a negative one in parentheses.
fn factor(v: Ratio) -> String {
    if v < Ratio::ZERO {
        format!("({v})")
    } else {
        v.to_string()
    }
}

/// Writes a text cell as Excel will show it back (see [`cell_text`]).
fn text(ws: &mut Worksheet, row: u32, col: u16, s: &str, format: &Format) -> Result<(), XlsxError> {
    ws.write_string_with_format(row, col, cell_text(s), format)?;
    Ok(())
}

/// `s` as a cell can hold it: a literal `_xHHHH_` escaped as `_x005F_xHHHH_`, since Excel reads
/// the former as the character U+HHHH, and a text over Excel's 32,767 UTF-16 units cut, saying
/// how much was left out (report.json keeps it whole).
fn cell_text(s: &str) -> Cow<'_, str> {
    static ESCAPE_LIKE: LazyLock<regex::Regex> =
        LazyLock::new(|| regex::Regex::new("_(x[0-9A-Fa-f]{4}_)").expect("a valid regex"));
    let escaped = ESCAPE_LIKE.replace_all(s, "_x005F_$1");
    if escaped.encode_utf16().count() <= CELL_UNITS {
        return escaped;
    }
    // Room for the note, whose count has at most 20 digits.
    let budget = CELL_UNITS - 64;
    let mut units = 0;
    let mut end = 0;
    for (i, c) in escaped.char_indices() {
        units += c.len_utf16();
        if units > budget {
            break;
        }
        end = i + c.len_utf8();
    }
    Cow::Owned(format!(
        "{}…（略去 {} 字符，全文见 report.json）",
        &escaped[..end],
        escaped[end..].chars().count()
    ))
}

#[cfg(test)]
mod tests {
    use super::cell_text;

    #[test]
    fn a_text_excel_would_unescape_or_refuse_is_kept_readable() {
        assert_eq!(cell_text("ZRZK"), "ZRZK");
        assert_eq!(cell_text("a_x0041_b"), "a_x005F_x0041_b");
        let long = "码".repeat(40_000);
        let cut = cell_text(&long);
        assert!(cut.encode_utf16().count() <= super::CELL_UNITS);
        assert!(cut.starts_with("码码码"));
        assert!(
            cut.ends_with("字符，全文见 report.json）"),
            "{}",
            &cut[cut.len() - 80..]
        );
        let astral = "𠀀".repeat(20_000);
        assert!(cell_text(&astral).encode_utf16().count() <= super::CELL_UNITS);
    }
}
