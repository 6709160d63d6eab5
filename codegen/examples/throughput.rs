//! Where the time of a native run goes, on one thread: the kernel alone (results as
//! columns), the kernel plus building `Value`s per household, the interpreter, and —
//! for the bundled dibao policy — a hand-written Rust loop over the same columns
//! computing the same nine outputs (checked against the kernel's, value for value).
//!
//! `cargo run --release -p bylaw-codegen --example throughput -- POLICY HOUSEHOLDS.CSV DATE`

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "an example"
)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use bylaw_codegen::{OutputColumn, ResultColumns};
use bylaw_compiler::Program;
use bylaw_compiler::interp::{InForce, ParamAtDate};
use bylaw_compiler::ir::Value;
use bylaw_runtime::batch::{Batch, Column};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [policy, data, date] = &args[..] else {
        eprintln!("usage: throughput POLICY HOUSEHOLDS.CSV DATE");
        return;
    };
    let program = bylaw_compiler::compile_file(Path::new(policy))
        .program
        .expect("the policy checks");
    let date = bylaw_runtime::date::parse_date(date).expect("a date");
    let data = PathBuf::from(data);
    let members = data.with_file_name("members.csv");
    let batch =
        bylaw_runtime::input::read_csv(&program.schema, &data, &[("members".to_string(), members)])
            .expect("the data read");
    let n = batch.root_len();
    let t = Instant::now();
    let jit = bylaw_codegen::JitPolicy::new(&program, date).expect("compiles");
    println!("compile: {:.2} ms", t.elapsed().as_secs_f64() * 1e3);
    let bound = jit.bind(&batch).expect("a checked batch");
    let mut columns = ResultColumns::default();
    // Once to size the buffers, then timed (best of three).
    assert!(bound.eval_columns_into(0..n, &mut columns));
    let mut raw = f64::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        assert!(bound.eval_columns_into(0..n, &mut columns));
        raw = raw.min(t.elapsed().as_secs_f64());
    }
    let rate = |s: f64| n as f64 / s;
    println!("{n} households, one thread");
    println!("  jit, columns:             {:>12.0}/s", rate(raw));
    if let Some(hand) = hand_loop_for(&program, date, &batch) {
        let mut out = Hand::new(n);
        let mut best = f64::MAX;
        for _ in 0..3 {
            let t = Instant::now();
            hand(&mut out);
            best = best.min(t.elapsed().as_secs_f64());
        }
        out.assert_same(&columns);
        println!(
            "  hand-written loop:        {:>12.0}/s   (jit / hand = {:.2})",
            rate(best),
            best / raw
        );
    }
    let t = Instant::now();
    let values = bound.row_results(0..n).expect("rows within the batch");
    let with_values = t.elapsed().as_secs_f64();
    println!("  jit, values per household:{:>12.0}/s", rate(with_values));
    let t = Instant::now();
    let reference = bylaw_compiler::interp::Evaluator::new(&program, date).eval_rows(&batch, 0..n);
    let interp = t.elapsed().as_secs_f64();
    assert_eq!(values, reference);
    println!(
        "  interpreter:              {:>12.0}/s   (jit / interpreter = {:.1}×)",
        rate(interp),
        interp / raw
    );
}

/// The dibao outputs, as the hand loop writes them.
struct Hand {
    standard: Vec<i64>,
    member_count: Vec<i64>,
    total_income: Vec<i64>,
    per_capita: Vec<i64>,
    below: Vec<u8>,
    vetoed: Vec<u8>,
    no_double: Vec<u8>,
    eligible: Vec<u8>,
    benefit: Vec<i64>,
    errors: Vec<u8>,
}

impl Hand {
    fn new(n: usize) -> Hand {
        Hand {
            standard: vec![0; n],
            member_count: vec![0; n],
            total_income: vec![0; n],
            per_capita: vec![0; n],
            below: vec![0; n],
            vetoed: vec![0; n],
            no_double: vec![0; n],
            eligible: vec![0; n],
            benefit: vec![0; n],
            errors: vec![0; n],
        }
    }

    fn assert_same(&self, jit: &ResultColumns) {
        assert_eq!(self.errors, jit.errors, "error codes");
        let ok = |i: usize| jit.errors[i] == 0;
        let ints = [
            &self.standard,
            &self.member_count,
            &self.total_income,
            &self.per_capita,
        ];
        for (k, col) in ints.iter().enumerate() {
            let OutputColumn::Int(j) = &jit.outputs[k] else {
                panic!("output {k} is not a number")
            };
            assert!(
                (0..col.len()).all(|i| !ok(i) || col[i] == j[i]),
                "output {k}"
            );
        }
        let bools = [&self.below, &self.vetoed, &self.no_double, &self.eligible];
        for (k, col) in bools.iter().enumerate() {
            let OutputColumn::Bool(j) = &jit.outputs[4 + k] else {
                panic!("output {} is not a boolean", 4 + k)
            };
            assert!(
                (0..col.len()).all(|i| !ok(i) || col[i] == j[i]),
                "output {}",
                4 + k
            );
        }
        let OutputColumn::Int(j) = &jit.outputs[8] else {
            panic!("benefit is not a number")
        };
        assert!(
            (0..j.len()).all(|i| !ok(i) || self.benefit[i] == j[i]),
            "benefit"
        );
    }
}

/// Half-up `num / den` for `den > 0` with no overflow possible (as `arith::div_round`).
#[inline]
fn div_half_up(num: i64, den: i64) -> i64 {
    let q = num / den;
    let r = num % den;
    if 2 * r.unsigned_abs() >= den.unsigned_abs() {
        if num >= 0 { q + 1 } else { q - 1 }
    } else {
        q
    }
}

/// A loop specialised by hand to `guangdong_dibao`'s nine outputs, or `None` for any
/// other policy.
fn hand_loop_for<'b>(
    program: &Program,
    date: i32,
    batch: &'b Batch,
) -> Option<impl Fn(&mut Hand) + 'b> {
    if program.policy.as_ref().map(|p| p.name.as_str()) != Some("guangdong_dibao") {
        return None;
    }
    let param = program
        .params
        .iter()
        .position(|p| p.name == "dibao_standard")?;
    let ParamAtDate::Keyed(values) = InForce::new(program, date).params.get(param)?.clone() else {
        return None;
    };
    let table: Vec<Option<i64>> = values
        .iter()
        .map(|v| match v {
            Some(Value::Int(i)) => Some(*i),
            _ => None,
        })
        .collect();
    let schema = &program.schema;
    let household = schema.entity(schema.root)?;
    let person = schema.entities.iter().position(|e| e.name == "person")?;
    let field = |name: &str| household.fields.iter().position(|f| f.name == name);
    let root = batch.entity(schema.root)?;
    let col = |name: &str| root.columns.get(field(name)?);
    let (
        Some(Column::Enum(city)),
        Some(Column::Bool(assets)),
        Some(Column::Bool(car)),
        Some(Column::Bool(house)),
        Some(Column::Bool(elsewhere)),
    ) = (
        col("city"),
        col("large_financial_assets"),
        col("car_transaction"),
        col("house_transaction"),
        col("dibao_elsewhere"),
    )
    else {
        return None;
    };
    let offsets = &root.children.first()?.0;
    let income_field = schema.entities[person]
        .fields
        .iter()
        .position(|f| f.name == "income")?;
    let Some(Column::Int(income)) = batch.entities.get(person)?.columns.get(income_field) else {
        return None;
    };
    Some(move |o: &mut Hand| {
        for h in 0..city.len() {
            let Some(standard) = table.get(city[h] as usize).copied().flatten() else {
                o.errors[h] = 4;
                continue;
            };
            let (s, e) = (offsets[h] as usize, offsets[h + 1] as usize);
            let count = (e - s) as i64;
            let mut total = 0i64;
            let mut overflow = false;
            for x in &income[s..e] {
                match total.checked_add(*x) {
                    Some(t) => total = t,
                    None => overflow = true,
                }
            }
            if overflow {
                o.errors[h] = 1;
                continue;
            }
            if count == 0 {
                o.errors[h] = 2;
                continue;
            }
            let per_capita = div_half_up(total, count);
            let below = per_capita < standard;
            let vetoed = assets[h] | car[h] | house[h] != 0;
            let no_double = elsewhere[h] == 0;
            let eligible = below && !vetoed && no_double;
            let benefit = if eligible {
                match (standard - per_capita).checked_mul(count) {
                    Some(b) => div_half_up(b, 100) * 100,
                    None => {
                        o.errors[h] = 1;
                        continue;
                    }
                }
            } else {
                0
            };
            o.standard[h] = standard;
            o.member_count[h] = count;
            o.total_income[h] = total;
            o.per_capita[h] = per_capita;
            o.below[h] = u8::from(below);
            o.vetoed[h] = u8::from(vetoed);
            o.no_double[h] = u8::from(no_double);
            o.eligible[h] = u8::from(eligible);
            o.benefit[h] = benefit;
            o.errors[h] = 0;
        }
    })
}
