//! The hand-written dibao loop gives exactly the interpreter's results — every output
//! of every household, and the same error (code and definition) where one fails — on
//! the policy's own test households, on a synthetic population, and on households made
//! to fail (no members, incomes that overflow, a city with no standard).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::path::Path;

use bylaw_bench::hand_dibao::{HandDibao, HandOut};
use bylaw_compiler::interp::Evaluator;
use bylaw_compiler::ir::Program;
use bylaw_runtime::batch::{Batch, Column, Offsets};

fn dibao() -> Program {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies/guangdong/dibao.bylaw");
    bylaw_compiler::compile_file(&path)
        .program
        .expect("the dibao policy compiles")
}

/// Compares every household of `batch`; returns how many failed.
fn assert_same(program: &Program, date: i32, batch: &Batch) -> usize {
    let hand = HandDibao::new(program, date).unwrap();
    let mut out = HandOut::default();
    let n = batch.root_len();
    hand.eval(batch, 0..n, &mut out);
    let expected = Evaluator::new(program, date).eval_rows(batch, 0..n);
    assert_eq!(out.error.len(), n);
    let mut failed = 0;
    for (i, want) in expected.into_iter().enumerate() {
        let got = out.row(i).unwrap();
        match (want, got) {
            (Ok(w), Ok(g)) => assert_eq!(w, g, "household {i}"),
            (Err(w), Err((code, within))) => {
                failed += 1;
                assert_eq!(w.code(), code, "household {i}: {}", w.detail);
                let def = w.def.map(|d| program.def(d).name.as_str());
                assert_eq!(def, Some(within), "household {i}: {}", w.detail);
            }
            (w, g) => panic!("household {i}: interpreter {w:?}, hand loop {g:?}"),
        }
    }
    failed
}

#[test]
fn equals_the_interpreter_on_the_policys_test_households() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies/guangdong");
    let mut cases = 0;
    for file in ["dibao.bylaw", "dibao.test.bylaw"] {
        let program = bylaw_compiler::compile_file(&dir.join(file))
            .program
            .expect("compiles");
        for case in &program.tests {
            assert_same(&program, case.date, &case.batch);
            cases += 1;
        }
    }
    assert!(cases >= 5, "{cases} test households");
}

#[test]
fn equals_the_interpreter_on_a_synthetic_population() {
    let program = dibao();
    let dir = tempfile::tempdir().unwrap();
    let config = bylaw_bench::synth::SynthConfig {
        households: 20_000,
        seed: 7,
    };
    bylaw_bench::synth::write_population(&config, dir.path()).unwrap();
    let batch = bylaw_runtime::input::read_csv(
        &program.schema,
        &dir.path().join("households.csv"),
        &[("members".into(), dir.path().join("members.csv"))],
    )
    .unwrap();
    for date in [19_570, 18_000] {
        // 2023-08-01 (standards in force), 2019-04-14 (none yet: every household fails)
        assert_same(&program, date, &batch);
    }
}

#[test]
fn equals_the_interpreter_where_households_fail() {
    let program = dibao();
    let dir = tempfile::tempdir().unwrap();
    let config = bylaw_bench::synth::SynthConfig {
        households: 50,
        seed: 3,
    };
    bylaw_bench::synth::write_population(&config, dir.path()).unwrap();
    let mut batch = bylaw_runtime::input::read_csv(
        &program.schema,
        &dir.path().join("households.csv"),
        &[("members".into(), dir.path().join("members.csv"))],
    )
    .unwrap();
    let root = batch.root.0 as usize;
    let child = 1 - root;
    // Household 0's members go to household 1: household 0 has none (division by
    // zero), and household 1's at least two incomes overflow their sum.
    let Offsets(offsets) = &mut batch.entities[root].children[0];
    offsets[1] = 0;
    let second_end = offsets[2] as usize;
    let income = batch.entities[child]
        .columns
        .iter_mut()
        .find_map(|c| match c {
            Column::Int(v) => Some(v),
            _ => None,
        })
        .unwrap();
    for v in income.iter_mut().take(second_end) {
        *v = i64::MAX / 2 + 1;
    }
    batch.check(&program.schema).unwrap();
    let failed = assert_same(&program, 19_570, &batch);
    assert!(failed >= 2, "{failed} failed");
}
