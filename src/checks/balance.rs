//! The arithmetic of statistics tables, shared by `table_totals` (equations the rule names) and
//! `statistics_tables` (equations found from a table's headers): reading cells as written,
//! blanks, the tolerance of rounded values, and pinning a wrong value on its cell.
//!
//! Tolerances. A sum of parts rounded to d decimals drifts from its rounded total by up to
//! half a unit of the last decimal per part; a column written without decimals holds counts,
//! which are not rounded, so its sums are exact. A share (占比) may be off by one unit of its last
//! decimal: shares are forced to add up to 100 (强制调平), which moves one of them by up to a
//! whole unit from its exact value (62.90 / 410.70 = 15.3153 is written 15.31 so that the
//! shares of the prefecture's grassland sum to 100.00).
//!
//! Pinning. A wrong cell breaks every equation it enters: its row's total and the column's
//! total row. When the equations a cell enters all fail and all point at the same error in it
//! (within their tolerances), the finding names that cell once, rather than the totals that
//! disagree with it.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_json::json;

use super::sums::floats;
use super::units::{column_decimals, round};
use super::{Context, NotRun};
use crate::finding::{Finding, Unit};
use crate::package::{written_decimals, Frame};

/// How a blank cell is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Blank {
    /// As 0: Chinese statistical tables leave a cell blank where there is nothing to count.
    Zero,
    /// As unknown: the equations it enters are not checked, and counted as skipped.
    Missing,
}

impl Blank {
    pub fn describe(self) -> &'static str {
        match self {
            Blank::Zero => "blank cells read as 0",
            Blank::Missing => "equations with a blank cell skipped",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Value(f64),
    Blank,
    /// Text that is not a number, such as `无` or `—`.
    Text(String),
}

/// A column of a table as written.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub cells: Vec<Cell>,
    /// The most decimals a value was written with; 0 for counts.
    pub decimals: u32,
}

impl Column {
    /// The column `name` of `frame`: numbers as the loader typed them (a value that did not
    /// parse as its type is the text it was), or text columns parsed here.
    pub fn read(frame: &Frame, name: &str) -> Result<Column, NotRun> {
        let series = frame
            .df
            .column(name)
            .map_err(|_| NotRun(format!("{} 缺少列 {name}，无法检查", frame.name)))?;
        let (cells, decimals) = if series.dtype().is_string() {
            let mut decimals = 0;
            let cells = (0..frame.len())
                .map(|row| {
                    let text = frame.text(name, row).unwrap_or_default();
                    let text = text.trim();
                    match text.parse::<f64>() {
                        _ if text.is_empty() => Cell::Blank,
                        Ok(v) if v.is_finite() => {
                            decimals = decimals.max(written_decimals(text));
                            Cell::Value(v)
                        }
                        _ => Cell::Text(text.to_owned()),
                    }
                })
                .collect();
            (cells, decimals)
        } else {
            let values = floats(&frame.df, name)?;
            let decimals = if series.dtype().is_integer() {
                0
            } else {
                column_decimals(frame, name, &values)
            };
            // By row, so that a column of many null cells is not a search of all bad cells each.
            let bad: std::collections::HashMap<usize, &str> = frame
                .bad_cells
                .iter()
                .filter(|b| b.field == name)
                .map(|b| (b.row, b.raw.as_str()))
                .collect();
            let cells = values
                .iter()
                .enumerate()
                .map(|(row, v)| match v {
                    Some(v) => Cell::Value(*v),
                    None => bad
                        .get(&row)
                        .map_or(Cell::Blank, |raw| Cell::Text((*raw).to_owned())),
                })
                .collect();
            (cells, decimals)
        };
        Ok(Column {
            name: name.to_owned(),
            cells,
            decimals: decimals.min(6),
        })
    }

    pub fn is_numeric(&self) -> bool {
        self.cells.iter().any(|c| matches!(c, Cell::Value(_)))
    }

    fn unit(&self) -> f64 {
        10f64.powi(-(self.decimals as i32))
    }

    /// How far a written value may be from the exact one: half a unit, nothing for counts.
    fn rounding(&self) -> f64 {
        if self.decimals == 0 {
            0.0
        } else {
            0.5 * self.unit()
        }
    }
}

/// A table's cells by row and column, and the name of each row.
pub struct Table<'a> {
    pub frame: &'a Frame,
    pub rows: Vec<Option<String>>,
    pub columns: Vec<Column>,
}

/// A cell: row and index into [`Table::columns`].
pub type Pos = (usize, usize);

impl Table<'_> {
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    pub fn row_name(&self, row: usize) -> &str {
        self.rows[row].as_deref().unwrap_or("?")
    }

    /// `total` of `row` is the sum of `parts` of the same row.
    pub fn across(&self, row: usize, total: usize, parts: &[usize]) -> Equation {
        Equation {
            target: (row, total),
            relation: Relation::Sum(parts.iter().map(|&c| (row, c)).collect()),
            label: format!(
                "{} 行 {} 与各列之和",
                self.row_name(row),
                self.columns[total].name
            ),
        }
    }

    /// `column` of row `total` is the sum of `column` of `rows`.
    pub fn down(&self, total: usize, column: usize, rows: &[usize]) -> Equation {
        Equation {
            target: (total, column),
            relation: Relation::Sum(rows.iter().map(|&r| (r, column)).collect()),
            label: format!(
                "{} 行 {} 与各行之和",
                self.row_name(total),
                self.columns[column].name
            ),
        }
    }

    /// `share` of `row` is 100 × `of` of the row / `of` of the row `total`.
    pub fn share(&self, row: usize, share: usize, of: usize, total: usize) -> Equation {
        Equation {
            target: (row, share),
            relation: Relation::Share {
                part: (row, of),
                whole: (total, of),
            },
            label: format!(
                "{} 行 {} 与 {} 占比",
                self.row_name(row),
                self.columns[share].name,
                self.columns[of].name
            ),
        }
    }

    fn cell(&self, (row, column): Pos) -> &Cell {
        &self.columns[column].cells[row]
    }
}

pub enum Relation {
    Sum(Vec<Pos>),
    /// In percent.
    Share {
        part: Pos,
        whole: Pos,
    },
}

/// A declared cell against what the others say it should be.
pub struct Equation {
    pub target: Pos,
    pub relation: Relation,
    pub label: String,
}

impl Equation {
    /// Each cell the equation reads, with the sign its error enters the difference with (a
    /// sum's target +, its parts −); shares are not linear and have none.
    fn terms(&self) -> Vec<(Pos, Option<f64>)> {
        match &self.relation {
            Relation::Sum(parts) => std::iter::once((self.target, Some(1.0)))
                .chain(parts.iter().map(|&p| (p, Some(-1.0))))
                .collect(),
            Relation::Share { part, whole } => {
                vec![(self.target, None), (*part, None), (*whole, None)]
            }
        }
    }
}

/// An equation that could be evaluated.
struct Evaluated<'e> {
    equation: &'e Equation,
    declared: f64,
    computed: f64,
    allowed: f64,
}

impl Evaluated<'_> {
    fn difference(&self) -> f64 {
        self.declared - self.computed
    }

    fn fails(&self) -> bool {
        self.difference().abs() > self.allowed + 1e-9 * self.computed.abs().max(1.0)
    }
}

/// Evaluates `equations` over `table` and returns the findings, counting what was evaluated,
/// skipped and read as zero. `tolerance` overrides the rounding tolerance of sums.
pub fn check(
    cx: &Context,
    table: &Table,
    equations: &[Equation],
    blank: Blank,
    tolerance: Option<f64>,
) -> Vec<Finding> {
    let mut zeroed: BTreeSet<Pos> = BTreeSet::new();
    let mut skipped: BTreeMap<&str, usize> = BTreeMap::new();
    let mut evaluated = Vec::new();
    'equations: for equation in equations {
        let mut blanks = Vec::new();
        let mut value = |pos: Pos| match table.cell(pos) {
            Cell::Value(v) => Ok(*v),
            Cell::Blank if blank == Blank::Zero => {
                blanks.push(pos);
                Ok(0.0)
            }
            Cell::Blank => Err("含空白单元格（blank: missing）"),
            Cell::Text(_) => Err("含非数值单元格"),
        };
        let terms: Result<Vec<f64>, &str> = equation
            .terms()
            .iter()
            .map(|(pos, _)| value(*pos))
            .collect();
        let terms = match terms {
            Ok(terms) => terms,
            Err(why) => {
                *skipped.entry(why).or_default() += 1;
                continue 'equations;
            }
        };
        let declared = terms[0];
        let (computed, allowed) = match &equation.relation {
            Relation::Sum(parts) => {
                let rounding = parts
                    .iter()
                    .map(|&(_, c)| table.columns[c].rounding())
                    .sum();
                (terms[1..].iter().sum(), tolerance.unwrap_or(rounding))
            }
            Relation::Share { .. } => {
                if terms[2] == 0.0 {
                    *skipped.entry("占比的合计为 0").or_default() += 1;
                    continue 'equations;
                }
                let unit = table.columns[equation.target.1].unit();
                (100.0 * terms[1] / terms[2], unit)
            }
        };
        zeroed.extend(blanks);
        evaluated.push(Evaluated {
            equation,
            declared,
            computed,
            allowed,
        });
    }
    cx.checked(evaluated.len(), Unit::Equations);
    for (why, n) in skipped {
        cx.skipped(n, Unit::Equations, format!("{} {why}", table.frame.name));
    }
    if !zeroed.is_empty() {
        cx.note(format!(
            "{} 有 {} 个空白单元格按 0 计（blank: zero）",
            table.frame.name,
            zeroed.len()
        ));
    }
    findings(cx, table, &evaluated)
}

/// A cell that explains every equation it enters, all failed, with the error it implies.
struct Pinned {
    pos: Pos,
    equations: Vec<usize>,
    error: f64,
    allowed: f64,
}

/// The cells that explain failed sums, each taking the equations it explains; a cell whose
/// equations another has taken is left out.
fn pin(evaluated: &[Evaluated]) -> Vec<Pinned> {
    let mut entered: BTreeMap<Pos, Vec<(usize, f64)>> = BTreeMap::new();
    for (i, e) in evaluated.iter().enumerate() {
        for (pos, sign) in e.equation.terms() {
            if let Some(sign) = sign {
                entered.entry(pos).or_default().push((i, sign));
            }
        }
    }
    let mut candidates: Vec<Pinned> = entered
        .into_iter()
        .filter(|(_, eqs)| eqs.len() >= 2 && eqs.iter().all(|&(i, _)| evaluated[i].fails()))
        .filter_map(|(pos, eqs)| {
            let implied: Vec<(f64, f64)> = eqs
                .iter()
                .map(|&(i, sign)| (sign * evaluated[i].difference(), evaluated[i].allowed))
                .collect();
            let agree = implied.iter().all(|&(a, ta)| {
                implied
                    .iter()
                    .all(|&(b, tb)| (a - b).abs() <= ta + tb + 1e-9 * a.abs().max(1.0))
            });
            agree.then(|| Pinned {
                pos,
                equations: eqs.iter().map(|&(i, _)| i).collect(),
                error: implied[0].0,
                allowed: implied.iter().map(|&(_, t)| t).fold(0.0, f64::max),
            })
        })
        .collect();
    candidates.sort_by_key(|p| std::cmp::Reverse(p.equations.len()));
    let mut taken = BTreeSet::new();
    candidates
        .into_iter()
        .filter(|p| {
            let free = p.equations.iter().all(|i| !taken.contains(i));
            if free {
                taken.extend(p.equations.iter().copied());
            }
            free
        })
        .collect()
}

fn findings(cx: &Context, table: &Table, evaluated: &[Evaluated]) -> Vec<Finding> {
    let d = |pos: Pos| table.columns[pos.1].decimals + 2;
    let mut out: Vec<(usize, Finding)> = Vec::new();
    let pinned = pin(evaluated);
    for p in &pinned {
        // Pinning only follows evaluated equations: a cell that is not a value is a blank read
        // as 0.
        let (declared, written) = match *table.cell(p.pos) {
            Cell::Value(v) => (v, v.to_string()),
            _ => (0.0, "空白（按 0 计）".to_owned()),
        };
        let d = d(p.pos);
        let labels: Vec<&str> = p
            .equations
            .iter()
            .map(|&i| evaluated[i].equation.label.as_str())
            .collect();
        let expected = round(declared - p.error, d);
        let message = format!(
            "{} 行 {} 数值有误：{}均不符，申报 {written}，按各式应为 {expected}，相差 {:+}（允许 ±{}）",
            table.row_name(p.pos.0),
            table.columns[p.pos.1].name,
            labels.join("、"),
            round(p.error, d),
            round(p.allowed, d)
        );
        let measured = json!({
            "declared": declared,
            "computed": expected,
            "difference": round(p.error, d),
            "tolerance": round(p.allowed, d),
            "equations": labels,
        });
        let first = p.equations.iter().copied().min().unwrap_or(0);
        let column = &table.columns[p.pos.1].name;
        out.push((
            first,
            finding(cx, table, p.pos.0, message, measured).with_subject(column),
        ));
    }
    let explained: BTreeSet<usize> = pinned
        .iter()
        .flat_map(|p| p.equations.iter().copied())
        .collect();
    for (i, e) in evaluated.iter().enumerate() {
        if !e.fails() || explained.contains(&i) {
            continue;
        }
        let d = d(e.equation.target);
        let (computed, difference, allowed) = (
            round(e.computed, d),
            round(e.difference(), d),
            round(e.allowed, d),
        );
        let message = format!(
            "{}不符：申报 {}，计算 {computed}，相差 {difference:+}（允许 ±{allowed}）",
            e.equation.label, e.declared
        );
        let measured = json!({
            "declared": e.declared,
            "computed": computed,
            "difference": difference,
            "tolerance": allowed,
        });
        // The equation, not only the column: a cell is checked against its row and its column.
        let subject = &e.equation.label;
        out.push((
            i,
            finding(cx, table, e.equation.target.0, message, measured).with_subject(subject),
        ));
    }
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, f)| f).collect()
}

/// A finding on `row`, named by the table's key or, for a table the schema does not declare,
/// by the row's name.
fn finding(
    cx: &Context,
    table: &Table,
    row: usize,
    message: String,
    measured: serde_json::Value,
) -> Finding {
    let mut f = cx.finding(table.frame, &[row], message);
    for id in &mut f.feature_ids {
        if id.key.is_none() {
            id.key = table.rows[row].clone();
        }
    }
    f.with_expected(measured["computed"].clone())
        .with_measured(measured)
}
