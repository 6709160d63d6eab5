//! The conformance corpus (`tests/conformance/**/*.bylaw`) through every backend.
//!
//! Each case file is a small program with `test` blocks. Every test runs through the
//! interpreter, the JIT and the AOT object (a shared library, loaded), each compared with
//! the test's expectations and with the interpreter, value for value and error for error
//! (kind, definition and message). A divergence names the case file and test, the
//! backend, the household, the definition and both values, and prints the program's IR.
//! The one-household tests of a file at one date are also evaluated together in one
//! batch, so the kernels' loops over rows are exercised.
//!
//! A backend that declines a program fails the case, unless the case carries a named flag
//! in its file, a comment line:
//!
//! ```text
//! # conformance: skip aot "native libraries do not take text"
//! # conformance: diverges jit "why the JIT is known to give another answer"
//! ```
//!
//! `skip B` says backend B declines the program (and B must decline it); `diverges B`
//! says B runs it but is known to disagree (and it must disagree). A flag in the file's
//! leading comment block applies to every test of the file; anywhere else, to the next
//! `test`. A flag that no longer holds fails the run, so stale flags do not pile up.
//!
//! The backends are the engine's, behind its one [`Backend`] trait; the native ones
//! read result columns straight from the kernel and never fall back to the interpreter.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use bylaw_compiler::Program;
use bylaw_compiler::interp::EvalError;
use bylaw_compiler::ir::{Expect, TestCase, Value};
use bylaw_engine::{Aot, Backend, BackendKind, Interpreter, Jit};
use bylaw_runtime::batch::{Batch, Column};

/// A household's values, or its error.
type RowResult = Result<Vec<Value>, EvalError>;

/// The flag name of a backend, as case files spell it.
fn flag_name(kind: BackendKind) -> &'static str {
    match kind {
        BackendKind::Interpreter => "interpreter",
        BackendKind::Jit => "jit",
        BackendKind::Aot => "aot",
    }
}

/// Evaluates every root row of a test's batch at the test's date with backend `kind`,
/// or says why it declines the program or the batch.
fn evaluate(
    kind: BackendKind,
    program: &Program,
    case: &TestCase,
) -> Result<Vec<RowResult>, String> {
    let backend: Box<dyn Backend> = match kind {
        BackendKind::Interpreter => {
            let interpreter = Interpreter::new(program, case.date);
            // A yearly table's `x[last year]` reads the row of the year before.
            Box::new(match bylaw_compiler::years::yearly_columns(program) {
                Some(cols) => interpreter
                    .with_previous_rows(bylaw_compiler::years::previous_rows(&case.batch, cols).0),
                None => interpreter,
            })
        }
        BackendKind::Jit => Box::new(Jit::new(program, case.date).map_err(|e| e.to_string())?),
        BackendKind::Aot => Box::new(Aot::new(program, case.date).map_err(|e| e.to_string())?),
    };
    let n = case.batch.root_len();
    let evaluation = backend
        .evaluate(&case.batch, 0..n)
        .map_err(|e| e.to_string())?;
    assert_eq!(
        evaluation.backend(),
        kind,
        "the evaluation names its backend"
    );
    Ok((0..evaluation.len()).map(|i| evaluation.row(i)).collect())
}

/// What a flag says about one backend on one test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flag {
    /// The backend declines the program.
    Skip,
    /// The backend runs the program but is known to disagree.
    Diverges,
}

/// The flags of one case file: for the whole file, and per test name.
#[derive(Debug, Default)]
struct Flags {
    file: Vec<(String, Flag, String)>,
    tests: BTreeMap<String, Vec<(String, Flag, String)>>,
}

impl Flags {
    /// The flag on `backend` for `test`, and its reason.
    fn get(&self, test: &str, backend: &str) -> Option<(Flag, &str)> {
        self.tests
            .get(test)
            .into_iter()
            .flatten()
            .chain(&self.file)
            .find(|(b, _, _)| b == backend)
            .map(|(_, f, why)| (*f, why.as_str()))
    }
}

const BACKENDS: [&str; 3] = ["interpreter", "jit", "aot"];

/// Reads the `# conformance:` lines of a case file.
fn parse_flags(text: &str) -> Result<Flags, String> {
    let mut flags = Flags::default();
    let mut pending = Vec::new();
    let mut in_header = true;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("# conformance:") {
            let parsed = parse_flag(rest.trim()).map_err(|e| format!("line {}: {e}", i + 1))?;
            if in_header {
                flags.file.push(parsed);
            } else {
                pending.push(parsed);
            }
        } else if line.is_empty() || line.starts_with('#') {
        } else if let Some(rest) = line.strip_prefix("test \"") {
            in_header = false;
            let name = rest.split('"').next().unwrap_or_default().to_string();
            flags.tests.entry(name).or_default().append(&mut pending);
        } else {
            in_header = false;
        }
    }
    if pending.is_empty() {
        Ok(flags)
    } else {
        Err("a `# conformance:` flag is followed by no test".into())
    }
}

/// `skip aot "reason"` or `diverges jit "reason"`.
fn parse_flag(text: &str) -> Result<(String, Flag, String), String> {
    let (word, rest) = text
        .split_once(' ')
        .ok_or("expected `skip|diverges BACKEND \"reason\"`")?;
    let flag = match word {
        "skip" => Flag::Skip,
        "diverges" => Flag::Diverges,
        other => {
            return Err(format!(
                "unknown flag `{other}`: expected `skip` or `diverges`"
            ));
        }
    };
    let (backend, reason) = rest.trim().split_once(' ').ok_or("a flag needs a reason")?;
    if !BACKENDS[1..].contains(&backend) {
        return Err(format!(
            "unknown backend `{backend}`: expected `jit` or `aot`"
        ));
    }
    let reason = reason.trim();
    if reason.len() < 3 || !reason.starts_with('"') || !reason.ends_with('"') {
        return Err("a flag's reason is a quoted sentence".into());
    }
    Ok((
        backend.to_string(),
        flag,
        reason.trim_matches('"').to_string(),
    ))
}

/// The case files, sorted.
fn case_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|x| x == "bylaw") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(Path::new("../tests/conformance"), &mut files);
    files.sort();
    files
}

/// Where a divergence happened, for its message.
struct Place<'a> {
    file: &'a str,
    test: &'a str,
    backend: &'static str,
}

fn value_text(program: &Program, def: bylaw_compiler::ir::DefId, v: &Value) -> String {
    let def = program.def(def);
    bylaw_compiler::format::human_in(program, def.ty, def.unit, v)
}

fn error_text(program: &Program, e: &EvalError) -> String {
    let def = e.def.map_or("?", |d| program.def(d).name.as_str());
    format!("error `{}` in `{def}`: {}", e.code(), e.detail)
}

fn row_text(program: &Program, row: &RowResult) -> String {
    match row {
        Ok(values) => program
            .outputs
            .iter()
            .zip(values)
            .map(|(d, v)| format!("{} = {}", program.def(*d).name, value_text(program, *d, v)))
            .collect::<Vec<_>>()
            .join(", "),
        Err(e) => error_text(program, e),
    }
}

/// The differences of `row` from the test's expectations.
fn against_expectations(program: &Program, case: &TestCase, row: &RowResult) -> Vec<String> {
    let mut out = Vec::new();
    let expected_error = case.expects.iter().find_map(|e| match e {
        Expect::Error { code, within, .. } => Some((code, within)),
        Expect::Value { .. } => None,
    });
    match (expected_error, row) {
        (Some((code, within)), Err(e)) => {
            if e.code() != code || within.is_some_and(|w| e.def != Some(w)) {
                out.push(format!(
                    "expected error `{code}`{}, got {}",
                    within
                        .map(|w| format!(" in `{}`", program.def(w).name))
                        .unwrap_or_default(),
                    error_text(program, e)
                ));
            }
        }
        (Some((code, _)), Ok(_)) => out.push(format!(
            "expected error `{code}`, got values: {}",
            row_text(program, row)
        )),
        (None, Err(e)) => out.push(format!("expected values, got {}", error_text(program, e))),
        (None, Ok(values)) => {
            for e in &case.expects {
                let Expect::Value { def, value, .. } = e else {
                    continue;
                };
                let got = program
                    .outputs
                    .iter()
                    .position(|d| d == def)
                    .and_then(|i| values.get(i));
                if got != Some(value) {
                    out.push(format!(
                        "`{}`: expected {}, got {}",
                        program.def(*def).name,
                        value_text(program, *def, value),
                        got.map_or("nothing".into(), |g| value_text(program, *def, g))
                    ));
                }
            }
        }
    }
    out
}

/// The differences of a backend's rows from the interpreter's, one line per household
/// and definition.
fn against_oracle(program: &Program, backend: &[RowResult], oracle: &[RowResult]) -> Vec<String> {
    let mut out = Vec::new();
    if backend.len() != oracle.len() {
        out.push(format!(
            "{} households evaluated, the interpreter evaluated {}",
            backend.len(),
            oracle.len()
        ));
    }
    let root = program
        .schema
        .root_entity()
        .map_or("household", |e| e.name.as_str());
    for (i, (got, want)) in backend.iter().zip(oracle).enumerate() {
        let household = format!("{root} {} (row {i})", i + 1);
        match (got, want) {
            (Ok(a), Ok(b)) => {
                for ((d, x), y) in program.outputs.iter().zip(a).zip(b) {
                    if x != y {
                        out.push(format!(
                            "{household}: `{}` = {}, the interpreter gives {}",
                            program.def(*d).name,
                            value_text(program, *d, x),
                            value_text(program, *d, y)
                        ));
                    }
                }
            }
            (a, b) if a != b => out.push(format!(
                "{household}: {}; the interpreter gives {}",
                row_text(program, a),
                row_text(program, b)
            )),
            _ => {}
        }
    }
    out
}

/// Runs one test through one backend; returns whether it ran, and pushes any failure.
fn run_backend(
    backend: BackendKind,
    program: &Program,
    case: &TestCase,
    oracle: &[RowResult],
    flag: Option<(Flag, &str)>,
    place: &Place,
    failures: &mut Vec<String>,
) -> bool {
    let at = format!("{}: test \"{}\": {}", place.file, place.test, place.backend);
    let rows = match (evaluate(backend, program, case), flag) {
        (Err(_), Some((Flag::Skip, _))) => return false,
        (Ok(_), Some((Flag::Skip, why))) => {
            failures.push(format!(
                "{at}: flagged `skip {} \"{why}\"` but it runs the program: remove the flag",
                place.backend
            ));
            return true;
        }
        (Err(why), _) => {
            failures.push(format!("{at}: declined the program: {why}"));
            return false;
        }
        (Ok(rows), _) => rows,
    };
    let mut problems = against_oracle(program, &rows, oracle);
    let row = rows.get(case.row).cloned();
    match &row {
        Some(row) => {
            for p in against_expectations(program, case, row) {
                problems.push(format!("household {} (the tested row): {p}", case.row + 1));
            }
        }
        None => problems.push(format!("no result for row {}", case.row)),
    }
    match flag {
        Some((Flag::Diverges, why)) if problems.is_empty() => failures.push(format!(
            "{at}: flagged `diverges {} \"{why}\"` but agrees: remove the flag",
            place.backend
        )),
        Some((Flag::Diverges, _)) => {}
        _ => failures.extend(problems.into_iter().map(|p| format!("{at}: {p}"))),
    }
    true
}

/// The batches of several one-household tests as one batch, households in order.
fn concatenate(program: &Program, batches: &[&Batch]) -> Batch {
    let mut out = batches[0].clone();
    for next in &batches[1..] {
        // Offsets point into the child entity's rows: shift them by its length so far.
        let lens: Vec<usize> = out.entities.iter().map(|e| e.len).collect();
        for (id, (rows, more)) in out.entities.iter_mut().zip(&next.entities).enumerate() {
            let relations = &program.schema.entities[id].relations;
            for ((offsets, extra), relation) in
                rows.children.iter_mut().zip(&more.children).zip(relations)
            {
                let base = lens[relation.child.0 as usize] as u32;
                offsets.0.extend(extra.0.iter().skip(1).map(|o| o + base));
            }
            for (column, extra) in rows.columns.iter_mut().zip(&more.columns) {
                match (column, extra) {
                    (Column::Int(a), Column::Int(b)) => a.extend_from_slice(b),
                    (Column::Bool(a), Column::Bool(b)) => a.extend_from_slice(b),
                    (Column::Date(a), Column::Date(b)) => a.extend_from_slice(b),
                    (Column::Enum(a), Column::Enum(b)) => a.extend_from_slice(b),
                    (Column::Text(a), Column::Text(b)) => a.extend_from_slice(b),
                    _ => panic!("columns of different kinds"),
                }
            }
            rows.keys.extend_from_slice(&more.keys);
            rows.source_rows.extend_from_slice(&more.source_rows);
            rows.len += more.len;
        }
    }
    out
}

/// Every one-household test of a file at one date, evaluated together in one batch: the
/// kernels loop over rows and keep state between them (memos, prefix sums), which a
/// one-household batch never shows. Each backend must give each household what the
/// interpreter gave it alone (the interpreter too, which checks the concatenation).
/// Returns how many households were evaluated together.
fn run_together(
    backends: &[BackendKind],
    program: &Program,
    flags: &Flags,
    file: &str,
    alone: &[(&TestCase, RowResult)],
    failures: &mut Vec<String>,
) -> usize {
    let mut dates: BTreeMap<i32, Vec<&(&TestCase, RowResult)>> = BTreeMap::new();
    for entry in alone.iter().filter(|(case, _)| case.batch.root_len() == 1) {
        dates.entry(entry.0.date).or_default().push(entry);
    }
    let mut households = 0;
    for (date, group) in dates.into_iter().filter(|(_, g)| g.len() > 1) {
        households += group.len();
        let batches: Vec<&Batch> = group.iter().map(|(case, _)| &case.batch).collect();
        let together = TestCase {
            batch: concatenate(program, &batches),
            ..group[0].0.clone()
        };
        let expected: Vec<RowResult> = group.iter().map(|(_, row)| row.clone()).collect();
        let at = format!(
            "{file}: the {} households of the tests at {} in one batch",
            group.len(),
            bylaw_runtime::date::format_date(date)
        );
        for backend in backends {
            if group
                .iter()
                .any(|(case, _)| flags.get(&case.name, flag_name(*backend)).is_some())
            {
                continue;
            }
            match evaluate(*backend, program, &together) {
                Err(why) => {
                    failures.push(format!("{at}: {}: declined: {why}", flag_name(*backend)))
                }
                Ok(rows) => {
                    for p in against_oracle(program, &rows, &expected) {
                        failures.push(format!("{at}: {}: {p}", flag_name(*backend)));
                    }
                }
            }
        }
    }
    households
}

#[test]
fn every_conformance_case_agrees_on_every_backend() {
    let backends = BackendKind::ALL;
    let mut failures = Vec::new();
    let mut cases = 0;
    let mut together = 0;
    let mut ran: BTreeMap<&str, usize> = BTreeMap::new();
    let mut skipped: BTreeMap<&str, usize> = BTreeMap::new();
    for file in case_files() {
        let name = file.display().to_string();
        let name = name.trim_start_matches("../");
        let text = std::fs::read_to_string(&file).unwrap();
        let flags = match parse_flags(&text) {
            Ok(flags) => flags,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        let compiled = bylaw_compiler::compile_file(&file);
        let program = match compiled.program {
            Some(p) if !compiled.has_errors() => p,
            _ => {
                failures.push(format!(
                    "{name}: does not compile: {:?}",
                    compiled.diagnostics
                ));
                continue;
            }
        };
        if program.tests.is_empty() {
            failures.push(format!("{name}: a case file without a test"));
        }
        for unknown in flags.tests.keys() {
            if !program.tests.iter().any(|t| &t.name == unknown) {
                failures.push(format!(
                    "{name}: a flag names test \"{unknown}\", which is not in the file"
                ));
            }
        }
        // The interpreter's own test runner (`bylaw test`) must pass the file too.
        for outcome in bylaw_compiler::testing::run(&program) {
            for f in &outcome.failures {
                failures.push(format!(
                    "{name}: test \"{}\": bylaw test: {}",
                    outcome.name, f.message
                ));
            }
        }
        let before = failures.len();
        let mut alone = Vec::new();
        for case in &program.tests {
            cases += 1;
            let oracle = evaluate(BackendKind::Interpreter, &program, case).unwrap();
            if let Some(row) = oracle.first() {
                alone.push((case, row.clone()));
            }
            for backend in backends {
                let place = Place {
                    file: name,
                    test: &case.name,
                    backend: flag_name(backend),
                };
                let flag = flags.get(&case.name, flag_name(backend));
                let counter = if run_backend(
                    backend,
                    &program,
                    case,
                    &oracle,
                    flag,
                    &place,
                    &mut failures,
                ) {
                    &mut ran
                } else {
                    &mut skipped
                };
                *counter.entry(flag_name(backend)).or_default() += 1;
            }
        }
        together += run_together(&backends, &program, &flags, name, &alone, &mut failures);
        if failures.len() > before {
            let mut listing = format!("{name}: the program's IR:\n");
            for line in program.listing().lines() {
                let _ = writeln!(listing, "    {line}");
            }
            failures.push(listing);
        }
    }
    assert!(
        failures.is_empty(),
        "{} conformance failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        cases >= 150,
        "expected at least 150 conformance cases, found {cases}"
    );
    assert_eq!(ran.get("interpreter"), Some(&cases), "{ran:?} of {cases}");
    assert!(
        together * 10 >= cases * 8,
        "only {together} of {cases} households were also evaluated in shared batches"
    );
    for backend in ["jit", "aot"] {
        let count = |m: &BTreeMap<&str, usize>| m.get(backend).copied().unwrap_or(0);
        assert_eq!(
            count(&ran) + count(&skipped),
            cases,
            "{backend}: ran {ran:?}, skipped {skipped:?}, of {cases}"
        );
    }
    assert!(
        ran.get("aot").copied().unwrap_or(0) * 10 >= cases * 9,
        "AOT ran {ran:?} of {cases}"
    );
}

#[test]
fn flags_are_read_for_the_file_and_for_the_next_test() {
    let text = "# conformance: skip aot \"no text\"\n# A header.\n\nentity h { x: count }\n\n\
        # conformance: diverges jit \"known\"\ntest \"one\" at 2024-01-01 {\n}\n\
        test \"two\" at 2024-01-01 {\n}\n";
    let flags = parse_flags(text).unwrap();
    assert_eq!(flags.get("one", "aot"), Some((Flag::Skip, "no text")));
    assert_eq!(flags.get("one", "jit"), Some((Flag::Diverges, "known")));
    assert_eq!(flags.get("two", "jit"), None);
    assert_eq!(flags.get("two", "aot"), Some((Flag::Skip, "no text")));
    for bad in [
        "# conformance: skip llvm \"x\"\n",
        "# conformance: ignore aot \"x\"\n",
        "# conformance: skip aot\n",
        "# conformance: skip aot no quotes\n",
        "entity h { x: count }\n# conformance: skip aot \"dangling\"\n",
    ] {
        assert!(parse_flags(bad).is_err(), "{bad}");
    }
}
