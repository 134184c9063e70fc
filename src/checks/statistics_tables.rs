//! `statistics_tables`: the delivered statistics tables that no other rule reads add up, as
//! their headers say they should.
//!
//! A package may deliver any `TJ_*` table (package format section 6), most of them without a
//! rule of their own. Each such table gets the checks a statistics inspector applies to a table
//! they have not seen before, each where the table has what it needs:
//! - the total row (its name, in the first column that holds one, is a `total_names` word such
//!   as `合计`) equals the sum of the other rows, in every numeric column but the shares; rows
//!   named `小计` or starting with `其中` are breakdowns and are not summed;
//! - the total column (its header is a `total_names` word or contains one, e.g. `合计` or
//!   `HJ`) equals, in every row, the sum of its part columns: the numeric columns between the
//!   name column and it, or, when it comes first, those after it up to the next total or share;
//! - a share column (its header is or contains a `share_names` word, e.g. `占比` or `ZB`)
//!   equals `100 × value / value of the total row`, the value being the numeric column before it.
//!
//! A numeric column is one with at least one number after the name column; a column written
//! without decimals holds counts and its sums are exact. Tolerances, blanks, text cells and the
//! cell a finding is pinned on are those of `table_totals`. The report's notes say, per table,
//! which total row, total column, parts and shares were recognised; a table with none of them,
//! or one that could not be read, is counted as skipped, so that a rule that checked nothing does
//! not pass.
//!
//! ## Parameters
//! - `tables`: a table name, or a prefix ending in `*` (`TJ_*`); layers are never included.
//! - `blank`: `zero` or `missing`, how blank cells are read.
//! - `total_names`: optional, default `[合计, 总计, HJ, ZJ]`; `share_names`: optional, default
//!   `[占比, 比例, 比重, ZB, BL]`. A name in Latin letters must be the whole header; a Chinese one
//!   may be part of it (`合计（公顷）`).
//!
//! ## Example
//! ```yaml
//! - id: ZR-T003
//!   title: 其他统计表合计、占比与分项不符
//!   class: B
//!   element: 逻辑一致性
//!   statistics_tables: { tables: TJ_*, blank: zero }
//! ```
//!
//! ## Finding
//! `合计 行 HJ 数值有误：合计 行 HJ 与各列之和、合计 行 HJ 与各行之和均不符，申报 37287.69，按各式应为
//! 37286.69，相差 +1（允许 ±0.03）`, on the table `TJ_ZYMJ`, row `合计`.

use std::collections::BTreeSet;

use serde::Deserialize;

use super::balance::{self, Blank, Column, Equation, Table};
use super::{Check, Context, LintContext, NotRun, Read};
use crate::diag::{Name, Problem};
use crate::finding::{Finding, Unit};
use crate::package::Frame;

fn default_total_names() -> Vec<String> {
    ["合计", "总计", "HJ", "ZJ"].map(String::from).to_vec()
}

fn default_share_names() -> Vec<String> {
    ["占比", "比例", "比重", "ZB", "BL"]
        .map(String::from)
        .to_vec()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatisticsTables {
    pub tables: Name,
    pub blank: Blank,
    #[serde(default = "default_total_names")]
    pub total_names: Vec<String>,
    #[serde(default = "default_share_names")]
    pub share_names: Vec<String>,
}

/// Text as a header or row name is compared: without spaces, which tables put inside short
/// names to spread them (`合  计`).
fn normal(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Whether `text` is one of `names`: a Latin name as the whole text (any case), a Chinese one
/// anywhere in it.
fn named(text: &str, names: &[String]) -> bool {
    let text = normal(text);
    names.iter().any(|n| {
        if n.is_ascii() {
            text.eq_ignore_ascii_case(n)
        } else {
            text.contains(n.as_str())
        }
    })
}

/// What was recognised in a table.
struct Layout {
    /// The column holding the rows' names.
    names: usize,
    total_row: Option<usize>,
    /// The total column and its parts.
    total: Option<(usize, Vec<usize>)>,
    /// Numeric columns other than shares, summed down to the total row.
    additive: Vec<usize>,
    /// Share columns and the column each is a share of.
    shares: Vec<(usize, usize)>,
}

impl StatisticsTables {
    fn matches(&self, name: &str) -> bool {
        match self.tables.value.strip_suffix('*') {
            Some(prefix) => name.starts_with(prefix),
            None => name == self.tables.value,
        }
    }

    fn layout(&self, table: &Table) -> Layout {
        let columns = &table.columns;
        // Rows are named in words; the Latin total names (HJ) are column codes.
        let total_label = |c: &Column| {
            c.cells.iter().position(|cell| match cell {
                balance::Cell::Text(t) => !t.is_ascii() && named(t, &self.total_names),
                _ => false,
            })
        };
        // The name column: the first holding a total row's name, else the first column.
        let (names, total_row) = columns
            .iter()
            .enumerate()
            .find_map(|(i, c)| total_label(c).map(|row| (i, Some(row))))
            .unwrap_or((0, None));
        let numeric: Vec<usize> = (names + 1..columns.len())
            .filter(|&c| columns[c].is_numeric())
            .collect();
        let is_share = |c: usize| named(&columns[c].name, &self.share_names);
        let is_total = |c: usize| !is_share(c) && named(&columns[c].name, &self.total_names);
        let additive: Vec<usize> = numeric.iter().copied().filter(|&c| !is_share(c)).collect();
        let total = additive
            .iter()
            .copied()
            .find(|&c| is_total(c))
            .and_then(|t| {
                let before: Vec<usize> = additive.iter().copied().filter(|&c| c < t).collect();
                let parts = if before.is_empty() {
                    numeric
                        .iter()
                        .copied()
                        .filter(|&c| c > t)
                        .take_while(|&c| !is_share(c) && !is_total(c))
                        .collect()
                } else {
                    before
                };
                (!parts.is_empty()).then_some((t, parts))
            });
        let shares = numeric
            .iter()
            .copied()
            .filter(|&c| is_share(c))
            .filter_map(|s| Some((s, additive.iter().copied().rev().find(|&c| c < s)?)))
            .collect();
        Layout {
            names,
            total_row,
            total,
            additive,
            shares,
        }
    }

    fn equations(&self, table: &Table, layout: &Layout) -> Vec<Equation> {
        let mut eqs = Vec::new();
        if let Some((total, parts)) = &layout.total {
            for row in 0..table.rows.len() {
                eqs.push(table.across(row, *total, parts));
            }
        }
        if let Some(total_row) = layout.total_row {
            let rows: Vec<usize> = (0..table.rows.len())
                .filter(|&r| r != total_row)
                .filter(|&r| {
                    let name = normal(table.row_name(r));
                    !(name.contains("小计") || name.starts_with("其中"))
                })
                .collect();
            for &c in &layout.additive {
                eqs.push(table.down(total_row, c, &rows));
            }
            for &(share, of) in &layout.shares {
                for row in 0..table.rows.len() {
                    eqs.push(table.share(row, share, of, total_row));
                }
            }
        }
        eqs
    }

    /// What was recognised, for the report's notes.
    fn describe_layout(&self, table: &Table, layout: &Layout) -> String {
        let name = |c: usize| table.columns[c].name.as_str();
        let mut parts = Vec::new();
        if let Some(row) = layout.total_row {
            parts.push(format!("合计行 {}", table.row_name(row)));
        }
        if let Some((total, of)) = &layout.total {
            let of: Vec<&str> = of.iter().map(|&c| name(c)).collect();
            parts.push(format!("合计列 {} = {}", name(*total), of.join(" + ")));
        }
        if layout.total_row.is_some() {
            parts.extend(
                layout
                    .shares
                    .iter()
                    .map(|&(s, of)| format!("占比列 {}（{} 的占比）", name(s), name(of))),
            );
        }
        format!(
            "{}：按表头识别{}（行名列 {}）",
            table.frame.name,
            parts.join("，"),
            name(layout.names)
        )
    }

    fn check_table(&self, cx: &Context, frame: &Frame) -> Result<Vec<Finding>, NotRun> {
        let columns = frame
            .df
            .get_column_names()
            .into_iter()
            .map(|c| Column::read(frame, c.as_str()))
            .collect::<Result<Vec<_>, _>>()?;
        let mut table = Table {
            frame,
            rows: vec![None; frame.len()],
            columns,
        };
        let layout = self.layout(&table);
        table.rows = table
            .columns
            .get(layout.names)
            .map_or(table.rows.clone(), |c| {
                c.cells
                    .iter()
                    .map(|cell| match cell {
                        balance::Cell::Value(v) => Some(v.to_string()),
                        balance::Cell::Text(t) => Some(t.clone()),
                        balance::Cell::Blank => None,
                    })
                    .collect()
            });
        let equations = self.equations(&table, &layout);
        if equations.is_empty() {
            cx.skipped(
                1,
                Unit::Frames,
                format!("{} 没有可识别的合计行、合计列或占比列", frame.name),
            );
            return Ok(vec![]);
        }
        cx.note(self.describe_layout(&table, &layout));
        Ok(balance::check(cx, &table, &equations, self.blank, None))
    }
}

impl Check for StatisticsTables {
    fn frame(&self) -> &Name {
        &self.tables
    }

    fn describe(&self) -> String {
        let rows: Vec<&str> = (self.total_names.iter())
            .filter(|n| !n.is_ascii())
            .map(String::as_str)
            .collect();
        format!(
            "every delivered table {} that no other rule reads adds up: its total row ({}) sums \
             the other rows, its total column ({}) sums its parts, its shares ({}) are 100 × \
             value / total; {}",
            self.tables.value,
            rows.join(", "),
            self.total_names.join(", "),
            self.share_names.join(", "),
            self.blank.describe()
        )
    }

    /// None that the engine could require: the tables are whichever the package delivers.
    fn reads(&self) -> Vec<Read<'_>> {
        vec![]
    }

    fn accepts_where(&self) -> bool {
        false
    }

    fn lint(&self, _cx: &LintContext) -> Vec<Problem> {
        let pattern = &self.tables.value;
        let star = pattern.find('*');
        if pattern.is_empty() || star.is_some_and(|at| at != pattern.len() - 1) {
            vec![Problem::new(
                self.tables.referenced,
                format!("`{pattern}` is neither a table name nor a prefix ending in `*`"),
            )]
        } else {
            vec![]
        }
    }

    fn run(&self, cx: &Context) -> Result<Vec<Finding>, NotRun> {
        // A table another rule reads has its own, exact equations; checking it again by its
        // headers would report its defects twice.
        let read: BTreeSet<&String> = cx
            .readers
            .iter()
            .filter(|(_, ids)| ids.iter().any(|id| id != cx.rule.id))
            .map(|(frame, _)| frame)
            .collect();
        // ZR-S000 reports why a table could not be read; here it is a table not checked.
        for name in cx.dataset.failed.iter().flat_map(|f| &f.frames) {
            if self.matches(name) && !read.contains(name) {
                cx.skipped(1, Unit::Frames, format!("{name} 无法读取"));
            }
        }
        let mut findings = Vec::new();
        for frame in cx.dataset.frames.values() {
            if frame.geometry.is_none() && self.matches(&frame.name) && !read.contains(&frame.name)
            {
                findings.extend(self.check_table(cx, frame)?);
            }
        }
        Ok(findings)
    }
}
