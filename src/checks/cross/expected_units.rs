//! `expected_units: { list, layer, code, name, type, type_codes, area_codes }`: every unit of a
//! list of `rules/data/` ([`super::unit_list`]) is delivered by some package, under a name that
//! matches its name or an alias, and with its type. A unit named as the list's but of another
//! type is a finding in the package that delivered it; a unit no package delivers is a finding
//! about the batch, judged only when the batch holds every county of the list's area (by the
//! code list `area_codes`), none of them unreadable, and is not a sample: otherwise a missing
//! unit may be in a package that was not inspected, and the rule says so instead. Units
//! delivered with a name that contains the expected one, or is contained in it (a river's
//! county section, `广通河广河段`), are named beside a missing unit but do not stand for it: a
//! unit the plan registers whole is one unit.
//!
//! ```yaml
//! - id: ZR-X004
//!   expected_units:
//!     list: 临夏州州级登记单元
//!     layer: ZRZYDJDY
//!     code: ZRZYDJDYH
//!     name: DJDYMC
//!     type: DJDYLX
//!     type_codes: DJDYLX
//!     area_codes: XZQDM
//! ```

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_json::json;

use super::unit_list::UnitList;
use super::{CrossCheck, CrossContext, Delivered, Input, Judgement};
use crate::checks::{unknown_code_list, LintContext, Read};
use crate::diag::{suggest, Name, Problem};
use crate::finding::{FeatureId, Finding, Status};
use crate::package::Dataset;
use crate::schema::CodeList;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedUnits {
    /// A `unit_list` of `rules/data/`.
    pub list: Name,
    pub layer: Name,
    pub code: Name,
    pub name: Name,
    #[serde(rename = "type")]
    pub unit_type: Name,
    /// The code list of `type`: the list's types must be in it, and messages name them.
    pub type_codes: Name,
    /// The code list of area codes: the counties that make up the list's `area`.
    pub area_codes: Name,
}

impl CrossCheck for ExpectedUnits {
    fn reads(&self) -> Vec<Read<'_>> {
        vec![
            Read::field(&self.layer, &self.code),
            Read::field(&self.layer, &self.name),
            Read::field(&self.layer, &self.unit_type),
        ]
    }

    fn lint(&self, cx: &LintContext) -> Vec<Problem> {
        let mut problems: Vec<Problem> = unknown_unit_list(&self.list, cx.unit_lists)
            .into_iter()
            .collect();
        for codes in [&self.type_codes, &self.area_codes] {
            problems.extend(unknown_code_list(codes, cx));
        }
        if let (Some(list), Some(types), Some(areas)) = (
            cx.unit_lists.get(&self.list.value),
            cx.codes.get(&self.type_codes.value),
            cx.codes.get(&self.area_codes.value),
        ) {
            problems.extend(check_unit_list(list, types, areas));
        }
        problems
    }

    fn describe(&self) -> String {
        format!(
            "every unit of the list `{}` (rules/data/) is delivered as a `{}` feature whose \
             `{}` matches its name or an alias, with its `{}`; a missing unit is judged when \
             the batch holds every county of the list's area",
            self.list.value, self.layer.value, self.name.value, self.unit_type.value
        )
    }

    /// Every unit with a name.
    fn extract(&self, dataset: &Dataset) -> Input {
        let ExpectedUnits {
            layer,
            code,
            name,
            unit_type,
            ..
        } = self;
        let Some(frame) = dataset.frame(&layer.value) else {
            return Input::Named(vec![]);
        };
        let filled = |field: &str| {
            let mut values = frame.texts(field);
            values.iter_mut().for_each(|v| {
                if v.as_ref().is_some_and(|v| v.trim().is_empty()) {
                    *v = None;
                }
            });
            values
        };
        let (mut codes, mut names, mut types) = (
            filled(&code.value),
            filled(&name.value),
            filled(&unit_type.value),
        );
        let units = (0..frame.len())
            .filter_map(|row| {
                Some(Delivered {
                    fid: row,
                    name: names[row].take().map(Cow::into_owned)?,
                    code: codes[row].take().map(Cow::into_owned),
                    unit_type: types[row]
                        .take()
                        .map(Cow::into_owned)
                        .map(|t| t.trim().to_owned()),
                })
            })
            .collect();
        Input::Named(units)
    }

    fn judge(&self, cx: &CrossContext) -> Result<Judgement, String> {
        let list = &cx.unit_lists[&self.list.value];
        let not_judged = missing_not_judged(
            list,
            &cx.codes[&self.area_codes.value],
            cx.sampled,
            cx.unreadable,
            cx.areas,
        );
        let (per_package, about_batch) = expected_units(
            self,
            cx,
            list,
            &cx.codes[&self.type_codes.value],
            not_judged.is_none(),
        );
        Ok(Judgement {
            per_package: Some(per_package),
            about_batch,
            not_judged,
        })
    }
}

/// The findings about each package (units named as the list's, of another type) and, when
/// `judge_missing`, those about the batch (units no package delivers). With `--plan-year`, a unit
/// the list registers in a later year is not expected yet: only its type is checked when it is
/// delivered.
fn expected_units(
    c: &ExpectedUnits,
    cx: &CrossContext,
    list: &UnitList,
    types: &CodeList,
    judge_missing: bool,
) -> (Vec<Vec<Finding>>, Vec<Finding>) {
    let type_label = |t: &str| match types.codes.get(t) {
        Some(name) => format!("{t} {name}"),
        None => t.to_owned(),
    };
    // (package index, unit, its normalised name)
    let packages = cx.packages;
    let delivered: Vec<(usize, &Delivered, String)> = packages
        .iter()
        .enumerate()
        .flat_map(|(i, p)| match p.input {
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
            let f = cx
                .finding(
                    &c.layer.value,
                    vec![FeatureId {
                        fid: u.fid,
                        key: u.code.clone(),
                    }],
                    format!("登记单元“{}”即{planned}，类型为 {got}", u.name),
                )
                .with_measured(json!({ c.unit_type.value.clone(): u.unit_type }))
                .with_expected(expected.clone());
            per_package[*i].push(f);
        }
        let due = match (unit.year, cx.plan_year) {
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
                .map(|(i, u)| format!("{}（{}）", u.name, packages[*i].name))
                .collect();
            message.push_str(&format!("；名称相近的单元：{}", listed.join("、")));
        }
        let mut f = cx
            .finding(&c.layer.value, vec![], message)
            .with_expected(expected);
        if !similar.is_empty() {
            f = f.with_measured(json!({
                "similar": similar
                    .iter()
                    .map(|(i, u)| json!({
                        "package": packages[*i].name,
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

/// Why units of `list` that no package delivers cannot be called missing, if they cannot: the
/// batch is a sample, a package could not be read, or a county of the list's area is not in it.
fn missing_not_judged(
    list: &UnitList,
    areas: &CodeList,
    sampled: bool,
    unreadable: usize,
    delivered: &BTreeSet<&str>,
) -> Option<(Status, String)> {
    if sampled {
        return Some((
            Status::NotApplicable,
            "抽样检查：未抽中的成果包可能交付了计划单元，未判断单元缺失".into(),
        ));
    }
    if unreadable > 0 {
        return Some((
            Status::NotRun,
            format!("{unreadable} 个成果包无法读取，计划单元可能在其中，未判断单元缺失"),
        ));
    }
    let absent: Vec<String> = counties_of(&list.area.value, areas)
        .into_iter()
        .filter(|c| !delivered.contains(c))
        .map(|c| format!("{}（{c}）", areas.codes[c]))
        .collect();
    (!absent.is_empty()).then(|| {
        (
            Status::NotApplicable,
            format!(
                "批中没有{}的 {} 个县级成果包：{}；计划单元可能由其交付，未判断单元缺失",
                areas
                    .codes
                    .get(&list.area.value)
                    .map_or(list.area.value.as_str(), String::as_str),
                absent.len(),
                absent.join("、")
            ),
        )
    })
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

/// The problem with naming `list`, if `rules/data/` has no unit list of that name.
fn unknown_unit_list(list: &Name, lists: &BTreeMap<String, UnitList>) -> Option<Problem> {
    if lists.contains_key(&list.value) {
        return None;
    }
    let p = Problem::new(list.referenced, format!("no unit list `{}`", list.value))
        .label("unknown unit list");
    Some(
        match suggest(&list.value, lists.keys().map(String::as_str)) {
            Some(s) => p.help(s),
            None => p.help(format!(
                "unit lists live in rules/data/; known: {}",
                lists.keys().cloned().collect::<Vec<_>>().join(", ")
            )),
        },
    )
}

/// A unit list's types are codes of the rule's type list and its area a code of its area list;
/// the problems point into the list's file.
fn check_unit_list(list: &UnitList, types: &CodeList, areas: &CodeList) -> Vec<Problem> {
    let mut problems = Vec::new();
    if !areas.codes.contains_key(&list.area.value) {
        problems.push(
            Problem::new(
                list.area.referenced,
                format!(
                    "`{}` is not in the code list {}",
                    list.area.value, areas.code_list
                ),
            )
            .label("unknown area"),
        );
    }
    for unit in &list.units {
        // A name made only of ignored words would match every unit named so.
        for name in std::iter::once(&unit.name).chain(&unit.aliases) {
            if list.normalise(name).is_empty() {
                problems.push(
                    Problem::new(
                        unit.unit_type.referenced,
                        format!(
                            "the name `{name}` is empty once the list's `ignore` words are removed"
                        ),
                    )
                    .label("in this unit"),
                );
            }
        }
        if !types.codes.contains_key(&unit.unit_type.value) {
            problems.push(
                Problem::new(
                    unit.unit_type.referenced,
                    format!(
                        "type `{}` of {} is not in the code list {}",
                        unit.unit_type.value, unit.name, types.code_list
                    ),
                )
                .label("unknown type")
                .help(format!(
                    "codes: {}",
                    types.codes.keys().cloned().collect::<Vec<_>>().join(", ")
                )),
            );
        }
    }
    problems
        .into_iter()
        .map(|p| p.in_file(list.source_file))
        .collect()
}
