//! Impact through the engine: every backend gives the same impact, no household is
//! dropped (a failure is an error under its version), weights and groups add up, a
//! declined native backend is reported, and options that do not fit are refused with
//! a code.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use bylaw_engine::impact::{Impact, ImpactOptions};
use bylaw_engine::{BackendKind, Date, ErrorKind, Policy};

/// A benefit topping income up to `limit`; `size: 0` fails under `per_head`.
fn policy(limit: u32) -> Policy {
    Policy::from_text(
        "grant.bylaw",
        &format!(
            "enum town {{\n  east \"东\"\n  west \"西\"\n}}\n\
             entity household {{\n  id: text key\n  income: money per month\n  size: count\n  \
             town: town\n  weight: count default 1\n}}\n\
             let per_head = income / size\n\
             rule eligible \"低收入\" = per_head < {limit} 元\n\
             amount grant: money per month = if eligible then ({limit} 元 - per_head) * size else 0 元\n"
        ),
    )
    .unwrap()
}

fn batch(policy: &Policy, dir: &std::path::Path) -> bylaw_runtime::batch::Batch {
    let data = dir.join("households.json");
    std::fs::write(
        &data,
        r#"[{"id": "a", "income": "450", "size": 1, "town": "east", "weight": 10},
            {"id": "b", "income": "550", "size": 1, "town": "east", "weight": 3},
            {"id": "c", "income": "700", "size": 1, "town": "west", "weight": 1},
            {"id": "d", "income": "100", "size": 0, "town": "west", "weight": 2}]"#,
    )
    .unwrap();
    bylaw_runtime::input::read_json(&policy.program().schema, &data).unwrap()
}

fn date() -> Date {
    Date::parse("2024-01-01").unwrap()
}

#[test]
fn every_backend_gives_the_same_impact_and_keeps_every_household() {
    let (old, new) = (policy(500), policy(600));
    let dir = tempfile::tempdir().unwrap();
    let batch = batch(&old, dir.path());
    let impacts: Vec<Impact> = [BackendKind::Interpreter, BackendKind::Jit]
        .into_iter()
        .map(|backend| {
            let options = ImpactOptions {
                backend,
                threads: Some(2),
                ..ImpactOptions::default()
            };
            let impact = Impact::compute(&old, &new, &batch, None, date(), &options).unwrap();
            assert_eq!(impact.backends().0.backend, backend);
            assert_eq!(impact.backends().0.declined, None);
            impact
        })
        .collect();
    assert_eq!(impacts[0].pairs(), impacts[1].pairs());
    assert_eq!(impacts[0].summary(), impacts[1].summary());
    let impact = &impacts[0];
    // Four households, none dropped: d divides by a size of 0 under both versions.
    assert_eq!(impact.pairs().len(), 4);
    assert_eq!(impact.pairs()[3], (None, None));
    let all = &impact.summary().all;
    assert_eq!(all.households, 4_000_000);
    assert_eq!(all.errors, 1_000_000);
    assert_eq!(all.gain, 1_000_000, "b gains");
    // a: 50 → 150 元; b: 0 → 50 元.
    assert_eq!(all.cost_before, 50 * 10_000 * 1_000_000);
    assert_eq!(all.cost_after, 200 * 10_000 * 1_000_000);
    let csv = impact.csv();
    assert_eq!(csv.lines().count(), 5);
    assert!(
        csv.contains("\na,true,true,50.00,150.00,100.00,\n"),
        "{csv}"
    );
    assert!(
        csv.ends_with("\nd,,,,,,evaluation failed under both version\n"),
        "{csv}"
    );
    // Groups by the `town` enumeration when asked.
    let by_town = ImpactOptions {
        by: Some("town".into()),
        ..ImpactOptions::default()
    };
    let grouped = Impact::compute(&old, &new, &batch, None, date(), &by_town).unwrap();
    let groups: Vec<(String, i128)> = grouped
        .groups()
        .map(|(name, t)| (name.to_string(), t.households))
        .collect();
    assert_eq!(
        groups,
        [
            ("东 east".to_string(), 2_000_000),
            ("西 west".to_string(), 2_000_000)
        ]
    );
}

#[test]
fn weights_multiply_counts_costs_and_quantiles() {
    let (old, new) = (policy(500), policy(600));
    let dir = tempfile::tempdir().unwrap();
    let batch = batch(&old, dir.path());
    let options = ImpactOptions {
        weights: Some("weight".into()),
        ..ImpactOptions::default()
    };
    let impact = Impact::compute(&old, &new, &batch, None, date(), &options).unwrap();
    let s = impact.summary();
    assert!(s.weighted);
    assert_eq!(s.all.households, 16_000_000);
    assert_eq!(s.all.gain, 3_000_000);
    assert_eq!(s.all.errors, 2_000_000);
    assert_eq!(s.all.cost_after, (150 * 10 + 50 * 3) * 10_000 * 1_000_000);
    // Changes: a +100 元 (weight 10), b +50 元 (weight 3): the median is a's.
    let median = s.quantiles.iter().find(|(n, _)| *n == "median").unwrap().1;
    assert_eq!(median, 100 * 10_000);
    let json: serde_json::Value = serde_json::from_str(&impact.json("old", "new")).unwrap();
    assert_eq!(json["all"]["households"], "16");
    assert_eq!(json["all"]["cost_after"], "1650.00");
    assert_eq!(json["amount_change_quantiles"]["min"], "50.00");
}

#[test]
fn a_declined_native_backend_is_reported_and_the_interpreter_runs() {
    // Native libraries do not take text, so the AOT backend declines this program.
    let text = "entity household {\n  id: text key\n  code: text default \"\"\n  income: money per month\n}\n\
                rule eligible = code == \"B\"\n\
                amount grant: money per month = if eligible then 10 元 else 0 元\n";
    let old = Policy::from_text("text.bylaw", text).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("h.json");
    std::fs::write(
        &data,
        r#"[{"id": "a", "code": "B", "income": "1"}, {"id": "b", "code": "C", "income": "1"}]"#,
    )
    .unwrap();
    let batch = bylaw_runtime::input::read_json(&old.program().schema, &data).unwrap();
    let options = ImpactOptions {
        backend: BackendKind::Aot,
        ..ImpactOptions::default()
    };
    let impact = Impact::compute(&old, &old, &batch, None, date(), &options).unwrap();
    let (ran, _) = impact.backends();
    assert_eq!(ran.backend, BackendKind::Interpreter);
    let why = ran.declined.as_ref().expect("the reason is kept");
    assert_eq!(why.backend(), BackendKind::Aot);
    assert!(ran.to_string().starts_with("interpreter ("), "{ran}");
    assert_eq!(impact.summary().all.eligible_before, 1_000_000);
}

#[test]
fn options_that_do_not_fit_are_refused_with_a_code_and_a_hint() {
    let (old, new) = (policy(500), policy(600));
    let dir = tempfile::tempdir().unwrap();
    let batch = batch(&old, dir.path());
    let refuse = |options: ImpactOptions| {
        Impact::compute(&old, &new, &batch, None, date(), &options).unwrap_err()
    };
    let e = refuse(ImpactOptions {
        amount: Some("nothing".into()),
        ..ImpactOptions::default()
    });
    assert_eq!(e.code(), "bylaw::impact::no_output");
    assert_eq!(e.kind(), ErrorKind::Input);
    assert_eq!(e.message(), "OLD has no output `nothing`");
    assert!(e.hint().unwrap().contains("--amount"));
    let e = refuse(ImpactOptions {
        decision: Some("grant".into()),
        ..ImpactOptions::default()
    });
    assert_eq!(e.code(), "bylaw::impact::not_a_rule");
    let e = refuse(ImpactOptions {
        weights: Some("id".into()),
        ..ImpactOptions::default()
    });
    assert_eq!(e.code(), "bylaw::impact::bad_weights");
    let e = refuse(ImpactOptions {
        by: Some("income".into()),
        ..ImpactOptions::default()
    });
    assert_eq!(e.code(), "bylaw::impact::not_an_enumeration");
}

#[test]
fn a_period_sums_monthly_amounts_with_the_rate_in_force_each_month() {
    let old = policy(500);
    let dir = tempfile::tempdir().unwrap();
    // The reform raises the limit from 500 元 to 600 元 on 1 July 2025.
    let new = Policy::from_text(
        "grant_dated.bylaw",
        "enum town {\n  east \"东\"\n  west \"西\"\n}\n\
         entity household {\n  id: text key\n  income: money per month\n  size: count\n  \
         town: town\n  weight: count default 1\n}\n\
         parameter limit: money per month {\n  500 元 from 2025-01-01\n  600 元 from 2025-07-01\n}\n\
         let per_head = income / size\n\
         rule eligible \"低收入\" = per_head < limit\n\
         amount grant: money per month = if eligible then (limit - per_head) * size else 0 元\n",
    )
    .unwrap();
    let batch = batch(&old, dir.path());
    for backend in [BackendKind::Interpreter, BackendKind::Jit] {
        let options = ImpactOptions {
            backend,
            period: Some(bylaw_runtime::period::Period::parse("2025").unwrap()),
            ..ImpactOptions::default()
        };
        let start = Date::parse("2025-01-01").unwrap();
        let impact = Impact::compute(&old, &new, &batch, None, start, &options).unwrap();
        let yuan = |y: i64| y * 10_000;
        // a: 50 元 a month all year before; after, 50 元 to June and 150 元 from July.
        // b: never eligible before; eligible from July after, at 50 元 a month.
        // c: never eligible. d: fails every month under both versions.
        assert_eq!(
            impact.pairs(),
            &[
                (Some((true, yuan(600))), Some((true, yuan(1200)))),
                (Some((false, 0)), Some((true, yuan(300)))),
                (Some((false, 0)), Some((false, 0))),
                (None, None),
            ],
            "{backend:?}"
        );
        assert_eq!(impact.summary().all.gain, 1_000_000, "b gains, unweighted");
        assert!(format!("{:?}", impact.text("old", "new")).contains("over 2025 (12 months"));
        assert!(impact.json("old", "new").contains("\"period\": \"2025\""));
    }
}
