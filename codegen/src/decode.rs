//! Kernel results read back as the interpreter gives them: each value by its type, each
//! error record as the interpreter's error (the same kind, definition and message), so
//! that every engine's rows compare equal.

use std::sync::Arc;

use bylaw_compiler::interp::EvalError;
use bylaw_compiler::ir::{Program, Value};
use bylaw_compiler::types::Ty;

use crate::layout::ErrorRecord;
use crate::{ResultColumns, RowResult};

/// Row `i` of `columns` (root row `columns.rows.start + i`) of `program`'s kernel at
/// `date`: its values, or its error.
pub fn row_result(program: &Program, date: i32, columns: &ResultColumns, i: usize) -> RowResult {
    if let Some(f) = columns.failure(columns.rows.start + i) {
        return Err(eval_error(program, date, &f.error));
    }
    Ok(columns
        .outputs
        .iter()
        .zip(&program.outputs)
        .map(|(c, d)| {
            value(
                program.def(*d).ty,
                c.get(i).unwrap_or(0),
                &columns.dictionary,
            )
        })
        .collect())
}

/// A kernel's raw output of type `ty` as a value; a text output's code indexes
/// `dictionary`.
pub fn value(ty: Ty, v: i64, dictionary: &[Arc<str>]) -> Value {
    match ty {
        Ty::Bool => Value::Bool(v != 0),
        Ty::Date => Value::Date(v as i32),
        Ty::Enum(_) => Value::Enum(v as u32),
        Ty::Text => Value::Text(
            usize::try_from(v)
                .ok()
                .and_then(|i| dictionary.get(i))
                .cloned()
                .unwrap_or_else(|| "".into()),
        ),
        _ => Value::Int(v),
    }
}

/// The interpreter's error for a kernel's error record: the same kind, definition
/// and words ([`EvalError::from_record`]: one description for every backend).
pub fn eval_error(program: &Program, date: i32, rec: &ErrorRecord) -> EvalError {
    EvalError::from_record(program, date, rec)
}
