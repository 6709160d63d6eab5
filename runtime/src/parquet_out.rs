//! Parquet output without exposing Arrow: columns are declared once ([`OutColumn`]),
//! rows appended to an [`OutBuilder`] (on any thread), and finished chunks written in
//! order by a [`ParquetOut`]. Money and other fixed-point numbers are `Decimal128`
//! with their exact scale (money: 4, i.e. 0.0001 元), never floats.

use arrow_array::builder::{
    ArrayBuilder, BooleanBuilder, Date32Builder, Decimal128Builder, Int64Builder, StringBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::io::{self, Write};
use std::sync::Arc;

/// How a column's values are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutKind {
    /// UTF-8 text.
    Text,
    /// A boolean.
    Bool,
    /// A fixed-point `i64` with this many decimals, as `Decimal128(19, scale)`.
    Decimal(i8),
    /// A fixed-point `i128` with this many decimals, as `Decimal128(38, scale)`: a
    /// value past the `i64` range (years of a duration, in millionths).
    WideDecimal(i8),
    /// A whole number (`Int64`).
    Int,
    /// Days since 1970-01-01 (`Date32`).
    Date,
}

/// One output column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutColumn {
    pub name: String,
    pub kind: OutKind,
}

impl OutColumn {
    #[must_use]
    pub fn new(name: impl Into<String>, kind: OutKind) -> OutColumn {
        OutColumn {
            name: name.into(),
            kind,
        }
    }
}

fn arrow_schema(columns: &[OutColumn]) -> SchemaRef {
    Arc::new(Schema::new(
        columns
            .iter()
            .map(|c| {
                let ty = match c.kind {
                    OutKind::Text => DataType::Utf8,
                    OutKind::Bool => DataType::Boolean,
                    OutKind::Decimal(s) => DataType::Decimal128(19, s),
                    OutKind::WideDecimal(s) => DataType::Decimal128(38, s),
                    OutKind::Int => DataType::Int64,
                    OutKind::Date => DataType::Date32,
                };
                Field::new(c.name.clone(), ty, true)
            })
            .collect::<Vec<_>>(),
    ))
}

/// One column being built.
enum Builder {
    Text(StringBuilder),
    Bool(BooleanBuilder),
    /// Its precision and scale.
    Decimal(Decimal128Builder, u8, i8),
    Int(Int64Builder),
    Date(Date32Builder),
}

/// Rows being collected for one chunk of output. Appending a value of the wrong kind
/// for its column appends a null instead (callers choose kinds from the same types).
pub struct OutBuilder {
    schema: SchemaRef,
    builders: Vec<Builder>,
}

/// A finished chunk of rows, ready for [`ParquetOut::write`].
#[derive(Debug, Clone)]
pub struct OutChunk(RecordBatch);

impl OutChunk {
    /// A chunk of rows built elsewhere as Arrow columns.
    #[must_use]
    pub fn from_record_batch(batch: RecordBatch) -> OutChunk {
        OutChunk(batch)
    }

    /// The rows as an Arrow record batch.
    #[must_use]
    pub fn into_record_batch(self) -> RecordBatch {
        self.0
    }

    /// Number of rows.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.num_rows()
    }

    /// Whether the chunk has no rows.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl OutBuilder {
    /// An empty chunk of `columns`, with room for `rows` rows.
    #[must_use]
    pub fn new(columns: &[OutColumn], rows: usize) -> OutBuilder {
        OutBuilder {
            schema: arrow_schema(columns),
            builders: columns
                .iter()
                .map(|c| match c.kind {
                    OutKind::Text => Builder::Text(StringBuilder::with_capacity(rows, rows * 8)),
                    OutKind::Bool => Builder::Bool(BooleanBuilder::with_capacity(rows)),
                    OutKind::Decimal(s) => {
                        Builder::Decimal(Decimal128Builder::with_capacity(rows), 19, s)
                    }
                    OutKind::WideDecimal(s) => {
                        Builder::Decimal(Decimal128Builder::with_capacity(rows), 38, s)
                    }
                    OutKind::Int => Builder::Int(Int64Builder::with_capacity(rows)),
                    OutKind::Date => Builder::Date(Date32Builder::with_capacity(rows)),
                })
                .collect(),
        }
    }

    /// Appends text (or null) to column `col`.
    pub fn text(&mut self, col: usize, v: Option<&str>) {
        match self.builders.get_mut(col) {
            Some(Builder::Text(b)) => b.append_option(v),
            _ => self.null(col),
        }
    }

    /// Appends a boolean (or null) to column `col`.
    pub fn bool(&mut self, col: usize, v: Option<bool>) {
        match self.builders.get_mut(col) {
            Some(Builder::Bool(b)) => b.append_option(v),
            _ => self.null(col),
        }
    }

    /// Appends a fixed-point value (already scaled to the column's decimals), an
    /// integer or a day number (or null) to column `col`.
    pub fn int(&mut self, col: usize, v: Option<i64>) {
        match self.builders.get_mut(col) {
            Some(Builder::Decimal(b, ..)) => b.append_option(v.map(i128::from)),
            Some(Builder::Int(b)) => b.append_option(v),
            Some(Builder::Date(b)) => b.append_option(v.and_then(|d| i32::try_from(d).ok())),
            _ => self.null(col),
        }
    }

    /// Appends a fixed-point value already scaled to the column's decimals, wider than
    /// an `i64` (or null), to a [`OutKind::WideDecimal`] column `col`.
    pub fn wide(&mut self, col: usize, v: Option<i128>) {
        match self.builders.get_mut(col) {
            Some(Builder::Decimal(b, 38, _)) => b.append_option(v),
            _ => self.null(col),
        }
    }

    /// Appends a null to column `col`.
    pub fn null(&mut self, col: usize) {
        match self.builders.get_mut(col) {
            Some(Builder::Text(b)) => b.append_null(),
            Some(Builder::Bool(b)) => b.append_null(),
            Some(Builder::Decimal(b, ..)) => b.append_null(),
            Some(Builder::Int(b)) => b.append_null(),
            Some(Builder::Date(b)) => b.append_null(),
            None => {}
        }
    }

    /// The rows appended so far as a chunk.
    ///
    /// # Errors
    /// If the columns have different lengths (a caller appended unevenly).
    pub fn finish(self) -> io::Result<OutChunk> {
        let arrays: Vec<ArrayRef> = self
            .builders
            .into_iter()
            .map(|b| match b {
                Builder::Text(mut b) => Arc::new(b.finish()) as ArrayRef,
                Builder::Bool(mut b) => Arc::new(b.finish()),
                Builder::Decimal(mut b, p, s) => Arc::new(
                    b.finish()
                        .with_precision_and_scale(p, s)
                        .unwrap_or_else(|_| Decimal128Builder::new().finish()),
                ),
                Builder::Int(mut b) => Arc::new(b.finish()),
                Builder::Date(mut b) => Arc::new(b.finish()),
            })
            .collect();
        RecordBatch::try_new(self.schema, arrays)
            .map(OutChunk)
            .map_err(io::Error::other)
    }

    /// Rows appended so far (of the first column).
    #[must_use]
    pub fn len(&self) -> usize {
        match self.builders.first() {
            Some(Builder::Text(b)) => b.len(),
            Some(Builder::Bool(b)) => b.len(),
            Some(Builder::Decimal(b, ..)) => b.len(),
            Some(Builder::Int(b)) => b.len(),
            Some(Builder::Date(b)) => b.len(),
            None => 0,
        }
    }

    /// Whether no rows were appended.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A Parquet file being written (Snappy-compressed), chunk by chunk, in order.
pub struct ParquetOut<W: Write + Send> {
    writer: ArrowWriter<W>,
}

impl<W: Write + Send> ParquetOut<W> {
    /// Starts a file of `columns` on `out`.
    ///
    /// # Errors
    /// If the schema cannot be written.
    pub fn new(out: W, columns: &[OutColumn]) -> io::Result<ParquetOut<W>> {
        ParquetOut::with_schema(out, arrow_schema(columns))
    }

    /// Starts a file of chunks of the Arrow schema `schema` on `out`.
    ///
    /// # Errors
    /// If the schema cannot be written.
    pub fn with_schema(out: W, schema: SchemaRef) -> io::Result<ParquetOut<W>> {
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build();
        let writer = ArrowWriter::try_new(out, schema, Some(props)).map_err(io::Error::other)?;
        Ok(ParquetOut { writer })
    }

    /// Appends a chunk of rows.
    ///
    /// # Errors
    /// If encoding or writing fails, or the chunk has other columns.
    pub fn write(&mut self, chunk: &OutChunk) -> io::Result<()> {
        self.writer.write(&chunk.0).map_err(io::Error::other)
    }

    /// Writes the footer and gives back the underlying writer.
    ///
    /// # Errors
    /// If the footer cannot be written.
    pub fn finish(self) -> io::Result<W> {
        self.writer.into_inner().map_err(io::Error::other)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;
    use crate::input::read_parquet;
    use crate::schema::{ColumnType, EntitySchema, FieldSchema, Schema};

    #[test]
    fn written_decimals_read_back_exactly() {
        let columns = vec![
            OutColumn::new("id", OutKind::Text),
            OutColumn::new("income", OutKind::Decimal(4)),
            OutColumn::new("ok", OutKind::Bool),
        ];
        let mut b = OutBuilder::new(&columns, 2);
        for (id, income) in [("a", 13_385_000i64), ("b", -1)] {
            b.text(0, Some(id));
            b.int(1, Some(income));
            b.bool(2, Some(income > 0));
        }
        let chunk = b.finish().unwrap();
        assert_eq!(chunk.len(), 2);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.parquet");
        let mut out = ParquetOut::new(std::fs::File::create(&path).unwrap(), &columns).unwrap();
        out.write(&chunk).unwrap();
        out.finish().unwrap();
        let field = |name: &str, ty| FieldSchema {
            name: name.into(),
            label: String::new(),
            ty,
            default: None,
            minimum: None,
        };
        let schema = Schema {
            entities: vec![EntitySchema {
                name: "household".into(),
                label: String::new(),
                key: Some(crate::schema::FieldId(0)),
                fields: vec![
                    field("id", ColumnType::Text),
                    field("income", ColumnType::Money),
                    field("ok", ColumnType::Bool),
                ],
                relations: vec![],
                parent: None,
                dated: None,
            }],
            root: crate::schema::EntityId(0),
        };
        let batch = read_parquet(&schema, &path, &[]).unwrap();
        let rows = batch.entity(batch.root).unwrap();
        assert_eq!(
            rows.int(crate::schema::FieldId(1)),
            Some(&[13_385_000, -1][..])
        );
        assert_eq!(rows.keys, vec!["a".to_owned(), "b".to_owned()]);
    }
}
