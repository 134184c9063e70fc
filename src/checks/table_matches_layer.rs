//! `table_matches_layer`: the values of a statistics table equal sums computed from a layer,
//! grouped by the table's key and converted between units.
//!
//! ## Parameters
//! - `layer`: the table; `key`: its key column; `total_row`: the key of the total row, which is
//!   left to `table_totals` (default `合计`).
//! - `source`: the layer summed; `source_key`: a SQL expression over its fields giving the
//!   table key of each feature, e.g. `substr(ZRZYDJDYH, 7, 2)` for the unit type.
//! - `field` (a declared area of the source) or `computed: true` (ellipsoidal areas).
//! - `columns`: table column → SQL condition selecting the source features it sums, e.g.
//!   `SLMJ: ZYLX = 'SL'`.
//! - `unit`: the table's unit (default `m2`); `source_unit`: the declared field's (default `m2`).
//! - `tolerance`: absolute, in the table's unit; default one unit of the column's last decimal:
//!   tables balanced by 强制调平 (rounded parts made to add up to the rounded total) move a cell
//!   by up to one unit from its exact value, not only by half.
//! - `blank`: `zero` or `missing`, how blank cells are read: as 0, compared with the sum (the
//!   report's notes count them), or left out and counted as skipped. A cell of text that is not
//!   a number is always skipped and counted, as is a row without a key.
//!
//! A table row whose key no feature has must be 0; a key the source has and the table lacks is
//! a finding on the table as a whole.
//!
//! ## Example
//! ```yaml
//! - id: ZR-T002
//!   title: 统计表面积与图斑汇总不符
//!   class: B
//!   element: 面积精度
//!   table_matches_layer:
//!     layer: TJ_ZRZYMJ
//!     key: DJDYLX
//!     source: ZRZK
//!     source_key: substr(ZRZYDJDYH, 7, 2)
//!     field: MJ
//!     unit: ha
//!     blank: zero
//!     columns: { SLMJ: "ZYLX = 'SL'", CYMJ: "ZYLX = 'CY'" }
//! ```
//!
//! ## Finding
//! `40 行 SLMJ 申报 12.35 公顷，ZRZK.MJ 汇总 12.30 公顷，相差 +0.05 公顷（允许 ±0.01 公顷）`.

use std::collections::{BTreeMap, BTreeSet};

use polars::prelude::Expr;
use serde::Deserialize;

use super::area_matches::{compare, describe};
use super::balance::{Blank, Cell, Column};
use super::condition;
use super::sums::{field_or_computed, group_sums, summand};
use super::table_totals::{default_total_row, total_row_problem};
use super::units::{AreaUnit, Tolerance};
use super::{phrase, Check, Context, LintContext, NotRun, Read};
use crate::diag::{Name, Problem};
use crate::finding::{Finding, Unit};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableMatchesLayer {
    pub layer: Name,
    pub key: Name,
    #[serde(default = "default_total_row")]
    pub total_row: Name,
    pub source: Name,
    pub source_key: Name,
    pub field: Option<Name>,
    #[serde(default)]
    pub computed: bool,
    pub columns: BTreeMap<String, Name>,
    #[serde(default)]
    pub unit: AreaUnit,
    #[serde(default)]
    pub source_unit: AreaUnit,
    pub tolerance: Option<f64>,
    pub blank: Blank,
}

impl Check for TableMatchesLayer {
    fn frame(&self) -> &Name {
        &self.layer
    }

    fn describe(&self) -> String {
        let columns: Vec<String> = self
            .columns
            .iter()
            .map(|(column, selects)| format!("{column} over {}", phrase::code(&selects.value)))
            .collect();
        let within = match self.tolerance {
            Some(t) => format!("±{t} {}", self.unit.symbol()),
            None => "one unit of the last written decimal".into(),
        };
        format!(
            "{} holds, in {}, sums of {} per {} = {} of {}: {}; within {within}",
            self.layer.value,
            self.unit.symbol(),
            phrase::area(&self.source, self.field.as_ref(), self.source_unit),
            phrase::field(&self.layer, &self.key),
            phrase::code(&self.source_key.value),
            self.source.value,
            columns.join(", ")
        )
    }

    fn reads(&self) -> Vec<Read<'_>> {
        let mut reads = vec![
            Read::field(&self.layer, &self.key),
            Read::frame(&self.source),
        ];
        reads.extend(self.field.iter().map(|f| Read::field(&self.source, f)));
        reads
    }

    fn measures(&self) -> Vec<&Name> {
        if self.computed {
            vec![&self.source]
        } else {
            vec![]
        }
    }

    fn accepts_where(&self) -> bool {
        false
    }

    fn lint(&self, cx: &LintContext) -> Vec<Problem> {
        let mut problems: Vec<Problem> =
            field_or_computed(&self.source, self.field.as_ref(), self.computed)
                .into_iter()
                .collect();
        problems.extend(cx.check_condition(&self.source, &self.source_key));
        for condition in self.columns.values() {
            problems.extend(cx.check_condition(&self.source, condition));
        }
        if let Some(def) = cx.schema.frame(&self.layer.value) {
            problems.extend(total_row_problem(def, &self.layer, &self.total_row));
            for column in self.columns.keys() {
                if !def.fields.contains_key(column) {
                    problems.push(Problem::new(
                        self.layer.referenced,
                        format!("table `{}` has no column `{column}`", self.layer.value),
                    ));
                }
            }
        }
        problems
    }

    fn run(&self, cx: &Context) -> Result<Vec<Finding>, NotRun> {
        let table = cx.frame(&self.layer.value)?;
        let source = cx.frame(&self.source.value)?;
        let compile = |text: &Name| -> Result<Expr, NotRun> {
            condition::compile(&text.value).map_err(NotRun)
        };
        let key_expr = compile(&self.source_key)?;
        let (df, rows, value) =
            summand(cx, source, self.field.as_ref(), (0..source.len()).collect())?;
        let source_factor = if self.computed {
            1.0
        } else {
            self.source_unit.square_metres()
        };
        let keys = table.texts(&self.key.value);
        let data_rows: Vec<usize> = (0..table.len())
            .filter(|&r| keys[r].as_deref() != Some(self.total_row.value.as_str()))
            .collect();
        let table_keys: BTreeSet<&str> = data_rows
            .iter()
            .filter_map(|&r| keys[r].as_deref())
            .collect();
        let mut findings = Vec::new();
        let mut missing: BTreeSet<String> = BTreeSet::new();
        let (mut skipped, mut zeroed) = (Vec::new(), 0);
        for (column, filter) in &self.columns {
            let mask = condition::evaluate(&compile(filter)?, &df).map_err(NotRun)?;
            let selected: Vec<usize> = rows
                .iter()
                .copied()
                .filter(|&r| mask[r] == Some(true))
                .collect();
            let sums = group_sums(&df, key_expr.clone(), value.clone(), &selected)?;
            missing.extend(
                sums.keys()
                    .filter(|k| !table_keys.contains(k.as_str()))
                    .cloned(),
            );
            let declared = Column::read(table, column)?;
            let allowed = Tolerance {
                m2: self
                    .tolerance
                    .unwrap_or(10f64.powi(-(declared.decimals as i32)))
                    * self.unit.square_metres(),
                per_term: 0.0,
                relative: 0.0,
            }
            .allowed(0.0, 0);
            for &row in &data_rows {
                let Some(key) = &keys[row] else {
                    skipped.push("行键值为空");
                    continue;
                };
                let value = match (&declared.cells[row], self.blank) {
                    (Cell::Value(v), _) => *v,
                    (Cell::Blank, Blank::Zero) => {
                        zeroed += 1;
                        0.0
                    }
                    (Cell::Blank, Blank::Missing) => {
                        skipped.push("空白单元格（blank: missing）");
                        continue;
                    }
                    (Cell::Text(_), _) => {
                        skipped.push("非数值单元格");
                        continue;
                    }
                };
                cx.checked(1, Unit::Equations);
                let (sum, n) = sums.get(key.as_ref()).copied().unwrap_or((0.0, 0));
                let Some(m) = compare(value, sum * source_factor, self.unit, &allowed) else {
                    continue;
                };
                let what = format!("{key} 行 {column}");
                let summed = format!("{} 汇总（{n} 个）", source.name);
                let f = cx
                    .finding(
                        table,
                        &[row],
                        describe(&what, &summed, &m, self.unit, &allowed),
                    )
                    .with_expected(m["computed"].clone())
                    .with_measured(m);
                findings.push(f);
            }
        }
        for why in BTreeSet::from_iter(skipped.iter().copied()) {
            let n = skipped.iter().filter(|s| **s == why).count();
            cx.skipped(n, Unit::Equations, format!("{} {why}", table.name));
        }
        if zeroed > 0 {
            cx.note(format!(
                "{} 有 {zeroed} 个空白单元格按 0 计（blank: zero）",
                table.name
            ));
        }
        if !missing.is_empty() {
            let list: Vec<String> = missing.into_iter().collect();
            let f = cx
                .frame_finding(
                    &table.name,
                    format!(
                        "{} 缺少 {} 中存在的行：{}",
                        table.name,
                        source.name,
                        list.join("、")
                    ),
                )
                .with_measured(serde_json::json!({ "missing_rows": list }));
            findings.push(f);
        }
        Ok(findings)
    }
}
