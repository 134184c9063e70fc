//! `area_matches`: a declared area field equals the feature's ellipsoidal area (椭球面积,
//! 国土调查办发〔2008〕32号) within a tolerance.
//!
//! ## Parameters
//! - `layer`, `field`: the declared area.
//! - `unit`: the field's unit: `m2` (default), `ha` (公顷), `mu` (亩 = 2000/3 m²), `wanmu`.
//! - `tolerance`: `{ m2: 0.01, relative: 0 }` by default; the allowed difference is the larger
//!   of the two (`relative` is a fraction of the computed area).
//!
//! Features without geometry, with an invalid geometry, or whose coordinates do not fit the
//! package CRS are skipped and counted in the rule's notes: their area would be meaningless.
//!
//! ## Example
//! ```yaml
//! - id: ZR-M004
//!   title: 图斑面积与椭球面积不符
//!   class: B
//!   element: 面积精度
//!   area_matches: { layer: ZRZK, field: MJ, tolerance: { m2: 0.01 } }
//! ```
//!
//! ## Finding
//! `MJ 申报 12345.67 m²，椭球面积 12340.67 m²，相差 +5.00 m²（允许 ±0.01 m²）`, measured
//! `{"declared": 12345.67, "computed": 12340.6712, "difference": 5.0, "tolerance": 0.01,
//! "unit": "m2"}`.

use serde::Deserialize;
use serde_json::json;

use super::sums::floats;
use super::units::{round, AreaUnit, Tolerance};
use super::{phrase, Check, Context, NotRun, Read};
use crate::report::Finding;
use crate::rules::Name;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AreaMatches {
    pub layer: Name,
    pub field: Name,
    #[serde(default)]
    pub unit: AreaUnit,
    #[serde(default)]
    pub tolerance: Tolerance,
}

/// The comparison every area finding states: declared, computed, difference and tolerance, in
/// the declared value's unit.
pub(crate) fn compare(declared: f64, computed_m2: f64, unit: AreaUnit, allowed_m2: f64) -> Option<serde_json::Value> {
    let f = unit.square_metres();
    let difference_m2 = declared * f - computed_m2;
    // Float noise on values written with two decimals must not turn equality into a finding.
    if difference_m2.abs() <= allowed_m2 + 1e-9 * computed_m2.abs().max(1.0) {
        return None;
    }
    Some(json!({
        "declared": declared,
        "computed": round(computed_m2 / f, 6),
        "difference": round(difference_m2 / f, 6),
        "tolerance": round(allowed_m2 / f, 6),
        "unit": unit.code(),
    }))
}

/// `申报 … ，椭球面积 …，相差 …（允许 ±…）` from a [`compare`] result.
pub(crate) fn describe(what: &str, computed_what: &str, m: &serde_json::Value, unit: AreaUnit) -> String {
    let u = unit.symbol();
    format!(
        "{what} 申报 {} {u}，{computed_what} {} {u}，相差 {:+} {u}（允许 ±{} {u}）",
        m["declared"], m["computed"], m["difference"].as_f64().unwrap_or(f64::NAN), m["tolerance"]
    )
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
            phrase::tolerance(&self.tolerance)
        )
    }

    fn reads(&self) -> Vec<Read<'_>> {
        vec![Read::field(&self.layer, &self.field)]
    }

    fn measures(&self) -> Vec<&Name> {
        vec![&self.layer]
    }

    fn run(&self, cx: &Context) -> Result<Vec<Finding>, NotRun> {
        let frame = cx.frame(&self.layer.value)?;
        let facts = cx.facts(frame)?;
        let declared = floats(&frame.df, &self.field.value)?;
        let rows = cx.measurable(frame, cx.rows(frame)?)?;
        let mut findings = Vec::new();
        let mut empty = 0;
        for row in rows {
            let Some(value) = declared[row] else {
                empty += 1;
                continue;
            };
            let computed = facts.areas[row];
            let Some(m) = compare(value, computed, self.unit, self.tolerance.allowed(computed)) else {
                continue;
            };
            let mut f = cx.finding(frame, &[row], describe(&self.field.value, "椭球面积", &m, self.unit));
            f.expected = Some(m["computed"].clone());
            f.measured = Some(m);
            findings.push(f);
        }
        cx.empty_rows(frame, &self.field.value, empty);
        Ok(findings)
    }
}
