#![no_main]
//! See `bylaw_tests::fuzz::data`.

use bylaw_tests::fuzz::{DataKind, data};

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    bylaw_tests::fuzz::let_decoder_panics_be_caught();
    data(DataKind::Csv, bytes);
});
