//! Bylaw runtime: the exact arithmetic shared by the interpreter and generated code,
//! the input schema and columnar batch layout, data in (CSV, JSON, Parquet) with
//! diagnostics, streaming input in bounded memory, Parquet output, atomic output
//! writing, and the native ABI compiled checkers use ([`native`]).
//!
//! This crate never depends on the compiler: ahead-of-time compiled checkers link
//! against it alone.

pub mod arith;
pub mod batch;
pub mod date;
pub mod decimal;
pub mod input;
pub mod native;
pub mod output;
pub mod parquet_out;
pub mod period;
pub mod schema;
pub mod servicelog;
