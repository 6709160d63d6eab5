//! Splitting a CSV file into records for the streaming reader.
//!
//! Most data files have no quotes and no carriage returns: a record is a line and a
//! field ends at a comma. Over such bytes this splitter finds the separators with
//! `memchr` in large blocks and copies each run of records into the chunk at once,
//! several times faster than the `csv` crate's general state machine, which was the
//! streaming reader's bottleneck. The moment it meets a `"` or a `\r` it hands the
//! rest of the file to the `csv` crate, reopened and advanced past the records
//! already split, so the crate's state is exactly what it would have been had it read
//! the file from the start.
//!
//! Records, fields and lines are therefore always the `csv` crate's (no headers,
//! flexible widths): a UTF-8 byte-order mark at the start is dropped, blank lines are
//! skipped, and a record's line is the one after the previous record's end, as the
//! crate reports positions.

use super::raw::CsvRows;
use memchr::{memchr2, memchr2_iter, memrchr};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Bytes read from the file at a time.
const BLOCK: usize = 1 << 20;

/// One CSV file, split into records on demand.
pub(crate) struct CsvSplitter {
    path: PathBuf,
    file: File,
    /// Bytes read; those not split yet are `buf[start..]`.
    buf: Vec<u8>,
    start: usize,
    /// `buf[start..clean]` holds no quote and no carriage return.
    clean: usize,
    /// The file has no more bytes than `buf` holds.
    eof: bool,
    count: Count,
    /// Bytes split so far (blank lines included), to size chunks before filling them.
    split_bytes: u64,
    /// Set once a quote or a carriage return is met: the `csv` crate reads the rest.
    slow: Option<Slow>,
}

/// Where the splitter is in the file, in lines and records.
struct Count {
    /// The 1-based line of `buf[start]`.
    line: u64,
    /// The line reported for the next record: the one after the previous record.
    report_line: u64,
    /// Records split so far (the header included).
    records: u64,
}

impl Count {
    /// Closes the record of `fields` fields whose field ends were just pushed.
    fn end_record(&mut self, rows: &mut CsvRows, fields: usize, path: &Path) -> Result<(), String> {
        let line = u32::try_from(self.report_line).unwrap_or(u32::MAX);
        if rows.width == 0 {
            rows.width = fields;
        }
        if fields != rows.width {
            return Err(wrong_width(path, line));
        }
        rows.lines.push(line);
        self.records += 1;
        self.line += 1;
        self.report_line = self.line;
        Ok(())
    }
}

fn wrong_width(path: &Path, line: u32) -> String {
    format!("`{}` line {line}: a row of another width", path.display())
}

struct Slow {
    reader: csv::Reader<File>,
    record: csv::ByteRecord,
}

impl CsvSplitter {
    /// Opens `path`.
    ///
    /// # Errors
    /// Why the file cannot be read.
    pub fn open(path: &Path) -> Result<CsvSplitter, String> {
        let file = File::open(path).map_err(|e| format!("`{}`: {e}", path.display()))?;
        let mut split = CsvSplitter {
            path: path.to_path_buf(),
            file,
            buf: Vec::new(),
            start: 0,
            clean: 0,
            eof: false,
            count: Count {
                line: 1,
                report_line: 1,
                records: 0,
            },
            split_bytes: 0,
            slow: None,
        };
        split.refill()?;
        if split.buf.starts_with(b"\xEF\xBB\xBF") {
            split.start = 3;
            split.clean = 3;
        }
        Ok(split)
    }

    /// The first record (the header), or `None` if the file has none.
    ///
    /// # Errors
    /// Why the file cannot be read.
    pub fn header(&mut self) -> Result<Option<Vec<Vec<u8>>>, String> {
        let mut rows = CsvRows::default();
        self.read_rows(&mut rows, 1)?;
        Ok((rows.len() == 1).then(|| {
            (0..rows.width)
                .map(|c| rows.field(0, c).unwrap_or_default().to_vec())
                .collect()
        }))
    }

    /// Appends up to `max_rows` records to `rows` (fewer at the end of the file). A
    /// `rows` of width 0 takes the width of its first record.
    ///
    /// # Errors
    /// Why the streaming reader must give up: the file cannot be read, is not CSV,
    /// or has a record of another width.
    pub(crate) fn read_rows(&mut self, rows: &mut CsvRows, max_rows: usize) -> Result<(), String> {
        if rows.len() == 0 && self.count.records > 1 && self.slow.is_none() {
            // Sized from the records so far, so that filling a chunk does not copy it
            // again and again as it grows.
            let expected = max_rows.min(1 << 20);
            let per_record = self.split_bytes / self.count.records + 1;
            rows.bytes
                .reserve(usize::try_from(per_record).unwrap_or(0) * expected / 8 * 9);
            rows.ends.reserve(expected * rows.width);
            rows.lines.reserve(expected);
        }
        while rows.len() < max_rows {
            if let Some(slow) = &mut self.slow {
                match slow.reader.read_byte_record(&mut slow.record) {
                    Ok(true) => {}
                    Ok(false) => return Ok(()),
                    Err(e) => return Err(format!("`{}`: {e}", self.path.display())),
                }
                let line = slow
                    .record
                    .position()
                    .map_or(0, |p| u32::try_from(p.line()).unwrap_or(u32::MAX));
                if rows.width == 0 {
                    rows.width = slow.record.len();
                }
                if !rows.push(&slow.record, line) {
                    return Err(wrong_width(&self.path, line));
                }
                self.count.records += 1;
                continue;
            }
            // Whole lines only, but for a last line without a line end.
            let rest = self.buf.get(self.start..).unwrap_or_default();
            let limit = match memrchr(b'\n', rest) {
                Some(p) => self.start + p + 1,
                None if self.eof => self.buf.len(),
                None => {
                    self.refill()?;
                    continue;
                }
            };
            if limit == self.start {
                return Ok(());
            }
            if self.clean < limit {
                let unchecked = self.buf.get(self.clean..limit).unwrap_or_default();
                match memchr2(b'"', b'\r', unchecked) {
                    None => self.clean = limit,
                    Some(q) => {
                        // Split up to the line that holds it; the `csv` crate takes
                        // that line and the rest.
                        let q = self.clean + q;
                        let before = self.buf.get(self.start..q).unwrap_or_default();
                        let line_start =
                            memrchr(b'\n', before).map_or(self.start, |p| self.start + p + 1);
                        if line_start == self.start {
                            self.go_slow()?;
                            continue;
                        }
                        self.clean = line_start;
                    }
                }
            }
            let end = limit.min(self.clean);
            let at_eof = self.eof && end == self.buf.len();
            self.split_lines(rows, max_rows, end, at_eof)?;
        }
        Ok(())
    }

    /// Splits the lines of `buf[start..end]` (whole lines, but for the last one when
    /// `at_eof`) into `rows` until it holds `max_rows` records.
    fn split_lines(
        &mut self,
        rows: &mut CsvRows,
        max_rows: usize,
        end: usize,
        at_eof: bool,
    ) -> Result<(), String> {
        let bytes = self.buf.get(self.start..end).unwrap_or_default();
        // `bytes[run..]` is not copied into `rows` yet; `rows.bytes` gets each run of
        // records as it is in the file, separators included, which is the layout
        // `CsvRows` keeps (a field ends at its separator).
        let mut run = 0usize;
        let mut line_start = 0usize;
        let mut fields = 0usize;
        let mut split_to = bytes.len();
        let offset = |rows: &CsvRows, run: usize, p: usize| {
            u32::try_from(rows.bytes.len() + (p - run))
                .map_err(|_| "a chunk over 4 GiB".to_string())
        };
        for p in memchr2_iter(b',', b'\n', bytes) {
            if bytes.get(p) == Some(&b',') {
                rows.ends.push(offset(rows, run, p)?);
                fields += 1;
                continue;
            }
            if p == line_start {
                // A blank line: skipped, and not counted in the next record's line.
                rows.bytes
                    .extend_from_slice(bytes.get(run..p).unwrap_or_default());
                run = p + 1;
                line_start = p + 1;
                self.count.line += 1;
                continue;
            }
            rows.ends.push(offset(rows, run, p)?);
            self.count.end_record(rows, fields + 1, &self.path)?;
            fields = 0;
            line_start = p + 1;
            if rows.len() >= max_rows {
                split_to = line_start;
                break;
            }
        }
        if split_to == bytes.len() && line_start < bytes.len() {
            // The commas of an unfinished line were pushed above; it can only be the
            // file's last line, which has no line end.
            if !at_eof {
                return Err(format!(
                    "`{}`: internal: a line without an end",
                    self.path.display()
                ));
            }
            rows.ends.push(offset(rows, run, bytes.len())?);
            rows.bytes
                .extend_from_slice(bytes.get(run..).unwrap_or_default());
            rows.bytes.push(b'\n');
            run = bytes.len();
            self.count.end_record(rows, fields + 1, &self.path)?;
        }
        rows.bytes
            .extend_from_slice(bytes.get(run..split_to).unwrap_or_default());
        self.start += split_to;
        Ok(())
    }

    /// Moves the unsplit bytes to the front of the buffer and reads a block after them.
    fn refill(&mut self) -> Result<(), String> {
        self.buf.drain(..self.start);
        self.clean -= self.start;
        self.start = 0;
        let want = BLOCK.max(self.buf.len());
        let read = (&mut self.file)
            .take(want as u64)
            .read_to_end(&mut self.buf)
            .map_err(|e| format!("`{}`: {e}", self.path.display()))?;
        self.eof = read == 0;
        Ok(())
    }

    /// Hands the rest of the file to the `csv` crate, reading it from the start and
    /// skipping the records already split.
    fn go_slow(&mut self) -> Result<(), String> {
        let cannot = |e: &dyn std::fmt::Display| format!("`{}`: {e}", self.path.display());
        let file = File::open(&self.path).map_err(|e| cannot(&e))?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(1 << 16)
            .from_reader(file);
        let mut record = csv::ByteRecord::new();
        for _ in 0..self.count.records {
            if !reader
                .read_byte_record(&mut record)
                .map_err(|e| cannot(&e))?
            {
                break;
            }
        }
        self.buf = Vec::new();
        self.start = 0;
        self.clean = 0;
        self.slow = Some(Slow { reader, record });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    /// A record's fields and its reported line.
    type Record = (Vec<Vec<u8>>, u64);

    /// Every record of `text` as the `csv` crate reads it: fields and line.
    fn by_csv_crate(text: &[u8]) -> Vec<Record> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text);
        let mut out = Vec::new();
        let mut record = csv::ByteRecord::new();
        while reader.read_byte_record(&mut record).unwrap() {
            out.push((
                record.iter().map(<[u8]>::to_vec).collect(),
                record.position().unwrap().line(),
            ));
        }
        out
    }

    /// Every record of `text` as the splitter reads it, `max_rows` at a time, each
    /// chunk taking the width of its first record.
    fn by_splitter(text: &[u8], max_rows: usize) -> Result<Vec<Record>, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, text).unwrap();
        let mut split = CsvSplitter::open(&path)?;
        let mut out = Vec::new();
        loop {
            let mut rows = CsvRows::default();
            split.read_rows(&mut rows, max_rows)?;
            if rows.len() == 0 {
                return Ok(out);
            }
            for r in 0..rows.len() {
                let fields = (0..rows.width)
                    .map(|c| rows.field(r, c).unwrap().to_vec())
                    .collect();
                out.push((fields, u64::from(rows.lines[r])));
            }
        }
    }

    /// The splitter reads what the crate reads, and refuses a chunk exactly where a
    /// record's width differs from the chunk's first record's.
    fn agree(text: &[u8]) {
        let records = by_csv_crate(text);
        for max_rows in [1, 2, 3, 1000] {
            let mismatch = records.chunks(max_rows).find_map(|chunk| {
                let width = chunk.first()?.0.len();
                chunk
                    .iter()
                    .find(|(r, _)| r.len() != width)
                    .map(|(_, line)| *line)
            });
            let got = by_splitter(text, max_rows);
            let shown = String::from_utf8_lossy(text);
            match mismatch {
                None => assert_eq!(got, Ok(records.clone()), "{shown:?} by {max_rows}"),
                Some(line) => {
                    let e = got.unwrap_err();
                    assert!(
                        e.ends_with(&format!("line {line}: a row of another width")),
                        "{shown:?}: {e}"
                    );
                }
            }
        }
    }

    #[test]
    fn splits_as_the_csv_crate_does() {
        for text in [
            "",
            "\n",
            "a",
            "a,b\n1,2\n",
            "a,b\n1,2",
            "\u{feff}id,x\nh1,2\n",
            "a,b\n\n\n1,2\n3,4\n\n",
            "\n\na,b\n1,\n,\n",
            "a,b\n1,\"2,5\"\n3,4\n",
            "a,b\r\n1,2\r\n",
            "a,b\n1,2\n\"x\ny\",3\n4,5\n",
            "a,b\n1,2\n3,4\r5,6\n",
            "a\n\u{feff}b\n\"c\"\n",
            "a,b\n 1 , 2 \n",
            "id,名字\nh1,广州\n",
        ] {
            agree(text.as_bytes());
        }
    }

    #[test]
    fn long_lines_and_many_blocks() {
        let mut text = String::from("id,v\n");
        for i in 0..200_000 {
            text.push_str(&format!("h{i},{}\n", "x".repeat(i % 13)));
        }
        text.push_str(&format!("long,{}\n", "y".repeat(3 * BLOCK)));
        text.push_str("last,\"quoted\"\n");
        agree(text.as_bytes());
    }

    #[test]
    fn wrong_width_names_the_line() {
        let e = by_splitter(b"a,b\n1,2\n\n3\n", 100).unwrap_err();
        assert!(e.ends_with("line 3: a row of another width"), "{e}");
    }

    proptest::proptest! {
        #[test]
        fn agrees_on_random_text(text in "[ab,\n\"\r]{0,40}") {
            agree(text.as_bytes());
        }
    }
}
