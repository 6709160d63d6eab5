//! An evaluation's rows as a file: one row per household — its key, its error and the
//! definition the error arose in, every output, and on request a reason — in CSV,
//! JSON or Parquet, chosen by the output file's extension.
//!
//! Every value is written as [`bylaw_compiler::format::plain`] writes it (plain numbers
//! in the type's unit, ISO dates, variant names); CSV cells are formatted straight from
//! the result columns, without a value or a string per cell.

pub mod arrow;
mod cells;

use std::fmt;
use std::io::{self, Write};
use std::path::Path;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use bylaw_compiler::ir::{Program, Value};
use bylaw_runtime::batch::Batch;

use crate::backend::Evaluation;
use cells::CsvCells;
pub(crate) use cells::quote;

/// The format of an output file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutputFormat {
    /// Comma-separated values with a header line (RFC 4180 quoting).
    Csv,
    /// A JSON array of one object per household; numbers as exact strings.
    Json,
    /// Apache Parquet: money and rates as decimals, counts as integers.
    Parquet,
}

impl OutputFormat {
    /// The format named by `path`'s extension (`.csv`, `.json`, `.parquet`, any case).
    ///
    /// ```
    /// use bylaw_engine::OutputFormat;
    /// use std::path::Path;
    /// assert_eq!(OutputFormat::of_path(Path::new("out.PARQUET")), Ok(OutputFormat::Parquet));
    /// assert!(OutputFormat::of_path(Path::new("out.xlsx")).is_err());
    /// ```
    ///
    /// # Errors
    /// [`UnknownExtension`] for any other extension, or none: nothing is written in a
    /// format the user did not ask for.
    pub fn of_path(path: &Path) -> Result<OutputFormat, UnknownExtension> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("csv") => Ok(OutputFormat::Csv),
            Some("json") => Ok(OutputFormat::Json),
            Some("parquet") => Ok(OutputFormat::Parquet),
            _ => Err(UnknownExtension {
                extension: ext.unwrap_or_default(),
            }),
        }
    }
}

/// An output path whose extension names no format Bylaw writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownExtension {
    extension: String,
}

impl fmt::Display for UnknownExtension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.extension.is_empty() {
            write!(f, "the output file has no extension")
        } else {
            write!(f, "`.{}` is not an output format", self.extension)
        }
    }
}

impl std::error::Error for UnknownExtension {}

/// One unit of formatted rows.
pub(crate) enum Chunk {
    Text(Vec<u8>),
    /// Arrow columns: for a Parquet file or a caller's table.
    Arrow(RecordBatch),
}

/// How a run's rows are written: the format, the columns, each output's cell format.
pub(crate) struct RowWriter<'p> {
    program: &'p Program,
    format: OutputFormat,
    key_column: String,
    reason: bool,
    cells: CsvCells,
    /// The columns of Parquet and in-memory output, and which optional ones they have.
    arrow_schema: SchemaRef,
    extra: arrow::Extra,
}

impl<'p> RowWriter<'p> {
    pub(crate) fn new(program: &'p Program, format: OutputFormat, reason: bool) -> Self {
        let extra = arrow::Extra {
            detail: false,
            reason,
        };
        RowWriter {
            program,
            format,
            arrow_schema: arrow::schema(program, extra),
            extra,
            key_column: arrow::key_column(program),
            reason,
            cells: CsvCells::new(program),
        }
    }

    /// A writer of Arrow record batches for a caller's table: the Parquet columns and
    /// each error's words (`error_detail`).
    pub(crate) fn in_memory(program: &'p Program, reason: bool) -> Self {
        let extra = arrow::Extra {
            detail: true,
            reason,
        };
        RowWriter {
            arrow_schema: arrow::schema(program, extra),
            extra,
            ..RowWriter::new(program, OutputFormat::Parquet, reason)
        }
    }

    pub(crate) fn format(&self) -> OutputFormat {
        self.format
    }

    /// The schema of Parquet and in-memory output.
    pub(crate) fn arrow_schema(&self) -> SchemaRef {
        self.arrow_schema.clone()
    }

    /// What comes before the first row: the CSV header, or JSON's opening bracket.
    pub(crate) fn header(&self, w: &mut dyn Write) -> io::Result<()> {
        match self.format {
            OutputFormat::Json => w.write_all(b"[\n"),
            OutputFormat::Csv => {
                let mut line = Vec::new();
                line.extend_from_slice(quote(&self.key_column).as_bytes());
                line.extend_from_slice(b",error,error_in");
                for d in &self.program.outputs {
                    line.push(b',');
                    line.extend_from_slice(quote(&self.program.def(*d).name).as_bytes());
                }
                if self.reason {
                    line.extend_from_slice(b",reason");
                }
                line.push(b'\n');
                w.write_all(&line)
            }
            OutputFormat::Parquet => Ok(()),
        }
    }

    /// What comes after the last row.
    pub(crate) fn footer(&self, w: &mut dyn Write) -> io::Result<()> {
        match self.format {
            OutputFormat::Json => w.write_all(b"\n]\n"),
            _ => Ok(()),
        }
    }

    /// The rows of `evaluation` over `batch`; `reasons` has one entry per household
    /// when a reason column is written; `first`: these are the output's first rows.
    pub(crate) fn rows(
        &self,
        batch: &Batch,
        evaluation: &Evaluation,
        reasons: Option<&[String]>,
        first: bool,
    ) -> io::Result<Chunk> {
        let start = evaluation.rows().start;
        let key = |i: usize| root_key(batch, start + i);
        let reason = |i: usize| reasons.and_then(|r| r.get(i)).map(String::as_str);
        match self.format {
            OutputFormat::Csv => {
                let mut out =
                    Vec::with_capacity(evaluation.len() * (24 + 10 * self.program.outputs.len()));
                for i in 0..evaluation.len() {
                    self.cells
                        .push_row(self.program, key(i), evaluation, i, reason(i), &mut out);
                }
                Ok(Chunk::Text(out))
            }
            OutputFormat::Json => {
                let mut out = Vec::with_capacity(evaluation.len() * 128);
                for i in 0..evaluation.len() {
                    if !(first && i == 0) {
                        out.extend_from_slice(b",\n");
                    }
                    let row = self.json_row(key(i), evaluation, i, reason(i));
                    serde_json::to_writer(&mut out, &row).map_err(io::Error::other)?;
                }
                Ok(Chunk::Text(out))
            }
            OutputFormat::Parquet => arrow::record_batch(
                self.program,
                self.arrow_schema.clone(),
                self.extra,
                evaluation,
                key,
                reasons,
            )
            .map(Chunk::Arrow)
            .map_err(io::Error::other),
        }
    }

    fn json_row(
        &self,
        key: &str,
        evaluation: &Evaluation,
        i: usize,
        reason: Option<&str>,
    ) -> serde_json::Map<String, serde_json::Value> {
        let program = self.program;
        let mut obj = serde_json::Map::new();
        obj.insert(self.key_column.clone(), key.into());
        if let Some(reason) = reason {
            obj.insert("reason".into(), reason.into());
        }
        match evaluation.error(i) {
            None => {
                obj.insert("error".into(), serde_json::Value::Null);
                for (o, d) in program.outputs.iter().enumerate() {
                    let def = program.def(*d);
                    let json = match evaluation.value(o, i) {
                        Some(Value::Bool(b)) => serde_json::Value::Bool(b),
                        // Numbers stay exact text: money is never turned into a float.
                        Some(v) => {
                            bylaw_compiler::format::plain_in(program, def.ty, def.unit, &v).into()
                        }
                        None => serde_json::Value::Null,
                    };
                    obj.insert(def.name.clone(), json);
                }
            }
            Some(e) => {
                obj.insert(
                    "error".into(),
                    serde_json::json!({
                        "code": e.code(),
                        "in": e.def.map(|d| program.def(d).name.clone()),
                        "detail": e.detail,
                    }),
                );
            }
        }
        obj
    }
}

/// The key of root row `row`, or empty when the root entity has no key.
pub(crate) fn root_key(batch: &Batch, row: usize) -> &str {
    batch
        .entities
        .get(batch.root.0 as usize)
        .and_then(|e| e.keys.get(row))
        .map_or("", String::as_str)
}
