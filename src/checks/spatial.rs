//! What the topology checks share: a layer's measurable features as polygons, and pair results
//! mapped back from polygons to features.

use std::collections::BTreeMap;

use geo::{BoundingRect, Geometry, MultiPolygon, Polygon, Rect};

use serde_json::json;

use super::{Context, NotRun};
use crate::finding::{Finding, Related, Unit};
use crate::geom::area::{multi_polygon_area, perimeter, planar_floor};
use crate::geom::bounds;
use crate::geom::crs::Crs;
use crate::geom::topology::Pairs;
use crate::package::Frame;

/// Polygons of some features of a layer; a multipolygon contributes each of its parts.
pub struct Polys {
    pub polys: Vec<Polygon<f64>>,
    /// The feature (row) each polygon belongs to.
    pub owner: Vec<usize>,
}

impl Polys {
    pub fn of(frame: &Frame, rows: &[usize]) -> Polys {
        let mut polys = Vec::new();
        let mut owner = Vec::new();
        let geoms = frame.geometry.as_ref().map(|g| &g.geoms[..]).unwrap_or(&[]);
        for &row in rows {
            let parts: Vec<Polygon<f64>> = match geoms.get(row).and_then(Option::as_ref) {
                Some(Geometry::Polygon(p)) => vec![p.clone()],
                Some(Geometry::MultiPolygon(mp)) => mp.0.clone(),
                _ => vec![],
            };
            owner.extend(std::iter::repeat_n(row, parts.len()));
            polys.extend(parts);
        }
        Polys { polys, owner }
    }

    /// All polygons as one multipolygon, e.g. a container's extent: moved, not copied, since
    /// a unit may hold millions of vertices.
    pub fn union_input(self) -> MultiPolygon<f64> {
        MultiPolygon::new(self.polys)
    }

    /// The box around all polygons.
    pub fn bounding_rect(&self) -> Option<Rect<f64>> {
        bounds(self.polys.iter().filter_map(|p| p.bounding_rect()))
    }
}

/// Why `what` (a layer, two layers) was not checked for `unchecked` (缝隙, 重叠, …): its overlay
/// was not attempted (see `geom::topology::too_complex`).
pub fn too_complex(what: &str, unchecked: &str) -> String {
    format!("{what} 边界过于复杂，{unchecked}的叠加运算超出预算")
}

/// Overlapping polygon pairs merged into feature pairs `(row a, row b)`, with their overlap
/// geometry. `b` is `None` for pairs within `a`'s layer, where parts of one feature do not
/// pair with each other. Pairs too complex to overlay are counted as skipped, named by `what`.
pub fn feature_pairs(
    cx: &Context,
    overlaps: Pairs,
    what: &str,
    a: &Polys,
    b: Option<&Polys>,
) -> BTreeMap<(usize, usize), MultiPolygon<f64>> {
    cx.skipped(overlaps.too_complex, Unit::Pairs, too_complex(what, "重叠"));
    let mut pairs: BTreeMap<(usize, usize), MultiPolygon<f64>> = BTreeMap::new();
    for o in overlaps.found {
        let key = (a.owner[o.a], b.unwrap_or(a).owner[o.b]);
        if b.is_none() && key.0 == key.1 {
            continue;
        }
        pairs
            .entry(key)
            .or_insert_with(|| MultiPolygon::new(vec![]))
            .0
            .extend(o.geometry.0);
    }
    pairs
}

/// The package CRS, in which every measurement is made.
fn crs<'a>(cx: &Context<'a>) -> Result<&'a Crs, NotRun> {
    cx.derived.crs.as_ref().ok_or_else(|| {
        NotRun(format!(
            "成果包坐标系 {} 无法量算面积",
            cx.dataset.manifest.crs.as_deref().unwrap_or("（未声明）")
        ))
    })
}

/// The ellipsoidal area of a defect's geometry, in m².
pub fn area_m2(cx: &Context, g: &MultiPolygon<f64>) -> Result<f64, NotRun> {
    Ok(multi_polygon_area(g, crs(cx)?))
}

/// The width of a gap in metres on the ellipsoid, 2 × area / perimeter, its area given in m²
/// (see `no_gaps`), whatever the package CRS.
pub fn width_m(cx: &Context, gap: &Polygon<f64>, area_m2: f64) -> Result<f64, NotRun> {
    let perimeter = perimeter(gap, crs(cx)?);
    Ok(if perimeter > 0.0 {
        2.0 * area_m2 / perimeter
    } else {
        0.0
    })
}

/// The planar area, in CRS units, below which the topology functions may drop an overlap, gap
/// or overhang among `polys` without losing one of more than `m2` square metres on the
/// ellipsoid: half of the smallest planar equivalent over their latitudes (a margin for the
/// overlay's rounding of slivers). Only a pre-filter; findings compare ellipsoidal areas.
pub fn planar_threshold(cx: &Context, m2: f64, polys: &[&Polys]) -> Result<f64, NotRun> {
    let extent = bounds(polys.iter().filter_map(|p| p.bounding_rect()));
    Ok(0.5 * planar_floor(crs(cx)?, m2, extent))
}

/// Findings for overlapping feature pairs (`a` in `frame`, `b` in `other`) whose ellipsoidal
/// area exceeds `min_area`: on `a`, with `b` as the related feature and the overlap as geometry.
pub fn overlap_findings(
    cx: &Context,
    frame: &Frame,
    other: &Frame,
    pairs: BTreeMap<(usize, usize), MultiPolygon<f64>>,
    min_area: f64,
) -> Result<Vec<Finding>, NotRun> {
    let mut findings = Vec::new();
    for ((a, b), geometry) in pairs {
        let area = area_m2(cx, &geometry)?;
        if area <= min_area {
            continue;
        }
        let id = cx.feature_id(other, b);
        let name = id.key.clone().unwrap_or_else(|| format!("FID {b}"));
        let mut f = cx
            .finding(
                frame,
                &[a],
                format!("与 {} {name} 重叠 {} m²", other.name, m2(area)),
            )
            .with_related(Related {
                layer: other.name.clone(),
                feature_ids: vec![id],
            })
            .with_measured(json!({ "area": m2(area), "unit": "m2" }))
            .with_expected(json!({ "max_area": min_area }));
        f.geometry = Some(Geometry::MultiPolygon(geometry));
        findings.push(f);
    }
    Ok(findings)
}

/// m² as reports print them.
pub fn m2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}
