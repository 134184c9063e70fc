#![no_main]

// A File Geodatabase table: a 2-byte head (the .gdbtablx's length, little-endian), the .gdbtablx,
// then the .gdbtable; read as a catalog, a feature class and an attribute table.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    nrqc::package::filegdb::fuzz(data);
});
