//! Reading a service log: one row per service delivered (who, where, which service, when,
//! by whom). `service` and `date` columns are required, `worker` is optional, and every
//! other column holds the key of an entity the row belongs to (`person`, `station`).
//! A row that cannot be read (a malformed date, the wrong number of cells) is kept as a
//! located problem, never dropped silently; whether rows are known, inside the period
//! and unique is judged later against the policy and the register.

use std::path::Path;

use crate::date::parse_date;
use crate::input::{DataError, DataErrorKind, DataErrors};

/// The rows of a service log that could be read, column by column.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceLog {
    /// Names of the key columns (`person`, `station`), in file order.
    pub key_columns: Vec<String>,
    /// Per key column, each row's key.
    pub keys: Vec<Vec<String>>,
    /// Each row's service code.
    pub service: Vec<String>,
    /// Each row's date (days since 1970-01-01).
    pub date: Vec<i32>,
    /// Each row's worker (empty when the column is absent).
    pub worker: Vec<String>,
    /// Each row's 1-based line in the file (the header is line 1).
    pub lines: Vec<u32>,
    /// Rows that could not be read.
    pub unreadable: Vec<UnreadableRow>,
}

/// A log row that could not be read, with where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadableRow {
    /// 1-based line.
    pub line: u32,
    /// The column at fault, if one.
    pub column: Option<String>,
    /// The value as written.
    pub value: String,
    /// Lowercase, no final period.
    pub message: String,
}

impl ServiceLog {
    /// Number of readable rows.
    #[must_use]
    pub fn len(&self) -> usize {
        self.service.len()
    }

    /// Has no readable row?
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.service.is_empty()
    }

    /// The index of key column `name`.
    #[must_use]
    pub fn key_column(&self, name: &str) -> Option<usize> {
        self.key_columns.iter().position(|c| c == name)
    }

    /// Adds one row (tests and in-memory logs).
    pub fn push(&mut self, keys: &[(&str, &str)], service: &str, date: i32, worker: &str) {
        let line = u32::try_from(self.lines.len() + 2).unwrap_or(u32::MAX);
        for (name, _) in keys {
            if self.key_column(name).is_none() {
                self.key_columns.push((*name).to_string());
                self.keys.push(vec![String::new(); self.service.len()]);
            }
        }
        for (i, column) in self.key_columns.iter().enumerate() {
            let value = keys
                .iter()
                .find(|(n, _)| n == column)
                .map_or("", |(_, v)| v);
            if let Some(col) = self.keys.get_mut(i) {
                col.push(value.to_string());
            }
        }
        self.service.push(service.to_string());
        self.date.push(date);
        self.worker.push(worker.to_string());
        self.lines.push(line);
    }
}

/// Reads a service log CSV.
///
/// # Errors
/// The file cannot be opened or is not CSV, or the header lacks `service` or `date`.
pub fn read_log(path: &Path) -> Result<ServiceLog, DataErrors> {
    let mut errors = DataErrors::default();
    let mut reader = match csv::ReaderBuilder::new().flexible(true).from_path(path) {
        Ok(r) => r,
        Err(e) => {
            errors.push(
                DataError::new(DataErrorKind::MissingFile, path, format!("cannot read the service log: {e}"))
                    .with_help("give the log as a CSV file with columns person, station, service, date, worker"),
            );
            return Err(errors);
        }
    };
    let header = match reader.byte_headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            errors.push(DataError::new(
                DataErrorKind::MalformedFile,
                path,
                format!("the header row cannot be read: {e}"),
            ));
            return Err(errors);
        }
    };
    let names: Vec<String> = header
        .iter()
        .map(|h| {
            String::from_utf8_lossy(h)
                .trim()
                .trim_start_matches('\u{feff}')
                .to_string()
        })
        .collect();
    let find = |n: &str| names.iter().position(|c| c == n);
    let (service_at, date_at, worker_at) = (find("service"), find("date"), find("worker"));
    for (needed, at) in [("service", service_at), ("date", date_at)] {
        if at.is_none() {
            errors.push(
                DataError::new(
                    DataErrorKind::MissingColumn,
                    path,
                    format!("the service log has no `{needed}` column"),
                )
                .at_row(1)
                .with_help("a log row names the service code (`service`) and the day it was delivered (`date`, YYYY-MM-DD)"),
            );
        }
    }
    let (Some(service_at), Some(date_at)) = (service_at, date_at) else {
        return Err(errors);
    };
    let key_at: Vec<usize> = (0..names.len())
        .filter(|i| *i != service_at && *i != date_at && Some(*i) != worker_at)
        .collect();
    let mut log = ServiceLog {
        key_columns: key_at
            .iter()
            .filter_map(|i| names.get(*i).cloned())
            .collect(),
        keys: key_at.iter().map(|_| Vec::new()).collect(),
        ..ServiceLog::default()
    };
    let mut record = csv::ByteRecord::new();
    let mut line: u32 = 1;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                line = line.saturating_add(1);
                log.unreadable.push(UnreadableRow {
                    line,
                    column: None,
                    value: String::new(),
                    message: format!("the row is not valid CSV: {e}"),
                });
                continue;
            }
        }
        line = record.position().map_or(line.saturating_add(1), |p| {
            u32::try_from(p.line()).unwrap_or(u32::MAX)
        });
        let cell = |i: usize| {
            record
                .get(i)
                .map(|b| String::from_utf8_lossy(b).trim().to_string())
        };
        if record.len() != names.len() {
            log.unreadable.push(UnreadableRow {
                line,
                column: None,
                value: String::new(),
                message: format!(
                    "the row has {} cells, the header {}",
                    record.len(),
                    names.len()
                ),
            });
            continue;
        }
        let date_text = cell(date_at).unwrap_or_default();
        let date = match parse_date(&date_text) {
            Ok(d) => d,
            Err(e) => {
                log.unreadable.push(UnreadableRow {
                    line,
                    column: Some("date".into()),
                    value: date_text,
                    message: format!("the date cannot be read: {e}"),
                });
                continue;
            }
        };
        let service = cell(service_at).unwrap_or_default();
        if service.is_empty() {
            log.unreadable.push(UnreadableRow {
                line,
                column: Some("service".into()),
                value: service,
                message: "the service code is empty".into(),
            });
            continue;
        }
        for (k, i) in key_at.iter().enumerate() {
            if let Some(col) = log.keys.get_mut(k) {
                col.push(cell(*i).unwrap_or_default());
            }
        }
        log.service.push(service);
        log.date.push(date);
        log.worker
            .push(worker_at.and_then(cell).unwrap_or_default());
        log.lines.push(line);
    }
    Ok(log)
}
