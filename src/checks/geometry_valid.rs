//! `geometry_valid`: every feature has a geometry of the layer's type that is valid in the OGC
//! simple-features sense.
//!
//! ## Parameters
//! - `layer`: the layer; its geometry type comes from the schema.
//! - Optional shape checks on valid geometries: `repeated_points: true` (`repeated_point`),
//!   `spike_angle: 5` (`spike`: the boundary turns back by less than 5°), `min_segment: 0.2`
//!   (`short_segment`, m). They are off by default. Lengths are metres and angles true degrees
//!   in every package CRS: a lon/lat ring is measured on its local tangent plane. Without a
//!   CGCS2000 package CRS (a `crs` finding) the coordinates are taken as metres.
//!
//! ## Reasons
//! `geometry_null`, `geometry_empty`, `wrong_type`, `ring_not_closed` (seen in the file, before
//! geo-types closes rings), and every reason of OGC/JTS validity as [`crate::geom::validity`]
//! decides it (agreeing with JTS on all 914 cases of its validity suite): `invalid_coordinate`,
//! `too_few_points`, `self_intersection`, `ring_self_intersection`, `hole_outside_shell`,
//! `nested_holes`, `disconnected_interior`, `nested_shells`, `duplicate_rings`. The finding's
//! `measured.at` gives the place of each reason.
//!
//! ## Example
//! ```yaml
//! - id: ZR-G002
//!   title: 自然状况图斑几何无效
//!   class: B
//!   element: 逻辑一致性
//!   geometry_valid: { layer: ZRZK }
//! ```
//!
//! ## Finding
//! One per invalid feature, with every reason: `几何无效：外环自相交`, measured
//! `{"reasons": ["self_intersection"]}`, the feature's geometry as location.

use geo::{Coord, CoordsIter, Geometry};
use rayon::prelude::*;
use serde::Deserialize;
use serde_json::json;

use super::derived::Skip;
use super::{phrase, Check, Context, NotRun, Read};
use crate::diag::Name;
use crate::finding::Finding;
use crate::geom::crs::Crs;
use crate::geom::shape::{repeated_points, rings, short_segments, spikes, Local};
use crate::geom::validity::{validate, Invalidity};
use crate::package::{GeometryColumn, RawDefect};
use crate::schema::GeometryKind;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeometryValid {
    pub layer: Name,
    /// Also report vertices repeated consecutively.
    #[serde(default)]
    pub repeated_points: bool,
    /// Also report spikes: vertices where the boundary turns back by less than this angle (°).
    pub spike_angle: Option<f64>,
    /// Also report segments shorter than this (m), e.g. 0.2 at 1:10 000 (三调 QA: 短线).
    pub min_segment: Option<f64>,
}

impl GeometryValid {
    /// The optional shape defects of a valid geometry.
    /// `crs`: the package CRS, in which `min_segment` and `spike_angle` are measured in metres
    /// and true degrees; `None` (not a CGCS2000 CRS) takes the coordinates as metres.
    fn shape_causes(&self, g: &Geometry<f64>, crs: Option<&Crs>) -> Vec<Cause> {
        let mut causes = Vec::new();
        for ring in rings(g) {
            if self.repeated_points {
                causes.extend(
                    repeated_points(ring)
                        .into_iter()
                        .map(|c| ("repeated_point", "重复节点".to_owned(), Some(c))),
                );
            }
            let Some(&first) = ring.0.first() else {
                continue;
            };
            let local = Local::new(crs, first);
            let plane = local.ring(ring);
            if let Some(angle) = self.spike_angle {
                causes.extend(spikes(&plane, angle).into_iter().map(|c| {
                    (
                        "spike",
                        format!("尖角（小于 {angle}°）"),
                        Some(local.back(c)),
                    )
                }));
            }
            if let Some(len) = self.min_segment {
                causes.extend(short_segments(&plane, len).into_iter().map(|c| {
                    (
                        "short_segment",
                        format!("短线（短于 {len} m）"),
                        Some(local.back(c)),
                    )
                }));
            }
        }
        causes
    }
}

/// A cause of invalidity: its stable code, its Chinese text and, where known, its place.
pub(crate) type Cause = (&'static str, String, Option<Coord<f64>>);

fn ring_name(ring: usize) -> String {
    match ring {
        0 => "外环".into(),
        i => format!("内环{i}"),
    }
}

fn cause_of(inv: &Invalidity) -> Cause {
    let mut text = String::new();
    if let Some(part) = inv.part {
        text.push_str(&format!("第{}部分", part + 1));
    }
    if let Some(ring) = inv.ring {
        text.push_str(&ring_name(ring));
    }
    text.push_str(inv.reason.zh());
    (inv.reason.code(), text, inv.location)
}

fn causes_of(g: &Geometry<f64>, kind: Option<GeometryKind>) -> Vec<Cause> {
    let type_ok = matches!(
        (kind, g),
        (None, _)
            | (
                Some(GeometryKind::Polygon),
                Geometry::Polygon(_) | Geometry::MultiPolygon(_)
            )
            | (
                Some(GeometryKind::Line),
                Geometry::LineString(_) | Geometry::MultiLineString(_)
            )
            | (
                Some(GeometryKind::Point),
                Geometry::Point(_) | Geometry::MultiPoint(_)
            )
    );
    if !type_ok {
        let kind = kind.map_or("", GeometryKind::name);
        return vec![(
            "wrong_type",
            format!("几何类型为 {}，应为 {kind}", type_name(g)),
            None,
        )];
    }
    if g.coords_iter().next().is_none() {
        return vec![("geometry_empty", "几何为空".into(), None)];
    }
    let mut causes: Vec<Cause> = validate(g).iter().map(cause_of).collect();
    causes.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    causes
}

/// Every cause of feature `row` being invalid: defects seen while decoding, then the geometry's
/// own.
pub(crate) fn feature_causes(
    column: &GeometryColumn,
    row: usize,
    kind: Option<GeometryKind>,
) -> Vec<Cause> {
    let mut causes: Vec<Cause> = column
        .defects_of(row)
        .iter()
        .map(|(_, d)| match d {
            RawDefect::RingNotClosed { ring } => (
                "ring_not_closed",
                format!("{}未闭合", ring_name(*ring)),
                None,
            ),
        })
        .collect();
    match column.geoms.get(row).and_then(Option::as_ref) {
        None => causes.push(("geometry_null", "没有几何".into(), None)),
        Some(g) => causes.extend(causes_of(g, kind)),
    }
    causes
}

fn type_name(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "Point",
        Geometry::Line(_) => "Line",
        Geometry::LineString(_) => "LineString",
        Geometry::Polygon(_) => "Polygon",
        Geometry::MultiPoint(_) => "MultiPoint",
        Geometry::MultiLineString(_) => "MultiLineString",
        Geometry::MultiPolygon(_) => "MultiPolygon",
        Geometry::GeometryCollection(_) => "GeometryCollection",
        Geometry::Rect(_) => "Rect",
        Geometry::Triangle(_) => "Triangle",
    }
}

impl Check for GeometryValid {
    fn frame(&self) -> &Name {
        &self.layer
    }

    fn describe(&self) -> String {
        let mut shape = Vec::new();
        if self.repeated_points {
            shape.push("repeated points".to_owned());
        }
        if let Some(angle) = self.spike_angle {
            shape.push(format!("spikes sharper than {angle}°"));
        }
        if let Some(length) = self.min_segment {
            shape.push(format!("segments shorter than {length} m"));
        }
        let valid = format!(
            "every {} feature has a valid geometry of the layer's type",
            self.layer.value
        );
        if shape.is_empty() {
            valid
        } else {
            format!("{valid}, without {}", phrase::list(&shape, "or"))
        }
    }

    fn reads(&self) -> Vec<Read<'_>> {
        vec![Read::frame(&self.layer)]
    }

    fn run(&self, cx: &Context) -> Result<Vec<Finding>, NotRun> {
        let (frame, column) = cx.layer(&self.layer.value)?;
        let kind = cx.schema.layers.get(&frame.name).and_then(|d| d.geometry);
        // The engine measured the layer already when another rule needed its areas: a feature it
        // found measurable, or only misfit to the CRS, has no validity cause to look for again.
        let measured = cx.derived.layers.get(&frame.name).map(|f| &f.skip[..]);
        let valid = |row: usize| {
            measured.is_some_and(|skip| matches!(skip.get(row), Some(None | Some(Skip::Misfit(_)))))
        };
        let rows = cx.rows(frame)?;
        let causes: Vec<(usize, Vec<Cause>)> = rows
            .par_iter()
            .filter_map(|&row| {
                let mut causes = if valid(row) {
                    Vec::new()
                } else {
                    feature_causes(column, row, kind)
                };
                if causes.is_empty() {
                    if let Some(g) = column.geoms.get(row).and_then(Option::as_ref) {
                        causes = self.shape_causes(g, cx.derived.crs.as_ref());
                    }
                }
                (!causes.is_empty()).then_some((row, causes))
            })
            .collect();
        let mut findings = Vec::new();
        for (row, causes) in causes {
            let texts: Vec<&str> = causes.iter().map(|(_, t, _)| t.as_str()).collect();
            let codes: Vec<&str> = causes.iter().map(|(c, _, _)| *c).collect();
            let at: Vec<[f64; 2]> = causes
                .iter()
                .filter_map(|(_, _, at)| at.map(|c| [c.x, c.y]))
                .collect();
            let f = cx
                .finding(frame, &[row], format!("几何无效：{}", texts.join("；")))
                .with_measured(json!({ "reasons": codes, "at": at }))
                .with_expected(json!("valid"));
            findings.push(f);
        }
        Ok(findings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{line_string, polygon, MultiPolygon};

    #[test]
    fn bowtie_is_self_intersecting() {
        let p = polygon![(x: 0., y: 0.), (x: 1., y: 1.), (x: 1., y: 0.), (x: 0., y: 1.), (x: 0., y: 0.)];
        let codes: Vec<&str> = causes_of(&Geometry::Polygon(p), Some(GeometryKind::Polygon))
            .into_iter()
            .map(|(c, _, _)| c)
            .collect();
        assert_eq!(codes, vec!["self_intersection"]);
    }

    #[test]
    fn wrong_type_and_empty() {
        let line = Geometry::LineString(line_string![(x: 0., y: 0.), (x: 1., y: 1.)]);
        assert_eq!(
            causes_of(&line, Some(GeometryKind::Polygon))[0].0,
            "wrong_type"
        );
        let empty = Geometry::MultiPolygon(MultiPolygon::<f64>::new(vec![]));
        assert_eq!(
            causes_of(&empty, Some(GeometryKind::Polygon))[0].0,
            "geometry_empty"
        );
    }

    #[test]
    fn non_finite_coordinate() {
        let p = polygon![(x: 0., y: 0.), (x: f64::NAN, y: 1.), (x: 1., y: 0.), (x: 0., y: 0.)];
        assert_eq!(
            causes_of(&Geometry::Polygon(p), Some(GeometryKind::Polygon))[0].0,
            "invalid_coordinate"
        );
    }
}
