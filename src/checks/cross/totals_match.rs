//! `totals_match: { table, key, columns }`: the county tables, summed row by row (matched on
//! `key`), equal the prefecture's table given with `--prefecture-table`, within the rounding of
//! the written decimals. Its findings are about the batch, not about one package.
//!
//! ```yaml
//! - id: ZR-X003
//!   totals_match: { table: TJ_ZRZYMJ, key: DJDYLX, columns: [SZYMJ, SDMJ, HJ] }
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Deserialize;
use serde_json::json;

use super::{CrossCheck, CrossContext, Input, Judgement, Table};
use crate::checks::Read;
use crate::diag::Name;
use crate::finding::{FeatureId, Finding, Status};
use crate::package::Dataset;
use crate::ratio::Ratio;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TotalsMatch {
    pub table: Name,
    pub key: Name,
    pub columns: Vec<Name>,
}

impl CrossCheck for TotalsMatch {
    fn reads(&self) -> Vec<Read<'_>> {
        let mut reads = vec![Read::field(&self.table, &self.key)];
        reads.extend(Read::fields(&self.table, &self.columns));
        reads
    }

    fn describe(&self) -> String {
        format!(
            "the sums of {} of the county tables `{}`, row by row on `{}`, equal the \
             prefecture's table (`--prefecture-table`) within the rounding of the written \
             decimals",
            super::listed(&self.columns),
            self.table.value,
            self.key.value
        )
    }

    /// The package's table as exact decimals, or `None` when it does not deliver it.
    fn extract(&self, dataset: &Dataset) -> Input {
        let t = self;
        Input::Table(dataset.frame(&t.table.value).map(|frame| {
            let mut table = Table::default();
            for row in 0..frame.len() {
                let Some(key) = frame.text(&t.key.value, row) else {
                    continue;
                };
                let mut values = BTreeMap::new();
                for c in &t.columns {
                    let decimals = frame.decimals.get(&c.value).copied().unwrap_or(0);
                    table.decimals = table.decimals.max(decimals);
                    // The value was written with `decimals` decimals: printing it with as many
                    // gives back the text, and so the exact value.
                    let exact = frame
                        .df
                        .column(&c.value)
                        .ok()
                        .and_then(|col| col.get(row).ok()?.extract::<f64>())
                        .and_then(|v| {
                            Ratio::parse_decimal(&format!("{v:.prec$}", prec = decimals as usize))
                        });
                    if let Some(v) = exact {
                        values.insert(c.value.clone(), v);
                    }
                }
                table.rows.insert(key, (row, values));
            }
            table
        }))
    }

    fn judge(&self, cx: &CrossContext) -> Result<Judgement, String> {
        let file = cx.prefecture_tables.iter().find(|p| {
            p.file_stem()
                .is_some_and(|s| s.to_string_lossy() == self.table.value)
        });
        let Some(path) = file else {
            return Ok(Judgement {
                not_judged: Some((
                    Status::NotApplicable,
                    format!(
                        "未提供州级统计表（--prefecture-table {}.csv）",
                        self.table.value
                    ),
                )),
                ..Judgement::default()
            });
        };
        // A county delivered twice would be summed twice, and the copies may differ: which
        // delivery counts is for the batch to settle (one_package_per_area reports it).
        let twice: Vec<String> = cx
            .redelivered()
            .iter()
            .map(|(code, copies)| format!("{code} 交付了 {} 次", copies.len()))
            .collect();
        if !twice.is_empty() {
            return Ok(Judgement {
                not_judged: Some((
                    Status::NotRun,
                    format!("{}，各县之和无法确定", twice.join("、")),
                )),
                ..Judgement::default()
            });
        }
        let table = read_prefecture_table(path, self)?;
        Ok(Judgement {
            about_batch: totals(self, cx, &table),
            ..Judgement::default()
        })
    }
}

/// Reads a prefecture statistics table (CSV in UTF-8, or GBK when it is not UTF-8) for a
/// `totals_match` rule.
fn read_prefecture_table(path: &Path, rule: &TotalsMatch) -> Result<Table, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let (text, _, bad) = encoding_rs::GBK.decode(e.as_bytes());
            if bad {
                return Err(format!("{}: neither UTF-8 nor GBK", path.display()));
            }
            text.into_owned()
        }
    };
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let err = |e: csv::Error| format!("{}: {e}", path.display());
    let header: Vec<String> = reader
        .headers()
        .map_err(err)?
        .iter()
        .map(str::to_owned)
        .collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| format!("{}: no column `{name}`", path.display()))
    };
    let key = col(&rule.key.value)?;
    let columns: Vec<(String, usize)> = rule
        .columns
        .iter()
        .map(|c| Ok((c.value.clone(), col(&c.value)?)))
        .collect::<Result<_, String>>()?;
    let mut table = Table::default();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(err)?;
        let k = record.get(key).unwrap_or("").trim().to_owned();
        let mut values = BTreeMap::new();
        for (name, at) in &columns {
            let cell = record.get(*at).unwrap_or("").trim();
            if cell.is_empty() {
                continue;
            }
            let v = Ratio::parse_decimal(cell).ok_or_else(|| {
                format!(
                    "{}: line {}: {name} `{cell}` is not a number",
                    path.display(),
                    i + 2
                )
            })?;
            let decimals = cell.split_once('.').map_or(0, |(_, f)| f.len() as u32);
            table.decimals = table.decimals.max(decimals);
            values.insert(name.clone(), v);
        }
        table.rows.insert(k, (i, values));
    }
    Ok(table)
}

/// `totals_match`: the sum of the counties' tables against the prefecture's. Each written value
/// may be off by half a unit of its last decimal, so the sum of n counties and the prefecture's
/// value may differ by (n + 1) halves.
fn totals(c: &TotalsMatch, cx: &CrossContext, prefecture: &Table) -> Vec<Finding> {
    let counties = cx.packages;
    let tables: Vec<&Table> = counties
        .iter()
        .filter_map(|p| match p.input {
            Input::Table(t) => t.as_ref(),
            _ => None,
        })
        .collect();
    let decimals = tables
        .iter()
        .map(|t| t.decimals)
        .chain([prefecture.decimals])
        .max()
        .unwrap_or(0)
        .min(crate::ratio::MAX_DECIMALS as u32);
    let half_units = tables.len() as i128 + 1;
    let Ok(tolerance) = Ratio::new(half_units, 2 * 10i128.pow(decimals)) else {
        return vec![];
    };
    let keys: BTreeSet<&String> = tables
        .iter()
        .flat_map(|t| t.rows.keys())
        .chain(prefecture.rows.keys())
        .collect();
    let mut out = Vec::new();
    for key in keys {
        let Some((row, declared)) = prefecture.rows.get(key) else {
            out.push(cx.finding(
                &c.table.value,
                vec![],
                format!("州级表缺少 {} = {key} 的行，各县表中有", c.key.value),
            ));
            continue;
        };
        for column in &c.columns {
            let Some(&want) = declared.get(&column.value) else {
                continue;
            };
            let sum = tables
                .iter()
                .filter_map(|t| t.rows.get(key)?.1.get(&column.value))
                .try_fold(Ratio::ZERO, |acc, v| acc.checked_add(*v));
            let Ok(sum) = sum else { continue };
            let Ok(diff) = sum.checked_sub(want) else {
                continue;
            };
            let abs = if diff < Ratio::ZERO {
                Ratio::ZERO.checked_sub(diff).unwrap_or(diff)
            } else {
                diff
            };
            if abs > tolerance {
                let d = decimals;
                let f = cx
                    .finding(
                        &c.table.value,
                        vec![FeatureId {
                            fid: *row,
                            key: Some(key.clone()),
                        }],
                        format!(
                            "{} = {key} 行 {}：各县之和 {}，州级表 {}，相差 {}（容差 {}）",
                            c.key.value,
                            column.value,
                            sum.to_decimal(d),
                            want.to_decimal(d),
                            diff.to_decimal(d),
                            tolerance.to_decimal(d + 1)
                        ),
                    )
                    .with_measured(json!({
                        "counties_sum": sum.to_string(),
                        "declared": want.to_string(),
                        "tolerance": tolerance.to_string(),
                    }));
                out.push(f);
            }
        }
    }
    out
}
