//! Budgets and sweeps through the engine: a sweep's row for a value equals the budget
//! with that value set, every value and year has a row, and the files agree.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::path::Path;

use bylaw_engine::Policy;
use bylaw_engine::budget::{BudgetReport, SweepReport, Years};

const POLICY: &str = "../policies/hubei/jingshan_station_funds.bylaw";
const DATA: &str = "../examples/budget/jingshan_synthetic.csv";

fn load() -> (Policy, bylaw_runtime::batch::Batch) {
    let policy = Policy::load(Path::new(POLICY)).unwrap();
    let batch =
        bylaw_runtime::input::read_csv(&policy.program().schema, Path::new(DATA), &[]).unwrap();
    (policy, batch)
}

#[test]
fn a_sweep_has_a_row_per_value_and_year_equal_to_the_budget_at_that_value() {
    let (policy, batch) = load();
    let years = Years::parse("2022..2023").unwrap();
    let spec = "expenditure_cap_ratio=1%..6% step 1%";
    let sweep = SweepReport::compute(&policy, &batch, years, spec, None, Path::new(DATA)).unwrap();
    let rows = sweep.rows();
    assert_eq!(rows.len(), 6 * 2);
    let values: Vec<(&str, i64)> = rows.iter().map(|r| (r.value.as_str(), r.year)).collect();
    assert_eq!(values[0], ("1%", 2022));
    assert_eq!(values[1], ("1%", 2023));
    assert_eq!(values[11], ("6%", 2023));
    // At 5% (the policy's own value) the sweep equals the plain budget.
    let budget = BudgetReport::compute(&policy, &batch, years, Path::new(DATA)).unwrap();
    for year in [2022, 2023] {
        let plain: i64 = budget
            .budget()
            .lines
            .iter()
            .filter(|l| l.year == year)
            .flat_map(|l| l.funds.iter().map(|f| f.total))
            .sum();
        let swept = rows
            .iter()
            .find(|r| r.value == "5%" && r.year == year)
            .unwrap();
        assert_eq!(swept.funds[0].1, plain, "{year}");
    }
    // The files hold the same rows.
    let csv = sweep.csv();
    assert_eq!(csv.lines().count(), 1 + 12);
    assert!(csv.starts_with("value,year,station_funds.total,"), "{csv}");
    assert!(csv.contains("\n5%,2022,950000.00,"), "{csv}");
    let json: serde_json::Value = serde_json::from_str(&sweep.json()).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 12);
    assert!(sweep.html().unwrap().contains("<svg"));
}

#[test]
fn a_sweep_of_an_unknown_parameter_is_refused() {
    let (policy, batch) = load();
    let years = Years::parse("2022").unwrap();
    let e = SweepReport::compute(
        &policy,
        &batch,
        years,
        "nope=1%..2%",
        Some("1%"),
        Path::new(DATA),
    )
    .unwrap_err();
    assert_eq!(e.code(), "bylaw::budget::sweep");
    assert!(e.message().contains("no parameter `nope`"), "{e}");
}

#[test]
fn budget_files_show_shares_and_money_by_the_one_rule() {
    let (policy, batch) = load();
    let report = BudgetReport::compute(
        &policy,
        &batch,
        Years::parse("2021..2025").unwrap(),
        Path::new(DATA),
    )
    .unwrap();
    let csv = report.csv();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let y2025: Vec<&str> = csv.lines().last().unwrap().split(',').collect();
    // 14 of 15 townships: 93.33 percent against 100.00 required, one station short.
    assert_eq!(y2025[col("station_coverage.coverage")], "93.33");
    assert_eq!(y2025[col("station_coverage.required")], "100.00");
    assert_eq!(y2025[col("station_coverage.shortfall_cost")], "300000.00");
    // People see one decimal and the unit.
    let text = format!("{:?}", report.text());
    assert!(
        text.contains("93.3% < 100.0% ✗ short 1, 300,000.00 元"),
        "{text}"
    );
}
