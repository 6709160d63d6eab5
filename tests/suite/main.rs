//! The cross-crate suite, one binary: diagnostics, data errors, policies, properties.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

mod comply;
mod data_errors;
mod diagnostics;
mod explain;
mod fuzz;
mod histories;
mod interpreter;
mod large;
mod properties;
mod tidy;
