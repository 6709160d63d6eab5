//! Running a policy's `test` blocks with the interpreter.

use crate::format::human_in;
use crate::interp::Evaluator;
use crate::ir::{Expect, Program, TestCase};

/// One failed expectation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// What was expected, what came out, and which definition produced it.
    pub message: String,
    pub span: bylaw_grammar::Span,
}

/// The outcome of one test block.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub name: String,
    pub file: bylaw_grammar::FileId,
    pub span: bylaw_grammar::Span,
    pub failures: Vec<Failure>,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Runs every test of `program`.
pub fn run(program: &Program) -> Vec<Outcome> {
    program
        .tests
        .iter()
        .map(|t| run_one(program, t))
        .chain(
            program
                .comply
                .tests
                .iter()
                .map(|t| crate::comply::testing::run_one(program, t)),
        )
        .collect()
}

/// The evaluator a test runs with: at its date, and for a yearly table with each row
/// linked to the region's previous year (`x[last year]`).
pub fn evaluator<'p>(program: &'p Program, test: &TestCase) -> Evaluator<'p> {
    let evaluator = Evaluator::new(program, test.date);
    match crate::years::yearly_columns(program) {
        Some(cols) => {
            evaluator.with_previous_rows(crate::years::previous_rows(&test.batch, cols).0)
        }
        None => evaluator,
    }
}

fn run_one(program: &Program, test: &TestCase) -> Outcome {
    let evaluator = evaluator(program, test);
    let mut failures = Vec::new();
    let def_name =
        |d: Option<crate::ir::DefId>| d.map_or("?".to_string(), |d| program.def(d).name.clone());
    for expect in &test.expects {
        match expect {
            Expect::Value { def, value, span } => {
                let d = program.def(*def);
                match evaluator.eval_one(&test.batch, test.row, *def) {
                    Ok(actual) if actual == *value => {}
                    Ok(actual) => failures.push(Failure {
                        message: format!(
                            "`{}`: expected {}, got {}{}",
                            d.name,
                            human_in(program, d.ty, d.unit, value),
                            human_in(program, d.ty, d.unit, &actual),
                            produced_by(program, *def)
                        ),
                        span: *span,
                    }),
                    Err(e) => failures.push(Failure {
                        message: format!(
                            "`{}`: expected {}, but evaluation failed with `{}` in `{}`: {}",
                            d.name,
                            human_in(program, d.ty, d.unit, value),
                            e.code(),
                            def_name(e.def),
                            e.detail
                        ),
                        span: *span,
                    }),
                }
            }
            Expect::Error { code, within, span } => {
                match evaluator.eval_root(&test.batch, test.row) {
                    Err(e) if e.code() == code && (within.is_none() || *within == e.def) => {}
                    Err(e) => failures.push(Failure {
                        message: format!(
                            "expected error `{code}`{}, got `{}` in `{}`: {}",
                            within
                                .map(|w| format!(" in `{}`", program.def(w).name))
                                .unwrap_or_default(),
                            e.code(),
                            def_name(e.def),
                            e.detail
                        ),
                        span: *span,
                    }),
                    Ok(_) => failures.push(Failure {
                        message: format!("expected error `{code}`, but every output was computed"),
                        span: *span,
                    }),
                }
            }
        }
    }
    Outcome {
        name: test.name.clone(),
        file: test.file,
        span: test.span,
        failures,
    }
}

/// " (from `benefit`, or its exception `case_by_case`)" — which rule produced a value.
fn produced_by(program: &Program, def: crate::ir::DefId) -> String {
    let d = program.def(def);
    if d.exceptions.is_empty() {
        format!(" (computed by `{}`)", d.name)
    } else {
        let names: Vec<String> = d.exceptions.iter().filter_map(|x| x.name.clone()).collect();
        format!(
            " (computed by `{}` or its exceptions {})",
            d.name,
            names.join(", ")
        )
    }
}
