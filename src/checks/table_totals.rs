//! `table_totals`: a statistics table's declared totals equal the sums of their parts.
//!
//! Statistics tables (`TJ_*`) are wide: a key column, part columns, a total column and a total
//! row. Checked, each equation on its own:
//! - each row's total column against the sum of its part columns (`columns`, `total`);
//! - nested subtotal columns against their parts (`subtotals`);
//! - the total row against the sum of the other rows, for every part and total column;
//! - subtotal rows against the rows they group (`row_subtotals`);
//! - percentage columns against the ratio they claim (`percent`): `100 × of / of(total row)`.
//!
//! Tolerances come from how the table is written: a sum of n parts written with d decimals may
//! drift by n·0.5·10⁻ᵈ; a column written without decimals holds counts and its sums are exact;
//! a percentage may be off by one unit of its last decimal (10⁻ᵈ), since shares forced to add up
//! to 100 (强制调平) move one of them by up to a whole unit. `tolerance` overrides the
//! tolerance of sums.
//!
//! A cell that is wrong breaks its row's total and its column's total row alike; when the
//! equations a cell enters all fail by the same amount, the finding names that cell once.
//!
//! Blank cells are read as the rule says (`blank`, required): `zero`, as statistical tables
//! leave a cell blank for nothing, with the number of blanks read so in the report's notes; or
//! `missing`, leaving out every equation with a blank, counted as skipped. A cell of text that
//! is not a number (`无`, `—`) is never read: its equations are skipped and counted. The table
//! must have the rows the rule names (`total_row`, `row_subtotals`), else the rule does not run;
//! when the schema declares the table's total row or a code list for its key, a name that is not
//! among them is an error of the rule file.
//!
//! ## Parameters
//! - `layer`: the table; `key`: its key column; `total_row`: the key of the total row (default
//!   `合计`).
//! - `columns`: the part columns; `total`: the total column.
//! - `blank`: `zero` or `missing`, how blank cells are read.
//! - `subtotals`: optional `[{ total: COL, parts: [COL, ...] }]`.
//! - `row_subtotals`: optional `[{ row: KEY, parts: [KEY, ...] }]`.
//! - `percent`: optional `[{ column: COL, of: COL }]`.
//! - `tolerance`: optional absolute tolerance of sums, in the table's unit.
//!
//! ## Example
//! ```yaml
//! - id: ZR-T001
//!   title: 统计表合计与分项之和不符
//!   class: B
//!   element: 逻辑一致性
//!   table_totals:
//!     layer: TJ_ZRZYMJ
//!     key: DJDYLX
//!     columns: [SZYMJ, SDMJ, SLMJ, CYMJ, HDMJ, QTMJ]
//!     total: HJ
//!     blank: zero
//!     percent: [{ column: ZB, of: HJ }]
//! ```
//!
//! ## Finding
//! `40 行 SLMJ 数值有误：40 行 HJ 与各列之和、合计 行 SLMJ 与各行之和均不符，申报 7856.69，按各式应为
//! 7855.69，相差 +1（允许 ±0.03）`, measured `{"declared": 7856.69, "computed": 7855.69,
//! "difference": 1.0, "tolerance": 0.03, "equations": [...]}`; an equation no single cell
//! explains: `合计 行 HJ 与各列之和不符：申报 12.35，计算 12.3，相差 +0.05（允许 ±0.03）`.

use serde::Deserialize;
use serde_saphyr::Location;

use super::balance::{self, Blank, Column, Equation, Table};
use super::{phrase, Check, Context, LintContext, NotRun, Read};
use crate::diag::{suggest, Name, Problem};
use crate::finding::Finding;
use crate::schema::FrameDef;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnSum {
    pub total: Name,
    pub parts: Vec<Name>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowSum {
    pub row: Name,
    pub parts: Vec<Name>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Percent {
    pub column: Name,
    pub of: Name,
}

/// The total row's key when the rule names none; the package format's (section 6).
pub fn default_total_row() -> Name {
    Name::new("合计".into(), Location::UNKNOWN, Location::UNKNOWN)
}

/// A rule's `total_row` that is not the one the schema declares for the table.
pub fn total_row_problem(def: &FrameDef, layer: &Name, total_row: &Name) -> Option<Problem> {
    let declared = def.total_row.as_ref().filter(|d| **d != total_row.value)?;
    let at = if total_row.referenced == Location::UNKNOWN {
        layer.referenced
    } else {
        total_row.referenced
    };
    Some(
        Problem::new(
            at,
            format!(
                "the total row of `{}` is `{declared}` (schema), not `{}`",
                layer.value, total_row.value
            ),
        )
        .label("no such row")
        .help(format!("total_row: {declared}")),
    )
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableTotals {
    pub layer: Name,
    pub key: Name,
    #[serde(default = "default_total_row")]
    pub total_row: Name,
    pub columns: Vec<Name>,
    pub total: Name,
    pub blank: Blank,
    #[serde(default)]
    pub subtotals: Vec<ColumnSum>,
    #[serde(default)]
    pub row_subtotals: Vec<RowSum>,
    #[serde(default)]
    pub percent: Vec<Percent>,
    pub tolerance: Option<f64>,
}

impl TableTotals {
    fn column_names(&self) -> Vec<&Name> {
        let mut names: Vec<&Name> = self.columns.iter().chain([&self.total]).collect();
        for s in &self.subtotals {
            names.push(&s.total);
            names.extend(&s.parts);
        }
        for p in &self.percent {
            names.push(&p.column);
            names.push(&p.of);
        }
        let mut seen = Vec::new();
        names.retain(|n| {
            let new = !seen.contains(&&n.value);
            seen.push(&n.value);
            new
        });
        names
    }

    /// The row names the rule gives: the total row and the subtotal rows with their parts.
    fn row_names(&self) -> Vec<&Name> {
        std::iter::once(&self.total_row)
            .chain(
                self.row_subtotals
                    .iter()
                    .flat_map(|s| std::iter::once(&s.row).chain(&s.parts)),
            )
            .collect()
    }

    fn equations(&self, table: &Table, row_of: impl Fn(&Name) -> usize) -> Vec<Equation> {
        let column = |name: &Name| table.column(&name.value).expect("read above");
        let total_row = row_of(&self.total_row);
        let subtotal_rows: Vec<usize> = self.row_subtotals.iter().map(|s| row_of(&s.row)).collect();
        let data_rows: Vec<usize> = (0..table.rows.len())
            .filter(|r| *r != total_row && !subtotal_rows.contains(r))
            .collect();
        let mut column_sums: Vec<(usize, Vec<usize>)> = vec![(
            column(&self.total),
            self.columns.iter().map(column).collect(),
        )];
        column_sums.extend(
            self.subtotals
                .iter()
                .map(|s| (column(&s.total), s.parts.iter().map(column).collect())),
        );
        let mut eqs = Vec::new();
        for row in 0..table.rows.len() {
            for (total, parts) in &column_sums {
                eqs.push(table.across(row, *total, parts));
            }
        }
        let mut row_sums: Vec<(usize, Vec<usize>)> = vec![(total_row, data_rows)];
        row_sums.extend(
            self.row_subtotals
                .iter()
                .map(|s| (row_of(&s.row), s.parts.iter().map(&row_of).collect())),
        );
        let mut summed: Vec<usize> = Vec::new();
        for (total, parts) in &column_sums {
            for c in std::iter::once(total).chain(parts) {
                if !summed.contains(c) {
                    summed.push(*c);
                }
            }
        }
        for (target, parts) in &row_sums {
            for &c in &summed {
                eqs.push(table.down(*target, c, parts));
            }
        }
        for p in &self.percent {
            for row in 0..table.rows.len() {
                eqs.push(table.share(row, column(&p.column), column(&p.of), total_row));
            }
        }
        eqs
    }
}

impl Check for TableTotals {
    fn frame(&self) -> &Name {
        &self.layer
    }

    fn describe(&self) -> String {
        let sum = |total: &Name, parts: &[Name]| {
            let parts: Vec<&str> = parts.iter().map(|p| p.value.as_str()).collect();
            format!("{} = {}", total.value, parts.join(" + "))
        };
        let mut equations = vec![format!("{} in every row", sum(&self.total, &self.columns))];
        equations.extend(self.subtotals.iter().map(|s| sum(&s.total, &s.parts)));
        equations.push(format!(
            "the row {} = {} sums the other rows",
            self.key.value, self.total_row.value
        ));
        equations.extend(self.row_subtotals.iter().map(|r| {
            let parts: Vec<&str> = r.parts.iter().map(|p| p.value.as_str()).collect();
            format!(
                "the row {} = {} sums the rows {}",
                self.key.value,
                r.row.value,
                phrase::list(&parts, "and")
            )
        }));
        equations.extend(self.percent.iter().map(|p| {
            format!(
                "{} = 100 × {} / {} of the {} row",
                p.column.value, p.of.value, p.of.value, self.total_row.value
            )
        }));
        let within = match self.tolerance {
            Some(t) => format!("sums within ±{t}"),
            None => "sums within the rounding of the written decimals (exact for counts)".into(),
        };
        format!(
            "{} adds up: {}; {within}, percentages within one unit of their last decimal; {}",
            self.layer.value,
            equations.join("; "),
            self.blank.describe()
        )
    }

    fn reads(&self) -> Vec<Read<'_>> {
        let mut reads = vec![Read::field(&self.layer, &self.key)];
        reads.extend(
            self.column_names()
                .into_iter()
                .map(|c| Read::field(&self.layer, c)),
        );
        reads
    }

    fn accepts_where(&self) -> bool {
        false
    }

    fn lint(&self, cx: &LintContext) -> Vec<Problem> {
        let Some(def) = cx.schema.frame(&self.layer.value) else {
            return vec![]; // reported with the reads
        };
        let mut problems: Vec<Problem> = total_row_problem(def, &self.layer, &self.total_row)
            .into_iter()
            .collect();
        let codes = def
            .fields
            .get(&self.key.value)
            .and_then(|f| f.codes.as_ref())
            .and_then(|c| cx.codes.get(c));
        if let Some(list) = codes {
            let known = |v: &str| list.codes.contains_key(v) || def.total_row.as_deref() == Some(v);
            for name in self.row_names().into_iter().skip(1) {
                if !known(&name.value) {
                    let p = Problem::new(
                        name.referenced,
                        format!(
                            "`{}` is not a value of {}.{} (code list {})",
                            name.value, self.layer.value, self.key.value, list.code_list
                        ),
                    )
                    .label("no such row");
                    problems.push(
                        match suggest(&name.value, list.codes.keys().map(String::as_str)) {
                            Some(s) => p.help(s),
                            None => p,
                        },
                    );
                }
            }
        }
        problems
    }

    fn run(&self, cx: &Context) -> Result<Vec<Finding>, NotRun> {
        let frame = cx.frame(&self.layer.value)?;
        let keys = frame.texts(&self.key.value);
        let position = |name: &Name| keys.iter().position(|k| k.as_deref() == Some(&name.value));
        let absent: Vec<&str> = self
            .row_names()
            .into_iter()
            .filter(|n| position(n).is_none())
            .map(|n| n.value.as_str())
            .collect();
        if !absent.is_empty() {
            // Checking the other equations would pass a table whose totals were never compared.
            return Err(NotRun(format!(
                "{} 没有 {} 为 {} 的行，规则所指的合计行或小计行无从核对",
                frame.name,
                self.key.value,
                absent.join("、")
            )));
        }
        let columns = self
            .column_names()
            .into_iter()
            .map(|c| Column::read(frame, &c.value))
            .collect::<Result<Vec<_>, _>>()?;
        let table = Table {
            frame,
            rows: keys
                .iter()
                .map(|k| k.as_deref().map(str::to_owned))
                .collect(),
            columns,
        };
        let row_of = |name: &Name| position(name).expect("checked above");
        let equations = self.equations(&table, row_of);
        Ok(balance::check(
            cx,
            &table,
            &equations,
            self.blank,
            self.tolerance,
        ))
    }
}
