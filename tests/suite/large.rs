//! Big legitimate files: more rules, parameter values and enumeration variants than the
//! parser once allowed (it refused ~11,500 rules, ~37,000 values, ~52,000 variants with a
//! syntax error at a valid line). They check, and a household is evaluated against them.

use bylaw_compiler::interp::Evaluator;
use bylaw_compiler::ir::Value;

/// Regions: 30 provinces, each with `per` counties, each with `per` villages.
fn regions(per: usize) -> (String, Vec<String>) {
    let mut text = String::from("enum region \"行政区划\" {\n");
    let mut villages = Vec::new();
    for p in 0..30 {
        text.push_str(&format!(
            "  p{p} \"省{p}\" level province code {}\n",
            110_000 + p
        ));
        for c in 0..per {
            text.push_str(&format!("  c{p}_{c} in p{p} level county\n"));
            for v in 0..per {
                let name = format!("v{p}_{c}_{v}");
                text.push_str(&format!("  {name} in c{p}_{c} level village\n"));
                villages.push(name);
            }
        }
    }
    text.push_str("}\n");
    (text, villages)
}

#[test]
fn a_region_enumeration_of_sixty_thousand_variants_and_forty_thousand_values() {
    let (mut text, villages) = regions(45);
    assert!(villages.len() > 60_000);
    text.push_str("\nentity household {\n  place: region\n  income: money\n}\n\n");
    text.push_str("parameter standard: money by region assumed \"test\" {\n");
    for p in 0..30 {
        text.push_str(&format!("  p{p}: {} 元 from 2024-01-01\n", 800 + p));
    }
    for v in villages.iter().take(40_000) {
        text.push_str(&format!("  {v}: 1500 元 from 2024-01-01\n"));
    }
    text.push_str("}\n\namount benefit: money = standard[place] - income\n");
    // One village with its own value, one that falls back to its province.
    text.push_str(&format!(
        "\ntest \"own value\" at 2024-06-01 {{\n  household {{ place: {}, income: 100 元 }}\n  expect benefit = 1400 元\n}}\n",
        villages[3]
    ));
    text.push_str(&format!(
        "\ntest \"province\" at 2024-06-01 {{\n  household {{ place: {}, income: 100 元 }}\n  expect benefit = 729 元\n}}\n",
        villages[villages.len() - 2]
    ));
    let compiled = bylaw_compiler::compile_text("regions.bylaw", &text);
    assert!(!compiled.has_errors(), "{:?}", compiled.diagnostics.first());
    let program = compiled.program.unwrap();
    assert!(program.enums[0].variants.len() > 60_000);
    let outcomes = bylaw_compiler::testing::run(&program);
    assert_eq!(outcomes.len(), 2);
    assert!(outcomes.iter().all(|o| o.passed()), "{outcomes:?}");
}

#[test]
fn twelve_thousand_rules_check_and_evaluate() {
    let mut text = String::from("entity household {\n  x: count\n}\n\n");
    for i in 0..12_000 {
        text.push_str(&format!("rule r{i} = x > {i}\n"));
    }
    text.push_str("\ntest \"five\" at 2024-01-01 {\n  household { x: 5 }\n  expect r4 = true\n  expect r5 = false\n  expect r11999 = false\n}\n");
    let compiled = bylaw_compiler::compile_text("rules.bylaw", &text);
    assert!(!compiled.has_errors(), "{:?}", compiled.diagnostics.first());
    let program = compiled.program.unwrap();
    assert_eq!(program.outputs.len(), 12_000);
    let outcomes = bylaw_compiler::testing::run(&program);
    assert!(outcomes.iter().all(|o| o.passed()), "{outcomes:?}");
    let values = Evaluator::new(&program, program.tests[0].date)
        .eval_root(&program.tests[0].batch, 0)
        .unwrap();
    assert_eq!(values[4], Value::Bool(true));
}

/// `why` tries each input of a household once per step of its search, and each try
/// evaluates the whole household: bounded, so that a household of 10,000 members is
/// explained in linear time, and what was left untried is said.
#[test]
fn what_if_on_a_huge_household_tries_the_first_records_and_says_so() {
    use bylaw_compiler::explain::whatif::{RECORDS_TRIED, Untried};
    let mut text = String::from(
        "entity household {\n  members: many person\n}\nentity person \"家庭成员\" {\n  income: money\n}\n\n\
         amount total: money = sum(members: income)\nrule eligible = total < 1000000 元\n\n\
         test \"many\" at 2024-01-01 {\n  household {\n    members: [\n",
    );
    for i in 0..5_000 {
        text.push_str(&format!("      {{ income: {} 元 }},\n", i % 7));
    }
    text.push_str("    ],\n  }\n  expect eligible = true\n}\n");
    let (_, found) = what_if_of_the_test("many.bylaw", &text);
    assert_eq!(found.changes.len(), RECORDS_TRIED, "{:?}", found.changes);
    assert_eq!(found.changes[0].input, "person[1].income");
    assert!(matches!(
        &found.untried[..],
        [Untried::Records { entity, tried, of: 5_000 }]
            if entity.zh == "家庭成员" && *tried == RECORDS_TRIED
    ));
    let sentence = found.untried[0].sentence(bylaw_compiler::explain::Lang::Zh);
    assert!(
        sentence.contains("前 20 名家庭成员（共 5000 名）"),
        "{sentence}"
    );
}

/// An enumeration input of a national region table is tried with the values the policy
/// names first (here a village near the end of the table), and at most 256 in all.
#[test]
fn what_if_on_a_region_input_tries_named_values_first() {
    use bylaw_compiler::explain::whatif::{Untried, VALUES_TRIED};
    let (mut text, villages) = regions(20);
    let special = &villages[villages.len() - 5];
    text.push_str("\nentity household {\n  place: region \"所在地\"\n}\n\n");
    text.push_str(&format!("rule eligible = place == region.{special}\n\n"));
    text.push_str(&format!(
        "test \"elsewhere\" at 2024-01-01 {{\n  household {{ place: {} }}\n  expect eligible = false\n}}\n",
        villages[0]
    ));
    let (program, found) = what_if_of_the_test("regions.bylaw", &text);
    assert_eq!(found.changes.len(), 1, "{found:?}");
    assert_eq!(found.changes[0].to.plain, *special);
    let variants = program.enums[0].variants.len();
    assert!(matches!(
        &found.untried[..],
        [Untried::Values { tried, of, .. }] if *tried == VALUES_TRIED && *of == variants - 1
    ));
}

/// The program of `text` and what would change its main decision for its first test's
/// household.
fn what_if_of_the_test(
    name: &str,
    text: &str,
) -> (
    bylaw_compiler::Program,
    bylaw_compiler::explain::whatif::WhatIf,
) {
    use bylaw_compiler::explain::whatif;
    let compiled = bylaw_compiler::compile_text(name, text);
    assert!(!compiled.has_errors(), "{:?}", compiled.diagnostics.first());
    let program = compiled.program.unwrap();
    let case = &program.tests[0];
    let ev = bylaw_compiler::testing::evaluator(&program, case);
    let decision = whatif::default_decision(&program).unwrap();
    let found = whatif::what_would_change(&ev, &case.batch, decision);
    (program, found)
}
