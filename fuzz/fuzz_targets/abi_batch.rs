#![no_main]
//! See `bylaw_tests::fuzz::abi`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| bylaw_tests::fuzz::abi::abi_batch(data));
