//! Coverage topology: overlaps between polygons, gaps in a coverage, and how parcels tile their
//! registration unit.
//!
//! Answers agree with GEOS (shapely) on the reference coverages in `tests/data/topology`, written
//! by `scripts/topology_reference.py`; see `tests/topology.rs`.
//!
//! Most candidate pairs in a clean coverage are neighbours that share edges vertex for vertex.
//! Their relation is decided from the edges alone, with exact orientation predicates (see
//! `interiors_may_meet` and `covered_by`); overlay runs only where edges cross, partly overlap
//! or end on one another, or where one polygon may hold part of the other.
//!
//! The overlap pass is mostly memory traffic over millions of small pairs, so its layout
//! matters more than its arithmetic: candidates come from one packed R-tree per thread
//! (strips bulk loaded in parallel) by internal-iteration queries, the edges of a chunk's
//! polygons live in a few shared buffers instead of three allocations each, and a dense map
//! finds them. On the 1M-parcel benchmark coverage this took the pass from 4.45 to 2.60 s on 2
//! threads (`scripts/bench_topology.py`, medians of 3 runs; shapely 45.6 s).
//!
//! Overlay is geo's `BooleanOps` (i_overlay), which rounds coordinates to a 30-bit grid over the
//! operands' extent. Every output vertex within a few grid steps of an input vertex is put back
//! on that vertex, and one near a crossing of two input edges on that crossing as computed from
//! the edges, so results have the input's coordinates and, to rounding, the areas GEOS gives. A
//! gap or overlap narrower than about 2⁻²⁵ of the operands' extent may be lost to the grid, and
//! a gap that narrow is never reported.
//!
//! A layer's union is built chunk by chunk (neighbours together) and the chunks' outlines merged,
//! so overlay's working set stays that of a few thousand parcels: on the 1M-parcel benchmark
//! coverage the peak of `gaps` fell from 1140 to 740 MB (`tiles`: 774 MB), for 1.08 → 1.27 s
//! (`scripts/bench_topology.py`, one run each).
//!
//! Inputs are assumed valid (see [`super::validity`]); an invalid polygon gives an answer, but
//! not a meaningful one.

use std::ops::{ControlFlow, Range};

use geo::kernels::{Kernel, Orientation, RobustKernel};
use geo::line_intersection::{line_intersection, LineIntersection};
use geo::winding_order::{Winding, WindingOrder};
use geo::{
    unary_union, Area, BooleanOps, BoundingRect, Coord, Euclidean, Length, Line, LineString,
    MultiPolygon, Point, Polygon,
};
use rayon::prelude::*;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{Envelope, RTree, RTreeObject, AABB};

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
    /// The uncovered region, with the input's coordinates (snapped back from overlay's grid).
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
    /// Planar area of `geometry`, in CRS units; above the `min_area` given to [`tiles`].
    pub area: f64,
}

/// How parts tile a whole: what the parts leave uncovered, where they reach beyond it, and
/// where they cover it twice.
#[derive(Debug, Clone)]
pub struct Tiling {
    /// [`TooComplex`] when the union of the parts, or the whole less it, was not attempted.
    pub gaps: Result<Vec<Gap>, TooComplex>,
    /// Parts reaching outside the whole, in part order.
    pub overhangs: Vec<Overhang>,
    /// Parts whose overhang was not computed ([`TooComplex`]).
    pub unchecked_parts: Vec<usize>,
    /// Overlaps among the parts, as [`overlaps`] finds them.
    pub overlaps: Pairs,
}

/// A [`Tiling`] without the overlaps: what [`cover`] finds.
#[derive(Debug, Clone)]
pub struct Cover {
    /// As [`Tiling::gaps`].
    pub gaps: Result<Vec<Gap>, TooComplex>,
    /// As [`Tiling::overhangs`].
    pub overhangs: Vec<Overhang>,
    /// As [`Tiling::unchecked_parts`].
    pub unchecked_parts: Vec<usize>,
}

/// The overlapping pairs found, and the candidate pairs too complex to overlay.
#[derive(Debug, Clone, Default)]
pub struct Pairs {
    /// Overlaps larger than the `min_area` asked for, sorted by `(a, b)`.
    pub found: Vec<Overlap>,
    /// Candidate pairs (their boxes meet) not overlaid, being [`TooComplex`]: whether they
    /// overlap is unknown. Sorted.
    pub too_complex: Vec<(usize, usize)>,
}

/// An overlay not attempted because its operands' edges meet in more pairs than
/// `PAIRS_PER_EDGE` per edge allows (see `too_complex`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooComplex;

/// Every pair `a < b` of `polys` whose interiors intersect (DE-9IM `2********`: overlap,
/// containment and duplicates alike) in more than `min_area`, sorted by `(a, b)`.
pub fn overlaps(polys: &[&Polygon<f64>], min_area: f64) -> Pairs {
    pairs(polys, polys, true, min_area)
}

/// Every pair of a polygon of `a` and one of `b` whose interiors intersect in more than
/// `min_area`, sorted by `(a, b)`.
pub fn overlaps_between(a: &[&Polygon<f64>], b: &[&Polygon<f64>], min_area: f64) -> Pairs {
    pairs(a, b, false, min_area)
}

/// Polygons of `a` handled together: their edge structures, and those of their candidates in
/// `b`, are built per chunk and dropped after it, so memory follows the chunk, not the layer.
const CHUNK: usize = 1 << 15;

/// Box queries per task: enough to outweigh a task's cost, few enough to balance two threads.
const QUERIES: usize = 256;

fn aabb(p: &Polygon<f64>) -> Option<AABB<[f64; 2]>> {
    p.bounding_rect()
        .map(|r| AABB::from_corners(r.min().into(), r.max().into()))
}

/// The overlapping pairs of `a` × `b`, candidates from packed R-trees of `b`'s boxes; with
/// `same`, `a` and `b` are one layer and each pair is taken once, as `a < b`. `a` is visited in
/// chunks ordered west to east, so a chunk's candidates are mostly its own members.
fn pairs(a: &[&Polygon<f64>], b: &[&Polygon<f64>], same: bool, min_area: f64) -> Pairs {
    let boxes_a: Vec<Option<AABB<[f64; 2]>>> = a.par_iter().map(|p| aabb(p)).collect();
    let own_b: Vec<Option<AABB<[f64; 2]>>>;
    let boxes_b = if same {
        &boxes_a
    } else {
        own_b = b.par_iter().map(|p| aabb(p)).collect();
        &own_b
    };
    let order = west_to_east(&boxes_a);
    let own_order_b: Vec<usize>;
    let order_b = if same {
        &order
    } else {
        own_order_b = west_to_east(boxes_b);
        &own_order_b
    };
    // Bulk loading is sequential, so `b` gets one tree per thread, each over a strip of it from
    // west to east; a query rejects the strips it misses at their roots.
    let strip = order_b.len().div_ceil(rayon::current_num_threads()).max(1);
    let trees: Vec<BoxTree> = order_b
        .par_chunks(strip)
        .map(|part| {
            RTree::bulk_load(
                part.iter()
                    .filter_map(|&i| boxes_b[i].map(|bx| GeomWithData::new(bx.into(), i)))
                    .collect(),
            )
        })
        .collect();
    let mut found: Vec<Overlap> = Vec::new();
    let too_complex = std::sync::Mutex::new(Vec::new());
    // Where each polygon of `b` that the chunk needs sits in `needed`: a dense map, as lookups
    // come by the million.
    const NONE: u32 = u32::MAX;
    let mut slot: Vec<u32> = vec![NONE; b.len()];
    let mut needed: Vec<usize> = Vec::new();
    for chunk in order.chunks(CHUNK) {
        // Pairs as (position in chunk, index in b), grouped by the first.
        let candidates: Vec<(usize, usize)> = chunk
            .par_chunks(QUERIES)
            .enumerate()
            .flat_map_iter(|(n, part)| {
                let mut here = Vec::new();
                for (k, &i) in part.iter().enumerate() {
                    let Some(bx) = boxes_a[i] else { continue };
                    for tree in &trees {
                        let _ = tree.locate_in_envelope_intersecting_int(&bx, |c| {
                            if !same || c.data > i {
                                here.push((n * QUERIES + k, c.data));
                            }
                            ControlFlow::<()>::Continue(())
                        });
                    }
                }
                here
            })
            .collect();

        // Edge structures for everything this chunk touches, each built once: in one layer the
        // chunk's own polygons are mostly among their neighbours' candidates too.
        for &j in needed.iter() {
            slot[j] = NONE;
        }
        needed.clear();
        let own = if same { chunk } else { &[] };
        for j in candidates
            .iter()
            .map(|&(_, j)| j)
            .chain(own.iter().copied())
        {
            if slot[j] == NONE {
                slot[j] = needed.len() as u32;
                needed.push(j);
            }
        }
        let store_b = stores(&needed, b);
        let edges_of = |j: usize| {
            let k = slot[j] as usize;
            store_b[k / BLOCK].get(k % BLOCK)
        };
        let store_a = if same { Vec::new() } else { stores(chunk, a) };

        let chunk_found: Vec<Overlap> = candidates
            .par_iter()
            .filter_map(|&(k, j)| {
                let i = chunk[k];
                let ea = if same {
                    edges_of(i)
                } else {
                    store_a[k / BLOCK].get(k % BLOCK)
                };
                let eb = edges_of(j);
                match overlap(a[i], ea, b[j], eb, min_area) {
                    Ok(found) => found.map(|(geometry, area)| Overlap {
                        a: i,
                        b: j,
                        area,
                        geometry,
                    }),
                    Err(TooComplex) => {
                        // A poisoned lock is a panic elsewhere, which is propagated anyway.
                        if let Ok(mut list) = too_complex.lock() {
                            list.push((i, j));
                        }
                        None
                    }
                }
            })
            .collect();
        found.extend(chunk_found);
    }
    found.sort_unstable_by_key(|o| (o.a, o.b));
    let mut too_complex = too_complex.into_inner().unwrap_or_default();
    too_complex.sort_unstable();
    Pairs { found, too_complex }
}

/// The polygons with a box, by the west edge of their box.
fn west_to_east(boxes: &[Option<AABB<[f64; 2]>>]) -> Vec<usize> {
    let mut order: Vec<(f64, usize)> = boxes
        .iter()
        .enumerate()
        .filter_map(|(i, bx)| bx.map(|bx| (bx.lower()[0], i)))
        .collect();
    order.par_sort_unstable_by(|(x, i), (y, j)| x.total_cmp(y).then(i.cmp(j)));
    order.into_iter().map(|(_, i)| i).collect()
}

/// Polygons per [`EdgeStore`] when a chunk's edges are built in parallel.
const BLOCK: usize = 1024;

/// The edges of `polys[i]` for each `i` of `which`, the `k`-th in store `k / BLOCK` at `k % BLOCK`.
fn stores(which: &[usize], polys: &[&Polygon<f64>]) -> Vec<EdgeStore> {
    which
        .par_chunks(BLOCK)
        .map(|part| EdgeStore::each(part.iter().map(|&i| polys[i])))
        .collect()
}

/// The regions enclosed by `polys` but covered by none of them (the holes of their union) and,
/// with `within`, also the parts of `within` that no polygon covers. Sorted by the lower left
/// corner of their bounding boxes.
pub fn gaps(
    polys: &[&Polygon<f64>],
    within: Option<&MultiPolygon<f64>>,
) -> Result<Vec<Gap>, TooComplex> {
    let covered = union_of(polys)?;
    let mut outline: Vec<Polygon<f64>> = covered
        .iter()
        .map(|p| Polygon::new(p.exterior().clone(), vec![]))
        .collect();
    if let Some(w) = within {
        outline.extend(w.iter().cloned());
    }
    let outline = union(&outline)?;
    let sources: Vec<&Polygon<f64>> = polys
        .iter()
        .copied()
        .chain(within.into_iter().flatten())
        .collect();
    Ok(gap_list(difference(&outline, &covered)?, &sources))
}

/// `a` less `b`, unless that is [`too_complex`].
fn difference(
    a: &MultiPolygon<f64>,
    b: &MultiPolygon<f64>,
) -> Result<MultiPolygon<f64>, TooComplex> {
    if too_complex(a.iter().chain(b)) {
        return Err(TooComplex);
    }
    Ok(a.difference(b))
}

/// How `parts` tile `whole`: the parts of `whole` no part covers, the parts of each part outside
/// `whole`, and the overlaps among the parts; gaps, overhangs and overlaps of `min_area` or
/// less are left out.
pub fn tiles(parts: &[&Polygon<f64>], whole: &MultiPolygon<f64>, min_area: f64) -> Tiling {
    let Cover {
        gaps,
        overhangs,
        unchecked_parts,
    } = cover(parts, whole, min_area);
    Tiling {
        gaps,
        overhangs,
        unchecked_parts,
        overlaps: overlaps(parts, min_area),
    }
}

/// How `parts` cover `whole`: [`tiles`] without the overlaps among the parts, for a caller that
/// has them already.
pub fn cover(parts: &[&Polygon<f64>], whole: &MultiPolygon<f64>, min_area: f64) -> Cover {
    let sources: Vec<&Polygon<f64>> = parts.iter().copied().chain(whole).collect();
    let covered = union_of(parts);
    let gaps = covered
        .as_ref()
        .map_err(|&e| e)
        .and_then(|covered| difference(whole, covered))
        .map(|uncovered| {
            let mut gaps = gap_list(uncovered, &sources);
            gaps.retain(|g| g.area > min_area);
            gaps
        });
    // Every part's overhang lies in the union less the whole: when that holds no more than
    // `min_area`, no part has an overhang to report, and the parts need not be overlaid one by
    // one (most units are tiled well, and that was half of the check's time).
    let none_outside = covered
        .ok()
        .and_then(|covered| difference(&covered, whole).ok())
        .is_some_and(|outside| outside.unsigned_area() <= min_area);
    let outside: Vec<(usize, Outside)> = if none_outside {
        Vec::new()
    } else {
        let region = Region::new(whole);
        parts
            .par_iter()
            .enumerate()
            .map(|(part, p)| (part, region.outside(p)))
            .collect()
    };
    let mut overhangs = Vec::new();
    let mut unchecked_parts = Vec::new();
    for (part, rest) in outside {
        match rest {
            Ok(Some((geometry, area))) if area > min_area => overhangs.push(Overhang {
                part,
                geometry,
                area,
            }),
            Ok(_) => {}
            Err(TooComplex) => unchecked_parts.push(part),
        }
    }
    Cover {
        gaps,
        overhangs,
        unchecked_parts,
    }
}

/// The part of a polygon outside a [`Region`] and its area; `None` when there is none.
pub type Outside = Result<Option<(MultiPolygon<f64>, f64)>, TooComplex>;

/// A region that polygons are tested against for their part outside it, indexed once: a test
/// costs what the region's polygons near the tested one cost, not the whole region (a unit of
/// 16,000 parts took 207 s for as many parcels, each compared with all of it).
pub struct Region<'a> {
    polys: &'a [Polygon<f64>],
    boxes: BoxTree,
    /// One entry per polygon.
    edges: EdgeStore,
}

impl<'a> Region<'a> {
    /// Indexes the polygons of `region` (a box tree and their edges); the region is borrowed,
    /// not copied.
    pub fn new(region: &'a MultiPolygon<f64>) -> Region<'a> {
        let polys = &region.0[..];
        let boxes = RTree::bulk_load(
            polys
                .iter()
                .enumerate()
                .filter_map(|(i, p)| aabb(p).map(|bx| GeomWithData::new(bx.into(), i)))
                .collect(),
        );
        Region {
            polys,
            boxes,
            edges: EdgeStore::each(polys.iter()),
        }
    }

    /// The part of `a` outside the region, with its area, or `None` when `a` lies within it.
    ///
    /// Only the region's polygons whose boxes overlap `a`'s can take part of it; when one of
    /// them covers `a` (decided without overlay, `covered_by`) nothing is outside, otherwise
    /// overlay subtracts them all.
    pub fn outside(&self, a: &Polygon<f64>) -> Outside {
        let own = EdgeStore::of(std::slice::from_ref(a));
        let ea = own.get(0);
        let mut near: Vec<usize> = match ea.bbox {
            Some(bx) => self
                .boxes
                .locate_in_envelope_intersecting(&bx)
                .map(|c| c.data)
                .filter(|&i| {
                    self.edges
                        .get(i)
                        .bbox
                        .is_some_and(|b| b.intersection_area(&bx) > 0.0)
                })
                .collect(),
            None => Vec::new(),
        };
        let rest = if near.is_empty() {
            MultiPolygon::new(vec![a.clone()])
        } else {
            if near.iter().any(|&i| covered_by(ea, self.edges.get(i))) {
                return Ok(None);
            }
            // In the region's order, so that overlay sees its operands as before.
            near.sort_unstable();
            let local = MultiPolygon::new(near.iter().map(|&i| self.polys[i].clone()).collect());
            let sources: Vec<&Polygon<f64>> = std::iter::once(a).chain(&local).collect();
            if too_complex(sources.iter().copied()) {
                return Err(TooComplex);
            }
            snap_back(a.difference(&local), &sources)
        };
        let area = rest.unsigned_area();
        Ok((area > 0.0).then_some((rest, area)))
    }
}

/// The edges of polygons (or multipolygons), each edge with the side its interior lies on, kept
/// in shared buffers: the thousands of small polygons of a chunk cost a few allocations per block
/// of them instead of three each.
#[derive(Default)]
struct EdgeStore {
    edges: Vec<Edge>,
    /// Rings as ranges into their entry's edges, in ring order.
    rings: Vec<Range<usize>>,
    vertices: Vec<(u64, u64)>,
    entries: Vec<Entry>,
}

struct Entry {
    edges: Range<usize>,
    rings: Range<usize>,
    vertices: Range<usize>,
    bbox: Option<AABB<[f64; 2]>>,
}

/// The edges of one entry of an [`EdgeStore`].
#[derive(Clone, Copy)]
struct Edges<'a> {
    edges: &'a [Edge],
    /// Ring `i` is `edges[rings[i].clone()]`.
    rings: &'a [Range<usize>],
    /// Every vertex, as [`key`]s, sorted.
    vertices: &'a [(u64, u64)],
    bbox: Option<AABB<[f64; 2]>>,
}

#[derive(Clone, Copy)]
struct Edge {
    from: Coord<f64>,
    to: Coord<f64>,
    /// Bounding box corners, kept because box tests are most of the work.
    lo: Coord<f64>,
    hi: Coord<f64>,
    interior_left: bool,
}

impl EdgeStore {
    /// A store of one entry, the edges of all of `polys`.
    fn of(polys: &[Polygon<f64>]) -> Self {
        let mut store = EdgeStore::default();
        store.push(polys);
        store
    }

    /// A store of one entry per polygon.
    fn each(polys: impl Iterator<Item = impl std::borrow::Borrow<Polygon<f64>>>) -> Self {
        let mut store = EdgeStore::default();
        for p in polys {
            store.push(std::slice::from_ref(p.borrow()));
        }
        store
    }

    fn push(&mut self, polys: &[Polygon<f64>]) {
        let (first_edge, first_ring, first_vertex) =
            (self.edges.len(), self.rings.len(), self.vertices.len());
        let ring_list = polys.iter().flat_map(|p| {
            std::iter::once((p.exterior(), true)).chain(p.interiors().iter().map(|r| (r, false)))
        });
        for (ring, shell) in ring_list {
            let start = self.edges.len();
            let ccw = ring.winding_order() == Some(WindingOrder::CounterClockwise);
            self.edges
                .extend(ring.lines().filter(|l| l.start != l.end).map(|l| Edge {
                    from: l.start,
                    to: l.end,
                    lo: Coord {
                        x: l.start.x.min(l.end.x),
                        y: l.start.y.min(l.end.y),
                    },
                    hi: Coord {
                        x: l.start.x.max(l.end.x),
                        y: l.start.y.max(l.end.y),
                    },
                    interior_left: ccw == shell,
                }));
            self.rings
                .push(start - first_edge..self.edges.len() - first_edge);
        }
        let edges = &self.edges[first_edge..];
        self.vertices.extend(edges.iter().map(|e| key(e.from)));
        let vertices = &mut self.vertices[first_vertex..];
        vertices.sort_unstable();
        let unique = dedup_sorted(vertices);
        self.vertices.truncate(first_vertex + unique);
        let bbox = edges
            .iter()
            .map(|e| AABB::from_corners(e.lo.into(), e.hi.into()))
            .reduce(|a, b| a.merged(&b));
        self.entries.push(Entry {
            edges: first_edge..self.edges.len(),
            rings: first_ring..self.rings.len(),
            vertices: first_vertex..self.vertices.len(),
            bbox,
        });
    }

    fn get(&self, k: usize) -> Edges<'_> {
        let e = &self.entries[k];
        Edges {
            edges: &self.edges[e.edges.clone()],
            rings: &self.rings[e.rings.clone()],
            vertices: &self.vertices[e.vertices.clone()],
            bbox: e.bbox,
        }
    }
}

/// Moves the distinct values of sorted `v` to its front and returns how many there are.
fn dedup_sorted<T: PartialEq + Copy>(v: &mut [T]) -> usize {
    let mut n = 0;
    for i in 0..v.len() {
        if n == 0 || v[i] != v[n - 1] {
            v[n] = v[i];
            n += 1;
        }
    }
    n
}

type BoxTree = RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>;

/// The intersection of `a` and `b` and its area, when it exceeds `min_area`.
fn overlap(
    a: &Polygon<f64>,
    ea: Edges,
    b: &Polygon<f64>,
    eb: Edges,
    min_area: f64,
) -> Result<Option<(MultiPolygon<f64>, f64)>, TooComplex> {
    if !interiors_may_meet(ea, eb) {
        return Ok(None);
    }
    if too_complex([a, b].into_iter()) {
        return Err(TooComplex);
    }
    let geometry = snap_back(a.intersection(b), &[a, b]);
    let area = geometry.unsigned_area();
    Ok((area > min_area).then_some((geometry, area)))
}

/// Edges an overlay may have without being measured first: i_overlay's worst case on so few
/// (every pair of edges tested) is a fraction of a second.
const OVERLAY_FREE: usize = 4096;

/// Pairs of edges with meeting boxes an overlay may have per edge. i_overlay splits edges by
/// testing the pairs whose boxes meet, and its time follows their number: a sawtooth whose
/// 1,000 or 4,000 teeth all span one band (10⁶ or 1.6·10⁷ pairs) took 0.12 or 2.0 s to
/// union, quadratic without a single crossing (debug build). Edges of a clean coverage meet a
/// handful of others, their neighbours along the ring and across shared edges.
const PAIRS_PER_EDGE: usize = 64;

/// True when the pairs of meeting boxes are certainly within `budget`, without an R-tree (which
/// made the check cost several times the overlay of a clean coverage): two boxes that meet share
/// a cell of a grid, so the pairs of boxes sharing a cell bound them. Cells are the median box's
/// size; `false` (undecided) when a box would cover too many of them.
fn within_budget(boxes: &[Rectangle<[f64; 2]>], budget: usize) -> bool {
    let mut sizes: Vec<f64> = boxes
        .iter()
        .map(|b| {
            let e = b.envelope();
            (e.upper()[0] - e.lower()[0]).max(e.upper()[1] - e.lower()[1])
        })
        .collect();
    let middle = sizes.len() / 2;
    let cell = *sizes.select_nth_unstable_by(middle, f64::total_cmp).1;
    if !(cell > 0.0 && cell.is_finite()) {
        return false;
    }
    // Long edges among short ones cover many cells; past this many the exact count decides.
    let mut registrations = 8 * boxes.len();
    let mut keys: Vec<(i64, i64)> = Vec::with_capacity(2 * boxes.len());
    for b in boxes {
        let e = b.envelope();
        let at = |v: f64| (v / cell).floor() as i64;
        let (x0, y0) = (at(e.lower()[0]), at(e.lower()[1]));
        let (x1, y1) = (at(e.upper()[0]), at(e.upper()[1]));
        let covered = (x1 - x0 + 1).saturating_mul(y1 - y0 + 1);
        match usize::try_from(covered)
            .ok()
            .and_then(|c| registrations.checked_sub(c))
        {
            Some(left) => registrations = left,
            None => return false,
        }
        keys.extend((x0..=x1).flat_map(|x| (y0..=y1).map(move |y| (x, y))));
    }
    keys.sort_unstable();
    let pairs: usize = keys
        .chunk_by(|a, b| a == b)
        .map(|run| run.len() * (run.len() - 1) / 2)
        .sum();
    pairs <= budget
}

/// Whether overlay of `operands` would test more pairs of edges than [`PAIRS_PER_EDGE`] per
/// edge. Counting stops at the budget, so the answer costs O(n log n) whatever the operands.
fn too_complex<'p>(operands: impl Iterator<Item = &'p Polygon<f64>>) -> bool {
    let boxes: Vec<Rectangle<[f64; 2]>> = operands
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|r| r.lines())
        .map(|l| Rectangle::from_corners([l.start.x, l.start.y], [l.end.x, l.end.y]))
        .collect();
    if boxes.len() <= OVERLAY_FREE {
        return false;
    }
    let budget = PAIRS_PER_EDGE * boxes.len();
    if within_budget(&boxes, budget) {
        return false;
    }
    let tree = RTree::bulk_load(boxes.clone());
    let mut pairs = 0;
    boxes.iter().any(|b| {
        tree.locate_in_envelope_intersecting_int(&b.envelope(), |_| {
            pairs += 1;
            if pairs > budget {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .is_break()
    })
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
/// vertices and identical edges ([`clean_meeting`]), with the interiors on opposite sides of
/// every shared edge.
///
/// If the boundaries meet only so, each stretch of one boundary between vertices of the other
/// lies wholly inside or wholly outside the other polygon, so one point of it decides; and were
/// the interiors to meet, the boundary of their intersection would have to run along such a
/// stretch inside the other polygon, or along a shared edge with both interiors on one side.
fn interiors_may_meet(ea: Edges, eb: Edges) -> bool {
    let (Some(ba), Some(bb)) = (ea.bbox, eb.bbox) else {
        return false;
    };
    if ba.intersection_area(&bb) <= 0.0 {
        return false;
    }
    match clean_meeting(ea, eb) {
        None => true,
        Some(m) => {
            m.same_side
                || any_stretch(ea, &m.shared_a, eb, |e| midpoint_inside(e, eb))
                || any_stretch(eb, &m.shared_b, ea, |e| midpoint_inside(e, ea))
        }
    }
}

/// True only when `a` certainly lies within `b`, decided without overlay as in
/// [`interiors_may_meet`]: every stretch of `a`'s boundary lies inside `b` or along a shared edge
/// with both interiors on one side, and no stretch of `b`'s boundary enters `a`, so `b`'s
/// boundary does not cut `a`'s (connected) interior and `a`'s boundary runs inside `b`.
fn covered_by(ea: Edges, eb: Edges) -> bool {
    match clean_meeting(ea, eb) {
        None => false,
        Some(m) => {
            !m.opposite_side
                && !any_stretch(ea, &m.shared_a, eb, |e| !midpoint_inside(e, eb))
                && !any_stretch(eb, &m.shared_b, ea, |e| midpoint_inside(e, ea))
        }
    }
}

/// How two boundaries meet when they meet only in common vertices and identical edges.
struct CleanMeeting {
    shared_a: EdgeSet,
    shared_b: EdgeSet,
    /// Some shared edge has both interiors on one side of it.
    same_side: bool,
    /// Some shared edge has the interiors on either side of it.
    opposite_side: bool,
}

/// `None` when edges of `a` and `b` cross, overlap in part, or one's vertex lies inside the
/// other's edge.
fn clean_meeting(ea: Edges, eb: Edges) -> Option<CleanMeeting> {
    let (ba, bb) = (ea.bbox?, eb.bbox?);
    let mut m = CleanMeeting {
        shared_a: EdgeSet::new(ea.edges.len()),
        shared_b: EdgeSet::new(eb.edges.len()),
        same_side: false,
        opposite_side: false,
    };
    let mut meet = |i: usize, j: usize| -> bool {
        let (x, y) = (&ea.edges[i], &eb.edges[j]);
        match meeting(x, y) {
            Meeting::Apart | Meeting::AtVertex => true,
            Meeting::Other => false,
            Meeting::Shared => {
                m.shared_a.insert(i);
                m.shared_b.insert(j);
                if (x.interior_left == y.interior_left) == (x.from == y.from) {
                    m.same_side = true;
                } else {
                    m.opposite_side = true;
                }
                true
            }
        }
    };
    // Edges meet only inside both boxes.
    let common = common_box(&ba, &bb);
    let near = |edges| edges_in(edges, &common);
    if eb.edges.len() <= 64 {
        let near_b = near(eb.edges).fold(0u64, |m, j| m | 1 << j);
        for i in near(ea.edges) {
            let mut rest = near_b;
            while rest != 0 {
                let j = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                if !meet(i, j) {
                    return None;
                }
            }
        }
    } else {
        let tree: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>> = RTree::bulk_load(
            near(eb.edges)
                .map(|j| GeomWithData::new(edge_box(&eb.edges[j]).into(), j))
                .collect(),
        );
        for i in near(ea.edges) {
            for c in tree.locate_in_envelope_intersecting(&edge_box(&ea.edges[i])) {
                if !meet(i, c.data) {
                    return None;
                }
            }
        }
    }
    m.shared_a = m.shared_a.sorted();
    m.shared_b = m.shared_b.sorted();
    Some(m)
}

fn edges_in<'a>(edges: &'a [Edge], area: &'a AABB<[f64; 2]>) -> impl Iterator<Item = usize> + 'a {
    (0..edges.len()).filter(|&i| {
        let e = &edges[i];
        boxes_meet(e.lo, e.hi, area.lower().into(), area.upper().into())
    })
}

/// A set of edge indices: a bit mask for the small polygons that make up most pairs, so that
/// testing them allocates nothing.
enum EdgeSet {
    Bits(u64),
    List(Vec<usize>),
}

impl EdgeSet {
    fn new(edges: usize) -> Self {
        if edges <= 64 {
            EdgeSet::Bits(0)
        } else {
            EdgeSet::List(Vec::new())
        }
    }

    fn insert(&mut self, i: usize) {
        match self {
            EdgeSet::Bits(bits) => *bits |= 1 << i,
            EdgeSet::List(list) => list.push(i),
        }
    }

    fn sorted(mut self) -> Self {
        if let EdgeSet::List(list) = &mut self {
            list.sort_unstable();
        }
        self
    }

    /// Only on a [`EdgeSet::sorted`] set.
    fn contains(&self, i: usize) -> bool {
        match self {
            EdgeSet::Bits(bits) => bits >> i & 1 == 1,
            EdgeSet::List(list) => list.binary_search(&i).is_ok(),
        }
    }
}

/// Whether `test` holds for one edge of some stretch of `x`'s boundary between vertices of `y`,
/// shared edges left out. Once the boundaries are known to meet cleanly ([`clean_meeting`]),
/// each stretch lies wholly inside or wholly outside `y`, so one edge stands for its stretch.
fn any_stretch(x: Edges, shared: &EdgeSet, y: Edges, mut test: impl FnMut(&Edge) -> bool) -> bool {
    for ring in x.rings {
        let mut passes_y = false;
        for i in ring.clone() {
            if y.vertices.binary_search(&key(x.edges[i].from)).is_ok() {
                passes_y = true;
                if !shared.contains(i) && test(&x.edges[i]) {
                    return true;
                }
            }
        }
        // A ring that never passes a vertex of `y` is a single stretch.
        if !passes_y && !ring.is_empty() && test(&x.edges[ring.start]) {
            return true;
        }
    }
    false
}

fn midpoint_inside(e: &Edge, polygon: Edges) -> bool {
    let mid = Coord {
        x: (e.from.x + e.to.x) / 2.0,
        y: (e.from.y + e.to.y) / 2.0,
    };
    contains(polygon, mid)
}

/// Whether `p`, known to be off the boundary, is inside: an odd number of edges cross the ray
/// from `p` to the east. Exact predicates decide each crossing, and the rings' orientation does
/// not matter.
fn contains(polygon: Edges, p: Coord<f64>) -> bool {
    let Some(bbox) = polygon.bbox else {
        return false;
    };
    if !bbox.contains_point(&[p.x, p.y]) {
        return false;
    }
    let crossings = polygon
        .edges
        .iter()
        .filter(|e| {
            let (lower, upper) = if e.from.y <= e.to.y {
                (e.from, e.to)
            } else {
                (e.to, e.from)
            };
            lower.y <= p.y
                && p.y < upper.y
                && RobustKernel::orient2d(lower, upper, p) == Orientation::CounterClockwise
        })
        .count();
    crossings % 2 == 1
}

/// Coordinates as bits, with -0.0 and 0.0 alike.
fn key(c: Coord<f64>) -> (u64, u64) {
    ((c.x + 0.0).to_bits(), (c.y + 0.0).to_bits())
}

fn edge_box(e: &Edge) -> AABB<[f64; 2]> {
    AABB::from_corners(e.lo.into(), e.hi.into())
}

fn boxes_meet(lo_a: Coord<f64>, hi_a: Coord<f64>, lo_b: Coord<f64>, hi_b: Coord<f64>) -> bool {
    lo_a.x <= hi_b.x && lo_b.x <= hi_a.x && lo_a.y <= hi_b.y && lo_b.y <= hi_a.y
}

fn common_box(a: &AABB<[f64; 2]>, b: &AABB<[f64; 2]>) -> AABB<[f64; 2]> {
    let (lo_a, hi_a, lo_b, hi_b) = (a.lower(), a.upper(), b.lower(), b.upper());
    AABB::from_corners(
        [lo_a[0].max(lo_b[0]), lo_a[1].max(lo_b[1])],
        [hi_a[0].min(hi_b[0]), hi_a[1].min(hi_b[1])],
    )
}

fn meeting(x: &Edge, y: &Edge) -> Meeting {
    if !boxes_meet(x.lo, x.hi, y.lo, y.hi) {
        return Meeting::Apart;
    }
    let o = |p, q, r| RobustKernel::orient2d(p, q, r);
    // Edges around a common vertex, the usual meeting in a coverage, take one predicate.
    let common = if x.from == y.from {
        Some((x.from, x.to, y.to))
    } else if x.from == y.to {
        Some((x.from, x.to, y.from))
    } else if x.to == y.from {
        Some((x.to, x.from, y.to))
    } else if x.to == y.to {
        Some((x.to, x.from, y.from))
    } else {
        None
    };
    if let Some((at, p, q)) = common {
        if p == q {
            return Meeting::Shared;
        }
        if o(at, p, q) != Orientation::Collinear {
            // Two segments that are not collinear meet in at most one point.
            return Meeting::AtVertex;
        }
        // Collinear from a common end: they overlap unless they leave it in opposite
        // directions. Each product's sign is exact (a rounded difference of distinct floats
        // keeps its sign and is not zero), and for parallel vectors all agree.
        let same_way = (p.x - at.x) * (q.x - at.x) + (p.y - at.y) * (q.y - at.y) > 0.0;
        return if same_way {
            Meeting::Other
        } else {
            Meeting::AtVertex
        };
    }
    let (o1, o2) = (o(x.from, x.to, y.from), o(x.from, x.to, y.to));
    if o1 == Orientation::Collinear && o2 == Orientation::Collinear {
        return collinear_meeting(x, y);
    }
    let (o3, o4) = (o(y.from, y.to, x.from), o(y.from, y.to, x.to));
    let separated = |p: Orientation, q: Orientation| p == q && p != Orientation::Collinear;
    if separated(o1, o2) || separated(o3, o4) {
        Meeting::Apart
    } else {
        Meeting::Other
    }
}

/// Collinear segments without a common end: compared along their common line. Touching ends
/// would be a common end, so any overlap of their ranges is more than a point.
fn collinear_meeting(x: &Edge, y: &Edge) -> Meeting {
    let along = |c: Coord<f64>| {
        if (x.to.x - x.from.x).abs() >= (x.to.y - x.from.y).abs() {
            c.x
        } else {
            c.y
        }
    };
    let (x0, x1) = min_max(along(x.from), along(x.to));
    let (y0, y1) = min_max(along(y.from), along(y.to));
    if x0.max(y0) > x1.min(y1) {
        Meeting::Apart
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

/// Polygons unioned in one overlay. i_overlay's working set grows with its input, so a layer of
/// a million parcels is unioned chunk by chunk and the chunks' (much smaller) outlines merged.
const UNION_CHUNK: usize = 4096;

/// The union of valid polygons; orientation is made consistent first because `unary_union`
/// takes the fill rule from the first ring's winding.
fn union(polys: &[Polygon<f64>]) -> Result<MultiPolygon<f64>, TooComplex> {
    let all: Vec<&Polygon<f64>> = polys.iter().collect();
    union_of(&all)
}

fn union_of(polys: &[&Polygon<f64>]) -> Result<MultiPolygon<f64>, TooComplex> {
    let overlay = |ps: &[&Polygon<f64>]| {
        if too_complex(ps.iter().copied()) {
            return Err(TooComplex);
        }
        let oriented: Vec<Polygon<f64>> = ps.iter().map(|p| counter_clockwise(p)).collect();
        Ok(unary_union(&oriented))
    };
    if polys.len() <= UNION_CHUNK {
        return overlay(polys);
    }
    // Chunks of neighbours (Z-order of the bounding-box centres) have short outlines. Each
    // chunk's union is put back on the input coordinates before the merge, so the outlines of
    // two chunks meet exactly where their parcels did.
    let ordered = z_order(polys);
    let chunks: Vec<&[&Polygon<f64>]> = ordered.chunks(UNION_CHUNK).collect();
    let unions: Vec<MultiPolygon<f64>> = chunks
        .par_iter()
        .map(|chunk| overlay(chunk))
        .collect::<Result<_, _>>()?;
    if unions.iter().map(|u| u.0.len()).sum::<usize>() * 2 > polys.len() {
        // Scattered polygons that do not merge: chunking would not shrink the input. Known
        // before snapping, which costs more than the overlay of disjoint squares.
        return overlay(polys);
    }
    let merged: Vec<Polygon<f64>> = unions
        .into_par_iter()
        .zip(chunks)
        .flat_map_iter(|(union, chunk)| snap_back(union, chunk))
        .collect();
    let merged: Vec<&Polygon<f64>> = merged.iter().collect();
    union_of(&merged)
}

/// `p` with its exterior counter-clockwise and its holes clockwise, judged by signed area. geo's
/// `orient` judges by the turn at the lowest vertex, which a hair-thin spike there can reverse:
/// a sliver hole between two chunks would then be filled.
fn counter_clockwise(p: &Polygon<f64>) -> Polygon<f64> {
    let turned = |ring: &LineString<f64>, positive: bool| {
        let mut ring = ring.clone();
        let Some(&o) = ring.0.first() else {
            return ring;
        };
        // Relative to the first vertex, so Gauss-Krüger magnitudes do not cancel the sum.
        let twice_area: f64 = ring
            .lines()
            .map(|l| (l.start.x - o.x) * (l.end.y - o.y) - (l.end.x - o.x) * (l.start.y - o.y))
            .sum();
        if (twice_area > 0.0) != positive {
            ring.0.reverse();
        }
        ring
    };
    Polygon::new(
        turned(p.exterior(), true),
        p.interiors().iter().map(|r| turned(r, false)).collect(),
    )
}

/// `polys` sorted along a Z-order curve through their bounding-box centres.
fn z_order<'a>(polys: &[&'a Polygon<f64>]) -> Vec<&'a Polygon<f64>> {
    let centres: Vec<Option<Coord<f64>>> = polys
        .iter()
        .map(|p| p.bounding_rect().map(|r| r.center()))
        .collect();
    let extent = centres
        .iter()
        .flatten()
        .fold(None, |acc: Option<(Coord<f64>, Coord<f64>)>, c| {
            Some(match acc {
                None => (*c, *c),
                Some((lo, hi)) => (
                    Coord {
                        x: lo.x.min(c.x),
                        y: lo.y.min(c.y),
                    },
                    Coord {
                        x: hi.x.max(c.x),
                        y: hi.y.max(c.y),
                    },
                ),
            })
        });
    let Some((lo, hi)) = extent else {
        return polys.to_vec();
    };
    let cell = |v: f64, lo: f64, hi: f64| {
        let t = if hi > lo { (v - lo) / (hi - lo) } else { 0.0 };
        // 16 bits per axis; the cast saturates, so NaN lands in cell 0.
        (t * f64::from(u16::MAX)) as u16
    };
    let mut keyed: Vec<(u32, &'a Polygon<f64>)> = polys
        .iter()
        .zip(&centres)
        .map(|(p, c)| {
            let key = c.map_or(0, |c| {
                interleave(cell(c.x, lo.x, hi.x)) | interleave(cell(c.y, lo.y, hi.y)) << 1
            });
            (key, *p)
        })
        .collect();
    keyed.sort_by_key(|(key, _)| *key);
    keyed.into_iter().map(|(_, p)| p).collect()
}

/// The bits of `v` spread to the even bit positions.
fn interleave(v: u16) -> u32 {
    let mut x = u32::from(v);
    x = (x | x << 8) & 0x00ff_00ff;
    x = (x | x << 4) & 0x0f0f_0f0f;
    x = (x | x << 2) & 0x3333_3333;
    (x | x << 1) & 0x5555_5555
}

/// Undoes i_overlay's rounding (see the module doc): an output vertex near an input vertex
/// becomes that vertex, and one near a crossing of two input edges becomes that crossing as
/// computed from the edges themselves.
fn snap_back(mut result: MultiPolygon<f64>, sources: &[&Polygon<f64>]) -> MultiPolygon<f64> {
    let Some(tolerance) = resolution(sources) else {
        return result;
    };
    // Only the sources' vertices and edges within `tolerance` of a result vertex matter: a part
    // cut from a large unit should not pay for indexing all of the unit, nor the union of a
    // chunk of parcels for the edges inside it.
    let near: RTree<[f64; 2]> = RTree::bulk_load(
        result
            .iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .flat_map(|r| r.coords().map(|c| [c.x, c.y]))
            .collect(),
    );
    let touches = |lo: Coord<f64>, hi: Coord<f64>| {
        let reach = AABB::from_corners(
            [lo.x - tolerance, lo.y - tolerance],
            [hi.x + tolerance, hi.y + tolerance],
        );
        near.locate_in_envelope(&reach).next().is_some()
    };
    let lines: Vec<Line<f64>> = sources
        .iter()
        .filter(|p| p.bounding_rect().is_some_and(|r| touches(r.min(), r.max())))
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|r| r.lines())
        .filter(|l| {
            let (a, b) = (l.start, l.end);
            touches(
                Coord {
                    x: a.x.min(b.x),
                    y: a.y.min(b.y),
                },
                Coord {
                    x: a.x.max(b.x),
                    y: a.y.max(b.y),
                },
            )
        })
        .collect();
    let vertices = RTree::bulk_load(
        lines
            .iter()
            .map(|l| [l.start.x, l.start.y])
            .chain(lines.iter().map(|l| [l.end.x, l.end.y]))
            .collect(),
    );
    let edges: RTree<Line<f64>> = RTree::bulk_load(lines);
    let snap = |ring: &mut LineString<f64>| {
        for c in ring.0.iter_mut() {
            if let Some(v) = vertices.nearest_neighbor(&[c.x, c.y]) {
                if (v[0] - c.x).hypot(v[1] - c.y) <= tolerance {
                    *c = Coord { x: v[0], y: v[1] };
                    continue;
                }
            }
            if let Some(x) = crossing_near(&edges, *c, tolerance) {
                *c = x;
            }
        }
    };
    for p in result.iter_mut() {
        p.exterior_mut(|r| snap(r));
        p.interiors_mut(|rs| rs.iter_mut().for_each(&snap));
    }
    result
}

/// How far overlay may move a vertex of `sources`: i_overlay's grid step is at most 2⁻²⁹ of the
/// half extent; allow a few steps. `None` for nothing to measure.
fn resolution(sources: &[&Polygon<f64>]) -> Option<f64> {
    let extent = super::bounds(sources.iter().filter_map(|p| p.bounding_rect()))?;
    Some(extent.width().max(extent.height()) / 2.0 * (-25f64).exp2())
}

/// The crossing of two input edges nearest to `c`, if one is within `tolerance`.
fn crossing_near(edges: &RTree<Line<f64>>, c: Coord<f64>, tolerance: f64) -> Option<Coord<f64>> {
    let near: Vec<&Line<f64>> = edges
        .locate_within_distance(Point::from(c), tolerance * tolerance)
        .collect();
    let mut best: Option<(f64, Coord<f64>)> = None;
    for (i, a) in near.iter().enumerate() {
        for b in &near[i + 1..] {
            if let Some(LineIntersection::SinglePoint {
                intersection: x, ..
            }) = line_intersection(**a, **b)
            {
                let d = (x.x - c.x).hypot(x.y - c.y);
                if d <= tolerance && best.is_none_or(|(bd, _)| d < bd) {
                    best = Some((d, x));
                }
            }
        }
    }
    best.map(|(_, x)| x)
}

/// The uncovered `regions` left by overlay of `sources`, on the sources' coordinates. A region
/// narrower than the overlay's resolution is an artefact of its grid (a vertex the grid made
/// collinear and dropped), not a gap, and is left out.
fn gap_list(regions: MultiPolygon<f64>, sources: &[&Polygon<f64>]) -> Vec<Gap> {
    let resolution = resolution(sources).unwrap_or(0.0);
    let mut gaps: Vec<Gap> = snap_back(regions, sources)
        .into_iter()
        .filter_map(|geometry| {
            let area = geometry.unsigned_area();
            let perimeter: f64 = std::iter::once(geometry.exterior())
                .chain(geometry.interiors())
                .map(|r| Euclidean.length(r))
                .sum();
            let width = 2.0 * area / perimeter;
            (area > 0.0 && width > resolution).then_some(Gap {
                width,
                geometry,
                area,
            })
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
