//! The one CSV writer of the reports, built on the `csv` crate: fields are quoted when
//! they contain a comma, a quote or a line break, records end with `\n`.

use std::io::{self, Write};

/// Writes records to any writer.
///
/// ```
/// let mut out = Vec::new();
/// let mut w = bylaw_engine::report::csv::CsvWriter::new(&mut out);
/// w.record(["id", "reason"])?;
/// w.record(["a", "income, \"declared\""])?;
/// w.finish()?;
/// assert_eq!(String::from_utf8(out)?, "id,reason\na,\"income, \"\"declared\"\"\"\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct CsvWriter<W: Write> {
    inner: csv::Writer<W>,
}

impl<W: Write> CsvWriter<W> {
    /// A writer of records into `w`; records may differ in length.
    pub fn new(w: W) -> CsvWriter<W> {
        CsvWriter {
            inner: csv::WriterBuilder::new().flexible(true).from_writer(w),
        }
    }

    /// Writes one record.
    ///
    /// # Errors
    /// The writer's error.
    pub fn record<I, T>(&mut self, fields: I) -> io::Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.inner.write_record(fields).map_err(into_io)
    }

    /// Flushes what is buffered.
    ///
    /// # Errors
    /// The writer's error.
    pub fn finish(mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A header and rows as CSV text.
///
/// ```
/// let text = bylaw_engine::report::csv::to_string(&["a", "b"], [vec!["1".to_string(), "x\ny".into()]]);
/// assert_eq!(text, "a,b\n1,\"x\ny\"\n");
/// ```
pub fn to_string<H, R, T>(header: &[H], rows: R) -> String
where
    H: AsRef<str>,
    R: IntoIterator<Item = Vec<T>>,
    T: AsRef<str>,
{
    let mut out = Vec::new();
    {
        let mut w = CsvWriter::new(&mut out);
        // Writing into memory cannot fail.
        let _ = w.record(header.iter().map(|h| h.as_ref().as_bytes()));
        for row in rows {
            let _ = w.record(row.iter().map(|f| f.as_ref().as_bytes()));
        }
        let _ = w.finish();
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn into_io(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}
