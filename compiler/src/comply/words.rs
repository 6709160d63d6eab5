//! Obligations and their outcomes in words, in Chinese or English: what a standard asks,
//! and for each miss which standard, which count in which window, and which citation.

use bylaw_grammar::ast::{Bound, Colour, Window};
use bylaw_runtime::date::format_date;
use bylaw_runtime::period::Period;

use super::run::{PartResult, RowResult, Status};
use super::spec::{Obligation, Part, PartKind};
use crate::explain::Lang;
use crate::explain::render::phrase;
use crate::explain::words::{Label, value_text, words};
use crate::ir::{Origin, Program};

/// A declaration's label in `lang`.
pub fn label(name: &str, origin: &Origin, lang: Lang) -> String {
    Label::new(name, &origin.meta).get(lang).to_string()
}

/// `S001「每月至少2次」`, `assumed: …` — where a standard comes from.
pub fn citation(origin: &Origin, lang: Lang) -> String {
    let mut out: Vec<String> = origin
        .meta
        .sources
        .iter()
        .map(|s| match lang {
            Lang::Zh => format!("{}「{}」", s.document.name, s.quote.text),
            Lang::En => format!("{} \"{}\"", s.document.name, s.quote.text),
        })
        .collect();
    if let Some(a) = &origin.meta.assumed {
        out.push(match lang {
            Lang::Zh => format!("假定：{}", a.text),
            Lang::En => format!("assumed: {}", a.text),
        });
    }
    out.join(match lang {
        Lang::Zh => "；",
        Lang::En => "; ",
    })
}

fn window_words(w: Window, lang: Lang) -> &'static str {
    match (w, lang) {
        (Window::Day, Lang::Zh) => "每天",
        (Window::Week, Lang::Zh) => "每周",
        (Window::Month, Lang::Zh) => "每月",
        (Window::Quarter, Lang::Zh) => "每季度",
        (Window::Year, Lang::Zh) => "每年",
        (Window::Period, Lang::Zh) => "本期",
        (Window::Day, Lang::En) => "per day",
        (Window::Week, Lang::En) => "per week",
        (Window::Month, Lang::En) => "per month",
        (Window::Quarter, Lang::En) => "per quarter",
        (Window::Year, Lang::En) => "per year",
        (Window::Period, Lang::En) => "in the period",
    }
}

fn service_names(program: &Program, services: &[usize], lang: Lang) -> String {
    let names: Vec<String> = services
        .iter()
        .filter_map(|s| program.comply.services.get(*s))
        .map(|s| label(&s.name, &s.origin, lang))
        .collect();
    match lang {
        Lang::Zh => format!("「{}」", names.join("、")),
        Lang::En => names.join(" or "),
    }
}

/// What a part asks, in words: `每月至少2次「探访」`, `at least 2 × visit per month`.
pub fn standard(program: &Program, part: &Part, lang: Lang) -> String {
    match (&part.kind, lang) {
        (PartKind::Require(c), _) => phrase(&words(program, *c), lang),
        (
            PartKind::Frequency {
                bound,
                count,
                services,
                window,
            },
            Lang::Zh,
        ) => {
            let b = match bound {
                Bound::AtLeast => "至少",
                Bound::AtMost => "至多",
            };
            format!(
                "{}{b}{count}次{}",
                window_words(*window, lang),
                service_names(program, services, lang)
            )
        }
        (
            PartKind::Frequency {
                bound,
                count,
                services,
                window,
            },
            Lang::En,
        ) => {
            let b = match bound {
                Bound::AtLeast => "at least",
                Bound::AtMost => "at most",
            };
            format!(
                "{b} {count} × {} {}",
                service_names(program, services, lang),
                window_words(*window, lang)
            )
        }
        (
            PartKind::Deadline {
                services,
                days,
                calendar,
                event_name,
                ..
            },
            Lang::Zh,
        ) => {
            let unit = if calendar.is_some() {
                "个工作日"
            } else {
                "天"
            };
            format!(
                "{event_name}后{days}{unit}内提供{}",
                service_names(program, services, lang)
            )
        }
        (
            PartKind::Deadline {
                services,
                days,
                calendar,
                event_name,
                ..
            },
            Lang::En,
        ) => {
            let unit = if calendar.is_some() {
                "working days"
            } else {
                "days"
            };
            format!(
                "{} within {days} {unit} of {}",
                service_names(program, services, lang),
                event_name.replace('_', " ")
            )
        }
    }
}

/// Why one part missed (or could not be judged), with its count, window and citation.
pub(crate) fn part_reason(
    program: &Program,
    o: &Obligation,
    part: &Part,
    r: &PartResult,
    period: &Period,
    lang: Lang,
) -> String {
    let name = label(&part.name, &part.origin, lang);
    let std = standard(program, part, lang);
    let cite = {
        let c = citation(&part.origin, lang);
        if c.is_empty() {
            citation(&o.origin, lang)
        } else {
            c
        }
    };
    let cite = if cite.is_empty() {
        String::new()
    } else {
        match lang {
            Lang::Zh => format!("（依据：{cite}）"),
            Lang::En => format!(" (source: {cite})"),
        }
    };
    let last = r.last.map(format_date);
    let body = match (&part.kind, r.status, lang) {
        (_, Status::Met, Lang::Zh) => "已达标".to_string(),
        (_, Status::Met, Lang::En) => "met".to_string(),
        (_, Status::NotApplicable, Lang::Zh) => {
            format!("本期不评判（{}）", r.note.clone().unwrap_or_default())
        }
        (_, Status::NotApplicable, Lang::En) => format!(
            "not judged this period ({})",
            r.note.clone().unwrap_or_default()
        ),
        (_, Status::Error, Lang::Zh) => format!("无法计算：{}", r.note.clone().unwrap_or_default()),
        (_, Status::Error, Lang::En) => format!(
            "could not be computed: {}",
            r.note.clone().unwrap_or_default()
        ),
        (PartKind::Require(_), Status::Missed, _) => {
            let values: Vec<String> = r
                .values
                .iter()
                .map(|(id, v)| {
                    let shown = v.as_ref().map_or_else(
                        || "?".to_string(),
                        |v| value_text(program, program.ty(*id), program.unit(*id), v, lang),
                    );
                    if matches!(program.node(*id), crate::ir::Node::Const(_)) {
                        return match lang {
                            Lang::Zh => format!("标准 {shown}"),
                            Lang::En => format!("standard {shown}"),
                        };
                    }
                    format!("{} = {shown}", phrase(&words(program, *id), lang))
                })
                .collect();
            match lang {
                Lang::Zh => format!("未满足：{}", values.join("，")),
                Lang::En => format!("not met: {}", values.join(", ")),
            }
        }
        (PartKind::Frequency { .. }, Status::Missed, Lang::Zh) => {
            let w = r.first_missed.map_or_else(String::new, |w| {
                format!(
                    "{} 至 {} 只有 {} 次",
                    format_date(w.start),
                    format_date(w.end),
                    w.count
                )
            });
            format!(
                "未达标：{w}；{} 个周期中 {} 个未达标；本期共 {} 次{}",
                r.windows,
                r.windows_missed,
                r.delivered,
                last.map_or_else(String::new, |d| format!("，最近一次 {d}"))
            )
        }
        (PartKind::Frequency { bound, .. }, Status::Missed, Lang::En) => {
            let verb = if *bound == Bound::AtMost {
                "had"
            } else {
                "had only"
            };
            let w = r.first_missed.map_or_else(String::new, |w| {
                format!(
                    "{} – {} {verb} {}",
                    format_date(w.start),
                    format_date(w.end),
                    w.count
                )
            });
            format!(
                "missed: {w}; {} of {} windows missed; {} in the period{}",
                r.windows_missed,
                r.windows,
                r.delivered,
                last.map_or_else(String::new, |d| format!(", last on {d}"))
            )
        }
        (PartKind::Deadline { .. }, Status::Missed, Lang::Zh) => format!(
            "未按期：事件日期 {}，期限 {}，期间内未提供{}",
            r.event.map(format_date).unwrap_or_default(),
            r.deadline.map(format_date).unwrap_or_default(),
            last.map_or_else(
                || "（本期没有提供）".to_string(),
                |d| format!("（最近一次 {d}）")
            )
        ),
        (PartKind::Deadline { .. }, Status::Missed, Lang::En) => format!(
            "late: the event was on {}, the deadline {}, and nothing was delivered in between{}",
            r.event.map(format_date).unwrap_or_default(),
            r.deadline.map(format_date).unwrap_or_default(),
            last.map_or_else(
                || " (none this period)".to_string(),
                |d| format!(" (last on {d})")
            )
        ),
    };
    let _ = period;
    match lang {
        Lang::Zh => format!("「{name}」（{std}）{body}{cite}"),
        Lang::En => format!("`{name}` ({std}) {body}{cite}"),
    }
}

/// The reasons a row did not meet an obligation: one line per missed or unjudgeable part.
pub fn row_reasons(
    program: &Program,
    o: &Obligation,
    row: &RowResult,
    period: &Period,
    lang: Lang,
) -> Vec<String> {
    if let Some(e) = &row.error
        && row.parts.is_empty()
    {
        return vec![match lang {
            Lang::Zh => format!("范围条件无法计算：{e}"),
            Lang::En => format!("the scope condition could not be computed: {e}"),
        }];
    }
    o.parts
        .iter()
        .zip(&row.parts)
        .filter(|(_, r)| matches!(r.status, Status::Missed | Status::Error))
        .map(|(p, r)| part_reason(program, o, p, r, period, lang))
        .collect()
}

pub fn colour_words(c: Colour, lang: Lang) -> &'static str {
    match (c, lang) {
        (Colour::Red, Lang::Zh) => "红灯",
        (Colour::Yellow, Lang::Zh) => "黄灯",
        (Colour::Green, Lang::Zh) => "绿灯",
        (Colour::Red, Lang::En) => "red",
        (Colour::Yellow, Lang::En) => "yellow",
        (Colour::Green, Lang::En) => "green",
    }
}

pub fn status_words(s: Status, lang: Lang) -> &'static str {
    match (s, lang) {
        (Status::Met, Lang::Zh) => "达标",
        (Status::Missed, Lang::Zh) => "未达标",
        (Status::NotApplicable, Lang::Zh) => "不评判",
        (Status::Error, Lang::Zh) => "出错",
        (Status::Met, Lang::En) => "met",
        (Status::Missed, Lang::En) => "missed",
        (Status::NotApplicable, Lang::En) => "not judged",
        (Status::Error, Lang::En) => "error",
    }
}

/// The policy's catalogues and obligations as lines of prose (for `bylaw explain`).
pub fn describe(program: &Program, lang: Lang) -> Vec<String> {
    let spec = &program.comply;
    let mut out = Vec::new();
    for c in &spec.catalogues {
        let n: usize = c
            .categories
            .iter()
            .filter_map(|k| spec.categories.get(*k))
            .map(|k| k.services.len())
            .sum();
        out.push(match lang {
            Lang::Zh => format!(
                "服务清单「{}」：{} 类 {} 项",
                label(&c.name, &c.origin, lang),
                c.categories.len(),
                n
            ),
            Lang::En => format!(
                "Catalogue {}: {} categories, {} services",
                label(&c.name, &c.origin, lang),
                c.categories.len(),
                n
            ),
        });
        for k in c.categories.iter().filter_map(|k| spec.categories.get(*k)) {
            out.push(format!("  {} {}", k.code, label(&k.name, &k.origin, lang)));
            for s in k.services.iter().filter_map(|s| spec.services.get(*s)) {
                let groups: Vec<String> = s
                    .groups
                    .iter()
                    .map(|d| {
                        let def = program.def(*d);
                        label(&def.name, &def.origin, lang)
                    })
                    .collect();
                let whom = if groups.is_empty() {
                    String::new()
                } else {
                    match lang {
                        Lang::Zh => format!("，服务对象：{}", groups.join("、")),
                        Lang::En => format!(", for: {}", groups.join(", ")),
                    }
                };
                out.push(format!(
                    "    {} {}{whom}",
                    s.code,
                    label(&s.name, &s.origin, lang)
                ));
            }
        }
    }
    for o in &spec.obligations {
        let entity = program
            .schema
            .entity(o.entity)
            .map_or("", |e| e.label.as_str());
        let scope = o
            .filter
            .map(|f| phrase(&words(program, f), lang))
            .map_or_else(String::new, |f| match lang {
                Lang::Zh => format!("（{f}）"),
                Lang::En => format!(" where {f}"),
            });
        out.push(match lang {
            Lang::Zh => format!(
                "义务「{}」：每个{entity}{scope}",
                label(&o.name, &o.origin, lang)
            ),
            Lang::En => format!(
                "Obligation {}: for every {entity}{scope}",
                label(&o.name, &o.origin, lang)
            ),
        });
        for p in &o.parts {
            let cite = citation(&p.origin, lang);
            out.push(format!(
                "  {}: {}{}",
                label(&p.name, &p.origin, lang),
                standard(program, p, lang),
                if cite.is_empty() {
                    String::new()
                } else {
                    format!(" [{cite}]")
                }
            ));
        }
        for l in &o.lights {
            let when = l.condition.as_ref().map_or_else(
                || match lang {
                    Lang::Zh => "其余".to_string(),
                    Lang::En => "otherwise".to_string(),
                },
                |c| cond_words(o, c, lang),
            );
            out.push(format!("  {}: {when}", colour_words(l.colour, lang)));
        }
        if let Some(c) = &o.coverage {
            let rate = value_text(
                program,
                crate::types::Ty::Rate,
                crate::duration::DurationUnit::Months,
                &crate::ir::Value::Int(c.rate),
                lang,
            );
            out.push(match lang {
                Lang::Zh => format!("  覆盖率目标：不低于 {rate}"),
                Lang::En => format!("  coverage target: at least {rate}"),
            });
        }
    }
    out
}

fn cond_words(o: &Obligation, c: &super::spec::Cond, lang: Lang) -> String {
    use super::spec::Cond;
    let part = |i: usize| {
        o.parts
            .get(i)
            .map_or("?".to_string(), |p| label(&p.name, &p.origin, lang))
    };
    match (c, lang) {
        (Cond::Part(i), Lang::Zh) => format!("「{}」达标", part(*i)),
        (Cond::Part(i), Lang::En) => format!("{} met", part(*i)),
        (Cond::Const(b), _) => b.to_string(),
        (Cond::Not(x), _) => match x.as_ref() {
            Cond::Part(i) => match lang {
                Lang::Zh => format!("「{}」未达标", part(*i)),
                Lang::En => format!("{} missed", part(*i)),
            },
            other => match lang {
                Lang::Zh => format!("并非（{}）", cond_words(o, other, lang)),
                Lang::En => format!("not ({})", cond_words(o, other, lang)),
            },
        },
        (Cond::And(a, b), Lang::Zh) => {
            format!("{}且{}", cond_words(o, a, lang), cond_words(o, b, lang))
        }
        (Cond::And(a, b), Lang::En) => {
            format!("{} and {}", cond_words(o, a, lang), cond_words(o, b, lang))
        }
        (Cond::Or(a, b), Lang::Zh) => {
            format!("{}或{}", cond_words(o, a, lang), cond_words(o, b, lang))
        }
        (Cond::Or(a, b), Lang::En) => {
            format!("{} or {}", cond_words(o, a, lang), cond_words(o, b, lang))
        }
    }
}

/// The catalogues and obligations as document blocks, appended to a policy's
/// explanation: a heading, then one list item per line of [`describe`].
pub fn blocks(program: &Program, lang: Lang) -> Vec<crate::explain::Block> {
    let lines = describe(program, lang);
    if lines.is_empty() {
        return Vec::new();
    }
    let items = lines
        .into_iter()
        .map(|l| {
            let depth = (l.len() - l.trim_start().len()) / 2;
            (depth, l.trim_start().to_string())
        })
        .collect();
    vec![
        crate::explain::Block::Heading(
            2,
            match lang {
                Lang::Zh => "服务清单与义务".to_string(),
                Lang::En => "Services and obligations".to_string(),
            },
        ),
        crate::explain::Block::List(items),
    ]
}
