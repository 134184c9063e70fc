//! `no_overlap`: features of one layer do not overlap.
//!
//! Two features overlap when their interiors intersect (DE-9IM `2********`): containment and
//! duplicates count, unlike the OGC `overlaps` predicate, which misses both. Only overlaps whose
//! ellipsoidal area exceeds `min_area` are reported, so that rounding slivers along shared edges
//! are not.
//!
//! ## Parameters
//! - `layer`; the rule's `where` selects the features compared.
//! - `min_area`: m², default 0.01.
//! - `group_by`: optional field; only features with equal values are compared (e.g. units of the
//!   same type).
//!
//! `min_area` and the reported areas are m² on the ellipsoid in every package CRS: a lon/lat
//! (EPSG:4490) layer is not compared in square degrees. Every pair of compared features counts
//! as checked; features without geometry, with an invalid geometry or with coordinates that do
//! not fit the package CRS are skipped and counted with the reason.
//!
//! ## Example
//! ```yaml
//! - id: ZR-T101
//!   title: 自然保护地登记单元相互重叠
//!   class: A
//!   element: 逻辑一致性
//!   where: DJDYLX IN ('11', '12', '13')
//!   no_overlap: { layer: ZRZYDJDY, min_area: 0.01 }
//! ```
//!
//! ## Finding
//! One per pair: `与 ZRZYDJDY 6229234000002 重叠 1234.56 m²`, the overlap as geometry.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::spatial::{feature_pairs, overlap_findings, overlaps_among, planar_threshold, Polys};
use super::{phrase, Check, Context, NotRun, Read};
use crate::diag::Name;
use crate::finding::{Finding, Unit};

fn default_min_area() -> f64 {
    0.01
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoOverlap {
    pub layer: Name,
    #[serde(default = "default_min_area")]
    pub min_area: f64,
    pub group_by: Option<Name>,
}

impl Check for NoOverlap {
    fn frame(&self) -> &Name {
        &self.layer
    }

    fn describe(&self) -> String {
        let group = match &self.group_by {
            Some(field) => format!(" with the same {}", field.value),
            None => String::new(),
        };
        format!(
            "no two {} features{group} overlap by more than {}",
            self.layer.value,
            phrase::m2(self.min_area)
        )
    }

    fn reads(&self) -> Vec<Read<'_>> {
        let mut reads = vec![Read::frame(&self.layer)];
        reads.extend(self.group_by.iter().map(|g| Read::field(&self.layer, g)));
        reads
    }

    fn measures(&self) -> Vec<&Name> {
        vec![&self.layer]
    }

    fn overlaps_within(&self) -> Option<&Name> {
        Some(&self.layer)
    }

    fn run(&self, cx: &Context) -> Result<Vec<Finding>, NotRun> {
        let (frame, _) = cx.layer(&self.layer.value)?;
        let rows = cx.measurable(frame, cx.rows(frame)?)?;
        let mut groups: BTreeMap<Option<String>, Vec<usize>> = BTreeMap::new();
        for row in rows {
            let group = self
                .group_by
                .as_ref()
                .and_then(|g| frame.text(&g.value, row));
            groups.entry(group).or_default().push(row);
        }
        let mut pairs = BTreeMap::new();
        for rows in groups.values() {
            let polys = Polys::of(frame, rows);
            let threshold = planar_threshold(cx, self.min_area, &[&polys])?;
            pairs.extend(feature_pairs(
                cx,
                overlaps_among(cx, frame, &polys, threshold),
                &frame.name,
                &polys,
                None,
            ));
            // Every pair of the group is decided, most by the index without overlay.
            cx.checked(rows.len() * rows.len().saturating_sub(1) / 2, Unit::Pairs);
        }
        overlap_findings(cx, frame, frame, pairs, self.min_area)
    }
}
