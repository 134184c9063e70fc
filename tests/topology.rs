//! Agreement with GEOS on the reference coverage in `tests/data/topology/coverage.json`, written
//! by `scripts/topology_reference.py` (see its docstring for the injected defects): the same
//! overlapping pairs, gaps and overhangs, with areas equal within 1e-6 relative.

use std::str::FromStr;

use geo::{Area, BooleanOps, Contains, Coord, MultiPolygon, Polygon};
use nrqc::geom::topology::{self, Gap, Overlap, Region, Tiling, TooComplex};
use serde_json::Value;

// None of these inputs is too complex to overlay: the wrappers say so and give the results.

/// Polygons as the checks hand them over: borrowed from their layer.
fn borrowed(polys: &[Polygon<f64>]) -> Vec<&Polygon<f64>> {
    polys.iter().collect()
}

fn overlaps(polys: &[Polygon<f64>], min_area: f64) -> Vec<Overlap> {
    let found = topology::overlaps(&borrowed(polys), min_area);
    assert!(found.too_complex.is_empty());
    found.found
}

fn overlaps_between(a: &[Polygon<f64>], b: &[Polygon<f64>], min_area: f64) -> Vec<Overlap> {
    let found = topology::overlaps_between(&borrowed(a), &borrowed(b), min_area);
    assert!(found.too_complex.is_empty());
    found.found
}

fn gaps(polys: &[Polygon<f64>], within: Option<&MultiPolygon<f64>>) -> Vec<Gap> {
    topology::gaps(&borrowed(polys), within).expect("not too complex")
}

struct Tiled {
    gaps: Vec<Gap>,
    overhangs: Vec<topology::Overhang>,
    overlaps: Vec<Overlap>,
}

fn tiles(parts: &[Polygon<f64>], whole: &MultiPolygon<f64>, min_area: f64) -> Tiled {
    let Tiling {
        gaps,
        overhangs,
        unchecked_parts,
        overlaps,
    } = topology::tiles(&borrowed(parts), whole, min_area);
    assert!(unchecked_parts.is_empty() && overlaps.too_complex.is_empty());
    Tiled {
        gaps: gaps.expect("not too complex"),
        overhangs,
        overlaps: overlaps.found,
    }
}

fn outside(a: &Polygon<f64>, region: &MultiPolygon<f64>) -> Option<(MultiPolygon<f64>, f64)> {
    Region::new(region)
        .outside(a)
        .unwrap_or_else(|TooComplex| panic!("not too complex"))
}

const DATA: &str = include_str!("data/topology/coverage.json");

fn data() -> Value {
    serde_json::from_str(DATA).expect("coverage.json is JSON")
}

fn polygon(wkt: &Value) -> Polygon<f64> {
    let text = wkt.as_str().expect("WKT is a string");
    let geometry: geo::Geometry<f64> = wkt::Wkt::from_str(text)
        .unwrap_or_else(|e| panic!("bad WKT {text}: {e}"))
        .try_into()
        .expect("WKT converts to geo");
    geometry.try_into().expect("a polygon")
}

fn polygons(list: &Value) -> Vec<Polygon<f64>> {
    list.as_array()
        .expect("an array")
        .iter()
        .map(polygon)
        .collect()
}

fn close(ours: f64, geos: f64) -> bool {
    (ours - geos).abs() <= 1e-6 * geos.abs().max(ours.abs())
}

/// Compares pairs, then areas; the pair lists must be identical.
fn assert_same_overlaps(ours: &[Overlap], geos: &Value) {
    let geos = geos.as_array().expect("an array");
    let pairs = |v: &Value| {
        (
            v["a"].as_u64().unwrap() as usize,
            v["b"].as_u64().unwrap() as usize,
        )
    };
    let ours_pairs: Vec<(usize, usize)> = ours.iter().map(|o| (o.a, o.b)).collect();
    let geos_pairs: Vec<(usize, usize)> = geos.iter().map(pairs).collect();
    assert_eq!(ours_pairs, geos_pairs);
    for (o, g) in ours.iter().zip(geos) {
        let area = g["area"].as_f64().unwrap();
        assert!(
            close(o.area, area),
            "pair ({}, {}): {} vs GEOS {area}",
            o.a,
            o.b,
            o.area
        );
        assert!(close(o.geometry.unsigned_area(), o.area));
    }
}

/// Each GEOS gap must be matched by exactly one of ours holding its representative point, with
/// the same area, and there must be no other gaps.
fn assert_same_gaps(ours: &[Gap], geos: &Value) {
    let geos = geos.as_array().expect("an array");
    assert_eq!(ours.len(), geos.len(), "gap count; ours: {:?}", areas(ours));
    for g in geos {
        let point = g["point"].as_array().unwrap();
        let point = Coord {
            x: point[0].as_f64().unwrap(),
            y: point[1].as_f64().unwrap(),
        };
        let area = g["area"].as_f64().unwrap();
        let holding: Vec<&Gap> = ours
            .iter()
            .filter(|o| o.geometry.contains(&point))
            .collect();
        assert_eq!(holding.len(), 1, "GEOS gap of area {area} at {point:?}");
        let ours = holding[0];
        assert!(
            close(ours.area, area),
            "gap at {point:?}: {} vs GEOS {area}",
            ours.area
        );
        assert!(ours.width > 0.0 && ours.width.is_finite());
    }
}

fn areas(gaps: &[Gap]) -> Vec<f64> {
    gaps.iter().map(|g| g.area).collect()
}

#[test]
fn overlaps_match_geos() {
    let d = data();
    assert_same_overlaps(&overlaps(&polygons(&d["polygons"]), 0.0), &d["overlaps"]);
}

#[test]
fn min_area_leaves_out_small_overlaps() {
    let d = data();
    let all = overlaps(&polygons(&d["polygons"]), 0.0);
    let big = overlaps(&polygons(&d["polygons"]), 1.0);
    let expected: Vec<(usize, usize)> = all
        .iter()
        .filter(|o| o.area > 1.0)
        .map(|o| (o.a, o.b))
        .collect();
    assert!(expected.len() < all.len(), "the sliver overlap is below 1");
    assert_eq!(big.iter().map(|o| (o.a, o.b)).collect::<Vec<_>>(), expected);
}

#[test]
fn overlaps_between_layers_match_geos() {
    let d = data();
    let found = overlaps_between(&polygons(&d["zones"]), &polygons(&d["polygons"]), 0.0);
    assert_same_overlaps(&found, &d["between"]);
}

#[test]
fn gaps_match_geos() {
    let d = data();
    assert_same_gaps(&gaps(&polygons(&d["polygons"]), None), &d["gaps"]);
}

#[test]
fn gaps_within_unit_match_geos() {
    let d = data();
    let unit = MultiPolygon::new(vec![polygon(&d["unit"])]);
    assert_same_gaps(
        &gaps(&polygons(&d["polygons"]), Some(&unit)),
        &d["gaps_within"],
    );
}

#[test]
fn sliver_gap_is_narrow() {
    let d = data();
    let found = gaps(&polygons(&d["polygons"]), None);
    let sliver = found
        .iter()
        .min_by(|a, b| a.area.total_cmp(&b.area))
        .unwrap();
    // The sliver is a 0.05-wide strip along one edge with two thin wings.
    assert!(sliver.width < 0.05, "width {}", sliver.width);
    assert!(found.iter().filter(|g| g.width < 1.0).count() == 1);
}

#[test]
fn tiling_matches_geos() {
    let d = data();
    let parts = polygons(&d["polygons"]);
    let unit = MultiPolygon::new(vec![polygon(&d["unit"])]);
    let tiling = tiles(&parts, &unit, 0.0);
    assert_same_gaps(&tiling.gaps, &d["tiling_gaps"]);
    assert_same_overlaps(&tiling.overlaps, &d["overlaps"]);
    let geos = d["overhangs"].as_array().unwrap();
    let ours: Vec<usize> = tiling.overhangs.iter().map(|o| o.part).collect();
    let want: Vec<usize> = geos
        .iter()
        .map(|g| g["part"].as_u64().unwrap() as usize)
        .collect();
    assert_eq!(ours, want);
    for (o, g) in tiling.overhangs.iter().zip(geos) {
        let area = g["area"].as_f64().unwrap();
        assert!(
            close(o.area, area),
            "part {}: {} vs GEOS {area}",
            o.part,
            o.area
        );
        let (_, alone) = outside(&parts[o.part], &unit).expect("an overhang");
        assert!(close(alone, area));
    }
}

#[test]
fn outside_is_none_within_and_whole_when_apart() {
    let d = data();
    let parts = polygons(&d["polygons"]);
    let unit = MultiPolygon::new(vec![polygon(&d["unit"])]);
    assert!(outside(&parts[0], &unit).is_none());
    let far = polygons(&d["zones"]).pop().unwrap();
    let (rest, area) = outside(&far, &unit).expect("far outside");
    assert!(close(area, far.unsigned_area()));
    assert!(
        rest.difference(&MultiPolygon::new(vec![far]))
            .unsigned_area()
            == 0.0
    );
}

#[test]
fn results_do_not_depend_on_threads() {
    let d = data();
    let polys = polygons(&d["polygons"]);
    let pool = rayon_pool_of_one();
    let single = pool.install(|| overlaps(&polys, 0.0));
    let many = overlaps(&polys, 0.0);
    let key = |v: &[Overlap]| {
        v.iter()
            .map(|o| (o.a, o.b, o.area.to_bits()))
            .collect::<Vec<_>>()
    };
    assert_eq!(key(&single), key(&many));
}

fn rayon_pool_of_one() -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
}

fn square(x: f64, y: f64, side: f64) -> Polygon<f64> {
    ring(&[(x, y), (x + side, y), (x + side, y + side), (x, y + side)])
}

fn ring(points: &[(f64, f64)]) -> Polygon<f64> {
    Polygon::new(points.to_vec().into(), vec![])
}

fn reversed(p: &Polygon<f64>) -> Polygon<f64> {
    let mut ring = p.exterior().clone();
    ring.0.reverse();
    Polygon::new(ring, p.interiors().to_vec())
}

/// Shared edges are judged by the side each interior lies on, whatever the rings' orientation.
#[test]
fn shared_edges_in_either_orientation() {
    let a = square(0.0, 0.0, 10.0);
    let right = square(10.0, 0.0, 10.0);
    for b in [right.clone(), reversed(&right)] {
        assert!(overlaps(&[a.clone(), b], 0.0).is_empty());
    }
    let found = overlaps(&[a.clone(), reversed(&a)], 0.0);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].area, 100.0);
}

/// A polygon filling another's hole exactly shares every edge with it and does not overlap it;
/// one that also reaches into the polygon does.
#[test]
fn hole_filled_exactly_is_no_overlap() {
    let outer = square(0.0, 0.0, 30.0).exterior().clone();
    let hole = square(10.0, 10.0, 10.0);
    let holed = Polygon::new(outer, vec![hole.exterior().clone()]);
    for fill in [hole.clone(), reversed(&hole)] {
        assert!(overlaps(&[holed.clone(), fill], 0.0).is_empty());
    }
    let bigger = ring(&[
        (10.0, 10.0),
        (20.0, 10.0),
        (25.0, 15.0),
        (20.0, 20.0),
        (10.0, 20.0),
    ]);
    let found = overlaps(&[holed, bigger], 0.0);
    assert_eq!(found.len(), 1);
    assert!((found[0].area - 25.0).abs() < 1e-9, "{}", found[0].area);
}

/// Many-edged polygons take the indexed path; a parcel inside one, touching its boundary only
/// at shared vertices, still overlaps it, and one outside sharing its edges does not.
#[test]
fn many_edged_polygons() {
    let n = 200;
    let circle: Vec<Coord<f64>> = (0..n)
        .map(|k| {
            let t = std::f64::consts::TAU * k as f64 / n as f64;
            Coord {
                x: 100.0 * t.cos(),
                y: 100.0 * t.sin(),
            }
        })
        .collect();
    let disc = Polygon::new(circle.clone().into(), vec![]);
    // A fan of ten boundary vertices and the centre: inside the disc.
    let mut fan: Vec<Coord<f64>> = circle[..10].to_vec();
    fan.push(Coord { x: 0.0, y: 0.0 });
    let fan = Polygon::new(fan.into(), vec![]);
    // Outside: the same ten vertices closed by a far point, sharing nine edges.
    let mut cap: Vec<Coord<f64>> = circle[..10].to_vec();
    cap.push(Coord { x: 200.0, y: 100.0 });
    let cap = Polygon::new(cap.into(), vec![]);
    // Both orders, as the second polygon's size picks the path.
    let found = overlaps(&[disc.clone(), fan.clone(), cap.clone()], 0.0);
    assert_eq!(
        found.iter().map(|o| (o.a, o.b)).collect::<Vec<_>>(),
        [(0, 1)]
    );
    assert!(close(found[0].area, fan.unsigned_area()));
    let found = overlaps(&[fan.clone(), cap, disc.clone()], 0.0);
    assert_eq!(
        found.iter().map(|o| (o.a, o.b)).collect::<Vec<_>>(),
        [(0, 2)]
    );
    assert!(close(found[0].area, fan.unsigned_area()));
    assert!(outside(&fan, &MultiPolygon::new(vec![disc])).is_none());
}

/// Neighbours whose shared boundary is split differently (a vertex of one on the other's edge)
/// need the overlay, which must find no area between them.
#[test]
fn neighbours_with_unmatched_vertices_do_not_overlap() {
    let (x0, y0) = (500_123.457, 3_800_987.651);
    let corner = |dx: f64, dy: f64| (x0 + dx + 0.37 * dy, y0 + dy - 0.21 * dx);
    let left = ring(&[
        corner(0.0, 0.0),
        corner(10.0, 0.0),
        corner(10.0, 10.0),
        corner(0.0, 10.0),
    ]);
    let right = ring(&[
        corner(10.0, 0.0),
        corner(20.0, 0.0),
        corner(20.0, 10.0),
        corner(10.0, 10.0),
        corner(10.0, 3.3),
    ]);
    assert!(overlaps(&[left, right], 0.0).is_empty());
}

/// Parts sharing the whole's edges are judged without overlay when they lie within it; one
/// filling the whole's hole lies wholly outside, and one covering the hole partly outside.
#[test]
fn outside_along_shared_edges() {
    let hole = square(10.0, 10.0, 10.0);
    let whole = MultiPolygon::new(vec![Polygon::new(
        square(0.0, 0.0, 30.0).exterior().clone(),
        vec![hole.exterior().clone()],
    )]);
    let corner = ring(&[
        (0.0, 0.0),
        (30.0, 0.0),
        (30.0, 10.0),
        (10.0, 10.0),
        (0.0, 10.0),
    ]);
    assert!(outside(&corner, &whole).is_none());
    assert!(outside(&reversed(&corner), &whole).is_none());
    let (_, area) = outside(&hole, &whole).expect("the hole is outside");
    assert_eq!(area, 100.0);
    let over_hole = ring(&[(0.0, 0.0), (30.0, 0.0), (30.0, 15.0), (0.0, 15.0)]);
    let (_, area) = outside(&over_hole, &whole).expect("half the hole is outside");
    assert!((area - 50.0).abs() < 1e-9, "{area}");
    let tiling = tiles(&[corner, hole], &whole, 0.0);
    assert_eq!(tiling.overhangs.len(), 1);
    assert_eq!(tiling.overhangs[0].part, 1);
    assert_eq!(tiling.gaps.len(), 1);
    assert!((tiling.gaps[0].area - 500.0).abs() < 1e-9);
}

/// A layer too large for one overlay is unioned in chunks; gaps inside a chunk, across the
/// chunks' seams and between the chunks' outlines must come out whole, with exact areas, and the
/// seams themselves must leave no slivers. The lattice is jittered and placed at Gauss-Krüger
/// coordinates, so its vertices are off the overlay's rounding grid as in a real package.
#[test]
fn gaps_of_a_layer_unioned_in_chunks() {
    let (x0, y0, side) = (35_500_000.0, 4_000_000.0, 10.0);
    let vertex = |i: i32, j: i32| {
        let jitter = |k: i32| f64::from((k * 7919) % 1000) / 1000.0 * 1.37;
        (
            x0 + f64::from(i) * side + jitter(i * 131 + j),
            // Row 30 is straight, so a vertex moved along it stays exactly on its neighbours'
            // edges (a T-junction).
            y0 + f64::from(j) * side + if j == 30 { 0.0 } else { jitter(j * 173 + i) },
        )
    };
    let cell = |i: i32, j: i32, shrink: f64| {
        let (a, b, c, d) = (
            vertex(i, j),
            vertex(i + 1, j),
            vertex(i + 1, j + 1),
            vertex(i, j + 1),
        );
        // Move the right edge `shrink` metres inwards along the bottom and top edges, so the
        // parcel stays within its cell and the neighbours' edges.
        let towards = |from: (f64, f64), to: (f64, f64)| {
            let t = shrink / (to.0 - from.0).hypot(to.1 - from.1);
            (from.0 + (to.0 - from.0) * t, from.1 + (to.1 - from.1) * t)
        };
        ring(&[a, towards(b, a), towards(c, d), d])
    };
    let removed = [(39, 39), (40, 39), (39, 40), (40, 40), (5, 5), (63, 64)];
    let slivers = [(70, 20), (20, 30)];
    let mut polys = Vec::new();
    for i in 0..80 {
        for j in 0..80 {
            if !removed.contains(&(i, j)) {
                // One parcel stops a centimetre short of its neighbour.
                let shrink = if slivers.contains(&(i, j)) { 0.01 } else { 0.0 };
                polys.push(cell(i, j, shrink));
            }
        }
    }
    assert!(
        polys.len() > 4096,
        "the layer must need more than one chunk"
    );
    let area = |i, j| cell(i, j, 0.0).unsigned_area();
    let sliver = |(i, j)| area(i, j) - cell(i, j, 0.01).unsigned_area();
    let expected = [
        area(5, 5),
        sliver(slivers[1]),
        area(39, 39) + area(40, 39) + area(39, 40) + area(40, 40),
        area(63, 64),
        sliver(slivers[0]),
    ];
    let check = |found: &[Gap]| {
        let got = areas(found);
        assert_eq!(got.len(), expected.len(), "{got:?}");
        for (g, e) in got.iter().zip(expected) {
            assert!((g - e).abs() < 1e-6, "{got:?} vs {expected:?}");
        }
    };
    check(&gaps(&polys, None));
    let whole = MultiPolygon::new(vec![Polygon::new(
        (0..80)
            .map(|i| vertex(i, 0))
            .chain((0..80).map(|j| vertex(80, j)))
            .chain((0..80).map(|i| vertex(80 - i, 80)))
            .chain((0..80).map(|j| vertex(0, 80 - j)))
            .collect::<Vec<_>>()
            .into(),
        vec![],
    )]);
    let tiling = tiles(&polys, &whole, 0.0);
    check(&tiling.gaps);
    assert!(tiling.overhangs.is_empty() && tiling.overlaps.is_empty());
}
