//! `within`: each feature lies within the union of a container layer, within a tolerance.
//!
//! ## Parameters
//! - `layer`; the rule's `where` selects its features.
//! - `container`: the layer whose union must hold them (e.g. the package's XZQ).
//! - `tolerance`: m² of a feature that may lie outside, default 0.01.
//!
//! ## Example
//! ```yaml
//! - id: ZR-T104
//!   title: 登记单元超出行政区范围
//!   class: B
//!   element: 逻辑一致性
//!   within: { layer: ZRZYDJDY, container: XZQ }
//! ```
//!
//! ## Finding
//! `有 523.10 m² 位于 XZQ 之外`, the outside part as geometry.

use geo::{Geometry, MultiPolygon};
use serde::Deserialize;
use serde_json::json;

use super::spatial::{area_m2, m2, too_complex, Polys};
use super::{phrase, Check, Context, NotRun, Read};
use crate::diag::Name;
use crate::finding::{Finding, Unit};
use crate::geom::topology::{Region, TooComplex};

fn default_tolerance() -> f64 {
    0.01
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Within {
    pub layer: Name,
    pub container: Name,
    #[serde(default = "default_tolerance")]
    pub tolerance: f64,
}

impl Check for Within {
    fn frame(&self) -> &Name {
        &self.layer
    }

    fn describe(&self) -> String {
        format!(
            "every {} feature lies {}",
            self.layer.value,
            phrase::inside(&self.container.value, self.tolerance)
        )
    }

    fn reads(&self) -> Vec<Read<'_>> {
        vec![Read::frame(&self.layer), Read::frame(&self.container)]
    }

    fn measures(&self) -> Vec<&Name> {
        vec![&self.layer, &self.container]
    }

    fn run(&self, cx: &Context) -> Result<Vec<Finding>, NotRun> {
        let (frame, _) = cx.layer(&self.layer.value)?;
        let (container, _) = cx.layer(&self.container.value)?;
        let all: Vec<usize> = (0..container.len()).collect();
        let measurable = cx.measurable(container, all.clone())?;
        if measurable.len() < all.len() {
            return Err(NotRun(format!(
                "{} 有无法量算的要素，范围不可靠",
                container.name
            )));
        }
        let extent = Polys::of(container, &measurable).union_input();
        let extent = Region::new(&extent);
        let mut findings = Vec::new();
        let mut unchecked = 0;
        for row in cx.measurable(frame, cx.rows(frame)?)? {
            let mut parts: Vec<geo::Polygon<f64>> = Vec::new();
            let mut complex = false;
            for p in Polys::of(frame, &[row]).polys {
                match extent.outside(p) {
                    Ok(Some((out, _))) => parts.extend(out.0),
                    Ok(None) => {}
                    Err(TooComplex) => complex = true,
                }
            }
            if complex {
                // Not judged on its other parts: its area outside is unknown.
                unchecked += 1;
                continue;
            }
            if parts.is_empty() {
                continue;
            }
            let out = MultiPolygon::new(parts);
            let area = area_m2(cx, &out)?;
            if area <= self.tolerance {
                continue;
            }
            let mut f = cx
                .finding(
                    frame,
                    &[row],
                    format!("有 {} m² 位于 {} 之外", m2(area), container.name),
                )
                .with_measured(json!({ "outside_area": m2(area), "unit": "m2" }))
                .with_expected(json!({ "max_outside_area": self.tolerance }));
            f.geometry = Some(Geometry::MultiPolygon(out));
            findings.push(f);
        }
        cx.skipped(unchecked, Unit::Features, too_complex(&frame.name, "出界"));
        Ok(findings)
    }
}
