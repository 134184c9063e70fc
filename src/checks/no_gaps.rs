//! `no_gaps`: a layer that should form a coverage has no gaps.
//!
//! A gap is a hole of the layer's union: area enclosed by features but covered by none. With
//! `within: LAYER`, the parts of that layer's area covered by no feature are gaps too (e.g.
//! parcels against the county).
//!
//! Each gap is reported with its polygon, ellipsoidal area and width, in m² and m whatever the
//! package CRS (a lon/lat layer is measured on the ellipsoid, never in degrees). The width is
//! 2 × area / perimeter, the perimeter measured on the ellipsoid too: for a sliver, its width; for a compact gap, between half and all of the
//! diameter of its largest inscribed circle, which is what GEOS's coverage gap finder
//! (`gap_width`) compares. So every gap GEOS reports as narrower than `w` has a width ≤ `w`
//! here. Desktop tools instead filter gaps by area, as `max_area` does.
//!
//! ## Parameters
//! - `layer`; the rule's `where` selects its features.
//! - `within`: optional container layer.
//! - `max_width` (m), `max_area` (m²): report only gaps at most this narrow and this small:
//!   slivers are digitising defects, larger holes may be intended. Without them every gap is
//!   reported.
//!
//! ## Example
//! ```yaml
//! - id: ZR-T105
//!   title: 自然状况图斑之间存在缝隙
//!   class: B
//!   element: 逻辑一致性
//!   no_gaps: { layer: ZRZK, max_width: 1.0 }
//! ```
//!
//! ## Finding
//! `覆盖缝隙 12.34 m²，宽 0.21 m`, the gap as geometry.

use geo::{Geometry, MultiPolygon};
use serde::Deserialize;
use serde_json::json;

use super::spatial::{area_m2, m2, too_complex, width_m, Polys};
use super::{phrase, Check, Context, NotRun, Read};
use crate::diag::Name;
use crate::finding::Finding;
use crate::geom::topology::gaps;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoGaps {
    pub layer: Name,
    pub within: Option<Name>,
    pub max_width: Option<f64>,
    pub max_area: Option<f64>,
}

impl Check for NoGaps {
    fn frame(&self) -> &Name {
        &self.layer
    }

    fn describe(&self) -> String {
        let covers = match &self.within {
            Some(container) => format!(" and covers {}", container.value),
            None => String::new(),
        };
        let mut limits = Vec::new();
        if let Some(width) = self.max_width {
            limits.push(format!("at most {width} m wide"));
        }
        if let Some(area) = self.max_area {
            limits.push(format!("at most {}", phrase::m2(area)));
        }
        let counted = if limits.is_empty() {
            String::new()
        } else {
            format!(", counting gaps {}", phrase::list(&limits, "and"))
        };
        format!("{} has no gaps{covers}{counted}", self.layer.value)
    }

    fn reads(&self) -> Vec<Read<'_>> {
        let mut reads = vec![Read::frame(&self.layer)];
        reads.extend(self.within.iter().map(Read::frame));
        reads
    }

    fn measures(&self) -> Vec<&Name> {
        let mut layers = vec![&self.layer];
        layers.extend(&self.within);
        layers
    }

    fn run(&self, cx: &Context) -> Result<Vec<Finding>, NotRun> {
        let (frame, _) = cx.layer(&self.layer.value)?;
        let polys = Polys::of(frame, &cx.measurable(frame, cx.rows(frame)?)?);
        let extent = match &self.within {
            None => None,
            Some(name) => {
                let (container, _) = cx.layer(&name.value)?;
                let all: Vec<usize> = (0..container.len()).collect();
                Some(Polys::of(container, &cx.measurable(container, all)?).union_input())
            }
        };
        let mut findings = Vec::new();
        let found = gaps(&polys.polys, extent.as_ref())
            .map_err(|_| NotRun(too_complex(&frame.name, "缝隙")))?;
        for gap in found {
            let geometry = MultiPolygon::new(vec![gap.geometry]);
            let area = area_m2(cx, &geometry)?;
            let width = width_m(cx, &geometry.0[0], area)?;
            let slim = self.max_width.is_none_or(|w| width <= w);
            let small = self.max_area.is_none_or(|a| area <= a);
            if !(slim && small) {
                continue;
            }
            let mut f = cx.frame_finding(
                &frame.name,
                format!("覆盖缝隙 {} m²，宽 {:.2} m", m2(area), width),
            ).with_measured(json!({ "area": m2(area), "width": (width * 1000.0).round() / 1000.0, "unit": "m2" })).with_expected(json!({ "max_width": self.max_width, "max_area": self.max_area }));
            f.geometry = Some(Geometry::MultiPolygon(geometry));
            findings.push(f);
        }
        Ok(findings)
    }
}
