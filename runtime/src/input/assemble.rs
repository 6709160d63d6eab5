//! Turning parsed rows (one table per entity) into a [`Batch`].
//!
//! Rows carry the index of their parent row in the parent's table. Children are
//! stably grouped by their parent's final position, so they end up grouped by parent
//! in parent order, keeping their input order within a parent. Relations' CSR offsets
//! and `at least` checks are computed here.

use super::error::{DataError, DataErrorKind, DataErrors};
use crate::batch::{Batch, Column, EntityRows, Offsets};
use crate::schema::{Scalar, Schema};
use std::path::PathBuf;

/// One parsed input row.
#[derive(Debug)]
pub(crate) struct RawRow {
    /// One value per field, in field order.
    pub values: Vec<Scalar>,
    /// The key (or record number).
    pub key: String,
    /// 1-based line in the input.
    pub line: u32,
    /// Index of the parent row in the parent's table (0 for the root).
    pub parent: usize,
    /// JSON path of the row's object, if read from JSON.
    pub path: Option<String>,
}

/// The parsed rows of one entity, and the file they came from.
#[derive(Debug, Default)]
pub(crate) struct Table {
    pub file: PathBuf,
    pub rows: Vec<RawRow>,
    /// The rows could not be linked to their parents (e.g. the parent-key column is
    /// missing, already reported); `at least` checks would only repeat that.
    pub unlinked: bool,
}

/// Builds the batch; `tables` is indexed by entity id (`None`: no rows).
pub(crate) fn assemble(
    schema: &Schema,
    mut tables: Vec<Option<Table>>,
    errors: &mut DataErrors,
) -> Batch {
    let n = schema.entities.len();
    tables.resize_with(n, || None);
    // final_order[e][pos] = index in table; position[e][index] = final pos.
    let mut final_order: Vec<Vec<usize>> = vec![Vec::new(); n];
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
        let rows = tables
            .get(e)
            .and_then(Option::as_ref)
            .map_or(&[][..], |t| &t.rows[..]);
        let Some((p, r)) = parent else {
            final_order[e] = (0..rows.len()).collect();
            continue;
        };
        let pi = p.0 as usize;
        let parent_len = final_order[pi].len();
        let mut position = vec![
            usize::MAX;
            tables
                .get(pi)
                .and_then(Option::as_ref)
                .map_or(0, |t| t.rows.len())
        ];
        for (pos, &idx) in final_order[pi].iter().enumerate() {
            if let Some(slot) = position.get_mut(idx) {
                *slot = pos;
            }
        }
        let mut order: Vec<(usize, usize)> = rows
            .iter()
            .enumerate()
            .filter_map(|(i, row)| {
                position
                    .get(row.parent)
                    .filter(|p| **p != usize::MAX)
                    .map(|p| (*p, i))
            })
            .collect();
        order.sort_by_key(|(pos, _)| *pos);
        let mut counts = vec![0usize; parent_len];
        for (pos, _) in &order {
            counts[*pos] += 1;
        }
        let mut offs = Vec::with_capacity(parent_len + 1);
        let mut total = 0usize;
        offs.push(0u32);
        for c in &counts {
            total += c;
            let Ok(t) = u32::try_from(total) else {
                let file = tables
                    .get(e)
                    .and_then(Option::as_ref)
                    .map(|t| t.file.clone())
                    .unwrap_or_default();
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
        let unlinked = tables
            .get(e)
            .and_then(Option::as_ref)
            .is_some_and(|t| t.unlinked);
        if let (Some(rel), Some(parent_table), false) = (
            parent_entity.relations.get(r),
            tables.get(pi).and_then(Option::as_ref),
            unlinked,
        ) {
            for (pos, c) in counts.iter().enumerate() {
                if (*c as u64) >= u64::from(rel.at_least) {
                    continue;
                }
                let Some(prow) = final_order[pi]
                    .get(pos)
                    .and_then(|i| parent_table.rows.get(*i))
                else {
                    continue;
                };
                if parent_entity.key.is_some() && prow.key.is_empty() {
                    continue; // its missing key is already reported
                }
                let mut err = DataError::new(
                    DataErrorKind::TooFewChildren,
                    &parent_table.file,
                    format!(
                        "`{}` `{}` has {c} `{}`, at least {} required",
                        parent_entity.name, prow.key, rel.name, rel.at_least
                    ),
                )
                .at_row(prow.line)
                .in_column(rel.name.clone())
                .with_value(c.to_string())
                .with_help(format!(
                    "add the missing `{}` rows for `{}`, or remove this `{}`",
                    entity.name, prow.key, parent_entity.name
                ));
                if let Some(path) = &prow.path {
                    err = err.at_path(format!("{path}.{}", rel.name));
                }
                errors.push(err);
            }
        }
        if let Some(slot) = offsets.get_mut(pi).and_then(|o| o.get_mut(r)) {
            *slot = Offsets(offs);
        }
        final_order[e] = order.into_iter().map(|(_, i)| i).collect();
    }

    let mut entities = Vec::with_capacity(n);
    for (e, entity) in schema.entities.iter().enumerate() {
        let mut table = tables.get_mut(e).and_then(Option::take).unwrap_or_default();
        let mut columns: Vec<Column> = entity
            .fields
            .iter()
            .map(|f| Column::new_for(&f.ty))
            .collect();
        let order = &final_order[e];
        let mut keys = Vec::with_capacity(order.len());
        let mut source_rows = Vec::with_capacity(order.len());
        for &i in order {
            let Some(row) = table.rows.get_mut(i) else {
                continue;
            };
            for (col, value) in columns.iter_mut().zip(std::mem::take(&mut row.values)) {
                col.push(value);
            }
            keys.push(std::mem::take(&mut row.key));
            source_rows.push(row.line);
        }
        entities.push(EntityRows {
            len: keys.len(),
            columns,
            keys,
            source_rows,
            children: std::mem::take(&mut offsets[e]),
        });
    }
    Batch {
        entities,
        root: schema.root,
    }
}

fn empty_batch(schema: &Schema) -> Batch {
    assemble(schema, Vec::new(), &mut DataErrors::default())
}
