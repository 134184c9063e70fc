//! Readers: attribute columns are found by hash and bounded, GeoPackage views are not run. Each
//! input is made here (too large for the malformed corpus, or a GeoPackage view); the small
//! broken files of the same readers are in `tests/malformed/`.
//!
//! The test build is unoptimised, so time bounds are generous absolute limits plus growth ratios:
//! 4n columns must cost well under the 16 times n of a quadratic step.

use std::path::Path;
use std::time::Duration;

use crate::common::{check_capped, copy_package, Measured, CLEAN};

const GPKG: &str = "fixtures/622923_永靖县_defective_gpkg";

/// Kills a run that has not finished by then: the quadratic steps took minutes.
const LIMIT: Duration = Duration::from_secs(30);

/// Runs `nrqc check` on `pkg`, its address space capped at 4 GiB.
fn check(pkg: &Path) -> Measured {
    check_capped(pkg, LIMIT, 4 << 30, &[])
}

fn stderr(m: &Measured) -> String {
    // miette wraps long lines; the wrapping is undone to compare.
    String::from_utf8_lossy(&m.output.stderr)
        .lines()
        .map(|l| l.trim_start_matches([' ', '│', '×']).trim())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The rule of each finding in the report of `pkg`, sorted.
fn finding_rules(pkg: &Path) -> Vec<String> {
    let report = std::fs::read_to_string(pkg.with_file_name("out").join("report.json")).unwrap();
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    let mut rules: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap().to_owned())
        .collect();
    rules.sort();
    rules
}

/// The clean package with its GGGZ table widened to `columns` columns: its first row `rows`
/// times, with `1` in every added column.
fn wide_csv(columns: usize, rows: usize) -> (tempfile::TempDir, std::path::PathBuf) {
    let (dir, pkg) = copy_package(CLEAN);
    let table = pkg.join("tables/GGGZ.csv");
    let text = std::fs::read(&table).unwrap();
    let mut lines = text.split(|&b| b == b'\n').filter(|l| !l.is_empty());
    let header = lines.next().unwrap().to_vec();
    let row = lines.next().unwrap().to_vec();
    let added = columns - 5;
    let mut out = header;
    for i in 0..added {
        out.extend_from_slice(format!(",C{i}").as_bytes());
    }
    out.push(b'\n');
    for _ in 0..rows {
        out.extend_from_slice(&row);
        out.extend(std::iter::repeat_n(*b",1", added).flatten());
        out.push(b'\n');
    }
    std::fs::write(&table, out).unwrap();
    (dir, pkg)
}

/// 10,000 CSV columns (the most a table may have) over 20 rows cost about 4 times 2,500: each
/// value's column is found by hash. The search of the names for every value made it 16 times
/// (10,000 columns of 2 rows took 0.9 s, 100,000 took 87 s in a release build).
#[test]
fn csv_columns_cost_near_linear_time() {
    let (_a, small) = wide_csv(2_500, 20);
    let (_b, large) = wide_csv(10_000, 20);
    let s = check(&small);
    let l = check(&large);
    for (m, pkg) in [(&s, &small), (&l, &large)] {
        // The added columns are not in the schema and hold only `1`; the repeated row is the
        // one defect: a duplicate key, and the red lines its GGGZ rows no longer relate.
        assert_eq!(m.output.status.code(), Some(1), "{}", stderr(m));
        assert_eq!(finding_rules(pkg), ["ZR-R001", "ZR-R001", "ZR-U004"]);
        assert!(m.peak_mib < 400, "{} MiB", m.peak_mib);
    }
    assert!(l.wall < Duration::from_secs(10), "{:?}", l.wall);
    let ratio = l.wall.as_secs_f64() / s.wall.as_secs_f64();
    assert!(
        ratio < 8.0,
        "4x columns took {ratio:.1}x ({:?} vs {:?})",
        l.wall,
        s.wall
    );
}

/// A header of 100,000 columns is refused from the header row alone.
#[test]
fn csv_of_100000_columns_is_refused_with_the_count() {
    let (_d, pkg) = wide_csv(100_000, 2);
    let m = check(&pkg);
    assert_eq!(m.output.status.code(), Some(2));
    assert!(
        stderr(&m).contains(
            "tables/GGGZ.csv: GGGZ: header row: 100000 columns; nrqc reads at most 10000 \
             columns per table"
        ),
        "{}",
        stderr(&m)
    );
    assert!(m.wall < Duration::from_secs(5), "{:?}", m.wall);
    assert!(m.peak_mib < 400, "{} MiB", m.peak_mib);
}

/// A GeoJSON FeatureCollection in EPSG:4522 of `features` unit squares with the STBHHX fields,
/// each with the further properties `props(feature)`, as the package's STBHHX layer.
fn geojson_layer(
    features: usize,
    props: impl Fn(usize) -> Vec<String>,
) -> (tempfile::TempDir, std::path::PathBuf) {
    let (dir, pkg) = copy_package(CLEAN);
    let mut out = String::from(
        r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4522"}},"features":["#,
    );
    for f in 0..features {
        if f > 0 {
            out.push(',');
        }
        out.push_str(r#"{"type":"Feature","properties":{"HXBM":"62292310001","HXMC":"x","HXLX":"x","MJ":1.0"#);
        for name in props(f) {
            out.push_str(&format!(r#","{name}":1"#));
        }
        out.push_str(r#"},"geometry":{"type":"Polygon","coordinates":[[[34600000,3976000],[34600001,3976000],[34600001,3976001],[34600000,3976000]]]}}"#);
    }
    out.push_str("]}");
    std::fs::write(pkg.join("vector/STBHHX.geojson"), out).unwrap();
    (dir, pkg)
}

/// The same 10,000 property names in each of 20 features cost about 4 times 2,500 names (90,000
/// names took 20 s and 819 MB with a search of the names for every value).
#[test]
fn geojson_property_names_cost_near_linear_time() {
    let names = |n: usize| move |_| (0..n).map(|i| format!("P{i}")).collect::<Vec<_>>();
    let (_a, small) = geojson_layer(20, names(2_500 - 4));
    let (_b, large) = geojson_layer(20, names(10_000 - 4));
    let s = check(&small);
    let l = check(&large);
    for m in [&s, &l] {
        // The squares are not the delivered red lines: findings, exit 1, but read.
        assert_eq!(m.output.status.code(), Some(1), "{}", stderr(m));
        assert!(m.peak_mib < 400, "{} MiB", m.peak_mib);
    }
    assert!(l.wall < Duration::from_secs(10), "{:?}", l.wall);
    let ratio = l.wall.as_secs_f64() / s.wall.as_secs_f64();
    assert!(
        ratio < 8.0,
        "4x names took {ratio:.1}x ({:?} vs {:?})",
        l.wall,
        s.wall
    );
}

/// 1,000 features each with 1,000 properties of their own (10^6 distinct names): refused at the
/// 10,001st column, in seconds (was 974 MB and no result after 120 s).
#[test]
fn a_million_distinct_property_names_are_refused() {
    let (_d, pkg) = geojson_layer(1_000, |f| (0..1_000).map(|i| format!("F{f}_{i}")).collect());
    let m = check(&pkg);
    assert_eq!(m.output.status.code(), Some(2), "{}", stderr(&m));
    let err = stderr(&m);
    assert!(
        err.contains("vector/STBHHX.geojson: STBHHX, feature 9, field F9_")
            && err.contains(
                "more than 10000 attribute columns; nrqc reads at most 10000 columns per layer \
                 or table"
            ),
        "{err}"
    );
    // Most of the time and memory is the 15 MB document, parsed whole by the GeoJSON reader.
    assert!(m.wall < Duration::from_secs(20), "{:?}", m.wall);
    assert!(m.peak_mib < 500, "{} MiB", m.peak_mib);
}

/// 10,000 features each with one of 2,000 property names: 2 * 10^7 cells holding 5 * 10^4
/// values. Held densely it cost 510 MB for 2.4 MB of input; now it is refused before the frame
/// is built, and memory follows the values.
#[test]
fn sparse_columns_are_refused_before_they_cost_memory() {
    let (_d, pkg) = geojson_layer(10_000, |f| vec![format!("F{}", f % 2_000)]);
    let m = check(&pkg);
    assert_eq!(m.output.status.code(), Some(2), "{}", stderr(&m));
    assert!(
        stderr(&m).contains(
            "vector/STBHHX.geojson: STBHHX: 2004 attribute columns × 10000 rows = 20040000 \
             cells, of which only 50000 hold a value; nrqc reads at most 10000000 cells unless \
             at least one in 16 holds a value"
        ),
        "{}",
        stderr(&m)
    );
    assert!(m.wall < Duration::from_secs(10), "{:?}", m.wall);
    assert!(m.peak_mib < 250, "{} MiB", m.peak_mib);
}

/// The GeoPackage copy with its STBHHX table dropped and `sql` run.
fn gpkg_with(sql: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let (dir, pkg) = copy_package(GPKG);
    let db = rusqlite::Connection::open(pkg.join("vector/622923_永靖县.gpkg")).unwrap();
    db.execute_batch(&format!("DROP TABLE STBHHX; {sql}"))
        .unwrap();
    drop(db);
    (dir, pkg)
}

/// The GeoPackage copy with its STBHHX layer replaced by the view `select`.
fn gpkg_view(select: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    gpkg_with(&format!("CREATE VIEW STBHHX AS {select};"))
}

/// Refused as `what` before a row is read.
fn assert_refused_as(m: &Measured, what: &str) {
    assert_eq!(m.output.status.code(), Some(2), "{}", stderr(m));
    assert!(
        stderr(m).contains(&format!(
            "vector/622923_永靖县.gpkg: STBHHX: `STBHHX` is {what}, not a table; nrqc reads only \
             the rows a GeoPackage stores"
        )),
        "{}",
        stderr(m)
    );
    assert!(m.wall < Duration::from_secs(10), "{:?}", m.wall);
    assert!(m.peak_mib < 250, "{} MiB", m.peak_mib);
}

fn assert_view_refused(m: &Measured) {
    assert_refused_as(m, "a view (a query run when it is read)");
}

const STBHHX_COLUMNS: &str = "(SELECT geom FROM XZQ LIMIT 1) AS geom, '62292310001' AS HXBM, \
    'x' AS HXMC, 'x' AS HXLX, 1.0 AS MJ";

/// A layer that is a view over a recursive query without end: refused before a row is read (was
/// killed by the allocator, exit 134).
#[test]
fn a_view_without_end_is_refused() {
    let (_d, pkg) = gpkg_view(&format!(
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) \
         SELECT n AS fid, {STBHHX_COLUMNS} FROM r"
    ));
    assert_view_refused(&check(&pkg));
}

/// A layer that is a view over 10^11 generated rows: refused at once (was minutes of work).
#[test]
fn a_view_of_10_to_the_11_rows_is_refused() {
    let (_d, pkg) = gpkg_view(&format!(
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 100000000000) \
         SELECT n AS fid, {STBHHX_COLUMNS} FROM r"
    ));
    assert_view_refused(&check(&pkg));
}

/// The clean package with `rows` more rows in its TJ_ZRZYMJ statistics table, each with `无`
/// (text, not a number) in the number column SZYMJ.
fn text_cells(rows: usize) -> (tempfile::TempDir, std::path::PathBuf) {
    let (dir, pkg) = copy_package(CLEAN);
    let table = pkg.join("tables/TJ_ZRZYMJ.csv");
    let mut text = std::fs::read(&table).unwrap();
    for i in 0..rows {
        let row = format!("{},x,无,0,0,0,0,0,0,0\n", 100_000 + i);
        text.extend_from_slice(&encoding_rs::GBK.encode(&row).0);
    }
    std::fs::write(&table, text).unwrap();
    (dir, pkg)
}

/// A number column's text cells are found by row: 60,000 of them cost about 4 times 15,000 (a
/// search of all of them for each empty cell made it 16 times: 30,000 took 7.8 s).
#[test]
fn text_cells_of_a_statistics_table_cost_near_linear_time() {
    let (_a, small) = text_cells(15_000);
    let (_b, large) = text_cells(60_000);
    let s = check(&small);
    let l = check(&large);
    for m in [&s, &l] {
        // Text in a statistics table reads as "not a number" and its equations are skipped
        // (counted in the report), as for `无` in a delivered table.
        assert_eq!(m.output.status.code(), Some(0), "{}", stderr(m));
        assert!(m.peak_mib < 400, "{} MiB", m.peak_mib);
    }
    assert!(l.wall < Duration::from_secs(10), "{:?}", l.wall);
    let ratio = l.wall.as_secs_f64() / s.wall.as_secs_f64();
    assert!(
        ratio < 8.0,
        "4x cells took {ratio:.1}x ({:?} vs {:?})",
        l.wall,
        s.wall
    );
}

/// A layer that is an FTS5 table reading its rows from a view without end: a virtual table runs
/// a module's code, here the view's query, and is refused like a view.
#[test]
fn a_virtual_table_over_a_view_without_end_is_refused() {
    let (_d, pkg) = gpkg_with(
        "CREATE VIEW rows AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) \
         SELECT n AS rowid, '62292310001' AS HXBM FROM r; \
         CREATE VIRTUAL TABLE STBHHX USING fts5(HXBM, content='rows');",
    );
    assert_refused_as(
        &check(&pkg),
        "a virtual table (rows made by a module's code)",
    );
}
