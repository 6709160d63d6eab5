//! The whole policy as a readable document: purpose and sources, the inputs it reads,
//! each definition in plain words with its citation, and the parameters in force at a
//! date with their history. Built as [`Block`]s, rendered as text, Markdown or HTML.

use bylaw_grammar::ast::Meta;
use bylaw_runtime::date::format_date;

use super::doc::Block;
use super::render::{condition_lines, phrase, rounding_words};
use super::words::{
    Label, Lang, def_label, field_label, relation_label, value_text, value_text_per, words,
};
use crate::duration::DurationUnit;
use crate::interp::param_value_at;
use crate::ir::*;
use crate::types::Ty;

/// `标签（name）` in Chinese, `label (name)` in English.
fn titled(label: &str, name: &str, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!("{label}（{name}）"),
        Lang::En => format!("{label} ({name})"),
    }
}

fn t<'a>(lang: Lang, zh: &'a str, en: &'a str) -> &'a str {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

/// Citations, assumptions and notes of a declaration, as list lines.
pub fn meta_lines(meta: &Meta, lang: Lang, depth: usize) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for s in &meta.sources {
        out.push((
            depth,
            format!(
                "{} {}：“{}”",
                t(lang, "依据", "Source"),
                s.document.name,
                s.quote.text
            ),
        ));
    }
    if let Some(a) = &meta.assumed {
        out.push((
            depth,
            format!(
                "{}：{}",
                t(
                    lang,
                    "假定（文件未载明）",
                    "Assumption (not in the sources)"
                ),
                a.text
            ),
        ));
    }
    for n in &meta.notes {
        out.push((depth, format!("{}：{}", t(lang, "说明", "Note"), n.text)));
    }
    if lang == Lang::En {
        for line in &mut out {
            line.1 = line.1.replacen('：', ": ", 1);
        }
    }
    out
}

fn type_words(program: &Program, ty: Ty, unit: DurationUnit, lang: Lang) -> String {
    use crate::types::Per;
    match (ty, lang) {
        (Ty::Months, _) => match unit {
            DurationUnit::Months => t(lang, "时长（月）", "months"),
            DurationUnit::Years => t(lang, "时长（年）", "years"),
            DurationUnit::Age => t(lang, "年龄（周岁）", "age in years (周岁)"),
        }
        .into(),
        (Ty::Money(Per::Month), Lang::Zh) => "金额（元/月）".into(),
        (Ty::Money(Per::Year), Lang::Zh) => "金额（元/年）".into(),
        (Ty::Money(_), Lang::Zh) => "金额（元）".into(),
        (Ty::Money(Per::Month), Lang::En) => "money (yuan a month)".into(),
        (Ty::Money(Per::Year), Lang::En) => "money (yuan a year)".into(),
        (Ty::Money(_), Lang::En) => "money (yuan)".into(),
        (Ty::Rate, _) => t(lang, "比例（%）", "rate (%)").into(),
        (Ty::Count, _) => t(lang, "数量", "count").into(),
        (Ty::Decimal, _) => t(lang, "数值", "number").into(),
        (Ty::Days, _) => t(lang, "天数", "days").into(),
        (Ty::Date, _) => t(lang, "日期", "date").into(),
        (Ty::Bool, _) => t(lang, "是/否", "yes/no").into(),
        (Ty::Text, _) => t(lang, "文本", "text").into(),
        (Ty::Enum(e), _) => program.enums.get(e.index()).map_or_else(String::new, |d| {
            Label::new(&d.name, &d.origin.meta).get(lang).to_string()
        }),
    }
}

/// The policy explained at `date`.
pub fn explain_policy(program: &Program, date: i32, lang: Lang) -> Vec<Block> {
    let mut blocks = Vec::new();
    let title = match &program.policy {
        Some(p) => {
            let l = Label::new(&p.name, &p.origin.meta);
            titled(l.get(lang), &p.name, lang)
        }
        None => t(lang, "规则说明", "Rules").to_string(),
    };
    blocks.push(Block::Heading(1, title));
    if let Some(p) = &program.policy {
        if lang == Lang::Zh {
            if let Some(en) = &p.origin.meta.en {
                blocks.push(Block::Para(format!("英文名称：{}", en.text)));
            }
        } else if let Some(zh) = &p.origin.meta.label {
            blocks.push(Block::Para(format!("Chinese title: {}", zh.text)));
        }
        if let Some(e) = p.effective {
            blocks.push(Block::Para(format!(
                "{}{}",
                t(lang, "生效日期：", "In force from: "),
                format_date(e)
            )));
        }
        let lines = meta_lines(&p.origin.meta, lang, 0);
        if !lines.is_empty() {
            blocks.push(Block::List(lines));
        }
    }
    blocks.push(Block::Para(match lang {
        Lang::Zh => format!("以下参数取 {} 时有效的值。标注“假定”的内容未见于文件原文，须以正式发布的文件为准。", format_date(date)),
        Lang::En => format!("Parameter values are those in force on {}. Anything marked as an assumption is not in the source documents and must be checked against the published rules.", format_date(date)),
    }));

    inputs(program, lang, &mut blocks);

    if !program.defs.is_empty() {
        blocks.push(Block::Heading(2, t(lang, "规则", "Rules").into()));
    }
    for (i, _) in program.defs.iter().enumerate() {
        definition(program, DefId(i as u32), date, lang, &mut blocks);
    }

    if !program.params.is_empty() {
        blocks.push(Block::Heading(2, t(lang, "参数", "Parameters").into()));
        for p in &program.params {
            parameter(program, p, date, lang, &mut blocks);
        }
    }
    if !program.checks.is_empty() {
        blocks.push(Block::Heading(
            2,
            t(lang, "报告数字核对", "Reported figures, reconciled").into(),
        ));
        for k in &program.checks {
            let l = Label::new(&k.name, &k.origin.meta);
            blocks.push(Block::Heading(3, titled(l.get(lang), &k.name, lang)));
            let approx = if k.tolerance > 0 {
                t(lang, "约", "about ")
            } else {
                ""
            };
            blocks.push(Block::Para(format!(
                "{} = {approx}{}{}",
                phrase(&words(program, k.lhs), lang),
                phrase(&words(program, k.rhs), lang),
                t(lang, "（核对无误）", " (it adds up)")
            )));
            let lines = meta_lines(&k.origin.meta, lang, 0);
            if !lines.is_empty() {
                blocks.push(Block::List(lines));
            }
        }
    }
    if !program.targets.is_empty() {
        blocks.push(Block::Heading(
            2,
            t(lang, "覆盖目标", "Coverage targets").into(),
        ));
        for target in &program.targets {
            target_block(program, target, lang, &mut blocks);
        }
    }
    if !program.scales.is_empty() {
        blocks.push(Block::Heading(2, t(lang, "分档表", "Scales").into()));
        for s in &program.scales {
            scale(program, s, date, lang, &mut blocks);
        }
    }
    if !program.calendars.is_empty() {
        blocks.push(Block::Heading(
            2,
            t(lang, "工作日历", "Working-day calendars").into(),
        ));
        for c in &program.calendars {
            calendar(c, lang, &mut blocks);
        }
    }
    blocks
}

/// A working-day calendar: the days it covers, then each holiday and adjusted working
/// day (调休) as declared, with its label and citations.
fn calendar(c: &CalendarDef, lang: Lang, blocks: &mut Vec<Block>) {
    let l = Label::new(&c.name, &c.origin.meta);
    blocks.push(Block::Heading(3, titled(l.get(lang), &c.name, lang)));
    let (first, last) = (format_date(c.first), format_date(c.last));
    blocks.push(Block::Para(match lang {
        Lang::Zh => format!(
            "涵盖 {first} 至 {last}。周一至周五为工作日，周六、周日不是；下列节假日不是工作日，调休上班日是工作日。超出涵盖范围的日期无法计算工作日。"
        ),
        Lang::En => format!(
            "Covers {first} to {last}. Monday to Friday are working days, Saturday and Sunday are not; the holidays below are not, the adjusted working days are. Working days cannot be counted outside these days."
        ),
    }));
    let rows = c
        .entries
        .iter()
        .map(|e| {
            let days = if e.first == e.last {
                format_date(e.first)
            } else {
                format!("{} – {}", format_date(e.first), format_date(e.last))
            };
            let kind = if e.working {
                t(lang, "调休上班", "working day")
            } else {
                t(lang, "节假日", "holiday")
            };
            let label = e.origin.meta.label.as_ref().map(|x| x.text.clone());
            let label = match (lang, &e.origin.meta.en) {
                (Lang::En, Some(en)) => en.text.clone(),
                _ => label.unwrap_or_default(),
            };
            let cited = meta_lines(&e.origin.meta, lang, 0)
                .into_iter()
                .map(|(_, x)| x)
                .collect::<Vec<_>>()
                .join("; ");
            vec![days, kind.to_string(), label, cited]
        })
        .collect();
    blocks.push(Block::Table(
        vec![
            t(lang, "日期", "Days").into(),
            t(lang, "类别", "Kind").into(),
            t(lang, "名称", "Name").into(),
            t(lang, "依据", "Basis").into(),
        ],
        rows,
    ));
    let lines = meta_lines(&c.origin.meta, lang, 0);
    if !lines.is_empty() {
        blocks.push(Block::List(lines));
    }
}

fn entity_label(program: &Program, e: bylaw_runtime::schema::EntityId) -> Label {
    let name = program
        .schema
        .entity(e)
        .map_or_else(String::new, |x| x.name.clone());
    program.docs.get(e.0 as usize).map_or_else(
        || Label::plain(&name),
        |d| Label::new(&name, &d.origin.meta),
    )
}

fn inputs(program: &Program, lang: Lang, blocks: &mut Vec<Block>) {
    if program.schema.entities.is_empty() {
        return;
    }
    blocks.push(Block::Heading(
        2,
        t(lang, "需要填写的信息", "Inputs").into(),
    ));
    for (ei, e) in program.schema.entities.iter().enumerate() {
        let eid = bylaw_runtime::schema::EntityId(ei as u32);
        let el = entity_label(program, eid);
        blocks.push(Block::Para(match lang {
            Lang::Zh => format!("{}（{}）：", el.zh, e.name),
            Lang::En => format!("For each {} ({}):", el.en, e.name),
        }));
        let mut lines = Vec::new();
        for (fi, f) in e.fields.iter().enumerate() {
            let l = field_label(program, eid, fi);
            let ty = program_field_ty(program, eid, fi);
            let unit = program
                .docs
                .get(ei)
                .and_then(|d| d.fields.get(fi))
                .map(|f| f.unit)
                .unwrap_or_default();
            let described = ty.map_or_else(String::new, |t| type_words(program, t, unit, lang));
            let mut text = match lang {
                Lang::Zh => format!("{}（{}）：{described}", l.zh, f.name),
                Lang::En => format!("{} ({}): {described}", l.en, f.name),
            };
            if let (Some(d), Some(ty)) = (&f.default, ty) {
                let v = scalar_value(d);
                text.push_str(&match (lang, &v) {
                    (Lang::Zh, Value::Date(bylaw_runtime::date::NO_DATE)) => {
                        "，可不填（没有这一日期）".into()
                    }
                    (Lang::En, Value::Date(bylaw_runtime::date::NO_DATE)) => {
                        "; may be left empty (no such date)".into()
                    }
                    (Lang::Zh, _) => {
                        format!("，未填时为{}", value_text(program, ty, unit, &v, lang))
                    }
                    (Lang::En, _) => format!(
                        "; {} when not given",
                        value_text(program, ty, unit, &v, lang)
                    ),
                });
            }
            if program
                .docs
                .get(ei)
                .and_then(|d| d.fields.get(fi))
                .is_some_and(|d| d.fixed)
            {
                text.push_str(t(
                    lang,
                    "（申请人无法改变）",
                    " (not changeable by the applicant)",
                ));
            }
            lines.push((0, text));
        }
        for (ri, r) in e.relations.iter().enumerate() {
            let rl = relation_label(program, eid, ri);
            let child = entity_label(program, r.child);
            // Dated records are named by the days they run between.
            let dated = program.schema.entity(r.child).and_then(|c| {
                let d = c.dated?;
                let (from, until) = (
                    field_label(program, r.child, d.from.0 as usize),
                    field_label(program, r.child, d.until.0 as usize),
                );
                Some(match lang {
                    Lang::Zh => format!("，自{}至{}", from.zh, until.zh),
                    Lang::En => format!(", each from its {} to its {}", from.en, until.en),
                })
            });
            let at_least = |zh: bool| match (r.at_least, zh) {
                (0, _) => String::new(),
                (n, true) => format!("，至少 {n} 项"),
                (n, false) => format!(", at least {n}"),
            };
            lines.push((
                0,
                match lang {
                    Lang::Zh => format!(
                        "{}（{}）：每项为一{}{}{}{}",
                        rl.zh,
                        r.name,
                        if dated.is_some() { "条" } else { "名" },
                        child.zh,
                        dated.clone().unwrap_or_default(),
                        at_least(true)
                    ),
                    Lang::En => format!(
                        "{} ({}): each one a {}{}{}",
                        rl.en,
                        r.name,
                        child.en,
                        dated.clone().unwrap_or_default(),
                        at_least(false)
                    ),
                },
            ));
        }
        blocks.push(Block::List(lines));
    }
}

fn program_field_ty(
    program: &Program,
    entity: bylaw_runtime::schema::EntityId,
    field: usize,
) -> Option<Ty> {
    // Field types are recovered from the nodes that read them, or from the column type.
    use bylaw_runtime::schema::ColumnType as C;
    let f = program.schema.entity(entity)?.fields.get(field)?;
    Some(match &f.ty {
        C::Money => program
            .nodes
            .iter()
            .zip(&program.types)
            .find_map(|(n, t)| match n {
                Node::Field {
                    entity: e,
                    field: x,
                } if *e == entity && x.0 as usize == field => Some(*t),
                _ => None,
            })
            .unwrap_or(Ty::Money(crate::types::Per::Once)),
        C::Rate => Ty::Rate,
        C::Count => Ty::Count,
        C::Decimal => Ty::Decimal,
        C::Days => Ty::Days,
        C::Months | C::Years => Ty::Months,
        C::Date => Ty::Date,
        C::Bool => Ty::Bool,
        C::Text => Ty::Text,
        C::Enum(es) => Ty::Enum(EnumId(
            program.enums.iter().position(|d| d.name == es.name)? as u32,
        )),
    })
}

fn scalar_value(s: &bylaw_runtime::schema::Scalar) -> Value {
    use bylaw_runtime::schema::Scalar;
    match s {
        Scalar::Int(i) => Value::Int(*i),
        Scalar::Bool(b) => Value::Bool(*b),
        Scalar::Date(d) => Value::Date(*d),
        Scalar::Enum(e) => Value::Enum(*e),
        Scalar::Text(t) => Value::Text(t.as_str().into()),
    }
}

fn definition(program: &Program, id: DefId, date: i32, lang: Lang, blocks: &mut Vec<Block>) {
    let d = program.def(id);
    let l = def_label(program, id);
    blocks.push(Block::Heading(3, titled(l.get(lang), &d.name, lang)));
    let per_member = d.entity != program.schema.root;
    if per_member {
        let el = entity_label(program, d.entity);
        blocks.push(Block::Para(match lang {
            Lang::Zh => format!("对每一名{}分别判断。", el.zh),
            Lang::En => format!("Decided for each {} separately.", el.en),
        }));
    }
    let version = d
        .versions
        .iter()
        .find(|v| v.from.is_none_or(|f| f <= date) && v.until.is_none_or(|u| date <= u));
    match version {
        None => blocks.push(Block::Para(
            t(
                lang,
                "该日期无有效版本。",
                "No version is in force on this date.",
            )
            .into(),
        )),
        Some(v) => {
            let w = words(program, v.body);
            match d.kind {
                DefKind::Rule => {
                    let mut lines = Vec::new();
                    condition_lines(&w, lang, 0, &mut lines);
                    if lines.len() == 1 {
                        let only = lines.pop().map(|x| x.1).unwrap_or_default();
                        blocks.push(Block::Para(match lang {
                            Lang::Zh => format!("当{only}时，认定为“{}”。", l.zh),
                            Lang::En => format!("“{}” holds when {only}.", l.en),
                        }));
                    } else {
                        blocks.push(Block::Para(match lang {
                            Lang::Zh => format!("同时满足以下全部条件时，认定为“{}”：", l.zh),
                            Lang::En => format!("“{}” holds when all of the following hold:", l.en),
                        }));
                        blocks.push(Block::List(lines));
                    }
                }
                DefKind::Let | DefKind::Amount | DefKind::Fund => {
                    blocks.push(Block::Para(format!(
                        "{} = {}",
                        l.get(lang),
                        phrase(&w, lang)
                    )));
                    if d.kind == DefKind::Fund {
                        channels(program, v.body, lang, blocks);
                    }
                }
            }
            limits(program, &v.limits, lang, blocks);
            if d.versions.len() > 1 || v.from.is_some() || v.until.is_some() {
                let mut lines = Vec::new();
                for ver in &d.versions {
                    let from = ver
                        .from
                        .map_or_else(|| t(lang, "起始", "the start").to_string(), format_date);
                    let until = ver
                        .until
                        .map_or_else(|| t(lang, "今", "now").to_string(), format_date);
                    let text = phrase(&words(program, ver.body), lang);
                    lines.push((0, format!("{from} – {until}：{text}")));
                }
                blocks.push(Block::Para(t(lang, "历史版本：", "Versions:").into()));
                blocks.push(Block::List(lines));
            }
        }
    }
    if let Some(mode) = d.rounding {
        blocks.push(Block::Para(match lang {
            Lang::Zh => format!("金额{}。", rounding_words(mode.as_str(), lang)),
            Lang::En => format!("The amount is {}.", rounding_words(mode.as_str(), lang)),
        }));
    }
    if !d.exceptions.is_empty() {
        let mut lines = Vec::new();
        for x in &d.exceptions {
            let name = x.name.as_deref().unwrap_or("");
            let cond = phrase(&words(program, x.condition), lang);
            let value = phrase(&words(program, x.value), lang);
            lines.push((
                0,
                match lang {
                    Lang::Zh => format!(
                        "例外{}：若{cond}，则为{value}",
                        if name.is_empty() {
                            String::new()
                        } else {
                            format!("（{name}）")
                        }
                    ),
                    Lang::En => format!(
                        "Exception{}: if {cond}, it is {value}",
                        if name.is_empty() {
                            String::new()
                        } else {
                            format!(" ({name})")
                        }
                    ),
                },
            ));
            lines.extend(meta_lines(&x.origin.meta, lang, 1));
        }
        blocks.push(Block::List(lines));
    }
    let lines = meta_lines(&d.origin.meta, lang, 0);
    if !lines.is_empty() {
        blocks.push(Block::List(lines));
    }
}

fn parameter(program: &Program, p: &Param, date: i32, lang: Lang, blocks: &mut Vec<Block>) {
    let l = Label::new(&p.name, &p.origin.meta);
    blocks.push(Block::Heading(3, titled(l.get(lang), &p.name, lang)));
    let lines = meta_lines(&p.origin.meta, lang, 0);
    if !lines.is_empty() {
        blocks.push(Block::List(lines));
    }
    let head_key = t(lang, "适用范围", "Applies to");
    let head_value = match lang {
        Lang::Zh => format!("{} 时的值", format_date(date)),
        Lang::En => format!("Value on {}", format_date(date)),
    };
    let key_name = |k: Option<u32>| match (p.by, k) {
        (Some(e), Some(k)) => program
            .enums
            .get(e.index())
            .and_then(|d| d.variants.get(k as usize))
            .map_or_else(String::new, |v| match lang {
                Lang::Zh => titled(&v.label, &v.name, lang),
                Lang::En => v.name.clone(),
            }),
        _ => t(lang, "全部", "all").into(),
    };
    let mut keys: Vec<Option<u32>> = p.entries.iter().map(|e| e.key).collect();
    keys.dedup();
    let rows: Vec<Vec<String>> = keys
        .iter()
        .map(|k| {
            let v = param_value_at(program, p, *k, date).map_or_else(
                || t(lang, "（无）", "(none)").to_string(),
                |(v, _)| value_text_per(program, p.ty, p.unit, &v, lang, p.per_person),
            );
            vec![key_name(*k), v]
        })
        .collect();
    blocks.push(Block::Table(vec![head_key.into(), head_value], rows));
    if p.by.is_some() {
        blocks.push(Block::Para(
            t(
                lang,
                "未单列的地区或类别取其上一级的值（如区取所在市的值）。",
                "A key without its own value takes its parent's (a district its city's).",
            )
            .into(),
        ));
    }
    let history: Vec<Vec<String>> = p
        .entries
        .iter()
        .map(|e| {
            let value = e.value.as_ref().map_or_else(
                || t(lang, "停止执行", "ended").to_string(),
                |v| value_text_per(program, p.ty, p.unit, v, lang, p.per_person),
            );
            let basis = meta_lines(&e.origin.meta, lang, 0)
                .into_iter()
                .map(|x| x.1)
                .collect::<Vec<_>>()
                .join("；");
            vec![key_name(e.key), format_date(e.from), value, basis]
        })
        .collect();
    blocks.push(Block::Table(
        vec![
            head_key.into(),
            t(lang, "起始日期", "From").into(),
            t(lang, "值", "Value").into(),
            t(lang, "依据", "Basis").into(),
        ],
        history,
    ));
}

fn scale(program: &Program, s: &ScaleDef, date: i32, lang: Lang, blocks: &mut Vec<Block>) {
    let l = Label::new(&s.name, &s.origin.meta);
    blocks.push(Block::Heading(3, titled(l.get(lang), &s.name, lang)));
    blocks.push(Block::Para(match (s.marginal, lang) {
        (true, Lang::Zh) => "超额累进：每一档的比例只适用于落在该档内的部分。".into(),
        (true, Lang::En) => {
            "Marginal: each bracket's rate applies to the part of the amount inside it.".into()
        }
        (false, Lang::Zh) => "按所在档次取值。".into(),
        (false, Lang::En) => "The value of the bracket the amount falls in.".into(),
    }));
    for v in &s.versions {
        let in_force = s
            .versions
            .iter()
            .filter(|x| x.from <= date)
            .max_by_key(|x| x.from)
            .is_some_and(|x| x.from == v.from);
        blocks.push(Block::Para(format!(
            "{}{}{}",
            t(lang, "自 ", "From "),
            format_date(v.from),
            if in_force {
                t(lang, "（当前有效）", " (in force)")
            } else {
                ""
            }
        )));
        let rows = v
            .brackets
            .iter()
            .map(|(th, val)| {
                vec![
                    value_text(program, s.input, s.input_unit, th, lang),
                    value_text(program, s.output, s.output_unit, val, lang),
                ]
            })
            .collect();
        blocks.push(Block::Table(
            vec![
                t(lang, "起点", "From").into(),
                t(lang, "值", "Value").into(),
            ],
            rows,
        ));
    }
    let lines = meta_lines(&s.origin.meta, lang, 0);
    if !lines.is_empty() {
        blocks.push(Block::List(lines));
    }
}

/// A fund's channels: the top-level terms of its sum.
fn channels(program: &Program, body: ExprId, lang: Lang, blocks: &mut Vec<Block>) {
    fn terms(program: &Program, id: ExprId, out: &mut Vec<ExprId>) {
        match program.node(id) {
            Node::Arith {
                op: crate::types::ArithOp::Add,
                lhs,
                rhs,
            } => {
                terms(program, *lhs, out);
                terms(program, *rhs, out);
            }
            _ => out.push(id),
        }
    }
    let mut parts = Vec::new();
    terms(program, body, &mut parts);
    if parts.len() < 2 {
        return;
    }
    blocks.push(Block::Para(match lang {
        Lang::Zh => format!("资金由以下{}个渠道组成：", parts.len()),
        Lang::En => format!("The fund has {} channels:", parts.len()),
    }));
    blocks.push(Block::List(
        parts
            .iter()
            .map(|p| (0, phrase(&words(program, *p), lang)))
            .collect(),
    ));
}

/// `at most` / `at least` clauses, in the order they apply, with their sources.
fn limits(program: &Program, limits: &[Limit], lang: Lang, blocks: &mut Vec<Block>) {
    if limits.is_empty() {
        return;
    }
    let mut lines = Vec::new();
    for l in limits {
        let value = phrase(&words(program, l.value), lang);
        let label = l
            .origin
            .meta
            .label
            .as_ref()
            .map(|s| match lang {
                Lang::Zh => format!("（{}）", s.text),
                Lang::En => format!(" ({})", s.text),
            })
            .unwrap_or_default();
        let text = match (l.principle, l.at_most, lang) {
            (false, true, Lang::Zh) => format!("不超过{value}{label}：超出部分不予安排"),
            (false, false, Lang::Zh) => format!("不低于{value}{label}：不足部分补足"),
            (true, true, Lang::Zh) => {
                format!("原则上不超过{value}{label}：超出时照常计算并报告超出额")
            }
            (true, false, Lang::Zh) => {
                format!("原则上不低于{value}{label}：不足时照常计算并报告差额")
            }
            (false, true, Lang::En) => format!("at most {value}{label}: anything above is cut"),
            (false, false, Lang::En) => {
                format!("at least {value}{label}: anything below is raised")
            }
            (true, true, Lang::En) => format!(
                "in principle at most {value}{label}: the value is kept and the excess reported"
            ),
            (true, false, Lang::En) => format!(
                "in principle at least {value}{label}: the value is kept and the gap reported"
            ),
        };
        lines.push((0, text));
        lines.extend(meta_lines(&l.origin.meta, lang, 1));
    }
    blocks.push(Block::Para(
        t(lang, "限额（依次适用）：", "Limits, applied in order:").into(),
    ));
    blocks.push(Block::List(lines));
}

fn target_block(program: &Program, target: &TargetDef, lang: Lang, blocks: &mut Vec<Block>) {
    let l = Label::new(&target.name, &target.origin.meta);
    blocks.push(Block::Heading(3, titled(l.get(lang), &target.name, lang)));
    let covered = phrase(&words(program, target.covered), lang);
    let total = phrase(&words(program, target.total), lang);
    blocks.push(Block::Para(match lang {
        Lang::Zh => format!("覆盖率 = {covered} ÷ {total}。"),
        Lang::En => format!("Coverage = {covered} ÷ {total}."),
    }));
    let lines = meta_lines(&target.origin.meta, lang, 0);
    if !lines.is_empty() {
        blocks.push(Block::List(lines));
    }
    let mut lines = Vec::new();
    for m in &target.milestones {
        let share = crate::format::plain(program, Ty::Rate, &Value::Int(m.share));
        lines.push((
            0,
            match lang {
                Lang::Zh => format!("{}前达到{share}%", format_date(m.by)),
                Lang::En => format!("{share}% by {}", format_date(m.by)),
            },
        ));
        lines.extend(meta_lines(&m.origin.meta, lang, 1));
    }
    blocks.push(Block::Para(t(lang, "阶段目标：", "Milestones:").into()));
    blocks.push(Block::List(lines));
    if let Some(c) = target.cost {
        let cost = phrase(&words(program, c), lang);
        blocks.push(Block::Para(match lang {
            Lang::Zh => format!("每差一个单位，所需资金按{cost}计。"),
            Lang::En => format!("Each unit short costs {cost}."),
        }));
    }
}
