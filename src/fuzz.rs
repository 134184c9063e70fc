//! Byte-level entry points for the fuzz targets in `fuzz/` (one function per reader). Each
//! decodes `data` as the loader would and drops the result; a reader must return an error for bad
//! input, never panic, loop or allocate from an unchecked declared size.
//!
//! To add a reader: a function here, a target `fuzz/fuzz_targets/<name>.rs` calling it, an entry
//! in `fuzz/Cargo.toml`, and seeds in `fuzz/seeds.sh` (see `fuzz/README.md`).

use std::path::Path;
use std::sync::OnceLock;

use crate::package::{archive, table, vector, Encoding, Manifest};
use crate::schema::Schema;

fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        crate::rules::RuleSet::builtin()
            .expect("the built-in rules load")
            .schema
    })
}

fn into_frame(d: vector::Decoded) {
    let _ = d.columns.into_frame(d.rows);
}

/// A FlatGeobuf layer.
pub fn fgb(data: &[u8]) {
    if let Ok(d) = vector::read_fgb(Path::new("vector/FUZZ.fgb"), "FUZZ", data) {
        into_frame(d);
    }
}

/// A GeoJSON layer.
pub fn geojson(data: &[u8]) {
    if let Ok(d) = vector::read_geojson(Path::new("vector/FUZZ.geojson"), "FUZZ", data) {
        into_frame(d);
    }
}

/// A CSV table, typed as the built-in schema's `GGGZ` (the first byte picks UTF-8 or GBK; the
/// second whether the schema applies, so untyped columns are fuzzed too).
pub fn csv(data: &[u8]) {
    let [mode, rest @ ..] = data else { return };
    let encoding = if mode & 1 == 0 {
        Encoding::Utf8
    } else {
        Encoding::Gbk
    };
    let def = if mode & 2 == 0 {
        schema().frame("GGGZ")
    } else {
        schema().frame("TJ_ZRZYMJ")
    };
    if let Ok(t) = table::read_csv(Path::new("tables/GGGZ.csv"), "GGGZ", rest, encoding, def) {
        let _ = t.columns.into_frame(t.rows);
    }
}

/// `package.yaml`.
pub fn manifest(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Manifest::parse(text, "package.yaml");
    }
}

/// A zip package, extracted to a temporary directory (removed again).
pub fn zip(data: &[u8]) {
    let Ok(tmp) = tempfile::tempdir() else { return };
    let _ = archive::extract(
        Path::new("fuzz.zip"),
        std::io::Cursor::new(data),
        &tmp.path().join("fuzz"),
    );
}
