//! Properties: formatting is idempotent and keeps the meaning (`parse(fmt(x)) == x`) for
//! generated programs, and exact arithmetic in the interpreter matches a reference.

use bylaw_grammar::Span;
use bylaw_grammar::ast::*;
use proptest::prelude::*;

fn ident(name: &str) -> Ident {
    Ident {
        name: name.to_string(),
        span: Span::default(),
    }
}

fn e(kind: ExprKind) -> Expr {
    Expr {
        kind,
        span: Span::default(),
    }
}

/// Wraps compound expressions in parentheses, as the parser would have them.
fn operand(x: Expr) -> Expr {
    match x.kind {
        ExprKind::Binary { .. } | ExprKind::If { .. } | ExprKind::Unary { .. } => {
            e(ExprKind::Paren(Box::new(x)))
        }
        _ => x,
    }
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("income".to_string()),
        Just("收入".to_string()),
        Just("residence".to_string()),
        "[a-z][a-z_]{0,8}".prop_filter("not a keyword", |s| !matches!(
            s.as_str(),
            "if" | "then"
                | "else"
                | "and"
                | "or"
                | "not"
                | "where"
                | "true"
                | "false"
                | "none"
                | "let"
                | "rule"
                | "amount"
                | "policy"
                | "use"
                | "enum"
                | "entity"
                | "parameter"
                | "scale"
                | "exception"
                | "test"
                | "scenario"
                | "set"
                | "expect"
        )),
    ]
}

fn literal() -> impl Strategy<Value = LitKind> {
    let unit = prop_oneof![
        Just(None),
        Just(Some(Unit::Yuan)),
        Just(Some(Unit::Wan)),
        Just(Some(Unit::Percent)),
        Just(Some(Unit::Months)),
        Just(Some(Unit::Days)),
    ];
    prop_oneof![
        ("[0-9]{1,6}(\\.[0-9]{1,4})?", unit).prop_map(|(digits, unit)| LitKind::Number {
            negative: false,
            digits,
            unit,
            per: None
        }),
        any::<bool>().prop_map(LitKind::Bool),
        "[a-zA-Z 中文]{0,8}".prop_map(LitKind::Text),
        Just(LitKind::Date("2023-07-01".into())),
    ]
}

fn expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        literal().prop_map(|l| e(ExprKind::Literal(l))),
        name().prop_map(|n| e(ExprKind::Path(vec![ident(&n)]))),
        name().prop_map(|n| e(ExprKind::LastYear(Box::new(e(ExprKind::Path(vec![
            ident(&n)
        ])))))),
    ];
    leaf.prop_recursive(4, 32, 3, |inner| {
        let op = prop_oneof![
            Just(BinOp::Or),
            Just(BinOp::And),
            Just(BinOp::Eq),
            Just(BinOp::Lt),
            Just(BinOp::Ge),
            Just(BinOp::Add),
            Just(BinOp::Sub),
            Just(BinOp::Mul),
            Just(BinOp::Div),
        ];
        prop_oneof![
            (op, inner.clone(), inner.clone()).prop_map(|(op, a, b)| e(ExprKind::Binary {
                op,
                lhs: Box::new(operand(a)),
                rhs: Box::new(operand(b))
            })),
            inner.clone().prop_map(|a| e(ExprKind::Unary {
                op: UnOp::Not,
                operand: Box::new(operand(a))
            })),
            (inner.clone(), inner.clone(), inner.clone()).prop_map(|(c, t, o)| e(ExprKind::If {
                condition: Box::new(c),
                then: Box::new(t),
                otherwise: Box::new(o),
            })),
            (name(), inner.clone()).prop_map(|(f, a)| e(ExprKind::Call {
                function: ident(&format!("f_{f}")),
                args: vec![a.clone(), a]
            })),
            (inner.clone(), inner).prop_map(|(b, f)| e(ExprKind::Aggregate {
                function: AggFn::Sum,
                function_span: Span::default(),
                relation: ident("members"),
                body: Some(Box::new(b)),
                filter: Some(Box::new(f)),
                default: None,
            })),
        ]
    })
}

fn module() -> impl Strategy<Value = Module> {
    let limit = (any::<bool>(), any::<bool>(), expr()).prop_map(|(principle, at_most, value)| {
        bylaw_grammar::ast::Limit {
            principle,
            at_most,
            value,
            meta: Meta::default(),
            span: Span::default(),
        }
    });
    let def = (
        name(),
        expr(),
        "[a-z中文 ]{0,10}",
        proptest::collection::vec(limit, 0..3),
    );
    proptest::collection::vec(def, 1..5).prop_map(|defs| Module {
        items: defs
            .into_iter()
            .map(|(n, body, label, limits)| {
                Item::Def(DefDecl {
                    kind: DefKind::Let,
                    name: ident(&n),
                    ty: None,
                    meta: Meta {
                        label: Some(Str {
                            text: label,
                            span: Span::default(),
                        }),
                        ..Meta::default()
                    },
                    entity: None,
                    rounding: None,
                    from: None,
                    until: None,
                    body,
                    limits,
                    span: Span::default(),
                })
            })
            .collect(),
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn formatting_round_trips(m in module()) {
        let text = bylaw_grammar::format(&m, "");
        let parsed = bylaw_grammar::parse(&text).map_err(|e| TestCaseError::fail(format!("{e} in\n{text}")))?;
        prop_assert_eq!(&parsed, &m, "{}", text);
        prop_assert_eq!(bylaw_grammar::format(&parsed, &text), text);
    }

    /// Per-capita income is exact to 0.0001 元, rounded half away from zero, and the
    /// benefit is rounded to the fen only at the amount.
    #[test]
    fn per_capita_income_is_exact(incomes in proptest::collection::vec(0i64..2_000_000, 1..7)) {
        let program = bylaw_compiler::compile_text("p.bylaw", r#"
entity household { id: text key  members: many person }
entity person { income: money per month }
let total: money per month = sum(members: income)
let per_capita: money per month = total / count(members)
"#).program.unwrap();
        let members: Vec<String> = incomes.iter().map(|fen| format!("{}.{:02}", fen / 100, fen % 100)).collect();
        let dir = std::env::temp_dir().join(format!("bylaw-prop-{}-{}", std::process::id(), incomes.iter().sum::<i64>()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("h.csv"), "id\nh1\n").unwrap();
        let mut m = String::from("household_id,income\n");
        for x in &members { m.push_str(&format!("h1,{x}\n")); }
        std::fs::write(dir.join("m.csv"), m).unwrap();
        let batch = bylaw_runtime::input::read_csv(&program.schema, &dir.join("h.csv"), &[("members".into(), dir.join("m.csv"))]).unwrap();
        let out = bylaw_compiler::interp::Evaluator::new(&program, 0).eval_root(&batch, 0).unwrap();
        let total_fen: i64 = incomes.iter().sum();
        let n = incomes.len() as i64;
        // Reference: total in 0.0001 元 over n, half away from zero.
        let num = total_fen * 100;
        let expected = (2 * num + n) / (2 * n);
        prop_assert_eq!(&out[1], &bylaw_compiler::ir::Value::Int(expected));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// Fragments of real Bylaw, shuffled: the compiler must answer every arrangement with
/// diagnostics or a program, never a panic.
fn token_soup() -> impl Strategy<Value = String> {
    let tokens = prop_oneof![
        Just("entity household { id: text key income: money per month members: many person }\n"),
        Just("entity person { age: years }\n"),
        Just("rule r \"标签\" = "),
        Just("let x: money = "),
        Just("amount a: money per person per month = "),
        Just("parameter p: money by region { gz: 1 元 from 2023-01-01 }\n"),
        Just("enum region { gd \"广东\" gz in gd }\n"),
        Just("exception e to r when "),
        Just("test \"t\" at 2023-01-01 { household { id: \"a\" } expect r = true }\n"),
        Just("income"),
        Just(" < "),
        Just(" and "),
        Just(" or "),
        Just("not "),
        Just(" + "),
        Just(" / "),
        Just("1338 元"),
        Just("2%"),
        Just("24 months"),
        Just("0"),
        Just("2023-02-30"),
        Just("0.00001 元"),
        Just("sum(members: age)"),
        Just("count(members where "),
        Just(")"),
        Just("("),
        Just("min(members: age)"),
        Just("if "),
        Just(" then "),
        Just(" else "),
        Just("p[region.gz]"),
        Just("round_fen(x, half_even)"),
        Just("\n"),
        Just("#"),
        Just("\""),
        Just("{"),
        Just("}"),
        Just("="),
        Just("use \"nowhere.bylaw\"\n"),
    ];
    proptest::collection::vec(tokens, 0..40).prop_map(|t| t.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_text_gets_diagnostics_not_a_panic(text in token_soup()) {
        let compiled = bylaw_compiler::compile_text("soup.bylaw", &text);
        for d in &compiled.diagnostics {
            // Every diagnostic renders, and points inside the file.
            let _ = bylaw_compiler::diagnostics::render_human(d, &compiled.sources, false, 80);
            if let Some(l) = &d.primary {
                prop_assert!(l.span.end as usize <= text.len().max(1));
            }
        }
        if let Some(program) = compiled.program {
            let _ = bylaw_compiler::testing::run(&program);
        }
    }

    #[test]
    fn random_bytes_never_panic_the_parser(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let _ = bylaw_grammar::parse(&text);
    }
}
