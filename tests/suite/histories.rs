//! Nansha's two residence rules written twice — from month counts entered by hand
//! (`nansha_nonlocal_dibao.bylaw`) and from dated residence records
//! (`nansha_residence_records.bylaw`) — agree on the same people: random records,
//! application and review dates; the month counts of the first policy are counted day
//! by day from the records, and both policies' `resident` and `stopped` compared.

use std::fmt::Write as _;
use std::path::Path;

use bylaw_compiler::interp::Evaluator;
use bylaw_compiler::ir::Value;
use bylaw_runtime::date::{format_date, months_between, parse_date};
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Stay {
    from: i32,
    until: Option<i32>,
    in_nansha: bool,
}

#[derive(Debug, Clone)]
struct Person {
    local: bool,
    applied_on: i32,
    stays: Vec<Stay>,
}

fn base() -> i32 {
    parse_date("2019-01-01").unwrap()
}

fn stay() -> impl Strategy<Value = Stay> {
    (
        0..1600i32,
        proptest::option::weighted(0.7, 0..500i32),
        prop::bool::weighted(0.7),
    )
        .prop_map(|(start, length, in_nansha)| Stay {
            from: base() + start,
            until: length.map(|l| base() + start + l),
            in_nansha,
        })
}

fn person() -> impl Strategy<Value = Person> {
    (
        prop::bool::weighted(0.2),
        0..1800i32,
        proptest::collection::vec(stay(), 0..6),
    )
        .prop_map(|(local, applied, stays)| Person {
            local,
            applied_on: base() + applied,
            stays,
        })
}

/// Whole months of the unbroken run of days before `day` on which some stay kept by
/// `keep` was going on, counted one day at a time.
fn months_before(p: &Person, keep: impl Fn(&Stay) -> bool, day: i32) -> i64 {
    let covered = |d: i32| {
        p.stays
            .iter()
            .any(|s| keep(s) && s.from <= d && s.until.is_none_or(|u| d <= u))
    };
    if !covered(day - 1) {
        return 0;
    }
    let mut first = day - 1;
    while covered(first - 1) {
        first -= 1;
    }
    months_between(first, day)
}

fn outputs(policy: &str, files: &[(&str, String)], date: i32) -> Vec<(bool, bool)> {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let compiled = bylaw_compiler::compile_file(Path::new(policy));
    let program = compiled.program.unwrap();
    let (root, children) = files.split_first().unwrap();
    let children: Vec<(String, std::path::PathBuf)> = children
        .iter()
        .map(|(name, _)| {
            (
                name.trim_end_matches(".csv").to_string(),
                dir.path().join(name),
            )
        })
        .collect();
    let batch =
        bylaw_runtime::input::read_csv(&program.schema, &dir.path().join(root.0), &children)
            .unwrap();
    let index = |name: &str| {
        program
            .outputs
            .iter()
            .position(|d| program.def(*d).name == name)
            .unwrap()
    };
    let (resident, stopped) = (index("resident"), index("stopped"));
    Evaluator::new(&program, date)
        .eval_rows(&batch, 0..batch.root_len())
        .into_iter()
        .map(|r| {
            let values = r.unwrap();
            (
                values[resident] == Value::Bool(true),
                values[stopped] == Value::Bool(true),
            )
        })
        .collect()
}

fn check(people: &[Person], review: i32) -> Result<(), TestCaseError> {
    let hukou = |p: &Person| if p.local { "local" } else { "other_city" };
    let mut counted = String::from("id,city,hukou,residence,months_away\n");
    let mut members = String::from("household_id,income,age\n");
    let mut households = String::from("id,hukou,applied_on\n");
    let mut stays = String::from("household_id,started_on,ended_on,place\n");
    for (i, p) in people.iter().enumerate() {
        let residence = months_before(p, |s| s.in_nansha, p.applied_on);
        let away = months_before(p, |s| !s.in_nansha, review);
        writeln!(counted, "p{i},nansha,{},{residence},{away}", hukou(p)).unwrap();
        writeln!(members, "p{i},500,40").unwrap();
        writeln!(
            households,
            "p{i},{},{}",
            hukou(p),
            format_date(p.applied_on)
        )
        .unwrap();
        for s in &p.stays {
            let until = s.until.map(format_date).unwrap_or_default();
            let place = if s.in_nansha { "nansha" } else { "shunde" };
            writeln!(stays, "p{i},{},{until},{place}", format_date(s.from)).unwrap();
        }
    }
    let by_counts = outputs(
        "../policies/guangdong/nansha_nonlocal_dibao.bylaw",
        &[("households.csv", counted), ("members.csv", members)],
        review,
    );
    let by_records = outputs(
        "../policies/guangdong/nansha_residence_records.bylaw",
        &[("households.csv", households), ("stays.csv", stays)],
        review,
    );
    for ((p, a), b) in people.iter().zip(&by_counts).zip(&by_records) {
        prop_assert_eq!(a, b, "{:?} reviewed on {}", p, format_date(review));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(64),
        ..ProptestConfig::default()
    })]

    #[test]
    fn residence_rules_from_records_agree_with_month_counts(
        people in proptest::collection::vec(person(), 1..12),
        review in 0..800i32,
    ) {
        // Reviews from the guideline's first month, when its standard is in force.
        check(&people, parse_date("2022-12-01").unwrap() + review)?;
    }
}
