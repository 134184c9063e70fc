#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    nrqc::fuzz::geojson(data);
});
