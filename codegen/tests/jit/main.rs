//! The native backend against the interpreter: every bundled policy's tests
//! (`differential`) and generated well-typed programs over random data (`properties`).
//! One test binary. The conformance corpus runs through the engine's backends
//! (`engine/tests/conformance.rs`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

mod differential;
mod properties;
