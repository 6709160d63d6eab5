//! Tables across the boundary: Python objects that speak the Arrow C stream interface
//! (`__arrow_c_stream__`: pyarrow tables and batches, polars frames, pandas frames
//! converted by the package) imported without copying their buffers, and results
//! handed back as `pyarrow.Table`s.

use arrow_array::RecordBatch;
use arrow_pyarrow::{FromPyArrow, IntoPyArrow, Table};
use arrow_schema::SchemaRef;
use bylaw_runtime::input::ArrowTable;
use pyo3::prelude::*;

/// Imports `data` as the table called `name` in diagnostics.
pub(crate) fn import(name: &str, data: &Bound<'_, PyAny>) -> PyResult<ArrowTable> {
    let table = Table::from_pyarrow_bound(data).map_err(|e| {
        crate::errors::argument(
            format!("`{name}` is not a table Bylaw can read: {e}"),
            "give a pyarrow Table or RecordBatch, a pandas or a polars DataFrame",
        )
    })?;
    let (batches, schema) = table.into_inner();
    Ok(ArrowTable {
        name: name.to_string(),
        schema,
        batches,
    })
}

/// Imports the tables of relations, `(relation, table)` pairs.
pub(crate) fn import_relations(
    relations: &[(String, Bound<'_, PyAny>)],
) -> PyResult<Vec<(String, ArrowTable)>> {
    relations
        .iter()
        .map(|(name, data)| Ok((name.clone(), import(name, data)?)))
        .collect()
}

/// Record batches as one `pyarrow.Table`.
pub(crate) fn export<'py>(
    py: Python<'py>,
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
) -> PyResult<Bound<'py, PyAny>> {
    let table = Table::try_new(batches, schema).map_err(|e| {
        crate::errors::InternalError::new_err(format!("internal error building the result: {e}"))
    })?;
    table.into_pyarrow(py)
}
