//! `bylaw bench` compares every engine's checksum of the last output: it must agree
//! whatever that output's type — a rule, a date, an enumeration, or text (skipped for the
//! output before it) — and not only when it is a number.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use bylaw_bench::measure;

fn agree(last: &str) {
    let text = format!(
        "enum level {{\n  low\n  high\n}}\n\nentity household {{\n  income: money default 0 元\n  start: date default 2024-01-01\n  note: text default \"x\"\n}}\n\namount benefit: money = 100 元 - income\n{last}\n\ntest \"a\" at 2024-06-01 {{\n  household {{ income: 30 元, start: 2024-02-03 }}\n}}\n\ntest \"b\" at 2024-06-01 {{\n  household {{ income: 130 元 }}\n}}\n"
    );
    let compiled = bylaw_compiler::compile_text("last.bylaw", &text);
    assert!(!compiled.has_errors(), "{:?}", compiled.diagnostics);
    let program = compiled.program.unwrap();
    for case in &program.tests {
        let report = measure::run_all(&program, case.date, &case.batch, 1, 1)
            .unwrap_or_else(|e| panic!("{last}: {e}"));
        let sums: Vec<_> = report.measurements.iter().map(|m| m.checksum).collect();
        assert!(sums.windows(2).all(|w| w[0] == w[1]), "{last}: {sums:?}");
    }
}

#[test]
fn engines_agree_when_the_last_output_is_a_rule() {
    agree("rule poor = income < 100 元");
}

#[test]
fn engines_agree_when_the_last_output_is_a_date() {
    agree("let since: date = start");
}

#[test]
fn engines_agree_when_the_last_output_is_a_variant() {
    agree("let band: level = if income < 100 元 then level.low else level.high");
}

#[test]
fn engines_agree_when_the_last_output_is_text() {
    agree("let remark: text = note");
}
