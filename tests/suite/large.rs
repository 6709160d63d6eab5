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
