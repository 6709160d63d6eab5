//! Streaming input: households read a batch at a time, each with its children, so
//! memory stays bounded whatever the number of households.
//!
//! This is the fast path for well-formed data laid out for streaming: root keys in
//! strictly increasing order — as text, or as numbers (shorter keys first, so `h9999999`
//! < `h10000000`) — which also proves them unique across batches, and every
//! child file grouped by parent in the root file's order (what `bylaw synth` and most
//! exports sorted by id write). A batch never splits a parent from its children.
//!
//! It produces no diagnostics. Whenever the data leaves that shape — a malformed
//! cell, a header that is not exactly the expected columns, keys out of order, a
//! child out of order or without a parent, too few children — it stops with a
//! [`Fallback`] saying why, and the caller reads the whole input with the in-memory
//! reader ([`super::read_csv`], [`super::read_parquet`]), which groups children in
//! memory and reports every problem with its location. So the diagnostics are the
//! same on both paths, and bad data never yields output.
//!
//! [`BatchStream::next_batch`] only splits and links rows (one thread);
//! [`RawBatch::decode`] parses their cells into a [`Batch`] and may run on any thread.

use super::arrow_cells::{accepts, append_array};
use super::cell::{parse_into, parse_plain_into};
use super::csv_in::number_key;
use super::foreign::guard;
use super::raw::{CsvRows, RawChunk};
use super::split::CsvSplitter;
use crate::batch::{Batch, Column, EntityRows, Offsets};
use crate::schema::{EntityId, EntitySchema, Schema};
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Why the streaming reader stopped; the input must be read whole instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fallback(pub String);

impl std::fmt::Display for Fallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A value below its field's `at least` is a data error, reported by the whole-file
/// readers with its row.
fn below_minimum(entity: &EntitySchema, rows: &EntityRows) -> Result<(), Fallback> {
    for (field, column) in entity.fields.iter().zip(&rows.columns) {
        if let (Some(min), Column::Int(values)) = (field.minimum, column)
            && values.iter().any(|v| *v < min)
        {
            return fallback(format!("a `{}` below its least value", field.name));
        }
    }
    Ok(())
}

fn fallback<T>(why: impl Into<String>) -> Result<T, Fallback> {
    Err(Fallback(why.into()))
}

/// A data file's format, chosen by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataFormat {
    Csv,
    Json,
    Parquet,
}

impl DataFormat {
    /// `.json` → JSON, `.parquet` / `.pq` → Parquet, anything else → CSV.
    #[must_use]
    pub fn of(path: &Path) -> DataFormat {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("json") => DataFormat::Json,
            Some(e) if e.eq_ignore_ascii_case("parquet") || e.eq_ignore_ascii_case("pq") => {
                DataFormat::Parquet
            }
            _ => DataFormat::Csv,
        }
    }
}

/// Rows of a child file are read this many at a time.
const CHILD_CHUNK: usize = 16_384;

/// Where each field, the key and the parent key are in one file.
#[derive(Debug, Clone)]
struct Layout {
    /// Per field of the entity: its column in the file (`None`: absent, has a default).
    fields: Vec<Option<usize>>,
    /// The key field's column (`None`: rows are keyed by record number).
    key: Option<usize>,
    /// The `<parent>_id` column of a child file.
    parent: Option<usize>,
}

impl Layout {
    /// Matches a file's column names against the entity; anything but exactly the
    /// expected columns (fields with defaults may be absent) falls back.
    fn new(
        names: &[String],
        entity: &EntitySchema,
        parent_col: Option<&str>,
        path: &Path,
    ) -> Result<Layout, Fallback> {
        let mut index: HashMap<&str, usize> = HashMap::new();
        for (i, n) in names.iter().enumerate() {
            if index.insert(n.as_str(), i).is_some() {
                return fallback(format!("`{}` repeats column `{n}`", path.display()));
            }
        }
        let expected = entity.fields.len() + usize::from(parent_col.is_some());
        let mut found = 0;
        let mut fields = Vec::with_capacity(entity.fields.len());
        for f in &entity.fields {
            let col = index.get(f.name.as_str()).copied();
            if col.is_none() && f.default.is_none() {
                return fallback(format!("`{}` has no column `{}`", path.display(), f.name));
            }
            found += usize::from(col.is_some());
            fields.push(col);
        }
        let parent = match parent_col {
            Some(pc) => match index.get(pc) {
                Some(&i) => Some(i),
                None => return fallback(format!("`{}` has no column `{pc}`", path.display())),
            },
            None => None,
        };
        found += usize::from(parent.is_some());
        if found != names.len() || found > expected {
            return fallback(format!(
                "`{}` has columns that are no field",
                path.display()
            ));
        }
        let key = entity
            .key
            .and_then(|k| fields.get(k.0 as usize).copied().flatten());
        Ok(Layout {
            fields,
            key,
            parent,
        })
    }
}

/// One open data file.
enum Source {
    Csv {
        split: CsvSplitter,
        width: usize,
        next_record: u64,
    },
    Parquet {
        reader: ParquetRecordBatchReader,
        next_record: u64,
    },
}

impl Source {
    fn open(
        format: DataFormat,
        path: &Path,
        entity: &EntitySchema,
        parent_col: Option<&str>,
        rows_per_read: usize,
    ) -> Result<(Source, Layout), Fallback> {
        let cannot = |e: &dyn std::fmt::Display| Fallback(format!("`{}`: {e}", path.display()));
        match format {
            DataFormat::Csv => {
                let mut split = CsvSplitter::open(path).map_err(Fallback)?;
                let Some(header) = split.header().map_err(Fallback)? else {
                    return fallback(format!("`{}` is empty", path.display()));
                };
                let mut names = Vec::with_capacity(header.len());
                for (i, cell) in header.iter().enumerate() {
                    let cell = if i == 0 {
                        cell.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(cell)
                    } else {
                        cell
                    };
                    let Ok(name) = std::str::from_utf8(cell) else {
                        return fallback(format!("`{}`: header not UTF-8", path.display()));
                    };
                    names.push(name.trim().to_owned());
                }
                let layout = Layout::new(&names, entity, parent_col, path)?;
                Ok((
                    Source::Csv {
                        split,
                        width: names.len(),
                        next_record: 1,
                    },
                    layout,
                ))
            }
            DataFormat::Parquet => {
                let file = std::fs::File::open(path).map_err(|e| cannot(&e))?;
                let builder = guard(|| ParquetRecordBatchReaderBuilder::try_new(file))
                    .map_err(|panic| cannot(&panic))?
                    .map_err(|e| cannot(&e))?
                    .with_batch_size(rows_per_read.max(1));
                let schema = builder.schema().clone();
                let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
                let layout = Layout::new(&names, entity, parent_col, path)?;
                for (f, col) in entity.fields.iter().zip(&layout.fields) {
                    if let Some(field) = col.and_then(|c| schema.fields().get(c))
                        && !accepts(&f.ty, field.data_type())
                    {
                        return fallback(format!(
                            "`{}`: column `{}` has type {}",
                            path.display(),
                            f.name,
                            field.data_type()
                        ));
                    }
                }
                let reader = guard(|| builder.build())
                    .map_err(|panic| cannot(&panic))?
                    .map_err(|e| cannot(&e))?;
                Ok((
                    Source::Parquet {
                        reader,
                        next_record: 1,
                    },
                    layout,
                ))
            }
            DataFormat::Json => fallback("JSON is read whole"),
        }
    }

    /// Up to `max_rows` more rows (Parquet: one record batch), or `None` at the end.
    fn next_chunk(&mut self, max_rows: usize, path: &Path) -> Result<Option<RawChunk>, Fallback> {
        match self {
            Source::Csv {
                split,
                width,
                next_record,
            } => {
                let mut rows = CsvRows {
                    width: *width,
                    first_record: *next_record,
                    ..CsvRows::default()
                };
                split.read_rows(&mut rows, max_rows).map_err(Fallback)?;
                *next_record += rows.len() as u64;
                Ok((rows.len() > 0).then_some(RawChunk::Csv(rows)))
            }
            Source::Parquet {
                reader,
                next_record,
            } => match guard(|| reader.next()) {
                Err(panic) => fallback(format!("`{}`: {panic}", path.display())),
                Ok(None) => Ok(None),
                Ok(Some(Err(e))) => fallback(format!("`{}`: {e}", path.display())),
                Ok(Some(Ok(batch))) => {
                    let first_record = *next_record;
                    *next_record += batch.num_rows() as u64;
                    Ok(Some(RawChunk::Arrow {
                        batch,
                        first_record,
                    }))
                }
            },
        }
    }
}

/// A child file of the root, read in step with it.
struct ChildFile {
    relation: usize,
    entity: EntityId,
    at_least: u32,
    path: PathBuf,
    /// `None`: no file (a relation that needs no children).
    source: Option<Source>,
    layout: Arc<Layout>,
    /// Rows read that belong to later batches.
    carry: Option<RawChunk>,
}

/// The root file and its children, read a batch at a time.
pub struct BatchStream {
    schema: Schema,
    path: PathBuf,
    root: Source,
    layout: Arc<Layout>,
    children: Vec<ChildFile>,
    batch_rows: usize,
    last_key: Option<String>,
    /// The keys so far increase as text (`h09` < `h10`)…
    text_order: bool,
    /// …or as numbers written without leading zeros: shorter first (`h9` < `h10`).
    number_order: bool,
}

/// A strict total order on keys. Keys increasing in either one are unique; a file's
/// keys must increase in the same one throughout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyOrder {
    Text,
    Number,
}

impl KeyOrder {
    fn less(self, a: &str, b: &str) -> bool {
        match self {
            KeyOrder::Text => a < b,
            KeyOrder::Number => (a.len(), a) < (b.len(), b),
        }
    }
}

/// One batch of root rows with all their children, read but not yet decoded.
pub struct RawBatch {
    root: RawChunk,
    root_layout: Arc<Layout>,
    root_entity: EntityId,
    children: Vec<RawChildren>,
}

/// The children of a batch through one relation: their rows (possibly from several
/// reads) and CSR offsets.
struct RawChildren {
    relation: usize,
    entity: EntityId,
    layout: Arc<Layout>,
    pieces: Vec<RawChunk>,
    offsets: Vec<u32>,
}

impl BatchStream {
    /// Opens the root file and the relations' files (`("members", path)`), checking
    /// their columns. A schema with relations below the first level, or files that do
    /// not match the schema exactly, fall back.
    ///
    /// # Errors
    /// [`Fallback`] when the input must be read whole.
    pub fn open(
        schema: &Schema,
        format: DataFormat,
        root_path: &Path,
        child_paths: &[(String, PathBuf)],
        batch_rows: usize,
    ) -> Result<BatchStream, Fallback> {
        let batch_rows = batch_rows.max(1);
        let Some(root_entity) = schema.root_entity() else {
            return fallback("the schema has no root");
        };
        for (name, _) in child_paths {
            if root_entity.relation(name).is_none() {
                return fallback(format!("no relation `{name}` of the root"));
            }
        }
        let (root, layout) = Source::open(format, root_path, root_entity, None, batch_rows)?;
        if root_entity.key.is_some() && layout.key.is_none() {
            return fallback("the key column is absent");
        }
        let mut children = Vec::new();
        for (r, rel) in root_entity.relations.iter().enumerate() {
            let Some(child) = schema.entity(rel.child) else {
                return fallback("a relation names no entity");
            };
            if !child.relations.is_empty() || rel.child == schema.root {
                return fallback("relations nested below the first level are read whole");
            }
            let path = child_paths
                .iter()
                .find(|(n, _)| *n == rel.name)
                .map(|(_, p)| p);
            let parent_col = format!("{}_id", root_entity.name);
            let (source, child_layout) = match path {
                Some(p) => {
                    let (s, l) = Source::open(format, p, child, Some(&parent_col), CHILD_CHUNK)?;
                    (Some(s), l)
                }
                None if rel.at_least == 0 => (
                    None,
                    Layout {
                        fields: vec![None; child.fields.len()],
                        key: None,
                        parent: None,
                    },
                ),
                None => return fallback(format!("no file for `{}`", rel.name)),
            };
            children.push(ChildFile {
                relation: r,
                entity: rel.child,
                at_least: rel.at_least,
                path: path.cloned().unwrap_or_default(),
                source,
                layout: Arc::new(child_layout),
                carry: None,
            });
        }
        Ok(BatchStream {
            schema: schema.clone(),
            path: root_path.to_path_buf(),
            root,
            layout: Arc::new(layout),
            children,
            batch_rows,
            last_key: None,
            text_order: true,
            number_order: true,
        })
    }

    /// The next batch: up to `batch_rows` root rows and every child row that belongs
    /// to them. `None` at the end of the input.
    ///
    /// # Errors
    /// [`Fallback`] when the input must be read whole.
    pub fn next_batch(&mut self) -> Result<Option<RawBatch>, Fallback> {
        let Some(root) = self.root.next_chunk(self.batch_rows, &self.path)? else {
            for child in &mut self.children {
                let more = match (&child.carry, &mut child.source) {
                    (Some(_), _) => true,
                    (None, Some(s)) => s.next_chunk(1, &child.path)?.is_some(),
                    (None, None) => false,
                };
                if more {
                    return fallback(format!(
                        "`{}` has rows after the last household's",
                        child.path.display()
                    ));
                }
            }
            return Ok(None);
        };
        let n = root.len();
        // Keys: strictly increasing, so unique across batches without keeping them.
        let mut keys: Vec<&str> = Vec::with_capacity(n);
        if let Some(k) = self.layout.key {
            for row in 0..n {
                let Some(key) = root.text(row, k).filter(|t| !t.is_empty()) else {
                    return fallback("a missing or unreadable key");
                };
                if let Some(p) = keys.last().copied().or(self.last_key.as_deref()) {
                    self.text_order &= p < key;
                    self.number_order &= KeyOrder::Number.less(p, key);
                    if !self.text_order && !self.number_order {
                        return fallback(format!(
                            "household keys are not in increasing order (`{key}` after `{p}`)"
                        ));
                    }
                }
                keys.push(key);
            }
        }
        let keyed = self.layout.key.is_some();
        let mut children = Vec::with_capacity(self.children.len());
        for child in &mut self.children {
            let orders: Vec<KeyOrder> = [
                (self.text_order, KeyOrder::Text),
                (self.number_order, KeyOrder::Number),
            ]
            .into_iter()
            .filter_map(|(valid, o)| valid.then_some(o))
            .collect();
            let raw = link_children(child, &keys, keyed, n, &orders)?;
            children.push(raw);
        }
        self.last_key = keys.last().map(|k| (*k).to_owned());
        Ok(Some(RawBatch {
            root,
            root_layout: self.layout.clone(),
            root_entity: self.schema.root,
            children,
        }))
    }
}

/// Reads the children of a batch whose root keys are `keys` (in order), stopping at
/// the first child of a later root row. `orders` are the orders the keys increase in
/// so far, used only to tell a later batch's child from a misplaced one (a child
/// carried to a later batch must still match one of its keys exactly).
fn link_children(
    child: &mut ChildFile,
    keys: &[&str],
    keyed: bool,
    n: usize,
    orders: &[KeyOrder],
) -> Result<RawChildren, Fallback> {
    let mut counts = vec![0u32; n];
    let mut pieces = Vec::new();
    let Some(parent_col) = child.layout.parent else {
        return finish(child, pieces, &counts);
    };
    if !keyed {
        return fallback("children of a root without a key are read whole");
    }
    let mut position: Option<HashMap<&str, u32>> = None;
    let mut cursor = 0usize;
    let Some(last) = keys.last().copied() else {
        return finish(child, pieces, &counts);
    };
    loop {
        let chunk = match child.carry.take() {
            Some(c) => Some(c),
            None => match &mut child.source {
                Some(s) => s.next_chunk(CHILD_CHUNK, &child.path)?,
                None => None,
            },
        };
        let Some(mut chunk) = chunk else { break };
        let mut split = None;
        for row in 0..chunk.len() {
            // Nearly every child belongs to the previous child's household or the
            // next one. Their keys are trimmed, non-empty text, so a parent key cell
            // with exactly a key's bytes is that key: no UTF-8 check or trim needed.
            let raw = chunk.raw(row, parent_col);
            let same = |i: usize| keys.get(i).is_some_and(|k| Some(k.as_bytes()) == raw);
            let next = if same(cursor) {
                Some(cursor)
            } else if same(cursor + 1) {
                Some(cursor + 1)
            } else {
                None
            };
            if let Some(pos) = next {
                if let Some(c) = counts.get_mut(pos) {
                    *c += 1;
                }
                cursor = pos;
                continue;
            }
            let Some(pk) = chunk.text(row, parent_col).filter(|t| !t.is_empty()) else {
                return fallback("a child without a parent key");
            };
            let at = |i: usize| keys.get(i).is_some_and(|k| *k == pk);
            let pos = if at(cursor) {
                cursor
            } else if at(cursor + 1) {
                cursor + 1
            } else if orders.iter().any(|o| o.less(last, pk)) {
                split = Some(row); // a later batch's
                break;
            } else {
                let index = position.get_or_insert_with(|| {
                    keys.iter()
                        .enumerate()
                        .map(|(i, k)| (*k, i as u32))
                        .collect()
                });
                match index.get(pk) {
                    Some(&p) if p as usize > cursor => p as usize,
                    _ => {
                        return fallback(format!(
                            "`{}` is not grouped by household in household order",
                            child.path.display()
                        ));
                    }
                }
            };
            if let Some(c) = counts.get_mut(pos) {
                *c += 1;
            }
            cursor = pos;
        }
        if let Some(at) = split {
            let tail = chunk.split_off(at);
            child.carry = Some(tail);
            if chunk.len() > 0 {
                pieces.push(chunk);
            }
            break;
        }
        pieces.push(chunk);
    }
    finish(child, pieces, &counts)
}

fn finish(
    child: &ChildFile,
    pieces: Vec<RawChunk>,
    counts: &[u32],
) -> Result<RawChildren, Fallback> {
    let mut offsets = Vec::with_capacity(counts.len() + 1);
    let mut total = 0u32;
    offsets.push(0);
    for &c in counts {
        if c < child.at_least {
            return fallback("a household with too few children");
        }
        total += c;
        offsets.push(total);
    }
    Ok(RawChildren {
        relation: child.relation,
        entity: child.entity,
        layout: child.layout.clone(),
        pieces,
        offsets,
    })
}

impl RawBatch {
    /// Number of root rows.
    #[must_use]
    pub fn len(&self) -> usize {
        self.root.len()
    }

    /// Whether the batch has no root rows.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Parses every cell into a [`Batch`] of `schema` (the schema the stream was
    /// opened with).
    ///
    /// # Errors
    /// [`Fallback`] on any cell that is not a well-formed value.
    pub fn decode(&self, schema: &Schema) -> Result<Batch, Fallback> {
        let mut entities: Vec<EntityRows> = schema
            .entities
            .iter()
            .map(|e| EntityRows {
                columns: e.fields.iter().map(|f| Column::new_for(&f.ty)).collect(),
                children: e.relations.iter().map(|_| Offsets(vec![0])).collect(),
                ..EntityRows::default()
            })
            .collect();
        let Some(root_schema) = schema.entity(self.root_entity) else {
            return fallback("the schema has no root");
        };
        let mut root_rows = decode_rows(&[&self.root], root_schema, &self.root_layout)?;
        below_minimum(root_schema, &root_rows)?;
        root_rows.children = root_schema
            .relations
            .iter()
            .map(|_| Offsets(vec![0; self.len() + 1]))
            .collect();
        for c in &self.children {
            let Some(entity) = schema.entity(c.entity) else {
                return fallback("a relation names no entity");
            };
            let pieces: Vec<&RawChunk> = c.pieces.iter().collect();
            let rows = decode_rows(&pieces, entity, &c.layout)?;
            below_minimum(entity, &rows)?;
            if let Some(slot) = root_rows.children.get_mut(c.relation) {
                *slot = Offsets(c.offsets.clone());
            }
            if let Some(slot) = entities.get_mut(c.entity.0 as usize) {
                *slot = rows;
            }
        }
        if let Some(slot) = entities.get_mut(self.root_entity.0 as usize) {
            *slot = root_rows;
        }
        let mut batch = Batch {
            entities,
            root: self.root_entity,
        };
        crate::history::order_records(schema, &mut batch);
        if crate::history::find_disorder(schema, &batch).is_some() {
            return fallback("a dated record that ends before it starts");
        }
        Ok(batch)
    }
}

/// Decodes the rows of `pieces` (one file's, in order) for `entity`.
fn decode_rows(
    pieces: &[&RawChunk],
    entity: &EntitySchema,
    layout: &Layout,
) -> Result<EntityRows, Fallback> {
    let len: usize = pieces.iter().map(|p| p.len()).sum();
    let mut rows = EntityRows {
        len,
        columns: entity
            .fields
            .iter()
            .map(|f| Column::new_for(&f.ty))
            .collect(),
        keys: Vec::with_capacity(len),
        source_rows: Vec::with_capacity(len),
        children: entity.relations.iter().map(|_| Offsets(vec![0])).collect(),
    };
    for c in &mut rows.columns {
        reserve(c, len);
    }
    let bad = |why: &str| Fallback(format!("{why} in `{}`", entity.name));
    for piece in pieces {
        match piece {
            RawChunk::Csv(csv) => {
                for ((f, col), column) in entity
                    .fields
                    .iter()
                    .zip(&layout.fields)
                    .zip(&mut rows.columns)
                {
                    match col {
                        None => {
                            let Some(d) = &f.default else {
                                return Err(bad("a missing column"));
                            };
                            for _ in 0..csv.len() {
                                column.push(d.clone());
                            }
                        }
                        Some(c) => {
                            for row in 0..csv.len() {
                                let bytes = csv.field(row, *c);
                                if bytes.is_some_and(|b| parse_plain_into(column, &f.ty, b)) {
                                    continue;
                                }
                                let Some(text) = bytes.and_then(|b| std::str::from_utf8(b).ok())
                                else {
                                    return Err(bad("a cell that is not UTF-8"));
                                };
                                let text = text.trim();
                                let ok = if text.is_empty() {
                                    f.default.clone().is_some_and(|d| column.push(d))
                                } else {
                                    parse_into(column, &f.ty, text)
                                };
                                if !ok {
                                    return Err(bad("a malformed value"));
                                }
                            }
                        }
                    }
                }
                for row in 0..csv.len() {
                    let key = match layout.key {
                        Some(k) => csv
                            .field(row, k)
                            .and_then(|b| std::str::from_utf8(b).ok())
                            .map(|t| t.trim().to_owned())
                            .unwrap_or_default(),
                        None => number_key(csv.first_record + row as u64),
                    };
                    rows.keys.push(key);
                }
                rows.source_rows.extend_from_slice(&csv.lines);
            }
            RawChunk::Arrow {
                batch,
                first_record,
            } => {
                let mut failed = false;
                for ((f, col), column) in entity
                    .fields
                    .iter()
                    .zip(&layout.fields)
                    .zip(&mut rows.columns)
                {
                    match col.and_then(|c| batch.columns().get(c)) {
                        Some(array) => {
                            append_array(array.as_ref(), f, column, &mut |_| failed = true)
                        }
                        None => {
                            let Some(d) = &f.default else {
                                return Err(bad("a missing column"));
                            };
                            for _ in 0..batch.num_rows() {
                                column.push(d.clone());
                            }
                        }
                    }
                }
                if failed {
                    return Err(bad("a malformed or missing value"));
                }
                for row in 0..batch.num_rows() {
                    let key = match layout.key {
                        Some(k) => piece.text(row, k).unwrap_or_default().to_owned(),
                        None => number_key(first_record + row as u64),
                    };
                    rows.keys.push(key);
                    rows.source_rows
                        .push(u32::try_from(first_record + row as u64).unwrap_or(u32::MAX));
                }
            }
        }
    }
    if rows.columns.iter().any(|c| c.len() != len) {
        return Err(bad("a column of the wrong length"));
    }
    Ok(rows)
}

fn reserve(column: &mut Column, n: usize) {
    match column {
        Column::Int(v) => v.reserve(n),
        Column::Bool(v) => v.reserve(n),
        Column::Date(v) => v.reserve(n),
        Column::Enum(v) => v.reserve(n),
        Column::Text(v) => v.reserve(n),
    }
}
