//! `geometry_valid`: every feature has a geometry of the layer's type that is valid in the OGC
//! simple-features sense.
//!
//! ## Parameters
//! - `layer`: the layer; its geometry type comes from the schema.
//!
//! ## Reasons
//! `geometry_null`, `geometry_empty`, `wrong_type`, `ring_not_closed` (seen in the file, before
//! geo-types closes rings), `invalid_coordinate` (NaN or infinite), `too_few_points`,
//! `self_intersection`, `hole_outside_shell`, `rings_cross` (two rings of a polygon share a
//! line or an area), `shells_overlap` and `shells_touch_on_line` (parts of a multipolygon).
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

use geo::algorithm::validation::{InvalidMultiPolygon, InvalidPolygon, RingRole, Validation};
use geo::{CoordsIter, Geometry};
use serde::Deserialize;
use serde_json::json;

use super::{Check, Context, NotRun, Read};
use crate::package::RawDefect;
use crate::report::Finding;
use crate::rules::Name;
use crate::schema::GeometryKind;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeometryValid {
    pub layer: Name,
}

/// A reason with its stable code and its Chinese text.
type Reason = (&'static str, String);

fn ring_name(role: &RingRole) -> String {
    match role {
        RingRole::Exterior => "外环".into(),
        RingRole::Interior(i) => format!("内环{}", i + 1),
    }
}

fn polygon_reason(e: &InvalidPolygon) -> Reason {
    match e {
        InvalidPolygon::TooFewPointsInRing(r) => ("too_few_points", format!("{}点数不足", ring_name(r))),
        InvalidPolygon::SelfIntersection(r) => ("self_intersection", format!("{}自相交", ring_name(r))),
        InvalidPolygon::NonFiniteCoord(r, i) => (
            "invalid_coordinate",
            format!("{}第{}个坐标无效", ring_name(r), i.0 + 1),
        ),
        InvalidPolygon::InteriorRingNotContainedInExteriorRing(r) => {
            ("hole_outside_shell", format!("{}不在外环内", ring_name(r)))
        }
        InvalidPolygon::IntersectingRingsOnALine(a, b) | InvalidPolygon::IntersectingRingsOnAnArea(a, b) => (
            "rings_cross",
            format!("{}与{}相交", ring_name(a), ring_name(b)),
        ),
    }
}

fn reasons_of(g: &Geometry<f64>, kind: Option<GeometryKind>) -> Vec<Reason> {
    let type_ok = matches!(
        (kind, g),
        (None, _)
            | (Some(GeometryKind::Polygon), Geometry::Polygon(_) | Geometry::MultiPolygon(_))
            | (Some(GeometryKind::Line), Geometry::LineString(_) | Geometry::MultiLineString(_))
            | (Some(GeometryKind::Point), Geometry::Point(_) | Geometry::MultiPoint(_))
    );
    if !type_ok {
        let kind = kind.map_or("", GeometryKind::name);
        return vec![("wrong_type", format!("几何类型为 {}，应为 {kind}", type_name(g)))];
    }
    if g.coords_iter().next().is_none() {
        return vec![("geometry_empty", "几何为空".into())];
    }
    if g.coords_iter().any(|c| !c.x.is_finite() || !c.y.is_finite()) {
        return vec![("invalid_coordinate", "含有非有限坐标（NaN 或无穷）".into())];
    }
    let mut reasons: Vec<Reason> = match g {
        Geometry::Polygon(p) => p.validation_errors().iter().map(polygon_reason).collect(),
        Geometry::MultiPolygon(mp) => mp
            .validation_errors()
            .iter()
            .map(|e| match e {
                InvalidMultiPolygon::InvalidPolygon(i, e) => {
                    let (code, text) = polygon_reason(e);
                    (code, format!("第{}部分{text}", i.0 + 1))
                }
                InvalidMultiPolygon::ElementsOverlaps(a, b) => (
                    "shells_overlap",
                    format!("第{}部分与第{}部分重叠", a.0 + 1, b.0 + 1),
                ),
                InvalidMultiPolygon::ElementsTouchOnALine(a, b) => (
                    "shells_touch_on_line",
                    format!("第{}部分与第{}部分沿线相接", a.0 + 1, b.0 + 1),
                ),
            })
            .collect(),
        other => other
            .validation_errors()
            .iter()
            .map(|e| ("invalid", e.to_string()))
            .collect(),
    };
    reasons.dedup();
    reasons
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

    fn reads(&self) -> Vec<Read<'_>> {
        vec![Read::frame(&self.layer)]
    }

    fn run(&self, cx: &Context) -> Result<Vec<Finding>, NotRun> {
        let frame = cx.frame(&self.layer.value)?;
        let column = frame
            .geometry
            .as_ref()
            .ok_or_else(|| NotRun(format!("{} has no geometry", frame.name)))?;
        let kind = cx
            .rules
            .schema
            .layers
            .get(&frame.name)
            .and_then(|d| d.geometry);
        let mut findings = Vec::new();
        for row in cx.rows(frame)? {
            let mut reasons: Vec<Reason> = column
                .defects
                .iter()
                .filter(|(r, _)| *r == row)
                .map(|(_, d)| match d {
                    RawDefect::RingNotClosed { ring } => (
                        "ring_not_closed",
                        format!("{}未闭合", ring_name(&if *ring == 0 { RingRole::Exterior } else { RingRole::Interior(ring - 1) })),
                    ),
                })
                .collect();
            match column.geoms.get(row).and_then(Option::as_ref) {
                None => reasons.push(("geometry_null", "没有几何".into())),
                Some(g) => reasons.extend(reasons_of(g, kind)),
            }
            if reasons.is_empty() {
                continue;
            }
            let texts: Vec<&str> = reasons.iter().map(|(_, t)| t.as_str()).collect();
            let codes: Vec<&str> = reasons.iter().map(|(c, _)| *c).collect();
            let mut f = cx.finding(frame, &[row], format!("几何无效：{}", texts.join("；")));
            f.measured = Some(json!({ "reasons": codes }));
            f.expected = Some(json!("valid"));
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
        let codes: Vec<&str> = reasons_of(&Geometry::Polygon(p), Some(GeometryKind::Polygon))
            .into_iter()
            .map(|(c, _)| c)
            .collect();
        assert_eq!(codes, vec!["self_intersection"]);
    }

    #[test]
    fn wrong_type_and_empty() {
        let line = Geometry::LineString(line_string![(x: 0., y: 0.), (x: 1., y: 1.)]);
        assert_eq!(reasons_of(&line, Some(GeometryKind::Polygon))[0].0, "wrong_type");
        let empty = Geometry::MultiPolygon(MultiPolygon::<f64>::new(vec![]));
        assert_eq!(reasons_of(&empty, Some(GeometryKind::Polygon))[0].0, "geometry_empty");
    }

    #[test]
    fn non_finite_coordinate() {
        let p = polygon![(x: 0., y: 0.), (x: f64::NAN, y: 1.), (x: 1., y: 0.), (x: 0., y: 0.)];
        assert_eq!(reasons_of(&Geometry::Polygon(p), Some(GeometryKind::Polygon))[0].0, "invalid_coordinate");
    }
}
