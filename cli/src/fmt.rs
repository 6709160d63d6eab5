//! `bylaw fmt`: rewrite files in canonical form, atomically; `--check` only reports.

use std::path::PathBuf;

use crate::{ErrorFormat, Exit};

pub fn run(files: &[PathBuf], check: bool, format: ErrorFormat) -> Exit {
    let mut exit = Exit::Ok;
    for file in files {
        let text = match std::fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) => {
                crate::report::error(
                    format,
                    "policy::read",
                    format!("cannot read `{}`: {e}", file.display()),
                );
                exit = Exit::PolicyErrors;
                continue;
            }
        };
        let module = match bylaw_grammar::parse(&text) {
            Ok(m) => m,
            Err(_) => {
                // The syntax error is reported the same way `check` reports it.
                let compiled = bylaw_compiler::compile_file(file);
                crate::report::print(&compiled.diagnostics, &compiled.sources, format);
                exit = Exit::PolicyErrors;
                continue;
            }
        };
        let formatted = bylaw_grammar::format(&module, &text);
        if formatted == text {
            continue;
        }
        if check {
            eprintln!("not formatted: {}", file.display());
            exit = Exit::PolicyErrors;
        } else if let Err(e) =
            bylaw_runtime::output::write_atomic(file, |w| w.write_all(formatted.as_bytes()))
        {
            crate::report::error(
                format,
                "io",
                format!("cannot write `{}`: {e}", file.display()),
            );
            exit = Exit::Io;
        } else {
            eprintln!("formatted {}", file.display());
        }
    }
    exit
}
