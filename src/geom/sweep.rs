//! Which segments of a set meet one another, found by sweeping a line across them
//! (Shamos–Hoey, with the meetings at each event point enumerated as Bentley–Ottmann does).
//!
//! Pairing segments through an index of their boxes costs the number of box pairs that overlap,
//! which is quadratic for a sawtooth whose teeth all span the same box: 10,000 vertices took
//! 1.2 s, 100,000 more than two minutes. The sweep costs O((n + k) log n) for n segments that
//! meet in k pairs, and stops at the first pair that crosses or overlaps, before the order it
//! keeps could go wrong.
//!
//! Every decision is an exact orientation test (geo's robust kernel) or a comparison of input
//! coordinates; no intersection point is ever computed, so the order of the segments along the
//! sweep line stays consistent. Points are swept in (x, y) order, which treats a vertical segment
//! as one tilted by an infinitesimal amount.

use std::cmp::Ordering;
use std::ops::ControlFlow;

use geo::kernels::{Kernel, Orientation, RobustKernel};
use geo::{Coord, Line};

/// How a sweep ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Swept {
    /// Every pair of segments that meet was visited, once; no two cross or overlap.
    Complete,
    /// The visitor broke, or a pair that crosses or overlaps was visited, after which the sweep
    /// cannot go on: pairs beyond it may not have been visited.
    Stopped,
}

/// Calls `visit(i, j)`, `i < j`, for the pairs of `ids` whose segments (`seg(id)`) share a point.
///
/// While no two segments cross or overlap (they meet only where one ends), every such pair is
/// visited exactly once. Once a pair that crosses (at a point inside both) or overlaps (along a
/// stretch) comes up, it is visited and the sweep stops with [`Swept::Stopped`]; if any pair
/// crosses or overlaps, one of them is visited. Coordinates must be finite.
pub fn meeting_pairs(
    ids: &[u32],
    seg: impl Fn(u32) -> Line<f64>,
    mut visit: impl FnMut(u32, u32) -> ControlFlow<()>,
) -> Swept {
    // Each segment runs from its (x, y)-smaller end to the larger one; one of zero length has
    // no direction and is left out by callers.
    let ends = |id: u32| {
        let s = seg(id);
        if lex(s.start, s.end) == Ordering::Greater {
            (s.end, s.start)
        } else {
            (s.start, s.end)
        }
    };
    let mut starts = ids.to_vec();
    starts.sort_unstable_by(|&a, &b| lex(ends(a).0, ends(b).0));
    let mut stops = ids.to_vec();
    stops.sort_unstable_by(|&a, &b| lex(ends(a).1, ends(b).1));

    let mut pair = |a: u32, b: u32| visit(a.min(b), a.max(b));
    let mut status = Status::default();
    let (mut si, mut ei) = (0, 0);
    let mut run = Vec::new();
    let mut next = Vec::new();
    while ei < stops.len() {
        let q = match starts.get(si) {
            Some(&s) if lex(ends(s).0, ends(stops[ei]).1) != Ordering::Greater => ends(s).0,
            _ => ends(stops[ei]).1,
        };
        let first_new = si;
        while si < starts.len() && ends(starts[si]).0 == q {
            si += 1;
        }
        let stopping = ei;
        while ei < stops.len() && ends(stops[ei]).1 == q {
            ei += 1;
        }
        // The segments already swept that hold q lie together in the order: those below q
        // before them, those above after.
        let at = status.partition_point(|s| {
            let (a, b) = ends(s);
            orient(a, b, q) == Orientation::CounterClockwise
        });
        run.clear();
        let mut pos = at;
        let above = loop {
            match status.get(pos) {
                Some(s) if { orient(ends(s).0, ends(s).1, q) == Orientation::Collinear } => {
                    run.push(s);
                    pos = status.step(pos);
                }
                other => break other,
            }
        };
        let below = status.before(at);
        let new = &starts[first_new..si];
        for (k, &a) in run.iter().chain(new).enumerate() {
            for &b in run.iter().chain(new).skip(k + 1) {
                if pair(a, b).is_break() {
                    return Swept::Stopped;
                }
            }
        }
        // Two segments through q, neither ending there, cross at q or overlap.
        let through = run.iter().filter(|&&s| ends(s).1 != q).count();
        if through > 1 {
            return Swept::Stopped;
        }
        next.clear();
        next.extend(run.iter().copied().filter(|&s| ends(s).1 != q));
        let ended = run.len() - next.len();
        if ended != ei - stopping {
            // A segment ending at q was not where the order says. Only segments crossing unseen
            // could do that, and the sweep sees a crossing before it passes it; should it ever
            // happen, the caller is told the sweep stopped and finds its answer another way.
            debug_assert!(false, "sweep order lost at {q:?}");
            return Swept::Stopped;
        }
        next.extend_from_slice(new);
        // Past q, the segments through it are ordered by their direction from q.
        let mut overlap = false;
        next.sort_by(|&a, &b| match orient(q, ends(a).1, ends(b).1) {
            Orientation::CounterClockwise => Ordering::Less,
            Orientation::Clockwise => Ordering::Greater,
            Orientation::Collinear => {
                overlap |= a != b;
                Ordering::Equal
            }
        });
        if overlap {
            return Swept::Stopped;
        }
        status.splice(at, run.len(), &next);
        let neighbours = match (next.first(), next.last()) {
            (Some(&lo), Some(&hi)) => [(below, Some(lo)), (Some(hi), above)],
            _ => [(below, above), (None, None)],
        };
        for (lo, hi) in neighbours {
            if let (Some(lo), Some(hi)) = (lo, hi) {
                if cross(ends(lo), ends(hi)) {
                    let _ = pair(lo, hi);
                    return Swept::Stopped;
                }
            }
        }
    }
    Swept::Complete
}

fn lex(a: Coord<f64>, b: Coord<f64>) -> Ordering {
    a.x.partial_cmp(&b.x)
        .unwrap_or(Ordering::Equal)
        .then(a.y.partial_cmp(&b.y).unwrap_or(Ordering::Equal))
}

fn orient(p: Coord<f64>, q: Coord<f64>, r: Coord<f64>) -> Orientation {
    RobustKernel::orient2d(p, q, r)
}

/// Segment ids in sweep order, in blocks so that inserting or removing one moves at most a
/// block's worth: a sawtooth keeps every tooth in the order at once.
#[derive(Default)]
struct Status {
    /// Never an empty block, except the only one.
    blocks: Vec<Vec<u32>>,
}

/// A place in the [`Status`]: block and index in it; the index is the block's length only at
/// the very end.
#[derive(Clone, Copy)]
struct Pos {
    block: usize,
    i: usize,
}

/// Blocks are split above twice this length and merged with the next one below a quarter.
const BLOCK: usize = 512;

impl Status {
    /// The first place whose segment is not `below`, which must hold for a prefix of the order.
    fn partition_point(&self, below: impl Fn(u32) -> bool) -> Pos {
        let block = self
            .blocks
            .partition_point(|b| b.last().is_some_and(|&s| below(s)));
        match self.blocks.get(block) {
            Some(b) => Pos {
                block,
                i: b.partition_point(|&s| below(s)),
            },
            None => self.end(),
        }
    }

    fn end(&self) -> Pos {
        let block = self.blocks.len().saturating_sub(1);
        Pos {
            block,
            i: self.blocks.get(block).map_or(0, Vec::len),
        }
    }

    fn get(&self, p: Pos) -> Option<u32> {
        self.blocks.get(p.block)?.get(p.i).copied()
    }

    /// The place after `p`, which must hold a segment.
    fn step(&self, p: Pos) -> Pos {
        if p.i + 1 < self.blocks[p.block].len() || p.block + 1 == self.blocks.len() {
            Pos { i: p.i + 1, ..p }
        } else {
            Pos {
                block: p.block + 1,
                i: 0,
            }
        }
    }

    /// The segment just before `p`.
    fn before(&self, p: Pos) -> Option<u32> {
        if p.i > 0 {
            return self.get(Pos { i: p.i - 1, ..p });
        }
        self.blocks[..p.block].last()?.last().copied()
    }

    /// Replaces the `remove` segments from `at` on with `insert`.
    fn splice(&mut self, at: Pos, remove: usize, insert: &[u32]) {
        if self.blocks.is_empty() {
            self.blocks.push(Vec::new());
        }
        let block = &mut self.blocks[at.block];
        if at.i + remove <= block.len() {
            block.splice(at.i..at.i + remove, insert.iter().copied());
            self.tidy(at.block);
            return;
        }
        // The run spans blocks (many segments through one point): rebuild those blocks.
        let mut last = at.block;
        let mut left = remove - (block.len() - at.i);
        while left > 0 {
            last += 1;
            left = left.saturating_sub(self.blocks[last].len());
        }
        let spanned = &self.blocks[at.block..=last];
        let mut merged: Vec<u32> = spanned[0][..at.i].to_vec();
        merged.extend_from_slice(insert);
        merged.extend(spanned.iter().flatten().skip(at.i + remove));
        self.blocks.splice(at.block..=last, [merged]);
        self.tidy(at.block);
    }

    /// Keeps block `k` between a quarter and twice [`BLOCK`] long (merging it with the next one
    /// or splitting it), and drops it if empty, unless it is the only one.
    fn tidy(&mut self, k: usize) {
        if self.blocks[k].len() < BLOCK / 4 && k + 1 < self.blocks.len() {
            let next = self.blocks.remove(k + 1);
            self.blocks[k].extend(next);
        }
        if self.blocks[k].is_empty() && self.blocks.len() > 1 {
            self.blocks.remove(k);
            return;
        }
        let mut k = k;
        while self.blocks[k].len() > 2 * BLOCK {
            let tail = self.blocks[k].split_off(BLOCK);
            self.blocks.insert(k + 1, tail);
            k += 1;
        }
    }
}

/// Whether two segments cross at a point inside both.
fn cross((a, b): (Coord<f64>, Coord<f64>), (c, d): (Coord<f64>, Coord<f64>)) -> bool {
    let opposite = |x: Orientation, y: Orientation| {
        matches!(
            (x, y),
            (Orientation::Clockwise, Orientation::CounterClockwise)
                | (Orientation::CounterClockwise, Orientation::Clockwise)
        )
    };
    opposite(orient(a, b, c), orient(a, b, d)) && opposite(orient(c, d, a), orient(c, d, b))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use geo::line_intersection::line_intersection;
    use geo::LineIntersection;

    use super::*;

    /// A small xorshift generator: the cases are the same on every run.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }

        /// A segment of length > 0 between points of a `grid` × `grid` lattice, where shared
        /// ends, collinear overlaps and vertical segments are common.
        fn segment(&mut self, grid: u64) -> Line<f64> {
            loop {
                let mut c = || self.below(grid) as f64;
                let s = Line::new((c(), c()), (c(), c()));
                if s.start != s.end {
                    return s;
                }
            }
        }
    }

    /// Whether two segments cross inside both or overlap along a stretch.
    fn bad(a: Line<f64>, b: Line<f64>) -> bool {
        matches!(
            line_intersection(a, b),
            Some(LineIntersection::Collinear { intersection }) if intersection.start != intersection.end
        ) || matches!(
            line_intersection(a, b),
            Some(LineIntersection::SinglePoint {
                is_proper: true,
                ..
            })
        )
    }

    fn brute(segs: &[Line<f64>]) -> BTreeSet<(u32, u32)> {
        let mut out = BTreeSet::new();
        for i in 0..segs.len() {
            for j in i + 1..segs.len() {
                if line_intersection(segs[i], segs[j]).is_some() {
                    out.insert((i as u32, j as u32));
                }
            }
        }
        out
    }

    fn swept(segs: &[Line<f64>]) -> (Swept, Vec<(u32, u32)>) {
        let ids: Vec<u32> = (0..segs.len() as u32).collect();
        let mut seen = Vec::new();
        let how = meeting_pairs(
            &ids,
            |i| segs[i as usize],
            |i, j| {
                seen.push((i, j));
                ControlFlow::Continue(())
            },
        );
        (how, seen)
    }

    /// Segments that meet only at ends (shared vertices, an end on another segment, vertical and
    /// collinear ones end to end): every meeting pair is visited exactly once.
    #[test]
    fn non_crossing_sets_match_brute_force() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for grid in [3, 5, 8, 40] {
            for _ in 0..300 {
                let mut segs: Vec<Line<f64>> = Vec::new();
                for _ in 0..60 {
                    let s = rng.segment(grid);
                    if segs.iter().all(|&t| !bad(s, t)) {
                        segs.push(s);
                    }
                }
                let (how, seen) = swept(&segs);
                assert_eq!(how, Swept::Complete, "{segs:?}");
                let unique: BTreeSet<_> = seen.iter().copied().collect();
                assert_eq!(unique.len(), seen.len(), "a pair visited twice: {segs:?}");
                assert_eq!(unique, brute(&segs), "{segs:?}");
            }
        }
    }

    /// With crossings or overlaps, the sweep visits one of them and only pairs that meet.
    #[test]
    fn a_crossing_or_overlap_is_always_found() {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        for grid in [3, 5, 8, 40] {
            for n in [2, 3, 5, 20, 60] {
                for _ in 0..300 {
                    let segs: Vec<Line<f64>> = (0..n).map(|_| rng.segment(grid)).collect();
                    let meets = brute(&segs);
                    let crossing = meets
                        .iter()
                        .any(|&(i, j)| bad(segs[i as usize], segs[j as usize]));
                    let (how, seen) = swept(&segs);
                    assert!(seen.iter().all(|p| meets.contains(p)), "{segs:?}");
                    if crossing {
                        assert_eq!(how, Swept::Stopped, "{segs:?}");
                        let found = seen
                            .iter()
                            .any(|&(i, j)| bad(segs[i as usize], segs[j as usize]));
                        assert!(found, "{segs:?}");
                    } else {
                        assert_eq!(how, Swept::Complete, "{segs:?}");
                        assert_eq!(seen.into_iter().collect::<BTreeSet<_>>(), meets);
                    }
                }
            }
        }
    }

    /// A comb of 3,000 teeth all spanning one box keeps every tooth in the order at once and
    /// runs through many blocks; its only meetings are the shared vertices.
    #[test]
    fn comb() {
        let n = 3_000;
        let mut pts = vec![Coord { x: 0.0, y: 0.0 }];
        for i in 0..n {
            let y = 2.0 * i as f64;
            pts.push(Coord { x: 1000.0, y });
            pts.push(Coord { x: 0.0, y: y + 1.0 });
        }
        let segs: Vec<Line<f64>> = pts.windows(2).map(|w| Line::new(w[0], w[1])).collect();
        let (how, seen) = swept(&segs);
        assert_eq!(how, Swept::Complete);
        let expected: Vec<(u32, u32)> = (1..segs.len() as u32).map(|j| (j - 1, j)).collect();
        let seen: BTreeSet<_> = seen.into_iter().collect();
        assert_eq!(seen, expected.into_iter().collect());
        // One tooth bent to cross its neighbour is found.
        let mut bent = segs.clone();
        bent[2_001] = Line::new(bent[2_001].start, Coord { x: 0.0, y: 2_003.5 });
        let (how, seen) = swept(&bent);
        assert_eq!(how, Swept::Stopped);
        let &(i, j) = seen.last().unwrap();
        assert!(bad(bent[i as usize], bent[j as usize]), "{i} {j}");
    }
}
