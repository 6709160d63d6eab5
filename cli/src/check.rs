//! `bylaw check`: compile each policy and report every diagnostic.

use std::path::PathBuf;

use bylaw_compiler::diagnostics::{Diagnostic, codes};

use crate::{ErrorFormat, Exit, report};

pub fn run(files: &[PathBuf], date: Option<&str>, format: ErrorFormat) -> Exit {
    let date = match date.map(crate::parse_eval_date).transpose() {
        Ok(d) => d,
        Err(e) => {
            crate::report::error(format, "argument", &e);
            return Exit::BadInput;
        }
    };
    let mut errors = 0;
    let mut warnings = 0;
    for file in files {
        let compiled = bylaw_compiler::compile_file(file);
        let mut diags = compiled.diagnostics.clone();
        if let (Some(program), Some(date)) = (&compiled.program, date) {
            diags.extend(missing_at(program, date));
        }
        errors += diags.iter().filter(|d| d.is_error()).count();
        warnings += diags.iter().filter(|d| !d.is_error()).count();
        report::print(&diags, &compiled.sources, format);
        if format == ErrorFormat::Human
            && !compiled.has_errors()
            && let Some(p) = &compiled.program
        {
            eprintln!(
                "ok: {} — {} outputs, {} parameters, {} tests, {} checks",
                file.display(),
                p.outputs.len(),
                p.params.len(),
                p.tests.len(),
                p.checks.len()
            );
        }
    }
    if format == ErrorFormat::Human && (errors > 0 || warnings > 0) {
        eprintln!("{errors} error(s), {warnings} warning(s)");
    }
    if errors > 0 {
        Exit::PolicyErrors
    } else {
        Exit::Ok
    }
}

/// Warnings for parameters and scales that have no value in force at `date`.
fn missing_at(program: &bylaw_compiler::Program, date: i32) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let day = bylaw_runtime::date::format_date(date);
    for p in &program.params {
        let keys: Vec<Option<u32>> = match p.by {
            None => vec![None],
            Some(e) => (0..program.enums.get(e.index()).map_or(0, |e| e.variants.len()) as u32)
                .map(Some)
                .collect(),
        };
        let missing: Vec<String> = keys
            .iter()
            .filter(|k| bylaw_compiler::interp::param_value_at(program, p, **k, date).is_none())
            .map(|k| match (k, p.by) {
                (Some(k), Some(e)) => program
                    .enums
                    .get(e.index())
                    .and_then(|e| e.variants.get(*k as usize))
                    .map_or(String::new(), |v| v.name.clone()),
                _ => String::new(),
            })
            .collect();
        if missing.is_empty() {
            continue;
        }
        let what = if p.by.is_none() {
            format!("parameter `{}` has no value in force on {day}", p.name)
        } else {
            let shown: Vec<String> = missing.iter().take(6).map(|m| format!("`{m}`")).collect();
            let more = if missing.len() > 6 {
                format!(" and {} more", missing.len() - 6)
            } else {
                String::new()
            };
            format!(
                "parameter `{}` has no value on {day} for {}{more}",
                p.name,
                shown.join(", ")
            )
        };
        let mut d = Diagnostic::warning(codes::MISSING_VALUE, what)
            .help("households that read it fail with `missing_value`; add a dated value or a value for a parent region");
        if let Some(f) = p.origin.file {
            d = d.at(f, p.origin.span, "parameter");
        }
        out.push(d);
    }
    out
}
