//! Ellipsoidal area (国土调查办发〔2008〕32号) over 1M generated parcels, side by side with
//! Karney's geodesic polygon area (geographiclib, the algorithm behind PROJ's `geod` and
//! pyproj's `Geod.polygon_area_perimeter`) on the same parcels, in one run.
//!
//! `cargo bench --bench area`; `NRQC_BENCH_PARCELS` overrides the parcel count.

use criterion::{criterion_group, criterion_main, Criterion};
use geo::{Coord, LineString, Polygon};
use geographiclib_rs::{Geodesic, PolygonArea, Winding};
use rayon::prelude::*;

use nrqc::geom::area::polygon_area;
use nrqc::geom::crs::{Crs, FLATTENING, SEMI_MAJOR_AXIS};

/// splitmix64: deterministic parcels without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Star-shaped parcels of 12 vertices, 0.1–10 ha, scattered over Linxia in zone 34.
fn parcels(n: usize, crs: &Crs) -> Vec<Polygon<f64>> {
    let mut rng = Rng(20261128);
    (0..n)
        .map(|_| {
            let (cx, cy) = crs.from_lonlat(102.6 + rng.next() * 1.1, 35.2 + rng.next() * 1.0);
            let radius = 20.0 + rng.next() * 160.0;
            let ring: Vec<Coord<f64>> = (0..12)
                .map(|i| {
                    let a = i as f64 / 12.0 * std::f64::consts::TAU;
                    let r = radius * (0.7 + 0.3 * rng.next());
                    Coord {
                        x: ((cx + r * a.cos()) * 1000.0).round() / 1000.0,
                        y: ((cy + r * a.sin()) * 1000.0).round() / 1000.0,
                    }
                })
                .collect();
            Polygon::new(LineString::new(ring), vec![])
        })
        .collect()
}

fn geodesic_area(p: &Polygon<f64>, crs: &Crs, geod: &Geodesic) -> f64 {
    let mut pa = PolygonArea::new(geod, Winding::CounterClockwise);
    let ring = &p.exterior().0;
    for c in &ring[..ring.len() - 1] {
        let (lon, lat) = crs.to_lonlat(c.x, c.y);
        pa.add_point(lat, lon);
    }
    pa.compute(false).1.abs()
}

fn bench(c: &mut Criterion) {
    let n = std::env::var("NRQC_BENCH_PARCELS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let crs = Crs::from_epsg(4522).expect("zone 34");
    let parcels = parcels(n, &crs);
    let geod = Geodesic::new(SEMI_MAJOR_AXIS, FLATTENING);
    let mut group = c.benchmark_group(format!("area_{n}_parcels"));
    group.sample_size(10);
    group.bench_function("nrqc_official_1_thread", |b| {
        b.iter(|| parcels.iter().map(|p| polygon_area(p, &crs)).sum::<f64>())
    });
    group.bench_function("nrqc_official_rayon", |b| {
        b.iter(|| {
            parcels
                .par_iter()
                .map(|p| polygon_area(p, &crs))
                .sum::<f64>()
        })
    });
    group.bench_function("geographiclib_geodesic_1_thread", |b| {
        b.iter(|| {
            parcels
                .iter()
                .map(|p| geodesic_area(p, &crs, &geod))
                .sum::<f64>()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
