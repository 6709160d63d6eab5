//! Every backend through the one trait: the same evaluation for the same batch, and a
//! backend that does not take a program says so instead of standing in for another.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use bylaw_engine::{BackendErrorKind, BackendKind, Date, Policy};

const POLICY: &str = "entity household {\n  id: text key\n  income: money per month\n  size: count\n}\n\
let per_head = income / size\n\
rule poor \"人均收入低\" = per_head < 1000 元\n\
amount grant: money per month = if poor then (1000 元 - per_head) * size else 0 元\n";

fn batch(policy: &Policy, dir: &std::path::Path) -> bylaw_runtime::batch::Batch {
    let data = dir.join("households.json");
    std::fs::write(
        &data,
        r#"[{"id": "a", "income": "1999.99", "size": 2},
            {"id": "b", "income": "3000", "size": 3},
            {"id": "c", "income": "10", "size": 0},
            {"id": "d", "income": "0.01", "size": 3}]"#,
    )
    .unwrap();
    bylaw_runtime::input::read_json(&policy.program().schema, &data).unwrap()
}

#[test]
fn every_backend_gives_the_same_evaluation() {
    let policy = Policy::from_text("grant.bylaw", POLICY).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let batch = batch(&policy, dir.path());
    let date = Date::parse("2024-01-01").unwrap();
    let results: Vec<_> = BackendKind::ALL
        .iter()
        .map(|kind| {
            let backend = policy.backend(*kind, date).unwrap();
            assert_eq!(backend.kind(), *kind);
            backend.evaluate(&batch, 0..4).unwrap()
        })
        .collect();
    let reference = &results[0];
    assert_eq!(reference.failed_count(), 1, "household c divides by zero");
    assert_eq!(
        reference.error(2).map(|e| e.code()),
        Some("division_by_zero")
    );
    for other in &results[1..] {
        assert_ne!(other.backend(), BackendKind::Interpreter);
        for i in 0..4 {
            assert_eq!(
                other.row(i),
                reference.row(i),
                "{} household {i}",
                other.backend()
            );
        }
    }
}

#[test]
fn rows_outside_the_batch_are_refused_not_guessed() {
    let policy = Policy::from_text("grant.bylaw", POLICY).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let batch = batch(&policy, dir.path());
    let date = Date::parse("2024-01-01").unwrap();
    for kind in [BackendKind::Interpreter, BackendKind::Jit] {
        let backend = policy.backend(kind, date).unwrap();
        let e = backend.evaluate(&batch, 2..9).unwrap_err();
        assert_eq!(e.kind(), BackendErrorKind::RowsOutOfRange, "{kind}: {e}");
        assert_eq!(e.backend(), kind);
    }
}

#[test]
fn aot_declines_text_instead_of_falling_back() {
    let policy = Policy::from_text(
        "text.bylaw",
        "entity household {\n  code: text default \"\"\n}\nrule is_b = code == \"B\"\n",
    )
    .unwrap();
    let e = policy
        .backend(BackendKind::Aot, Date::parse("2024-01-01").unwrap())
        .err()
        .expect("AOT does not take text");
    assert_eq!(e.kind(), BackendErrorKind::Unsupported, "{e}");
    assert_eq!(e.backend(), BackendKind::Aot);
}
