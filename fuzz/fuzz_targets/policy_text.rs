#![no_main]
//! See `bylaw_tests::fuzz::policy_text`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| bylaw_tests::fuzz::policy_text(data));
