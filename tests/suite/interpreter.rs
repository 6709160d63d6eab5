//! The interpreter on the bundled policies and on small programs written here: every
//! policy test passes, a wrong expectation fails, and per-household errors are reported
//! with the definition that caused them.

use std::path::{Path, PathBuf};

use bylaw_compiler::interp::Evaluator;
use bylaw_compiler::ir::Value;

fn policies() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "bylaw") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(Path::new("../policies"), &mut out);
    out.sort();
    out
}

#[test]
fn every_bundled_policy_checks_and_passes_its_tests() {
    let mut total = 0;
    for file in policies() {
        let compiled = bylaw_compiler::compile_file(&file);
        assert!(
            !compiled.has_errors(),
            "{}:\n{}",
            file.display(),
            bylaw_tests::render_all(&compiled)
        );
        let program = compiled
            .program
            .unwrap_or_else(|| panic!("{}", file.display()));
        for outcome in bylaw_compiler::testing::run(&program) {
            assert!(
                outcome.passed(),
                "{}: {}: {:?}",
                file.display(),
                outcome.name,
                outcome.failures
            );
            total += 1;
        }
    }
    assert!(
        total >= 50,
        "expected the bundled policies to carry their boundary tests, found {total}"
    );
}

const SMALL: &str = r#"
entity household "家庭" {
  id: text key
  members: many person
}
entity person "成员" {
  income: money per month "月收入"
}
parameter line "标准": money per month { 1000 元 from 2023-01-01 assumed "test value" }
let total: money per month = sum(members: income)
let per_capita: money per month = total / count(members)
rule poor = per_capita < line
amount benefit: money per month = if poor then (line - per_capita) * count(members) else 0 元

test "one member below the line" at 2023-06-01 {
  household { id: "a", members: [ { income: 400 元 } ] }
  expect poor = true
  expect benefit = 600.00 元
}
test "a third of a yuan is kept exactly until the amount" at 2023-06-01 {
  household { id: "b", members: [ { income: 1000 元 }, { income: 0 元 }, { income: 0 元 } ] }
  expect per_capita = 333.3333 元
  expect benefit = 2000.00 元
}
test "no members divides by zero" at 2023-06-01 {
  household { id: "c", members: [] }
  expect error division_by_zero in per_capita
}
test "before the parameter starts there is no value" at 2022-06-01 {
  household { id: "d", members: [ { income: 1 元 } ] }
  expect error missing_value in poor
}
"#;

#[test]
fn small_program_tests_pass() {
    let compiled = bylaw_compiler::compile_text("small.bylaw", SMALL);
    assert!(
        !compiled.has_errors(),
        "{}",
        bylaw_tests::render_all(&compiled)
    );
    let program = compiled.program.unwrap();
    let outcomes = bylaw_compiler::testing::run(&program);
    assert_eq!(outcomes.len(), 4);
    for o in &outcomes {
        assert!(o.passed(), "{}: {:?}", o.name, o.failures);
    }
}

#[test]
fn a_wrong_expectation_fails_and_names_the_rule() {
    let text = SMALL.replace("expect benefit = 600.00 元", "expect benefit = 600.01 元");
    let program = bylaw_compiler::compile_text("small.bylaw", &text)
        .program
        .unwrap();
    let outcomes = bylaw_compiler::testing::run(&program);
    let failed: Vec<_> = outcomes.iter().filter(|o| !o.passed()).collect();
    assert_eq!(failed.len(), 1);
    let message = &failed[0].failures[0].message;
    assert!(
        message.contains("expected 600.01 元/月, got 600.00 元/月"),
        "{message}"
    );
    assert!(message.contains("computed by `benefit`"), "{message}");
}

#[test]
fn overflow_is_a_per_household_error_and_other_households_go_on() {
    let text = r#"
entity household { id: text key  income: money }
let doubled: money = income * 9223372036854775807
rule ok = income > 0 元
"#;
    let program = bylaw_compiler::compile_text("o.bylaw", text)
        .program
        .unwrap();
    let schema = &program.schema;
    let dir = std::env::temp_dir().join(format!("bylaw-overflow-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("h.csv");
    std::fs::write(&csv, "id,income\na,1\nb,0\n").unwrap();
    let batch = bylaw_runtime::input::read_csv(schema, &csv, &[]).unwrap();
    let ev = Evaluator::new(&program, 0);
    let a = ev.eval_root(&batch, 0).unwrap_err();
    assert_eq!(a.code(), "overflow");
    assert_eq!(
        a.def.map(|d| program.def(d).name.clone()).as_deref(),
        Some("doubled")
    );
    let b = ev.eval_root(&batch, 1).unwrap();
    assert_eq!(b, vec![Value::Int(0), Value::Bool(false)]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn exceptions_override_the_base_in_priority_order() {
    let text = r#"
entity household { id: text key  cost: money  special: bool  urgent: bool }
amount grant: money = min(cost, 8 万元)
exception special_case to grant before urgent_case when special = cost
exception urgent_case to grant when urgent = 1 元
"#;
    let program = bylaw_compiler::compile_text("x.bylaw", text)
        .program
        .unwrap();
    let dir = std::env::temp_dir().join(format!("bylaw-exc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("h.csv");
    std::fs::write(
        &csv,
        "id,cost,special,urgent\na,100000,false,false\nb,100000,true,true\nc,100000,false,true\n",
    )
    .unwrap();
    let batch = bylaw_runtime::input::read_csv(&program.schema, &csv, &[]).unwrap();
    let ev = Evaluator::new(&program, 0);
    let grant = |row| ev.eval_root(&batch, row).unwrap()[0].clone();
    assert_eq!(grant(0), Value::Int(80_000 * 10_000));
    assert_eq!(grant(1), Value::Int(100_000 * 10_000));
    assert_eq!(grant(2), Value::Int(10_000));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Evaluates `expr` (of a one-field household with no inputs) at 2024-01-01.
fn value_of(decls: &str, expr: &str) -> Result<Value, String> {
    let text = format!("entity household {{ id: text key }}\n{decls}\nlet result = {expr}\n");
    let compiled = bylaw_compiler::compile_text("v.bylaw", &text);
    let Some(program) = compiled.program else {
        return Err(bylaw_tests::render_all(&compiled));
    };
    let batch = program.tests.first().map(|t| t.batch.clone());
    let batch = batch.unwrap_or_else(|| {
        let mut b = bylaw_runtime::batch::Batch {
            entities: vec![bylaw_runtime::batch::EntityRows {
                len: 1,
                columns: vec![bylaw_runtime::batch::Column::Text(vec!["h".into()])],
                keys: vec!["h".into()],
                source_rows: vec![2],
                children: vec![],
            }],
            root: program.schema.root,
        };
        b.entities.truncate(1);
        b
    });
    let date = bylaw_runtime::date::parse_date("2024-01-01").unwrap();
    let id = program.def_by_name("result").unwrap();
    Evaluator::new(&program, date)
        .eval_one(&batch, 0, id)
        .map_err(|e| format!("{}: {}", e.code(), e.detail))
}

fn money(yuan_ten_thousandths: i64) -> Value {
    Value::Int(yuan_ten_thousandths)
}

#[test]
fn money_literals_in_yuan_wan_and_yi_are_exact() {
    assert_eq!(value_of("", "8 万元").unwrap(), money(80_000 * 10_000));
    assert_eq!(
        value_of("", "2.8 亿元").unwrap(),
        money(280_000_000 * 10_000)
    );
    assert_eq!(value_of("", "0.0001 元").unwrap(), money(1));
    assert!(value_of("", "0.00001 元").unwrap_err().contains("E0013"));
    assert_eq!(
        value_of("", "2% * 12345678.91 元").unwrap(),
        money(2_469_135_782)
    );
}

#[test]
fn rounding_to_the_fen_follows_the_stated_mode() {
    let cases = [
        ("round_fen(1.005 元)", 10_100),
        ("round_fen(1.005 元, half_even)", 10_000),
        ("round_fen(1.015 元, half_even)", 10_200),
        ("round_fen(1.0099 元, down)", 10_000),
        ("round_fen(1.0001 元, up)", 10_100),
        ("round_fen(-1.005 元)", -10_100),
        ("round_fen(-1.0001 元, floor)", -10_100),
        ("round_fen(-1.0099 元, ceiling)", -10_000),
    ];
    for (expr, expected) in cases {
        assert_eq!(value_of("", expr).unwrap(), money(expected), "{expr}");
    }
}

#[test]
fn durations_and_dates() {
    assert_eq!(
        value_of("", "2 years >= 24 months").unwrap(),
        Value::Bool(true)
    );
    assert_eq!(value_of("", "1.5 years").unwrap(), Value::Int(18));
    assert_eq!(
        value_of("", "months_between(2023-01-31, 2023-02-28)").unwrap(),
        Value::Int(0)
    );
    assert_eq!(
        value_of("", "months_between(2023-01-15, 2025-01-15)").unwrap(),
        Value::Int(24)
    );
    let d = bylaw_runtime::date::parse_date("2023-02-28").unwrap();
    assert_eq!(
        value_of("", "2023-01-31 + 1 months").unwrap(),
        Value::Date(d)
    );
    assert!(
        value_of("", "30 days + 1 months")
            .unwrap_err()
            .contains("E0003")
    );
}

#[test]
fn per_year_and_per_month_convert_exactly() {
    assert_eq!(
        value_of("", "per_year(1338 元 per month)").unwrap(),
        money(1338 * 12 * 10_000)
    );
    assert_eq!(
        value_of("", "per_month(100 元 per year)").unwrap(),
        money(83_333)
    );
    assert!(
        value_of("", "1338 元 per month + 1 元 per year")
            .unwrap_err()
            .contains("E0027")
    );
}

const SCALES: &str = r#"
scale tax "累进": marginal over money -> rate {
  from 2023-01-01 { 0 元: 10%  1000 元: 20%  3000 元: 30% }
}
scale tier "档次": single over money -> money {
  from 2023-01-01 { 0 元: 100 元  1000 元: 50 元 }
  from 2024-01-01 { 0 元: 120 元  1000 元: 60 元 }
}
"#;

#[test]
fn marginal_scales_sum_each_bracket() {
    // 1000 × 10% + 2000 × 20% + 500 × 30% = 650
    assert_eq!(
        value_of(SCALES, "tax(3500 元)").unwrap(),
        money(650 * 10_000)
    );
    assert_eq!(
        value_of(SCALES, "tax(1000 元)").unwrap(),
        money(100 * 10_000)
    );
    assert_eq!(value_of(SCALES, "tax(0 元)").unwrap(), money(0));
}

#[test]
fn single_scales_pick_the_bracket_in_force_at_the_date() {
    assert_eq!(
        value_of(SCALES, "tier(999.99 元)").unwrap(),
        money(120 * 10_000)
    );
    assert_eq!(
        value_of(SCALES, "tier(1000 元)").unwrap(),
        money(60 * 10_000)
    );
    assert!(
        value_of(SCALES, "tier(-1 元)")
            .unwrap_err()
            .starts_with("below_scale: -1.00 元 is below")
    );
}

#[test]
fn keyed_parameters_fall_back_to_the_parent_region() {
    let decls = r#"
enum region { gd "广东" gz "广州" in gd  ns "南沙" in gz  sz "深圳" in gd  hk "香港" }
parameter standard: money per month by region {
  gd: 1000 元 from 2023-01-01 assumed "test"
  gz: 1338 元 from 2023-01-01 assumed "test"
  gz: 1400 元 from 2023-07-01 assumed "test"
}
"#;
    assert_eq!(
        value_of(decls, "standard[region.ns]").unwrap(),
        money(1400 * 10_000)
    );
    assert_eq!(
        value_of(decls, "standard[region.sz]").unwrap(),
        money(1000 * 10_000)
    );
    assert!(
        value_of(decls, "standard[region.hk]")
            .unwrap_err()
            .contains("no value for `hk`")
    );
}

#[test]
fn and_or_and_if_are_lazy_so_guards_protect() {
    assert_eq!(
        value_of("", "false and 1 / 0 > 1.0").unwrap(),
        Value::Bool(false)
    );
    assert_eq!(
        value_of("", "if true then 1 元 else 1 元 / 0").unwrap(),
        money(10_000)
    );
    assert!(
        value_of("", "1 / 0 > 1.0")
            .unwrap_err()
            .starts_with("division_by_zero")
    );
}

#[test]
fn an_input_below_a_scale_is_its_own_error_shown_in_the_scale_unit() {
    let scale = "scale tier \"档次\": single over money -> money\n{\n  from 2023-01-01\n  {\n    0 元: 100 元\n    1000 元: 50 元\n  }\n}\n";
    let error = value_of(scale, "tier(-5 元)").unwrap_err();
    assert_eq!(
        error,
        "below_scale: -5.00 元 is below the first bracket of scale `tier`, which starts at 0.00 元"
    );
    assert_eq!(value_of(scale, "tier(5 元)"), Ok(money(100 * 10_000)));
}
