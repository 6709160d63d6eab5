//! The one nesting bound (`bylaw_grammar::MAX_DEPTH`) through every phase: programs
//! generated exactly at the bound check, format back to the same tree, evaluate in the
//! interpreter and the JIT alike, and are explained and traced with their what-ifs — all
//! on a test thread's ordinary stack; one level more is a located error, never a crash.

use bylaw_compiler::explain::{Format, Lang, decision, doc, policy, trace, whatif};
use bylaw_compiler::interp::Evaluator;
use bylaw_grammar::MAX_DEPTH;

const HEAD: &str = "entity household {\n  x: money default 1 元\n  b: bool default true\n}\n\n";

/// A program whose output `total` (or rule `r`) nests exactly `depth` levels, in one of
/// the shapes that once overflowed the stack, and the expected value.
fn program(shape: &str, depth: usize) -> (String, &'static str, String) {
    let (body, out, expected) = match shape {
        // `x + x + … + x`: depth - 1 additions over a name.
        "sum" => (
            format!("amount total: money = {}\n", vec!["x"; depth].join(" + ")),
            "total",
            format!("{depth} 元"),
        ),
        // `not not … b`: depth - 1 negations over a name.
        "not" => (
            format!("rule r = {}b\n", "not ".repeat(depth - 1)),
            "r",
            (depth % 2 == 1).to_string(),
        ),
        // `if b then x else if … else x`: depth - 1 `if`s over a name.
        "if" => (
            format!(
                "amount total: money = {}x\n",
                "if b then x else ".repeat(depth - 1)
            ),
            "total",
            "1 元".to_string(),
        ),
        // `((…(x)…))`: depth - 1 brackets over a name.
        "brackets" => (
            format!(
                "amount total: money = {}x{}\n",
                "(".repeat(depth - 1),
                ")".repeat(depth - 1)
            ),
            "total",
            "1 元".to_string(),
        ),
        // A chain of definitions, each adding one to the one before: every reference is
        // evaluated in place, so the chain nests like one expression.
        // A chain of definitions, each adding one to the one before: every reference is
        // evaluated in place, so the chain nests like one expression (two levels a link,
        // one for `total`'s reference).
        _ => {
            let (first, base) = if depth.is_multiple_of(2) {
                ("x", 1)
            } else {
                ("x + x", 2)
            };
            let links = (depth - 1 - base) / 2;
            let mut text = format!("amount a0: money = {first}\n");
            for i in 1..=links {
                text.push_str(&format!("amount a{i}: money = a{} + x\n", i - 1));
            }
            text.push_str(&format!("amount total: money = a{links}\n"));
            let value = base + links;
            (text, "total", format!("{value} 元"))
        }
    };
    (format!("{HEAD}{body}"), out, expected)
}

fn with_test(text: &str, out: &str, expected: &str) -> String {
    format!(
        "{text}\ntest \"deep\" at 2024-01-01 {{\n  household {{ x: 1 元, b: true }}\n  expect {out} = {expected}\n}}\n"
    )
}

const SHAPES: [&str; 5] = ["sum", "not", "if", "brackets", "chain"];

#[test]
fn programs_at_the_bound_pass_every_phase() {
    // On a thread with the stack of a process's main thread (8 MiB), where `bylaw`
    // checks, tests, explains and traces; the engine's workers get twice that. An
    // unoptimised build's frames are the largest, so this is the tight case.
    std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(every_phase_at_the_bound)
        .unwrap()
        .join()
        .unwrap();
}

fn every_phase_at_the_bound() {
    for shape in SHAPES {
        let depth = MAX_DEPTH;
        let (text, out, expected) = program(shape, depth);
        let text = with_test(&text, out, &expected);
        let what = format!("{shape} at {depth}");

        // fmt: the canonical text parses back to the same tree, and is a fixed point.
        let module = bylaw_grammar::parse(&text).unwrap_or_else(|e| panic!("{what}: {e}"));
        let printed = bylaw_grammar::format(&module, &text);
        let reparsed = bylaw_grammar::parse(&printed).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(reparsed, module, "{what}");
        assert_eq!(
            bylaw_grammar::format(&reparsed, &printed),
            printed,
            "{what}"
        );

        // check, and the test block in the interpreter.
        let compiled = bylaw_compiler::compile_text("deep.bylaw", &text);
        assert!(!compiled.has_errors(), "{what}: {:?}", compiled.diagnostics);
        let program = compiled.program.expect("a program");
        let outcomes = bylaw_compiler::testing::run(&program);
        assert!(outcomes.iter().all(|o| o.passed()), "{what}: {outcomes:?}");

        // The JIT agrees with the interpreter.
        let case = &program.tests[0];
        crate::differential::assert_same(&program, case.date, &case.batch, &what);

        // explain, why (trace) and what would change it.
        let blocks = policy::explain_policy(&program, case.date, Lang::En);
        assert!(!doc::render(&blocks, Format::Markdown, "deep").is_empty());
        let evaluator = Evaluator::new(&program, case.date);
        let traced = trace::trace(&evaluator, &case.batch, 0);
        let what_if = program
            .outputs
            .iter()
            .find(|d| program.def(**d).ty == bylaw_compiler::types::Ty::Bool)
            .map(|d| whatif::what_would_change(&evaluator, &case.batch, *d))
            .unwrap_or_default();
        let words = decision::render_decision(&traced, &what_if, None, Lang::Zh);
        assert!(!doc::render(&words, Format::Text, "deep").is_empty());
    }
}

#[test]
fn one_level_more_is_a_located_error() {
    for shape in SHAPES {
        let depth = MAX_DEPTH + 1;
        let (text, _, _) = program(shape, depth);
        let what = format!("{shape} at {depth}");
        let compiled = bylaw_compiler::compile_text("deep.bylaw", &text);
        let errors: Vec<_> = compiled
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .collect();
        assert_eq!(errors.len(), 1, "{what}: {errors:?}");
        let error = errors[0];
        assert!(
            error.message.contains(&MAX_DEPTH.to_string()),
            "{what}: {}",
            error.message
        );
        assert!(error.help.is_some(), "{what}");
        let label = error.primary.as_ref().expect("a location");
        // The place named is in the program's text after the entity, on the deep line.
        let line_start = HEAD.len();
        assert!(label.span.start as usize >= line_start, "{what}: {label:?}");
    }
}

/// Far past the bound — the sizes that aborted `bylaw check` — is the same error, found
/// in time linear in the text.
#[test]
fn hostile_depths_are_refused_without_a_crash() {
    for (shape, depth) in [
        ("sum", 50_000),
        ("not", 50_000),
        ("if", 20_000),
        ("brackets", 50_000),
    ] {
        let (text, _, _) = program(shape, depth);
        let compiled = bylaw_compiler::compile_text("deep.bylaw", &text);
        assert!(compiled.has_errors(), "{shape}");
    }
    let (text, _, _) = program("chain", 6_001);
    let compiled = bylaw_compiler::compile_text("deep.bylaw", &text);
    assert!(compiled.has_errors(), "chain");
    // Declared last first, the chain is checked in place, reference by reference.
    let mut reversed = HEAD.to_string();
    for i in (1..3_000).rev() {
        reversed.push_str(&format!("amount a{i}: money = a{} + x\n", i - 1));
    }
    reversed.push_str("amount a0: money = x\n");
    let compiled = bylaw_compiler::compile_text("deep.bylaw", &reversed);
    assert!(compiled.has_errors(), "reversed chain");
}
