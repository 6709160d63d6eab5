//! Printing diagnostics to stderr in the chosen format.

use std::io::IsTerminal;

use bylaw_compiler::Diagnostic;
use bylaw_compiler::diagnostics::{render_human, render_json};
use bylaw_grammar::SourceMap;

use crate::ErrorFormat;

// Declared here, beside this file, until `main.rs` (being reworked) lists them.
#[path = "fail.rs"]
pub mod fail;
#[path = "text.rs"]
pub mod text;

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
    if errors.omitted > 0 {
        eprintln!("… and {} more data errors not shown", errors.omitted);
    }
}
