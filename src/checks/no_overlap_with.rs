//! `no_overlap_with`: features of one layer do not overlap features of another, beyond
//! `min_area` (interiors intersecting, as in `no_overlap`).
//!
//! ## Parameters
//! - `layer`; the rule's `where` selects its features.
//! - `other`; `other_where` selects its features (SQL, optional).
//! - `min_area`: m², default 0.01.
//!
//! Areas are m² on the ellipsoid in every package CRS, lon/lat included. Every pair of a
//! selected feature of `layer` and one of `other` counts as checked (none when either selection
//! is empty: the rule is then not applicable); unmeasurable features are skipped and counted
//! with the reason.
//!
//! ## Example
//! ```yaml
//! - id: ZR-R002
//!   title: 采矿权与生态保护红线冲突
//!   class: A
//!   element: 逻辑一致性
//!   no_overlap_with: { layer: CKQ, other: STBHHX }
//! ```
//!
//! ## Finding
//! One per pair: `与 STBHHX 62292310001 重叠 5234.10 m²`, the overlap as geometry.

use serde::Deserialize;

use super::spatial::{feature_pairs, overlap_findings, planar_threshold, Polys};
use super::{condition, phrase, Check, Context, LintContext, NotRun, Read};
use crate::diag::{Name, Problem};
use crate::finding::{Finding, Unit};
use crate::geom::topology::overlaps_between;

fn default_min_area() -> f64 {
    0.01
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoOverlapWith {
    pub layer: Name,
    pub other: Name,
    pub other_where: Option<Name>,
    #[serde(default = "default_min_area")]
    pub min_area: f64,
}

/// Rows of `frame` where an optional SQL condition holds.
pub(crate) fn rows_where(
    frame: &crate::package::Frame,
    condition: Option<&Name>,
) -> Result<Vec<usize>, NotRun> {
    let Some(text) = condition else {
        return Ok((0..frame.len()).collect());
    };
    let expr = condition::compile(&text.value).map_err(NotRun)?;
    condition::rows_holding(&expr, &frame.df).map_err(NotRun)
}

impl Check for NoOverlapWith {
    fn frame(&self) -> &Name {
        &self.layer
    }

    fn describe(&self) -> String {
        format!(
            "no {} feature overlaps {} by more than {}",
            self.layer.value,
            phrase::selected(&self.other, "features", self.other_where.as_ref()),
            phrase::m2(self.min_area)
        )
    }

    fn reads(&self) -> Vec<Read<'_>> {
        vec![Read::frame(&self.layer), Read::frame(&self.other)]
    }

    fn measures(&self) -> Vec<&Name> {
        vec![&self.layer, &self.other]
    }

    fn lint(&self, cx: &LintContext) -> Vec<Problem> {
        self.other_where
            .iter()
            .flat_map(|w| cx.check_condition(&self.other, w))
            .collect()
    }

    fn run(&self, cx: &Context) -> Result<Vec<Finding>, NotRun> {
        let (frame, _) = cx.layer(&self.layer.value)?;
        let (other, _) = cx.layer(&self.other.value)?;
        let a_rows = cx.measurable(frame, cx.rows(frame)?)?;
        let b_rows = cx.measurable(other, rows_where(other, self.other_where.as_ref())?)?;
        let (a, b) = (Polys::of(frame, &a_rows), Polys::of(other, &b_rows));
        let threshold = planar_threshold(cx, self.min_area, &[&a, &b])?;
        let found = overlaps_between(&a.polys, &b.polys, threshold);
        let what = format!("{} 与 {}", frame.name, other.name);
        let pairs = feature_pairs(cx, found, &what, &a, Some(&b));
        cx.checked(a_rows.len() * b_rows.len(), Unit::Pairs);
        overlap_findings(cx, frame, other, pairs, self.min_area)
    }
}
