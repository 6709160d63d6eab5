//! Where the time of a native run goes: the kernel alone (raw values into a buffer)
//! against the kernel plus building `Value`s, and the interpreter, on one thread.
//!
//! `cargo run --release -p bylaw-codegen --example throughput -- POLICY HOUSEHOLDS.CSV DATE`

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "an example")]

use std::path::{Path, PathBuf};
use std::time::Instant;

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
    let outputs = program.outputs.len();
    let mut out = vec![0i64; n * outputs];
    let mut errors = vec![bylaw_codegen::layout::ErrorRecord::default(); n];
    let t = Instant::now();
    assert!(bound.eval_into(0..n, &mut out, &mut errors));
    let raw = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let values = bound.eval_rows(0..n);
    let with_values = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let reference = bylaw_compiler::interp::Evaluator::new(&program, date).eval_rows(&batch, 0..n);
    let interp = t.elapsed().as_secs_f64();
    assert_eq!(values, reference);
    let rate = |s: f64| n as f64 / s;
    println!(
        "{n} households, one thread: kernel {:.0}/s; kernel + values {:.0}/s; interpreter {:.0}/s; kernel / interpreter = {:.1}×",
        rate(raw),
        rate(with_values),
        rate(interp),
        interp / raw
    );
}
