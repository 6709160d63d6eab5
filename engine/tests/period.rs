//! Evaluation over a period: each month on its first day with what is in force then,
//! monthly amounts summed, rules counted in months held, other outputs as in the last
//! month; a household failing in any month is an error naming that month. Every
//! backend gives the same table.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use bylaw_compiler::ir::Value;
use bylaw_engine::period::{Combine, evaluate_period};
use bylaw_engine::{BackendKind, DataFiles, OutputFormat, Policy, RunOptions};
use bylaw_runtime::period::Period;

/// A monthly allowance whose rate rises on 1 July and ends on 1 November, paid from the
/// month after a person's start date.
const POLICY: &str = r#"
entity person {
  id: text key
  start: date
}
parameter rate: money per month {
  100 元 from 2024-01-01 assumed "test"
  120.50 元 from 2024-07-01 assumed "test"
  none from 2024-11-01 assumed "test"
}
rule paid = evaluation_date >= next_month_start(start)
amount allowance: money per month = if paid then rate else 0 元
let last_start = start
"#;

fn table(backend: BackendKind, period: &str, data: &str) -> bylaw_engine::period::PeriodTable {
    let policy = Policy::from_text("period.bylaw", POLICY).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("people.csv");
    std::fs::write(&path, data).unwrap();
    let options = RunOptions {
        backend,
        ..RunOptions::default()
    };
    evaluate_period(
        &policy,
        &Period::parse(period).unwrap(),
        &DataFiles::new(&path),
        &options,
    )
    .unwrap()
}

const PEOPLE: &str = "id,start\na,2023-12-15\nb,2024-05-10\nc,2024-09-30\n";

#[test]
fn a_mid_year_rate_change_is_summed_month_by_month() {
    let t = table(BackendKind::Jit, "2024-Q2", PEOPLE);
    let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["paid_months", "allowance", "last_start"]);
    assert_eq!(
        t.columns.iter().map(|c| c.combine).collect::<Vec<_>>(),
        [Combine::MonthsHeld, Combine::Sum, Combine::LastMonth]
    );
    // April–June at 100 元; b starts in May, so is paid from June.
    let a = t.rows[0].as_ref().unwrap();
    assert_eq!(a[0], Value::Int(3));
    assert_eq!(a[1], Value::Int(300 * 10_000));
    let b = t.rows[1].as_ref().unwrap();
    assert_eq!(
        (b[0].clone(), b[1].clone()),
        (Value::Int(1), Value::Int(100 * 10_000))
    );

    // July–October at 120.50 元: the rise is in force from its month.
    let t = table(BackendKind::Jit, "2024-Q3", PEOPLE);
    let a = t.rows[0].as_ref().unwrap();
    assert_eq!(a[1], Value::Int(3 * 1_205_000));
    // c starts on 30 September: paid from October, outside the third quarter.
    let c = t.rows[2].as_ref().unwrap();
    assert_eq!((c[0].clone(), c[1].clone()), (Value::Int(0), Value::Int(0)));
    // Month totals: three households, the allowance summed over those paid.
    assert_eq!(t.months.len(), 3);
    assert_eq!(t.months[0].totals[1], Some(2 * 1_205_000));
    assert_eq!(t.months[0].totals[0], Some(2));
}

#[test]
fn a_month_without_a_rate_fails_the_household_and_names_the_month() {
    let t = table(BackendKind::Jit, "2024", PEOPLE);
    assert_eq!(t.failed(), 3);
    let e = t.rows[0].as_ref().unwrap_err();
    assert_eq!(e.month.to_string(), "2024-11-01");
    let policy = Policy::from_text("period.bylaw", POLICY).unwrap();
    let mut out = Vec::new();
    t.write(policy.program(), OutputFormat::Csv, &mut out)
        .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.starts_with("id,error,error_in,paid_months,allowance,last_start\n"),
        "{text}"
    );
    assert!(text.contains("a,2024-11-01: "), "{text}");
    // A period before the rate ends is fine.
    let t = table(BackendKind::Interpreter, "2024-Q1", PEOPLE);
    assert_eq!(t.failed(), 0);
}

#[test]
fn every_backend_gives_the_same_table() {
    for period in ["2024-Q2", "2024-Q3", "2024", "2024-07"] {
        let jit = table(BackendKind::Jit, period, PEOPLE);
        let interp = table(BackendKind::Interpreter, period, PEOPLE);
        let aot = table(BackendKind::Aot, period, PEOPLE);
        assert_eq!(jit.rows, interp.rows, "{period}");
        assert_eq!(aot.rows, interp.rows, "{period}");
        assert_eq!(jit.months, interp.months, "{period}");
    }
}

#[test]
fn a_sum_beyond_the_range_of_money_is_an_overflow_for_that_household() {
    let policy = Policy::from_text(
        "big.bylaw",
        "entity person {\n  id: text key\n  m: money per month\n}\namount paid: money per month = m\n",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.csv");
    std::fs::write(&path, "id,m\nbig,900000000000000\nsmall,1\n").unwrap();
    let t = evaluate_period(
        &policy,
        &Period::parse("2024").unwrap(),
        &DataFiles::new(&path),
        &RunOptions::default(),
    )
    .unwrap();
    let e = t.rows[0].as_ref().unwrap_err();
    assert_eq!(e.error.code(), "overflow");
    assert_eq!(t.rows[1].as_ref().unwrap()[0], Value::Int(12 * 10_000));
}
