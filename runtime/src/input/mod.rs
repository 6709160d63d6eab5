//! Data in: CSV, JSON and Parquet readers that build a [`crate::batch::Batch`] from a
//! [`crate::schema::Schema`], collecting every problem as a located diagnostic, and a
//! streaming reader ([`stream`]) that reads well-ordered CSV or Parquet a batch at a
//! time in bounded memory.

mod arrow_cells;
mod assemble;
mod cell;
mod csv_in;
mod error;
mod foreign;
mod json_in;
mod parquet_in;
mod raw;
mod split;
pub mod stream;

pub use assemble::shown_number;
pub use csv_in::read_csv;
pub use error::{DataError, DataErrorKind, DataErrors, MAX_ERRORS, SHOWN_CHARS, shown};
pub use foreign::decoding_foreign_data;
pub use json_in::{MAX_JSON_DEPTH, read_json, read_json_text};
pub use parquet_in::{ArrowTable, read_arrow, read_parquet};
pub use stream::{BatchStream, DataFormat, Fallback, RawBatch};

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_arrow;
#[cfg(test)]
mod tests_csv;
#[cfg(test)]
mod tests_history;
#[cfg(test)]
mod tests_stream;
