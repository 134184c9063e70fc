//! The cross-package rules (`batch.yaml`, [`crate::rules::batch`]): what each needs from a
//! package, taken while its dataset is loaded, and the checks over all of them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::json;

use crate::checks::text_at;
use crate::finding::{FeatureId, Finding};
use crate::package::Dataset;
use crate::ratio::Ratio;
use crate::rules::batch::{
    BatchCheck, BatchRule, DeliveredOnce, ExpectedUnits, TotalsMatch, UniqueAcross,
};
use crate::rules::data::UnitList;
use crate::schema::CodeList;

/// What one batch rule needs from one package.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// `unique_across`: (fid, key) of every feature with its key filled.
    Keys(Vec<(usize, String)>),
    /// `delivered_once`: (fid, code, name) of every unit whose code has a prefecture or province
    /// prefix.
    Units(Vec<(usize, String, Option<String>)>),
    /// `totals_match`: the package's table, or `None` when it does not deliver it.
    Table(Option<Table>),
    /// `expected_units`: every unit with a name.
    Named(Vec<Delivered>),
}

/// A delivered unit, as `expected_units` compares it with a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivered {
    pub fid: usize,
    pub code: Option<String>,
    pub name: String,
    pub unit_type: Option<String>,
}

/// A statistics table as exact decimals: row key → column → value, and the most decimals any
/// value was written with.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    pub rows: BTreeMap<String, (usize, BTreeMap<String, Ratio>)>,
    pub decimals: u32,
}

/// Whether a unit code's 6-digit prefix is a prefecture's (`XXXX00`) or a province's (`XX0000`)
/// code: the prefix of a unit that crosses counties.
pub fn above_county(code: &str) -> bool {
    code.get(..6)
        .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()) && p.ends_with("00"))
}

pub fn extract(rule: &BatchRule, dataset: &Dataset) -> Input {
    match &rule.check {
        BatchCheck::UniqueAcross(UniqueAcross { layer, fields }) => {
            let Some(frame) = dataset.frame(&layer.value) else {
                return Input::Keys(vec![]);
            };
            let keys = (0..frame.len())
                .filter_map(|row| {
                    let parts: Option<Vec<String>> = fields
                        .iter()
                        .map(|f| text_at(&frame.df, &f.value, row).filter(|v| !v.trim().is_empty()))
                        .collect();
                    Some((row, parts?.join("/")))
                })
                .collect();
            Input::Keys(keys)
        }
        BatchCheck::DeliveredOnce(DeliveredOnce { layer, code, name }) => {
            let Some(frame) = dataset.frame(&layer.value) else {
                return Input::Units(vec![]);
            };
            let units = (0..frame.len())
                .filter_map(|row| {
                    let c = text_at(&frame.df, &code.value, row).filter(|c| above_county(c))?;
                    Some((row, c, text_at(&frame.df, &name.value, row)))
                })
                .collect();
            Input::Units(units)
        }
        BatchCheck::TotalsMatch(t) => Input::Table(dataset.frame(&t.table.value).map(|frame| {
            let mut table = Table::default();
            for row in 0..frame.len() {
                let Some(key) = text_at(&frame.df, &t.key.value, row) else {
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
        })),
        BatchCheck::ExpectedUnits(e) => {
            let ExpectedUnits {
                layer,
                code,
                name,
                unit_type,
                ..
            } = e.as_ref();
            let Some(frame) = dataset.frame(&layer.value) else {
                return Input::Named(vec![]);
            };
            let filled =
                |field: &str, row| text_at(&frame.df, field, row).filter(|v| !v.trim().is_empty());
            let units = (0..frame.len())
                .filter_map(|row| {
                    Some(Delivered {
                        fid: row,
                        code: filled(&code.value, row),
                        name: filled(&name.value, row)?,
                        unit_type: filled(&unit_type.value, row).map(|t| t.trim().to_owned()),
                    })
                })
                .collect();
            Input::Named(units)
        }
    }
}

fn finding(rule: &BatchRule, layer: &str, ids: Vec<FeatureId>, message: String) -> Finding {
    Finding {
        rule_id: rule.id.clone(),
        class: rule.class,
        element: rule.element.clone(),
        layer: layer.to_owned(),
        feature_ids: ids,
        related: None,
        message,
        measured: None,
        expected: None,
        geometry: None,
    }
}

/// Runs a per-package rule over the packages' inputs (in batch order); returns the findings
/// about each package.
pub fn per_package(rule: &BatchRule, packages: &[(&str, &Input)]) -> Vec<Vec<Finding>> {
    let mut out = vec![Vec::new(); packages.len()];
    match &rule.check {
        BatchCheck::UniqueAcross(c) => {
            // key → package index → fids
            let mut seen: BTreeMap<&str, BTreeMap<usize, Vec<usize>>> = BTreeMap::new();
            for (i, (_, input)) in packages.iter().enumerate() {
                if let Input::Keys(keys) = input {
                    for (fid, key) in keys {
                        seen.entry(key)
                            .or_default()
                            .entry(i)
                            .or_default()
                            .push(*fid);
                    }
                }
            }
            let fields: Vec<&str> = c.fields.iter().map(|f| f.value.as_str()).collect();
            for (key, by_package) in seen.into_iter().filter(|(_, p)| p.len() > 1) {
                let names: Vec<&str> = by_package.keys().map(|&i| packages[i].0).collect();
                for (&i, fids) in &by_package {
                    let others: Vec<&str> = names
                        .iter()
                        .copied()
                        .filter(|n| *n != packages[i].0)
                        .collect();
                    let mut f = finding(
                        rule,
                        &c.layer.value,
                        fids.iter()
                            .map(|&fid| FeatureId {
                                fid,
                                key: Some(key.to_owned()),
                            })
                            .collect(),
                        format!(
                            "{} = {key} 也出现在 {} 的成果中",
                            fields.join("/"),
                            others.join("、")
                        ),
                    );
                    f.measured = Some(json!({ "packages": names }));
                    out[i].push(f);
                }
            }
        }
        BatchCheck::DeliveredOnce(c) => {
            // name → package index → (fid, code)
            type Deliveries<'a> = BTreeMap<&'a str, BTreeMap<usize, Vec<(usize, &'a str)>>>;
            let mut seen: Deliveries = BTreeMap::new();
            for (i, (_, input)) in packages.iter().enumerate() {
                if let Input::Units(units) = input {
                    for (fid, code, name) in units {
                        if let Some(name) = name.as_deref().filter(|n| !n.trim().is_empty()) {
                            seen.entry(name)
                                .or_default()
                                .entry(i)
                                .or_default()
                                .push((*fid, code));
                        }
                    }
                }
            }
            for (name, by_package) in seen {
                let codes: BTreeSet<&str> = by_package
                    .values()
                    .flatten()
                    .map(|(_, code)| *code)
                    .collect();
                // One code in several packages is `unique_across`'s finding.
                if by_package.len() < 2 || codes.len() < 2 {
                    continue;
                }
                let delivered: Vec<String> = by_package
                    .iter()
                    .flat_map(|(&i, units)| {
                        units
                            .iter()
                            .map(move |(_, code)| format!("{}（{code}）", packages[i].0))
                    })
                    .collect();
                for (&i, units) in &by_package {
                    let mut f = finding(
                        rule,
                        &c.layer.value,
                        units
                            .iter()
                            .map(|(fid, code)| FeatureId {
                                fid: *fid,
                                key: Some((*code).to_owned()),
                            })
                            .collect(),
                        format!(
                            "跨县单元“{name}”由 {} 个成果包各自交付：{}",
                            by_package.len(),
                            delivered.join("、")
                        ),
                    );
                    f.measured = Some(json!({ "delivered_by": delivered }));
                    out[i].push(f);
                }
            }
        }
        BatchCheck::TotalsMatch(_) | BatchCheck::ExpectedUnits(_) => {}
    }
    out
}

/// `expected_units`: the findings about each package (units named as the list's, of another
/// type) and, when `judge_missing`, those about the batch (units no package delivers). With
/// `plan_year`, a unit the list registers in a later year is not expected yet: only its type is
/// checked when it is delivered.
pub fn expected_units(
    rule: &BatchRule,
    list: &UnitList,
    types: &CodeList,
    packages: &[(&str, &Input)],
    judge_missing: bool,
    plan_year: Option<i32>,
) -> (Vec<Vec<Finding>>, Vec<Finding>) {
    let BatchCheck::ExpectedUnits(c) = &rule.check else {
        return (vec![Vec::new(); packages.len()], vec![]);
    };
    let type_label = |t: &str| match types.codes.get(t) {
        Some(name) => format!("{t} {name}"),
        None => t.to_owned(),
    };
    // (package index, unit, its normalised name)
    let delivered: Vec<(usize, &Delivered, String)> = packages
        .iter()
        .enumerate()
        .flat_map(|(i, (_, input))| match input {
            Input::Named(units) => units
                .iter()
                .map(|u| (i, u, list.normalise(&u.name)))
                .collect(),
            _ => vec![],
        })
        .collect();
    let mut per_package = vec![Vec::new(); packages.len()];
    let mut missing = Vec::new();
    for unit in &list.units {
        let names = list.names_of(unit);
        let want = &unit.unit_type.value;
        let year = unit.year.map(|y| format!("，{y} 年")).unwrap_or_default();
        let planned = format!(
            "计划单元“{}”（{}{year}，{}）",
            unit.name,
            type_label(want),
            unit.basis
        );
        let expected = json!({
            "name": unit.name,
            "type": want,
            "year": unit.year,
            "basis": unit.basis,
            "list": list.unit_list,
        });
        let found: Vec<&(usize, &Delivered, String)> = delivered
            .iter()
            .filter(|(_, _, n)| names.contains(n))
            .collect();
        for (i, u, _) in &found {
            if u.unit_type.as_deref() == Some(want.as_str()) {
                continue;
            }
            let got = u.unit_type.as_deref().map_or("空".into(), type_label);
            let mut f = finding(
                rule,
                &c.layer.value,
                vec![FeatureId {
                    fid: u.fid,
                    key: u.code.clone(),
                }],
                format!("登记单元“{}”即{planned}，类型为 {got}", u.name),
            );
            f.measured = Some(json!({ c.unit_type.value.clone(): u.unit_type }));
            f.expected = Some(expected.clone());
            per_package[*i].push(f);
        }
        let due = match (unit.year, plan_year) {
            (Some(year), Some(at)) => year <= at,
            _ => true,
        };
        if !found.is_empty() || !judge_missing || !due {
            continue;
        }
        // A name holding the expected one or held by it (a river's county section) is named, so
        // that the inspector sees what was delivered instead; it does not stand for the unit.
        let similar: Vec<(usize, &Delivered)> = delivered
            .iter()
            .filter(|(_, _, n)| {
                !n.is_empty()
                    && names
                        .iter()
                        .any(|e| n.contains(e.as_str()) || e.contains(n.as_str()))
            })
            .map(|(i, u, _)| (*i, *u))
            .collect();
        let mut message = format!("{planned}没有任何成果包交付");
        if !similar.is_empty() {
            let listed: Vec<String> = similar
                .iter()
                .map(|(i, u)| format!("{}（{}）", u.name, packages[*i].0))
                .collect();
            message.push_str(&format!("；名称相近的单元：{}", listed.join("、")));
        }
        let mut f = finding(rule, &c.layer.value, vec![], message);
        f.expected = Some(expected);
        if !similar.is_empty() {
            f.measured = Some(json!({
                "similar": similar
                    .iter()
                    .map(|(i, u)| json!({
                        "package": packages[*i].0,
                        "fid": u.fid,
                        "code": u.code,
                        "name": u.name,
                        "type": u.unit_type,
                    }))
                    .collect::<Vec<_>>()
            }));
        }
        missing.push(f);
    }
    (per_package, missing)
}

/// The codes of `areas` that make up `area`: a province's (`XX0000`) or a prefecture's
/// (`XXXX00`) county-level codes, or the code itself for a county.
pub fn counties_of<'a>(area: &str, areas: &'a CodeList) -> Vec<&'a str> {
    let prefix = if area.len() == 6 && area.ends_with("0000") {
        &area[..2]
    } else if area.len() == 6 && area.ends_with("00") {
        &area[..4]
    } else {
        return areas
            .codes
            .keys()
            .map(String::as_str)
            .filter(|c| *c == area)
            .collect();
    };
    areas
        .codes
        .keys()
        .map(String::as_str)
        .filter(|c| c.starts_with(prefix) && !c.ends_with("00"))
        .collect()
}

/// Reads a prefecture statistics table (CSV in UTF-8, or GBK when it is not UTF-8) for a
/// `totals_match` rule.
pub fn read_prefecture_table(path: &Path, rule: &TotalsMatch) -> Result<Table, String> {
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
pub fn totals(rule: &BatchRule, counties: &[(&str, &Input)], prefecture: &Table) -> Vec<Finding> {
    let BatchCheck::TotalsMatch(c) = &rule.check else {
        return vec![];
    };
    let tables: Vec<&Table> = counties
        .iter()
        .filter_map(|(_, i)| match i {
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
            out.push(finding(
                rule,
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
                let mut f = finding(
                    rule,
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
                );
                f.measured = Some(json!({
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;

    #[test]
    fn a_cross_county_unit_delivered_twice_under_two_codes() {
        let rules = RuleSet::builtin().unwrap();
        let rule = rules
            .batch_rules
            .iter()
            .find(|r| r.id == "ZR-X002")
            .unwrap();
        let name = Some("太子山国家级自然保护区".to_owned());
        let a = Input::Units(vec![(4, "6229001100001".into(), name.clone())]);
        let b = Input::Units(vec![(7, "6229001100002".into(), name)]);
        let other = Input::Units(vec![(1, "6229001100003".into(), Some("莲花山".into()))]);
        let found = per_package(rule, &[("和政县", &a), ("临夏县", &b), ("康乐县", &other)]);
        assert_eq!(found[0].len(), 1);
        assert_eq!(found[1].len(), 1);
        assert!(found[2].is_empty());
        assert_eq!(found[1][0].feature_ids[0].fid, 7);
        assert!(
            found[0][0]
                .message
                .contains("和政县（6229001100001）、临夏县（6229001100002）"),
            "{}",
            found[0][0].message
        );
        assert!(above_county("6200001100001") && above_county("6229001100001"));
        assert!(!above_county("6229251100001") && !above_county("62"));
    }
}
