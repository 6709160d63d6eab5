//! An evaluation as Arrow columns, built column by column from the result columns —
//! no value or string per cell for numbers, dates and yes/no outputs. The Parquet
//! writer and in-memory callers (the Python package) share it, so both give the same
//! schema: the root key, `error`, `error_in`, optionally `error_detail`, every output,
//! optionally `reason`.
//!
//! Money and rates are `Decimal128(19, 4)` (rates in percent, as the CSV writes them),
//! plain decimals `Decimal128(19, 6)`, durations shown in years `Decimal128(38, 6)`,
//! counts, days and months `Int64`, dates `Date32`, enumerations and text `Utf8`. Each
//! output field carries its Bylaw type in the metadata key `bylaw.type`. A household
//! that failed has null outputs.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::builder::StringBuilder;
use arrow_array::{
    ArrayRef, BooleanArray, Date32Array, Decimal128Array, Int64Array, RecordBatch, StringArray,
};
use arrow_buffer::{BooleanBuffer, NullBuffer, ScalarBuffer};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef};
use bylaw_codegen::layout::OutputColumn;
use bylaw_compiler::duration::DurationUnit;
use bylaw_compiler::ir::{Program, Value};
use bylaw_compiler::types::Ty;

use crate::backend::Evaluation;

/// The metadata key naming an output field's Bylaw type (`money per month`, `yes/no`).
pub const TYPE_KEY: &str = "bylaw.type";

/// Which optional columns a table has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Extra {
    /// An `error_detail` column: the error in English words.
    pub detail: bool,
    /// A `reason` column.
    pub reason: bool,
}

/// How one output is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Storage {
    /// Fixed point in an `i64` with this many decimals.
    Decimal(i8),
    /// A duration in months shown in years: millionths of a year in an `i128`.
    Years,
    Int,
    Date,
    Bool,
    /// Variant names or dictionary text.
    Text,
}

fn storage(ty: Ty, unit: DurationUnit) -> Storage {
    match ty {
        Ty::Money(_) | Ty::Rate => Storage::Decimal(4),
        Ty::Decimal => Storage::Decimal(6),
        Ty::Months if unit != DurationUnit::Months => Storage::Years,
        Ty::Count | Ty::Days | Ty::Months => Storage::Int,
        Ty::Date => Storage::Date,
        Ty::Bool => Storage::Bool,
        Ty::Text | Ty::Enum(_) => Storage::Text,
    }
}

fn data_type(storage: Storage) -> DataType {
    match storage {
        Storage::Decimal(s) => DataType::Decimal128(19, s),
        Storage::Years => DataType::Decimal128(38, 6),
        Storage::Int => DataType::Int64,
        Storage::Date => DataType::Date32,
        Storage::Bool => DataType::Boolean,
        Storage::Text => DataType::Utf8,
    }
}

/// The name of a program's key column: the root entity's key field, else `row`.
pub(crate) fn key_column(program: &Program) -> String {
    program
        .schema
        .root_entity()
        .and_then(|e| e.key.and_then(|k| e.field(k)).map(|f| f.name.clone()))
        .unwrap_or_else(|| "row".to_string())
}

/// The schema of the tables [`crate::Run::evaluate_tables`] returns for `program`:
/// the root key, `error`, `error_in`, `error_detail`, every output, and `reason` when
/// a reason column is asked for.
pub fn result_schema(program: &Program, reason: bool) -> SchemaRef {
    schema(
        program,
        Extra {
            detail: true,
            reason,
        },
    )
}

/// The schema of a program's result table.
pub(crate) fn schema(program: &Program, extra: Extra) -> SchemaRef {
    let mut fields = vec![
        Field::new(key_column(program), DataType::Utf8, false),
        Field::new("error", DataType::Utf8, true),
        Field::new("error_in", DataType::Utf8, true),
    ];
    if extra.detail {
        fields.push(Field::new("error_detail", DataType::Utf8, true));
    }
    for d in &program.outputs {
        let def = program.def(*d);
        fields.push(output_field(program, &def.name, def.ty, def.unit));
    }
    if extra.reason {
        fields.push(Field::new("reason", DataType::Utf8, true));
    }
    Arc::new(Schema::new(fields))
}

/// The field of an output `name` of type `ty` (a duration shown in `unit`).
pub(crate) fn output_field(program: &Program, name: &str, ty: Ty, unit: DurationUnit) -> Field {
    let words = match ty {
        Ty::Months => unit.type_name().to_string(),
        ty => program.type_name(ty),
    };
    Field::new(name, data_type(storage(ty, unit)), true)
        .with_metadata(HashMap::from([(TYPE_KEY.to_string(), words)]))
}

/// A column of values of type `ty` (a duration shown in `unit`), `None` for null, as
/// [`output_field`] types it.
///
/// # Errors
/// Only if a decimal does not fit its precision, which would be a bug.
pub(crate) fn values_array<'v>(
    program: &Program,
    ty: Ty,
    unit: DurationUnit,
    values: impl Iterator<Item = Option<&'v Value>>,
) -> Result<ArrayRef, ArrowError> {
    let int = |v: Option<&Value>| match v {
        Some(Value::Int(x)) => Some(*x),
        Some(Value::Date(x)) => Some(i64::from(*x)),
        _ => None,
    };
    Ok(match storage(ty, unit) {
        Storage::Decimal(scale) => Arc::new(
            values
                .map(|v| int(v).map(i128::from))
                .collect::<Decimal128Array>()
                .with_precision_and_scale(19, scale)?,
        ),
        Storage::Years => Arc::new(
            values
                .map(|v| int(v).map(DurationUnit::micro_years))
                .collect::<Decimal128Array>()
                .with_precision_and_scale(38, 6)?,
        ),
        Storage::Int => Arc::new(values.map(int).collect::<Int64Array>()),
        Storage::Date => Arc::new(
            values
                .map(|v| int(v).and_then(|d| i32::try_from(d).ok()))
                .collect::<Date32Array>(),
        ),
        Storage::Bool => Arc::new(
            values
                .map(|v| match v {
                    Some(Value::Bool(b)) => Some(*b),
                    _ => None,
                })
                .collect::<BooleanArray>(),
        ),
        Storage::Text => Arc::new(
            values
                .map(|v| v.map(|v| bylaw_compiler::format::plain(program, ty, v)))
                .collect::<StringArray>(),
        ),
    })
}

/// The rows of `evaluation` as one record batch of `schema` (from [`schema`] with the
/// same `extra`); `keys(i)` is household `i`'s key, `reasons` one text per household.
///
/// # Errors
/// Only if the columns disagree with the schema, which would be a bug.
pub(crate) fn record_batch<'k>(
    program: &Program,
    schema: SchemaRef,
    extra: Extra,
    evaluation: &Evaluation,
    keys: impl Fn(usize) -> &'k str,
    reasons: Option<&[String]>,
) -> Result<RecordBatch, ArrowError> {
    let len = evaluation.len();
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    columns.push(Arc::new(StringArray::from_iter_values((0..len).map(keys))));
    let failed: Vec<(usize, &bylaw_compiler::interp::EvalError)> = evaluation.errors().collect();
    let sparse = |f: &dyn Fn(&bylaw_compiler::interp::EvalError) -> Option<String>| {
        let mut b = StringBuilder::with_capacity(len, failed.len() * 16);
        let mut next = failed.iter().peekable();
        for i in 0..len {
            match next.peek() {
                Some((at, e)) if *at == i => {
                    b.append_option(f(e));
                    next.next();
                }
                _ => b.append_null(),
            }
        }
        Arc::new(b.finish()) as ArrayRef
    };
    columns.push(sparse(&|e| Some(e.code().to_string())));
    columns.push(sparse(&|e| e.def.map(|d| program.def(d).name.clone())));
    if extra.detail {
        columns.push(sparse(&|e| Some(e.detail.clone())));
    }
    // Valid where the household succeeded; no buffer at all when none failed.
    let valid = (!failed.is_empty()).then(|| {
        NullBuffer::new(BooleanBuffer::from_iter(
            (0..len).map(|i| !evaluation.is_failed(i)),
        ))
    });
    for (d, column) in program.outputs.iter().zip(evaluation.columns()) {
        let def = program.def(*d);
        let array = output_array(
            program,
            storage(def.ty, def.unit),
            def.ty,
            column,
            evaluation,
            valid.clone(),
        )?;
        columns.push(array);
    }
    if extra.reason {
        let text = (0..len).map(|i| reasons.and_then(|r| r.get(i)).map(String::as_str));
        columns.push(Arc::new(StringArray::from_iter(text)));
    }
    RecordBatch::try_new(schema, columns)
}

fn output_array(
    program: &Program,
    storage: Storage,
    ty: Ty,
    column: &OutputColumn,
    evaluation: &Evaluation,
    valid: Option<NullBuffer>,
) -> Result<ArrayRef, ArrowError> {
    let len = evaluation.len();
    let wide = |f: &dyn Fn(i64) -> i128| -> ScalarBuffer<i128> {
        (0..len).map(|i| f(column.get(i).unwrap_or(0))).collect()
    };
    Ok(match storage {
        Storage::Decimal(scale) => Arc::new(
            Decimal128Array::new(wide(&i128::from), valid).with_precision_and_scale(19, scale)?,
        ),
        Storage::Years => Arc::new(
            Decimal128Array::new(wide(&DurationUnit::micro_years), valid)
                .with_precision_and_scale(38, 6)?,
        ),
        Storage::Int => {
            let values: ScalarBuffer<i64> = match column {
                OutputColumn::Int(v) => v.clone().into(),
                other => (0..len).map(|i| other.get(i).unwrap_or(0)).collect(),
            };
            Arc::new(Int64Array::new(values, valid))
        }
        Storage::Date => {
            let values: ScalarBuffer<i32> = match column {
                OutputColumn::Date(v) => v.clone().into(),
                other => (0..len)
                    .map(|i| {
                        other
                            .get(i)
                            .and_then(|d| i32::try_from(d).ok())
                            .unwrap_or(0)
                    })
                    .collect(),
            };
            Arc::new(Date32Array::new(values, valid))
        }
        Storage::Bool => {
            let values = BooleanBuffer::from_iter((0..len).map(|i| column.get(i) == Some(1)));
            Arc::new(BooleanArray::new(values, valid))
        }
        Storage::Text => {
            let names: Vec<&str> = match ty {
                Ty::Enum(e) => program
                    .enums
                    .get(e.index())
                    .map(|d| d.variants.iter().map(|v| v.name.as_str()).collect())
                    .unwrap_or_default(),
                _ => Vec::new(),
            };
            let text = |i: usize| -> Option<&str> {
                if evaluation.is_failed(i) {
                    return None;
                }
                let code = u32::try_from(column.get(i)?).ok()?;
                match ty {
                    Ty::Enum(_) => names.get(code as usize).copied(),
                    _ => evaluation.text(code),
                }
            };
            Arc::new(StringArray::from_iter((0..len).map(text)))
        }
    })
}
