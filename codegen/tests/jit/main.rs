//! The native backend against the interpreter: every bundled policy's tests
//! (`differential`), generated well-typed programs over random data (`properties`), and
//! exact quotients against a rational oracle (`exact`), deep and wide programs at the
//! nesting bound (`depth`, `shapes`). One test binary. The conformance
//! corpus runs through the engine's backends (`engine/tests/conformance.rs`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

mod depth;
mod differential;
mod exact;
mod histories;
mod properties;
mod shapes;
