//! Explanations: every bundled policy explained in Chinese and English (snapshots); the
//! decisions of each policy's boundary households (its own test inputs) traced and put
//! into words (snapshots); and two properties over generated households — the traced
//! outcome is the evaluated outcome, and every "would change" suggestion, applied, does
//! change the decision.

use std::path::{Path, PathBuf};

use bylaw_compiler::explain::{Format, Lang, decision, doc, policy, trace, whatif};
use bylaw_compiler::interp::Evaluator;
use proptest::prelude::*;

/// Guangdong's policies, and the old-age allowance (ages from dates of birth).
fn policies() -> Vec<PathBuf> {
    let mut files = bylaw_tests::files_in(Path::new("../policies/guangdong"), "bylaw");
    files.retain(|f| !f.to_string_lossy().ends_with(".test.bylaw"));
    files.push(PathBuf::from(
        "../policies/illustrative/gaoling_allowance.bylaw",
    ));
    files
}

fn stem(p: &Path) -> String {
    p.file_stem().unwrap().to_string_lossy().to_string()
}

#[test]
fn every_policy_reads_as_a_document_in_both_languages() {
    let date = bylaw_runtime::date::parse_date("2023-08-01").unwrap();
    for file in policies() {
        let program = bylaw_compiler::compile_file(&file).program.unwrap();
        // A policy that starts later is explained at its start, with its values in force.
        let effective = program.policy.as_ref().and_then(|p| p.effective);
        let date = effective.filter(|e| *e > date).unwrap_or(date);
        for (lang, tag) in [(Lang::Zh, "zh"), (Lang::En, "en")] {
            let blocks = policy::explain_policy(&program, date, lang);
            let text = doc::render(&blocks, Format::Text, "");
            // Every definition is explained, with its label.
            for d in &program.defs {
                assert!(
                    text.contains(&format!("{})", d.name))
                        || text.contains(&format!("{}）", d.name)),
                    "{}: {} missing",
                    file.display(),
                    d.name
                );
            }
            insta::assert_snapshot!(format!("explain_{}_{tag}", stem(&file)), text);
        }
    }
}

#[test]
fn working_day_counts_are_explained_in_words() {
    let file = Path::new("../policies/national/workdays_2025.test.bylaw");
    let program = bylaw_compiler::compile_file(file).program.unwrap();
    let date = bylaw_runtime::date::parse_date("2025-01-01").unwrap();
    let text = |lang| {
        doc::render(
            &policy::explain_policy(&program, date, lang),
            Format::Text,
            "",
        )
    };
    let (zh, en) = (text(Lang::Zh), text(Lang::En));
    assert!(
        zh.contains("之后至") && zh.contains("（含）的工作日数"),
        "{zh}"
    );
    assert!(en.contains("the working days after"), "{en}");
}

#[test]
fn markdown_and_html_are_complete_documents() {
    let file = Path::new("../policies/guangdong/nansha_nonlocal_dibao.bylaw");
    let program = bylaw_compiler::compile_file(file).program.unwrap();
    let blocks = policy::explain_policy(
        &program,
        bylaw_runtime::date::parse_date("2023-08-01").unwrap(),
        Lang::Zh,
    );
    let md = doc::render(&blocks, Format::Markdown, "t");
    assert!(md.starts_with("# 南沙区异地申办最低生活保障"));
    assert!(
        md.contains("| 广州市（guangzhou） | 1,338.00元/人/月 |"),
        "{md}"
    );
    let html = doc::render(&blocks, Format::Html, "t");
    assert!(html.starts_with("<!doctype html>") && html.trim_end().ends_with("</html>"));
    assert!(!html.contains("http"), "the report must be self-contained");
}

#[test]
fn boundary_households_are_explained_in_both_languages() {
    for file in policies() {
        let program = bylaw_compiler::compile_file(&file).program.unwrap();
        let decision_id = whatif::default_decision(&program);
        for (lang, tag) in [(Lang::Zh, "zh"), (Lang::En, "en")] {
            let mut all = String::new();
            let yearly = bylaw_compiler::years::yearly_columns(&program).is_some();
            for t in &program.tests {
                let ev = bylaw_compiler::testing::evaluator(&program, t);
                let traced = trace::trace(&ev, &t.batch, t.row);
                // Fund rules over a yearly table have no applicant to advise.
                let what_if = match decision_id {
                    Some(d) if !yearly => whatif::what_would_change(&ev, &t.batch, d),
                    _ => whatif::WhatIf::default(),
                };
                let name = decision_id.filter(|_| !yearly).map(|d| {
                    bylaw_compiler::explain::words::def_label(&program, d)
                        .get(lang)
                        .to_string()
                });
                let blocks = decision::render_decision(&traced, &what_if, name.as_deref(), lang);
                all.push_str(&format!("### {}\n", t.name));
                all.push_str(&doc::render(&blocks, Format::Text, ""));
            }
            insta::assert_snapshot!(format!("why_{}_{tag}", stem(&file)), all);
        }
    }
}

/// A generated household: city, hukou, dibao elsewhere, car transaction, and each
/// member's income in fen and age in years.
type Household = (u8, u8, bool, bool, Vec<(u32, u8)>);

/// A household CSV pair for the dibao schema, from generated values.
fn dibao_data(households: &[Household]) -> (String, String) {
    const CITIES: [&str; 6] = [
        "guangzhou",
        "shenzhen",
        "yunfu",
        "nansha",
        "foshan",
        "shanwei",
    ];
    const HUKOU: [&str; 3] = ["local", "other_city", "hk_macau"];
    let mut h =
        String::from("id,city,hukou,residence,months_away,dibao_elsewhere,car_transaction\n");
    let mut m = String::from("household_id,income,age,disabled\n");
    for (i, (city, hukou, elsewhere, car, members)) in households.iter().enumerate() {
        h.push_str(&format!(
            "h{i},{},{},{},{},{elsewhere},{car}\n",
            CITIES[*city as usize % CITIES.len()],
            HUKOU[*hukou as usize % HUKOU.len()],
            (i * 7) % 40,
            (i * 3) % 9
        ));
        for (fen, age) in members {
            m.push_str(&format!(
                "h{i},{}.{:02},{age},false\n",
                fen / 100,
                fen % 100
            ));
        }
    }
    (h, m)
}

fn household() -> impl Strategy<Value = Household> {
    (
        any::<u8>(),
        any::<u8>(),
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.1),
        prop::collection::vec((0u32..600_000, 0u8..95), 1..5),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn explanations_state_the_evaluated_outcome_and_suggestions_flip_it(
        households in prop::collection::vec(household(), 1..6),
        which in 0usize..2,
    ) {
        let file = ["../policies/guangdong/dibao.bylaw", "../policies/guangdong/nansha_nonlocal_dibao.bylaw"][which];
        let program = bylaw_compiler::compile_file(Path::new(file)).program.unwrap();
        let (h, m) = dibao_data(&households);
        let dir = std::env::temp_dir().join(format!("bylaw-explain-{}-{}", std::process::id(), households.len() * 10 + which));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("h.csv"), h).unwrap();
        std::fs::write(dir.join("m.csv"), m).unwrap();
        let batch = bylaw_runtime::input::read_csv(&program.schema, &dir.join("h.csv"), &[("members".into(), dir.join("m.csv"))]).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let ev = Evaluator::new(&program, bylaw_runtime::date::parse_date("2023-08-01").unwrap());
        let decision_id = whatif::default_decision(&program).unwrap();
        for row in 0..batch.root_len() {
            let one = whatif::extract(&batch, &program.schema, row);
            let evaluated = ev.eval_root(&one, 0);
            let traced = trace::trace(&ev, &one, 0);
            match &evaluated {
                Ok(values) => {
                    prop_assert!(traced.error.is_none());
                    prop_assert_eq!(traced.outputs.len(), values.len());
                    for ((d, v), t) in program.outputs.iter().zip(values).zip(&traced.outputs) {
                        let shown = bylaw_compiler::format::plain(&program, program.def(*d).ty, v);
                        prop_assert_eq!(&t.value.plain, &shown);
                        if let Some(c) = &t.condition {
                            prop_assert_eq!(c.holds(), Some(*v == bylaw_compiler::ir::Value::Bool(true)));
                        }
                    }
                }
                Err(e) => prop_assert_eq!(traced.error.as_ref().map(|x| x.code.as_str()), Some(e.code())),
            }
            let before = ev.eval_one(&one, 0, decision_id);
            for change in whatif::what_would_change(&ev, &one, decision_id).changes {
                let after = ev.eval_one(&whatif::apply(&one, &change), 0, decision_id);
                prop_assert!(after.is_ok() && after != before, "{} does not flip", change.sentence(Lang::En));
                prop_assert!(change.label.name != "hukou" && change.label.name != "age", "a fixed input was suggested: {}", change.input);
            }
        }
    }
}
