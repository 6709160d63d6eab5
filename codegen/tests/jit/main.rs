//! The native backend against the interpreter: every bundled policy's tests and the
//! suite's small programs (`differential`), and generated well-typed programs over
//! random data (`properties`). One test binary.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

mod conformance;
mod depth;
mod differential;
mod properties;
