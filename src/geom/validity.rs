//! Geometry validity as OGC Simple Features defines it and JTS's `IsValidOp` decides it, with
//! typed reasons.
//!
//! GEOS, PostGIS `ST_IsValid`, QGIS and shapely share JTS's verdicts, so a parcel this module
//! accepts is accepted by the tools a surveyor will open it in. geo's own `Validation` is not
//! used: it lets through interiors cut apart by touching holes and some zero-area rings (11 of
//! the 914 cases of JTS's validity suite), and its time grows with the square of a ring's size.
//!
//! The model is JTS's default one: a ring may not touch itself anywhere (a pinched "inverted
//! hole" or "exverted shell" is invalid); rings of one polygon may touch one another only at
//! points, and only so long as the interior stays connected; the polygons of a multipolygon may
//! touch only at points.
//!
//! Rings are noded with exact orientation predicates, pairing up segments through an R-tree of
//! their boxes (a plain scan when there are only a few hundred), so a polygonal geometry of n
//! segments costs O(n log n) plus the segment pairs whose boxes overlap. Nothing here depends on
//! rings being oriented one way or the other.

use std::borrow::Cow;
use std::cell::{Cell, OnceCell};
use std::collections::{BTreeMap, HashMap};
use std::ops::ControlFlow;

use geo::kernels::{Kernel, Orientation, RobustKernel};
use geo::line_intersection::line_intersection;
use geo::{Coord, Geometry, Line, LineIntersection, LineString, Polygon};
use rstar::{Envelope, RTree, RTreeObject, AABB};

use super::sweep::{self, Swept};

/// Why a geometry is invalid: one variant per error code of JTS's `TopologyValidationError`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// A line with fewer than 2, or a ring with fewer than 4, points once repeated consecutive
    /// points are dropped.
    TooFewPoints,
    /// An ordinate is NaN or infinite.
    InvalidCoordinate,
    /// A ring ends somewhere other than where it starts. geo-types closes polygon rings itself,
    /// so only [`validate_ring`] can meet one.
    RingNotClosed,
    /// Rings cross or overlap one another, or a ring crosses or doubles back on itself.
    SelfIntersection,
    /// A ring touches itself without crossing, e.g. a pinched-off loop.
    RingSelfIntersection,
    /// A hole lies outside its polygon's exterior ring.
    HoleOutsideShell,
    /// A hole lies inside another hole of the same polygon.
    NestedHoles,
    /// Holes touching the exterior ring or one another cut the polygon's interior apart.
    DisconnectedInterior,
    /// A polygon of a multipolygon lies inside another one's interior.
    NestedShells,
    /// Two rings have exactly the same vertices. Current JTS calls this a self-intersection,
    /// so [`validate`] lists that finding first and this one right after it.
    DuplicateRings,
}

impl Reason {
    /// Stable snake_case identifier, for reports and rule configuration.
    pub fn code(&self) -> &'static str {
        match self {
            Reason::TooFewPoints => "too_few_points",
            Reason::InvalidCoordinate => "invalid_coordinate",
            Reason::RingNotClosed => "ring_not_closed",
            Reason::SelfIntersection => "self_intersection",
            Reason::RingSelfIntersection => "ring_self_intersection",
            Reason::HoleOutsideShell => "hole_outside_shell",
            Reason::NestedHoles => "nested_holes",
            Reason::DisconnectedInterior => "disconnected_interior",
            Reason::NestedShells => "nested_shells",
            Reason::DuplicateRings => "duplicate_rings",
        }
    }

    /// Chinese name, as shown in inspection reports.
    pub fn zh(&self) -> &'static str {
        match self {
            Reason::TooFewPoints => "点数不足",
            Reason::InvalidCoordinate => "坐标无效",
            Reason::RingNotClosed => "环未闭合",
            Reason::SelfIntersection => "自相交",
            Reason::RingSelfIntersection => "环自相交",
            Reason::HoleOutsideShell => "内环在外环之外",
            Reason::NestedHoles => "内环嵌套",
            Reason::DisconnectedInterior => "内部不连通",
            Reason::NestedShells => "外环嵌套",
            Reason::DuplicateRings => "重复环",
        }
    }
}

/// One way in which a geometry breaks the validity rules.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Invalidity {
    /// The rule broken, as JTS's error code would name it.
    pub reason: Reason,
    /// Where JTS would point: the bad coordinate, the intersection or touch point, or the first
    /// vertex of the misplaced ring or line. Every finding made here has one.
    pub location: Option<Coord<f64>>,
    /// Index of the element within a multi-geometry; in a geometry collection, the index among
    /// all its points, lines and polygons counted depth-first. `None` for a lone geometry.
    pub part: Option<usize>,
    /// Polygon ring: 0 for the exterior, `i + 1` for interior `i`. A finding about two rings
    /// names the later one (in input order). `None` for points and lines.
    pub ring: Option<usize>,
}

/// Every reason `g` is invalid; empty when it is valid.
///
/// The first entry has the reason JTS's `IsValidOp` reports. Checks run in JTS's order and
/// each relies on the earlier ones having passed, so all entries come from the first check that
/// fails: each bad ring or line once, each pair of rings that meet wrongly once, each misplaced
/// ring once, each place where the interior is cut once. Where a geometry has several defects
/// of the same kind, JTS may name another of them first, depending on its index traversal.
pub fn validate(g: &Geometry<f64>) -> Vec<Invalidity> {
    run(g, false)
}

/// Whether `g` is valid; stops at the first defect, so it is cheaper than [`validate`].
pub fn is_valid(g: &Geometry<f64>) -> bool {
    run(g, true).is_empty()
}

/// Validates a line string as a JTS `LinearRing` (a bare ring, as WKT `LINEARRING` writes it):
/// it must be closed, have 4 or more points and neither cross nor touch itself. geo-types has no
/// ring type; polygon rings are checked by [`validate`]. Every crossing or touch is reported as
/// [`Reason::RingSelfIntersection`], as JTS does for rings.
pub fn validate_ring(ring: &LineString<f64>) -> Vec<Invalidity> {
    let coords = &ring.0;
    let mut f = Findings::new(false);
    if coords.is_empty() || !check_coords(coords, None, None, &mut f) {
        return f.list;
    }
    if coords.first() != coords.last() {
        f.push(Reason::RingNotClosed, coords[0], None, None);
    } else if !has_distinct(coords, 4) {
        f.push(Reason::TooFewPoints, coords[0], None, None);
    } else {
        let rings = vec![Ring::new(coords, None, 0, 0)];
        Topology::new(rings).node(&mut f);
        for x in &mut f.list {
            x.reason = Reason::RingSelfIntersection;
            x.ring = None;
        }
    }
    f.list
}

fn run(g: &Geometry<f64>, first_only: bool) -> Vec<Invalidity> {
    let mut f = Findings::new(first_only);
    check_geometry(g, None, &mut f);
    f.list
}

struct Findings {
    first_only: bool,
    list: Vec<Invalidity>,
}

impl Findings {
    fn new(first_only: bool) -> Self {
        Findings {
            first_only,
            list: Vec::new(),
        }
    }

    fn push(&mut self, reason: Reason, at: Coord<f64>, part: Option<usize>, ring: Option<usize>) {
        self.list.push(Invalidity {
            reason,
            location: Some(at),
            part,
            ring,
        });
    }

    fn done(&self) -> bool {
        self.first_only && !self.list.is_empty()
    }
}

/// Checks `g` and returns how many points, lines and polygons it holds, so that a collection
/// can number the parts of the members that follow. `base` is the part number of `g`'s first
/// element when `g` sits inside a collection.
fn check_geometry(g: &Geometry<f64>, base: Option<usize>, f: &mut Findings) -> usize {
    let nth = |i: usize| Some(base.unwrap_or(0) + i);
    match g {
        Geometry::Point(p) => {
            check_coords(&[p.0], base, None, f);
            1
        }
        Geometry::MultiPoint(mp) => {
            for (i, p) in mp.iter().enumerate() {
                check_coords(&[p.0], nth(i), None, f);
                if f.done() {
                    break;
                }
            }
            mp.len()
        }
        Geometry::Line(l) => {
            check_line(&[l.start, l.end], base, f);
            1
        }
        Geometry::LineString(ls) => {
            check_line(&ls.0, base, f);
            1
        }
        Geometry::MultiLineString(mls) => {
            for (i, ls) in mls.iter().enumerate() {
                check_line(&ls.0, nth(i), f);
                if f.done() {
                    break;
                }
            }
            mls.0.len()
        }
        Geometry::Polygon(p) => {
            check_polygons(&[(base, p)], f);
            1
        }
        Geometry::MultiPolygon(mp) => {
            let polys: Vec<_> = mp.iter().enumerate().map(|(i, p)| (nth(i), p)).collect();
            check_polygons(&polys, f);
            mp.0.len()
        }
        Geometry::Rect(r) => {
            check_polygons(&[(base, &r.to_polygon())], f);
            1
        }
        Geometry::Triangle(t) => {
            check_polygons(&[(base, &t.to_polygon())], f);
            1
        }
        Geometry::GeometryCollection(gc) => {
            let mut n = 0;
            for member in gc {
                n += check_geometry(member, nth(n), f);
                if f.done() {
                    break;
                }
            }
            n
        }
    }
}

/// Reports the first non-finite coordinate; true if there is none.
fn check_coords(
    coords: &[Coord<f64>],
    part: Option<usize>,
    ring: Option<usize>,
    f: &mut Findings,
) -> bool {
    match coords
        .iter()
        .find(|c| !(c.x.is_finite() && c.y.is_finite()))
    {
        Some(&bad) => {
            f.push(Reason::InvalidCoordinate, bad, part, ring);
            false
        }
        None => true,
    }
}

fn check_line(coords: &[Coord<f64>], part: Option<usize>, f: &mut Findings) {
    if !coords.is_empty() && check_coords(coords, part, None, f) && !has_distinct(coords, 2) {
        f.push(Reason::TooFewPoints, coords[0], part, None);
    }
}

/// Whether `coords` has at least `n` points once consecutive repeats are dropped.
fn has_distinct(coords: &[Coord<f64>], n: usize) -> bool {
    1 + coords.windows(2).filter(|w| w[0] != w[1]).take(n).count() >= n
}

/// Checks a polygon or the polygons of a multipolygon, which JTS judges together.
fn check_polygons(polys: &[(Option<usize>, &Polygon<f64>)], f: &mut Findings) {
    let start = f.list.len();
    let mut rings = Vec::new();
    for (poly, &(part, p)) in polys.iter().enumerate() {
        // JTS reports a polygon's bad coordinates on any ring before its short rings.
        let mut short = Vec::new();
        let all = std::iter::once(p.exterior()).chain(p.interiors());
        for (r, ring) in all.enumerate().filter(|(_, ring)| !ring.0.is_empty()) {
            if !check_coords(&ring.0, part, Some(r), f) {
                continue;
            }
            if has_distinct(&ring.0, 4) {
                rings.push(Ring::new(&ring.0, part, r, poly));
            } else {
                short.push((ring.0[0], r));
            }
        }
        for (at, r) in short {
            f.push(Reason::TooFewPoints, at, part, Some(r));
        }
        if f.done() {
            return;
        }
    }
    if f.list.len() > start || rings.is_empty() {
        return;
    }
    let topo = Topology::new(rings);
    let touches = topo.node(f);
    if f.list.len() > start {
        return;
    }
    topo.check_holes_in_shells(f);
    if f.list.len() > start {
        return;
    }
    // Nesting needs two rings or more.
    if topo.rings.len() > 1 {
        let boxes = topo.rings.iter().enumerate();
        let boxes = Boxes::new(
            boxes
                .map(|(ring, r)| Boxed {
                    ring,
                    idx: 0,
                    env: r.env,
                })
                .collect(),
        );
        topo.check_holes_not_nested(&boxes, f);
        if f.list.len() > start {
            return;
        }
        topo.check_shells_not_nested(&boxes, f);
        if f.list.len() > start {
            return;
        }
    }
    topo.check_interior_connected(&touches, f);
}

struct Ring<'a> {
    /// Closed, without consecutive repeated points: every segment has length and every pair
    /// of segments that meets is a real meeting of the ring's boundary.
    pts: Cow<'a, [Coord<f64>]>,
    part: Option<usize>,
    /// 0 for the exterior ring, `i + 1` for interior `i`.
    ring: usize,
    /// Which polygon of the geometry the ring belongs to.
    poly: usize,
    env: AABB<[f64; 2]>,
    ccw: bool,
}

impl<'a> Ring<'a> {
    fn new(coords: &'a [Coord<f64>], part: Option<usize>, ring: usize, poly: usize) -> Self {
        let pts = if coords.windows(2).any(|w| w[0] == w[1]) {
            let mut v = coords.to_vec();
            v.dedup();
            Cow::Owned(v)
        } else {
            Cow::Borrowed(coords)
        };
        let (lo, hi) = pts
            .iter()
            .fold(([f64::MAX; 2], [f64::MIN; 2]), |(lo, hi), c| {
                (
                    [lo[0].min(c.x), lo[1].min(c.y)],
                    [hi[0].max(c.x), hi[1].max(c.y)],
                )
            });
        let env = AABB::from_corners(lo, hi);
        let ccw = is_ccw(&pts);
        Ring {
            pts,
            part,
            ring,
            poly,
            env,
            ccw,
        }
    }

    fn segment(&self, i: usize) -> Line<f64> {
        Line::new(self.pts[i], self.pts[i + 1])
    }

    /// The vertex before `pts[i]`, going round the closing point.
    fn before(&self, i: usize) -> Coord<f64> {
        self.pts[if i == 0 { self.pts.len() - 2 } else { i - 1 }]
    }

    /// The vertex after `pts[i]`, going round the closing point.
    fn after(&self, i: usize) -> Coord<f64> {
        self.pts[if i + 1 == self.pts.len() { 1 } else { i + 1 }]
    }

    fn is_hole(&self) -> bool {
        self.ring > 0
    }
}

/// Orientation read off the lowest (then leftmost) vertex, which is convex in any ring that
/// neither crosses nor overlaps itself. Only such rings are ever asked.
fn is_ccw(pts: &[Coord<f64>]) -> bool {
    let open = &pts[..pts.len() - 1];
    let low = (0..open.len())
        .min_by(|&a, &b| {
            (open[a].y, open[a].x)
                .partial_cmp(&(open[b].y, open[b].x))
                .unwrap_or(std::cmp::Ordering::Equal)
        })
        .expect("a ring has vertices");
    let prev = open[(low + open.len() - 1) % open.len()];
    let next = open[(low + 1) % open.len()];
    orient(prev, open[low], next) == Orientation::CounterClockwise
}

fn orient(p: Coord<f64>, q: Coord<f64>, r: Coord<f64>) -> Orientation {
    RobustKernel::orient2d(p, q, r)
}

/// Whether direction `o→b` lies strictly inside the sector swept counter-clockwise from `o→from`
/// to `o→to`. The two bounding directions must differ.
fn in_ccw_sector(o: Coord<f64>, from: Coord<f64>, to: Coord<f64>, b: Coord<f64>) -> bool {
    use Orientation::{Clockwise, CounterClockwise};
    if orient(o, from, to) == CounterClockwise {
        orient(o, from, b) == CounterClockwise && orient(o, b, to) == CounterClockwise
    } else {
        // A reflex or straight sector: `b` is in it unless it is in the closed complement.
        orient(o, to, b) == Clockwise || orient(o, b, from) == Clockwise
    }
}

/// Whether the two rings meeting at `node` cross there: ring A arrives from `a0` and leaves to
/// `a1`, ring B likewise with `b0`, `b1`. An edge of B lying along one of A is not counted here;
/// that overlap is reported on its own as a collinear intersection.
fn crosses(
    node: Coord<f64>,
    a0: Coord<f64>,
    a1: Coord<f64>,
    b0: Coord<f64>,
    b1: Coord<f64>,
) -> bool {
    in_ccw_sector(node, a0, a1, b0) != in_ccw_sector(node, a0, a1, b1)
}

/// A segment (number `idx` of `ring`) or a whole ring (`idx` 0), with its box.
struct Boxed {
    ring: usize,
    idx: usize,
    env: AABB<[f64; 2]>,
}

impl RTreeObject for Boxed {
    type Envelope = AABB<[f64; 2]>;

    fn envelope(&self) -> Self::Envelope {
        self.env
    }
}

/// Up to this many boxes, scanning them all beats building and walking a tree.
const SCAN_MAX: usize = 256;

/// Boxes, for finding those that meet a given box or one another.
enum Boxes {
    Scan(Vec<Boxed>),
    Tree(RTree<Boxed>),
}

impl Boxes {
    fn new(items: Vec<Boxed>) -> Self {
        if items.len() > SCAN_MAX {
            Boxes::Tree(RTree::bulk_load(items))
        } else {
            Boxes::Scan(items)
        }
    }

    /// Calls `visit` once for every two items whose boxes meet, the one earlier in
    /// (ring, idx) order first, until it breaks.
    fn for_each_pair(
        &self,
        mut visit: impl FnMut(&Boxed, &Boxed) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        match self {
            Boxes::Scan(items) => {
                for (k, s) in items.iter().enumerate() {
                    for t in items[k + 1..].iter().filter(|t| s.env.intersects(&t.env)) {
                        visit(s, t)?;
                    }
                }
            }
            Boxes::Tree(tree) => {
                for (s, t) in tree.intersection_candidates_with_other_tree(tree) {
                    if (t.ring, t.idx) > (s.ring, s.idx) {
                        visit(s, t)?;
                    }
                }
            }
        }
        ControlFlow::Continue(())
    }

    /// The items whose boxes meet `env`.
    fn meeting<'s>(&'s self, env: &'s AABB<[f64; 2]>) -> impl Iterator<Item = &'s Boxed> + 's {
        let (scan, tree) = match self {
            Boxes::Scan(items) => (Some(items), None),
            Boxes::Tree(tree) => (None, Some(tree)),
        };
        let scanned = scan.into_iter().flatten().filter(|s| s.env.intersects(env));
        scanned.chain(
            tree.into_iter()
                .flat_map(|t| t.locate_in_envelope_intersecting(env)),
        )
    }
}

fn seg_env(s: Line<f64>) -> AABB<[f64; 2]> {
    AABB::from_corners([s.start.x, s.start.y], [s.end.x, s.end.y])
}

/// How two segments meet.
enum Meeting {
    Apart,
    Invalid(Reason, Coord<f64>),
    /// Two different rings touch at a point without crossing.
    Touch(Coord<f64>),
}

/// Where a point lies relative to a ring; on it, with the ring's vertices on either side.
enum Loc {
    Inside,
    Outside,
    On { prev: Coord<f64>, next: Coord<f64> },
}

/// Two rings touching at a point: ring ids and the point.
type Touch = (usize, usize, Coord<f64>);

struct Topology<'a> {
    rings: Vec<Ring<'a>>,
    /// Segments are numbered ring after ring; this is the number of each ring's first one, and
    /// the count of all segments at the end.
    first_seg: Vec<usize>,
    /// The segments' boxes, built when first asked for: a lone ring swept for crossings never
    /// needs them.
    segs: OnceCell<Boxes>,
}

impl<'a> Topology<'a> {
    fn new(rings: Vec<Ring<'a>>) -> Self {
        let mut first_seg = Vec::with_capacity(rings.len() + 1);
        first_seg.push(0);
        for r in &rings {
            first_seg.push(first_seg[first_seg.len() - 1] + r.pts.len() - 1);
        }
        Topology {
            rings,
            first_seg,
            segs: OnceCell::new(),
        }
    }

    fn segs(&self) -> &Boxes {
        self.segs.get_or_init(|| {
            let all = 0..self.first_seg[self.rings.len()] as u32;
            Boxes::new(all.map(|g| self.boxed(g)).collect())
        })
    }

    /// Ring and index in it of segment number `g`.
    fn seg_of(&self, g: u32) -> (usize, usize) {
        let ring = self.first_seg.partition_point(|&f| f <= g as usize) - 1;
        (ring, g as usize - self.first_seg[ring])
    }

    fn line(&self, g: u32) -> Line<f64> {
        let (ring, idx) = self.seg_of(g);
        self.rings[ring].segment(idx)
    }

    fn boxed(&self, g: u32) -> Boxed {
        let (ring, idx) = self.seg_of(g);
        let env = seg_env(self.rings[ring].segment(idx));
        Boxed { ring, idx, env }
    }

    fn global(&self, b: &Boxed) -> u32 {
        (self.first_seg[b.ring] + b.idx) as u32
    }

    fn invalidity(&self, ring: usize, reason: Reason, at: Coord<f64>) -> Invalidity {
        let r = &self.rings[ring];
        Invalidity {
            reason,
            location: Some(at),
            part: r.part,
            ring: Some(r.ring),
        }
    }

    /// Finds the invalid intersections between and within rings, one per pair of rings, and
    /// returns the touches between rings of one polygon, which decide whether its interior is
    /// connected.
    ///
    /// A few hundred segments are paired by a plain scan; more are swept
    /// ([`sweep::meeting_pairs`]), which visits the same pairs when no two segments cross, in
    /// O(n log n) where pairing boxes is quadratic for a sawtooth. The touches are put in the
    /// scan's order, so either way gives the same findings. A sweep stops at the first crossing;
    /// [`Self::bad_ring_pairs`] then finds the rest, ring by ring.
    fn node(&self, f: &mut Findings) -> Vec<Touch> {
        let segments = self.first_seg[self.rings.len()];
        if segments <= SCAN_MAX {
            return self.node_by_boxes(f);
        }
        let all: Vec<u32> = (0..segments as u32).collect();
        let mut touches = Vec::new();
        let mut bad = None;
        let swept = sweep::meeting_pairs(
            &all,
            |g| self.line(g),
            |i, j| {
                let ((ra, si), (rb, sj)) = (self.seg_of(i), self.seg_of(j));
                match self.meet(ra, si, rb, sj) {
                    Meeting::Apart => {}
                    Meeting::Touch(at) => {
                        if self.rings[ra].poly == self.rings[rb].poly {
                            touches.push((i, j, (ra, rb, at)));
                        }
                    }
                    Meeting::Invalid(reason, at) => {
                        bad = Some(((rb, ra), self.invalidity(rb, reason, at)));
                        return ControlFlow::Break(());
                    }
                }
                ControlFlow::Continue(())
            },
        );
        match (swept, bad) {
            (Swept::Complete, _) => {
                touches.sort_unstable_by_key(|&(i, j, _)| (i, j));
                return touches.into_iter().map(|(_, _, t)| t).collect();
            }
            (_, Some((pair, found))) if f.first_only => {
                self.report(BTreeMap::from([(pair, found)]), f)
            }
            (_, Some(_)) => self.report(self.bad_ring_pairs(), f),
            // Stopped without an invalid meeting: never seen, but pairing boxes is always right.
            (Swept::Stopped, None) => return self.node_by_boxes(f),
        }
        Vec::new()
    }

    /// [`Self::node`] by pairing the segments' boxes.
    fn node_by_boxes(&self, f: &mut Findings) -> Vec<Touch> {
        // Keyed (later ring, earlier ring), so findings come in the order of the rings they name.
        let mut bad: BTreeMap<(usize, usize), Invalidity> = BTreeMap::new();
        let mut touches = Vec::new();
        let _ = self.segs().for_each_pair(|s, t| {
            let (ra, rb) = (s.ring, t.ring);
            if bad.contains_key(&(rb, ra)) {
                return ControlFlow::Continue(());
            }
            match self.meet(ra, s.idx, rb, t.idx) {
                Meeting::Apart => {}
                Meeting::Touch(at) => {
                    if self.rings[ra].poly == self.rings[rb].poly {
                        touches.push((ra, rb, at));
                    }
                }
                Meeting::Invalid(reason, at) => {
                    bad.insert((rb, ra), self.invalidity(rb, reason, at));
                    if f.first_only {
                        return ControlFlow::Break(());
                    }
                }
            }
            ControlFlow::Continue(())
        });
        self.report(bad, f);
        touches
    }

    /// Reports the invalid meetings, keyed (later ring, earlier ring), and rings that repeat
    /// another.
    fn report(&self, bad: BTreeMap<(usize, usize), Invalidity>, f: &mut Findings) {
        for ((rb, ra), found) in bad {
            f.list.push(found);
            let (a, b) = (&self.rings[ra], &self.rings[rb]);
            if ra != rb && same_ring(&a.pts, &b.pts) {
                f.push(Reason::DuplicateRings, b.pts[0], b.part, Some(b.ring));
            }
        }
    }

    /// Every pair of rings (a ring with itself included) that meets invalidly, with one place
    /// where it does, keyed (later ring, earlier ring): each ring swept on its own, then each
    /// two rings whose boxes overlap, with their segments in the overlap.
    fn bad_ring_pairs(&self) -> BTreeMap<(usize, usize), Invalidity> {
        let mut bad = BTreeMap::new();
        for r in 0..self.rings.len() {
            let ids: Vec<u32> = (self.first_seg[r] as u32..self.first_seg[r + 1] as u32).collect();
            if let Some((reason, at)) = self.first_invalid(&ids, false) {
                bad.insert((r, r), self.invalidity(r, reason, at));
            }
        }
        let rings = self.rings.iter().enumerate();
        let rings = Boxes::new(
            rings
                .map(|(ring, r)| Boxed {
                    ring,
                    idx: 0,
                    env: r.env,
                })
                .collect(),
        );
        let _ = rings.for_each_pair(|a, b| {
            let (a, b) = (a.ring, b.ring);
            let (ea, eb) = (self.rings[a].env, self.rings[b].env);
            let (la, ua, lb, ub) = (ea.lower(), ea.upper(), eb.lower(), eb.upper());
            let overlap = AABB::from_corners(
                [la[0].max(lb[0]), la[1].max(lb[1])],
                [ua[0].min(ub[0]), ua[1].min(ub[1])],
            );
            let mut ids: Vec<u32> = self
                .segs()
                .meeting(&overlap)
                .filter(|s| s.ring == a || s.ring == b)
                .map(|s| self.global(s))
                .collect();
            ids.sort_unstable();
            let across = bad.contains_key(&(a, a)) || bad.contains_key(&(b, b));
            if let Some((reason, at)) = self.first_invalid(&ids, across) {
                bad.insert((b, a), self.invalidity(b, reason, at));
            }
            ControlFlow::Continue(())
        });
        bad
    }

    /// The first invalid meeting found among segments `ids` (ascending), only between two rings
    /// if `across`. A ring that crosses itself would stop a sweep before the pairs across rings
    /// were seen, so those are found by pairing boxes.
    fn first_invalid(&self, ids: &[u32], across: bool) -> Option<(Reason, Coord<f64>)> {
        let found = Cell::new(None);
        let visit = |i: u32, j: u32| {
            let ((ra, si), (rb, sj)) = (self.seg_of(i), self.seg_of(j));
            if across && ra == rb {
                return ControlFlow::Continue(());
            }
            match self.meet(ra, si, rb, sj) {
                Meeting::Invalid(reason, at) => {
                    found.set(Some((reason, at)));
                    ControlFlow::Break(())
                }
                _ => ControlFlow::Continue(()),
            }
        };
        if !across && ids.len() > SCAN_MAX {
            let swept = sweep::meeting_pairs(ids, |g| self.line(g), visit);
            if swept == Swept::Complete || found.get().is_some() {
                return found.get();
            }
        }
        let boxes = Boxes::new(ids.iter().map(|&g| self.boxed(g)).collect());
        let _ = boxes.for_each_pair(|s, t| visit(self.global(s), self.global(t)));
        found.get()
    }

    /// The rule of JTS's `PolygonIntersectionAnalyzer`, for segment `i` of ring `ra` and
    /// segment `j` of ring `rb`, where `(ra, i) < (rb, j)`.
    fn meet(&self, ra: usize, i: usize, rb: usize, j: usize) -> Meeting {
        let (a, b) = (&self.rings[ra], &self.rings[rb]);
        let (sa, sb) = (a.segment(i), b.segment(j));
        // Neighbours in a ring (the last and the first included) share a vertex, and can meet
        // anywhere else only by folding back along each other, all four points in line.
        let neighbours = ra == rb && (j - i == 1 || j - i == a.pts.len() - 2);
        if neighbours
            && (orient(sa.start, sa.end, sb.start) != Orientation::Collinear
                || orient(sa.start, sa.end, sb.end) != Orientation::Collinear)
        {
            return Meeting::Apart;
        }
        let at = match line_intersection(sa, sb) {
            None => return Meeting::Apart,
            Some(LineIntersection::Collinear { intersection }) => {
                return Meeting::Invalid(Reason::SelfIntersection, intersection.start)
            }
            Some(LineIntersection::SinglePoint {
                intersection,
                is_proper: true,
            }) => return Meeting::Invalid(Reason::SelfIntersection, intersection),
            Some(LineIntersection::SinglePoint { intersection, .. }) => intersection,
        };
        if neighbours {
            return Meeting::Apart;
        }
        if ra == rb {
            return Meeting::Invalid(Reason::RingSelfIntersection, at);
        }
        // A touch at a segment's end is judged with the segment that starts there.
        if at == sa.end || at == sb.end {
            return Meeting::Apart;
        }
        let (a0, a1) = if at == sa.start {
            (a.before(i), sa.end)
        } else {
            (sa.start, sa.end)
        };
        let (b0, b1) = if at == sb.start {
            (b.before(j), sb.end)
        } else {
            (sb.start, sb.end)
        };
        if crosses(at, a0, a1, b0, b1) {
            Meeting::Invalid(Reason::SelfIntersection, at)
        } else {
            Meeting::Touch(at)
        }
    }

    /// Locates `p` against ring `r` by counting crossings of a ray to +x (JTS's
    /// `RayCrossingCounter`), taking only the segments the ray's box meets from the index.
    fn locate(&self, p: Coord<f64>, r: usize) -> Loc {
        let ring = &self.rings[r];
        let ray = AABB::from_corners([p.x, p.y], [f64::MAX, p.y]);
        let mut inside = false;
        for s in self.segs().meeting(&ray) {
            if s.ring != r {
                continue;
            }
            let k = s.idx;
            let (a, b) = (ring.pts[k], ring.pts[k + 1]);
            if p == a {
                return Loc::On {
                    prev: ring.before(k),
                    next: b,
                };
            }
            if p == b {
                return Loc::On {
                    prev: a,
                    next: ring.after(k + 1),
                };
            }
            if (a.y > p.y) != (b.y > p.y) {
                match orient(a, b, p) {
                    Orientation::Collinear => return Loc::On { prev: a, next: b },
                    o => {
                        if (o == Orientation::CounterClockwise) == (b.y > a.y) {
                            inside = !inside;
                        }
                    }
                }
            } else if a.y == p.y && b.y == p.y && a.x.min(b.x) <= p.x && p.x <= a.x.max(b.x) {
                return Loc::On { prev: a, next: b };
            }
        }
        if inside {
            Loc::Inside
        } else {
            Loc::Outside
        }
    }

    /// Whether ring `test` lies inside ring `target`, given that they neither cross nor
    /// overlap: its first vertex decides, or if that is on `target`, the direction in which
    /// `test` leaves it.
    fn ring_in_ring(&self, test: usize, target: usize) -> bool {
        let (pts, t) = (&self.rings[test].pts, &self.rings[target]);
        match self.locate(pts[0], target) {
            Loc::Inside => true,
            Loc::Outside => false,
            Loc::On { prev, next } => {
                let (from, to) = if t.ccw { (next, prev) } else { (prev, next) };
                in_ccw_sector(pts[0], from, to, pts[1])
            }
        }
    }

    fn check_holes_in_shells(&self, f: &mut Findings) {
        let mut shell = None;
        for (id, h) in self.rings.iter().enumerate() {
            if !h.is_hole() {
                shell = Some(id);
                continue;
            }
            let inside = shell.is_some_and(|s| {
                let outer = &self.rings[s];
                outer.poly == h.poly
                    && outer.env.contains_envelope(&h.env)
                    && self.ring_in_ring(id, s)
            });
            if !inside {
                f.push(Reason::HoleOutsideShell, h.pts[0], h.part, Some(h.ring));
                if f.done() {
                    return;
                }
            }
        }
    }

    fn check_holes_not_nested(&self, boxes: &Boxes, f: &mut Findings) {
        for (id, h) in self.rings.iter().enumerate().filter(|(_, r)| r.is_hole()) {
            let nested = boxes.meeting(&h.env).any(|b| {
                let other = &self.rings[b.ring];
                b.ring != id
                    && other.is_hole()
                    && other.poly == h.poly
                    && other.env.contains_envelope(&h.env)
                    && self.ring_in_ring(id, b.ring)
            });
            if nested {
                f.push(Reason::NestedHoles, h.pts[0], h.part, Some(h.ring));
                if f.done() {
                    return;
                }
            }
        }
    }

    fn check_shells_not_nested(&self, boxes: &Boxes, f: &mut Findings) {
        for (id, s) in self.rings.iter().enumerate().filter(|(_, r)| !r.is_hole()) {
            let around = || {
                boxes
                    .meeting(&s.env)
                    .filter(|b| self.rings[b.ring].env.contains_envelope(&s.env))
            };
            let nested = around().any(|outer| {
                let o = &self.rings[outer.ring];
                !o.is_hole()
                    && o.poly != s.poly
                    && self.ring_in_ring(id, outer.ring)
                    // Inside another polygon's shell is fine if it is also inside one of its holes.
                    && !around().any(|h| {
                        let hole = &self.rings[h.ring];
                        hole.is_hole() && hole.poly == o.poly && self.ring_in_ring(id, h.ring)
                    })
            });
            if nested {
                f.push(Reason::NestedShells, s.pts[0], s.part, Some(s.ring));
                if f.done() {
                    return;
                }
            }
        }
    }

    /// A polygon's interior is cut apart exactly when the graph linking each ring to the points
    /// where it touches another ring of the polygon has a cycle (JTS's hole-cycle rule; two
    /// rings touching twice make the shortest cycle). Each edge that closes a cycle marks one
    /// piece cut off.
    fn check_interior_connected(&self, touches: &[Touch], f: &mut Findings) {
        let n = self.rings.len();
        let mut points = Vec::new();
        let mut ids: HashMap<(usize, u64, u64), usize> = HashMap::new();
        let mut edges = Vec::with_capacity(2 * touches.len());
        for &(a, b, at) in touches {
            // Adding 0.0 turns -0.0 into 0.0, so equal points get equal keys.
            let key = (
                self.rings[a].poly,
                (at.x + 0.0).to_bits(),
                (at.y + 0.0).to_bits(),
            );
            let node = *ids.entry(key).or_insert_with(|| {
                points.push(at);
                n + points.len() - 1
            });
            edges.push((a, node));
            edges.push((b, node));
        }
        edges.sort_unstable();
        edges.dedup();
        let mut parent: Vec<usize> = (0..n + points.len()).collect();
        for (ring, node) in edges {
            let (x, y) = (root(&mut parent, ring), root(&mut parent, node));
            if x == y {
                let r = &self.rings[ring];
                f.push(
                    Reason::DisconnectedInterior,
                    points[node - n],
                    r.part,
                    Some(r.ring),
                );
                if f.done() {
                    return;
                }
            } else {
                parent[x] = y;
            }
        }
    }
}

/// Union-find root of `i`, halving the path on the way so later look-ups stay short.
fn root(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// Whether two closed rings visit the same vertices in the same cyclic order, either way round.
fn same_ring(a: &[Coord<f64>], b: &[Coord<f64>]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let n = a.len() - 1;
    (0..n).filter(|&k| b[k] == a[0]).any(|k| {
        (0..n).all(|i| a[i] == b[(k + i) % n]) || (0..n).all(|i| a[i] == b[(k + n - i) % n])
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{wkt, GeometryCollection, MultiPolygon, Point};

    fn found(g: impl Into<Geometry<f64>>) -> Vec<Invalidity> {
        let g = g.into();
        let found = validate(&g);
        assert_eq!(is_valid(&g), found.is_empty(), "is_valid vs validate");
        found
    }

    fn first(g: impl Into<Geometry<f64>>) -> Invalidity {
        *found(g).first().expect("invalid")
    }

    fn at(x: f64, y: f64) -> Option<Coord<f64>> {
        Some(Coord { x, y })
    }

    #[test]
    fn too_few_points() {
        let line = first(wkt!(LINESTRING(1.0 1.0,1.0 1.0)));
        assert_eq!(
            (line.reason, line.location),
            (Reason::TooFewPoints, at(1.0, 1.0))
        );
        let flat = Polygon::new(
            LineString::from(vec![(0.0, 0.0), (10.0, 0.0), (10.0, 0.0), (0.0, 0.0)]),
            vec![],
        );
        let ring = first(flat);
        assert_eq!((ring.reason, ring.ring), (Reason::TooFewPoints, Some(0)));
    }

    #[test]
    fn invalid_coordinate() {
        let point = first(Point::new(f64::NAN, 1.0));
        assert_eq!(point.reason, Reason::InvalidCoordinate);
        let mut poly = wkt!(POLYGON((0.0 0.0,9.0 0.0,9.0 9.0,0.0 9.0,0.0 0.0),(1.0 1.0,2.0 1.0,2.0 2.0,1.0 1.0)));
        poly.interiors_mut(|holes| holes[0].0[1].x = f64::INFINITY);
        let hole = first(poly);
        assert_eq!(
            (hole.reason, hole.ring),
            (Reason::InvalidCoordinate, Some(1))
        );
    }

    #[test]
    fn ring_not_closed() {
        let mut ring = wkt!(LINESTRING(0.0 0.0,10.0 0.0,10.0 10.0,0.0 10.0));
        assert_eq!(validate_ring(&ring)[0].reason, Reason::RingNotClosed);
        ring.close();
        assert!(validate_ring(&ring).is_empty());
    }

    #[test]
    fn self_intersection() {
        let bowtie = first(wkt!(POLYGON((0.0 0.0,10.0 10.0,10.0 0.0,0.0 10.0,0.0 0.0))));
        assert_eq!(
            (bowtie.reason, bowtie.location),
            (Reason::SelfIntersection, at(5.0, 5.0))
        );
        let crossing_hole = first(
            wkt!(POLYGON((0.0 0.0,10.0 0.0,10.0 10.0,0.0 10.0,0.0 0.0),(5.0 5.0,15.0 5.0,15.0 6.0,5.0 5.0))),
        );
        assert_eq!(
            (crossing_hole.reason, crossing_hole.ring),
            (Reason::SelfIntersection, Some(1))
        );
        let as_ring = validate_ring(&wkt!(LINESTRING(0.0 0.0,10.0 10.0,10.0 0.0,0.0 10.0,0.0 0.0)));
        assert_eq!(as_ring[0].reason, Reason::RingSelfIntersection);
    }

    #[test]
    fn ring_self_intersection() {
        // The exterior pinches off a triangle at (5 10): an inverted hole.
        let pinched = first(
            wkt!(POLYGON((0.0 0.0,10.0 0.0,10.0 10.0,5.0 10.0,7.0 5.0,3.0 5.0,5.0 10.0,0.0 10.0,0.0 0.0))),
        );
        assert_eq!(
            (pinched.reason, pinched.location),
            (Reason::RingSelfIntersection, at(5.0, 10.0))
        );
    }

    #[test]
    fn hole_outside_shell() {
        let outside = first(
            wkt!(POLYGON((0.0 0.0,10.0 0.0,10.0 10.0,0.0 10.0,0.0 0.0),(20.0 20.0,30.0 20.0,30.0 30.0,20.0 20.0))),
        );
        assert_eq!(
            (outside.reason, outside.ring),
            (Reason::HoleOutsideShell, Some(1))
        );
        // Touching the shell from outside at a vertex.
        let touching = first(
            wkt!(POLYGON((0.0 0.0,10.0 0.0,10.0 10.0,0.0 10.0,0.0 0.0),(10.0 10.0,20.0 10.0,20.0 20.0,10.0 10.0))),
        );
        assert_eq!(touching.reason, Reason::HoleOutsideShell);
    }

    #[test]
    fn nested_holes() {
        let nested = first(
            wkt!(POLYGON((0.0 0.0,10.0 0.0,10.0 10.0,0.0 10.0,0.0 0.0),(1.0 1.0,9.0 1.0,9.0 9.0,1.0 9.0,1.0 1.0),(2.0 2.0,3.0 2.0,3.0 3.0,2.0 2.0))),
        );
        assert_eq!((nested.reason, nested.ring), (Reason::NestedHoles, Some(2)));
    }

    #[test]
    fn disconnected_interior() {
        // A diamond hole touching the middle of every side cuts off four corners.
        let diamond = wkt!(POLYGON((0.0 0.0,10.0 0.0,10.0 10.0,0.0 10.0,0.0 0.0),(5.0 0.0,10.0 5.0,5.0 10.0,0.0 5.0,5.0 0.0)));
        let cuts = found(diamond);
        assert_eq!(cuts.len(), 3, "four touches close three cycles: {cuts:?}");
        let sides = [at(5.0, 0.0), at(10.0, 5.0), at(5.0, 10.0), at(0.0, 5.0)];
        for cut in cuts {
            assert_eq!(cut.reason, Reason::DisconnectedInterior);
            assert!(sides.contains(&cut.location), "{cut:?}");
        }
    }

    #[test]
    fn nested_shells() {
        let nested = first(
            wkt!(MULTIPOLYGON(((0.0 0.0,10.0 0.0,10.0 10.0,0.0 10.0,0.0 0.0)),((2.0 2.0,4.0 2.0,4.0 4.0,2.0 4.0,2.0 2.0)))),
        );
        assert_eq!(
            (nested.reason, nested.part, nested.ring),
            (Reason::NestedShells, Some(1), Some(0))
        );
    }

    #[test]
    fn duplicate_rings() {
        let twice = found(
            wkt!(POLYGON((0.0 0.0,10.0 0.0,10.0 10.0,0.0 10.0,0.0 0.0),(1.0 1.0,2.0 1.0,2.0 2.0,1.0 1.0),(2.0 1.0,1.0 1.0,2.0 2.0,2.0 1.0))),
        );
        // JTS's own verdict first, then the more specific one.
        assert_eq!(twice[0].reason, Reason::SelfIntersection);
        assert_eq!(
            (twice[1].reason, twice[1].ring),
            (Reason::DuplicateRings, Some(2))
        );
    }

    #[test]
    fn point_touches_are_valid() {
        let hole_at_shell_vertex = wkt!(POLYGON((0.0 0.0,10.0 0.0,10.0 10.0,0.0 10.0,0.0 0.0),(0.0 0.0,3.0 1.0,1.0 3.0,0.0 0.0)));
        let hole_at_shell_edge = wkt!(POLYGON((0.0 0.0,10.0 0.0,10.0 10.0,0.0 10.0,0.0 0.0),(5.0 0.0,6.0 2.0,4.0 2.0,5.0 0.0)));
        let holes_touching = wkt!(POLYGON((0.0 0.0,10.0 0.0,10.0 10.0,0.0 10.0,0.0 0.0),(1.0 1.0,5.0 1.0,3.0 3.0,1.0 1.0),(5.0 1.0,9.0 1.0,7.0 3.0,5.0 1.0)));
        let parts_touching = wkt!(MULTIPOLYGON(((0.0 0.0,1.0 0.0,1.0 1.0,0.0 1.0,0.0 0.0)),((1.0 1.0,2.0 1.0,2.0 2.0,1.0 2.0,1.0 1.0))));
        let island_in_hole = wkt!(MULTIPOLYGON(((0.0 0.0,10.0 0.0,10.0 10.0,0.0 10.0,0.0 0.0),(1.0 1.0,9.0 1.0,9.0 9.0,1.0 9.0,1.0 1.0)),((1.0 1.0,5.0 2.0,2.0 5.0,1.0 1.0))));
        assert!(found(hole_at_shell_vertex).is_empty());
        assert!(found(hole_at_shell_edge).is_empty());
        assert!(found(holes_touching).is_empty());
        assert!(found(parts_touching).is_empty());
        assert!(found(island_in_hole).is_empty());
    }

    #[test]
    fn empty_geometries_are_valid() {
        assert!(found(LineString::<f64>::empty()).is_empty());
        assert!(found(Polygon::new(LineString::empty(), vec![])).is_empty());
        assert!(found(MultiPolygon::<f64>::empty()).is_empty());
        assert!(found(Geometry::GeometryCollection(GeometryCollection::empty())).is_empty());
    }

    #[test]
    fn collection_parts_are_numbered_depth_first() {
        let gc = Geometry::GeometryCollection(wkt!(GEOMETRYCOLLECTION(
            POINT(0.0 0.0),
            MULTIPOLYGON(((0.0 0.0,1.0 0.0,1.0 1.0,0.0 0.0)),((5.0 5.0,6.0 6.0,6.0 5.0,5.0 6.0,5.0 5.0))),
            LINESTRING(1.0 1.0,1.0 1.0)
        )));
        let parts: Vec<_> = found(gc).iter().map(|x| (x.reason, x.part)).collect();
        assert_eq!(
            parts,
            [
                (Reason::SelfIntersection, Some(2)),
                (Reason::TooFewPoints, Some(3))
            ]
        );
    }

    #[test]
    fn codes_and_names_are_distinct() {
        let all = [
            Reason::TooFewPoints,
            Reason::InvalidCoordinate,
            Reason::RingNotClosed,
            Reason::SelfIntersection,
            Reason::RingSelfIntersection,
            Reason::HoleOutsideShell,
            Reason::NestedHoles,
            Reason::DisconnectedInterior,
            Reason::NestedShells,
            Reason::DuplicateRings,
        ];
        let codes: std::collections::HashSet<_> = all.iter().map(Reason::code).collect();
        let names: std::collections::HashSet<_> = all.iter().map(Reason::zh).collect();
        assert_eq!((codes.len(), names.len()), (all.len(), all.len()));
        assert_eq!(Reason::DisconnectedInterior.code(), "disconnected_interior");
        assert_eq!(Reason::HoleOutsideShell.zh(), "内环在外环之外");
    }

    /// A square shell of 20 × 20 with a vertex at every quarter unit of its sides, and 70 lattice
    /// diamonds and squares as holes placed at random: holes touching one another and the shell
    /// at vertices and along edges, overlapping, crossing, nested. Over 256 segments, so
    /// [`Topology::node`] sweeps; pairing boxes must find the same touches and the same bad
    /// pairs of rings.
    #[test]
    fn sweep_and_boxes_agree() {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut below = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n) as f64
        };
        let c = |x: f64, y: f64| Coord { x, y };
        let side = |i: usize| i as f64 / 4.0;
        let mut shell: Vec<Coord<f64>> = (0..80).map(|i| c(side(i), 0.0)).collect();
        shell.extend((0..80).map(|i| c(20.0, side(i))));
        shell.extend((0..80).map(|i| c(20.0 - side(i), 20.0)));
        shell.extend((0..80).map(|i| c(0.0, 20.0 - side(i))));
        shell.push(shell[0]);
        let (mut valid, mut invalid, mut touching) = (0, 0, 0);
        for case in 0..240 {
            let holes: Vec<LineString<f64>> = (0..70)
                .map(|_| {
                    let (x, y, r) = (below(21), below(21), 1.0 + below(2));
                    let ring = if below(2) == 0.0 {
                        vec![c(x - r, y), c(x, y - r), c(x + r, y), c(x, y + r)]
                    } else {
                        vec![c(x, y), c(x + r, y), c(x + r, y + r), c(x, y + r)]
                    };
                    LineString::from(ring)
                })
                .collect();
            // Fewer holes for some cases, so that valid polygons come up too.
            let keep = if case % 3 == 0 { 70 } else { 1 + case % 5 };
            let p = Polygon::new(LineString::from(shell.clone()), holes[..keep].to_vec());
            let all = std::iter::once(p.exterior()).chain(p.interiors());
            let rings: Vec<Ring> = all
                .enumerate()
                .map(|(r, ring)| Ring::new(&ring.0, None, r, 0))
                .collect();
            let topo = Topology::new(rings);
            assert!(topo.first_seg[topo.rings.len()] > SCAN_MAX);
            for first_only in [false, true] {
                let (mut swept, mut boxed) = (Findings::new(first_only), Findings::new(first_only));
                let mut by_sweep = topo.node(&mut swept);
                let mut by_boxes = topo.node_by_boxes(&mut boxed);
                let key = |t: &Touch| (t.0, t.1, t.2.x.to_bits(), t.2.y.to_bits());
                by_sweep.sort_by_key(key);
                by_boxes.sort_by_key(key);
                let pairs = |f: &Findings| -> Vec<_> {
                    f.list
                        .iter()
                        .map(|x| (x.reason == Reason::DuplicateRings, x.ring))
                        .collect()
                };
                if first_only {
                    // Either stops at a bad pair, perhaps not the same one.
                    assert_eq!(swept.list.is_empty(), boxed.list.is_empty(), "case {case}");
                } else {
                    assert_eq!(pairs(&swept), pairs(&boxed), "case {case}");
                }
                if boxed.list.is_empty() {
                    assert_eq!(by_sweep, by_boxes, "case {case}");
                    valid += 1;
                    touching += usize::from(!by_boxes.is_empty());
                } else {
                    invalid += 1;
                }
            }
        }
        assert!(
            valid > 100 && invalid > 100,
            "{valid} valid, {invalid} invalid"
        );
        assert!(touching > 20, "{touching} valid with touching rings");
    }

    /// A 5 000-gon exercises the segment index rather than a handful of segments.
    #[test]
    fn large_rings() {
        let n = 5_000;
        let mut pts: Vec<Coord<f64>> = (0..n)
            .map(|i| {
                let a = i as f64 * std::f64::consts::TAU / n as f64;
                Coord {
                    x: 100.0 * a.cos(),
                    y: 100.0 * a.sin(),
                }
            })
            .collect();
        let shell = LineString::from(pts.clone());
        let hole =
            |ring: Vec<Coord<f64>>| Polygon::new(shell.clone(), vec![LineString::from(ring)]);
        let inner = Coord { x: 50.0, y: 0.0 };
        assert!(found(hole(vec![pts[0], inner, Coord { x: 50.0, y: -1.0 }])).is_empty());
        let cut = first(hole(vec![pts[0], pts[25], inner]));
        assert_eq!(cut.reason, Reason::DisconnectedInterior);
        pts.swap(1_000, 1_001);
        let crossed = first(Polygon::new(LineString::from(pts), vec![]));
        assert_eq!(
            (crossed.reason, crossed.ring),
            (Reason::SelfIntersection, Some(0))
        );
    }
}
