//! `tiles`: the features of a layer, grouped by a key, exactly tile the feature of a parent
//! layer with that key: no gap, no overhang, no overlap.
//!
//! ## Parameters
//! - `layer`, `key`: the parts and the field naming their parent; the rule's `where` selects
//!   the parts.
//! - `parent`, `parent_key`: the whole.
//! - `min_area`: m² below which a gap, overhang or overlap is rounding, default 0.01.
//!
//! The parents are what is checked (counted as features). A parent with an unmeasurable part
//! (invalid geometry, misfit coordinates), or without a key, is skipped and counted with the
//! reason, as are parts without a parent key; a parent with no part at all is one gap. Areas
//! are ellipsoidal m² in every package CRS, lon/lat included. A parent whose parts' union, or a
//! part whose overhang, would take an overlay past its budget (edges whose boxes meet more than
//! 64 others each, on average) is counted as not checked for gaps or overhang, with the reason.
//!
//! ## Example
//! ```yaml
//! - id: ZR-T103
//!   title: 自然状况图斑未完整覆盖所属登记单元
//!   class: B
//!   element: 逻辑一致性
//!   tiles: { layer: ZRZK, key: ZRZYDJDYH, parent: ZRZYDJDY, parent_key: ZRZYDJDYH }
//! ```
//!
//! ## Findings
//! - on the parent: `单元内 1523.20 m² 未被 ZRZK 覆盖` (the gap);
//! - on a part: `超出所属 ZRZYDJDY 12.30 m²` (the overhang);
//! - on a part: `与 ZRZK … 重叠 5.10 m²` (an overlap with another part of the same unit).

use std::collections::{BTreeSet, HashMap, HashSet};

use geo::{Geometry, MultiPolygon};
use rayon::prelude::*;
use serde::Deserialize;
use serde_json::json;

use super::spatial::{
    area_m2, feature_pairs, m2, overlap_findings, overlaps_among, planar_threshold, too_complex,
    Polys,
};
use super::{phrase, Check, Context, NotRun, Read};
use crate::diag::Name;
use crate::finding::{Finding, Related, Unit};
use crate::geom::topology::{cover, TooComplex};
use crate::package::Frame;

fn default_min_area() -> f64 {
    0.01
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tiles {
    pub layer: Name,
    pub key: Name,
    pub parent: Name,
    pub parent_key: Name,
    #[serde(default = "default_min_area")]
    pub min_area: f64,
}

impl Check for Tiles {
    fn frame(&self) -> &Name {
        &self.layer
    }

    fn describe(&self) -> String {
        format!(
            "{} features tile their {} ({}) exactly: no gap, overhang or overlap of more than {}",
            self.layer.value,
            self.parent.value,
            phrase::join(&self.layer, &self.key, &self.parent, &self.parent_key),
            phrase::m2(self.min_area)
        )
    }

    fn reads(&self) -> Vec<Read<'_>> {
        vec![
            Read::field(&self.layer, &self.key),
            Read::field(&self.parent, &self.parent_key),
        ]
    }

    fn measures(&self) -> Vec<&Name> {
        vec![&self.layer, &self.parent]
    }

    fn overlaps_within(&self) -> Option<&Name> {
        Some(&self.layer)
    }

    fn run(&self, cx: &Context) -> Result<Vec<Finding>, NotRun> {
        let (parts, _) = cx.layer(&self.layer.value)?;
        let (parents, _) = cx.layer(&self.parent.value)?;
        let selected = cx.rows(parts)?;
        let mut usable = vec![false; parts.len()];
        for row in cx.measurable(parts, selected.clone())? {
            usable[row] = true;
        }
        // Keys borrowed from the layer, column-wise: a string per part cost more than tiling.
        let keys = parts.texts(&self.key.value);
        let mut by_key: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut unknown: HashSet<&str> = HashSet::new();
        let mut keyless = 0;
        for &row in &selected {
            let Some(key) = keys[row].as_deref() else {
                // A part naming no parent tiles nothing; `not_null` reports the empty key.
                keyless += usize::from(usable[row]);
                continue;
            };
            if usable[row] {
                by_key.entry(key).or_default().push(row);
            } else {
                unknown.insert(key);
            }
        }
        cx.skipped(
            keyless,
            Unit::Features,
            format!("{} 的 {} 为空", parts.name, self.key.value),
        );
        let wholes = cx.measurable(parents, (0..parents.len()).collect())?;
        let (mut unmeasurable, mut parent_keyless) = (0, 0);
        let mut checked: Vec<(usize, &[usize])> = Vec::new();
        for parent in wholes {
            let Some(key) = parents.text(&self.parent_key.value, parent) else {
                parent_keyless += 1;
                continue;
            };
            if unknown.contains(key.as_str()) {
                unmeasurable += 1;
                continue;
            }
            checked.push((parent, by_key.get(key.as_str()).map_or(&[], Vec::as_slice)));
        }
        // Parents one per task: each is small, and their overlays in turn left a core idle.
        let tiled: Vec<Tiled> = checked
            .par_iter()
            .map(|&(parent, rows)| self.tile(cx, parts, parents, parent, rows))
            .collect::<Result<_, _>>()?;
        let mut findings = Vec::new();
        let (mut gaps_unchecked, mut parts_unchecked) = (0, 0);
        for t in tiled {
            findings.extend(t.findings);
            gaps_unchecked += usize::from(t.gaps_unchecked);
            parts_unchecked += t.parts_unchecked;
        }
        let checked = checked.len();
        // What was tiled is the parents, not the parts that `rows` counted.
        cx.checked(checked, Unit::Features);
        cx.skipped(
            unmeasurable,
            Unit::Features,
            format!("{} 含无法量算的 {}", parents.name, parts.name),
        );
        let pair = format!("{} 与所属 {}", parts.name, parents.name);
        cx.skipped(gaps_unchecked, Unit::Features, too_complex(&pair, "缝隙"));
        cx.skipped(parts_unchecked, Unit::Features, too_complex(&pair, "出界"));
        cx.skipped(
            parent_keyless,
            Unit::Features,
            format!("{} 的 {} 为空", parents.name, self.parent_key.value),
        );
        Ok(findings)
    }
}

/// One parent's tiling: its findings, whether its gaps were left unchecked and how many of its
/// parts were not checked for overhang.
struct Tiled {
    findings: Vec<Finding>,
    gaps_unchecked: bool,
    parts_unchecked: usize,
}

impl Tiles {
    /// How the parts `rows` tile `parent`.
    fn tile(
        &self,
        cx: &Context,
        parts: &Frame,
        parents: &Frame,
        parent: usize,
        rows: &[usize],
    ) -> Result<Tiled, NotRun> {
        let polys = Polys::of(parts, rows);
        let outline = Polys::of(parents, &[parent]);
        let threshold = planar_threshold(cx, self.min_area, &[&polys, &outline])?;
        let whole = outline.union_input();
        let tiling = cover(&polys.polys, &whole, threshold);
        let mut gaps_unchecked = false;
        let gaps = tiling.gaps.unwrap_or_else(|TooComplex| {
            gaps_unchecked = true;
            Vec::new()
        });
        let unchecked: BTreeSet<usize> = tiling
            .unchecked_parts
            .iter()
            .map(|&p| polys.owner[p])
            .collect();
        let mut findings = Vec::new();
        for gap in gaps {
            let geometry = MultiPolygon::new(vec![gap.geometry]);
            let area = area_m2(cx, &geometry)?;
            if area <= self.min_area {
                continue;
            }
            let mut f = cx
                .finding(
                    parents,
                    &[parent],
                    format!("单元内 {} m² 未被 {} 覆盖", m2(area), parts.name),
                )
                .with_measured(json!({ "gap_area": m2(area), "unit": "m2" }))
                .with_expected(json!({ "max_area": self.min_area }));
            f.geometry = Some(Geometry::MultiPolygon(geometry));
            findings.push(f);
        }
        for o in tiling.overhangs {
            let area = area_m2(cx, &o.geometry)?;
            if area <= self.min_area {
                continue;
            }
            let row = polys.owner[o.part];
            let mut f = cx
                .finding(
                    parts,
                    &[row],
                    format!("超出所属 {} {} m²", parents.name, m2(area)),
                )
                .with_related(Related {
                    layer: parents.name.clone(),
                    feature_ids: vec![cx.feature_id(parents, parent)],
                })
                .with_measured(json!({ "outside_area": m2(area), "unit": "m2" }))
                .with_expected(json!({ "max_area": self.min_area }));
            f.geometry = Some(Geometry::MultiPolygon(o.geometry));
            findings.push(f);
        }
        findings.extend(overlap_findings(
            cx,
            parts,
            parts,
            feature_pairs(
                cx,
                overlaps_among(cx, parts, &polys, threshold),
                &parts.name,
                &polys,
                None,
            ),
            self.min_area,
        )?);
        Ok(Tiled {
            findings,
            gaps_unchecked,
            parts_unchecked: unchecked.len(),
        })
    }
}
