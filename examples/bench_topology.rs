//! The Rust half of `scripts/bench_topology.py`: times nrqc's validity, overlap, gap and tiling
//! algorithms on a coverage written as one WKT polygon per line, and prints one JSON object of
//! median seconds and peak memory. Run it through the script, which times shapely/GEOS on the
//! same file in the same run and prints the ratios.
//!
//! `cargo run --release --example bench_topology -- COVERAGE.wkt [RUNS] [PHASE]`; with PHASE
//! (`load`, `geometry_valid`, `no_overlap`, `no_gaps`, `tiles`) only that phase runs, so the
//! peak memory printed is that phase's.

use std::str::FromStr;
use std::time::Instant;

use geo::{BoundingRect, Geometry, MultiPolygon, Polygon};
use rayon::prelude::*;

use nrqc::geom::topology::{gaps, overlaps, tiles};
use nrqc::geom::validity::is_valid;

fn median_seconds(runs: usize, f: &mut dyn FnMut() -> usize) -> (f64, usize) {
    let mut times = Vec::with_capacity(runs);
    let mut found = 0;
    for _ in 0..runs {
        let t = Instant::now();
        found = f();
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], found)
}

/// Peak resident memory of this process, in MB (Linux).
fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("VmHWM:"))?.to_owned();
            line.split_whitespace().nth(1)?.parse::<f64>().ok()
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .expect("usage: bench_topology COVERAGE.wkt [RUNS]");
    let runs: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(3);
    let phase = args.next();
    let wanted = |name: &str| phase.as_deref().is_none_or(|p| p == name);
    let text = std::fs::read_to_string(&path).expect("readable coverage file");
    let t = Instant::now();
    let polys: Vec<Polygon<f64>> = text
        .lines()
        .map(|l| {
            let g: Geometry<f64> = wkt::Wkt::from_str(l)
                .expect("WKT")
                .try_into()
                .expect("geometry");
            g.try_into().expect("polygon")
        })
        .collect();
    // nrqc keeps no copy of a file's text once it is decoded; neither does the harness.
    drop(text);
    let load = t.elapsed().as_secs_f64();
    let whole = {
        let r = nrqc::geom::bounds(polys.iter().filter_map(|p| p.bounding_rect()))
            .expect("a non-empty coverage");
        MultiPolygon::new(vec![r.to_polygon()])
    };
    // A phase not asked for is skipped, so the peak memory printed is that of the one asked for.
    let phase = |name: &str, f: &mut dyn FnMut() -> usize| {
        if wanted(name) {
            median_seconds(runs, f)
        } else {
            (f64::NAN, 0)
        }
    };
    let (valid, invalid) = phase("geometry_valid", &mut || {
        polys
            .par_iter()
            .filter(|p| !is_valid(&Geometry::Polygon((*p).clone())))
            .count()
    });
    // As the checks see a layer: its polygons borrowed.
    let layer: Vec<&Polygon<f64>> = polys.iter().collect();
    let (overlap, pairs) = phase("no_overlap", &mut || overlaps(&layer, 0.0).found.len());
    let (gap, holes) = phase("no_gaps", &mut || gaps(&layer, None).map_or(0, |g| g.len()));
    let (tile, problems) = phase("tiles", &mut || {
        let t = tiles(&layer, &whole, 0.0);
        t.gaps.map_or(0, |g| g.len()) + t.overhangs.len() + t.overlaps.found.len()
    });
    println!(
        "{{\"polygons\": {}, \"threads\": {}, \"load_s\": {load:.3}, \"geometry_valid_s\": {valid:.3}, \"invalid\": {invalid}, \"no_overlap_s\": {overlap:.3}, \"pairs\": {pairs}, \"no_gaps_s\": {gap:.3}, \"gaps\": {holes}, \"tiles_s\": {tile:.3}, \"tiling_problems\": {problems}, \"peak_rss_mb\": {:.0}}}",
        polys.len(),
        rayon::current_num_threads(),
        peak_rss_mb()
    );
}
