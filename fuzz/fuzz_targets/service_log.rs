#![no_main]
//! See `bylaw_tests::fuzz::service_log`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| bylaw_tests::fuzz::service_log(data));
