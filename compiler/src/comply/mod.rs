//! Services: the checked catalogues and obligations ([`spec`]), their evaluation over a
//! register and a service log for one period ([`run`]), compliance tests ([`testing`])
//! and their words in Chinese and English ([`words`]).

pub mod run;
pub mod spec;
pub mod testing;
pub mod words;

pub use spec::ComplySpec;
