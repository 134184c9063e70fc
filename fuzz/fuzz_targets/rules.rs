#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    nrqc::rules::fuzz_rule_file(data);
});
