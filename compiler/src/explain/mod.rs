//! Explanations a person can read. Everything is data first ([`words::Words`], the
//! decision [`trace::DecisionTrace`], the document [`doc::Block`]s) and words second, in
//! Chinese or English from the same structure.

pub mod decision;
pub mod doc;
pub mod policy;
pub mod reason;
pub mod render;
pub mod trace;
pub mod whatif;
pub mod words;

pub use doc::{Block, Format};
pub use words::Lang;
