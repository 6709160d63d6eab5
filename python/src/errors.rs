//! Errors as Python exceptions: a policy that does not check becomes
//! `bylaw.PolicyError` with every diagnostic, bad data `bylaw.DataError` with every
//! problem located, a bad argument `bylaw.ArgumentError`; and a Rust panic is caught at
//! the boundary and becomes `bylaw.InternalError` instead of unwinding into Python.

use std::panic::{AssertUnwindSafe, catch_unwind};

use bylaw_compiler::diagnostics::{render_human, render_json};
use bylaw_engine::{EngineError, PolicyErrors, RunError};
use bylaw_runtime::input::DataErrors;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

pyo3::import_exception!(bylaw.errors, PolicyError);
pyo3::import_exception!(bylaw.errors, DataError);
pyo3::import_exception!(bylaw.errors, ArgumentError);
pyo3::import_exception!(bylaw.errors, EvaluationError);
pyo3::import_exception!(bylaw.errors, InternalError);

/// Runs `f`, turning a panic into `bylaw.InternalError`.
pub(crate) fn guard<T>(f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".to_string());
            Err(InternalError::new_err(format!(
                "internal error in the Bylaw engine: {what}; this is a bug, please report it"
            )))
        }
    }
}

/// `bylaw.PolicyError`: the diagnostics rendered as the command line shows them, and
/// each as a dict (code, severity, file, line, column, message, help).
pub(crate) fn policy_error(py: Python<'_>, errors: &PolicyErrors) -> PyErr {
    let sources = errors.sources();
    let mut text = String::new();
    let list = PyList::empty(py);
    for d in errors.diagnostics() {
        text.push_str(&render_human(d, sources, false, 100));
        let json = render_json(d, sources);
        let primary = json.get("primary");
        let field = |k: &str| primary.and_then(|p| p.get(k)).cloned();
        let entry = (|| -> PyResult<Bound<'_, PyDict>> {
            let dict = PyDict::new(py);
            dict.set_item("code", json.get("code").and_then(|v| v.as_str()))?;
            dict.set_item("severity", json.get("severity").and_then(|v| v.as_str()))?;
            dict.set_item("message", json.get("message").and_then(|v| v.as_str()))?;
            dict.set_item("help", json.get("help").and_then(|v| v.as_str()))?;
            dict.set_item(
                "file",
                field("file").and_then(|v| v.as_str().map(String::from)),
            )?;
            dict.set_item("line", field("line").and_then(|v| v.as_u64()))?;
            dict.set_item("column", field("column").and_then(|v| v.as_u64()))?;
            Ok(dict)
        })();
        match entry.and_then(|e| list.append(e)) {
            Ok(()) => {}
            Err(e) => return e,
        }
    }
    PolicyError::new_err((text.trim_end().to_string(), list.unbind()))
}

/// `bylaw.DataError`: every problem with its table, 1-based record number, column,
/// value, message and hint.
pub(crate) fn data_error(py: Python<'_>, errors: &DataErrors) -> PyErr {
    let mut text = String::new();
    let list = PyList::empty(py);
    for e in &errors.errors {
        text.push_str(&format!("error[{}]: {e}\n", e.code()));
        if let Some(v) = &e.value {
            text.push_str(&format!("  value: `{v}`\n"));
        }
        if let Some(h) = &e.help {
            text.push_str(&format!("  help: {h}\n"));
        }
        let entry = (|| -> PyResult<Bound<'_, PyDict>> {
            let dict = PyDict::new(py);
            dict.set_item("code", e.code())?;
            dict.set_item("table", e.file.display().to_string())?;
            dict.set_item("row", e.row)?;
            dict.set_item("column", e.column.as_deref())?;
            dict.set_item("value", e.value.as_deref())?;
            dict.set_item("message", &e.message)?;
            dict.set_item("help", e.help.as_deref())?;
            Ok(dict)
        })();
        match entry.and_then(|d| list.append(d)) {
            Ok(()) => {}
            Err(e) => return e,
        }
    }
    if errors.omitted > 0 {
        text.push_str(&format!(
            "… and {} more data errors not shown\n",
            errors.omitted
        ));
    }
    text.push_str(&format!("{} data error(s)", errors.total()));
    DataError::new_err((text, list.unbind(), errors.omitted))
}

/// An engine error: bad arguments and inputs become `ArgumentError`, a file that
/// cannot be written `OSError`; the hint follows the message.
pub(crate) fn engine_error(e: &EngineError) -> PyErr {
    let text = match e.hint() {
        Some(h) => format!("{}\n  help: {h}", e.message()),
        None => e.message().to_string(),
    };
    match e.kind() {
        bylaw_engine::ErrorKind::Input => ArgumentError::new_err((text, e.code())),
        bylaw_engine::ErrorKind::Io => pyo3::exceptions::PyOSError::new_err(text),
    }
}

/// A run's error.
pub(crate) fn run_error(py: Python<'_>, e: &RunError) -> PyErr {
    match e {
        RunError::Data(errors) => data_error(py, errors),
        RunError::Threads { .. } => ArgumentError::new_err((run_text(e), e.code())),
        _ => EvaluationError::new_err((run_text(e), e.code())),
    }
}

fn run_text(e: &RunError) -> String {
    match e.hint() {
        Some(h) => format!("{e}\n  help: {h}"),
        None => e.to_string(),
    }
}

/// A bad argument, with what to do about it.
pub(crate) fn argument(message: impl Into<String>, hint: &str) -> PyErr {
    let message = message.into();
    ArgumentError::new_err((format!("{message}\n  help: {hint}"), "bylaw::argument"))
}
