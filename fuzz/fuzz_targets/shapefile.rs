#![no_main]

// A shapefile layer: .shx, .dbf and .prj lengths in a 7-byte head, then the files, then the .shp
// (see nrqc::package::shapefile::fuzz).
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    nrqc::package::shapefile::fuzz(data);
});
