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
//! The tolerance comes from the table's rounding: a sum of n parts written with d decimals may
//! drift by n·0.5·10⁻ᵈ (d is read off the values themselves); `tolerance` overrides it.
//!
//! ## Parameters
//! - `layer`: the table; `key`: its key column; `total_row`: the key of the total row (default
//!   `合计`).
//! - `columns`: the part columns; `total`: the total column.
//! - `subtotals`: optional `[{ total: COL, parts: [COL, ...] }]`.
//! - `row_subtotals`: optional `[{ row: KEY, parts: [KEY, ...] }]`.
//! - `percent`: optional `[{ column: COL, of: COL }]`.
//! - `tolerance`: optional absolute tolerance in the table's unit.
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
//!     percent: [{ column: ZB, of: HJ }]
//! ```
//!
//! ## Finding
//! `40 行 HJ = 12.35，各列之和 12.30，相差 +0.05（允许 ±0.03）`, measured
//! `{"declared": 12.35, "computed": 12.3, "difference": 0.05, "tolerance": 0.03}`.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::json;

use super::sums::floats;
use super::units::{column_decimals, round};
use super::{phrase, text_at, Check, Context, NotRun, Read};
use crate::report::{Finding, Unit};
use crate::rules::Name;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnSum {
    pub total: Name,
    pub parts: Vec<Name>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowSum {
    pub row: String,
    pub parts: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Percent {
    pub column: Name,
    pub of: Name,
}

fn default_total_row() -> String {
    "合计".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableTotals {
    pub layer: Name,
    pub key: Name,
    #[serde(default = "default_total_row")]
    pub total_row: String,
    pub columns: Vec<Name>,
    pub total: Name,
    #[serde(default)]
    pub subtotals: Vec<ColumnSum>,
    #[serde(default)]
    pub row_subtotals: Vec<RowSum>,
    #[serde(default)]
    pub percent: Vec<Percent>,
    pub tolerance: Option<f64>,
}

/// The table's values by column name, and the decimals they are written with.
struct Grid {
    values: BTreeMap<String, Vec<Option<f64>>>,
    decimals: u32,
}

impl Grid {
    fn get(&self, column: &str, row: usize) -> Option<f64> {
        self.values.get(column)?.get(row).copied().flatten()
    }
}

/// The sum and count of cells, or `None` when one is empty: an empty part leaves the
/// equation to `not_null`.
fn sum(cells: impl Iterator<Item = Option<f64>>) -> Option<(f64, usize)> {
    let mut total = 0.0;
    let mut n = 0;
    for v in cells {
        total += v?;
        n += 1;
    }
    Some((total, n))
}

/// One equation to verify: a declared cell against the sum of others.
struct Equation {
    row: usize,
    label: String,
    declared: f64,
    computed: f64,
    parts: usize,
}

impl TableTotals {
    fn tolerance(&self, parts: usize, decimals: u32) -> f64 {
        self.tolerance
            .unwrap_or(parts as f64 * 0.5 * 10f64.powi(-(decimals as i32)))
    }

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
        names
    }

    fn equations(&self, grid: &Grid, keys: &[Option<String>]) -> Vec<Equation> {
        let row_of = |key: &str| keys.iter().position(|k| k.as_deref() == Some(key));
        let total_row = row_of(&self.total_row);
        let subtotal_rows: Vec<usize> = self.row_subtotals.iter().filter_map(|s| row_of(&s.row)).collect();
        let data_rows: Vec<usize> = (0..keys.len())
            .filter(|r| Some(*r) != total_row && !subtotal_rows.contains(r))
            .collect();
        let mut column_sums: Vec<(&Name, Vec<&Name>)> =
            vec![(&self.total, self.columns.iter().collect())];
        column_sums.extend(self.subtotals.iter().map(|s| (&s.total, s.parts.iter().collect())));
        let mut eqs = Vec::new();
        // Row by row: totals and subtotal columns.
        let name = |row: usize| keys[row].as_deref().unwrap_or("?");
        for row in 0..keys.len() {
            for (total, parts) in &column_sums {
                let (Some(declared), Some((computed, n))) = (
                    grid.get(&total.value, row),
                    sum(parts.iter().map(|p| grid.get(&p.value, row))),
                ) else {
                    continue;
                };
                eqs.push(Equation {
                    row,
                    label: format!("{} 行 {} 与各列之和", name(row), total.value),
                    declared,
                    computed,
                    parts: n,
                });
            }
        }
        // Column by column: the total row and subtotal rows.
        let mut row_sums: Vec<(Option<usize>, Vec<usize>)> = vec![(total_row, data_rows.clone())];
        for s in &self.row_subtotals {
            let parts = s.parts.iter().filter_map(|k| row_of(k)).collect();
            row_sums.push((row_of(&s.row), parts));
        }
        let summed_columns: Vec<&Name> = column_sums
            .iter()
            .flat_map(|(t, parts)| std::iter::once(*t).chain(parts.iter().copied()))
            .collect();
        for (target, parts) in &row_sums {
            let Some(target) = *target else { continue };
            let mut seen = Vec::new();
            for column in &summed_columns {
                if seen.contains(&column.value) {
                    continue;
                }
                seen.push(column.value.clone());
                let (Some(declared), Some((computed, n))) = (
                    grid.get(&column.value, target),
                    sum(parts.iter().map(|&r| grid.get(&column.value, r))),
                ) else {
                    continue;
                };
                eqs.push(Equation {
                    row: target,
                    label: format!("{} 行 {} 与各行之和", name(target), column.value),
                    declared,
                    computed,
                    parts: n,
                });
            }
        }
        // Percentages: of / of(total row) × 100.
        if let Some(total_row) = total_row {
            for p in &self.percent {
                let Some(whole) = grid.get(&p.of.value, total_row).filter(|w| *w != 0.0) else {
                    continue;
                };
                for row in 0..keys.len() {
                    let (Some(declared), Some(part)) = (grid.get(&p.column.value, row), grid.get(&p.of.value, row)) else {
                        continue;
                    };
                    eqs.push(Equation {
                        row,
                        label: format!("{} 行 {} 与 {} 占比", name(row), p.column.value, p.of.value),
                        declared,
                        computed: 100.0 * part / whole,
                        parts: 1,
                    });
                }
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
            self.key.value, self.total_row
        ));
        equations.extend(self.row_subtotals.iter().map(|r| {
            format!(
                "the row {} = {} sums the rows {}",
                self.key.value,
                r.row,
                phrase::list(&r.parts, "and")
            )
        }));
        equations.extend(self.percent.iter().map(|p| {
            format!(
                "{} = 100 × {} / {} of the {} row",
                p.column.value, p.of.value, p.of.value, self.total_row
            )
        }));
        let within = match self.tolerance {
            Some(t) => format!("±{t}"),
            None => "the rounding of the written decimals".into(),
        };
        format!(
            "{} adds up: {}; within {within}",
            self.layer.value,
            equations.join("; ")
        )
    }

    fn reads(&self) -> Vec<Read<'_>> {
        let mut reads = vec![Read::field(&self.layer, &self.key)];
        reads.extend(self.column_names().into_iter().map(|c| Read::field(&self.layer, c)));
        reads
    }

    fn accepts_where(&self) -> bool {
        false
    }

    fn run(&self, cx: &Context) -> Result<Vec<Finding>, NotRun> {
        let frame = cx.frame(&self.layer.value)?;
        let keys: Vec<Option<String>> = (0..frame.len()).map(|r| text_at(&frame.df, &self.key.value, r)).collect();
        let mut values = BTreeMap::new();
        for c in self.column_names() {
            values.insert(c.value.clone(), floats(&frame.df, &c.value)?);
        }
        let decimals = values
            .iter()
            .map(|(c, v)| column_decimals(frame, c, v))
            .max()
            .unwrap_or(0)
            .min(6);
        let grid = Grid { values, decimals };
        let mut findings = Vec::new();
        let equations = self.equations(&grid, &keys);
        cx.checked(equations.len(), Unit::Equations);
        for eq in equations {
            let allowed = self.tolerance(eq.parts, grid.decimals);
            let difference = eq.declared - eq.computed;
            if difference.abs() <= allowed + 1e-9 * eq.computed.abs().max(1.0) {
                continue;
            }
            let d = grid.decimals + 2;
            let m = json!({
                "declared": eq.declared,
                "computed": round(eq.computed, d),
                "difference": round(difference, d),
                "tolerance": round(allowed, d),
            });
            let mut f = cx.finding(
                frame,
                &[eq.row],
                format!(
                    "{}不符：申报 {}，计算 {}，相差 {:+}（允许 ±{}）",
                    eq.label,
                    eq.declared,
                    round(eq.computed, d),
                    round(difference, d),
                    round(allowed, d)
                ),
            );
            f.expected = Some(m["computed"].clone());
            f.measured = Some(m);
            findings.push(f);
        }
        Ok(findings)
    }
}
