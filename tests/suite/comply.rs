//! Compliance runs on data: every case in `tests/comply/*/` is a register
//! (`stations.csv`, `persons.csv`) and a service log (`log.csv`) checked against
//! `policies/sichuan/chengdu_services.bylaw`; `expected.txt` lists each log issue
//! (`line kind counted`) and persons' outcomes (`key status`). Also: periods and windows
//! against the calendar, and the bundled synthetic demo running end to end.

use std::path::Path;

use bylaw_compiler::comply::run::{Status, run};
use bylaw_runtime::period::{Period, WindowKind};

fn register(program: &bylaw_compiler::Program, dir: &Path) -> bylaw_runtime::batch::Batch {
    bylaw_runtime::input::read_csv(
        &program.schema,
        &dir.join("stations.csv"),
        &[("persons".to_string(), dir.join("persons.csv"))],
    )
    .unwrap_or_else(|e| panic!("{}: {e:?}", dir.display()))
}

#[test]
fn log_issues_are_reported_by_line_and_none_is_dropped() {
    let program =
        bylaw_compiler::compile_file(Path::new("../policies/sichuan/chengdu_services.bylaw"))
            .program
            .unwrap();
    let mut cases = 0;
    for entry in std::fs::read_dir("comply").unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        cases += 1;
        let batch = register(&program, &dir);
        let log = bylaw_runtime::servicelog::read_log(&dir.join("log.csv")).unwrap();
        let period = Period::parse("2023-07").unwrap();
        let report = run(&program, &batch, &log, &period).unwrap();
        let expected = std::fs::read_to_string(dir.join("expected.txt")).unwrap();
        let mut issues = Vec::new();
        let mut outcomes = Vec::new();
        for line in expected
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        {
            let words: Vec<&str> = line.split_whitespace().collect();
            if words.len() == 3 {
                issues.push(line.to_string());
            } else {
                outcomes.push(line.to_string());
            }
        }
        let actual: Vec<String> = report
            .issues
            .iter()
            .map(|i| format!("{} {} {}", i.line, i.kind.code(), i.kind.counted()))
            .collect();
        assert_eq!(actual, issues, "{}", dir.display());
        // Every row of the file is either counted or reported.
        let lines = std::fs::read_to_string(dir.join("log.csv"))
            .unwrap()
            .lines()
            .count()
            - 1;
        let reported_not_counted = report.issues.iter().filter(|i| !i.kind.counted()).count();
        assert_eq!(
            report.counted_rows + reported_not_counted,
            lines,
            "{}",
            dir.display()
        );
        let rows = &report.obligations[0].rows;
        for o in outcomes {
            let (key, status) = o.split_once(' ').unwrap();
            let row = rows
                .iter()
                .find(|r| r.key == key)
                .unwrap_or_else(|| panic!("{key} not in scope"));
            assert_eq!(row.status.as_str(), status, "{}: {key}", dir.display());
        }
    }
    assert!(cases >= 1);
}

#[test]
fn windows_follow_the_calendar() {
    // 2024 is a leap year; its first ISO week starts on Monday 1 January, and the
    // week of 30 December 2024 ends in 2025, so 52 whole weeks lie inside 2024.
    let y = Period::parse("2024").unwrap();
    assert_eq!(y.windows(WindowKind::Week).len(), 52);
    assert_eq!(y.windows(WindowKind::Day).len(), 366);
    assert_eq!(y.windows(WindowKind::Month).len(), 12);
    let feb = Period::parse("2024-02").unwrap();
    assert_eq!(feb.end - feb.start + 1, 29);
    for q in 1..=4 {
        let p = Period::parse(&format!("2023-Q{q}")).unwrap();
        let months = p.windows(WindowKind::Month);
        assert_eq!(months.len(), 3);
        assert_eq!(months.first().unwrap().0, p.start);
        assert_eq!(months.last().unwrap().1, p.end);
    }
}

#[test]
fn the_bundled_synthetic_demo_runs_and_every_miss_has_a_reason() {
    let program = bylaw_compiler::compile_file(Path::new("../examples/comply/demo.bylaw"))
        .program
        .unwrap();
    let dir = Path::new("../examples/comply");
    let batch = register(&program, dir);
    let log = bylaw_runtime::servicelog::read_log(&dir.join("log.csv")).unwrap();
    let report = run(&program, &batch, &log, &Period::parse("2023-07").unwrap()).unwrap();
    assert_eq!(report.log_rows, 5000);
    assert!(
        !report.issues.is_empty(),
        "the demo log carries wrong rows on purpose"
    );
    for r in &report.obligations {
        let o = &program.comply.obligations[r.obligation];
        for row in r.rows.iter().filter(|x| x.status == Status::Missed) {
            for lang in [
                bylaw_compiler::explain::Lang::Zh,
                bylaw_compiler::explain::Lang::En,
            ] {
                let reasons = bylaw_compiler::comply::words::row_reasons(
                    &program,
                    o,
                    row,
                    &report.period,
                    lang,
                );
                assert!(
                    !reasons.is_empty(),
                    "{} {}: a miss without a reason",
                    o.name,
                    row.key
                );
                // Every reason names its standard's source or assumption.
                assert!(
                    reasons.iter().all(|x| x.contains("S001")
                        || x.contains("S004")
                        || x.contains("假定")
                        || x.contains("assumed")),
                    "{reasons:?}"
                );
            }
        }
    }
}

/// Yunan's review limit of 15 working days (S004) over the bundled 2025 calendar: the
/// deadline skips the Spring Festival and counts its adjusted working days, the reasons
/// say 工作日 and working days, and an application whose deadline the calendar cannot
/// place is an error for that person, never a guess.
#[test]
fn deadlines_in_working_days_follow_the_calendar_and_say_so() {
    let program =
        bylaw_compiler::compile_file(Path::new("../policies/guangdong/yunan_relief_review.bylaw"))
            .program
            .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("stations.csv"), "id,region\nS1,郁南县\n").unwrap();
    std::fs::write(
        dir.path().join("persons.csv"),
        "station_id,id,dibao,relief_applied_on\n\
         S1,on_time,true,2025-01-20\n\
         S1,late,true,2025-01-20\n\
         S1,december,true,2025-12-20\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("log.csv"),
        "person,station,service,date,worker\n\
         on_time,S1,YN-R-01,2025-02-14,w1\n\
         late,S1,YN-R-01,2025-02-17,w1\n",
    )
    .unwrap();
    let batch = register(&program, dir.path());
    let log = bylaw_runtime::servicelog::read_log(&dir.path().join("log.csv")).unwrap();
    let o = &program.comply.obligations[0];
    let status = |period: &str, key: &str| {
        let report = run(&program, &batch, &log, &Period::parse(period).unwrap()).unwrap();
        let row = report.obligations[0]
            .rows
            .iter()
            .find(|r| r.key == key)
            .cloned()
            .unwrap();
        (row, report.period)
    };
    let (on_time, _) = status("2025", "on_time");
    assert_eq!(on_time.status, Status::Met);
    let (late, period) = status("2025", "late");
    assert_eq!(late.status, Status::Missed);
    let words =
        |lang| bylaw_compiler::comply::words::row_reasons(&program, o, &late, &period, lang);
    let zh = words(bylaw_compiler::explain::Lang::Zh).join("\n");
    let en = words(bylaw_compiler::explain::Lang::En).join("\n");
    assert!(
        zh.contains("15个工作日内") && zh.contains("期限 2025-02-14"),
        "{zh}"
    );
    assert!(
        en.contains("within 15 working days") && en.contains("deadline 2025-02-14"),
        "{en}"
    );
    let (december, _) = status("2025-12", "december");
    assert_eq!(december.status, Status::Error);
    let error = december.error.unwrap_or_default();
    assert!(
        error.starts_with("outside_calendar") && error.contains("2026-01-01"),
        "{error}"
    );
}

mod round_trip {
    //! Generated obligations and catalogues print in canonical form and parse back equal.

    use bylaw_grammar::Span;
    use bylaw_grammar::ast::*;
    use proptest::prelude::*;

    fn ident(name: &str) -> Ident {
        Ident {
            name: name.to_string(),
            span: Span::default(),
        }
    }

    fn s(text: &str) -> Str {
        Str {
            text: text.to_string(),
            span: Span::default(),
        }
    }

    fn name() -> impl Strategy<Value = String> {
        // Ending in `x` keeps generated names clear of keywords.
        "[a-z][a-z_]{0,6}x"
    }

    fn meta() -> impl Strategy<Value = Meta> {
        (
            proptest::option::of("[a-z中文 ]{0,8}"),
            proptest::option::of("[a-z ]{1,8}"),
            any::<bool>(),
        )
            .prop_map(|(label, en, cited)| Meta {
                label: label.map(|l| s(&l)),
                en: en.map(|e| s(&e)),
                sources: if cited {
                    vec![Citation {
                        document: ident("S001"),
                        quote: s("每月至少2次"),
                    }]
                } else {
                    Vec::new()
                },
                ..Meta::default()
            })
    }

    fn compare(field: String, n: u32) -> Expr {
        let e = |kind| Expr {
            kind,
            span: Span::default(),
        };
        e(ExprKind::Binary {
            op: BinOp::Ge,
            lhs: Box::new(e(ExprKind::Path(vec![ident(&field)]))),
            rhs: Box::new(e(ExprKind::Literal(LitKind::Number {
                negative: false,
                digits: n.to_string(),
                unit: None,
                per: None,
            }))),
        })
    }

    fn delivery() -> impl Strategy<Value = Delivery> {
        let window = prop_oneof![
            Just(Window::Day),
            Just(Window::Week),
            Just(Window::Month),
            Just(Window::Quarter),
            Just(Window::Year),
            Just(Window::Period)
        ];
        prop_oneof![
            (
                any::<bool>(),
                0u32..50,
                proptest::collection::vec(name(), 1..3),
                window
            )
                .prop_map(|(least, n, services, window)| Delivery::Frequency {
                    bound: if least { Bound::AtLeast } else { Bound::AtMost },
                    count: s(&n.to_string()),
                    services: services.iter().map(|x| ident(x)).collect(),
                    window,
                    span: Span::default(),
                }),
            (
                proptest::collection::vec(name(), 1..3),
                0u32..90,
                name(),
                proptest::option::of(proptest::option::of(name()))
            )
                .prop_map(|(services, days, event, working)| {
                    Delivery::Deadline {
                        services: services.iter().map(|x| ident(x)).collect(),
                        days: s(&days.to_string()),
                        // Working days, optionally in a named calendar.
                        working: working.is_some(),
                        calendar: working.flatten().map(|c| ident(&c)),
                        event: ident(&event),
                        span: Span::default(),
                    }
                }),
        ]
    }

    fn part() -> impl Strategy<Value = ObligationPart> {
        prop_oneof![
            (name(), meta(), name(), 0u32..10).prop_map(|(n, meta, field, k)| {
                ObligationPart::Require {
                    name: ident(&n),
                    meta,
                    condition: compare(field, k),
                }
            }),
            (name(), meta(), delivery()).prop_map(|(n, meta, standard)| ObligationPart::Deliver {
                name: ident(&n),
                meta,
                standard,
            }),
            (0u32..=100).prop_map(|r| ObligationPart::Coverage {
                digits: r.to_string(),
                meta: Meta::default(),
                span: Span::default(),
            }),
        ]
    }

    fn obligation() -> impl Strategy<Value = Item> {
        (
            name(),
            meta(),
            name(),
            proptest::collection::vec(part(), 1..5),
        )
            .prop_map(|(n, meta, entity, mut parts)| {
                let names: Vec<String> = parts
                    .iter()
                    .filter_map(|p| match p {
                        ObligationPart::Require { name, .. }
                        | ObligationPart::Deliver { name, .. } => Some(name.name.clone()),
                        _ => None,
                    })
                    .collect();
                if let Some(first) = names.first() {
                    let e = |kind| Expr {
                        kind,
                        span: Span::default(),
                    };
                    parts.push(ObligationPart::Light {
                        colour: Colour::Red,
                        condition: Some(e(ExprKind::Unary {
                            op: UnOp::Not,
                            operand: Box::new(e(ExprKind::Path(vec![ident(first)]))),
                        })),
                        meta: Meta::default(),
                        span: Span::default(),
                    });
                    parts.push(ObligationPart::Light {
                        colour: Colour::Green,
                        condition: None,
                        meta: Meta::default(),
                        span: Span::default(),
                    });
                }
                Item::Obligation(ObligationDecl {
                    name: ident(&n),
                    meta,
                    entity: ident(&entity),
                    filter: None,
                    parts,
                    span: Span::default(),
                })
            })
    }

    fn catalogue() -> impl Strategy<Value = Item> {
        let service = (
            name(),
            meta(),
            "[A-Z0-9-]{1,6}",
            proptest::collection::vec(name(), 0..3),
        )
            .prop_map(|(n, meta, code, serves)| ServiceDecl {
                name: ident(&n),
                meta,
                code: Some(s(&code)),
                serves: serves.iter().map(|x| ident(x)).collect(),
                span: Span::default(),
            });
        let category = (
            name(),
            meta(),
            "[A-Z]{1,3}",
            proptest::collection::vec(service, 0..3),
        )
            .prop_map(|(n, meta, code, services)| CategoryDecl {
                name: ident(&n),
                meta,
                code: Some(s(&code)),
                services,
                span: Span::default(),
            });
        (name(), meta(), proptest::collection::vec(category, 0..3)).prop_map(
            |(n, meta, categories)| {
                Item::Catalogue(CatalogueDecl {
                    name: ident(&n),
                    meta,
                    categories,
                    span: Span::default(),
                })
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        #[test]
        fn services_round_trip(items in proptest::collection::vec(prop_oneof![obligation(), catalogue()], 1..4)) {
            let m = Module { items };
            let text = bylaw_grammar::format(&m, "");
            let parsed = bylaw_grammar::parse(&text).map_err(|e| TestCaseError::fail(format!("{e} in\n{text}")))?;
            prop_assert_eq!(&parsed, &m, "{}", text);
            prop_assert_eq!(bylaw_grammar::format(&parsed, &text), text);
        }
    }
}
