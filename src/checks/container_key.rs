//! `container_key`: a feature lying within a feature of another layer names that feature's key.
//!
//! ## Parameters
//! - `layer`, `field`: the feature and the value that must name its container; the rule's
//!   `where` filters the features.
//! - `prefix`: compare only the first `prefix` characters of `field` and of the container's key
//!   (e.g. the 6-digit area code that opens a unit code, against a county's 6-digit or a
//!   township's 9-digit XZQDM).
//! - `container`, `container_field`: the containing layer and its key.
//! - `container_where`: which container features count (e.g. protected-area units only).
//! - `tolerance`: m² of the feature that may lie outside its container, default 0.01.
//!
//! A feature within no container is not this check's business (`within` reports features that
//! leave their area; a deposit outside every protected area names whatever unit registers it).
//!
//! ## Example
//! ```yaml
//! - id: ZR-K003
//!   title: 自然保护地内的矿产未记入所在保护地单元
//!   class: B
//!   element: 逻辑一致性
//!   container_key:
//!     layer: KCZY
//!     field: ZRZYDJDYH
//!     container: ZRZYDJDY
//!     container_field: ZRZYDJDYH
//!     container_where: DJDYLX IN ('11', '12', '13')
//! ```
//!
//! ## Finding
//! `位于 ZRZYDJDY 6229231200001 之内，ZRZYDJDYH 应为 6229231200001，实为 6229237000003`, with
//! the container as the related feature.

use geo::{BoundingRect, MultiPolygon};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};
use serde::Deserialize;
use serde_json::Value;

use super::no_overlap_with::rows_where;
use super::spatial::{area_m2, too_complex, Polys};
use super::{phrase, Check, Context, LintContext, NotRun, Read};
use crate::diag::{Name, Problem};
use crate::finding::{Finding, Related};
use crate::geom::topology::Region;

fn default_tolerance() -> f64 {
    0.01
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContainerKey {
    pub layer: Name,
    pub field: Name,
    pub prefix: Option<usize>,
    pub container: Name,
    pub container_field: Name,
    pub container_where: Option<Name>,
    #[serde(default = "default_tolerance")]
    pub tolerance: f64,
}

type Boxed = GeomWithData<Rectangle<[f64; 2]>, usize>;

impl Check for ContainerKey {
    fn frame(&self) -> &Name {
        &self.layer
    }

    fn describe(&self) -> String {
        let field = phrase::field(&self.layer, &self.field);
        let named = match self.prefix {
            Some(n) => format!("the first {n} characters of {field}"),
            None => field,
        };
        let containers =
            phrase::selected(&self.container, "features", self.container_where.as_ref());
        format!(
            "every {} feature lying {} has {named} equal to that feature's {}",
            self.layer.value,
            phrase::inside(&containers, self.tolerance),
            phrase::field(&self.container, &self.container_field)
        )
    }

    fn reads(&self) -> Vec<Read<'_>> {
        vec![
            Read::field(&self.layer, &self.field),
            Read::field(&self.container, &self.container_field),
        ]
    }

    fn measures(&self) -> Vec<&Name> {
        vec![&self.layer, &self.container]
    }

    fn lint(&self, cx: &LintContext) -> Vec<Problem> {
        self.container_where
            .iter()
            .flat_map(|w| cx.check_condition(&self.container, w))
            .collect()
    }

    fn run(&self, cx: &Context) -> Result<Vec<Finding>, NotRun> {
        let (frame, _) = cx.layer(&self.layer.value)?;
        let (container, _) = cx.layer(&self.container.value)?;
        let rows = rows_where(container, self.container_where.as_ref())?;
        let containers: Vec<(usize, MultiPolygon<f64>)> = cx
            .measurable(container, rows)?
            .into_iter()
            .map(|row| (row, Polys::of(container, &[row]).union_input()))
            .collect();
        let regions: Vec<Region> = containers.iter().map(|(_, g)| Region::new(g)).collect();
        let index: RTree<Boxed> = RTree::bulk_load(
            containers
                .iter()
                .enumerate()
                .filter_map(|(i, (_, g))| {
                    let r = g.bounding_rect()?;
                    let rect = Rectangle::from_corners(r.min().into(), r.max().into());
                    Some(GeomWithData::new(rect, i))
                })
                .collect(),
        );
        let (field, key_field) = (&self.field.value, &self.container_field.value);
        let mut findings = Vec::new();
        for row in cx.measurable(frame, cx.rows(frame)?)? {
            let Some(value) = frame.text(field, row) else {
                continue;
            };
            let feature = Polys::of(frame, &[row]);
            let Some(r) = feature.bounding_rect() else {
                continue;
            };
            let reach = AABB::from_corners(r.min().into(), r.max().into());
            let mut holders: Vec<usize> = Vec::new();
            for candidate in index.locate_in_envelope_intersecting(&reach) {
                if self.lies_within(cx, &feature, &regions[candidate.data])? {
                    holders.push(containers[candidate.data].0);
                }
            }
            // Nested containers (a park inside a reserve) leave the choice open: any one will do.
            holders.sort_unstable();
            let keys: Vec<String> = holders
                .iter()
                .filter_map(|&h| container.text(key_field, h))
                .collect();
            // The container's key is cut as the value is: a township's 9-digit code opens with
            // its county's 6 (format 1.1 section 3), and that county registers the unit.
            let cut = |s: &str| -> String {
                match self.prefix {
                    Some(n) => s.chars().take(n).collect(),
                    None => s.to_owned(),
                }
            };
            let compared = cut(&value);
            if keys.is_empty() || keys.iter().any(|k| cut(k) == compared) {
                continue;
            }
            let holder = holders[0];
            let key = &keys[0];
            let expected = cut(key);
            let what = match self.prefix {
                Some(n) => format!("{field} 前 {n} 位应为 {expected}，实为 {compared}"),
                None => format!("{field} 应为 {key}，实为 {value}"),
            };
            let f = cx
                .finding(
                    frame,
                    &[row],
                    format!("位于 {} {key} 之内，{what}", container.name),
                )
                .with_related(Related {
                    layer: container.name.clone(),
                    feature_ids: vec![cx.feature_id(container, holder)],
                })
                .with_measured(Value::String(compared))
                .with_expected(Value::String(expected));
            findings.push(f);
        }
        Ok(findings)
    }
}

impl ContainerKey {
    fn lies_within(
        &self,
        cx: &Context,
        feature: &Polys,
        container: &Region,
    ) -> Result<bool, NotRun> {
        let mut out_area = 0.0;
        for p in &feature.polys {
            if let Some((out, _)) = container
                .outside(p)
                .map_err(|_| NotRun(too_complex(&self.layer.value, "所在范围")))?
            {
                out_area += area_m2(cx, &out)?;
            }
        }
        Ok(out_area <= self.tolerance)
    }
}
