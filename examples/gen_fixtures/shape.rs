//! Deterministic randomness and polygons in whole millimetres.

use std::f64::consts::{PI, TAU};

use geo::{Coord, Geometry, LineString, Polygon};
use nrqc::geom::area::geometry_area;
use nrqc::geom::crs::Crs;

/// splitmix64: tiny, well mixed, and fully determined by its seed.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[lo, hi)`.
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        let unit = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        lo + (hi - lo) * unit
    }

    /// Uniform integer in `lo..=hi`.
    pub fn int(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }
}

/// A vertex as (easting, northing) in millimetres. Integers make shared edges bit-identical and
/// let vertices be compared for equality.
pub type Mm = (i64, i64);

/// A polygon ring without the closing vertex, counter-clockwise.
pub type Ring = Vec<Mm>;

pub fn to_mm(x: f64, y: f64) -> Mm {
    ((x * 1000.0).round() as i64, (y * 1000.0).round() as i64)
}

pub fn polygon(ring: &[Mm]) -> Polygon<f64> {
    let coords = ring.iter().map(|&(x, y)| Coord {
        x: x as f64 / 1000.0,
        y: y as f64 / 1000.0,
    });
    Polygon::new(LineString::from_iter(coords), vec![])
}

/// Official ellipsoidal area in hundredths of m², the unit every area field is summed in.
pub fn area_cents(geometry: Geometry<f64>, crs: &Crs) -> i64 {
    (geometry_area(&geometry, crs) * 100.0).round() as i64
}

pub fn ring_cents(ring: &[Mm], crs: &Crs) -> i64 {
    area_cents(polygon(ring).into(), crs)
}

/// The areas of the parcels tiling one unit, in hundredths of m², each rounded to the nearest
/// as a producer writes them: every parcel is within 0.005 m² of its own area (ZR-M004), and the
/// unit total, their sum, within n × 0.005 m² of the unit's area (ZR-M005 counts the n parcels).
pub fn parcel_cents(rings: &[Ring], crs: &Crs) -> Vec<i64> {
    rings.iter().map(|ring| ring_cents(ring, crs)).collect()
}

/// An irregular star-shaped ring around `centre`, inside the ellipse of semi-axes `rx`, `ry`.
/// Angles only increase, so the ring is simple and counter-clockwise whatever the radii.
pub fn star_ring(rng: &mut Rng, centre: (f64, f64), rx: f64, ry: f64, n: u64, rmin: f64) -> Ring {
    (0..n)
        .map(|i| {
            let angle = TAU * (i as f64 + rng.uniform(-0.3, 0.3)) / n as f64;
            let r = rng.uniform(rmin, 1.0);
            to_mm(
                centre.0 + rx * r * angle.cos(),
                centre.1 + ry * r * angle.sin(),
            )
        })
        .collect()
}

/// Cuts `ring` into `k` slices with `k - 1` parallel lines, each crossing the boundary exactly
/// twice (so each cut is a chord inside the polygon). Returns the ring with the chord endpoints
/// inserted, and the slices, whose vertices are all vertices of that ring.
pub fn tile(ring: &[Mm], k: usize, rng: &mut Rng) -> (Ring, Vec<Ring>) {
    for _ in 0..100 {
        if let Some(tiling) = try_tile(ring, k, rng) {
            return tiling;
        }
    }
    panic!("no tiling of a {}-vertex ring into {k} slices", ring.len());
}

fn try_tile(ring: &[Mm], k: usize, rng: &mut Rng) -> Option<(Ring, Vec<Ring>)> {
    let angle = rng.uniform(0.0, PI);
    let normal = (angle.cos(), angle.sin());
    // Offsets along the normal, relative to the first vertex to keep the numbers small.
    let offset = |p: Mm| {
        ((p.0 - ring[0].0) as f64 * normal.0 + (p.1 - ring[0].1) as f64 * normal.1) / 1000.0
    };
    let s: Vec<f64> = ring.iter().map(|&p| offset(p)).collect();
    let (lo, hi) = s
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));

    // (edge index, position along the edge, point) of every chord endpoint.
    let mut cuts: Vec<(usize, f64, Mm)> = Vec::new();
    let mut chords: Vec<(Mm, Mm)> = Vec::new();
    for i in 1..k {
        let level = lo + (hi - lo) * (i as f64 + rng.uniform(-0.2, 0.2)) / k as f64;
        let mut ends = Vec::new();
        for e in 0..ring.len() {
            let (a, b) = (ring[e], ring[(e + 1) % ring.len()]);
            let (sa, sb) = (s[e], s[(e + 1) % ring.len()]);
            if (sa - level) * (sb - level) < 0.0 {
                let t = (level - sa) / (sb - sa);
                let x = a.0 as f64 + (b.0 - a.0) as f64 * t;
                let y = a.1 as f64 + (b.1 - a.1) as f64 * t;
                ends.push((e, t, (x.round() as i64, y.round() as i64)));
            }
        }
        // A line crossing more than twice would leave the polygon between crossings.
        let [p, q] = ends[..] else { return None };
        chords.push((p.2, q.2));
        cuts.extend([p, q]);
    }
    cuts.sort_by(|a, b| (a.0, a.1).partial_cmp(&(b.0, b.1)).expect("finite"));

    let mut refined = Vec::with_capacity(ring.len() + cuts.len());
    for (e, &vertex) in ring.iter().enumerate() {
        refined.push(vertex);
        refined.extend(cuts.iter().filter(|c| c.0 == e).map(|c| c.2));
    }
    // A chord end rounded onto an existing vertex would make a degenerate edge.
    let mut distinct = refined.clone();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() != refined.len() {
        return None;
    }

    let mut slices = vec![refined.clone()];
    for (p, q) in chords {
        // Chords never cross, so each lies in exactly one slice made so far.
        let (index, i, j) = slices.iter().enumerate().find_map(|(n, slice)| {
            let i = slice.iter().position(|&v| v == p)?;
            let j = slice.iter().position(|&v| v == q)?;
            Some((n, i.min(j), i.max(j)))
        })?;
        let slice = slices.swap_remove(index);
        slices.push(slice[i..=j].to_vec());
        slices.push(slice[j..].iter().chain(&slice[..=i]).copied().collect());
    }
    Some((refined, slices))
}

pub fn crs_of(epsg: u32) -> Crs {
    Crs::from_epsg(epsg).unwrap_or_else(|| panic!("EPSG:{epsg} is a CGCS2000 CRS"))
}

/// Each vertex through longitude and latitude into another CRS, back in whole millimetres.
pub fn reproject(ring: &[Mm], from: &Crs, to: &Crs) -> Ring {
    ring.iter()
        .map(|&(x, y)| {
            let (lon, lat) = from.to_lonlat(x as f64 / 1000.0, y as f64 / 1000.0);
            let (x, y) = to.from_lonlat(lon, lat);
            to_mm(x, y)
        })
        .collect()
}

pub fn ring_centre(ring: &[Mm]) -> (f64, f64) {
    let n = ring.len() as f64;
    let (sx, sy) = ring
        .iter()
        .fold((0.0, 0.0), |(a, b), &(x, y)| (a + x as f64, b + y as f64));
    (sx / n / 1000.0, sy / n / 1000.0)
}
