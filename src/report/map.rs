//! What the HTML report's map draws of a package: its layers, simplified to the map's
//! resolution, and the features of findings that carry no geometry of their own.
//!
//! The report holds no geometry of the package, and the dataset is dropped once it is inspected;
//! this keeps what the map needs and no more, so a package of a million parcels neither makes a
//! huge HTML file nor keeps its geometries alive.

use std::collections::BTreeMap;

use geo::{BoundingRect, Coord, CoordsIter, Geometry, LineString, Rect};
use serde::{Deserialize, Serialize};

use super::model::Report;
use crate::geom::simplify::simplify;
use crate::package::Dataset;

/// The map's longer side in grid units; coordinates are rounded to this grid when drawn.
pub const GRID: f64 = 10_000.0;

/// Layers with more features than this are not drawn (a county's parcels can be millions).
pub const MAX_FEATURES_PER_LAYER: usize = 50_000;

/// Vertices drawn over all layers after simplification, about 9 bytes each in the HTML file.
pub const MAX_VERTICES: usize = 300_000;

/// A layer's features are simplified to within this many grid units: under half a pixel on a
/// map a thousand pixels wide.
const SIMPLIFY_GRID_UNITS: f64 = 4.0;

/// Features of a finding's layer used to locate it are capped, so a finding about a whole
/// layer does not copy the layer.
const MAX_LOCATING_FEATURES: usize = 100;

/// Layers in the order they are drawn, bottom first; layers not named here go above the parcels.
const DRAW_ORDER: &[&str] = &["ZRZK", "ZRZYDJDY", "STBHHX", "YJJBNT", "KCZY", "CKQ", "XZQ"];

/// Layers in the order they get the vertex budget: outlines first, parcels last.
const PRIORITY: &[&str] = &["XZQ", "ZRZYDJDY", "STBHHX", "YJJBNT", "KCZY", "CKQ"];

/// One drawable part of a geometry, in the package CRS. Serialised (coordinates as `[x, y]`) for
/// a shard's manifest, from which `nrqc merge` draws the county's report.html.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Part {
    /// A closed ring (outer rings and holes alike; they are filled even-odd).
    Ring(#[serde(with = "xys")] Vec<Coord<f64>>),
    /// An open line, simplified like a ring but never dropped.
    Line(#[serde(with = "xys")] Vec<Coord<f64>>),
    /// A single point, drawn as a marker; a multipoint is one `Point` per point.
    Point(#[serde(with = "xy")] Coord<f64>),
}

/// A coordinate as `[x, y]`.
mod xy {
    use geo::Coord;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(c: &Coord<f64>, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq([c.x, c.y])
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Coord<f64>, D::Error> {
        let [x, y] = <[f64; 2]>::deserialize(d)?;
        Ok(Coord { x, y })
    }
}

/// Coordinates as `[[x, y], …]`.
mod xys {
    use geo::Coord;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(cs: &[Coord<f64>], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(cs.iter().map(|c| [c.x, c.y]))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Coord<f64>>, D::Error> {
        let xys = Vec::<[f64; 2]>::deserialize(d)?;
        Ok(xys.into_iter().map(|[x, y]| Coord { x, y }).collect())
    }
}

/// The map's extent as `[[min x, min y], [max x, max y]]`; `null` for none.
mod extent {
    use geo::{Coord, Rect};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(r: &Option<Rect<f64>>, s: S) -> Result<S::Ok, S::Error> {
        match r {
            Some(r) => s.collect_seq([[r.min().x, r.min().y], [r.max().x, r.max().y]]),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Rect<f64>>, D::Error> {
        let corners = Option::<[[f64; 2]; 2]>::deserialize(d)?;
        Ok(corners
            .map(|[[x0, y0], [x1, y1]]| Rect::new(Coord { x: x0, y: y0 }, Coord { x: x1, y: y1 })))
    }
}

/// The located geometries by finding index, each in report.json's GeoJSON form: one with a
/// non-finite coordinate, which the map cannot draw anyway, is left out.
mod located {
    use std::collections::BTreeMap;

    use geo::Geometry;
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::finding::GeoJsonGeometry;

    pub fn serialize<S: Serializer>(
        m: &BTreeMap<usize, Geometry<f64>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_map(m.iter().map(|(i, g)| (i, GeoJsonGeometry(Some(g.clone())))))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<usize, Geometry<f64>>, D::Error> {
        let m = BTreeMap::<usize, GeoJsonGeometry>::deserialize(d)?;
        Ok(m.into_iter().filter_map(|(i, g)| Some((i, g.0?))).collect())
    }
}

/// Why a layer is on the map without its features.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Omitted {
    /// More features than [`MAX_FEATURES_PER_LAYER`].
    TooManyFeatures,
    /// Its vertices would exceed what is left of [`MAX_VERTICES`].
    TooManyVertices,
}

/// One layer of the map, as report.html draws it or says why it does not; a table without geometry
/// has none.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MapLayer {
    /// The layer's name, e.g. `ZRZK`.
    pub name: String,
    /// Its features that have a geometry, drawn or not; report.html quotes it when the layer is
    /// omitted.
    pub features: usize,
    /// The layer's features simplified, those outside the map's extent left out.
    pub shapes: Vec<Vec<Part>>,
    /// Features lying wholly outside the map's extent (usually coordinates in the wrong zone or
    /// with swapped axes), not drawn.
    pub outside: usize,
    /// Why none of its features is drawn; `None` when they are (but those `outside`).
    pub omitted: Option<Omitted>,
}

/// What report.html's map draws of one package, kept once its dataset is dropped; the default, with
/// no `extent`, is an empty map (no layer has a finite geometry).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MapLayers {
    /// What the map shows: the county (XZQ) and its units, or every layer when those are missing.
    #[serde(with = "extent")]
    pub extent: Option<Rect<f64>>,
    /// In drawing order, bottom first.
    pub layers: Vec<MapLayer>,
    /// For findings without a geometry, by index in `report.findings`: their features' geometry.
    #[serde(with = "located")]
    pub located: BTreeMap<usize, Geometry<f64>>,
}

impl MapLayers {
    /// Takes from `dataset` what the map of `report` draws; `wanted` are the indices of the
    /// findings the map shows.
    pub fn build(dataset: &Dataset, report: &Report, wanted: &[usize]) -> MapLayers {
        let layers: Vec<(&str, &[Option<Geometry<f64>>])> = dataset
            .frames
            .values()
            .filter_map(|f| Some((f.name.as_str(), f.geometry.as_ref()?.geoms.as_slice())))
            .collect();
        let mut map = MapLayers::from_layers(&layers);
        for &i in wanted {
            let Some(f) = report.findings.get(i) else {
                continue;
            };
            if f.geometry.is_some() {
                continue;
            }
            let Some((_, geoms)) = layers.iter().find(|(name, _)| *name == f.layer) else {
                continue;
            };
            let found: Vec<Geometry<f64>> = f
                .feature_ids
                .iter()
                .take(MAX_LOCATING_FEATURES)
                .filter_map(|id| geoms.get(id.fid)?.clone())
                .collect();
            if !found.is_empty() {
                map.located.insert(
                    i,
                    Geometry::GeometryCollection(geo::GeometryCollection(found)),
                );
            }
        }
        map
    }

    /// The map of these layers (name, one geometry per feature), simplified within the budgets.
    pub fn from_layers(layers: &[(&str, &[Option<Geometry<f64>>])]) -> MapLayers {
        let extent = extent_of(layers);
        let Some(rect) = extent else {
            return MapLayers::default();
        };
        let epsilon = SIMPLIFY_GRID_UNITS * rect.width().max(rect.height()) / GRID;
        let rank = |name: &str| {
            PRIORITY
                .iter()
                .position(|p| *p == name)
                .unwrap_or(PRIORITY.len())
                + usize::from(name == "ZRZK")
        };
        let mut by_priority: Vec<&(&str, &[Option<Geometry<f64>>])> = layers.iter().collect();
        by_priority.sort_by_key(|(name, _)| rank(name));
        let mut budget = MAX_VERTICES;
        let mut built = Vec::new();
        for (name, geoms) in by_priority {
            let features = geoms.iter().flatten().count();
            let mut layer = MapLayer {
                name: (*name).to_owned(),
                features,
                shapes: Vec::new(),
                outside: 0,
                omitted: None,
            };
            if features > MAX_FEATURES_PER_LAYER {
                layer.omitted = Some(Omitted::TooManyFeatures);
                built.push(layer);
                continue;
            }
            let mut vertices = 0;
            for g in geoms.iter().flatten() {
                if !g.bounding_rect().is_some_and(|b| intersects(&b, &rect)) {
                    layer.outside += 1;
                    continue;
                }
                let parts = parts(g, epsilon, false);
                vertices += parts.iter().map(Part::vertices).sum::<usize>();
                if !parts.is_empty() {
                    layer.shapes.push(parts);
                }
            }
            if vertices > budget {
                layer.shapes = Vec::new();
                layer.omitted = Some(Omitted::TooManyVertices);
            } else {
                budget -= vertices;
            }
            built.push(layer);
        }
        let order = |name: &str| DRAW_ORDER.iter().position(|p| *p == name).unwrap_or(1);
        built.sort_by(|a, b| {
            order(&a.name)
                .cmp(&order(&b.name))
                .then(a.name.cmp(&b.name))
        });
        MapLayers {
            extent,
            layers: built,
            located: BTreeMap::new(),
        }
    }
}

impl Part {
    fn vertices(&self) -> usize {
        match self {
            Part::Ring(c) | Part::Line(c) => c.len(),
            Part::Point(_) => 1,
        }
    }
}

/// The county and its units set the extent: a layer in the wrong zone would otherwise shrink the
/// county to a dot. Other layers set it only when neither is there.
fn extent_of(layers: &[(&str, &[Option<Geometry<f64>>])]) -> Option<Rect<f64>> {
    let union = |names: Option<&[&str]>| {
        crate::geom::bounds(
            layers
                .iter()
                .filter(|(name, _)| names.is_none_or(|n| n.contains(name)))
                .flat_map(|(_, geoms)| geoms.iter().flatten())
                .filter_map(|g| g.bounding_rect())
                .filter(|r| r.min().x.is_finite() && r.max().x.is_finite())
                .filter(|r| r.min().y.is_finite() && r.max().y.is_finite()),
        )
    };
    let rect = union(Some(&["XZQ", "ZRZYDJDY"])).or_else(|| union(None))?;
    let pad = 0.02 * rect.width().max(rect.height()).max(1.0);
    Some(Rect::new(
        Coord {
            x: rect.min().x - pad,
            y: rect.min().y - pad,
        },
        Coord {
            x: rect.max().x + pad,
            y: rect.max().y + pad,
        },
    ))
}

/// Whether two rectangles overlap or touch (edges count).
pub fn intersects(a: &Rect<f64>, b: &Rect<f64>) -> bool {
    a.min().x <= b.max().x
        && b.min().x <= a.max().x
        && a.min().y <= b.max().y
        && b.min().y <= a.max().y
}

/// Whether every coordinate of `g` is a finite number.
pub fn is_finite(g: &Geometry<f64>) -> bool {
    g.coords_iter().all(|c| c.x.is_finite() && c.y.is_finite())
}

/// The parts of `g`, each ring or line simplified within `epsilon`. A ring that simplifies to
/// nothing is dropped, unless `keep_small`, when it is kept as it was: a finding must stay
/// visible however small it is.
pub fn parts(g: &Geometry<f64>, epsilon: f64, keep_small: bool) -> Vec<Part> {
    let mut out = Vec::new();
    // A NaN or infinite coordinate cannot be drawn (and breaks simplification); geometry_valid
    // reports the feature.
    if !is_finite(g) {
        return out;
    }
    collect(g, epsilon, keep_small, &mut out);
    out
}

fn collect(g: &Geometry<f64>, epsilon: f64, keep_small: bool, out: &mut Vec<Part>) {
    let ring = |ls: &LineString<f64>, out: &mut Vec<Part>| {
        let s = simplify(&ls.0, epsilon);
        if s.len() >= 4 {
            out.push(Part::Ring(s));
        } else if keep_small && !ls.0.is_empty() {
            out.push(Part::Ring(ls.0.clone()));
        }
    };
    match g {
        Geometry::Point(p) => out.push(Part::Point(p.0)),
        Geometry::MultiPoint(mp) => out.extend(mp.iter().map(|p| Part::Point(p.0))),
        Geometry::Line(l) => out.push(Part::Line(vec![l.start, l.end])),
        Geometry::LineString(ls) => out.push(Part::Line(simplify(&ls.0, epsilon))),
        Geometry::MultiLineString(mls) => {
            out.extend(mls.iter().map(|ls| Part::Line(simplify(&ls.0, epsilon))))
        }
        Geometry::Polygon(p) => {
            ring(p.exterior(), out);
            p.interiors().iter().for_each(|r| ring(r, out));
        }
        Geometry::MultiPolygon(mp) => {
            for p in mp {
                ring(p.exterior(), out);
                p.interiors().iter().for_each(|r| ring(r, out));
            }
        }
        Geometry::Rect(r) => ring(r.to_polygon().exterior(), out),
        Geometry::Triangle(t) => ring(t.to_polygon().exterior(), out),
        Geometry::GeometryCollection(gc) => {
            gc.iter().for_each(|g| collect(g, epsilon, keep_small, out))
        }
    }
}

#[cfg(test)]
mod tests {
    use geo::{polygon, Geometry};

    use super::*;

    fn square(x: f64, y: f64, size: f64) -> Option<Geometry<f64>> {
        Some(Geometry::Polygon(polygon![
            (x: x, y: y), (x: x + size, y: y), (x: x + size, y: y + size), (x: x, y: y + size)
        ]))
    }

    #[test]
    fn parcels_over_the_budget_leave_the_outlines_and_say_so() {
        let county = vec![square(0.0, 0.0, 1000.0)];
        let parcels: Vec<_> = (0..=MAX_FEATURES_PER_LAYER)
            .map(|i| square((i % 300) as f64 * 3.0, (i / 300) as f64 * 3.0, 2.0))
            .collect();
        // A red-line zone in the next zone east: far outside the county.
        let zones = vec![square(1_000_000.0, 0.0, 100.0), square(10.0, 10.0, 100.0)];
        let map =
            MapLayers::from_layers(&[("ZRZK", &parcels), ("STBHHX", &zones), ("XZQ", &county)]);
        let names: Vec<&str> = map.layers.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["ZRZK", "STBHHX", "XZQ"]);
        assert_eq!(map.layers[0].omitted, Some(Omitted::TooManyFeatures));
        assert!(map.layers[0].shapes.is_empty());
        assert_eq!((map.layers[1].shapes.len(), map.layers[1].outside), (1, 1));
        assert_eq!(map.layers[2].shapes.len(), 1);
    }

    #[test]
    fn dense_rings_are_simplified_to_the_grid() {
        // A circle of 100,000 vertices is a few hundred at the map's resolution.
        let n = 100_000;
        let ring: Vec<(f64, f64)> = (0..=n)
            .map(|i| {
                let a = std::f64::consts::TAU * i as f64 / n as f64;
                (1000.0 * a.cos(), 1000.0 * a.sin())
            })
            .collect();
        let circle = vec![Some(Geometry::Polygon(geo::Polygon::new(
            ring.into(),
            vec![],
        )))];
        let map = MapLayers::from_layers(&[("XZQ", &circle)]);
        let vertices: usize = map.layers[0].shapes[0].iter().map(Part::vertices).sum();
        assert!((20..2000).contains(&vertices), "{vertices}");
    }
}
