//! Reading Parquet whole: one file for the root entity, one per relation (with a
//! `<parent>_id` column), like CSV. Columns are found by name; their Arrow types are
//! converted by [`super::arrow_cells`]. Every problem is reported with the file, the
//! record's 1-based number as its row, the column and a hint.

use super::arrow_cells::{ArrowProblem, accepts, append_array, wrong_type};
use super::assemble::{NO_PARENT, Table};
use super::csv_in::{Parent, io_error, number_key, read_tables};
use super::error::{DataError, DataErrorKind, DataErrors, shown};
use super::foreign::guard;
use super::raw::RawChunk;
use crate::batch::Batch;
use crate::schema::{EntitySchema, Schema};
use arrow_array::RecordBatch;
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Reads a root Parquet file and the Parquet files of relations (`("members", path)`).
///
/// # Errors
/// Every data error found (the first [`super::MAX_ERRORS`] of them).
pub fn read_parquet(
    schema: &Schema,
    root_path: &Path,
    child_paths: &[(String, PathBuf)],
) -> Result<Batch, DataErrors> {
    read_tables(schema, root_path, child_paths, "Parquet", read_table)
}

/// A table given in memory as Arrow record batches (a pyarrow table, a DataFrame's
/// batches): its name, used in diagnostics as a file name is, its schema and batches.
#[derive(Debug, Clone)]
pub struct ArrowTable {
    /// What diagnostics call it (`households`).
    pub name: String,
    /// The schema of every batch.
    pub schema: arrow_schema::SchemaRef,
    /// The rows, in order.
    pub batches: Vec<arrow_array::RecordBatch>,
}

/// Reads a root table and the tables of relations (`("members", table)`) given as Arrow
/// record batches, exactly as [`read_parquet`] reads files: columns found by name, a
/// child's rows linked by a `<parent>_id` column, every problem reported with the
/// table's name, the record's 1-based number, the column and a hint.
///
/// # Errors
/// Every data error found (the first [`super::MAX_ERRORS`] of them).
pub fn read_arrow(
    schema: &Schema,
    root: &ArrowTable,
    children: &[(String, ArrowTable)],
) -> Result<Batch, DataErrors> {
    let named: Vec<(String, PathBuf)> = children
        .iter()
        .map(|(relation, t)| (relation.clone(), PathBuf::from(&t.name)))
        .collect();
    let table_named = |path: &Path| {
        std::iter::once(root)
            .chain(children.iter().map(|(_, t)| t))
            .find(|t| Path::new(&t.name) == path)
    };
    read_tables(
        schema,
        Path::new(&root.name),
        &named,
        "Arrow",
        |entity, path, parent, errors| {
            let mut table = Table::new(path.to_path_buf(), entity);
            table.unlinked = parent.is_some();
            let Some(source) = table_named(path) else {
                return table;
            };
            let mut batches = source.batches.iter().cloned().map(Ok);
            read_batches(
                entity,
                path,
                &source.schema,
                &mut batches,
                parent,
                table,
                errors,
            )
        },
    )
}

fn malformed(path: &Path, e: &dyn std::fmt::Display) -> DataError {
    DataError::new(
        DataErrorKind::MalformedFile,
        path,
        format!("not a readable Parquet file: {e}"),
    )
    .with_help("write the file with a Parquet writer (e.g. `bylaw synth --format parquet`, pyarrow, DuckDB)")
}

/// Reads one Parquet file into columns, linking a child file's rows to `parent`.
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
    let builder = match guard(|| ParquetRecordBatchReaderBuilder::try_new(file)) {
        Ok(Ok(b)) => b.with_batch_size(65_536),
        Ok(Err(e)) => {
            errors.push(malformed(path, &e));
            return table;
        }
        Err(panic) => {
            errors.push(malformed(path, &panic));
            return table;
        }
    };
    let arrow_schema = builder.schema().clone();
    let mut reader = match guard(|| builder.build()) {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            errors.push(malformed(path, &e));
            return table;
        }
        Err(panic) => {
            errors.push(malformed(path, &panic));
            return table;
        }
    };
    let mut batches = std::iter::from_fn(move || match guard(|| reader.next()) {
        Ok(None) => None,
        Ok(Some(Ok(b))) => Some(Ok(b)),
        Ok(Some(Err(e))) => Some(Err(e.to_string())),
        Err(panic) => Some(Err(panic.to_string())),
    });
    read_batches(
        entity,
        path,
        &arrow_schema,
        &mut batches,
        parent,
        table,
        errors,
    )
}

/// Reads record batches of one Arrow schema into columns (see [`read_parquet`] and
/// [`read_arrow`]), linking a child table's rows to `parent`; `batches` yields each
/// batch, or why it could not be read.
fn read_batches(
    entity: &EntitySchema,
    path: &Path,
    arrow_schema: &arrow_schema::Schema,
    batches: &mut dyn Iterator<Item = Result<arrow_array::RecordBatch, String>>,
    mut parent: Option<Parent<'_>>,
    mut table: Table,
    errors: &mut DataErrors,
) -> Table {
    let names: Vec<&str> = arrow_schema
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    // A repeated name is refused, as in CSV: with a map the last copy would silently win.
    let mut column_of: HashMap<&str, usize> = HashMap::new();
    for (i, name) in names.iter().enumerate() {
        if column_of.insert(name, i).is_some() {
            errors.push(
                DataError::new(
                    DataErrorKind::MalformedFile,
                    path,
                    format!("column `{}` appears more than once", shown(name)),
                )
                .in_column(*name)
                .with_help("keep one column per field"),
            );
        }
    }
    let parent_col = parent.as_ref().map(|p| p.col.to_owned());
    let expected: Vec<&str> = parent_col
        .as_deref()
        .into_iter()
        .chain(entity.fields.iter().map(|f| f.name.as_str()))
        .collect();
    let expected_list = expected
        .iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", ");
    for name in &names {
        if !expected.contains(name) {
            errors.push(
                DataError::new(
                    DataErrorKind::ExtraColumn,
                    path,
                    format!("`{}` has no field `{}`", entity.name, shown(name)),
                )
                .in_column(*name)
                .with_value(*name)
                .with_help(format!("expected columns: {expected_list}")),
            );
        }
    }
    if let Some(pc) = &parent_col
        && !column_of.contains_key(pc.as_str())
    {
        errors.push(
            DataError::new(
                DataErrorKind::MissingColumn,
                path,
                format!("missing column `{pc}`"),
            )
            .in_column(pc.clone())
            .with_help(format!(
                "each row must name its parent by key in a `{pc}` column"
            )),
        );
    }
    // Per field: its column, if present and of a usable type.
    let mut field_cols: Vec<Option<usize>> = Vec::with_capacity(entity.fields.len());
    for f in &entity.fields {
        let col = column_of.get(f.name.as_str()).copied();
        match col.and_then(|c| arrow_schema.fields().get(c).map(|a| (c, a))) {
            None => {
                if f.default.is_none() {
                    errors.push(
                        DataError::new(
                            DataErrorKind::MissingColumn,
                            path,
                            format!("missing column `{}`", f.name),
                        )
                        .in_column(f.name.clone())
                        .with_help(format!(
                            "add a column `{}` ({}, {})",
                            f.name,
                            f.ty.describe(),
                            f.label
                        )),
                    );
                }
                field_cols.push(None);
            }
            Some((c, a)) => {
                if accepts(&f.ty, a.data_type()) {
                    field_cols.push(Some(c));
                } else {
                    errors.push(located(path, &f.name, 0, wrong_type(f, a.data_type())));
                    field_cols.push(None);
                }
            }
        }
    }
    let parent_idx = parent_col
        .as_deref()
        .and_then(|pc| column_of.get(pc).copied());
    table.unlinked = (parent_col.is_some() && parent_idx.is_none())
        || parent.as_ref().is_some_and(|p| !p.linkable);
    let key_col = entity.key.and_then(|k| {
        column_of
            .get(
                entity
                    .fields
                    .get(k.0 as usize)
                    .map_or("", |f| f.name.as_str()),
            )
            .copied()
    });
    let mut first_record = 1u64;
    let mut cursor = 0u32;
    let mut unknown_parents = DataErrors::default();
    loop {
        let batch = match batches.next() {
            None => break,
            Some(Ok(b)) => b,
            Some(Err(e)) => {
                errors.push(malformed(path, &e));
                break;
            }
        };
        let batch = keys_as_text(batch, [key_col, parent_idx]);
        let n = batch.num_rows();
        if table.len() + n >= (NO_PARENT - 1) as usize {
            errors.push(DataError::new(
                DataErrorKind::MalformedFile,
                path,
                format!("more than {} `{}` rows", NO_PARENT - 1, entity.name),
            ));
            break;
        }
        for ((f, col), column) in entity
            .fields
            .iter()
            .zip(&field_cols)
            .zip(&mut table.columns)
        {
            match col.and_then(|c| batch.columns().get(c)) {
                Some(array) => append_array(array.as_ref(), f, column, &mut |p| {
                    errors.push(located(path, &f.name, first_record, p));
                }),
                None => {
                    let value = f
                        .default
                        .clone()
                        .unwrap_or_else(|| super::cell::placeholder(&f.ty));
                    for _ in 0..n {
                        super::cell::push_value(column, value.clone(), &f.ty);
                    }
                }
            }
        }
        let chunk = RawChunk::Arrow {
            batch,
            first_record,
        };
        for row in 0..n {
            let record = first_record + row as u64;
            let line = u32::try_from(record).unwrap_or(u32::MAX);
            let key = match (entity.key, key_col) {
                (Some(_), Some(k)) => chunk.text(row, k).unwrap_or_default().to_owned(),
                (Some(_), None) => String::new(),
                (None, _) => number_key(record),
            };
            if let Some(parent) = &mut parent {
                let pk = parent_idx
                    .and_then(|pi| chunk.text(row, pi))
                    .unwrap_or_default();
                let linked = if pk.is_empty() {
                    if parent_idx.is_some() {
                        errors.push(
                            DataError::new(DataErrorKind::MissingValue, path, "missing value")
                                .at_row(line)
                                .in_column(parent.col)
                                .with_value("")
                                .with_help(format!(
                                    "fill in the key of this row's parent in `{}` (text)",
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
                table.parents.push(linked);
            }
            table.keys.push(key);
            table.lines.push(line);
        }
        first_record += n as u64;
    }
    for e in unknown_parents.errors {
        errors.push(e);
    }
    errors.omitted += unknown_parents.omitted;
    if parent.is_some() {
        for (key, p) in table.keys.iter_mut().zip(&table.parents) {
            if *p == NO_PARENT {
                *key = String::new();
            }
        }
    }
    table.shrink_to_fit();
    table
}

/// A problem in column `column`, row `first_record + problem.row` (1-based records).
fn located(path: &Path, column: &str, first_record: u64, p: ArrowProblem) -> DataError {
    let mut e = DataError::new(p.kind, path, p.message)
        .in_column(column)
        .with_help(p.help);
    if let Some(row) = p.row {
        e = e.at_row(u32::try_from(first_record + row as u64).unwrap_or(u32::MAX));
    }
    if let Some(v) = p.value {
        e = e.with_value(v);
    }
    e
}

/// `batch` with its key and parent-key columns, when they hold integers, as text: a
/// key is text, and an integer identifier (`household_id: int64`) is its decimal digits.
fn keys_as_text(batch: RecordBatch, columns: [Option<usize>; 2]) -> RecordBatch {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{
        Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
    };
    use arrow_array::{Array, ArrayRef, ArrowPrimitiveType, PrimitiveArray, StringArray};

    fn digits<T: ArrowPrimitiveType>(array: &PrimitiveArray<T>) -> ArrayRef
    where
        T::Native: std::fmt::Display,
    {
        Arc::new(
            array
                .iter()
                .map(|v| v.map(|v| v.to_string()))
                .collect::<StringArray>(),
        )
    }

    let mut arrays: Vec<ArrayRef> = batch.columns().to_vec();
    let mut fields: Vec<arrow_schema::FieldRef> = batch.schema().fields().iter().cloned().collect();
    let mut changed = false;
    for col in columns.into_iter().flatten() {
        let Some(array) = arrays.get(col) else {
            continue;
        };
        let text = match array.data_type() {
            DataType::Int8 => digits(array.as_primitive::<Int8Type>()),
            DataType::Int16 => digits(array.as_primitive::<Int16Type>()),
            DataType::Int32 => digits(array.as_primitive::<Int32Type>()),
            DataType::Int64 => digits(array.as_primitive::<Int64Type>()),
            DataType::UInt8 => digits(array.as_primitive::<UInt8Type>()),
            DataType::UInt16 => digits(array.as_primitive::<UInt16Type>()),
            DataType::UInt32 => digits(array.as_primitive::<UInt32Type>()),
            DataType::UInt64 => digits(array.as_primitive::<UInt64Type>()),
            _ => continue,
        };
        if let (Some(a), Some(f)) = (arrays.get_mut(col), fields.get_mut(col)) {
            *f = Arc::new(f.as_ref().clone().with_data_type(DataType::Utf8));
            *a = text;
            changed = true;
        }
    }
    if !changed {
        return batch;
    }
    let schema = Arc::new(arrow_schema::Schema::new_with_metadata(
        fields,
        batch.schema().metadata().clone(),
    ));
    RecordBatch::try_new(schema, arrays).unwrap_or(batch)
}
