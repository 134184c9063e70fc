#![no_main]

// A GeoPackage: the input is written to a temporary file (SQLite opens files) and every feature
// and attribute table in it is read.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    nrqc::package::gpkg::fuzz(data);
});
