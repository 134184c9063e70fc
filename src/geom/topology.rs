//! Coverage topology: overlaps between polygons, gaps in a coverage, and how parcels tile their
//! registration unit.
//!
//! Answers agree with GEOS (shapely) on the reference coverages in `tests/data/topology`, written
//! by `scripts/topology_reference.py`; see `tests/topology.rs`.
//!
//! Exact overlay is geo's `BooleanOps` (i_overlay), which rounds coordinates to a 30-bit grid over
//! the operands' extent. Every output vertex within a few grid steps of an input vertex is put
//! back on that vertex ([`snap_back`]), so a result bounded by input vertices only (a hole, a
//! gap, an overhang cut along shared vertices) has exactly the input's coordinates and area;
//! only vertices made by crossing edges keep the grid's rounding. A gap or overlap narrower than
//! about 2⁻²⁵ of the operands' extent may be lost to that rounding.
//!
//! Inputs are assumed valid (see [`super::validity`]); an invalid polygon gives an answer, but
//! not a meaningful one.

use std::collections::HashSet;

use geo::coordinate_position::CoordPos;
use geo::kernels::{Kernel, Orientation, RobustKernel};
use geo::orient::{Direction, Orient};
use geo::{
    unary_union, Area, BooleanOps, BoundingRect, Coord, CoordinatePosition, Euclidean,
    Length, LineString, MultiPolygon, Polygon, Rect,
};
use rayon::prelude::*;
use rstar::primitives::GeomWithData;
use rstar::{Envelope, RTree, AABB};

/// Two polygons whose interiors intersect.
#[derive(Debug, Clone)]
pub struct Overlap {
    /// Index of the first polygon (in the first layer for [`overlaps_between`]).
    pub a: usize,
    /// Index of the second polygon; greater than `a` within one layer.
    pub b: usize,
    /// Planar area of the intersection, in CRS units.
    pub area: f64,
    /// The intersection.
    pub geometry: MultiPolygon<f64>,
}

/// A region that should be covered and is covered by no polygon.
#[derive(Debug, Clone)]
pub struct Gap {
    pub geometry: Polygon<f64>,
    /// Planar area, in CRS units.
    pub area: f64,
    /// `2 · area / perimeter` (holes count towards the perimeter).
    ///
    /// For a sliver of length L and even width w this is `w · L / (L + w)`, i.e. about w. For
    /// any convex gap it lies between half and all of the diameter of the largest inscribed
    /// circle, the width GEOS's `CoverageGapFinder` (shapely `coverage_invalid_edges`'s
    /// `gap_width`) compares against: every convex gap GEOS calls narrower than `g` has a `width`
    /// below `g` here, and a compact gap up to twice as wide may too.
    pub width: f64,
}

/// A part reaching outside the whole it should tile.
#[derive(Debug, Clone)]
pub struct Overhang {
    /// Index of the part.
    pub part: usize,
    /// The part's area outside the whole.
    pub geometry: MultiPolygon<f64>,
    pub area: f64,
}

/// How parts tile a whole: what the parts leave uncovered, where they reach beyond it, and
/// where they cover it twice.
#[derive(Debug, Clone)]
pub struct Tiling {
    pub gaps: Vec<Gap>,
    pub overhangs: Vec<Overhang>,
    pub overlaps: Vec<Overlap>,
}

/// Every pair `a < b` of `polys` whose interiors intersect (DE-9IM `2********`: overlap,
/// containment and duplicates alike) in more than `min_area`, sorted by `(a, b)`.
pub fn overlaps(polys: &[Polygon<f64>], min_area: f64) -> Vec<Overlap> {
    let edges: Vec<Edges> = polys.par_iter().map(Edges::new).collect();
    let tree = box_tree(&edges);
    let (tree, edges) = (&tree, &edges);
    let mut found: Vec<Overlap> = edges
        .par_iter()
        .enumerate()
        .flat_map_iter(|(a, ea)| {
            let candidates = ea.bbox.map(|bbox| tree.locate_in_envelope_intersecting(&bbox));
            candidates
                .into_iter()
                .flatten()
                .filter(move |c| c.data > a)
                .filter_map(move |c| {
                    overlap(&polys[a], ea, &polys[c.data], &edges[c.data], min_area)
                        .map(|(geometry, area)| Overlap { a, b: c.data, area, geometry })
                })
        })
        .collect();
    found.sort_unstable_by_key(|o| (o.a, o.b));
    found
}

/// Every pair of a polygon of `a` and one of `b` whose interiors intersect in more than
/// `min_area`, sorted by `(a, b)`.
pub fn overlaps_between(a: &[Polygon<f64>], b: &[Polygon<f64>], min_area: f64) -> Vec<Overlap> {
    let edges_a: Vec<Edges> = a.par_iter().map(Edges::new).collect();
    let edges_b: Vec<Edges> = b.par_iter().map(Edges::new).collect();
    let tree = box_tree(&edges_b);
    let (tree, edges_b) = (&tree, &edges_b);
    let mut found: Vec<Overlap> = edges_a
        .par_iter()
        .enumerate()
        .flat_map_iter(|(i, ea)| {
            let candidates = ea.bbox.map(|bbox| tree.locate_in_envelope_intersecting(&bbox));
            candidates.into_iter().flatten().filter_map(move |c| {
                overlap(&a[i], ea, &b[c.data], &edges_b[c.data], min_area).map(
                    |(geometry, area)| Overlap { a: i, b: c.data, area, geometry },
                )
            })
        })
        .collect();
    found.sort_unstable_by_key(|o| (o.a, o.b));
    found
}

/// The regions enclosed by `polys` but covered by none of them (the holes of their union) and,
/// with `within`, also the parts of `within` that no polygon covers. Sorted by the lower left
/// corner of their bounding boxes.
pub fn gaps(polys: &[Polygon<f64>], within: Option<&MultiPolygon<f64>>) -> Vec<Gap> {
    let covered = union(polys);
    let mut outline: Vec<Polygon<f64>> = covered
        .iter()
        .map(|p| Polygon::new(p.exterior().clone(), vec![]))
        .collect();
    if let Some(w) = within {
        outline.extend(w.iter().cloned());
    }
    let outline = union(&outline);
    let sources: Vec<&Polygon<f64>> = polys.iter().chain(within.into_iter().flatten()).collect();
    gap_list(snap_back(outline.difference(&covered), &sources))
}

/// How `parts` tile `whole`: the parts of `whole` no part covers, the parts of each part outside
/// `whole`, and the overlaps among the parts; gaps, overhangs and overlaps of `min_area` or
/// less are left out.
pub fn tiles(parts: &[Polygon<f64>], whole: &MultiPolygon<f64>, min_area: f64) -> Tiling {
    let covered = union(parts);
    let sources: Vec<&Polygon<f64>> = parts.iter().chain(whole).collect();
    let mut gaps = gap_list(snap_back(whole.difference(&covered), &sources));
    gaps.retain(|g| g.area > min_area);
    let mut overhangs: Vec<Overhang> = parts
        .par_iter()
        .enumerate()
        .filter_map(|(part, p)| {
            outside(p, whole)
                .filter(|(_, area)| *area > min_area)
                .map(|(geometry, area)| Overhang { part, geometry, area })
        })
        .collect();
    overhangs.sort_unstable_by_key(|o| o.part);
    Tiling { gaps, overhangs, overlaps: overlaps(parts, min_area) }
}

/// The part of `a` outside `b_union`, with its area, or `None` when `a` lies within it.
pub fn outside(a: &Polygon<f64>, b_union: &MultiPolygon<f64>) -> Option<(MultiPolygon<f64>, f64)> {
    let rest = match (a.bounding_rect(), b_union.bounding_rect()) {
        (Some(ra), Some(rb)) if boxes_share_area(&ra, &rb) => {
            let sources: Vec<&Polygon<f64>> = std::iter::once(a).chain(b_union).collect();
            snap_back(a.difference(b_union), &sources)
        }
        _ => MultiPolygon::new(vec![a.clone()]),
    };
    let area = rest.unsigned_area();
    (area > 0.0).then_some((rest, area))
}

/// A polygon's edges, each with the side its interior lies on, and its bounding box.
struct Edges {
    edges: Vec<Edge>,
    /// Ring `i` is `edges[rings[i].clone()]`, in ring order.
    rings: Vec<std::ops::Range<usize>>,
    bbox: Option<AABB<[f64; 2]>>,
}

#[derive(Clone, Copy)]
struct Edge {
    from: Coord<f64>,
    to: Coord<f64>,
    interior_left: bool,
}

impl Edges {
    fn new(p: &Polygon<f64>) -> Self {
        let mut edges = Vec::new();
        let mut rings = Vec::new();
        let ring_list = std::iter::once((p.exterior(), true))
            .chain(p.interiors().iter().map(|r| (r, false)));
        for (ring, shell) in ring_list {
            let start = edges.len();
            let ccw = signed_ring_area(ring) > 0.0;
            edges.extend(
                ring.lines()
                    .filter(|l| l.start != l.end)
                    .map(|l| Edge { from: l.start, to: l.end, interior_left: ccw == shell }),
            );
            rings.push(start..edges.len());
        }
        let bbox = p
            .bounding_rect()
            .map(|r| AABB::from_corners(r.min().into(), r.max().into()));
        Edges { edges, rings, bbox }
    }
}

fn signed_ring_area(ring: &LineString<f64>) -> f64 {
    ring.lines().map(|l| l.start.x * l.end.y - l.end.x * l.start.y).sum::<f64>() / 2.0
}

type BoxTree = RTree<GeomWithData<rstar::primitives::Rectangle<[f64; 2]>, usize>>;

fn box_tree(edges: &[Edges]) -> BoxTree {
    RTree::bulk_load(
        edges
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.bbox.map(|b| GeomWithData::new(b.into(), i)))
            .collect(),
    )
}

/// The intersection of `a` and `b` and its area, when it exceeds `min_area`.
fn overlap(
    a: &Polygon<f64>,
    ea: &Edges,
    b: &Polygon<f64>,
    eb: &Edges,
    min_area: f64,
) -> Option<(MultiPolygon<f64>, f64)> {
    if !interiors_may_meet(a, ea, b, eb) {
        return None;
    }
    let geometry = snap_back(a.intersection(b), &[a, b]);
    let area = geometry.unsigned_area();
    (area > min_area).then_some((geometry, area))
}

/// How an edge of one polygon meets an edge of the other.
enum Meeting {
    Apart,
    /// At an endpoint of both.
    AtVertex,
    /// The same two vertices.
    Shared,
    /// Crossing, overlapping in part, or one's vertex on the other's inside.
    Other,
}

/// False only when the interiors of `a` and `b` certainly do not meet, which is decided without
/// overlay for the common case of a clean coverage: boundaries that meet only in shared
/// vertices and identical edges, with the interiors on opposite sides of every shared edge.
///
/// If the boundaries meet only so, each stretch of one boundary between vertices of the other
/// lies wholly inside or wholly outside the other polygon, so one point of it decides; and were
/// the interiors to meet, the boundary of their intersection would have to run along such a
/// stretch inside the other polygon, or along a shared edge with both interiors on one side.
fn interiors_may_meet(a: &Polygon<f64>, ea: &Edges, b: &Polygon<f64>, eb: &Edges) -> bool {
    let (Some(ba), Some(bb)) = (ea.bbox, eb.bbox) else {
        return false;
    };
    if ba.intersection_area(&bb) <= 0.0 {
        return false;
    }
    // Edges meet only inside both boxes.
    let common = common_box(&ba, &bb);
    let near = |edges: &[Edge]| -> Vec<usize> {
        (0..edges.len()).filter(|&i| edge_box(&edges[i]).intersects(&common)).collect()
    };
    let (near_a, near_b) = (near(&ea.edges), near(&eb.edges));
    let mut shared_a = vec![false; ea.edges.len()];
    let mut shared_b = vec![false; eb.edges.len()];
    let mut meet = |i: usize, j: usize| -> bool {
        let (x, y) = (&ea.edges[i], &eb.edges[j]);
        match meeting(x, y) {
            Meeting::Apart | Meeting::AtVertex => true,
            Meeting::Other => false,
            Meeting::Shared => {
                let same_direction = x.from == y.from;
                if (x.interior_left == y.interior_left) == same_direction {
                    return false;
                }
                shared_a[i] = true;
                shared_b[j] = true;
                true
            }
        }
    };
    // A few hundred edge pairs are cheaper to try all than to index.
    if near_a.len() * near_b.len() <= 256 {
        for &i in &near_a {
            for &j in &near_b {
                if !meet(i, j) {
                    return true;
                }
            }
        }
    } else {
        let tree: RTree<GeomWithData<rstar::primitives::Rectangle<[f64; 2]>, usize>> =
            RTree::bulk_load(
                near_b
                    .iter()
                    .map(|&j| GeomWithData::new(edge_box(&eb.edges[j]).into(), j))
                    .collect(),
            );
        for &i in &near_a {
            for c in tree.locate_in_envelope_intersecting(&edge_box(&ea.edges[i])) {
                if !meet(i, c.data) {
                    return true;
                }
            }
        }
    }
    stretch_inside(ea, &shared_a, eb, b) || stretch_inside(eb, &shared_b, ea, a)
}

/// Whether some stretch of `x`'s boundary between vertices of `y`, other than a shared edge,
/// lies inside `y`. Only valid once the boundaries are known to meet only at vertices and in
/// shared edges.
fn stretch_inside(x: &Edges, shared: &[bool], y: &Edges, y_poly: &Polygon<f64>) -> bool {
    let Some(ybox) = y.bbox else { return false };
    let y_vertices: HashSet<(u64, u64)> = y.edges.iter().map(|e| key(e.from)).collect();
    let inside = |e: &Edge| {
        let mid = Coord { x: (e.from.x + e.to.x) / 2.0, y: (e.from.y + e.to.y) / 2.0 };
        ybox.contains_point(&[mid.x, mid.y])
            && y_poly.coordinate_position(&mid) == CoordPos::Inside
    };
    x.rings.iter().any(|ring| {
        let edges = &x.edges[ring.clone()];
        let shared = &shared[ring.clone()];
        // Start each stretch at an edge leaving a vertex of `y`; a ring without one is a
        // single stretch.
        let starts: Vec<usize> = (0..edges.len())
            .filter(|&i| y_vertices.contains(&key(edges[i].from)))
            .collect();
        if starts.is_empty() {
            return edges.first().is_some_and(inside);
        }
        starts.iter().any(|&s| !shared[s] && inside(&edges[s]))
    })
}

/// Coordinates as hashable bits, with -0.0 and 0.0 alike.
fn key(c: Coord<f64>) -> (u64, u64) {
    ((c.x + 0.0).to_bits(), (c.y + 0.0).to_bits())
}

fn edge_box(e: &Edge) -> AABB<[f64; 2]> {
    AABB::from_corners([e.from.x, e.from.y], [e.to.x, e.to.y])
}

fn common_box(a: &AABB<[f64; 2]>, b: &AABB<[f64; 2]>) -> AABB<[f64; 2]> {
    let (lo_a, hi_a, lo_b, hi_b) = (a.lower(), a.upper(), b.lower(), b.upper());
    AABB::from_corners(
        [lo_a[0].max(lo_b[0]), lo_a[1].max(lo_b[1])],
        [hi_a[0].min(hi_b[0]), hi_a[1].min(hi_b[1])],
    )
}

fn meeting(x: &Edge, y: &Edge) -> Meeting {
    if !edge_box(x).intersects(&edge_box(y)) {
        return Meeting::Apart;
    }
    let o = |p, q, r| RobustKernel::orient2d(p, q, r);
    let (o1, o2) = (o(x.from, x.to, y.from), o(x.from, x.to, y.to));
    if o1 == Orientation::Collinear && o2 == Orientation::Collinear {
        return collinear_meeting(x, y);
    }
    let common_end = x.from == y.from || x.from == y.to || x.to == y.from || x.to == y.to;
    if common_end {
        // Two segments that are not collinear meet in at most one point.
        return Meeting::AtVertex;
    }
    let (o3, o4) = (o(y.from, y.to, x.from), o(y.from, y.to, x.to));
    let separated = |p: Orientation, q: Orientation| {
        p == q && p != Orientation::Collinear
    };
    if separated(o1, o2) || separated(o3, o4) {
        Meeting::Apart
    } else {
        Meeting::Other
    }
}

/// Collinear segments: compared along their common line.
fn collinear_meeting(x: &Edge, y: &Edge) -> Meeting {
    if (x.from == y.from && x.to == y.to) || (x.from == y.to && x.to == y.from) {
        return Meeting::Shared;
    }
    let along = |c: Coord<f64>| {
        if (x.to.x - x.from.x).abs() >= (x.to.y - x.from.y).abs() {
            c.x
        } else {
            c.y
        }
    };
    let (x0, x1) = min_max(along(x.from), along(x.to));
    let (y0, y1) = min_max(along(y.from), along(y.to));
    let (lo, hi) = (x0.max(y0), x1.min(y1));
    if lo > hi {
        Meeting::Apart
    } else if lo == hi && (x.from == y.from || x.from == y.to || x.to == y.from || x.to == y.to) {
        Meeting::AtVertex
    } else {
        Meeting::Other
    }
}

fn min_max(a: f64, b: f64) -> (f64, f64) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

fn boxes_share_area(a: &Rect<f64>, b: &Rect<f64>) -> bool {
    a.min().x < b.max().x && b.min().x < a.max().x && a.min().y < b.max().y && b.min().y < a.max().y
}

/// The union of valid polygons; orientation is made consistent first because `unary_union`
/// takes the fill rule from the first ring's winding.
fn union(polys: &[Polygon<f64>]) -> MultiPolygon<f64> {
    let oriented: Vec<Polygon<f64>> = polys.par_iter().map(|p| p.orient(Direction::Default)).collect();
    unary_union(&oriented)
}

/// Undoes i_overlay's rounding where an output vertex is an input vertex (see the module doc).
fn snap_back(mut result: MultiPolygon<f64>, sources: &[&Polygon<f64>]) -> MultiPolygon<f64> {
    let vertices: Vec<[f64; 2]> = sources
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|r| r.coords().map(|c| [c.x, c.y]))
        .collect();
    let Some(extent) = sources
        .iter()
        .filter_map(|p| p.bounding_rect())
        .reduce(|a, b| {
            Rect::new(
                Coord { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
                Coord { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
            )
        })
    else {
        return result;
    };
    // i_overlay's grid step is at most 2⁻²⁹ of the half extent; allow a few steps.
    let tolerance = extent.width().max(extent.height()) / 2.0 * (-25f64).exp2();
    let tree = RTree::bulk_load(vertices);
    let snap = |ring: &mut LineString<f64>| {
        for c in ring.0.iter_mut() {
            if let Some(v) = tree.nearest_neighbor(&[c.x, c.y]) {
                if (v[0] - c.x).hypot(v[1] - c.y) <= tolerance {
                    *c = Coord { x: v[0], y: v[1] };
                }
            }
        }
    };
    for p in result.iter_mut() {
        p.exterior_mut(|r| snap(r));
        p.interiors_mut(|rs| rs.iter_mut().for_each(&snap));
    }
    result
}

fn gap_list(regions: MultiPolygon<f64>) -> Vec<Gap> {
    let mut gaps: Vec<Gap> = regions
        .into_iter()
        .filter_map(|geometry| {
            let area = geometry.unsigned_area();
            let perimeter: f64 = std::iter::once(geometry.exterior())
                .chain(geometry.interiors())
                .map(|r| Euclidean.length(r))
                .sum();
            (area > 0.0).then(|| Gap { width: 2.0 * area / perimeter, geometry, area })
        })
        .collect();
    let corner = |g: &Gap| g.geometry.bounding_rect().map(|r| (r.min().x, r.min().y));
    gaps.sort_by(|x, y| {
        let (cx, cy) = (corner(x), corner(y));
        let cmp = |a: Option<(f64, f64)>, b: Option<(f64, f64)>| match (a, b) {
            (Some(a), Some(b)) => a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)),
            _ => a.is_some().cmp(&b.is_some()),
        };
        cmp(cx, cy).then(x.area.total_cmp(&y.area))
    });
    gaps
}
