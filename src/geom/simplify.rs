//! Douglas–Peucker simplification without recursion and with bounded work, for drawing.
//!
//! geo's `Simplify` recurses once per split: a sawtooth whose every split peels off one vertex
//! went 4,000 calls deep and overflowed a worker thread's stack (exit 134), and its time grows
//! with the square of the vertices. Here the ranges wait on a heap-allocated stack, visited in
//! the same order, so the result is geo's to the vertex; and once the distances measured pass
//! [`WORK_PER_VERTEX`] per vertex, the line is thinned by distance instead, in one pass.

use geo::{Coord, Distance, Euclidean, Line};

/// Distances measured per vertex before giving up on Douglas–Peucker. A line split evenly
/// costs about log₂ n each (23 for 5 million vertices); a sawtooth costs n.
pub const WORK_PER_VERTEX: usize = 64;

/// `coords` (a line, or a closed ring) simplified within `epsilon`: Douglas–Peucker as geo's
/// `LineString::simplify` does it, or, where that would cost more than [`WORK_PER_VERTEX`]
/// distances per vertex, the vertices farther than `epsilon` from the last one kept (and the
/// last). The first and last vertices are always kept.
pub fn simplify(coords: &[Coord<f64>], epsilon: f64) -> Vec<Coord<f64>> {
    let n = coords.len();
    if epsilon <= 0.0 || n <= 2 {
        return coords.to_vec();
    }
    let mut keep = vec![false; n];
    // As in geo: a range is not culled if that would leave fewer than 2 vertices in all.
    let mut left = n;
    let mut budget = WORK_PER_VERTEX.saturating_mul(n);
    let mut ranges = vec![(0, n - 1)];
    while let Some((first, last)) = ranges.pop() {
        keep[first] = true;
        keep[last] = true;
        let inner = last - first - 1;
        if inner == 0 {
            continue;
        }
        if inner > budget {
            return thin(coords, epsilon);
        }
        budget -= inner;
        let chord = Line::new(coords[first], coords[last]);
        let (far, distance) = (first + 1..last)
            .map(|i| (i, Euclidean.distance(coords[i], &chord)))
            .fold(
                (first, 0.0),
                |best, (i, d)| if d >= best.1 { (i, d) } else { best },
            );
        if distance > epsilon {
            // The first half is done first, as geo's recursion does.
            ranges.push((far, last));
            ranges.push((first, far));
        } else if left - inner < 2 {
            keep[first..=last].iter_mut().for_each(|k| *k = true);
        } else {
            left -= inner;
        }
    }
    coords
        .iter()
        .zip(keep)
        .filter_map(|(&c, k)| k.then_some(c))
        .collect()
}

/// The first vertex, each one farther than `epsilon` from the last kept, and the last vertex.
fn thin(coords: &[Coord<f64>], epsilon: f64) -> Vec<Coord<f64>> {
    let (&first, rest) = coords.split_first().expect("more than two vertices");
    let (&last, middle) = rest.split_last().expect("more than two vertices");
    let mut out = vec![first];
    for &c in middle {
        if Euclidean.distance(c, *out.last().expect("the first is kept")) > epsilon {
            out.push(c);
        }
    }
    out.push(last);
    out
}

#[cfg(test)]
mod tests {
    use geo::{LineString, Simplify};

    use super::*;

    /// Random walks, open and closed, of 3 to 200 vertices on a small lattice (repeated and
    /// collinear vertices, equal distances): the same vertices as geo's recursive version.
    #[test]
    fn same_as_geo() {
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n) as f64
        };
        for case in 0..3_000 {
            let n = 3 + case % 198;
            let mut c = Coord { x: 0.0, y: 0.0 };
            let mut coords: Vec<Coord<f64>> = (0..n)
                .map(|_| {
                    c.x += next(7) - 3.0;
                    c.y += next(7) - 3.0;
                    c
                })
                .collect();
            if case % 2 == 0 {
                coords.push(coords[0]);
            }
            let epsilon = [0.5, 1.0, 2.0, 5.0][case % 4];
            let geo = LineString::from(coords.clone()).simplify(epsilon).0;
            assert_eq!(simplify(&coords, epsilon), geo, "case {case}");
        }
    }

    /// A fan of 200,000 spikes, each split peeling off one vertex (geo's version overflowed the
    /// stack at 4,000): no recursion, and thinned by distance once the work passes its bound.
    #[test]
    fn sawtooth() {
        let n = 200_000;
        let mut ring: Vec<Coord<f64>> = (0..n)
            .map(|i| {
                let a = std::f64::consts::FRAC_PI_2 * i as f64 / n as f64;
                let r = if i % 2 == 0 { 10.0 } else { 2000.0 };
                Coord {
                    x: r * a.cos(),
                    y: r * a.sin(),
                }
            })
            .collect();
        ring.insert(0, Coord { x: 0.0, y: 0.0 });
        ring.push(ring[0]);
        let start = std::time::Instant::now();
        let drawn = simplify(&ring, 1.0);
        assert!(start.elapsed().as_secs() < 10, "{:?}", start.elapsed());
        // Inner and outer vertices alternate, each far from the one before: all are kept,
        // and the map's vertex budget leaves the layer out, saying so.
        assert_eq!(drawn, ring);
        assert_eq!((drawn[0], drawn[drawn.len() - 1]), (ring[0], ring[0]));
    }
}
