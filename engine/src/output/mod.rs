//! An evaluation's rows as a file: one row per household — its key, its error and the
//! definition the error arose in, every output, and on request a reason — in CSV,
//! JSON or Parquet, chosen by the output file's extension.
//!
//! Every value is written as [`bylaw_compiler::format::plain`] writes it (plain numbers
//! in the type's unit, ISO dates, variant names); CSV cells are formatted straight from
//! the result columns, without a value or a string per cell.

mod cells;

use std::fmt;
use std::io::{self, Write};
use std::path::Path;

use bylaw_compiler::duration::DurationUnit;
use bylaw_compiler::ir::{Program, Value};
use bylaw_compiler::types::Ty;
use bylaw_runtime::batch::Batch;
use bylaw_runtime::parquet_out::{OutBuilder, OutChunk, OutColumn, OutKind};

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
    Parquet(OutChunk),
}

/// How a run's rows are written: the format, the columns, each output's cell format.
pub(crate) struct RowWriter<'p> {
    program: &'p Program,
    format: OutputFormat,
    key_column: String,
    reason: bool,
    cells: CsvCells,
    parquet_columns: Vec<OutColumn>,
}

impl<'p> RowWriter<'p> {
    pub(crate) fn new(program: &'p Program, format: OutputFormat, reason: bool) -> Self {
        let key_column = program
            .schema
            .root_entity()
            .and_then(|e| e.key.and_then(|k| e.field(k)).map(|f| f.name.clone()))
            .unwrap_or_else(|| "row".to_string());
        RowWriter {
            program,
            format,
            parquet_columns: parquet_columns(program, &key_column, reason),
            key_column,
            reason,
            cells: CsvCells::new(program),
        }
    }

    pub(crate) fn format(&self) -> OutputFormat {
        self.format
    }

    /// The Parquet schema's columns.
    pub(crate) fn parquet_columns(&self) -> &[OutColumn] {
        &self.parquet_columns
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
            OutputFormat::Parquet => {
                let mut b = OutBuilder::new(&self.parquet_columns, evaluation.len());
                for i in 0..evaluation.len() {
                    self.parquet_row(&mut b, key(i), evaluation, i, reason(i));
                }
                b.finish().map(Chunk::Parquet)
            }
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

    fn parquet_row(
        &self,
        b: &mut OutBuilder,
        key: &str,
        evaluation: &Evaluation,
        i: usize,
        reason: Option<&str>,
    ) {
        let program = self.program;
        b.text(0, Some(key));
        let outputs = program.outputs.len();
        match evaluation.error(i) {
            None => {
                b.null(1);
                b.null(2);
                for (o, d) in program.outputs.iter().enumerate() {
                    let col = 3 + o;
                    match evaluation.value(o, i) {
                        Some(Value::Bool(x)) => b.bool(col, Some(x)),
                        Some(Value::Int(x)) => match program.def(*d) {
                            // Years (or 周岁), in millionths.
                            def if def.ty == Ty::Months && def.unit != DurationUnit::Months => {
                                b.wide(col, Some(DurationUnit::micro_years(x)));
                            }
                            _ => b.int(col, Some(x)),
                        },
                        Some(Value::Date(x)) => b.int(col, Some(i64::from(x))),
                        Some(v) => b.text(
                            col,
                            Some(&bylaw_compiler::format::plain(
                                program,
                                program.def(*d).ty,
                                &v,
                            )),
                        ),
                        None => b.null(col),
                    }
                }
            }
            Some(e) => {
                b.text(1, Some(e.code()));
                b.text(2, e.def.map(|d| program.def(d).name.as_str()));
                for o in 0..outputs {
                    b.null(3 + o);
                }
            }
        }
        if let Some(reason) = reason {
            b.text(3 + outputs, Some(reason));
        }
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

/// The Parquet columns: key, error, error_in, the outputs, the reason.
fn parquet_columns(program: &Program, key_column: &str, reason: bool) -> Vec<OutColumn> {
    let mut cols = vec![
        OutColumn::new(key_column, OutKind::Text),
        OutColumn::new("error", OutKind::Text),
        OutColumn::new("error_in", OutKind::Text),
    ];
    for d in &program.outputs {
        let def = program.def(*d);
        let kind = match def.ty {
            Ty::Money(_) | Ty::Rate => OutKind::Decimal(4),
            Ty::Decimal => OutKind::Decimal(6),
            Ty::Months if def.unit != DurationUnit::Months => OutKind::WideDecimal(6),
            Ty::Count | Ty::Days | Ty::Months => OutKind::Int,
            Ty::Date => OutKind::Date,
            Ty::Bool => OutKind::Bool,
            Ty::Text | Ty::Enum(_) => OutKind::Text,
        };
        cols.push(OutColumn::new(def.name.clone(), kind));
    }
    if reason {
        cols.push(OutColumn::new("reason", OutKind::Text));
    }
    cols
}
