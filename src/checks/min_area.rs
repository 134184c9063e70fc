//! `min_area`: no fragment polygons (碎片图斑): every feature's ellipsoidal area reaches a
//! threshold.
//!
//! ## Parameters
//! - `layer`; the rule's `where` selects the features (e.g. by land class, since 最小上图面积
//!   differs: 建设用地 200 m², 农用地 400 m², 其他 600 m²).
//! - `min_area`: m².
//!
//! ## Example
//! ```yaml
//! - id: ZR-T110
//!   title: 自然状况图斑面积小于最小上图面积
//!   class: C
//!   element: 逻辑一致性
//!   min_area: { layer: ZRZK, min_area: 400 }
//! ```
//!
//! ## Finding
//! `面积 123.45 m²，小于最小上图面积 400 m²`.

use serde::Deserialize;
use serde_json::json;

use super::spatial::m2;
use super::{phrase, Check, Context, NotRun, Read};
use crate::diag::Name;
use crate::finding::Finding;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MinArea {
    pub layer: Name,
    pub min_area: f64,
}

impl Check for MinArea {
    fn frame(&self) -> &Name {
        &self.layer
    }

    fn describe(&self) -> String {
        format!(
            "every {} feature has an ellipsoidal area of at least {}",
            self.layer.value,
            phrase::m2(self.min_area)
        )
    }

    fn reads(&self) -> Vec<Read<'_>> {
        vec![Read::frame(&self.layer)]
    }

    fn measures(&self) -> Vec<&Name> {
        vec![&self.layer]
    }

    fn run(&self, cx: &Context) -> Result<Vec<Finding>, NotRun> {
        let (frame, _) = cx.layer(&self.layer.value)?;
        let facts = cx.facts(frame)?;
        let mut findings = Vec::new();
        for row in cx.measurable(frame, cx.rows(frame)?)? {
            let area = facts.areas[row];
            if area >= self.min_area {
                continue;
            }
            let f = cx
                .finding(
                    frame,
                    &[row],
                    format!(
                        "面积 {} m²，小于最小上图面积 {} m²",
                        m2(area),
                        self.min_area
                    ),
                )
                .with_measured(json!({ "area": m2(area), "unit": "m2" }))
                .with_expected(json!({ "min_area": self.min_area }));
            findings.push(f);
        }
        Ok(findings)
    }
}
