//! Data in: CSV and JSON readers that build a [`crate::batch::Batch`] from a
//! [`crate::schema::Schema`], collecting every problem as a located diagnostic.

mod assemble;
mod cell;
mod csv_in;
mod error;
mod json_in;

pub use csv_in::read_csv;
pub use error::{DataError, DataErrorKind, DataErrors, MAX_ERRORS};
pub use json_in::read_json;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_csv;
