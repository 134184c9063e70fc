//! What the topology checks share: a layer's measurable features as polygons, and pair results
//! mapped back from polygons to features.

use std::collections::{BTreeMap, HashMap};

use geo::{BoundingRect, Geometry, MultiPolygon, Polygon, Rect};

use serde_json::json;

use super::{Context, NotRun};
use crate::finding::{Finding, Related, Unit};
use crate::geom::area::{multi_polygon_area, perimeter, planar_floor};
use crate::geom::bounds;
use crate::geom::crs::Crs;
use crate::geom::topology::{overlaps, Overlap, Pairs};
use crate::package::Frame;

/// Polygons of some features of a layer; a multipolygon contributes each of its parts. They are
/// borrowed from the layer: a layer of a million parcels is not copied for a check.
pub struct Polys<'a> {
    pub polys: Vec<&'a Polygon<f64>>,
    /// The feature (row) each polygon belongs to.
    pub owner: Vec<usize>,
}

impl<'a> Polys<'a> {
    pub fn of(frame: &'a Frame, rows: &[usize]) -> Polys<'a> {
        let mut polys = Vec::new();
        let mut owner = Vec::new();
        let geoms = frame.geometry.as_ref().map(|g| &g.geoms[..]).unwrap_or(&[]);
        for &row in rows {
            let parts = match geoms.get(row).and_then(Option::as_ref) {
                Some(Geometry::Polygon(p)) => std::slice::from_ref(p),
                Some(Geometry::MultiPolygon(mp)) => &mp.0[..],
                _ => &[],
            };
            owner.extend(std::iter::repeat_n(row, parts.len()));
            polys.extend(parts);
        }
        Polys { polys, owner }
    }

    /// All polygons as one multipolygon, e.g. a container's extent.
    pub fn union_input(&self) -> MultiPolygon<f64> {
        MultiPolygon::new(self.polys.iter().map(|&p| p.clone()).collect())
    }

    /// The box around all polygons.
    pub fn bounding_rect(&self) -> Option<Rect<f64>> {
        bounds(self.polys.iter().filter_map(|p| p.bounding_rect()))
    }
}

/// The overlapping pairs among the polygons of a layer's measurable features, found once for
/// the checks that share them: `no_overlap` and `tiles` over one layer (ZR-T105 and ZR-T103 over
/// the parcels) both overlaid every pair of neighbours, and that was a third of a full run.
pub struct LayerOverlaps {
    /// For each row, the number of its first polygon; one more entry for the end.
    first: Vec<usize>,
    /// Every overlap of positive area, sorted by `(a, b)`, numbered as `first` numbers them.
    found: Vec<Overlap>,
    /// For each polygon, where its pairs (as `a`) start in `found`; one more entry for the end.
    starts: Vec<usize>,
    too_complex: Vec<(usize, usize)>,
}

impl LayerOverlaps {
    /// The overlaps among the polygons of `rows` of `frame`, in increasing order.
    pub fn find(frame: &Frame, rows: &[usize]) -> LayerOverlaps {
        let polys = Polys::of(frame, rows);
        let mut first = vec![0; frame.len() + 1];
        for &row in &polys.owner {
            first[row + 1] += 1;
        }
        for row in 0..frame.len() {
            first[row + 1] += first[row];
        }
        // No threshold: a pair's overlay does not depend on it, so each check filters by its own.
        let Pairs { found, too_complex } = overlaps(&polys.polys, 0.0);
        let mut starts = vec![0; polys.polys.len() + 1];
        for o in &found {
            starts[o.a + 1] += 1;
        }
        for a in 0..polys.polys.len() {
            starts[a + 1] += starts[a];
        }
        LayerOverlaps {
            first,
            found,
            starts,
            too_complex,
        }
    }

    /// The pairs among `polys` (of rows given to [`LayerOverlaps::find`]) whose overlap exceeds
    /// `min_area`, numbered as in `polys`: what `overlaps(&polys.polys, min_area)` finds.
    fn among(&self, polys: &Polys, min_area: f64) -> Pairs {
        // A row's polygons are consecutive, in the order `find` numbered them.
        let mut number: Vec<usize> = Vec::with_capacity(polys.polys.len());
        for (k, &row) in polys.owner.iter().enumerate() {
            number.push(match k.checked_sub(1) {
                Some(before) if polys.owner[before] == row => number[before] + 1,
                _ => self.first[row],
            });
        }
        let at: HashMap<usize, usize> = number.iter().enumerate().map(|(k, &n)| (n, k)).collect();
        let ordered = |a: usize, b: usize| (a.min(b), a.max(b));
        let mut found = Vec::new();
        for (k, &n) in number.iter().enumerate() {
            for o in &self.found[self.starts[n]..self.starts[n + 1]] {
                if o.area <= min_area {
                    continue;
                }
                if let Some(&j) = at.get(&o.b) {
                    let (a, b) = ordered(k, j);
                    found.push(Overlap {
                        a,
                        b,
                        area: o.area,
                        geometry: o.geometry.clone(),
                    });
                }
            }
        }
        found.sort_unstable_by_key(|o| (o.a, o.b));
        let mut too_complex: Vec<(usize, usize)> = self
            .too_complex
            .iter()
            .filter_map(|(a, b)| Some(ordered(*at.get(a)?, *at.get(b)?)))
            .collect();
        too_complex.sort_unstable();
        Pairs { found, too_complex }
    }
}

/// The overlapping pairs among `polys` of `frame` (their rows measurable) whose overlap exceeds
/// `min_area`, numbered as in `polys`: from the pairs found once for the layer when checks share
/// them, else found here.
pub fn overlaps_among(cx: &Context, frame: &Frame, polys: &Polys, min_area: f64) -> Pairs {
    match cx.derived.overlaps.get(&frame.name) {
        Some(shared) => shared.among(polys, min_area),
        None => overlaps(&polys.polys, min_area),
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
    cx.skipped(
        overlaps.too_complex.len(),
        Unit::Pairs,
        too_complex(what, "重叠"),
    );
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

#[cfg(test)]
mod tests {
    use geo::{coord, LineString, Rect};

    use super::*;
    use crate::package::{GeometryColumn, LayerCrs};

    fn square(x: f64, y: f64, side: f64) -> Polygon<f64> {
        Rect::new(coord! { x: x, y: y }, coord! { x: x + side, y: y + side }).to_polygon()
    }

    /// `n` spikes reaching `outer` from a ring of radius 10 around `(cx, 0)`, turned by `turn`.
    fn star(cx: f64, n: usize, outer: f64, turn: f64) -> Polygon<f64> {
        let ring: LineString<f64> = (0..2 * n)
            .map(|i| {
                let a = turn + std::f64::consts::PI * i as f64 / n as f64;
                let r = if i % 2 == 0 { outer } else { 10.0 };
                (cx + r * a.cos(), r * a.sin())
            })
            .collect();
        Polygon::new(ring, vec![])
    }

    fn layer(geoms: Vec<Geometry<f64>>) -> Frame {
        Frame {
            name: "ZRZK".into(),
            path: "vector/ZRZK.fgb".into(),
            df: polars::prelude::DataFrame::empty_with_height(geoms.len()),
            geometry: Some(GeometryColumn {
                geoms: geoms.into_iter().map(Some).collect(),
                defects: vec![],
                crs: LayerCrs::default(),
            }),
            bad_cells: vec![],
            decimals: Default::default(),
            aliases: Default::default(),
        }
    }

    fn listed(p: &Pairs) -> (Vec<String>, Vec<(usize, usize)>) {
        let found = p
            .found
            .iter()
            .map(|o| format!("{} {} {} {:?}", o.a, o.b, o.area, o.geometry))
            .collect();
        (found, p.too_complex.clone())
    }

    /// The pairs found once for a layer and taken for some of its rows are what finding them
    /// among those rows gives: overlaps above the threshold only, parts of a multipolygon,
    /// and pairs too complex to overlay.
    #[test]
    fn shared_pairs_are_the_pairs_of_the_rows_asked_for() {
        let frame = layer(vec![
            square(0.0, 0.0, 10.0).into(),
            // Overlaps row 0 by 4 m² and row 2 by 1 m².
            MultiPolygon::new(vec![square(8.0, 8.0, 10.0), square(30.0, 0.0, 5.0)]).into(),
            square(34.0, 4.0, 10.0).into(),
            // Overlaps row 0 by 0.01 m², under a threshold of 0.5.
            square(9.9, -9.9, 10.0).into(),
            star(1000.0, 3_000, 500.0, 0.0).into(),
            star(1000.0, 3_000, 500.0, 0.0005).into(),
        ]);
        let all: Vec<usize> = (0..frame.len()).collect();
        let shared = LayerOverlaps::find(&frame, &all);
        assert!(!shared.too_complex.is_empty(), "the stars are too complex");
        for rows in [all.clone(), vec![0, 1, 3], vec![1, 2, 4, 5], vec![0, 2]] {
            let polys = Polys::of(&frame, &rows);
            for threshold in [0.0, 0.5, 2.0] {
                assert_eq!(
                    listed(&shared.among(&polys, threshold)),
                    listed(&overlaps(&polys.polys, threshold)),
                    "rows {rows:?}, threshold {threshold}"
                );
            }
        }
        let everything = shared.among(&Polys::of(&frame, &all), 0.5);
        assert_eq!(everything.found.len(), 2);
        assert_eq!(everything.too_complex, vec![(5, 6)]);
    }
}
