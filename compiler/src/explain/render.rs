//! [`Words`] into Chinese or English: inline phrases, and nested lists for `all of` /
//! `any of` conditions. Chinese is written as Chinese is written (低于, 不低于, 同时满足),
//! not translated from the English.

use super::words::{Compare, Lang, Words};

/// One line of a nested list: depth and text.
pub type Line = (usize, String);

fn compound(w: &Words) -> bool {
    matches!(
        w,
        Words::Arith { .. }
            | Words::Compare { .. }
            | Words::All { .. }
            | Words::Any { .. }
            | Words::If { .. }
    )
}

fn operand(w: &Words, lang: Lang) -> String {
    let text = phrase(w, lang);
    if compound(w) {
        format!("({text})")
    } else {
        text
    }
}

fn quoted(w: &Words, lang: Lang) -> String {
    let text = phrase(w, lang);
    match (w, lang) {
        (Words::Name { .. }, Lang::Zh) => format!("“{text}”"),
        _ => text,
    }
}

/// An item of an `and`/`or` chain: only nested chains need brackets.
fn joined(w: &Words, lang: Lang) -> String {
    let text = phrase(w, lang);
    if matches!(w, Words::All { .. } | Words::Any { .. } | Words::If { .. }) {
        format!("({text})")
    } else {
        text
    }
}

/// The expression on one line.
pub(crate) fn phrase(w: &Words, lang: Lang) -> String {
    use Lang::*;
    match w {
        Words::Name { label } => label.get(lang).to_string(),
        Words::Flag { label } => match lang {
            Zh => format!("{}为“是”", label.zh),
            En => format!("{}: yes", label.en),
        },
        Words::Value { zh, en } => match lang {
            Zh => zh.clone(),
            En => en.clone(),
        },
        Words::Param { label, key } => match (key, lang) {
            (None, _) => label.get(lang).to_string(),
            (Some(k), Zh) => format!("{}（按{}）", label.zh, phrase(k, lang)),
            (Some(k), En) => format!("the {} for the {}", label.en, phrase(k, lang)),
        },
        Words::Scale { label, arg } => match lang {
            Zh => format!("按“{}”计算的{}", phrase(arg, lang), label.zh),
            En => format!("the {} of {}", label.en, phrase(arg, lang)),
        },
        Words::Arith { op, lhs, rhs } => {
            // Brackets only where the grouping is not the reading order.
            let rank = |c: char| if c == '+' || c == '−' { 1 } else { 2 };
            let left = match lhs.as_ref() {
                Words::Arith { op: o, .. } if rank(*o) >= rank(*op) => phrase(lhs, lang),
                _ => operand(lhs, lang),
            };
            let right = match rhs.as_ref() {
                Words::Arith { op: o, .. } if rank(*o) > rank(*op) => phrase(rhs, lang),
                _ => operand(rhs, lang),
            };
            format!("{left} {op} {right}")
        }
        Words::Neg { operand: o } => format!("−{}", operand(o, lang)),
        Words::LastYear { operand: o } => match lang {
            Zh => format!("上年度{}", phrase(o, lang)),
            En => format!("{} for the previous year", phrase(o, lang)),
        },
        Words::Compare { op, lhs, rhs } => {
            let (l, r) = (phrase(lhs, lang), phrase(rhs, lang));
            match lang {
                Zh => {
                    let verb = match op {
                        Compare::Lt => "低于",
                        Compare::Le => "不高于",
                        Compare::Gt => "高于",
                        Compare::Ge => "不低于",
                        Compare::Eq => "为",
                        Compare::Ne => "不为",
                        Compare::Before => "早于",
                        Compare::NotAfter => "不晚于",
                        Compare::After => "晚于",
                        Compare::NotBefore => "不早于",
                    };
                    format!("{l}{verb}{r}")
                }
                En => {
                    let verb = match op {
                        Compare::Lt => "is below",
                        Compare::Le => "is at most",
                        Compare::Gt => "is above",
                        Compare::Ge => "is at least",
                        Compare::Eq => "is",
                        Compare::Ne => "is not",
                        Compare::Before => "is before",
                        Compare::NotAfter => "is on or before",
                        Compare::After => "is after",
                        Compare::NotBefore => "is on or after",
                    };
                    format!("{l} {verb} {r}")
                }
            }
        }
        Words::All { items } => {
            let parts: Vec<String> = items.iter().map(|i| joined(i, lang)).collect();
            parts.join(if lang == Zh { "，且" } else { " and " })
        }
        Words::Any { items } => {
            let parts: Vec<String> = items.iter().map(|i| joined(i, lang)).collect();
            parts.join(if lang == Zh { "，或" } else { " or " })
        }
        Words::Not { operand: o } => match lang {
            Zh if matches!(o.as_ref(), Words::Flag { .. }) => match o.as_ref() {
                Words::Flag { label } => format!("{}为“否”", label.zh),
                _ => String::new(),
            },
            En if matches!(o.as_ref(), Words::Flag { .. }) => match o.as_ref() {
                Words::Flag { label } => format!("{}: no", label.en),
                _ => String::new(),
            },
            Zh => match o.as_ref() {
                Words::Name { .. } => format!("不属于{}", quoted(o, lang)),
                _ => format!("并非{}", operand(o, lang)),
            },
            En => format!("not {}", operand(o, lang)),
        },
        Words::If {
            condition,
            then,
            otherwise,
        } => match lang {
            Zh => format!(
                "若{}，则为{}；否则为{}",
                phrase(condition, lang),
                phrase(then, lang),
                phrase(otherwise, lang)
            ),
            En => format!(
                "{} if {}, otherwise {}",
                phrase(then, lang),
                phrase(condition, lang),
                phrase(otherwise, lang)
            ),
        },
        Words::MinMax { max, args } => {
            let parts: Vec<String> = args.iter().map(|a| phrase(a, lang)).collect();
            match (lang, max) {
                (Zh, false) => format!("{}中的较小者", parts.join("与")),
                (Zh, true) => format!("{}中的较大者", parts.join("与")),
                (En, false) => format!("the smaller of {}", parts.join(" and ")),
                (En, true) => format!("the larger of {}", parts.join(" and ")),
            }
        }
        Words::Aggregate {
            function,
            relation,
            body,
            filter,
            default,
        } => aggregate(
            function,
            relation,
            body.as_deref(),
            filter.as_deref(),
            default.as_deref(),
            lang,
        ),
        Words::Call { function, args } => call(function, args, lang),
        Words::History {
            function,
            relation,
            filter,
            dates,
        } => history(function, relation, filter.as_deref(), dates, lang),
    }
}

/// A history function: time counted over dated records.
fn history(
    function: &str,
    relation: &super::words::Label,
    filter: Option<&Words>,
    dates: &[Words],
    lang: Lang,
) -> String {
    let rel = relation.get(lang);
    let d = |i: usize| dates.get(i).map(|x| phrase(x, lang)).unwrap_or_default();
    let filter_zh = filter
        .map(|f| format!("{}的", phrase(f, lang)))
        .unwrap_or_default();
    let filter_en = filter
        .map(|f| format!(" where {}", phrase(f, lang)))
        .unwrap_or_default();
    match (function, lang) {
        ("continuous_months", Lang::Zh) => {
            format!("{filter_zh}{rel}截至{}不间断的月数", d(0))
        }
        ("continuous_months", Lang::En) => {
            format!("the months of unbroken {rel}{filter_en} up to {}", d(0))
        }
        ("longest_months", Lang::Zh) => format!("{}之前{filter_zh}{rel}最长的不间断月数", d(0)),
        ("longest_months", Lang::En) => {
            format!(
                "the months of the longest unbroken stretch of {rel}{filter_en} before {}",
                d(0)
            )
        }
        (_, Lang::Zh) => format!("{}至{}期间{filter_zh}{rel}覆盖的天数", d(0), d(1)),
        (_, Lang::En) => format!(
            "the days from {} to {} covered by {rel}{filter_en}",
            d(0),
            d(1)
        ),
    }
}

fn aggregate(
    function: &str,
    relation: &super::words::Label,
    body: Option<&Words>,
    filter: Option<&Words>,
    default: Option<&Words>,
    lang: Lang,
) -> String {
    let rel = relation.get(lang);
    let body_text = body.map(|b| phrase(b, lang)).unwrap_or_default();
    let filter_zh = filter
        .map(|f| format!("{}的", phrase(f, lang)))
        .unwrap_or_default();
    let filter_en = filter
        .map(|f| format!(" for whom {}", phrase(f, lang)))
        .unwrap_or_default();
    let default_text = default.map(|d| phrase(d, lang)).unwrap_or_default();
    match (function, lang) {
        ("count", Lang::Zh) => format!("{filter_zh}{rel}人数"),
        ("count", Lang::En) => format!("the number of {rel}{filter_en}"),
        ("sum", Lang::Zh) => format!("{filter_zh}{rel}的{body_text}之和"),
        ("sum", Lang::En) => format!("the sum of {body_text} over {rel}{filter_en}"),
        ("any", Lang::Zh) => format!("有{filter_zh}{rel}满足“{body_text}”"),
        ("any", Lang::En) => format!("some of the {rel}{filter_en}: {body_text}"),
        ("all", Lang::Zh) => format!("全部{filter_zh}{rel}均满足“{body_text}”"),
        ("all", Lang::En) => format!("every one of the {rel}{filter_en}: {body_text}"),
        ("min", Lang::Zh) => format!("{filter_zh}{rel}的{body_text}最小值（无则为{default_text}）"),
        ("min", Lang::En) => {
            format!("the smallest {body_text} among {rel}{filter_en} ({default_text} if none)")
        }
        ("max", Lang::Zh) => format!("{filter_zh}{rel}的{body_text}最大值（无则为{default_text}）"),
        (_, Lang::En) => {
            format!("the largest {body_text} among {rel}{filter_en} ({default_text} if none)")
        }
        (_, Lang::Zh) => format!("{filter_zh}{rel}的{body_text}"),
    }
}

/// How a rounding mode reads.
pub(crate) fn rounding_words(mode: &str, lang: Lang) -> &'static str {
    match (mode, lang) {
        ("half_up", Lang::Zh) => "四舍五入到分",
        ("half_even", Lang::Zh) => "按银行家舍入法（四舍六入五成双）到分",
        ("half_down", Lang::Zh) => "五舍六入到分",
        ("down", Lang::Zh) => "舍去分以下部分",
        ("up", Lang::Zh) => "分以下部分进一分",
        ("floor", Lang::Zh) => "向下取整到分",
        ("ceiling", Lang::Zh) => "向上取整到分",
        ("half_up", Lang::En) => "rounded half up to the fen",
        ("half_even", Lang::En) => "rounded half to even to the fen",
        ("half_down", Lang::En) => "rounded half down to the fen",
        ("down", Lang::En) => "truncated to the fen",
        ("up", Lang::En) => "rounded up (away from zero) to the fen",
        ("floor", Lang::En) => "rounded down to the fen",
        _ => "rounded up to the fen",
    }
}

fn call(function: &str, args: &[Words], lang: Lang) -> String {
    let a = |i: usize| args.get(i).map(|x| phrase(x, lang)).unwrap_or_default();
    if let Some(mode) = function.strip_prefix("round_fen:") {
        return match lang {
            Lang::Zh => format!("{}（{}）", a(0), rounding_words(mode, lang)),
            Lang::En => format!("{}, {}", a(0), rounding_words(mode, lang)),
        };
    }
    match (function, lang) {
        ("per_year", Lang::Zh) => format!("{}折合每年（×12）", a(0)),
        ("per_year", Lang::En) => format!("{} a year (× 12)", a(0)),
        ("per_month", Lang::Zh) => format!("{}折合每月（÷12）", a(0)),
        ("per_month", Lang::En) => format!("{} a month (÷ 12)", a(0)),
        ("months_between", Lang::Zh) => format!("从{}到{}的整月数", a(0), a(1)),
        ("months_between", Lang::En) => format!("the whole months from {} to {}", a(0), a(1)),
        ("days_between", Lang::Zh) => format!("从{}到{}的天数", a(0), a(1)),
        ("days_between", Lang::En) => format!("the days from {} to {}", a(0), a(1)),
        ("years_between", Lang::Zh) => format!("从{}到{}的整年数（周岁）", a(0), a(1)),
        ("years_between", Lang::En) => format!("the whole years from {} to {}", a(0), a(1)),
        ("known", Lang::Zh) => format!("{}已填写", a(0)),
        ("known", Lang::En) => format!("{} is known", a(0)),
        ("first_known", Lang::Zh) => format!("{}（未填时为{}）", a(0), a(1)),
        ("first_known", Lang::En) => format!("{} (or {} if it is missing)", a(0), a(1)),
        ("evaluation_date", Lang::Zh) => "评估日期".to_string(),
        ("evaluation_date", Lang::En) => "the evaluation date".to_string(),
        ("month_start", Lang::Zh) => format!("{}所在月的第一天", a(0)),
        ("month_start", Lang::En) => format!("the first day of the month of {}", a(0)),
        ("month_end", Lang::Zh) => format!("{}所在月的最后一天", a(0)),
        ("month_end", Lang::En) => format!("the last day of the month of {}", a(0)),
        ("next_month_start", Lang::Zh) => format!("{}的次月第一天", a(0)),
        ("next_month_start", Lang::En) => format!("the first day of the month after {}", a(0)),
        ("year_start", Lang::Zh) => format!("{}所在年的1月1日", a(0)),
        ("year_start", Lang::En) => format!("1 January of the year of {}", a(0)),
        ("year_end", Lang::Zh) => format!("{}所在年的12月31日", a(0)),
        ("year_end", Lang::En) => format!("31 December of the year of {}", a(0)),
        ("add_working_days", Lang::Zh) => format!("{}后第{}个工作日", a(0), a(1)),
        ("add_working_days", Lang::En) => {
            format!("the day {} working days after {}", a(1), a(0))
        }
        ("working_days_between", Lang::Zh) => {
            format!("{}之后至{}（含）的工作日数", a(0), a(1))
        }
        ("working_days_between", Lang::En) => {
            format!("the working days after {} up to {}", a(0), a(1))
        }
        ("floor", Lang::Zh) => format!("{}向下取整", a(0)),
        ("floor", Lang::En) => format!("{}, rounded down to a whole number", a(0)),
        ("ceil", Lang::Zh) => format!("{}向上取整", a(0)),
        (_, Lang::En) => format!("{}, rounded up to a whole number", a(0)),
        (_, Lang::Zh) => format!("{}取整", a(0)),
    }
}

/// A condition as a nested list: `all of` and `any of` open a level.
pub(crate) fn condition_lines(w: &Words, lang: Lang, depth: usize, out: &mut Vec<Line>) {
    match w {
        Words::All { items } => {
            for i in items {
                item_lines(i, lang, depth, out);
            }
        }
        _ => out.push((depth, phrase(w, lang))),
    }
}

fn item_lines(w: &Words, lang: Lang, depth: usize, out: &mut Vec<Line>) {
    match w {
        Words::All { items } => {
            out.push((
                depth,
                if lang == Lang::Zh {
                    "同时满足：".into()
                } else {
                    "all of:".into()
                },
            ));
            for i in items {
                item_lines(i, lang, depth + 1, out);
            }
        }
        Words::Any { items } if items.len() > 1 => {
            out.push((
                depth,
                if lang == Lang::Zh {
                    "满足以下任一项：".into()
                } else {
                    "any of:".into()
                },
            ));
            for i in items {
                item_lines(i, lang, depth + 1, out);
            }
        }
        _ => out.push((depth, phrase(w, lang))),
    }
}
