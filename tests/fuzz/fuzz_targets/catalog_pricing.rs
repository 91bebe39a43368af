#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pharmedge_fuzz::catalog_pricing(data));
