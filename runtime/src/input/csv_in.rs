//! Reading CSV: one file for the root entity, one per relation.
//!
//! The root file has a header row naming fields (any order). A relation's file (e.g.
//! `members.csv`) has a `<parent>_id` column (e.g. `household_id`) holding the parent's
//! key, plus the child's fields. Children may come in any order. Every problem is
//! collected; nothing panics on any input.

use super::assemble::{RawRow, Table, assemble};
use super::cell::{parse_cell, placeholder};
use super::error::{DataError, DataErrorKind, DataErrors};
use crate::batch::Batch;
use crate::schema::{EntitySchema, Schema};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Reads a root CSV file and the CSV files of relations (`("members", path)`).
///
/// # Errors
/// Every data error found (the first [`super::MAX_ERRORS`] of them).
pub fn read_csv(
    schema: &Schema,
    root_path: &Path,
    child_paths: &[(String, PathBuf)],
) -> Result<Batch, DataErrors> {
    let mut errors = DataErrors::default();
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

    let mut tables: Vec<Option<Table>> = schema.entities.iter().map(|_| None).collect();
    for (id, parent) in order {
        let Some(entity) = schema.entity(id) else {
            continue;
        };
        let table = match parent {
            None => read_table(entity, root_path, None, &mut errors).0,
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
                let Some(path) = path else {
                    if rel.at_least > 0 {
                        errors.push(
                            DataError::new(
                                DataErrorKind::MissingFile,
                                root_path,
                                format!(
                                    "no file given for `{}` (each `{}` needs at least {})",
                                    rel.name, parent_entity.name, rel.at_least
                                ),
                            )
                            .with_help(format!(
                                "give a `{}` CSV file with a `{}_id` column and the `{}` fields",
                                rel.name, parent_entity.name, entity.name
                            )),
                        );
                    }
                    continue;
                };
                let parent_col = format!("{}_id", parent_entity.name);
                let (mut table, parent_keys) =
                    read_table(entity, path, Some(&parent_col), &mut errors);
                let parent_table = tables.get(p.0 as usize).and_then(Option::as_ref);
                link_parents(
                    &mut table,
                    &parent_keys,
                    parent_table,
                    parent_entity,
                    &parent_col,
                    &mut errors,
                );
                table
            }
        };
        if parent.is_none() || schema.entity(id).is_some_and(|e| !e.relations.is_empty()) {
            check_duplicates(entity, &table, &mut errors);
        }
        if let Some(slot) = tables.get_mut(id.0 as usize) {
            *slot = Some(table);
        }
    }
    let batch = assemble(schema, tables, &mut errors);
    if errors.is_empty() {
        Ok(batch)
    } else {
        Err(errors)
    }
}

/// Resolves each child row's parent key text to the parent's row index; drops (and
/// reports) rows whose parent is unknown.
fn link_parents(
    table: &mut Table,
    parent_keys: &[(String, u32)],
    parent_table: Option<&Table>,
    parent_entity: &EntitySchema,
    parent_col: &str,
    errors: &mut DataErrors,
) {
    let mut index: HashMap<&str, usize> = HashMap::new();
    if let Some(pt) = parent_table {
        for (i, row) in pt.rows.iter().enumerate() {
            index.entry(row.key.as_str()).or_insert(i);
        }
    }
    let rows = std::mem::take(&mut table.rows);
    for (row, (key, line)) in rows.into_iter().zip(parent_keys) {
        if key.is_empty() {
            continue; // already reported as a missing value
        }
        match index.get(key.as_str()) {
            Some(&i) => table.rows.push(RawRow { parent: i, ..row }),
            None => errors.push(
                DataError::new(
                    DataErrorKind::UnknownParent,
                    &table.file,
                    format!("no `{}` has the key `{key}`", parent_entity.name),
                )
                .at_row(*line)
                .in_column(parent_col)
                .with_value(key.clone())
                .with_help(format!(
                    "`{parent_col}` must be the key of a row in the `{}` file",
                    parent_entity.name
                )),
            ),
        }
    }
}

fn check_duplicates(entity: &EntitySchema, table: &Table, errors: &mut DataErrors) {
    let Some(key_field) = entity.key.and_then(|k| entity.field(k)) else {
        return;
    };
    let mut seen: HashMap<&str, u32> = HashMap::new();
    for row in &table.rows {
        if row.key.is_empty() {
            continue;
        }
        if let Some(first) = seen.get(row.key.as_str()) {
            errors.push(
                DataError::new(
                    DataErrorKind::DuplicateKey,
                    &table.file,
                    format!("duplicate key `{}`", row.key),
                )
                .at_row(row.line)
                .in_column(key_field.name.clone())
                .with_value(row.key.clone())
                .with_help(format!(
                    "line {first} has the same key; each `{}` needs its own `{}`",
                    entity.name, key_field.name
                )),
            );
        } else {
            seen.insert(&row.key, row.line);
        }
    }
}

fn line_of(record: &csv::ByteRecord) -> u32 {
    record
        .position()
        .map_or(0, |p| u32::try_from(p.line()).unwrap_or(u32::MAX))
}

/// Reads one CSV file. Returns the rows (parent index unset) and, for a child file,
/// each row's parent key text and line.
fn read_table(
    entity: &EntitySchema,
    path: &Path,
    parent_col: Option<&str>,
    errors: &mut DataErrors,
) -> (Table, Vec<(String, u32)>) {
    let mut table = Table {
        file: path.to_path_buf(),
        rows: Vec::new(),
        unlinked: parent_col.is_some(),
    };
    let mut parent_keys = Vec::new();
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            errors.push(
                DataError::new(
                    DataErrorKind::Io,
                    path,
                    format!("cannot read the file: {e}"),
                )
                .with_help("check the path and the file's permissions"),
            );
            return (table, parent_keys);
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes.as_slice());
    let mut records = reader.byte_records();
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
    let header = match records.next() {
        None => {
            errors.push(
                DataError::new(DataErrorKind::MalformedFile, path, "the file is empty").with_help(
                    format!("the first line must name the columns: {expected_list}"),
                ),
            );
            return (table, parent_keys);
        }
        Some(Err(e)) => {
            errors.push(csv_error(path, &e));
            return (table, parent_keys);
        }
        Some(Ok(h)) => h,
    };
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
                return (table, parent_keys);
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
                    format!("column `{name}` appears more than once"),
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
                format!("`{}` has no field `{name}`", entity.name),
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
    table.unlinked = parent_col.is_some() && parent_idx.is_none();
    let key_field = entity.key.map(|k| k.0 as usize);

    // Rows.
    let mut record_number = 0u64;
    for record in records {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(csv_error(path, &e));
                continue;
            }
        };
        record_number += 1;
        let line = line_of(&record);
        if record.len() != names.len() {
            errors.push(
                DataError::new(
                    DataErrorKind::MalformedFile,
                    path,
                    format!(
                        "row has {} cells, the header has {}",
                        record.len(),
                        names.len()
                    ),
                )
                .at_row(line)
                .with_help("quote values that contain commas, like \"a,b\""),
            );
            continue;
        }
        let cell = |i: usize, errors: &mut DataErrors, column: &str| -> Option<String> {
            let bytes = record.get(i)?;
            match std::str::from_utf8(bytes) {
                Ok(s) => Some(s.trim().to_owned()),
                Err(_) => {
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
        let mut values = Vec::with_capacity(entity.fields.len());
        let mut key = String::new();
        for (fi, (f, col)) in entity.fields.iter().zip(&field_cols).enumerate() {
            let text = match col {
                Some(c) => cell(*c, errors, &f.name),
                None => None,
            };
            let value = match text.as_deref() {
                Some("") | None => match &f.default {
                    Some(d) => d.clone(),
                    None => {
                        if col.is_some() && text.is_some() {
                            errors.push(
                                DataError::new(DataErrorKind::MissingValue, path, "missing value")
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
                },
                Some(t) => match parse_cell(&f.ty, t) {
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
                },
            };
            if key_field == Some(fi) {
                key = text.unwrap_or_default();
            }
            values.push(value);
        }
        if key_field.is_none() {
            key = record_number.to_string();
        }
        if let (Some(pc), Some(pi)) = (parent_col, parent_idx) {
            let pk = cell(pi, errors, pc).unwrap_or_default();
            if pk.is_empty() {
                errors.push(
                    DataError::new(DataErrorKind::MissingValue, path, "missing value")
                        .at_row(line)
                        .in_column(pc)
                        .with_value("")
                        .with_help(format!("fill in the key of this row's parent in `{pc}`")),
                );
            }
            parent_keys.push((pk, line));
        } else {
            parent_keys.push((String::new(), line));
        }
        table.rows.push(RawRow {
            values,
            key,
            line,
            parent: 0,
            path: None,
        });
    }
    (table, parent_keys)
}

fn csv_error(path: &Path, e: &csv::Error) -> DataError {
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
