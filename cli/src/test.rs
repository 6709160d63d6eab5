//! `bylaw test`: run the `test` blocks of every policy under the given paths.

use std::path::{Path, PathBuf};

use crate::{ErrorFormat, Exit, report};

/// Policy files under `paths` (directories are searched recursively, sorted).
pub fn policy_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let defaults = [PathBuf::from("policies")];
    let paths = if paths.is_empty() {
        &defaults[..]
    } else {
        paths
    };
    for p in paths {
        collect(p, &mut out);
    }
    out.sort();
    out
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        if let Ok(entries) = std::fs::read_dir(path) {
            for e in entries.flatten() {
                collect(&e.path(), out);
            }
        }
    } else if path.extension().is_some_and(|e| e == "bylaw") || !path.exists() {
        out.push(path.to_path_buf());
    }
}

pub fn run(paths: &[PathBuf], format: ErrorFormat) -> Exit {
    let files = policy_files(paths);
    let (mut passed, mut failed, mut broken) = (0usize, 0usize, 0usize);
    for file in &files {
        let compiled = bylaw_compiler::compile_file(file);
        if compiled.has_errors() {
            report::print(&compiled.diagnostics, &compiled.sources, format);
            broken += 1;
            continue;
        }
        let Some(program) = &compiled.program else {
            continue;
        };
        if !program.checks.is_empty() {
            // Checks are verified when the policy compiles: reaching here, all hold.
            eprintln!(
                "{}: {} reported figures add up",
                file.display(),
                program.checks.len()
            );
            passed += program.checks.len();
        }
        if program.tests.is_empty() && program.comply.tests.is_empty() {
            continue;
        }
        let outcomes = bylaw_compiler::testing::run(program);
        let ok = outcomes.iter().filter(|o| o.passed()).count();
        eprintln!("{}: {ok}/{} tests passed", file.display(), outcomes.len());
        for o in outcomes.iter().filter(|o| !o.passed()) {
            let (line, _) = compiled
                .sources
                .get(o.file)
                .map_or((0, 0), |f| f.line_col(o.span.start));
            let name = compiled
                .sources
                .get(o.file)
                .map_or(String::new(), |f| f.name.clone());
            eprintln!("  FAILED \"{}\" ({name}:{line})", o.name);
            for f in &o.failures {
                let (fl, _) = compiled
                    .sources
                    .get(o.file)
                    .map_or((0, 0), |s| s.line_col(f.span.start));
                eprintln!("    line {fl}: {}", f.message);
            }
        }
        passed += ok;
        failed += outcomes.len() - ok;
    }
    println!("{passed} passed, {failed} failed");
    if broken > 0 {
        eprintln!("{broken} file(s) did not compile");
    }
    if failed > 0 || broken > 0 {
        Exit::PolicyErrors
    } else {
        Exit::Ok
    }
}
