//! Generated well-typed programs over random data: the native kernel gives exactly the
//! interpreter's results. A program is generated type first (pick a type, then an
//! expression of that type) as Bylaw text over a fixed schema, so the checker sees it
//! too; data include zeros, negatives and values near the `i64` limits so that
//! divisions by zero, overflows and missing parameters are common. `PROPTEST_CASES`
//! sets the number of cases; shrunk failures are kept in `proptest-regressions/`.

use bylaw_compiler::interp::Evaluator;
use bylaw_runtime::batch::{Batch, Column, EntityRows, Offsets};
use proptest::prelude::*;

use super::differential::{assert_same, assert_same_aot};

const SCHEMA: &str = r#"
enum region { gd "广东" gz "广州" in gd  ns "南沙" in gz  sz "深圳" in gd  hk "香港" }
entity household {
  id: text key
  city: region
  m1: money per month
  m2: money per month
  n1: count
  r1: rate
  d1: months
  b1: bool
  members: many person
}
entity person {
  income: money per month
  age: months
  k: count
  flag: bool
}
parameter std: money per month by region {
  gd: 1000 元 from 2023-01-01 assumed "test"
  gz: 1338.5 元 from 2023-01-01 assumed "test"
  sz: none from 2023-06-01 assumed "test"
}
parameter pr: rate { 3% from 2023-01-01 assumed "test" }
scale tax: marginal over money per month -> rate {
  from 2023-01-01 { 0 元: 10%  1000 元: 20%  3000 元: 30% }
}
scale tier: single over money per month -> money per month {
  from 2023-01-01 { 0 元: 100 元  1000 元: 50 元 }
}
"#;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum T {
    Money,
    Count,
    Bool,
    Rate,
    Months,
}

const TYPES: [T; 5] = [T::Money, T::Count, T::Bool, T::Rate, T::Months];

impl T {
    fn name(self) -> &'static str {
        match self {
            T::Money => "money per month",
            T::Count => "count",
            T::Bool => "bool",
            T::Rate => "rate",
            T::Months => "months",
        }
    }
}

/// Where an expression is written: at the household, or inside an aggregate body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Household,
    Person,
}

fn paren(s: String) -> String {
    format!("({s})")
}

const MODES: [&str; 7] = [
    "up",
    "down",
    "ceiling",
    "floor",
    "half_up",
    "half_down",
    "half_even",
];

/// Leaves of type `t`: fields, literals, parameters, earlier definitions.
fn leaf(t: T, scope: Scope, defs: &[(String, T)]) -> BoxedStrategy<String> {
    let mut options: Vec<BoxedStrategy<String>> = Vec::new();
    let earlier: Vec<String> = defs
        .iter()
        .filter(|(_, dt)| *dt == t)
        .map(|(n, _)| n.clone())
        .collect();
    if !earlier.is_empty() {
        options.push(proptest::sample::select(earlier).boxed());
    }
    let fields: &[&str] = match (t, scope) {
        (T::Money, Scope::Household) => &["m1", "m2"],
        (T::Money, Scope::Person) => &["income", "m1"],
        (T::Count, Scope::Household) => &["n1"],
        (T::Count, Scope::Person) => &["k", "n1"],
        (T::Bool, Scope::Household) => &["b1"],
        (T::Bool, Scope::Person) => &["flag", "b1"],
        (T::Rate, _) => &["r1"],
        (T::Months, Scope::Household) => &["d1"],
        (T::Months, Scope::Person) => &["age", "d1"],
    };
    options.push(
        proptest::sample::select(fields.to_vec())
            .prop_map(str::to_string)
            .boxed(),
    );
    options.push(match t {
        T::Money => prop_oneof![
            (-5000i64..5000).prop_map(|y| format!("{y} 元 per month")),
            (0i64..100_000).prop_map(|y| format!("{}.{:04} 元 per month", y / 10_000, y % 10_000)),
            Just("std[city]".to_string()),
            Just("std[region.hk]".to_string()),
            Just("std[region.sz]".to_string()),
            Just("9.2 万元 per month".to_string()),
        ]
        .boxed(),
        T::Count => prop_oneof![
            (-3i64..10).prop_map(|n| n.to_string()),
            Just("9223372036854775807".to_string())
        ]
        .boxed(),
        T::Bool => prop_oneof![Just("true".to_string()), Just("false".to_string())].boxed(),
        T::Rate => prop_oneof![
            (0i64..2000).prop_map(|p| format!("{}.{}%", p / 10, p % 10)),
            Just("pr".to_string()),
        ]
        .boxed(),
        T::Months => prop_oneof![
            (0i64..40).prop_map(|m| format!("{m} months")),
            (0i64..4).prop_map(|y| format!("{y} years")),
        ]
        .boxed(),
    });
    proptest::strategy::Union::new(options).boxed()
}

/// An expression of type `t`, at most `depth` deep.
fn expr(t: T, depth: u32, scope: Scope, defs: &[(String, T)]) -> BoxedStrategy<String> {
    let base = leaf(t, scope, defs);
    if depth == 0 {
        return base;
    }
    let sub = |t2: T| expr(t2, depth - 1, scope, defs);
    let person = |t2: T| expr(t2, depth - 1, Scope::Person, defs);
    let mut options: Vec<BoxedStrategy<String>> = vec![base];
    // Shared forms: if, min/max.
    options.push(
        (sub(T::Bool), sub(t), sub(t))
            .prop_map(|(c, a, b)| paren(format!("if {c} then {a} else {b}")))
            .boxed(),
    );
    if t != T::Bool {
        options.push(
            (any::<bool>(), sub(t), sub(t))
                .prop_map(|(mx, a, b)| format!("{}({a}, {b})", if mx { "max" } else { "min" }))
                .boxed(),
        );
    }
    match t {
        T::Money => {
            options.push(
                (sub(T::Money), sub(T::Money), any::<bool>())
                    .prop_map(|(a, b, plus)| {
                        paren(format!("{a} {} {b}", if plus { "+" } else { "-" }))
                    })
                    .boxed(),
            );
            options.push(
                (sub(T::Money), sub(T::Count))
                    .prop_map(|(a, b)| paren(format!("{a} * {b}")))
                    .boxed(),
            );
            options.push(
                (sub(T::Money), sub(T::Rate))
                    .prop_map(|(a, b)| paren(format!("{a} * {b}")))
                    .boxed(),
            );
            options.push(
                (sub(T::Money), sub(T::Count))
                    .prop_map(|(a, b)| paren(format!("{a} / {b}")))
                    .boxed(),
            );
            options.push(
                (sub(T::Money), sub(T::Rate))
                    .prop_map(|(a, b)| paren(format!("{a} / {b}")))
                    .boxed(),
            );
            options.push(sub(T::Money).prop_map(|a| paren(format!("-{a}"))).boxed());
            options.push(
                (sub(T::Money), proptest::sample::select(MODES.to_vec()))
                    .prop_map(|(a, m)| format!("round_fen({a}, {m})"))
                    .boxed(),
            );
            options.push(
                sub(T::Money)
                    .prop_map(|a| format!("per_month(per_year({a}))"))
                    .boxed(),
            );
            options.push(sub(T::Money).prop_map(|a| format!("tier({a})")).boxed());
            if scope == Scope::Household {
                options.push(
                    (person(T::Money), proptest::option::of(person(T::Bool)))
                        .prop_map(|(b, f)| match f {
                            Some(f) => format!("sum(members: {b} where {f})"),
                            None => format!("sum(members: {b})"),
                        })
                        .boxed(),
                );
                options.push(
                    (
                        any::<bool>(),
                        person(T::Money),
                        person(T::Bool),
                        sub(T::Money),
                    )
                        .prop_map(|(mx, b, f, d)| {
                            format!(
                                "{}(members: {b} where {f} else {d})",
                                if mx { "max" } else { "min" }
                            )
                        })
                        .boxed(),
                );
            }
        }
        T::Count => {
            options.push(
                (sub(T::Count), sub(T::Count), 0..3u8)
                    .prop_map(|(a, b, op)| {
                        paren(format!("{a} {} {b}", ["+", "-", "*"][op as usize]))
                    })
                    .boxed(),
            );
            options.push(
                sub(T::Rate)
                    .prop_map(|r| format!("floor({r} * 100)"))
                    .boxed(),
            );
            options.push(
                sub(T::Rate)
                    .prop_map(|r| format!("ceil({r} * 100)"))
                    .boxed(),
            );
            options.push(
                (sub(T::Money), sub(T::Money))
                    .prop_map(|(a, b)| format!("floor({a} / {b})"))
                    .boxed(),
            );
            if scope == Scope::Household {
                options.push(
                    proptest::option::of(person(T::Bool))
                        .prop_map(|f| match f {
                            Some(f) => format!("count(members where {f})"),
                            None => "count(members)".to_string(),
                        })
                        .boxed(),
                );
            }
        }
        T::Rate => {
            options.push(
                (sub(T::Rate), sub(T::Rate), any::<bool>())
                    .prop_map(|(a, b, plus)| {
                        paren(format!("{a} {} {b}", if plus { "+" } else { "-" }))
                    })
                    .boxed(),
            );
            options.push(
                (sub(T::Rate), sub(T::Rate))
                    .prop_map(|(a, b)| paren(format!("{a} * {b}")))
                    .boxed(),
            );
            options.push(
                sub(T::Money)
                    .prop_map(|a| paren(format!("tax({a}) / 1000 元 * 1%")))
                    .boxed(),
            );
            options.push(
                sub(T::Money)
                    .prop_map(|a| paren(format!("{a} / 1000 元 * 1%")))
                    .boxed(),
            );
        }
        T::Months => {
            options.push(
                (sub(T::Months), sub(T::Months), any::<bool>())
                    .prop_map(|(a, b, plus)| {
                        paren(format!("{a} {} {b}", if plus { "+" } else { "-" }))
                    })
                    .boxed(),
            );
            options.push(
                (sub(T::Months), sub(T::Count))
                    .prop_map(|(a, b)| paren(format!("{a} * {b}")))
                    .boxed(),
            );
        }
        T::Bool => {
            let cmp = proptest::sample::select(vec!["==", "!=", "<", "<=", ">", ">="]);
            for u in [T::Money, T::Count, T::Rate, T::Months] {
                options.push(
                    (sub(u), cmp.clone(), sub(u))
                        .prop_map(|(a, op, b)| paren(format!("{a} {op} {b}")))
                        .boxed(),
                );
            }
            options.push(
                (sub(T::Bool), sub(T::Bool), any::<bool>())
                    .prop_map(|(a, b, and)| {
                        paren(format!("{a} {} {b}", if and { "and" } else { "or" }))
                    })
                    .boxed(),
            );
            options.push(sub(T::Bool).prop_map(|a| paren(format!("not {a}"))).boxed());
            options.push(Just("city == region.gz".to_string()).boxed());
            if scope == Scope::Household {
                options.push(
                    (any::<bool>(), person(T::Bool))
                        .prop_map(|(a, b)| {
                            format!("{}(members: {b})", if a { "any" } else { "all" })
                        })
                        .boxed(),
                );
            }
        }
    }
    proptest::strategy::Union::new(options).boxed()
}

/// A program: the schema, then definitions of random types, each possibly dated,
/// rounded (amounts) or overridden by an exception.
fn program() -> impl Strategy<Value = String> {
    let def_types = proptest::collection::vec(proptest::sample::select(TYPES.to_vec()), 1..6);
    def_types.prop_flat_map(|types| {
        let mut defs: Vec<(String, T)> = Vec::new();
        let mut parts: Vec<BoxedStrategy<String>> = Vec::new();
        for (i, t) in types.iter().enumerate() {
            let name = format!("v{i}");
            let body = expr(*t, 3, Scope::Household, &defs);
            let exc = proptest::option::weighted(
                0.3,
                (
                    expr(T::Bool, 2, Scope::Household, &defs),
                    expr(*t, 2, Scope::Household, &defs),
                ),
            );
            let dated = proptest::option::weighted(0.1, Just("from 2024-01-01"));
            let amount = *t == T::Money;
            let mode = proptest::option::of(proptest::sample::select(MODES.to_vec()));
            let n = name.clone();
            let ty = *t;
            parts.push(
                (body, exc, dated, any::<bool>(), mode)
                    .prop_map(move |(body, exc, dated, as_amount, mode)| {
                        let dated = dated.unwrap_or("");
                        let mut s = if amount && as_amount {
                            let rounding =
                                mode.map(|m| format!("rounding {m}")).unwrap_or_default();
                            format!("amount {n}: {} {rounding} {dated} = {body}\n", ty.name())
                        } else {
                            format!("let {n}: {} {dated} = {body}\n", ty.name())
                        };
                        if let Some((c, v)) = exc {
                            s.push_str(&format!("exception x_{n} to {n} when {c} = {v}\n"));
                        }
                        s
                    })
                    .boxed(),
            );
            defs.push((name, *t));
        }
        parts.prop_map(|p| format!("{SCHEMA}\n{}", p.concat()))
    })
}

fn money_value() -> impl Strategy<Value = i64> {
    prop_oneof![
        4 => -100_000_000i64..100_000_000,
        1 => Just(0i64),
        1 => Just(i64::MAX),
        1 => Just(i64::MIN),
        1 => (i64::MAX / 4)..i64::MAX,
    ]
}

fn small_count() -> impl Strategy<Value = i64> {
    prop_oneof![4 => -3i64..6, 1 => Just(0i64), 1 => Just(i64::MAX), 1 => Just(i64::MIN)]
}

#[derive(Debug, Clone)]
struct Household {
    city: u32,
    m1: i64,
    m2: i64,
    n1: i64,
    r1: i64,
    d1: i64,
    b1: bool,
    members: Vec<(i64, i64, i64, bool)>,
}

fn household() -> impl Strategy<Value = Household> {
    (
        0u32..5,
        money_value(),
        money_value(),
        small_count(),
        prop_oneof![3 => 0i64..2_000_000, 1 => Just(0i64), 1 => Just(i64::MAX)],
        small_count(),
        any::<bool>(),
        proptest::collection::vec(
            (money_value(), small_count(), small_count(), any::<bool>()),
            // Past 4 so that aggregates of cheap values take more than one group.
            0..10,
        ),
    )
        .prop_map(|(city, m1, m2, n1, r1, d1, b1, members)| Household {
            city,
            m1,
            m2,
            n1,
            r1,
            d1,
            b1,
            members,
        })
}

fn batch(households: &[Household]) -> Batch {
    let n = households.len();
    let mut offsets = vec![0u32];
    let mut p = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for h in households {
        for (income, age, k, flag) in &h.members {
            p.0.push(*income);
            p.1.push(*age);
            p.2.push(*k);
            p.3.push(u8::from(*flag));
        }
        offsets.push(p.0.len() as u32);
    }
    let m = p.0.len();
    let hh = EntityRows {
        len: n,
        columns: vec![
            Column::Text((0..n).map(|i| format!("h{i}")).collect()),
            Column::Enum(households.iter().map(|h| h.city).collect()),
            Column::Int(households.iter().map(|h| h.m1).collect()),
            Column::Int(households.iter().map(|h| h.m2).collect()),
            Column::Int(households.iter().map(|h| h.n1).collect()),
            Column::Int(households.iter().map(|h| h.r1).collect()),
            Column::Int(households.iter().map(|h| h.d1).collect()),
            Column::Bool(households.iter().map(|h| u8::from(h.b1)).collect()),
        ],
        keys: (0..n).map(|i| format!("h{i}")).collect(),
        source_rows: (0..n as u32).map(|i| i + 2).collect(),
        children: vec![Offsets(offsets)],
    };
    let persons = EntityRows {
        len: m,
        columns: vec![
            Column::Int(p.0),
            Column::Int(p.1),
            Column::Int(p.2),
            Column::Bool(p.3),
        ],
        keys: (1..=m).map(|i| i.to_string()).collect(),
        source_rows: (0..m as u32).map(|i| i + 2).collect(),
        children: vec![],
    };
    Batch {
        entities: vec![hh, persons],
        root: bylaw_runtime::schema::EntityId(0),
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256),
        ..ProptestConfig::default()
    })]

    #[test]
    fn generated_programs_agree_with_the_interpreter(
        text in program(),
        households in proptest::collection::vec(household(), 1..5),
        date in proptest::sample::select(vec!["2023-08-01", "2022-06-01", "2024-02-01"]),
    ) {
        let compiled = bylaw_compiler::compile_text("generated.bylaw", &text);
        prop_assert!(
            !compiled.has_errors(),
            "generated program does not check:\n{text}\n{:?}",
            compiled.diagnostics.iter().map(|d| format!("{d:?}")).collect::<Vec<_>>()
        );
        let program = compiled.program.unwrap();
        let b = batch(&households);
        b.check(&program.schema).unwrap();
        let date = bylaw_runtime::date::parse_date(date).unwrap();
        // The interpreter must not panic either.
        let _ = Evaluator::new(&program, date).eval_rows(&b, 0..households.len());
        assert_same(&program, date, &b, &text);
    }
}

proptest! {
    // Each case links a shared library with the C compiler (tens of milliseconds):
    // fewer cases than the JIT's, the same generator.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256).min(100),
        ..ProptestConfig::default()
    })]

    #[test]
    fn generated_programs_agree_with_the_aot_object(
        text in program(),
        households in proptest::collection::vec(household(), 1..5),
        date in proptest::sample::select(vec!["2023-08-01", "2022-06-01", "2024-02-01"]),
    ) {
        let program = bylaw_compiler::compile_text("generated.bylaw", &text).program.unwrap();
        let b = batch(&households);
        let date = bylaw_runtime::date::parse_date(date).unwrap();
        prop_assert!(assert_same_aot(&program, date, &b, &text), "AOT refused:\n{text}");
    }
}

/// The generator is not vacuous: over a fixed sample, the interpreter computes values for
/// some households and fails others with each kind of error.
#[test]
fn generated_cases_reach_every_kind_of_error() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut seen = std::collections::BTreeMap::<String, usize>::new();
    for _ in 0..150 {
        let text = program().new_tree(&mut runner).unwrap().current();
        let households = proptest::collection::vec(household(), 1..5)
            .new_tree(&mut runner)
            .unwrap()
            .current();
        let program = bylaw_compiler::compile_text("g.bylaw", &text)
            .program
            .unwrap();
        let date = bylaw_runtime::date::parse_date("2023-08-01").unwrap();
        let b = batch(&households);
        for r in Evaluator::new(&program, date).eval_rows(&b, 0..households.len()) {
            let key = match r {
                Ok(_) => "ok".to_string(),
                Err(e) => e.code().to_string(),
            };
            *seen.entry(key).or_default() += 1;
        }
    }
    for code in ["ok", "overflow", "division_by_zero", "missing_value"] {
        assert!(
            seen.get(code).copied().unwrap_or(0) > 0,
            "{code} never seen: {seen:?}"
        );
    }
}
