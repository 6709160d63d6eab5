//! Printing diagnostics to stderr in the chosen format.

use std::io::IsTerminal;

use bylaw_compiler::Diagnostic;
use bylaw_compiler::diagnostics::{render_human, render_json};
use bylaw_grammar::SourceMap;

use crate::ErrorFormat;

pub fn print(diags: &[Diagnostic], sources: &SourceMap, format: ErrorFormat) {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    for d in diags {
        match format {
            ErrorFormat::Human => eprint!("{}", render_human(d, sources, color, 100)),
            ErrorFormat::Json => eprintln!("{}", render_json(d, sources)),
        }
    }
}

/// Prints data errors (file, row, column, value, hint).
pub fn print_data_errors(errors: &bylaw_runtime::input::DataErrors, format: ErrorFormat) {
    for e in &errors.errors {
        match format {
            ErrorFormat::Human => {
                eprintln!("error[{}]: {e}", e.code());
                if let Some(v) = &e.value {
                    eprintln!("  value: `{v}`");
                }
                if let Some(h) = &e.help {
                    eprintln!("  help: {h}");
                }
            }
            ErrorFormat::Json => eprintln!(
                "{}",
                serde_json::json!({
                    "code": e.code(),
                    "severity": "error",
                    "message": e.message,
                    "file": e.file.display().to_string(),
                    "row": e.row,
                    "column": e.column,
                    "json_path": e.json_path,
                    "value": e.value,
                    "help": e.help,
                })
            ),
        }
    }
    match format {
        ErrorFormat::Human if errors.omitted > 0 => {
            eprintln!("… and {} more data errors not shown", errors.omitted);
            eprintln!("{} data error(s); no output was written", errors.total());
        }
        ErrorFormat::Human => eprintln!("{} data error(s); no output was written", errors.total()),
        ErrorFormat::Json => {}
    }
}

/// Prints a command-line error that is not about policy text: its message and hint in
/// the human format, or one JSON object with a code in the JSON format.
pub fn print_error(code: &str, message: &str, hint: Option<&str>, format: ErrorFormat) {
    match format {
        ErrorFormat::Human => {
            eprintln!("error: {message}");
            if let Some(h) = hint {
                eprintln!("  help: {h}");
            }
        }
        ErrorFormat::Json => eprintln!(
            "{}",
            serde_json::json!({
                "code": if code.starts_with("bylaw::") {
                    code.to_string()
                } else {
                    format!("bylaw::{code}")
                },
                "severity": "error",
                "message": message,
                "help": hint,
            })
        ),
    }
}

/// [`print_error`] for a message written as `message` or `message\n  help: hint`.
pub fn error(format: ErrorFormat, code: &str, text: impl AsRef<str>) {
    let text = text.as_ref();
    match text.split_once("\n  help: ") {
        Some((message, hint)) => print_error(code, message, Some(hint), format),
        None => print_error(code, text, None, format),
    }
}
