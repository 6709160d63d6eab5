//! History functions against a day-by-day oracle: random records (overlapping, touching,
//! open, in any order) put in order as the readers do, then `continuous_months`,
//! `longest_months` and `days_within` from the interpreter compared with days counted one
//! by one, and the JIT and the AOT object compared with the interpreter.

use bylaw_compiler::interp::Evaluator;
use bylaw_compiler::ir::Value;
use bylaw_runtime::batch::{Batch, Column, EntityRows, Offsets};
use bylaw_runtime::date::{NO_DATE, months_between, parse_date};
use bylaw_runtime::schema::EntityId;
use proptest::prelude::*;
use proptest::strategy::ValueTree;

use super::differential::{assert_same, assert_same_aot};

const PROGRAM: &str = r#"
enum place {
  nansha "南沙区"
  panyu "番禺区"
}

entity person {
  id: text key
  d: date
  first: date
  last: date
  stays: many stay
}

entity stay from started_on until ended_on {
  started_on: date
  ended_on: date default none
  at: place
}

let continuous
  = continuous_months(stays where at == place.nansha, d)

let longest
  = longest_months(stays where at == place.nansha, d)

let within
  = days_within(stays where at == place.nansha, first, last)

let continuous_anywhere
  = continuous_months(stays, d)
"#;

#[derive(Debug, Clone)]
struct Record {
    from: i32,
    until: Option<i32>,
    nansha: bool,
}

#[derive(Debug, Clone)]
struct Person {
    d: i32,
    first: i32,
    last: i32,
    records: Vec<Record>,
}

fn base() -> i32 {
    parse_date("2019-01-01").unwrap()
}

fn record() -> impl Strategy<Value = Record> {
    (
        0..1500i32,
        proptest::option::weighted(0.8, 0..400i32),
        any::<bool>(),
    )
        .prop_map(|(start, length, nansha)| Record {
            from: base() + start,
            until: length.map(|l| base() + start + l),
            nansha,
        })
}

fn person() -> impl Strategy<Value = Person> {
    (
        0..1800i32,
        0..1800i32,
        -5..400i32,
        proptest::collection::vec(record(), 0..7),
    )
        .prop_map(|(d, first, span, records)| Person {
            d: base() + d,
            first: base() + first,
            last: base() + first + span,
            records,
        })
}

/// Is `day` covered by a record that `keep` keeps?
fn covered(p: &Person, keep: fn(&Record) -> bool, day: i32) -> bool {
    p.records
        .iter()
        .any(|r| keep(r) && r.from <= day && r.until.is_none_or(|u| day <= u))
}

/// The three folds, counted day by day.
fn oracle(p: &Person, keep: fn(&Record) -> bool) -> (i64, i64, i64) {
    let continuous = if covered(p, keep, p.d - 1) {
        let mut s = p.d - 1;
        while covered(p, keep, s - 1) {
            s -= 1;
        }
        months_between(s, p.d)
    } else {
        0
    };
    let mut longest = 0;
    let mut run: Option<i32> = None;
    for day in base()..=p.d {
        match (run, day < p.d && covered(p, keep, day)) {
            (None, true) => run = Some(day),
            (Some(s), false) => {
                longest = longest.max(months_between(s, day));
                run = None;
            }
            _ => {}
        }
    }
    let within = (p.first..=p.last)
        .filter(|day| covered(p, keep, *day))
        .count() as i64;
    (continuous, longest, within)
}

fn batch(people: &[Person]) -> Batch {
    let n = people.len();
    let dates = |f: fn(&Person) -> i32| Column::Date(people.iter().map(f).collect());
    let records: Vec<&Record> = people.iter().flat_map(|p| &p.records).collect();
    let mut offsets = vec![0u32];
    for p in people {
        offsets.push(offsets.last().unwrap() + p.records.len() as u32);
    }
    let m = records.len();
    Batch {
        entities: vec![
            EntityRows {
                len: n,
                columns: vec![
                    Column::Text((0..n).map(|i| format!("p{i}")).collect()),
                    dates(|p| p.d),
                    dates(|p| p.first),
                    dates(|p| p.last),
                ],
                keys: (0..n).map(|i| format!("p{i}")).collect(),
                source_rows: (0..n as u32).map(|i| i + 2).collect(),
                children: vec![Offsets(offsets)],
            },
            EntityRows {
                len: m,
                columns: vec![
                    Column::Date(records.iter().map(|r| r.from).collect()),
                    Column::Date(records.iter().map(|r| r.until.unwrap_or(NO_DATE)).collect()),
                    Column::Enum(records.iter().map(|r| u32::from(!r.nansha)).collect()),
                ],
                keys: (0..m).map(|i| (i + 1).to_string()).collect(),
                source_rows: (0..m as u32).map(|i| i + 2).collect(),
                children: vec![],
            },
        ],
        root: EntityId(0),
    }
}

fn check(people: &[Person], aot: bool) -> Result<(), TestCaseError> {
    let compiled = bylaw_compiler::compile_text("histories.bylaw", PROGRAM);
    prop_assert!(!compiled.has_errors(), "{:?}", compiled.diagnostics);
    let program = compiled.program.unwrap();
    let mut b = batch(people);
    bylaw_runtime::history::order_records(&program.schema, &mut b);
    b.check(&program.schema).unwrap();
    let date = parse_date("2024-01-01").unwrap();
    let got = Evaluator::new(&program, date).eval_rows(&b, 0..people.len());
    for (p, got) in people.iter().zip(got) {
        let values = got.unwrap();
        let (continuous, longest, within) = oracle(p, |r| r.nansha);
        let (anywhere, _, _) = oracle(p, |_| true);
        let expected = vec![
            Value::Int(continuous),
            Value::Int(longest),
            Value::Int(within),
            Value::Int(anywhere),
        ];
        prop_assert_eq!(values, expected, "{:?}", p);
    }
    assert_same(&program, date, &b, "histories");
    if aot {
        prop_assert!(assert_same_aot(&program, date, &b, "histories"));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256),
        ..ProptestConfig::default()
    })]

    #[test]
    fn histories_agree_with_days_counted_one_by_one(
        people in proptest::collection::vec(person(), 1..8),
    ) {
        check(&people, false)?;
    }
}

#[test]
fn the_aot_object_folds_histories_as_the_interpreter_does() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    for _ in 0..4 {
        let people = proptest::collection::vec(person(), 1..8)
            .new_tree(&mut runner)
            .unwrap()
            .current();
        check(&people, true).unwrap();
    }
}

#[test]
fn a_compiled_library_refuses_records_out_of_order() {
    use bylaw_codegen::LoadedPolicy;
    use bylaw_runtime::native::library::Refused;
    let program = bylaw_compiler::compile_text("histories.bylaw", PROGRAM)
        .program
        .unwrap();
    let date = parse_date("2024-01-01").unwrap();
    let aot = LoadedPolicy::build(&program, date).unwrap();
    let library = aot.library();
    let day = |s: &str| parse_date(s).unwrap();
    let nansha = bylaw_runtime::native::keys::fnv1a32(b"nansha");
    let (d, first, last) = (
        [day("2023-08-01")],
        [day("2023-01-01")],
        [day("2023-12-31")],
    );
    let places = [nansha, nansha];
    let offsets = [0u32, 2];
    let months = |from: &[i32], until: &[i32]| -> Result<i64, Refused> {
        let mut input = library.input(&[1, 2]);
        input
            .date("person.d", &d)?
            .date("person.first", &first)?
            .date("person.last", &last)?
            .date("stay.started_on", from)?
            .date("stay.ended_on", until)?
            .keys("stay.at", &places)?
            .offsets(0, &offsets)?;
        let checked = library.check(input)?;
        let (mut outputs, mut errors, mut failures) = (Vec::new(), Vec::new(), Vec::new());
        checked.eval(0..1, &mut outputs, &mut errors, &mut failures)?;
        Ok(outputs[0].get(0).unwrap())
    };
    let from = [day("2021-08-01"), day("2023-01-01")];
    let until = [day("2022-12-31"), NO_DATE];
    assert_eq!(months(&from, &until), Ok(24));
    // The same records the other way round: refused, not folded wrongly.
    let (from_back, until_back) = ([from[1], from[0]], [until[1], until[0]]);
    assert_eq!(months(&from_back, &until_back), Err(Refused::Batch));
    // A record that ends before it starts.
    assert_eq!(
        months(&from, &[day("2021-07-31"), NO_DATE]),
        Err(Refused::Batch)
    );
}
