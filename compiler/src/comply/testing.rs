//! Running compliance tests: the test's register and log through [`super::run::run`], and
//! each expectation compared with the outcome of its row (and part).

use super::run::{IssueKind, Status, run};
use super::spec::{ComplyTest, Expected};
use super::words;
use crate::explain::Lang;
use crate::ir::Program;
use crate::testing::{Failure, Outcome};

fn expected_text(e: Expected) -> &'static str {
    match e {
        Expected::Met => "met",
        Expected::Missed => "missed",
        Expected::NotApplicable => "not_applicable",
        Expected::OutOfScope => "out_of_scope",
        Expected::Light(c) => c.as_str(),
    }
}

/// Runs one compliance test.
pub(crate) fn run_one(program: &Program, test: &ComplyTest) -> Outcome {
    let mut failures = Vec::new();
    match run(program, &test.batch, &test.log, &test.period) {
        Err(e) => failures.push(Failure {
            message: format!("the log cannot be used: {} ({})", e.message, e.help),
            span: test.span,
        }),
        Ok(report) => {
            // A typo in a test's log (an unknown code or key) fails the test; rows outside
            // the period, duplicates and services outside their groups may be the point.
            for x in report.issues.iter().filter(|x| {
                matches!(
                    x.kind,
                    IssueKind::UnknownService | IssueKind::NotInRegister | IssueKind::Unreadable
                )
            }) {
                failures.push(Failure {
                    message: format!("log row {}: {}", x.line.saturating_sub(1), x.message),
                    span: test.span,
                })
            }
            for e in &test.expects {
                let Some(ob) = report.obligations.get(e.obligation) else {
                    continue;
                };
                let obligation = program.comply.obligations.get(e.obligation);
                let name = obligation.map_or("?", |o| o.name.as_str());
                let row = ob.rows.iter().find(|r| r.key == e.key);
                let actual: String = match (row, e.part) {
                    (None, _) => "out_of_scope".into(),
                    (Some(r), _) if r.status == Status::Error => {
                        format!("error ({})", r.error.clone().unwrap_or_default())
                    }
                    (Some(r), None) => match e.outcome {
                        Expected::Light(_) => r.light.map_or("no light", |c| c.as_str()).into(),
                        _ => r.status.as_str().into(),
                    },
                    (Some(r), Some(p)) => r.parts.get(p).map_or("?", |x| x.status.as_str()).into(),
                };
                if actual != expected_text(e.outcome) {
                    let why = match (row, obligation) {
                        (Some(r), Some(o)) => {
                            words::row_reasons(program, o, r, &report.period, Lang::En)
                                .into_iter()
                                .map(|l| format!("; {l}"))
                                .collect::<String>()
                        }
                        _ => String::new(),
                    };
                    let part = e
                        .part
                        .and_then(|p| obligation.and_then(|o| o.parts.get(p)))
                        .map(|p| format!(".{}", p.name))
                        .unwrap_or_default();
                    failures.push(Failure {
                        message: format!(
                            "`{name}{part}` for \"{}\": expected {}, got {actual}{why}",
                            e.key,
                            expected_text(e.outcome)
                        ),
                        span: e.span,
                    });
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
