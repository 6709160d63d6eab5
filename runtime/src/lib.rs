//! Bylaw runtime: data in (CSV, JSON, Parquet) with diagnostics, streaming input in
//! bounded memory, Parquet output, atomic output writing, periods and the service log,
//! over the core it re-exports from `bylaw-runtime-core` (exact arithmetic, dates, the
//! schema and batch layout, the native ABI compiled checkers use).
//!
//! This crate never depends on the compiler. Ahead-of-time compiled checkers link
//! against the core alone.

pub use bylaw_runtime_core::{arith, batch, date, decimal, history, native, schema, workdays};

pub mod input;
pub mod output;
pub mod parquet_out;
pub mod period;
pub mod servicelog;
