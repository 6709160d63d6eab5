//! Kernel results read back as the interpreter gives them: each value by its type, each
//! error record as the interpreter's error (the same kind, definition and message), so
//! that every engine's rows compare equal.

use std::sync::Arc;

use bylaw_compiler::interp::{ErrorKind, EvalError, below_scale_message, missing_param_message};
use bylaw_compiler::ir::{DefId, ParamId, Program, ScaleId, Value};
use bylaw_compiler::types::Ty;
use bylaw_runtime::arith::ArithError;
use bylaw_runtime::date;

use crate::layout::{
    ERR_BELOW_BRACKET, ERR_DIV_ZERO, ERR_MISSING_PARAM, ERR_NO_VERSION, ERR_OVERFLOW,
    ERR_SCALE_NONE, ErrorRecord,
};
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
/// and message.
pub fn eval_error(program: &Program, date: i32, rec: &ErrorRecord) -> EvalError {
    let def = DefId(rec.def);
    let day = date::format_date(date);
    let missing = |detail: String| (ErrorKind::MissingValue, detail);
    let (kind, detail) = match rec.kind {
        ERR_OVERFLOW => (
            ErrorKind::Arith(ArithError::Overflow),
            ArithError::Overflow.to_string(),
        ),
        ERR_DIV_ZERO => (
            ErrorKind::Arith(ArithError::DivisionByZero),
            ArithError::DivisionByZero.to_string(),
        ),
        ERR_NO_VERSION => missing(format!(
            "no version of `{}` is in force on {day}",
            program
                .defs
                .get(def.index())
                .map_or("?", |d| d.name.as_str())
        )),
        ERR_MISSING_PARAM => {
            let id = ParamId(u32::try_from(rec.aux).unwrap_or(u32::MAX));
            let key = u32::try_from(rec.arg).ok();
            missing(missing_param_message(program, id, key, date))
        }
        ERR_SCALE_NONE => missing(format!(
            "scale `{}` has no brackets in force on {day}",
            scale_name(program, rec.aux)
        )),
        ERR_BELOW_BRACKET => (
            ErrorKind::BelowScale,
            below_scale_message(
                program,
                ScaleId(u32::try_from(rec.aux).unwrap_or(u32::MAX)),
                rec.arg,
                date,
            ),
        ),
        other => missing(format!("internal: unknown error code {other}")),
    };
    EvalError {
        kind,
        def: Some(def),
        detail,
    }
}

fn scale_name(program: &Program, index: i64) -> &str {
    usize::try_from(index)
        .ok()
        .and_then(|i| program.scales.get(i))
        .map_or("?", |s| s.name.as_str())
}
