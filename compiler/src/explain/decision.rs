//! A traced decision in words: each output with its value, the conditions that held (✓)
//! and failed (✗) with the actual values, where parameters came from, the rounding done,
//! the citation, and what would change the outcome.

use super::doc::Block;
use super::render::{phrase, rounding_words};
use super::trace::{Condition, DecisionTrace, ParamSource, Term};
use super::whatif::WhatIf;
use super::words::{Lang, Words};

fn t<'a>(lang: Lang, zh: &'a str, en: &'a str) -> &'a str {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

fn term_text(term: &Term, lang: Lang) -> String {
    let name = phrase(&term.words, lang);
    match (&term.value, &term.words) {
        (Some(v), Words::Value { .. }) => v.get(lang).to_string(),
        (Some(v), _) => match lang {
            Lang::Zh => format!("{name}（{}）", v.get(lang)),
            Lang::En => format!("{name} ({})", v.get(lang)),
        },
        (None, _) => name,
    }
}

fn source_text(p: &ParamSource, lang: Lang) -> String {
    let level = match (&p.key, &p.used_key) {
        (Some(k), Some(u)) if k != u => match lang {
            Lang::Zh => format!("{k} 未单列，取 {u} 的值，"),
            Lang::En => format!("{k} has no value of its own, {u}'s applies, "),
        },
        (_, Some(u)) => match lang {
            Lang::Zh => format!("{u} 的值，"),
            Lang::En => format!("the value for {u}, "),
        },
        _ => String::new(),
    };
    let mut s = match lang {
        Lang::Zh => format!("参数 {}：{level}自 {} 起有效", p.parameter, p.from),
        Lang::En => format!("parameter {}: {level}in force from {}", p.parameter, p.from),
    };
    for c in &p.citation {
        s.push_str(&format!("；{} {c}", t(lang, "依据", "source")));
    }
    if let Some(a) = &p.assumed {
        s.push_str(&format!("；{}：{a}", t(lang, "假定", "assumed")));
    }
    if lang == Lang::En {
        s = s.replace('；', "; ").replace('：', ": ");
    }
    s
}

fn condition_lines(c: &Condition, lang: Lang, depth: usize, out: &mut Vec<(usize, String)>) {
    let mark = |h: bool| if h { "✓" } else { "✗" };
    match c {
        Condition::All { holds, items } | Condition::Any { holds, items } => {
            let all = matches!(c, Condition::All { .. });
            out.push((
                depth,
                format!(
                    "{} {}",
                    mark(*holds),
                    if all {
                        t(lang, "以下全部成立：", "all of:")
                    } else {
                        t(lang, "以下任一成立：", "any of:")
                    }
                ),
            ));
            for i in items {
                condition_lines(i, lang, depth + 1, out);
            }
        }
        Condition::Not { holds, item } => {
            let inner = match item.as_ref() {
                Condition::Fact { words, .. } => phrase(
                    &Words::Not {
                        operand: Box::new(words.clone()),
                    },
                    lang,
                ),
                other => {
                    let mut sub = Vec::new();
                    condition_lines(other, lang, 0, &mut sub);
                    format!(
                        "{}{}",
                        t(lang, "并非：", "not: "),
                        sub.first().map(|x| x.1.clone()).unwrap_or_default()
                    )
                }
            };
            out.push((depth, format!("{} {inner}", mark(*holds))));
        }
        Condition::Compare {
            holds,
            op,
            lhs,
            rhs,
        } => {
            let w = Words::Compare {
                op: *op,
                lhs: Box::new(Words::Value {
                    zh: term_text(lhs, Lang::Zh),
                    en: term_text(lhs, Lang::En),
                }),
                rhs: Box::new(Words::Value {
                    zh: term_text(rhs, Lang::Zh),
                    en: term_text(rhs, Lang::En),
                }),
            };
            let text = phrase(&w, lang);
            let tail = if *holds {
                ""
            } else {
                t(lang, " —— 不成立", " — does not hold")
            };
            out.push((depth, format!("{} {text}{tail}", mark(*holds))));
            for side in [lhs, rhs] {
                if let Some(p) = &side.param {
                    out.push((depth + 1, source_text(p, lang)));
                }
            }
        }
        Condition::Fact {
            holds,
            words,
            because,
        } => {
            out.push((depth, format!("{} {}", mark(*holds), phrase(words, lang))));
            // A rule's own deciding conditions, unless it merely restates a yes/no input.
            if let Some(b) = because
                && !matches!(b.as_ref(), Condition::Fact { because: None, .. })
            {
                condition_lines(b, lang, depth + 1, out);
            }
        }
        Condition::Skipped { words } => out.push((
            depth,
            format!(
                "· {}{}",
                t(lang, "（无需判断）", "(not needed) "),
                phrase(words, lang)
            ),
        )),
    }
}

/// The decision of one household in words, with the changes that would alter it.
pub fn render_decision(
    trace: &DecisionTrace,
    what_if: &WhatIf,
    decision: Option<&str>,
    lang: Lang,
) -> Vec<Block> {
    let mut blocks = vec![Block::Heading(
        1,
        match lang {
            Lang::Zh => format!("{} 在 {} 的判定", trace.id, trace.date),
            Lang::En => format!("Decision for {} on {}", trace.id, trace.date),
        },
    )];
    for o in &trace.outputs {
        blocks.push(Block::Heading(
            3,
            format!("{}：{}", o.label.get(lang), o.value.get(lang))
                .replace('：', if lang == Lang::En { ": " } else { "：" }),
        ));
        let mut lines = Vec::new();
        if o.via != "base" {
            lines.push((
                0,
                match lang {
                    Lang::Zh => format!("适用例外 {}", o.via),
                    Lang::En => format!("the exception {} applies", o.via),
                },
            ));
        }
        match &o.condition {
            Some(c) => condition_lines(c, lang, 0, &mut lines),
            None => {
                lines.push((0, format!("= {}", phrase(&o.formula, lang))));
                for term in &o.operands {
                    lines.push((1, term_text(term, lang)));
                    if let Some(p) = &term.param {
                        lines.push((2, source_text(p, lang)));
                    }
                }
            }
        }
        for l in &o.limits {
            let label = if l.label.is_empty() {
                String::new()
            } else {
                match lang {
                    Lang::Zh => format!("（{}）", l.label),
                    Lang::En => format!(" ({})", l.label),
                }
            };
            let limit = phrase(&l.limit_words, lang);
            let text = match (lang, l.at_most, l.principle, l.binds) {
                (Lang::Zh, true, false, true) => format!(
                    "✓ 封顶：{} 超过 {limit}（{}）{label}，按上限计",
                    l.before.zh, l.limit.zh
                ),
                (Lang::Zh, true, false, false) => format!(
                    "✗ 封顶：{} 未超过 {limit}（{}）{label}",
                    l.before.zh, l.limit.zh
                ),
                (Lang::Zh, false, false, true) => format!(
                    "✓ 保底：{} 低于 {limit}（{}）{label}，按下限计",
                    l.before.zh, l.limit.zh
                ),
                (Lang::Zh, false, false, false) => format!(
                    "✗ 保底：{} 不低于 {limit}（{}）{label}",
                    l.before.zh, l.limit.zh
                ),
                (Lang::Zh, true, true, b) => format!(
                    "{} 原则上不超过 {limit}（{}）{label}：{}",
                    if b { "!" } else { "✓" },
                    l.limit.zh,
                    if b {
                        "超出，仅作报告"
                    } else {
                        "未超出"
                    }
                ),
                (Lang::Zh, false, true, b) => format!(
                    "{} 原则上不低于 {limit}（{}）{label}：{}",
                    if b { "!" } else { "✓" },
                    l.limit.zh,
                    if b {
                        "不足，仅作报告"
                    } else {
                        "已达到"
                    }
                ),
                (Lang::En, true, false, true) => format!(
                    "✓ cap: {} is above {limit} ({}){label}, so the cap applies",
                    l.before.en, l.limit.en
                ),
                (Lang::En, true, false, false) => format!(
                    "✗ cap: {} is within {limit} ({}){label}",
                    l.before.en, l.limit.en
                ),
                (Lang::En, false, false, true) => format!(
                    "✓ floor: {} is below {limit} ({}){label}, so the floor applies",
                    l.before.en, l.limit.en
                ),
                (Lang::En, false, false, false) => format!(
                    "✗ floor: {} is not below {limit} ({}){label}",
                    l.before.en, l.limit.en
                ),
                (Lang::En, true, true, b) => format!(
                    "{} in principle at most {limit} ({}){label}: {}",
                    if b { "!" } else { "✓" },
                    l.limit.en,
                    if b { "exceeded, reported only" } else { "kept" }
                ),
                (Lang::En, false, true, b) => format!(
                    "{} in principle at least {limit} ({}){label}: {}",
                    if b { "!" } else { "✓" },
                    l.limit.en,
                    if b {
                        "not reached, reported only"
                    } else {
                        "reached"
                    }
                ),
            };
            lines.push((0, text));
            for c in &l.citation {
                lines.push((1, format!("{} {c}", t(lang, "依据", "Source:"))));
            }
        }
        if let (Some(raw), Some(mode)) = (&o.unrounded, &o.rounding) {
            lines.push((
                0,
                match lang {
                    Lang::Zh => format!("未舍入前为 {}，{}", raw.zh, rounding_words(mode, lang)),
                    Lang::En => {
                        format!("{} before rounding, {}", raw.en, rounding_words(mode, lang))
                    }
                },
            ));
        }
        for c in &o.citation {
            lines.push((0, format!("{} {c}", t(lang, "依据", "Source:"))));
        }
        if let Some(a) = &o.assumed {
            lines.push((
                0,
                format!(
                    "{}{a}",
                    t(
                        lang,
                        "假定（文件未载明）：",
                        "Assumption (not in the sources): "
                    )
                ),
            ));
        }
        blocks.push(Block::List(lines));
    }
    if let Some(e) = &trace.error {
        blocks.push(Block::Para(match lang {
            Lang::Zh => {
                let what = match e.code.as_str() {
                    "overflow" => "数值超出可表示的范围",
                    "division_by_zero" => "除数为零",
                    "below_scale" => "低于标准表的最低档",
                    "outside_calendar" => "日期超出工作日历的范围",
                    _ => "缺少在该日期有效的值",
                };
                format!(
                    "计算未能完成：{what}（`{}`，在 {} 中）。{}",
                    e.code,
                    e.within.as_deref().unwrap_or("?"),
                    e.detail
                )
            }
            Lang::En => format!(
                "Evaluation stopped: `{}` in {}: {}",
                e.code,
                e.within.as_deref().unwrap_or("?"),
                e.detail
            ),
        }));
    }
    if let (Some(d), None) = (decision, &trace.error) {
        blocks.push(Block::Heading(
            2,
            t(lang, "怎样会改变结果", "What would change the outcome").into(),
        ));
        if what_if.changes.is_empty() {
            blocks.push(Block::Para(match lang {
                Lang::Zh => {
                    format!("没有单项可变输入能改变“{d}”的结果（标为不可更改的输入不计）。")
                }
                Lang::En => format!(
                    "No single changeable input changes “{d}” (inputs marked fixed are left out)."
                ),
            }));
        } else {
            blocks.push(Block::List(
                what_if
                    .changes
                    .iter()
                    .map(|c| (0, c.sentence(lang)))
                    .collect(),
            ));
        }
        for untried in &what_if.untried {
            blocks.push(Block::Para(untried.sentence(lang)));
        }
    }
    blocks
}
