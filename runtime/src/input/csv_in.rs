//! Reading CSV: one file for the root entity, one per relation.
//!
//! The root file has a header row naming fields (any order). A relation's file (e.g.
//! `members.csv`) has a `<parent>_id` column (e.g. `household_id`) holding the parent's
//! key, plus the child's fields. Children may come in any order. Every problem is
//! collected; nothing panics on any input.

use super::assemble::{NO_PARENT, Table, assemble};
use super::cell::{parse_cell, parse_into, placeholder, push_value};
use super::error::{DataError, DataErrorKind, DataErrors, shown};
use crate::batch::Batch;
use crate::schema::{EntitySchema, Schema};
use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::Hasher;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

/// Reads a root CSV file and the CSV files of relations (`("members", path)`).
///
/// # Errors
/// Every data error found (the first [`super::MAX_ERRORS`] of them).
pub fn read_csv(
    schema: &Schema,
    root_path: &Path,
    child_paths: &[(String, PathBuf)],
) -> Result<Batch, DataErrors> {
    read_tables(schema, root_path, child_paths, "CSV", read_table)
}

/// Reads the root file and the relations' files with `read` (one file into a table,
/// linking a child file's rows to their parents), checks keys and assembles the batch.
pub(crate) fn read_tables(
    schema: &Schema,
    root_path: &Path,
    child_paths: &[(String, PathBuf)],
    format: &str,
    mut read: impl FnMut(&EntitySchema, &Path, Option<Parent<'_>>, &mut DataErrors) -> Table,
) -> Result<Batch, DataErrors> {
    let mut errors = DataErrors::default();
    let order = schema.tree_order();
    check_relation_names(schema, child_paths, &mut errors);

    let mut tables: Vec<Option<Table>> = schema.entities.iter().map(|_| None).collect();
    // Per entity: its file could not be read, or its key column is missing (reported).
    let mut unkeyed: Vec<bool> = schema.entities.iter().map(|_| false).collect();
    let mut lookups: Vec<ParentKeys> = schema
        .entities
        .iter()
        .map(|_| ParentKeys::default())
        .collect();
    for (id, parent) in order {
        let Some(entity) = schema.entity(id) else {
            continue;
        };
        let first_error = errors.errors.len();
        let table = match parent {
            None => read(entity, root_path, None, &mut errors),
            Some((p, r)) => {
                let Some(parent_entity) = schema.entity(p) else {
                    continue;
                };
                let Some(rel) = parent_entity.relations.get(r) else {
                    continue;
                };
                let path = child_paths
                    .iter()
                    .find(|(n, _)| *n == rel.name)
                    .map(|(_, p)| p);
                let parent_unkeyed = unkeyed.get(p.0 as usize).copied().unwrap_or(false);
                let Some(path) = path else {
                    // A relation file found beside an unreadable data file is no news.
                    if rel.at_least > 0 && !parent_unkeyed {
                        // Tables in memory (Arrow) are given, not files.
                        let (noun, what) = if format == "Arrow" {
                            ("table", "table".to_string())
                        } else {
                            ("file", format!("{format} file"))
                        };
                        errors.push(
                            DataError::new(
                                DataErrorKind::MissingFile,
                                root_path,
                                format!(
                                    "no {noun} given for `{}` (each `{}` needs at least {})",
                                    rel.name, parent_entity.name, rel.at_least
                                ),
                            )
                            .with_help(format!(
                                "give a `{}` {what} with a `{}_id` column and the `{}` fields",
                                rel.name, parent_entity.name, entity.name
                            )),
                        );
                    }
                    continue;
                };
                let parent_col = format!("{}_id", parent_entity.name);
                let pi = p.0 as usize;
                let Some(lookup) = lookups.get_mut(pi) else {
                    continue;
                };
                let link = Parent {
                    col: &parent_col,
                    entity: parent_entity,
                    keys: tables
                        .get(pi)
                        .and_then(Option::as_ref)
                        .map_or(&[][..], |t| &t.keys[..]),
                    lookup,
                    linkable: !parent_unkeyed,
                };
                read(entity, path, Some(link), &mut errors)
            }
        };
        if let Some(slot) = unkeyed.get_mut(id.0 as usize) {
            *slot = file_unkeyed(entity, &table, &errors.errors[first_error..]);
        }
        if parent.is_none() || !entity.relations.is_empty() {
            let lookup = ParentKeys::check(entity, &table, &mut errors);
            if let Some(slot) = lookups.get_mut(id.0 as usize) {
                *slot = lookup;
            }
        }
        if let Some(slot) = tables.get_mut(id.0 as usize) {
            *slot = Some(table);
        }
    }
    drop(lookups);
    let batch = assemble(schema, tables, &mut errors);
    if errors.is_empty() {
        Ok(batch)
    } else {
        Err(errors)
    }
}

/// Whether `table`'s file gave no keys to link children to: it could not be read, or the
/// entity has a key field and its column is missing — as `new_errors`, the errors
/// reading it, say.
fn file_unkeyed(entity: &EntitySchema, table: &Table, new_errors: &[DataError]) -> bool {
    let key_name = entity
        .key
        .and_then(|k| entity.fields.get(k.0 as usize))
        .map(|f| f.name.as_str());
    new_errors.iter().any(|e| {
        e.file == table.file
            && match e.kind {
                DataErrorKind::Io => true,
                DataErrorKind::MalformedFile => e.row.is_none(),
                DataErrorKind::MissingColumn => {
                    key_name.is_some() && e.column.as_deref() == key_name
                }
                _ => false,
            }
    })
}

/// Reports child files given for relations the schema does not have.
pub(crate) fn check_relation_names(
    schema: &Schema,
    child_paths: &[(String, PathBuf)],
    errors: &mut DataErrors,
) {
    let order = schema.tree_order();
    for (name, path) in child_paths {
        let known = order.iter().any(|(_, parent)| {
            parent.is_some_and(|(p, r)| {
                schema
                    .entity(p)
                    .and_then(|e| e.relations.get(r))
                    .is_some_and(|rel| &rel.name == name)
            })
        });
        if !known {
            let names: Vec<String> = schema
                .entities
                .iter()
                .flat_map(|e| e.relations.iter().map(|r| format!("`{}`", r.name)))
                .collect();
            errors.push(
                DataError::new(
                    DataErrorKind::MissingFile,
                    path,
                    format!("no relation is named `{name}`"),
                )
                .with_value(name.clone())
                .with_help(if names.is_empty() {
                    "this schema has no relations; give only the root file".to_owned()
                } else {
                    format!("relations are {}", names.join(", "))
                }),
            );
        }
    }
}

/// Hashes a key (deterministic; [`KeyIndex`] confirms every match against the key).
fn hash_key(key: &str) -> u64 {
    let mut h = DefaultHasher::new();
    h.write(key.as_bytes());
    h.finish()
}

/// Key → first row with that key, for one table, without copying the keys: an
/// open-addressing table of `tag << 32 | row + 1` (0: empty), the tag being 32 bits of
/// the key's hash; a candidate row is confirmed against the table's own keys.
struct KeyIndex {
    slots: Vec<u64>,
}

impl KeyIndex {
    /// Indexes the non-empty `keys`; `on_duplicate(row, first_row)` for each repeat.
    fn build(keys: &[String], mut on_duplicate: impl FnMut(u32, u32)) -> Self {
        let mut index = Self {
            slots: vec![0; (keys.len() + keys.len() / 2 + 1).max(8)],
        };
        for (row, key) in keys.iter().enumerate() {
            if key.is_empty() {
                continue;
            }
            let Ok(row) = u32::try_from(row) else {
                break;
            };
            if let Err(first) = index.insert(keys, key, row) {
                on_duplicate(row, first);
            }
        }
        index
    }

    /// The slot to start probing at, and the tag, for `key`.
    fn start(&self, key: &str) -> (usize, u64) {
        let h = hash_key(key);
        let len = self.slots.len() as u128;
        (((u128::from(h) * len) >> 64) as usize, h << 32)
    }

    /// Adds `key` at `row`; `Err(first row)` if already present.
    fn insert(&mut self, keys: &[String], key: &str, row: u32) -> Result<(), u32> {
        let (mut i, tag) = self.start(key);
        // At most one pass: there are more slots than keys, so an empty one exists.
        for _ in 0..self.slots.len() {
            let Some(slot) = self.slots.get_mut(i) else {
                i = 0;
                continue;
            };
            if *slot == 0 {
                *slot = tag | (u64::from(row) + 1);
                return Ok(());
            }
            if let Some(first) = Self::matching(keys, *slot, tag, key) {
                return Err(first);
            }
            i += 1;
        }
        Ok(())
    }

    /// The first row with `key`.
    fn get(&self, keys: &[String], key: &str) -> Option<u32> {
        let (mut i, tag) = self.start(key);
        for _ in 0..self.slots.len() {
            let Some(&slot) = self.slots.get(i) else {
                i = 0;
                continue;
            };
            if slot == 0 {
                return None;
            }
            if let Some(row) = Self::matching(keys, slot, tag, key) {
                return Some(row);
            }
            i += 1;
        }
        None
    }

    /// The row in `slot` if it holds `key`.
    fn matching(keys: &[String], slot: u64, tag: u64, key: &str) -> Option<u32> {
        if slot & !0xFFFF_FFFF != tag {
            return None;
        }
        let row = u32::try_from(slot & 0xFFFF_FFFF).ok()?.checked_sub(1)?;
        keys.get(row as usize)
            .is_some_and(|k| k == key)
            .then_some(row)
    }
}

/// How a parent table's keys are found by its children's `<parent>_id` cells.
#[derive(Default)]
pub(crate) struct ParentKeys {
    /// No two rows share a non-empty key.
    unique: bool,
    /// Built when the keys are checked for duplicates, or on the first child whose
    /// parent is not found by looking next to the previous child's.
    index: Option<KeyIndex>,
}

impl ParentKeys {
    /// Checks `table`'s keys for duplicates (reported for an entity with a key field).
    /// Keys in strictly increasing order are unique: no index is built then.
    pub(crate) fn check(entity: &EntitySchema, table: &Table, errors: &mut DataErrors) -> Self {
        let mut previous: Option<&str> = None;
        let increasing = table.keys.iter().filter(|k| !k.is_empty()).all(|k| {
            let ok = previous.is_none_or(|p| p < k.as_str());
            previous = Some(k);
            ok
        });
        if increasing {
            return Self {
                unique: true,
                index: None,
            };
        }
        let key_field = entity.key.and_then(|k| entity.field(k));
        let mut unique = true;
        let index = KeyIndex::build(&table.keys, |row, first| {
            unique = false;
            let Some(key_field) = key_field else {
                return;
            };
            let key = table.keys.get(row as usize).map_or("", String::as_str);
            let line = table.lines.get(row as usize).copied().unwrap_or(0);
            let first_line = table.lines.get(first as usize).copied().unwrap_or(0);
            errors.push(
                DataError::new(
                    DataErrorKind::DuplicateKey,
                    &table.file,
                    format!("duplicate key `{}`", shown(key)),
                )
                .at_row(line)
                .in_column(key_field.name.clone())
                .with_value(key)
                .with_help(format!(
                    "line {first_line} has the same key; each `{}` needs its own `{}`",
                    entity.name, key_field.name
                )),
            );
        });
        Self {
            unique,
            index: Some(index),
        }
    }
}

/// The parent of a child file: its key column, entity, keys and key index.
pub(crate) struct Parent<'a> {
    pub col: &'a str,
    pub entity: &'a EntitySchema,
    pub keys: &'a [String],
    pub lookup: &'a mut ParentKeys,
    /// False when the parent file has no keys to link to (its key column is missing, or
    /// it could not be read), already reported: each row's link would only repeat it.
    pub linkable: bool,
}

impl Parent<'_> {
    /// The first parent row with `key`. `cursor` is the previous child's parent:
    /// children grouped in parent order (the common case) are linked without a lookup.
    pub(crate) fn find(&mut self, key: &str, cursor: &mut u32) -> Option<u32> {
        if self.lookup.unique {
            for candidate in [*cursor, cursor.wrapping_add(1)] {
                if self.keys.get(candidate as usize).is_some_and(|k| k == key) {
                    *cursor = candidate;
                    return Some(candidate);
                }
            }
        }
        let keys = self.keys;
        let row = self
            .lookup
            .index
            .get_or_insert_with(|| KeyIndex::build(keys, |_, _| {}))
            .get(keys, key)?;
        *cursor = row;
        Some(row)
    }
}

/// A record read as text, or (when not valid UTF-8) as bytes.
enum Record<'r> {
    Text(&'r csv::StringRecord),
    Bytes(&'r csv::ByteRecord),
}

impl<'r> Record<'r> {
    fn len(&self) -> usize {
        match self {
            Self::Text(r) => r.len(),
            Self::Bytes(r) => r.len(),
        }
    }

    fn position(&self) -> Option<&'r csv::Position> {
        match self {
            Self::Text(r) => r.position(),
            Self::Bytes(r) => r.position(),
        }
    }

    /// The 1-based line the record starts on.
    fn line(&self) -> u32 {
        self.position()
            .map_or(0, |p| u32::try_from(p.line()).unwrap_or(u32::MAX))
    }

    /// The byte offset of the record in the file.
    fn byte(&self) -> u64 {
        self.position().map_or(0, csv::Position::byte)
    }

    /// Cell `i`: its text, or its bytes if they are not UTF-8.
    fn get(&self, i: usize) -> Option<Result<&'r str, &'r [u8]>> {
        match self {
            Self::Text(r) => r.get(i).map(Ok),
            Self::Bytes(r) => r.get(i).map(|b| std::str::from_utf8(b).map_err(|_| b)),
        }
    }
}

/// Records passed from the reading thread to the parsing thread, in file order.
const CHUNK: usize = 1024;

/// Where a record's key comes from.
#[derive(Clone, Copy)]
enum KeySource {
    /// The key field's cell (column index in the file, if present), trimmed.
    Column(Option<usize>),
    /// The 1-based number of the record.
    RecordNumber,
}

/// A record as read: UTF-8 text, or bytes if any cell is not UTF-8.
enum RecordBuf {
    Text(csv::StringRecord),
    Bytes(csv::ByteRecord),
}

impl RecordBuf {
    fn as_record(&self) -> Record<'_> {
        match self {
            Self::Text(r) => Record::Text(r),
            Self::Bytes(r) => Record::Bytes(r),
        }
    }

    fn into_bytes(self) -> csv::ByteRecord {
        match self {
            Self::Text(r) => r.into_byte_record(),
            Self::Bytes(r) => r,
        }
    }
}

/// Up to [`CHUNK`] records with their keys, then the error that ended the chunk, if
/// any. Chunks go back to the reading thread to reuse their buffers.
#[derive(Default)]
struct Chunk {
    records: Vec<RecordBuf>,
    keys: Vec<String>,
    len: usize,
    error: Option<csv::Error>,
}

/// The reading thread: reads records, checks them as UTF-8 and makes their keys,
/// sending them on in chunks until the end of the file, an I/O error, or the parsing
/// side hanging up.
fn read_records(
    mut reader: csv::Reader<std::fs::File>,
    key_source: KeySource,
    chunks: &mpsc::SyncSender<Chunk>,
    recycled: &mpsc::Receiver<Chunk>,
) {
    let mut record_number = 0u64;
    loop {
        let mut chunk = recycled.try_recv().unwrap_or_default();
        chunk.len = 0;
        chunk.keys.clear();
        chunk.error = None;
        let mut done = false;
        while chunk.len < CHUNK {
            let mut record = match chunk.records.get_mut(chunk.len) {
                Some(slot) => {
                    std::mem::replace(slot, RecordBuf::Bytes(csv::ByteRecord::new())).into_bytes()
                }
                None => csv::ByteRecord::new(),
            };
            match reader.read_byte_record(&mut record) {
                Ok(true) => {}
                Ok(false) => {
                    done = true;
                    break;
                }
                Err(e) => {
                    done = matches!(e.kind(), csv::ErrorKind::Io(_));
                    chunk.error = Some(e);
                    break;
                }
            }
            record_number += 1;
            let record = match csv::StringRecord::from_byte_record(record) {
                Ok(r) => RecordBuf::Text(r),
                Err(e) => RecordBuf::Bytes(e.into_byte_record()),
            };
            let key = match key_source {
                KeySource::Column(c) => c
                    .and_then(|c| record.as_record().get(c))
                    .and_then(Result::ok)
                    .map(|k| trim(k).to_owned())
                    .unwrap_or_default(),
                KeySource::RecordNumber => number_key(record_number),
            };
            chunk.keys.push(key);
            match chunk.records.get_mut(chunk.len) {
                Some(slot) => *slot = record,
                None => chunk.records.push(record),
            }
            chunk.len += 1;
        }
        if chunks.send(chunk).is_err() || done {
            return;
        }
    }
}

/// A cell, trimmed (without scanning cells that need no trimming).
fn trim(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(a), Some(b)) if a.is_ascii_graphic() && b.is_ascii_graphic() => s,
        _ => s.trim(),
    }
}

fn line_of(record: &csv::ByteRecord) -> u32 {
    record
        .position()
        .map_or(0, |p| u32::try_from(p.line()).unwrap_or(u32::MAX))
}

/// The decimal text of `n`, as a key.
pub(crate) fn number_key(mut n: u64) -> String {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        if let Some(d) = buf.get_mut(i) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    buf.get(i..)
        .and_then(|digits| std::str::from_utf8(digits).ok())
        .map(str::to_owned)
        .unwrap_or_default()
}

pub(crate) fn io_error(path: &Path, e: &std::io::Error) -> DataError {
    DataError::new(
        DataErrorKind::Io,
        path,
        format!("cannot read the file: {e}"),
    )
    .with_help("check the path and the file's permissions")
}

/// Reads one CSV file into columns. A child file's rows are linked to `parent` as they
/// are read; rows without a known parent are kept but marked [`NO_PARENT`].
fn read_table(
    entity: &EntitySchema,
    path: &Path,
    parent: Option<Parent<'_>>,
    errors: &mut DataErrors,
) -> Table {
    let mut table = Table::new(path.to_path_buf(), entity);
    table.unlinked = parent.is_some();
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            errors.push(io_error(path, &e));
            return table;
        }
    };
    let file_len = file.metadata().map_or(0, |m| m.len());
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_reader(file);
    let parent_col = parent.as_ref().map(|p| p.col);
    let expected: Vec<&str> = parent_col
        .into_iter()
        .chain(entity.fields.iter().map(|f| f.name.as_str()))
        .collect();
    let expected_list = expected
        .iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", ");

    // Header.
    let mut header = csv::ByteRecord::new();
    match reader.read_byte_record(&mut header) {
        Ok(true) => {}
        Ok(false) => {
            errors.push(
                DataError::new(DataErrorKind::MalformedFile, path, "the file is empty").with_help(
                    format!("the first line must name the columns: {expected_list}"),
                ),
            );
            return table;
        }
        Err(e) => {
            errors.push(csv_error(path, &e));
            return table;
        }
    }
    let header_line = line_of(&header).max(1);
    let mut names: Vec<String> = Vec::with_capacity(header.len());
    for (i, cell) in header.iter().enumerate() {
        let cell = if i == 0 {
            cell.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(cell)
        } else {
            cell
        };
        match std::str::from_utf8(cell) {
            Ok(s) => names.push(s.trim().to_owned()),
            Err(_) => {
                errors.push(
                    DataError::new(
                        DataErrorKind::MalformedFile,
                        path,
                        "the header is not valid UTF-8",
                    )
                    .at_row(header_line)
                    .with_help("save the file as UTF-8 (Excel: CSV UTF-8)"),
                );
                return table;
            }
        }
    }
    let mut column_of: HashMap<&str, usize> = HashMap::new();
    for (i, name) in names.iter().enumerate() {
        if column_of.insert(name.as_str(), i).is_some() {
            errors.push(
                DataError::new(
                    DataErrorKind::MalformedFile,
                    path,
                    format!("column `{}` appears more than once", shown(name)),
                )
                .at_row(header_line)
                .in_column(name.clone())
                .with_help("keep one column per field"),
            );
        }
    }
    let missing: Vec<&str> = expected
        .iter()
        .copied()
        .filter(|c| !column_of.contains_key(c))
        .collect();
    for name in &names {
        if expected.contains(&name.as_str()) {
            continue;
        }
        let suggestion = missing
            .iter()
            // Jaro-Winkler is quadratic in the length; a far longer name is no near-miss.
            .filter(|m| name.len() <= 2 * m.len() + 8)
            .map(|m| (strsim::jaro_winkler(m, name), *m))
            .filter(|(s, _)| *s >= 0.8)
            .max_by(|a, b| a.0.total_cmp(&b.0));
        let help = match suggestion {
            Some((_, m)) => format!("did you mean `{m}`? expected columns: {expected_list}"),
            None => format!("expected columns: {expected_list}"),
        };
        errors.push(
            DataError::new(
                DataErrorKind::ExtraColumn,
                path,
                format!("`{}` has no field `{}`", entity.name, shown(name)),
            )
            .at_row(header_line)
            .in_column(name.clone())
            .with_value(name.clone())
            .with_help(help),
        );
    }
    if let Some(pc) = parent_col
        && !column_of.contains_key(pc)
    {
        errors.push(
            DataError::new(
                DataErrorKind::MissingColumn,
                path,
                format!("missing column `{pc}`"),
            )
            .at_row(header_line)
            .in_column(pc)
            .with_help(format!(
                "each row must name its parent by key in a `{pc}` column"
            )),
        );
    }
    let field_cols: Vec<Option<usize>> = entity
        .fields
        .iter()
        .map(|f| column_of.get(f.name.as_str()).copied())
        .collect();
    for (f, col) in entity.fields.iter().zip(&field_cols) {
        if col.is_none() && f.default.is_none() {
            errors.push(
                DataError::new(
                    DataErrorKind::MissingColumn,
                    path,
                    format!("missing column `{}`", f.name),
                )
                .at_row(header_line)
                .in_column(f.name.clone())
                .with_help(format!(
                    "add a column `{}` ({}, {})",
                    f.name,
                    f.ty.describe(),
                    f.label
                )),
            );
        }
    }
    let parent_idx = parent_col.and_then(|pc| column_of.get(pc).copied());
    table.unlinked = (parent_col.is_some() && parent_idx.is_none())
        || parent.as_ref().is_some_and(|p| !p.linkable);
    let key_field = entity.key.map(|k| k.0 as usize);
    let header_len = names.len();
    drop(column_of);

    // Rows: a second thread reads the records (and makes their keys) while this one
    // parses the cells. Unknown parents are reported after the file's other errors.
    let key_source = match key_field {
        Some(k) => KeySource::Column(field_cols.get(k).copied().flatten()),
        None => KeySource::RecordNumber,
    };
    let mut parent = parent;
    let mut unknown_parents = DataErrors::default();
    let mut cursor = 0u32;
    let mut record_number = 0u64;
    let mut stopped = false;
    std::thread::scope(|scope| {
        let (to_parser, chunks) = mpsc::sync_channel::<Chunk>(2);
        let (recycle, recycled) = mpsc::channel::<Chunk>();
        let reading = scope.spawn(move || read_records(reader, key_source, &to_parser, &recycled));
        for mut chunk in chunks.iter() {
            let Chunk {
                records,
                keys,
                len,
                error,
            } = &mut chunk;
            for (record, key) in records.iter().zip(keys.iter_mut()).take(*len) {
                let record = record.as_record();
                record_number += 1;
                let line = record.line();
                if record.len() != header_len {
                    errors.push(
                        DataError::new(
                            DataErrorKind::MalformedFile,
                            path,
                            format!(
                                "row has {} cells, the header has {header_len}",
                                record.len(),
                            ),
                        )
                        .at_row(line)
                        .with_help("quote values that contain commas, like \"a,b\""),
                    );
                    continue;
                }
                if table.len() >= (NO_PARENT - 1) as usize {
                    errors.push(DataError::new(
                        DataErrorKind::MalformedFile,
                        path,
                        format!("more than {} `{}` rows", NO_PARENT - 1, entity.name),
                    ));
                    stopped = true;
                    break;
                }
                if record_number == 1024 {
                    // Room for the whole file, estimated from its first rows.
                    let per_row = (record.byte() / record_number)
                        .max(header_len as u64)
                        .max(1);
                    let rows = usize::try_from(file_len / per_row + file_len / per_row / 50)
                        .unwrap_or(0)
                        .saturating_sub(table.len());
                    table.reserve(rows, parent.is_some());
                }
                let cell = |i: usize, errors: &mut DataErrors, column: &str| -> Option<&str> {
                    match record.get(i)? {
                        Ok(s) => Some(trim(s)),
                        Err(bytes) => {
                            errors.push(
                                DataError::new(
                                    DataErrorKind::MalformedFile,
                                    path,
                                    "the cell is not valid UTF-8",
                                )
                                .at_row(line)
                                .in_column(column)
                                .with_value(String::from_utf8_lossy(bytes).into_owned())
                                .with_help("save the file as UTF-8 (Excel: CSV UTF-8)"),
                            );
                            None
                        }
                    }
                };
                for ((f, col), column) in entity
                    .fields
                    .iter()
                    .zip(&field_cols)
                    .zip(&mut table.columns)
                {
                    let text = match col {
                        Some(c) => cell(*c, errors, &f.name),
                        None => None,
                    };
                    match text {
                        Some("") | None => {
                            let value = match &f.default {
                                Some(d) => d.clone(),
                                None => {
                                    if col.is_some() && text.is_some() {
                                        errors.push(
                                            DataError::new(
                                                DataErrorKind::MissingValue,
                                                path,
                                                "missing value",
                                            )
                                            .at_row(line)
                                            .in_column(f.name.clone())
                                            .with_value("")
                                            .with_help(format!(
                                                "fill in `{1}` ({2}), a value of type {0}",
                                                f.ty.describe(),
                                                f.name,
                                                f.label
                                            )),
                                        );
                                    }
                                    placeholder(&f.ty)
                                }
                            };
                            push_value(column, value, &f.ty);
                        }
                        Some(t) => {
                            if !parse_into(column, &f.ty, t) {
                                let value = match parse_cell(&f.ty, t) {
                                    Ok(v) => v,
                                    Err(e) => {
                                        errors.push(
                                            DataError::new(e.kind, path, e.message)
                                                .at_row(line)
                                                .in_column(f.name.clone())
                                                .with_value(t)
                                                .with_help(e.help),
                                        );
                                        placeholder(&f.ty)
                                    }
                                };
                                push_value(column, value, &f.ty);
                            }
                        }
                    }
                }
                if let Some(parent) = &mut parent {
                    let pk = match parent_idx {
                        Some(pi) => cell(pi, errors, parent.col).unwrap_or_default(),
                        None => "",
                    };
                    let row = if pk.is_empty() {
                        if parent_idx.is_some() {
                            errors.push(
                                DataError::new(DataErrorKind::MissingValue, path, "missing value")
                                    .at_row(line)
                                    .in_column(parent.col)
                                    .with_value("")
                                    .with_help(format!(
                                        "fill in the key of this row's parent in `{}`",
                                        parent.col
                                    )),
                            );
                        }
                        NO_PARENT
                    } else if let Some(row) = parent.find(pk, &mut cursor) {
                        row
                    } else if !parent.linkable {
                        NO_PARENT
                    } else {
                        unknown_parents.push(
                            DataError::new(
                                DataErrorKind::UnknownParent,
                                path,
                                format!("no `{}` has the key `{pk}`", parent.entity.name),
                            )
                            .at_row(line)
                            .in_column(parent.col)
                            .with_value(pk)
                            .with_help(format!(
                                "`{}` must be the key of a row in the `{}` file",
                                parent.col, parent.entity.name
                            )),
                        );
                        NO_PARENT
                    };
                    table.parents.push(row);
                }
                table.keys.push(std::mem::take(key));
                table.lines.push(line);
            }
            if stopped {
                break;
            }
            if let Some(e) = error.take() {
                errors.push(csv_error(path, &e));
            }
            // The reader may have finished: then the chunk is not needed.
            let _ = recycle.send(chunk);
        }
        // Dropping `chunks` stops the reader if this side stopped first.
        drop(chunks);
        if reading.join().is_err() {
            errors.push(io_error(
                path,
                &std::io::Error::other("the reading thread stopped"),
            ));
        }
    });
    for e in unknown_parents.errors {
        errors.push(e);
    }
    errors.omitted += unknown_parents.omitted;
    if parent.is_some() {
        // Rows without a parent are left out: their keys are no one's parent key, and
        // take no part in the duplicate check.
        for (key, p) in table.keys.iter_mut().zip(&table.parents) {
            if *p == NO_PARENT {
                *key = String::new();
            }
        }
    }
    table.shrink_to_fit();
    table
}

fn csv_error(path: &Path, e: &csv::Error) -> DataError {
    if let csv::ErrorKind::Io(io) = e.kind() {
        return io_error(path, io);
    }
    let mut err = DataError::new(
        DataErrorKind::MalformedFile,
        path,
        format!("invalid CSV: {e}"),
    )
    .with_help(
        "check quoting: a quoted value must end with `\"`, and `\"` inside it is written `\"\"`",
    );
    if let Some(line) = e
        .position()
        .map(|p| u32::try_from(p.line()).unwrap_or(u32::MAX))
    {
        err = err.at_row(line);
    }
    err
}
