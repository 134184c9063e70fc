//! The floor of any full scan, for `scripts/bench_package.py`: a FlatGeobuf layer's geometries
//! read into geo types on one thread with flatgeobuf and geozero as they come, and nothing else
//! (no attributes, no digest, no checks). Prints the feature count and the median of RUNS reads,
//! each from the file on: `cargo run --release --example bench_read -- LAYER.fgb [RUNS]`.

use std::time::Instant;

use flatgeobuf::{FallibleStreamingIterator, FgbReader};
use geozero::ToGeo;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: bench_read LAYER.fgb [RUNS]");
    let runs: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(3);
    let mut seconds = Vec::new();
    let mut features = 0;
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        let bytes = std::fs::read(&path).expect("a readable file");
        let mut iter = FgbReader::open(std::io::Cursor::new(&bytes))
            .and_then(FgbReader::select_all_seq)
            .expect("a FlatGeobuf file");
        let mut geoms = Vec::new();
        while let Some(feature) = iter.next().expect("readable features") {
            geoms.push(feature.to_geo().expect("a geometry"));
        }
        seconds.push(started.elapsed().as_secs_f64());
        features = geoms.len();
    }
    seconds.sort_by(f64::total_cmp);
    println!(
        "{{\"features\": {features}, \"median_s\": {:.3}}}",
        seconds[seconds.len() / 2]
    );
}
