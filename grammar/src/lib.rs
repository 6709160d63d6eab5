//! Bylaw source text to a syntax tree with small spans.
//!
//! This crate knows nothing of types, units or backends: it parses ([`parse()`]) and prints
//! back in canonical form ([`format()`]). `parse(format(m)) == m` for every module `m`
//! (spans do not take part in equality).

#![forbid(unsafe_code)]

pub mod ast;
mod ast_comply;
mod error;
mod parse;
mod print;
pub mod span;

pub use error::ParseError;
pub use parse::{MAX_DEPTH, parse};
pub use print::{expr as print_expr, format, literal as print_literal};
pub use span::{FileId, SourceFile, SourceMap, Span};
