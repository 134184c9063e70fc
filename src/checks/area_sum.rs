//! `area_sum`: the areas of a child layer, summed per parent key, equal a parent's area.
//!
//! ## Parameters
//! - `layer`: the children; the rule's `where` selects which count (e.g. `ZYLX = 'SL'`).
//! - `field` (a declared area) or `computed: true` (their ellipsoidal areas).
//! - `key`: the children's field naming the parent.
//! - `parent`, `parent_key`: the parent layer and its key field.
//! - `parent_field` (a declared area) or `parent_computed: true`.
//! - `unit`: the unit of both declared fields (default `m2`).
//! - `tolerance`: as in `area_matches`, default `{ m2: 0.01 }`; `per_term` counts the children
//!   summed for the parent, so `{ m2: 0.005, per_term: 0.005 }` allows half a hundredth for
//!   the parent's own rounding and for each of its n two-decimal children.
//!
//! A parent with no (selected) child sums to 0, so a unit declaring forest area without forest
//! parcels is found. What is checked is the parents' sums; parents with an unmeasurable child,
//! without a key or without a declared area are skipped and counted with the reason.
//! The sums use polars' group-by.
//!
//! ## Example
//! ```yaml
//! - id: ZR-M011
//!   title: 单元森林面积不等于其森林图斑面积之和
//!   class: B
//!   element: 面积精度
//!   where: ZYLX = 'SL'
//!   area_sum: { layer: ZRZK, field: MJ, key: ZRZYDJDYH, parent: ZRZYDJDY, parent_key: ZRZYDJDYH, parent_field: SLMJ }
//! ```
//!
//! ## Finding
//! On the parent: `SLMJ 申报 52000.00 m²，ZRZK.MJ 之和（3 个）51950.00 m²，相差 +50 m²（允许 ±0.02 m²：
//! 0.005 m² + 3 × 0.005 m²）`, with the children as related features.

use std::collections::{BTreeSet, HashMap, HashSet};

use polars::prelude::col;
use serde::Deserialize;

use super::area_matches::{compare, describe};
use super::sums::{field_or_computed, floats, group_sums, summand};
use super::units::{AreaUnit, Tolerance};
use super::{phrase, Check, Context, LintContext, NotRun, Read};
use crate::diag::{Name, Problem};
use crate::finding::{Finding, Related};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AreaSum {
    pub layer: Name,
    pub field: Option<Name>,
    #[serde(default)]
    pub computed: bool,
    pub key: Name,
    pub parent: Name,
    pub parent_key: Name,
    pub parent_field: Option<Name>,
    #[serde(default)]
    pub parent_computed: bool,
    #[serde(default)]
    pub unit: AreaUnit,
    #[serde(default)]
    pub tolerance: Tolerance,
}

impl Check for AreaSum {
    fn frame(&self) -> &Name {
        &self.layer
    }

    fn describe(&self) -> String {
        format!(
            "{} equals the sum of {} over its {} features ({}), within {}",
            phrase::area(&self.parent, self.parent_field.as_ref(), self.unit),
            phrase::area(&self.layer, self.field.as_ref(), self.unit),
            self.layer.value,
            phrase::join(&self.layer, &self.key, &self.parent, &self.parent_key),
            phrase::tolerance(&self.tolerance, Some(&self.layer.value))
        )
    }

    fn reads(&self) -> Vec<Read<'_>> {
        let mut reads = vec![
            Read::field(&self.layer, &self.key),
            Read::field(&self.parent, &self.parent_key),
        ];
        reads.extend(self.field.iter().map(|f| Read::field(&self.layer, f)));
        reads.extend(
            self.parent_field
                .iter()
                .map(|f| Read::field(&self.parent, f)),
        );
        reads
    }

    fn measures(&self) -> Vec<&Name> {
        let mut layers = Vec::new();
        if self.computed {
            layers.push(&self.layer);
        }
        if self.parent_computed {
            layers.push(&self.parent);
        }
        layers
    }

    fn lint(&self, _cx: &LintContext) -> Vec<Problem> {
        let mut problems: Vec<Problem> =
            field_or_computed(&self.layer, self.field.as_ref(), self.computed)
                .into_iter()
                .collect();
        problems.extend(
            self.tolerance
                .problem(true)
                .map(|p| Problem::new(self.parent.referenced, p)),
        );
        if self.parent_field.is_some() == self.parent_computed {
            problems.push(Problem::new(
                self.parent.referenced,
                "give exactly one of `parent_field` and `parent_computed: true`",
            ));
        }
        problems
    }

    fn run(&self, cx: &Context) -> Result<Vec<Finding>, NotRun> {
        let child = cx.frame(&self.layer.value)?;
        let parent = cx.frame(&self.parent.value)?;
        let key = self.key.value.as_str();
        let selected = cx.rows(child)?;
        // Children that cannot be measured make their parent's sum unknown.
        let (df, rows, value) = summand(cx, child, self.field.as_ref(), selected.clone())?;
        let keys = child.texts(key);
        let mut kept = vec![false; child.len()];
        for &r in &rows {
            kept[r] = true;
        }
        let unknown: HashSet<&str> = selected
            .iter()
            .filter(|&&r| !kept[r])
            .filter_map(|&r| keys[r].as_deref())
            .collect();
        let sums = group_sums(&df, col(key), value, &rows)?;
        let declared: Vec<Option<f64>> = match &self.parent_field {
            Some(f) => floats(&parent.df, &f.value)?,
            None => {
                let facts = cx.facts(parent)?;
                let measurable: BTreeSet<usize> = cx
                    .measurable(parent, (0..parent.len()).collect())?
                    .into_iter()
                    .collect();
                (0..parent.len())
                    .map(|r| measurable.contains(&r).then(|| facts.areas[r]))
                    .collect()
            }
        };
        let what = match &self.parent_field {
            Some(f) => f.value.clone(),
            None => "椭球面积".into(),
        };
        let summed = match &self.field {
            Some(f) => format!("{}.{} 之和", child.name, f.value),
            None => format!("{} 椭球面积之和", child.name),
        };
        let factor = self.unit.square_metres();
        let mut findings = Vec::new();
        let (mut unmeasurable, mut keyless, mut blank, mut compared) = (0, 0, 0, 0);
        for (row, value) in declared.iter().enumerate() {
            let Some(k) = parent.text(&self.parent_key.value, row) else {
                keyless += 1;
                continue;
            };
            let Some(value) = *value else {
                // A computed area is missing only for an unmeasurable parent, which
                // `measurable` has counted.
                blank += usize::from(self.parent_field.is_some());
                continue;
            };
            if unknown.contains(k.as_str()) {
                unmeasurable += 1;
                continue;
            }
            compared += 1;
            let (sum, n) = sums.get(&k).copied().unwrap_or((0.0, 0));
            let sum_m2 = if self.computed { sum } else { sum * factor };
            // Declared fields are in `unit`; computed areas are in m².
            let declared_m2 = if self.parent_field.is_some() {
                value * factor
            } else {
                value
            };
            let allowed = self.tolerance.allowed(declared_m2, n);
            let Some(m) = compare(declared_m2 / factor, sum_m2, self.unit, &allowed) else {
                continue;
            };
            let message = describe(
                &what,
                &format!("{summed}（{n} 个）"),
                &m,
                self.unit,
                &allowed,
            );
            let f = cx
                .finding(parent, &[row], message)
                .with_expected(m["computed"].clone())
                .with_measured(m);
            findings.push((f, k));
        }
        // The children of the parents found wrong, gathered once those are known: most parents
        // are right, and a list per parent cost a string and a list per child.
        let mut children: HashMap<String, Vec<usize>> = findings
            .iter()
            .map(|(_, k)| (k.clone(), Vec::new()))
            .collect();
        for &r in &rows {
            if let Some(kids) = keys[r].as_deref().and_then(|k| children.get_mut(k)) {
                kids.push(r);
            }
        }
        let findings: Vec<Finding> = findings
            .into_iter()
            .map(|(f, k)| match children.get(k.as_str()) {
                Some(kids) if !kids.is_empty() => f.with_related(Related {
                    layer: child.name.clone(),
                    feature_ids: kids.iter().map(|&r| cx.feature_id(child, r)).collect(),
                }),
                _ => f,
            })
            .collect();
        // What is compared is the parents' sums, not the children that `rows` counted.
        let unit = Context::unit_of(parent);
        cx.checked(compared, unit);
        cx.skipped(
            unmeasurable,
            unit,
            format!("{} 含无法量算的 {}", parent.name, child.name),
        );
        cx.skipped(
            keyless,
            unit,
            format!("{} 的 {} 为空", parent.name, self.parent_key.value),
        );
        if let Some(field) = &self.parent_field {
            cx.skipped(
                blank,
                unit,
                format!("{} 的 {} 为空", parent.name, field.value),
            );
        }
        Ok(findings)
    }
}
