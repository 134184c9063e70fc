//! Time and memory near-linear in the input: one polygon of very many vertices, and many table
//! rows. Each input is made here from a copy of the clean package.
//!
//! The test build is unoptimised, so time bounds are generous absolute limits plus growth ratios:
//! 4n vertices or rows must cost well under the 16 times n of a quadratic step. The release-build
//! numbers for larger n are measured by `scripts/bench_scale.py`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::common::{check_capped, copy_package, flat, Measured, CLEAN};

/// The quadratic steps took minutes.
const LIMIT: Duration = Duration::from_secs(60);

fn check(pkg: &Path) -> Measured {
    check_capped(pkg, LIMIT, 4 << 30, &[])
}

/// Runs only the geometry rules on `pkg`: the overlays of the topology rules have bounds of
/// their own (tests/hostile/tiles.rs).
fn check_geometry(pkg: &Path) -> Measured {
    check_rules(pkg, &["schema.yaml", "geometry.yaml"])
}

/// Runs the rules of `files` (in rules/) on `pkg`.
fn check_rules(pkg: &Path, files: &[&str]) -> Measured {
    let rules = pkg.with_file_name("rules");
    std::fs::create_dir_all(&rules).unwrap();
    for file in files {
        std::fs::copy(Path::new("rules").join(file), rules.join(file)).unwrap();
    }
    let mut rules_arg = std::ffi::OsString::from("--rules=");
    rules_arg.push(&rules);
    check_capped(pkg, LIMIT, 4 << 30, &[&rules_arg])
}

/// A valid polygon of `n` spikes whose boxes all overlap: a fan around `(x, y)` over a quarter
/// turn, its vertices alternating 10 m and 2 km from the centre (a "sawtooth whose teeth span
/// the same 2 km box"). Pairing segment boxes is quadratic on it, and each split of
/// Douglas–Peucker peels off one vertex.
pub fn fan(x: f64, y: f64, n: usize) -> Vec<f64> {
    let mut xy = vec![x, y];
    for i in 0..n {
        let a = std::f64::consts::FRAC_PI_2 * (i as f64 + 0.5) / n as f64;
        let r = if i % 2 == 0 { 10.0 } else { 2000.0 };
        xy.extend([x + r * a.cos(), y + r * a.sin()]);
    }
    xy.extend([x, y]);
    xy
}

/// A circle of `n` vertices and 1 km radius around `(x, y)`: many vertices, no spikes.
pub fn circle(x: f64, y: f64, n: usize) -> Vec<f64> {
    let mut xy = Vec::with_capacity(2 * n + 2);
    for i in 0..=n {
        let a = std::f64::consts::TAU * (i % n) as f64 / n as f64;
        xy.extend([x + 1000.0 * a.cos(), y + 1000.0 * a.sin()]);
    }
    xy
}

/// The clean package with the first registration unit (ZRZYDJDY) replaced by `shape(x, y, n)`
/// at its first vertex, its attributes kept.
pub fn unit_of(shape: fn(f64, f64, usize) -> Vec<f64>, n: usize) -> (tempfile::TempDir, PathBuf) {
    let (dir, pkg) = copy_package(CLEAN);
    let file = pkg.join("vector/ZRZYDJDY.fgb");
    let bytes = std::fs::read(&file).unwrap();
    let header_len = u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize;
    let header = flatgeobuf::size_prefixed_root_as_header(&bytes[8..12 + header_len]).unwrap();
    let index = match header.index_node_size() {
        0 => 0,
        size => flatgeobuf::packed_r_tree::PackedRTree::index_size(
            header.features_count() as usize,
            size,
        ),
    };
    // The index keeps the old offsets; nrqc reads features in order and never follows them.
    let start = 12 + header_len + index;
    let len = u32::from_le_bytes(bytes[start..start + 4].try_into().unwrap()) as usize;
    let end = start + 4 + len;
    let first = flatgeobuf::size_prefixed_root_as_feature(&bytes[start..end]).unwrap();
    let old = first.geometry().unwrap().xy().unwrap();
    let mut fbb = flatbuffers::FlatBufferBuilder::new();
    let xy = fbb.create_vector(&shape(old.get(0), old.get(1), n));
    let geometry = flatgeobuf::Geometry::create(
        &mut fbb,
        &flatgeobuf::GeometryArgs {
            xy: Some(xy),
            ..Default::default()
        },
    );
    let properties = first.properties().map(|p| fbb.create_vector(p.bytes()));
    let feature = flatgeobuf::Feature::create(
        &mut fbb,
        &flatgeobuf::FeatureArgs {
            geometry: Some(geometry),
            properties,
            columns: None,
        },
    );
    fbb.finish_size_prefixed(feature, None);
    let mut out = bytes[..start].to_vec();
    out.extend_from_slice(fbb.finished_data());
    out.extend_from_slice(&bytes[end..]);
    std::fs::write(&file, out).unwrap();
    (dir, pkg)
}

/// The report of `pkg`'s run.
fn report(pkg: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(pkg.with_file_name("out").join("report.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The rule of each finding of `pkg`'s run, in the report's order.
fn finding_rules(pkg: &Path) -> Vec<String> {
    report(pkg)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap().to_owned())
        .collect()
}

/// The run exited with `code`; its stderr is shown otherwise.
fn assert_exit(m: &Measured, code: i32) {
    let stderr = flat(&String::from_utf8_lossy(&m.output.stderr));
    assert_eq!(m.output.status.code(), Some(code), "{stderr}");
}

/// The run `l` on 4 times the input of `s` (`what`: vertices, rows) took under 8 times as
/// long: well under the 16 times of a quadratic step.
fn assert_near_linear(s: &Measured, l: &Measured, what: &str) {
    let ratio = l.wall.as_secs_f64() / s.wall.as_secs_f64();
    assert!(
        ratio < 8.0,
        "4x {what} took {ratio:.1}x ({:?} vs {:?})",
        l.wall,
        s.wall
    );
}

/// A valid fan of 10,000 and of 40,000 spikes: `geometry_valid` sweeps its segments in
/// O(n log n), so 4 times the vertices cost well under 16 times (pairing segment boxes took
/// 1.2 s for 10,000 and was killed at 120 s for 100,000, release build). The fan is valid, and
/// report.html draws it: geo's recursive simplification overflowed the stack at 4,000 (exit 134).
#[test]
fn sawtooth_validity_and_map_cost_near_linear_time() {
    let (_a, small) = unit_of(fan, 10_000);
    let (_b, large) = unit_of(fan, 40_000);
    let s = check_geometry(&small);
    let l = check_geometry(&large);
    for (m, pkg) in [(&s, &small), (&l, &large)] {
        assert_exit(m, 0);
        assert_eq!(report(pkg)["findings"], serde_json::json!([]));
        let html = std::fs::read_to_string(pkg.with_file_name("out").join("report.html")).unwrap();
        assert!(html.contains("ZRZYDJDY"));
        assert!(m.peak_mib < 300, "{} MiB", m.peak_mib);
    }
    assert!(l.wall < Duration::from_secs(20), "{:?}", l.wall);
    assert_near_linear(&s, &l, "vertices");
}

/// A circle of 50,000 and of 200,000 vertices whose declared area is wrong: the finding carries
/// the unit's geometry into report.json. Written straight from the coordinates, the 150,000 more
/// vertices cost 19 MiB more at peak (127 bytes a vertex, most of it report.json's own text,
/// 96 bytes a vertex); through geozero's GeoJSON text and a parsed `Value` they cost 51 MiB
/// (340 bytes a vertex, debug build).
#[test]
fn a_finding_on_a_large_unit_costs_memory_near_its_coordinates() {
    let (_a, small) = unit_of(circle, 50_000);
    let (_b, large) = unit_of(circle, 200_000);
    let s = check_rules(&small, &["schema.yaml", "area_logic.yaml"]);
    let l = check_rules(&large, &["schema.yaml", "area_logic.yaml"]);
    for (m, pkg, n) in [(&s, &small, 50_000), (&l, &large, 200_000)] {
        assert_exit(m, 1);
        assert_eq!(finding_rules(pkg), ["ZR-M005"]);
        let ring = &report(pkg)["findings"][0]["geometry"]["coordinates"][0];
        assert_eq!(ring.as_array().unwrap().len(), n + 1);
    }
    let growth = l.peak_mib.saturating_sub(s.peak_mib);
    assert!(
        growth < 35,
        "150,000 more vertices took {growth} MiB more ({} vs {} MiB)",
        l.peak_mib,
        s.peak_mib
    );
}

/// A circle of 25,000 and of 100,000 vertices in place of a unit, through every built-in rule:
/// the same findings, and 4 times the vertices cost well under 16 times the time and about 4
/// times the memory the vertices add. (Release build, `scripts/bench_scale.py`: 1M, 2M and 5M
/// vertices take 7.8, 16.8 and 37.7 s at 834, 1,542 and 3,861 MiB.)
#[test]
fn one_large_polygon_through_every_rule_costs_near_linear_time_and_memory() {
    let (_a, small) = unit_of(circle, 25_000);
    let (_b, large) = unit_of(circle, 100_000);
    let s = check(&small);
    let l = check(&large);
    for (m, pkg) in [(&s, &small), (&l, &large)] {
        assert_exit(m, 1);
        // The circle's area is not the unit's declared area (M005), it meets the red line
        // otherwise than GGGZ records (R001), and the unit's parcels reach beyond it and leave
        // parts of it uncovered (T103).
        let rules: BTreeSet<String> = finding_rules(pkg).into_iter().collect();
        assert_eq!(
            rules,
            ["ZR-M005", "ZR-R001", "ZR-T103"].map(String::from).into()
        );
    }
    assert_near_linear(&s, &l, "vertices");
    // Debug build, one run: 4.7 s and 122 MiB, 12.4 s and 179 MiB (800 bytes a vertex added).
    let per_vertex = (l.peak_mib.saturating_sub(s.peak_mib) as f64) * 1048576.0 / 75_000.0;
    assert!(
        per_vertex < 2048.0,
        "{per_vertex:.0} bytes per added vertex ({} vs {} MiB)",
        l.peak_mib,
        s.peak_mib
    );
}

/// The clean package with its GGGZ table's rows repeated to `rows` rows.
fn long_table(rows: usize) -> (tempfile::TempDir, PathBuf) {
    let (dir, pkg) = copy_package(CLEAN);
    let table = pkg.join("tables/GGGZ.csv");
    let text = std::fs::read(&table).unwrap();
    let mut lines = text.split(|&b| b == b'\n').filter(|l| !l.is_empty());
    let mut out = lines.next().unwrap().to_vec();
    out.push(b'\n');
    let body: Vec<&[u8]> = lines.collect();
    for row in body.iter().cycle().take(rows) {
        out.extend_from_slice(row);
        out.push(b'\n');
    }
    std::fs::write(&table, out).unwrap();
    (dir, pkg)
}

/// The data rows of the clean 永靖县's GGGZ.
fn clean_gggz_rows() -> usize {
    let text = std::fs::read(format!("{CLEAN}/tables/GGGZ.csv")).unwrap();
    text.split(|&b| b == b'\n')
        .skip(1)
        .filter(|l| !l.is_empty())
        .count()
}

/// A GGGZ table of 25,000 and of 100,000 rows (2.6 and 10 MB): four times the rows cost about
/// four times (1.5 s and 6.4 s in the debug build, of which 0.4 s is the clean package's run;
/// the profile is flat: decoding, CSV, hashing), and the repeated keys are findings.
#[test]
fn table_rows_cost_linear_time() {
    let (_a, small) = long_table(25_000);
    let (_b, large) = long_table(100_000);
    let s = check(&small);
    let l = check(&large);
    for (m, pkg) in [(&s, &small), (&l, &large)] {
        assert_exit(m, 0);
        let rules = finding_rules(pkg);
        // Each row of the clean GGGZ repeated is one finding of a duplicate key, a warning.
        assert_eq!(rules, vec!["ZR-U004"; clean_gggz_rows()]);
        assert!(m.peak_mib < 400, "{} MiB", m.peak_mib);
    }
    assert!(l.wall < Duration::from_secs(30), "{:?}", l.wall);
    assert_near_linear(&s, &l, "rows");
}

/// Writes the package of `unit_of` to `NRQC_SCALE_OUT`, with the shape (`fan` or `circle`) and
/// vertices of `NRQC_SCALE_SHAPE` and `NRQC_SCALE_N`: the inputs of `scripts/bench_scale.py`.
#[test]
#[ignore = "run by scripts/bench_scale.py"]
fn write_package() {
    let var = |name| std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"));
    let shape = match var("NRQC_SCALE_SHAPE").as_str() {
        "fan" => fan,
        "circle" => circle,
        other => panic!("unknown shape {other}"),
    };
    let (_dir, pkg) = unit_of(shape, var("NRQC_SCALE_N").parse().unwrap());
    crate::common::copy_dir(&pkg, Path::new(&var("NRQC_SCALE_OUT")));
}
