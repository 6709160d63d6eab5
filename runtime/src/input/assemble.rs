//! Turning parsed tables (one per entity, already columnar) into a [`Batch`].
//!
//! Each table row carries the index of its parent row in the parent's table. Children
//! are stably grouped by their parent's final position with a counting sort, so they
//! end up grouped by parent in parent order, keeping their input order within a
//! parent; the columns are permuted once, and not at all when the input was already
//! grouped in parent order. Relations' CSR offsets and `at least` checks (of relations
//! and of number fields) are computed here.

use super::error::{DataError, DataErrorKind, DataErrors, shown};
use crate::batch::{Batch, Column, EntityRows, Offsets};
use crate::schema::{EntitySchema, Scalar, Schema};
use std::path::PathBuf;

/// The parent index of a row that is linked to no parent (unknown or missing parent
/// key); such rows are left out of the batch.
pub(crate) const NO_PARENT: u32 = u32::MAX;

/// The parsed rows of one entity, column by column, and the file they came from.
#[derive(Debug, Default)]
pub(crate) struct Table {
    pub file: PathBuf,
    /// One column per field, in field order, one value per row.
    pub columns: Vec<Column>,
    /// Each row's key (or record number).
    pub keys: Vec<String>,
    /// Each row's 1-based line in the input.
    pub lines: Vec<u32>,
    /// Each row's parent row index in the parent's table, or [`NO_PARENT`]. Ignored
    /// (and may be empty) for the root.
    pub parents: Vec<u32>,
    /// Each row's JSON path (JSON only; empty for CSV).
    pub paths: Vec<String>,
    /// The rows could not be linked to their parents (e.g. the parent-key column is
    /// missing, already reported); `at least` checks would only repeat that.
    pub unlinked: bool,
}

impl Table {
    /// An empty table with one empty column per field of `entity`.
    pub fn new(file: PathBuf, entity: &EntitySchema) -> Self {
        Self {
            file,
            columns: entity
                .fields
                .iter()
                .map(|f| Column::new_for(&f.ty))
                .collect(),
            ..Self::default()
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Room for `additional` more rows.
    pub fn reserve(&mut self, additional: usize, with_parents: bool) {
        for c in &mut self.columns {
            match c {
                Column::Int(v) => v.reserve(additional),
                Column::Bool(v) => v.reserve(additional),
                Column::Date(v) => v.reserve(additional),
                Column::Enum(v) => v.reserve(additional),
                Column::Text(v) => v.reserve(additional),
            }
        }
        self.keys.reserve(additional);
        self.lines.reserve(additional);
        if with_parents {
            self.parents.reserve(additional);
        }
    }

    /// Gives back the room reserved beyond the rows read.
    pub(crate) fn shrink_to_fit(&mut self) {
        for c in &mut self.columns {
            match c {
                Column::Int(v) => v.shrink_to_fit(),
                Column::Bool(v) => v.shrink_to_fit(),
                Column::Date(v) => v.shrink_to_fit(),
                Column::Enum(v) => v.shrink_to_fit(),
                Column::Text(v) => v.shrink_to_fit(),
            }
        }
        self.keys.shrink_to_fit();
        self.lines.shrink_to_fit();
        self.parents.shrink_to_fit();
    }

    /// Appends one row given as values in field order (the JSON reader's form).
    pub fn push_row(
        &mut self,
        values: Vec<Scalar>,
        key: String,
        line: u32,
        parent: u32,
        path: String,
    ) {
        for (col, value) in self.columns.iter_mut().zip(values) {
            col.push(value);
        }
        self.keys.push(key);
        self.lines.push(line);
        self.parents.push(parent);
        self.paths.push(path);
    }
}

/// Builds the batch; `tables` is indexed by entity id (`None`: no rows).
pub(crate) fn assemble(
    schema: &Schema,
    mut tables: Vec<Option<Table>>,
    errors: &mut DataErrors,
) -> Batch {
    let n = schema.entities.len();
    tables.resize_with(n, || None);
    for (entity, table) in schema.entities.iter().zip(&tables) {
        if let Some(table) = table {
            check_minimums(entity, table, errors);
            check_record_days(entity, table, errors);
        }
    }
    // orders[e]: the table rows kept, in final order; `None`: all rows, in input order.
    let mut orders: Vec<Option<Vec<u32>>> = vec![None; n];
    let mut offsets: Vec<Vec<Offsets>> = schema
        .entities
        .iter()
        .map(|e| e.relations.iter().map(|_| Offsets(vec![0])).collect())
        .collect();

    for (id, parent) in schema.tree_order() {
        let e = id.0 as usize;
        let Some(entity) = schema.entities.get(e) else {
            continue;
        };
        let Some((p, r)) = parent else {
            continue; // the root keeps every row, in input order
        };
        let pi = p.0 as usize;
        let table = tables.get(e).and_then(Option::as_ref);
        let parent_table = tables.get(pi).and_then(Option::as_ref);
        let parent_rows = parent_table.map_or(0, Table::len);
        // position[parent row] = its final position (NO_PARENT: left out).
        let position: Option<Vec<u32>> = orders.get(pi).and_then(Option::as_ref).map(|order| {
            let mut position = vec![NO_PARENT; parent_rows];
            for (pos, &row) in order.iter().enumerate() {
                if let Some(slot) = position.get_mut(row as usize) {
                    *slot = u32::try_from(pos).unwrap_or(NO_PARENT);
                }
            }
            position
        });
        let parent_len = orders
            .get(pi)
            .and_then(Option::as_ref)
            .map_or(parent_rows, Vec::len);
        let final_pos = |parent_row: u32| -> Option<usize> {
            let pos = match &position {
                Some(position) => *position.get(parent_row as usize)?,
                None => parent_row,
            };
            (pos != NO_PARENT && (pos as usize) < parent_len).then_some(pos as usize)
        };
        let parents: &[u32] = table.map_or(&[], |t| &t.parents[..]);

        // Counting sort by the parent's final position: counts, then offsets.
        let mut counts = vec![0u64; parent_len];
        let mut in_order = table.is_none_or(|t| t.len() == parents.len());
        let mut previous = 0usize;
        for &pr in parents {
            match final_pos(pr) {
                Some(pos) => {
                    if let Some(c) = counts.get_mut(pos) {
                        *c += 1;
                    }
                    in_order &= pos >= previous;
                    previous = pos;
                }
                None => in_order = false,
            }
        }
        let mut offs = Vec::with_capacity(parent_len + 1);
        let mut total = 0u64;
        offs.push(0u32);
        for c in &counts {
            total += c;
            let Ok(t) = u32::try_from(total) else {
                let file = table.map(|t| t.file.clone()).unwrap_or_default();
                errors.push(DataError::new(
                    DataErrorKind::MalformedFile,
                    &file,
                    format!("more than {} `{}` rows", u32::MAX, entity.name),
                ));
                return empty_batch(schema);
            };
            offs.push(t);
        }

        let parent_entity = &schema.entities[pi];
        // No table: its file is missing, which is reported once, not per parent.
        let unlinked = table.is_none_or(|t| t.unlinked);
        if let (Some(rel), Some(parent_table), false) =
            (parent_entity.relations.get(r), parent_table, unlinked)
        {
            let parent_order = orders.get(pi).and_then(Option::as_deref);
            for (pos, c) in counts.iter().enumerate() {
                if *c >= u64::from(rel.at_least) {
                    continue;
                }
                let row = match parent_order {
                    Some(order) => order.get(pos).map(|r| *r as usize),
                    None => Some(pos),
                };
                let Some((key, line)) = row.and_then(|row| {
                    Some((parent_table.keys.get(row)?, *parent_table.lines.get(row)?))
                }) else {
                    continue;
                };
                if parent_entity.key.is_some() && key.is_empty() {
                    continue; // its missing key is already reported
                }
                let mut err = DataError::new(
                    DataErrorKind::TooFewChildren,
                    &parent_table.file,
                    format!(
                        "`{}` `{}` has {c} `{}`, at least {} required",
                        parent_entity.name,
                        shown(key),
                        rel.name,
                        rel.at_least
                    ),
                )
                .at_row(line)
                .in_column(rel.name.clone())
                .with_value(c.to_string())
                .with_help(format!(
                    "add the missing `{}` rows for `{}`, or remove this `{}`",
                    entity.name,
                    shown(key),
                    parent_entity.name
                ));
                if let Some(path) = row.and_then(|row| parent_table.paths.get(row)) {
                    err = err.at_path(format!("{path}.{}", rel.name));
                }
                errors.push(err);
            }
        }

        // The child rows in final order (none needed when already in order).
        let order = if in_order {
            None
        } else {
            let mut next: Vec<u32> = offs.iter().take(parent_len).copied().collect();
            let mut order = vec![0u32; total as usize];
            for (row, &pr) in parents.iter().enumerate() {
                let Some(slot) = final_pos(pr).and_then(|pos| next.get_mut(pos)) else {
                    continue;
                };
                if let Some(o) = order.get_mut(*slot as usize) {
                    *o = u32::try_from(row).unwrap_or(NO_PARENT);
                }
                *slot += 1;
            }
            Some(order)
        };
        if let Some(slot) = offsets.get_mut(pi).and_then(|o| o.get_mut(r)) {
            *slot = Offsets(offs);
        }
        if let Some(slot) = orders.get_mut(e) {
            *slot = order;
        }
    }

    let mut entities = Vec::with_capacity(n);
    for (e, entity) in schema.entities.iter().enumerate() {
        let table = tables.get_mut(e).and_then(Option::take);
        let mut table = match table {
            Some(t) if t.columns.len() == entity.fields.len() => t,
            _ => Table::new(PathBuf::new(), entity),
        };
        let (columns, keys, source_rows) = match orders.get(e).and_then(Option::as_ref) {
            None => (table.columns, table.keys, table.lines),
            Some(order) => (
                table
                    .columns
                    .into_iter()
                    .map(|c| gather(c, order))
                    .collect(),
                order
                    .iter()
                    .map(|&i| {
                        table
                            .keys
                            .get_mut(i as usize)
                            .map(std::mem::take)
                            .unwrap_or_default()
                    })
                    .collect(),
                gather_copy(&table.lines, order),
            ),
        };
        entities.push(EntityRows {
            len: keys.len(),
            columns,
            keys,
            source_rows,
            children: std::mem::take(&mut offsets[e]),
        });
    }
    let mut batch = Batch {
        entities,
        root: schema.root,
    };
    crate::history::order_records(schema, &mut batch);
    batch
}

/// Reports every value below its field's `at least`, with its row, column and value
/// in the field's unit.
fn check_minimums(entity: &EntitySchema, table: &Table, errors: &mut DataErrors) {
    for (field, column) in entity.fields.iter().zip(&table.columns) {
        let (Some(min), Column::Int(values)) = (field.minimum, column) else {
            continue;
        };
        for (row, &v) in values.iter().enumerate() {
            if v >= min {
                continue;
            }
            let (value, bound) = (shown_number(&field.ty, v), shown_number(&field.ty, min));
            let mut err = DataError::new(
                DataErrorKind::BelowMinimum,
                &table.file,
                format!("`{}` is {value}, below its least value {bound}", field.name),
            )
            .in_column(field.name.clone())
            .with_value(value)
            .with_help(format!(
                "`{}` of `{}` is at least {bound} (counts and durations are never negative \
                 unless the policy says `at least` lower): correct the value",
                field.name, entity.name
            ));
            if let Some(line) = table.lines.get(row) {
                err = err.at_row(*line);
            }
            if let Some(path) = table.paths.get(row).filter(|p| !p.is_empty()) {
                err = err.at_path(format!("{path}.{}", field.name));
            }
            errors.push(err);
        }
    }
}

/// Reports each dated record whose last day is before its first, with its row.
fn check_record_days(entity: &EntitySchema, table: &Table, errors: &mut DataErrors) {
    let Some(dated) = entity.dated else { return };
    let column = |f: crate::schema::FieldId| match table.columns.get(f.0 as usize) {
        Some(Column::Date(v)) => v.as_slice(),
        _ => &[],
    };
    let (from, until) = (column(dated.from), column(dated.until));
    let name = |f: crate::schema::FieldId| entity.field(f).map_or("", |f| f.name.as_str());
    for (row, (&f, &u)) in from.iter().zip(until).enumerate() {
        if u == crate::date::NO_DATE || u >= f {
            continue;
        }
        let (first, last) = (crate::date::format_date(f), crate::date::format_date(u));
        let mut err = DataError::new(
            DataErrorKind::EndsBeforeStart,
            &table.file,
            format!(
                "this `{}` ends on {last} (`{}`), before it starts on {first} (`{}`)",
                entity.name,
                name(dated.until),
                name(dated.from)
            ),
        )
        .in_column(name(dated.until).to_owned())
        .with_value(last)
        .with_help(format!(
            "a record's last day is on or after its first day; leave `{}` empty for a record still open",
            name(dated.until)
        ));
        if let Some(line) = table.lines.get(row) {
            err = err.at_row(*line);
        }
        if let Some(path) = table.paths.get(row).filter(|p| !p.is_empty()) {
            err = err.at_path(format!("{path}.{}", name(dated.until)));
        }
        errors.push(err);
    }
}

/// A stored number as the data writes it, with its unit (`-5 元`, `-3 months`).
pub fn shown_number(ty: &crate::schema::ColumnType, v: i64) -> String {
    use crate::schema::ColumnType;
    let text = crate::decimal::format_scaled(v, ty.scale(), 0);
    match ty {
        ColumnType::Money => format!("{text} 元"),
        ColumnType::Rate => format!("{}%", crate::decimal::format_scaled(v, ty.scale() / 100, 0)),
        ColumnType::Months => format!("{text} months"),
        ColumnType::Years if v % 12 == 0 => format!("{} years", v / 12),
        ColumnType::Years => format!("{text} months"),
        ColumnType::Days => format!("{text} days"),
        _ => text,
    }
}

fn gather_copy<T: Copy + Default>(values: &[T], order: &[u32]) -> Vec<T> {
    order
        .iter()
        .map(|&i| values.get(i as usize).copied().unwrap_or_default())
        .collect()
}

/// The values of `column` at the rows of `order`, in that order.
fn gather(column: Column, order: &[u32]) -> Column {
    match column {
        Column::Int(v) => Column::Int(gather_copy(&v, order)),
        Column::Bool(v) => Column::Bool(gather_copy(&v, order)),
        Column::Date(v) => Column::Date(gather_copy(&v, order)),
        Column::Enum(v) => Column::Enum(gather_copy(&v, order)),
        Column::Text(mut v) => Column::Text(
            order
                .iter()
                .map(|&i| {
                    v.get_mut(i as usize)
                        .map(std::mem::take)
                        .unwrap_or_default()
                })
                .collect(),
        ),
    }
}

fn empty_batch(schema: &Schema) -> Batch {
    assemble(schema, Vec::new(), &mut DataErrors::default())
}
