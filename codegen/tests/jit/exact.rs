//! Exact quotients against an arbitrary-precision oracle (issue 14). Generated money
//! expressions over `+ − ×` and `÷` by counts from 1 to 10⁶ (fields and literals,
//! chained), products with a rate, comparisons and every rounding mode are evaluated by
//! `num-rational` over `num-bigint`, by the rules the language states: a quotient and
//! whatever is computed from it stay exact until an amount, `round_fen`, `floor` or an
//! output column rounds them; a product of two stored values is rounded half away from
//! zero to 0.0001 元; an exact value whose reduced numerator or denominator does not fit
//! an `i64` is an `overflow`, never an approximation. The interpreter must give exactly
//! the oracle's values and errors, and the JIT and the AOT library exactly the
//! interpreter's (`differential`).

use bylaw_compiler::interp::Evaluator;
use bylaw_compiler::ir::Value;
use bylaw_runtime::batch::{Batch, Column, EntityRows};
use num_bigint::BigInt;
use num_rational::BigRational;
use proptest::prelude::*;

use super::differential::{assert_same, assert_same_aot};

const SCHEMA: &str = r#"
entity household {
  id: text key
  a: money
  b: money
  n: count
  k: count
  r: rate
}
"#;

const MODES: [&str; 7] = [
    "half_up",
    "half_even",
    "half_down",
    "down",
    "up",
    "floor",
    "ceiling",
];

/// 1 元 in units of storage.
const YUAN: i64 = 10_000;
const MICRO: i64 = 1_000_000;

/// A count operand.
#[derive(Debug, Clone)]
enum C {
    N,
    K,
    Lit(i64),
}

/// A money expression.
#[derive(Debug, Clone)]
enum E {
    A,
    B,
    Lit(i64),
    Add(Box<E>, Box<E>),
    Sub(Box<E>, Box<E>),
    MulCount(Box<E>, C),
    MulRate(Box<E>),
    Div(Box<E>, C),
}

fn money_text(v: i64) -> String {
    let sign = if v < 0 { "-" } else { "" };
    let m = v.unsigned_abs();
    format!("{sign}{}.{:04} 元", m / 10_000, m % 10_000)
}

impl C {
    fn text(&self) -> String {
        match self {
            C::N => "n".into(),
            C::K => "k".into(),
            C::Lit(v) => v.to_string(),
        }
    }
}

impl E {
    fn text(&self) -> String {
        match self {
            E::A => "a".into(),
            E::B => "b".into(),
            E::Lit(v) => money_text(*v),
            E::Add(l, r) => format!("({} + {})", l.text(), r.text()),
            E::Sub(l, r) => format!("({} - {})", l.text(), r.text()),
            E::MulCount(l, c) => format!("({} * {})", l.text(), c.text()),
            E::MulRate(l) => format!("({} * r)", l.text()),
            E::Div(l, c) => format!("({} / {})", l.text(), c.text()),
        }
    }
}

fn count_operand() -> impl Strategy<Value = C> {
    prop_oneof![
        2 => Just(C::N),
        2 => Just(C::K),
        1 => (1i64..=10).prop_map(C::Lit),
        1 => prop_oneof![Just(1_000_000i64), 1i64..=1_000_000].prop_map(C::Lit),
    ]
}

fn money_literal() -> impl Strategy<Value = i64> {
    prop_oneof![
        3 => -10_000_000i64..10_000_000,
        1 => Just(599i64),
        1 => (i64::MAX / 8)..i64::MAX,
    ]
}

fn expr() -> impl Strategy<Value = E> {
    let leaf = prop_oneof![
        3 => Just(E::A),
        3 => Just(E::B),
        2 => money_literal().prop_map(E::Lit),
    ];
    leaf.prop_recursive(4, 16, 2, |inner| {
        prop_oneof![
            2 => (inner.clone(), inner.clone()).prop_map(|(l, r)| E::Add(Box::new(l), Box::new(r))),
            2 => (inner.clone(), inner.clone()).prop_map(|(l, r)| E::Sub(Box::new(l), Box::new(r))),
            1 => (inner.clone(), count_operand()).prop_map(|(l, c)| E::MulCount(Box::new(l), c)),
            1 => inner.clone().prop_map(|l| E::MulRate(Box::new(l))),
            4 => (inner, count_operand()).prop_map(|(l, c)| E::Div(Box::new(l), c)),
        ]
    })
}

#[derive(Debug, Clone)]
struct Household {
    a: i64,
    b: i64,
    n: i64,
    k: i64,
    r: i64,
}

fn household() -> impl Strategy<Value = Household> {
    let money = prop_oneof![
        4 => -100_000_000i64..100_000_000,
        1 => Just(599i64),
        1 => Just(0i64),
        1 => (i64::MAX / 4)..i64::MAX,
        1 => Just(i64::MIN),
    ];
    let count = prop_oneof![
        4 => 1i64..=10,
        2 => 1i64..=1_000_000,
        1 => Just(1_000_000i64),
        1 => Just(0i64),
        1 => -3i64..0,
    ];
    let rate = prop_oneof![3 => 0i64..=1_000_000, 1 => Just(100_000i64), 1 => Just(333_333i64)];
    (money.clone(), money, count.clone(), count, rate).prop_map(|(a, b, n, k, r)| Household {
        a,
        b,
        n,
        k,
        r,
    })
}

/// An error of the oracle, by its code.
type Oracle<T> = Result<T, &'static str>;

const OVERFLOW: &str = "overflow";
const DIV_ZERO: &str = "division_by_zero";

fn int(v: i64) -> BigRational {
    BigRational::from_integer(BigInt::from(v))
}

/// Whether an exact value is representable: reduced numerator and denominator in `i64`.
fn fits(q: &BigRational) -> bool {
    i64::try_from(q.numer()).is_ok() && i64::try_from(q.denom()).is_ok()
}

fn exact(q: BigRational) -> Oracle<BigRational> {
    if fits(&q) { Ok(q) } else { Err(OVERFLOW) }
}

/// A whole value that must fit an `i64`.
fn whole(q: BigRational) -> Oracle<BigRational> {
    debug_assert!(q.is_integer());
    if i64::try_from(q.numer()).is_ok() {
        Ok(q)
    } else {
        Err(OVERFLOW)
    }
}

/// `q / unit` rounded to a whole number by `mode` (as `java.math.RoundingMode`).
fn round_div(q: &BigRational, unit: i64, mode: &str) -> BigInt {
    let t = q / int(unit);
    let floor = t.floor().to_integer();
    let frac = &t - BigRational::from_integer(floor.clone());
    if frac == int(0) {
        return floor;
    }
    let ceil = &floor + BigInt::from(1);
    let positive = t > int(0);
    let half = BigRational::new(BigInt::from(1), BigInt::from(2));
    let (toward_zero, away) = if positive {
        (floor.clone(), ceil.clone())
    } else {
        (ceil.clone(), floor.clone())
    };
    match mode {
        "floor" => floor,
        "ceiling" => ceil,
        "down" => toward_zero,
        "up" => away,
        _ => match frac.cmp(&half) {
            std::cmp::Ordering::Less => floor,
            std::cmp::Ordering::Greater => ceil,
            std::cmp::Ordering::Equal => match mode {
                "half_up" => away,
                "half_down" => toward_zero,
                _ => {
                    if &floor % BigInt::from(2) == BigInt::from(0) {
                        floor
                    } else {
                        ceil
                    }
                }
            },
        },
    }
}

/// `q` rounded by `mode` to a multiple of `unit`, which must fit an `i64`.
fn round_to_unit(q: &BigRational, unit: i64, mode: &str) -> Oracle<i64> {
    i64::try_from(round_div(q, unit, mode) * BigInt::from(unit)).map_err(|_| OVERFLOW)
}

impl C {
    fn value(&self, h: &Household) -> i64 {
        match self {
            C::N => h.n,
            C::K => h.k,
            C::Lit(v) => *v,
        }
    }
}

impl E {
    /// Whether the value may be an unrounded quotient (the compiler's `Pending`).
    fn pending(&self) -> bool {
        match self {
            E::A | E::B | E::Lit(_) => false,
            E::Div(..) => true,
            E::Add(l, r) | E::Sub(l, r) => l.pending() || r.pending(),
            E::MulCount(l, _) | E::MulRate(l) => l.pending(),
        }
    }

    /// The value in units of storage, operands left to right, the first error winning.
    fn eval(&self, h: &Household) -> Oracle<BigRational> {
        let keep = |q: BigRational, pending: bool| if pending { exact(q) } else { whole(q) };
        match self {
            E::A => Ok(int(h.a)),
            E::B => Ok(int(h.b)),
            E::Lit(v) => Ok(int(*v)),
            E::Add(l, r) => {
                let (x, y) = (l.eval(h)?, r.eval(h)?);
                keep(x + y, self.pending())
            }
            E::Sub(l, r) => {
                let (x, y) = (l.eval(h)?, r.eval(h)?);
                keep(x - y, self.pending())
            }
            E::MulCount(l, c) => {
                let x = l.eval(h)?;
                keep(x * int(c.value(h)), self.pending())
            }
            E::MulRate(l) => {
                let x = l.eval(h)?;
                let p = x * int(h.r) / int(MICRO);
                if self.pending() {
                    exact(p)
                } else {
                    // Two stored values: rounded half away from zero to the unit.
                    whole(BigRational::from_integer(round_div(&p, 1, "half_up")))
                }
            }
            E::Div(l, c) => {
                let x = l.eval(h)?;
                let c = c.value(h);
                if c == 0 {
                    return Err(DIV_ZERO);
                }
                exact(x / int(c))
            }
        }
    }
}

/// A generated case: two expressions, a comparison and the outputs that round them.
#[derive(Debug, Clone)]
struct Case {
    x: E,
    y: E,
    cmp: &'static str,
}

impl Case {
    fn text(&self) -> String {
        let mut s = format!(
            "{SCHEMA}\nlet x: money = {}\nlet y: money = {}\nrule c = x {} y\n",
            self.x.text(),
            self.y.text(),
            self.cmp
        );
        for m in MODES {
            s.push_str(&format!("amount x_{m}: money rounding {m} = x\n"));
        }
        for m in MODES {
            s.push_str(&format!("let y_{m}: money = round_fen(y / k, {m})\n"));
        }
        s.push_str("let whole_floor = floor(x / 1 元)\nlet whole_ceil = ceil(x / 1 元)\n");
        s
    }

    /// Output names in declaration order.
    fn names() -> Vec<String> {
        let mut v = vec!["x".to_string(), "y".into(), "c".into()];
        v.extend(MODES.iter().map(|m| format!("x_{m}")));
        v.extend(MODES.iter().map(|m| format!("y_{m}")));
        v.extend(["whole_floor".to_string(), "whole_ceil".into()]);
        v
    }

    /// Every output's value, or the first error and the output it happened in.
    fn oracle(&self, h: &Household) -> Result<Vec<Value>, (&'static str, String)> {
        let names = Case::names();
        let at = |i: usize| names.get(i).cloned().unwrap_or_default();
        let mut out = Vec::new();
        let x = self.x.eval(h).map_err(|e| (e, at(0)))?;
        out.push(Value::Int(
            round_to_unit(&x, 1, "half_up").map_err(|e| (e, at(0)))?,
        ));
        let y = self.y.eval(h).map_err(|e| (e, at(1)))?;
        out.push(Value::Int(
            round_to_unit(&y, 1, "half_up").map_err(|e| (e, at(1)))?,
        ));
        let ord = x.cmp(&y);
        out.push(Value::Bool(match self.cmp {
            "<" => ord.is_lt(),
            "<=" => ord.is_le(),
            ">" => ord.is_gt(),
            ">=" => ord.is_ge(),
            "==" => ord.is_eq(),
            _ => ord.is_ne(),
        }));
        for (i, m) in MODES.iter().enumerate() {
            let v = round_to_unit(&x, 100, m).map_err(|e| (e, at(3 + i)))?;
            out.push(Value::Int(v));
        }
        for (i, m) in MODES.iter().enumerate() {
            let fail = |e| (e, at(10 + i));
            if h.k == 0 {
                return Err(fail(DIV_ZERO));
            }
            let q = exact(&y / int(h.k)).map_err(fail)?;
            out.push(Value::Int(round_to_unit(&q, 100, m).map_err(fail)?));
        }
        // `x / 1 元` is a decimal (millionths), exact, then floored or ceiled to a count.
        let d = exact(&x * int(MICRO) / int(YUAN)).map_err(|e| (e, at(17)))?;
        out.push(Value::Int(
            i64::try_from(round_div(&d, MICRO, "floor")).map_err(|_| (OVERFLOW, at(17)))?,
        ));
        out.push(Value::Int(
            i64::try_from(round_div(&d, MICRO, "ceiling")).map_err(|_| (OVERFLOW, at(18)))?,
        ));
        Ok(out)
    }
}

fn case() -> impl Strategy<Value = Case> {
    (
        expr(),
        expr(),
        proptest::sample::select(vec!["<", "<=", ">", ">=", "==", "!="]),
    )
        .prop_map(|(x, y, cmp)| Case { x, y, cmp })
}

fn batch(households: &[Household]) -> Batch {
    let n = households.len();
    let col = |f: fn(&Household) -> i64| Column::Int(households.iter().map(f).collect());
    Batch {
        entities: vec![EntityRows {
            len: n,
            columns: vec![
                Column::Text((0..n).map(|i| format!("h{i}")).collect()),
                col(|h| h.a),
                col(|h| h.b),
                col(|h| h.n),
                col(|h| h.k),
                col(|h| h.r),
            ],
            keys: (0..n).map(|i| format!("h{i}")).collect(),
            source_rows: (0..n as u32).map(|i| i + 2).collect(),
            children: vec![],
        }],
        root: bylaw_runtime::schema::EntityId(0),
    }
}

/// The interpreter against the oracle, then JIT (and AOT when `aot`) against the
/// interpreter.
fn check(case: &Case, households: &[Household], aot: bool) -> Result<(), TestCaseError> {
    let text = case.text();
    let compiled = bylaw_compiler::compile_text("exact.bylaw", &text);
    prop_assert!(
        !compiled.has_errors(),
        "generated program does not check:\n{text}\n{:?}",
        compiled
            .diagnostics
            .iter()
            .map(|d| format!("{d:?}"))
            .collect::<Vec<_>>()
    );
    let program = compiled.program.unwrap();
    let b = batch(households);
    b.check(&program.schema).unwrap();
    let date = bylaw_runtime::date::parse_date("2024-01-01").unwrap();
    let got = Evaluator::new(&program, date).eval_rows(&b, 0..households.len());
    for (h, got) in households.iter().zip(&got) {
        let expected = case.oracle(h);
        let got = got.clone().map_err(|e| {
            let def = e.def.map(|d| program.def(d).name.to_string());
            (e.code(), def.unwrap_or_default())
        });
        prop_assert_eq!(&got, &expected, "{}\n{:?}", text, h);
    }
    assert_same(&program, date, &b, &text);
    if aot {
        prop_assert!(
            assert_same_aot(&program, date, &b, &text),
            "AOT refused:\n{text}"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256),
        ..ProptestConfig::default()
    })]

    #[test]
    fn exact_values_agree_with_the_rational_oracle_in_the_interpreter_and_the_jit(
        c in case(),
        households in proptest::collection::vec(household(), 1..6),
    ) {
        check(&c, &households, false)?;
    }
}

proptest! {
    // Each case links a shared library: fewer cases, the same generator.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256).min(24),
        ..ProptestConfig::default()
    })]

    #[test]
    fn exact_values_agree_with_the_rational_oracle_in_the_aot_library(
        c in case(),
        households in proptest::collection::vec(household(), 1..6),
    ) {
        check(&c, &households, true)?;
    }
}

/// The two examples of issue 14 through the oracle's own rounding, so the oracle is
/// known to say what the issue says.
#[test]
fn the_oracle_rounds_the_issue_examples() {
    // (1,000.05 − 2,000 / 3) × 3 + 0.1 × 1,000.05 × 1 = 1,100.155 元.
    let standard = int(10_000_500);
    let exact_benefit = (standard.clone() - int(20_000_000) / int(3)) * int(3)
        + standard * int(100_000) / int(MICRO);
    assert_eq!(exact_benefit, int(11_001_550));
    assert_eq!(
        round_to_unit(&exact_benefit, 100, "half_up"),
        Ok(11_001_600)
    );
    // 0.0599 元 / 2 down and floor: 0.02 元.
    let q = int(599) / int(2);
    assert_eq!(round_to_unit(&q, 100, "down"), Ok(200));
    assert_eq!(round_to_unit(&q, 100, "floor"), Ok(200));
    assert_eq!(round_to_unit(&-q, 100, "floor"), Ok(-300));
}

/// The generator is not vacuous: over a fixed sample the oracle computes values for
/// some households and fails others with each error.
#[test]
fn generated_cases_reach_values_and_both_errors() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut seen = std::collections::BTreeMap::<&str, usize>::new();
    for _ in 0..300 {
        let c = case().new_tree(&mut runner).unwrap().current();
        let h = household().new_tree(&mut runner).unwrap().current();
        let key = match c.oracle(&h) {
            Ok(_) => "ok",
            Err((code, _)) => code,
        };
        *seen.entry(key).or_default() += 1;
    }
    for key in ["ok", OVERFLOW, DIV_ZERO] {
        assert!(seen.get(key).copied().unwrap_or(0) > 0, "{seen:?}");
    }
}
