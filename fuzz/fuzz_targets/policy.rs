#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| caplet_fuzz::policy(data));
