//! Bylaw runtime core: what a compiled checker needs at run time and nothing more —
//! the exact arithmetic shared by the interpreter and generated code ([`arith`]),
//! decimal and date conversion ([`decimal`], [`date`]), working-day counting
//! ([`workdays`]), the input schema and the
//! columnar batch ([`schema`], [`batch`]), and the native ABI ([`native`]: the
//! `#[repr(C)]` layout, the helpers compiled code calls, the descriptor and C entry
//! points, and the Rust [`native::library::Library`] loader).
//!
//! Embedders of a compiled checker depend on this crate alone (no readers or writers,
//! no Arrow, Parquet or miette); `bylaw-runtime` re-exports every module, so code
//! inside the workspace keeps its `bylaw_runtime::…` paths.

pub mod arith;
pub mod batch;
pub mod date;
pub mod decimal;
pub mod history;
pub mod native;
pub mod schema;
pub mod workdays;
