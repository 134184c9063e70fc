//! Sampling a batch (GB/T 24356-2023 表1) with a recorded seed.
//!
//! The generator is SplitMix64, written out here rather than taken from a crate, so that a seed
//! recorded in a summary draws the same sample with every future version of nrqc.

/// The sample size of 表1 for a batch of `n` units. A batch above 1000 is split into the fewest
/// balanced batches of at most 1000, each sampled by the table.
pub fn table1(n: usize) -> usize {
    const ROWS: [(usize, usize); 16] = [
        (20, 3),
        (40, 5),
        (60, 7),
        (80, 9),
        (100, 10),
        (120, 11),
        (140, 12),
        (160, 13),
        (180, 14),
        (200, 15),
        (232, 17),
        (282, 20),
        (362, 24),
        (487, 30),
        (686, 40),
        (1000, 56),
    ];
    let one = |n: usize| -> usize {
        let size = ROWS
            .iter()
            .find(|(max, _)| n <= *max)
            .map_or(56, |(_, s)| *s);
        size.min(n)
    };
    if n <= 1000 {
        return one(n);
    }
    let parts = n.div_ceil(1000);
    (0..parts)
        .map(|i| one(n / parts + usize::from(i < n % parts)))
        .sum()
}

struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0), by rejection so that no index is favoured.
    fn below(&mut self, n: u64) -> u64 {
        let zone = u64::MAX - u64::MAX % n;
        loop {
            let x = self.next();
            if x < zone {
                return x % n;
            }
        }
    }
}

/// `k` distinct indices of `0..n`, drawn by a partial Fisher–Yates shuffle, in ascending order.
pub fn draw(n: usize, k: usize, seed: u64) -> Vec<usize> {
    let mut rng = SplitMix64(seed);
    let mut idx: Vec<usize> = (0..n).collect();
    let k = k.min(n);
    for i in 0..k {
        let j = i + rng.below((n - i) as u64) as usize;
        idx.swap(i, j);
    }
    let mut chosen = idx[..k].to_vec();
    chosen.sort_unstable();
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table1_rows_and_limits() {
        assert_eq!(table1(2), 2);
        assert_eq!(table1(8), 3);
        assert_eq!(table1(20), 3);
        assert_eq!(table1(21), 5);
        assert_eq!(table1(200), 15);
        assert_eq!(table1(201), 17);
        assert_eq!(table1(1000), 56);
        // Two balanced batches of 600 and 601.
        assert_eq!(table1(1201), 40 + 40);
    }

    #[test]
    fn draws_are_deterministic_distinct_and_in_range() {
        let a = draw(8, 3, 42);
        assert_eq!(a, draw(8, 3, 42));
        assert_eq!(a.len(), 3);
        assert!(a.windows(2).all(|w| w[0] < w[1]) && a[2] < 8);
        assert_eq!(draw(3, 5, 1), vec![0, 1, 2]);
        let seeds: std::collections::BTreeSet<Vec<usize>> =
            (0..20).map(|s| draw(8, 3, s)).collect();
        assert!(seeds.len() > 5, "{seeds:?}");
    }
}
