//! `area_matches`: a declared area field equals the feature's ellipsoidal area (椭球面积,
//! 国土调查办发〔2008〕32号) within a tolerance made from how the declared value was made.
//!
//! ## Parameters
//! - `layer`, `field`: the declared area.
//! - `unit`: the field's unit: `m2` (default), `ha` (公顷), `mu` (亩 = 2000/3 m²), `wanmu`.
//! - `tolerance`: the sum of its parts, each in m²: `m2` (the declared value's own rounding,
//!   0.005 for two decimals), `per_term` (the rounding of each term summed into it, counted by
//!   `terms`) and `relative` (a fraction of the computed area: the official formula reproduced
//!   on the delivered vertices agrees to 1e-9). Default `{ m2: 0.01 }`.
//! - `terms` (with `per_term`): `{ layer, key, parent_key }`, the features of `layer` whose
//!   `key` equals this feature's `parent_key` are the terms summed into its declared value
//!   (a unit's total is the sum of its parcels' two-decimal areas).
//!
//! Features without geometry, with an invalid geometry, or whose coordinates do not fit the
//! package CRS are skipped and counted in the rule's notes: their area would be meaningless.
//!
//! ## Example
//! ```yaml
//! - id: ZR-M005
//!   title: 登记单元总面积与椭球面积不符
//!   class: B
//!   element: 面积精度
//!   area_matches:
//!     layer: ZRZYDJDY
//!     field: DJDYZMJ
//!     tolerance: { per_term: 0.005, relative: 1.0e-9 }
//!     terms: { layer: ZRZK, key: ZRZYDJDYH, parent_key: ZRZYDJDYH }
//! ```
//!
//! ## Finding
//! `DJDYZMJ 申报 999752.24 m²，椭球面积 999751.236786 m²，相差 +1.003214 m²（允许 ±0.016 m²：3 ×
//! 0.005 m² + 1e-9 × 面积）`, measured `{"declared": 999752.24, "computed": 999751.236786,
//! "difference": 1.003214, "tolerance": 0.016, "tolerance_parts": {"per_term": 0.005, "terms": 3,
//! "relative": 1e-9}, "unit": "m2"}`.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::json;

use super::sums::floats;
use super::units::{round, Allowance, AreaUnit, Tolerance};
use super::{phrase, Check, Context, LintContext, NotRun, Read};
use crate::diag::{Name, Problem};
use crate::finding::Finding;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AreaMatches {
    pub layer: Name,
    pub field: Name,
    #[serde(default)]
    pub unit: AreaUnit,
    #[serde(default)]
    pub tolerance: Tolerance,
    pub terms: Option<Terms>,
}

/// The comparison every area finding states: declared, computed, difference and tolerance, in
/// the declared value's unit, with the parts the tolerance was made of.
pub(crate) fn compare(
    declared: f64,
    computed_m2: f64,
    unit: AreaUnit,
    allowed: &Allowance,
) -> Option<serde_json::Value> {
    let f = unit.square_metres();
    let difference_m2 = declared * f - computed_m2;
    // Float noise on values written with two decimals must not turn equality into a finding;
    // it is far below any part of a tolerance.
    if difference_m2.abs() <= allowed.m2() + 1e-12 * computed_m2.abs().max(1.0) {
        return None;
    }
    Some(json!({
        "declared": declared,
        "computed": round(computed_m2 / f, 6),
        "difference": round(difference_m2 / f, 6),
        "tolerance": round(allowed.m2() / f, 6),
        "tolerance_parts": allowed.parts(),
        "unit": unit.code(),
    }))
}

/// `申报 … ，椭球面积 …，相差 …（允许 ±…：…）` from a [`compare`] result.
pub(crate) fn describe(
    what: &str,
    computed_what: &str,
    m: &serde_json::Value,
    unit: AreaUnit,
    allowed: &Allowance,
) -> String {
    let u = unit.symbol();
    let how = allowed
        .explain()
        .map(|e| format!("：{e}"))
        .unwrap_or_default();
    format!(
        "{what} 申报 {} {u}，{computed_what} {} {u}，相差 {:+} {u}（允许 ±{} {u}{how}）",
        m["declared"],
        m["computed"],
        m["difference"].as_f64().unwrap_or(f64::NAN),
        m["tolerance"]
    )
}

/// How many terms were summed into each value of a key: the features of `layer` per `key`,
/// matched to the checked layer's `parent_key`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Terms {
    pub layer: Name,
    pub key: Name,
    pub parent_key: Name,
}

impl Check for AreaMatches {
    fn frame(&self) -> &Name {
        &self.layer
    }

    fn describe(&self) -> String {
        format!(
            "{} equals {} within {}",
            phrase::area(&self.layer, Some(&self.field), self.unit),
            phrase::area(&self.layer, None, self.unit),
            phrase::tolerance(
                &self.tolerance,
                self.terms.as_ref().map(|t| t.layer.value.as_str())
            )
        )
    }

    fn reads(&self) -> Vec<Read<'_>> {
        let mut reads = vec![Read::field(&self.layer, &self.field)];
        if let Some(t) = &self.terms {
            reads.push(Read::field(&t.layer, &t.key));
            reads.push(Read::field(&self.layer, &t.parent_key));
        }
        reads
    }

    fn lint(&self, _cx: &LintContext) -> Vec<Problem> {
        self.tolerance
            .problem(self.terms.is_some())
            .map(|p| Problem::new(self.field.referenced, p))
            .into_iter()
            .collect()
    }

    fn measures(&self) -> Vec<&Name> {
        vec![&self.layer]
    }

    fn run(&self, cx: &Context) -> Result<Vec<Finding>, NotRun> {
        let frame = cx.frame(&self.layer.value)?;
        let facts = cx.facts(frame)?;
        let declared = floats(&frame.df, &self.field.value)?;
        let rows = cx.measurable(frame, cx.rows(frame)?)?;
        let terms = self
            .terms
            .as_ref()
            .map(|t| count_terms(cx, t))
            .transpose()?;
        let mut findings = Vec::new();
        let mut empty = 0;
        for row in rows {
            let Some(value) = declared[row] else {
                empty += 1;
                continue;
            };
            let computed = facts.areas[row];
            let n = match (&terms, &self.terms) {
                (Some(counts), Some(t)) => frame
                    .text(&t.parent_key.value, row)
                    .and_then(|k| counts.get(&k).copied())
                    .unwrap_or(0),
                _ => 0,
            };
            let allowed = self.tolerance.allowed(computed, n);
            let Some(m) = compare(value, computed, self.unit, &allowed) else {
                continue;
            };
            let f = cx
                .finding(
                    frame,
                    &[row],
                    describe(&self.field.value, "椭球面积", &m, self.unit, &allowed),
                )
                .with_expected(m["computed"].clone())
                .with_measured(m);
            findings.push(f);
        }
        cx.empty_rows(frame, &self.field.value, empty);
        Ok(findings)
    }
}

/// The features of `terms.layer` per value of its key.
fn count_terms(cx: &Context, terms: &Terms) -> Result<HashMap<String, usize>, NotRun> {
    let frame = cx.frame(&terms.layer.value)?;
    let mut counts = HashMap::new();
    for row in 0..frame.len() {
        if let Some(k) = frame.text(&terms.key.value, row) {
            *counts.entry(k).or_insert(0) += 1;
        }
    }
    Ok(counts)
}
