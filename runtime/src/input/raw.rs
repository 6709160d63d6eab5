//! Rows read but not yet decoded: a [`RawChunk`] holds either CSV records (one byte
//! buffer and field end offsets, so a chunk costs a few allocations however many rows
//! it has) or an Arrow record batch (Parquet). The streaming reader splits and links
//! chunks on one thread; decoding them into columns happens later, on any thread.

use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;

/// CSV records of a fixed width, packed into one buffer.
// INVARIANT: every field in `bytes` is followed by one separator byte, so a field
// starts one byte after the previous field's end. Unquoted records are then copied
// from the file as they are, separators included.
#[derive(Debug, Default, Clone)]
pub(crate) struct CsvRows {
    /// Every field's bytes, each followed by a separator.
    pub bytes: Vec<u8>,
    /// End offset in `bytes` of each field (where its separator is), `width` per row.
    pub ends: Vec<u32>,
    /// Fields per record.
    pub width: usize,
    /// Each record's 1-based line in its file.
    pub lines: Vec<u32>,
    /// The 1-based number of the first record in its file.
    pub first_record: u64,
}

impl CsvRows {
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Field `col` of row `row` (raw bytes, untrimmed).
    pub fn field(&self, row: usize, col: usize) -> Option<&[u8]> {
        let i = row.checked_mul(self.width)?.checked_add(col)?;
        if col >= self.width {
            return None;
        }
        let end = *self.ends.get(i)? as usize;
        let start = match i.checked_sub(1) {
            Some(p) => *self.ends.get(p)? as usize + 1,
            None => 0,
        };
        self.bytes.get(start..end)
    }

    /// Appends one record; `false` (nothing appended) if it has the wrong width or the
    /// chunk would outgrow `u32` offsets.
    pub fn push(&mut self, record: &csv::ByteRecord, line: u32) -> bool {
        if record.len() != self.width {
            return false;
        }
        if self.bytes.len() + record.as_slice().len() + record.len() > u32::MAX as usize {
            return false;
        }
        for field in record {
            self.bytes.extend_from_slice(field);
            self.ends.push(self.bytes.len() as u32);
            self.bytes.push(b',');
        }
        self.lines.push(line);
        true
    }

    /// Splits off rows `at..` into a new chunk.
    pub(crate) fn split_off(&mut self, at: usize) -> CsvRows {
        let at = at.min(self.len());
        let field_at = at * self.width;
        let byte_at = match field_at.checked_sub(1) {
            Some(p) => self.ends.get(p).map_or(0, |e| *e as usize + 1),
            None => 0,
        };
        let tail_bytes = self.bytes.split_off(byte_at.min(self.bytes.len()));
        let base = byte_at as u32;
        let tail_ends = self
            .ends
            .split_off(field_at.min(self.ends.len()))
            .into_iter()
            .map(|e| e - base)
            .collect();
        let tail_lines = self.lines.split_off(at);
        CsvRows {
            bytes: tail_bytes,
            ends: tail_ends,
            width: self.width,
            lines: tail_lines,
            first_record: self.first_record + at as u64,
        }
    }
}

/// Rows of one file, read but not decoded.
#[derive(Debug, Clone)]
pub(crate) enum RawChunk {
    Csv(CsvRows),
    /// Rows of a Parquet file; `first_record` is the 1-based number of the first row.
    Arrow {
        batch: RecordBatch,
        first_record: u64,
    },
}

impl RawChunk {
    pub fn len(&self) -> usize {
        match self {
            RawChunk::Csv(c) => c.len(),
            RawChunk::Arrow { batch, .. } => batch.num_rows(),
        }
    }

    /// The raw bytes of column `col` at `row` of CSV rows (untrimmed, not known to be
    /// UTF-8); `None` for Arrow rows.
    pub fn raw(&self, row: usize, col: usize) -> Option<&[u8]> {
        match self {
            RawChunk::Csv(c) => c.field(row, col),
            RawChunk::Arrow { .. } => None,
        }
    }

    /// The trimmed text of column `col` at `row`: a key or a parent key. `None` if
    /// absent, null, not UTF-8 or not text.
    pub fn text(&self, row: usize, col: usize) -> Option<&str> {
        match self {
            RawChunk::Csv(c) => {
                let bytes = c.field(row, col)?;
                std::str::from_utf8(bytes).ok().map(str::trim)
            }
            RawChunk::Arrow { batch, .. } => {
                let array = batch.columns().get(col)?;
                if array.is_null(row) || row >= array.len() {
                    return None;
                }
                match array.data_type() {
                    DataType::Utf8 => Some(array.as_string::<i32>().value(row).trim()),
                    DataType::LargeUtf8 => Some(array.as_string::<i64>().value(row).trim()),
                    DataType::Utf8View => Some(array.as_string_view().value(row).trim()),
                    _ => None,
                }
            }
        }
    }

    /// Splits off rows `at..` into a new chunk.
    pub(crate) fn split_off(&mut self, at: usize) -> RawChunk {
        match self {
            RawChunk::Csv(c) => RawChunk::Csv(c.split_off(at)),
            RawChunk::Arrow {
                batch,
                first_record,
            } => {
                let at = at.min(batch.num_rows());
                let tail = batch.slice(at, batch.num_rows() - at);
                let tail_first = *first_record + at as u64;
                *batch = batch.slice(0, at);
                RawChunk::Arrow {
                    batch: tail,
                    first_record: tail_first,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn csv_rows_split_keeps_fields_and_numbers() {
        let mut rows = CsvRows {
            width: 2,
            first_record: 1,
            ..CsvRows::default()
        };
        for (i, (a, b)) in [("h1", "10"), ("h2", ""), ("h3", "30")].iter().enumerate() {
            let r = csv::ByteRecord::from(vec![*a, *b]);
            assert!(rows.push(&r, i as u32 + 2));
        }
        assert!(!rows.push(&csv::ByteRecord::from(vec!["x"]), 9));
        let tail = rows.split_off(1);
        assert_eq!(rows.len(), 1);
        assert_eq!(tail.len(), 2);
        assert_eq!(rows.field(0, 1), Some(&b"10"[..]));
        assert_eq!(tail.field(0, 0), Some(&b"h2"[..]));
        assert_eq!(tail.field(0, 1), Some(&b""[..]));
        assert_eq!(tail.field(1, 1), Some(&b"30"[..]));
        assert_eq!(tail.field(1, 2), None);
        assert_eq!(tail.first_record, 2);
        assert_eq!(tail.lines, vec![3, 4]);
    }
}
