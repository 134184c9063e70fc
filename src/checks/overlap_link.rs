//! `overlap_link`: where features of two layers overlap, a link table holds a row naming both
//! whose area equals the overlap; and every row of it names a real overlap. This is the red-line
//! link rule of the package format (section 6): a unit overlapping a 生态保护红线 zone has its
//! GGGZ row with MJ = the overlap's ellipsoidal area.
//!
//! ## Parameters
//! - `layer`, `key`: the first side (the rule's `where` selects its features).
//! - `other`, `other_key`, `other_where` (optional SQL): the second side.
//! - `table`, `table_key`, `table_other_key`, `table_area`: the link table and its fields
//!   naming both keys and the area (m²); `table_where` (optional SQL) selects its rows, e.g.
//!   `GGGZYSLX = '生态保护红线'`.
//! - `min_area`: m²; smaller overlaps need no row (default 0.01).
//! - `tolerance`: as in `area_matches` (without `per_term`: a row's area is one value),
//!   default `{ m2: 0.01 }`.
//!
//! Rows whose keys name no feature are left to `reference` rules. Counted as skipped, with the
//! reason: rows with an unmeasurable feature, rows without both keys or without an area, and
//! overlaps of features without a key. The pairs of features compared are what is checked.
//! Overlaps are measured on the ellipsoid in m² in every package CRS, lon/lat included.
//!
//! ## Example
//! ```yaml
//! - id: ZR-R001
//!   title: 登记单元与生态保护红线的关联记录缺失或面积不符
//!   class: B
//!   element: 逻辑一致性
//!   overlap_link:
//!     layer: ZRZYDJDY
//!     key: ZRZYDJDYH
//!     other: STBHHX
//!     other_key: HXBM
//!     table: GGGZ
//!     table_key: ZRZYDJDYH
//!     table_other_key: GGGZFQBSM
//!     table_area: MJ
//!     table_where: GGGZYSLX = '生态保护红线'
//! ```
//!
//! ## Findings
//! - on the feature: `与 STBHHX 62292310001 重叠 35200.12 m²，GGGZ 中无关联记录`;
//! - on the row: `MJ 申报 35000.00 m²，重叠面积 35200.12 m²，相差 …`;
//! - on the row: `GGGZ 记录的 ZRZYDJDY 与 STBHHX 并不重叠`.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use geo::Geometry;
use serde::Deserialize;
use serde_json::json;

use super::area_matches::{compare, describe};
use super::no_overlap_with::rows_where;
use super::spatial::{area_m2, feature_pairs, m2, planar_threshold, too_complex, Polys};
use super::sums::floats;
use super::units::{AreaUnit, Tolerance};
use super::{phrase, Check, Context, LintContext, NotRun, Read};
use crate::diag::{Name, Problem};
use crate::finding::{Finding, Related, Unit};
use crate::geom::topology::overlaps_between;
use crate::package::Frame;

fn default_min_area() -> f64 {
    0.01
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverlapLink {
    pub layer: Name,
    pub key: Name,
    pub other: Name,
    pub other_key: Name,
    pub other_where: Option<Name>,
    pub table: Name,
    pub table_key: Name,
    pub table_other_key: Name,
    pub table_area: Name,
    pub table_where: Option<Name>,
    #[serde(default = "default_min_area")]
    pub min_area: f64,
    #[serde(default)]
    pub tolerance: Tolerance,
}

/// Keys of a layer's features: the measurable ones by row, and the keys of the others.
fn keyed(
    cx: &Context,
    frame: &Frame,
    key: &str,
    rows: Vec<usize>,
) -> Result<(Vec<usize>, BTreeSet<String>), NotRun> {
    let usable = cx.measurable(frame, rows.clone())?;
    let usable_set: BTreeSet<usize> = usable.iter().copied().collect();
    let unusable = rows
        .into_iter()
        .filter(|r| !usable_set.contains(r))
        .filter_map(|r| frame.text(key, r))
        .collect();
    Ok((usable, unusable))
}

impl Check for OverlapLink {
    fn frame(&self) -> &Name {
        &self.layer
    }

    fn describe(&self) -> String {
        format!(
            "every overlap of more than {} between {} features and {} has one of the {} with {}, \
             {} and {} equal to its area within {}; and each such row has its overlap",
            phrase::m2(self.min_area),
            self.layer.value,
            phrase::selected(&self.other, "features", self.other_where.as_ref()),
            phrase::selected(&self.table, "rows", self.table_where.as_ref()),
            phrase::join(&self.table, &self.table_key, &self.layer, &self.key),
            phrase::join(
                &self.table,
                &self.table_other_key,
                &self.other,
                &self.other_key
            ),
            phrase::field(&self.table, &self.table_area),
            phrase::tolerance(&self.tolerance, None)
        )
    }

    fn reads(&self) -> Vec<Read<'_>> {
        vec![
            Read::field(&self.layer, &self.key),
            Read::field(&self.other, &self.other_key),
            Read::field(&self.table, &self.table_key),
            Read::field(&self.table, &self.table_other_key),
            Read::field(&self.table, &self.table_area),
        ]
    }

    fn measures(&self) -> Vec<&Name> {
        vec![&self.layer, &self.other]
    }

    fn lint(&self, cx: &LintContext) -> Vec<Problem> {
        let mut problems: Vec<Problem> = self
            .other_where
            .iter()
            .flat_map(|w| cx.check_condition(&self.other, w))
            .collect();
        problems.extend(
            self.table_where
                .iter()
                .flat_map(|w| cx.check_condition(&self.table, w)),
        );
        problems.extend(
            self.tolerance
                .problem(false)
                .map(|p| Problem::new(self.table_area.referenced, p)),
        );
        problems
    }

    fn run(&self, cx: &Context) -> Result<Vec<Finding>, NotRun> {
        let (frame, _) = cx.layer(&self.layer.value)?;
        let (other, _) = cx.layer(&self.other.value)?;
        let table = cx.frame(&self.table.value)?;
        let (a_rows, a_unusable) = keyed(cx, frame, &self.key.value, cx.rows(frame)?)?;
        let (b_rows, b_unusable) = keyed(
            cx,
            other,
            &self.other_key.value,
            rows_where(other, self.other_where.as_ref())?,
        )?;
        let a = Polys::of(frame, &a_rows);
        let b = Polys::of(other, &b_rows);
        // Overlaps by key pair, with their rows, geometry and ellipsoidal area.
        let threshold = planar_threshold(cx, self.min_area, &[&a, &b])?;
        cx.checked(a_rows.len() * b_rows.len(), Unit::Pairs);
        let mut overlaps = BTreeMap::new();
        let mut keyless_overlaps = 0;
        let found = overlaps_between(&a.polys, &b.polys, threshold);
        if !found.too_complex.is_empty() {
            // A row whose overlap was not computed cannot be told from a row without one.
            return Err(NotRun(too_complex(
                &format!("{} 与 {}", frame.name, other.name),
                "重叠",
            )));
        }
        for ((ra, rb), geometry) in feature_pairs(cx, found, "", &a, Some(&b)) {
            let area = area_m2(cx, &geometry)?;
            let (Some(ka), Some(kb)) = (
                frame.text(&self.key.value, ra),
                other.text(&self.other_key.value, rb),
            ) else {
                // Without both keys no row can name the overlap; `not_null` reports the key.
                keyless_overlaps += usize::from(area > self.min_area);
                continue;
            };
            if area > self.min_area {
                overlaps.insert((ka, kb), (ra, rb, geometry, area));
            }
        }
        let a_keys: BTreeSet<String> = frame
            .texts(&self.key.value)
            .into_iter()
            .flatten()
            .map(Cow::into_owned)
            .collect();
        let b_keys: BTreeSet<String> = other
            .texts(&self.other_key.value)
            .into_iter()
            .flatten()
            .map(Cow::into_owned)
            .collect();
        let declared = floats(&table.df, &self.table_area.value)?;
        cx.skipped(
            keyless_overlaps,
            Unit::Pairs,
            format!("重叠的 {} 或 {} 要素缺少标识码", frame.name, other.name),
        );
        let mut links: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
        let mut keyless_rows = 0;
        for row in rows_where(table, self.table_where.as_ref())? {
            let (Some(ka), Some(kb)) = (
                table.text(&self.table_key.value, row),
                table.text(&self.table_other_key.value, row),
            ) else {
                keyless_rows += 1;
                continue;
            };
            links.entry((ka, kb)).or_default().push(row);
        }
        let mut findings = Vec::new();
        let mut blank_areas = 0;
        for ((ka, kb), (ra, rb, geometry, area)) in &overlaps {
            let Some(rows) = links.get(&(ka.clone(), kb.clone())) else {
                let mut f = cx
                    .finding(
                        frame,
                        &[*ra],
                        format!(
                            "与 {} {kb} 重叠 {} m²，{} 中无关联记录",
                            other.name,
                            m2(*area),
                            table.name
                        ),
                    )
                    .with_related(Related {
                        layer: other.name.clone(),
                        feature_ids: vec![cx.feature_id(other, *rb)],
                    })
                    .with_measured(json!({ "overlap_area": m2(*area), "unit": "m2", "link": null }))
                    .with_expected(json!({ "link": table.name }));
                f.geometry = Some(Geometry::MultiPolygon(geometry.clone()));
                findings.push(f);
                continue;
            };
            for &row in rows {
                let Some(value) = declared[row] else {
                    blank_areas += 1;
                    continue;
                };
                let allowed = self.tolerance.allowed(*area, 0);
                let Some(m) = compare(value, *area, AreaUnit::M2, &allowed) else {
                    continue;
                };
                let mut f = cx
                    .finding(
                        table,
                        &[row],
                        describe(
                            &self.table_area.value,
                            "重叠面积",
                            &m,
                            AreaUnit::M2,
                            &allowed,
                        ),
                    )
                    .with_expected(m["computed"].clone())
                    .with_measured(m);
                f.geometry = Some(Geometry::MultiPolygon(geometry.clone()));
                findings.push(f);
            }
        }
        let mut skipped = 0;
        for ((ka, kb), rows) in &links {
            if overlaps.contains_key(&(ka.clone(), kb.clone()))
                || !a_keys.contains(ka)
                || !b_keys.contains(kb)
            {
                continue;
            }
            if a_unusable.contains(ka) || b_unusable.contains(kb) {
                skipped += rows.len();
                continue;
            }
            for &row in rows {
                let f = cx
                    .finding(
                        table,
                        &[row],
                        format!(
                            "{} 记录的 {} {ka} 与 {} {kb} 并不重叠",
                            table.name, frame.name, other.name
                        ),
                    )
                    .with_measured(json!({ "overlap_area": 0.0, "unit": "m2" }))
                    .with_expected(json!({ "min_overlap_area": self.min_area }));
                findings.push(f);
            }
        }
        cx.skipped(
            keyless_rows,
            Unit::Rows,
            format!(
                "{} 记录缺少 {} 或 {}",
                table.name, self.table_key.value, self.table_other_key.value
            ),
        );
        cx.skipped(
            blank_areas,
            Unit::Rows,
            format!("{} 记录的 {} 为空", table.name, self.table_area.value),
        );
        cx.skipped(
            skipped,
            Unit::Rows,
            format!("{} 记录涉及无法量算的要素", table.name),
        );
        Ok(findings)
    }
}
