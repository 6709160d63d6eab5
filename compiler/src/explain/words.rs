//! Expressions as words: the IR of a definition becomes a [`Words`] tree that names
//! fields, definitions and parameters by their labels and writes values with their units.
//! One tree renders in Chinese or English ([`Lang`]); nothing here is language-specific
//! except the two label strings each name carries.

use bylaw_grammar::ast::AggFn;
use bylaw_runtime::schema::EntityId;

use crate::duration::DurationUnit;
use crate::format::human;
use crate::ir::*;
use crate::types::{ArithOp, Per, Ty};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn parse(text: &str) -> Option<Lang> {
        match text {
            "zh" | "zh-CN" | "cn" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}

/// A name in both languages.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Label {
    pub name: String,
    pub zh: String,
    pub en: String,
}

impl Label {
    pub fn new(name: &str, meta: &bylaw_grammar::ast::Meta) -> Label {
        let zh = meta
            .label
            .as_ref()
            .map_or_else(|| name.to_string(), |l| l.text.clone());
        let en = meta
            .en
            .as_ref()
            .map_or_else(|| name.replace('_', " "), |l| l.text.clone());
        Label {
            name: name.to_string(),
            zh,
            en,
        }
    }

    /// A name with no labels: shown as written in both languages.
    pub fn plain(name: &str) -> Label {
        Label {
            name: name.to_string(),
            zh: name.to_string(),
            en: name.to_string(),
        }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Compare {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// `<`, `<=`, `>`, `>=` of two dates: before, on or before, after, on or after.
    Before,
    NotAfter,
    After,
    NotBefore,
}

/// An expression in words.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Words {
    /// `x[last year]`: x for the year before.
    LastYear {
        operand: Box<Words>,
    },
    /// A field, definition or relation, by its label.
    Name {
        label: Label,
    },
    /// A yes/no input used as a condition.
    Flag {
        label: Label,
    },
    /// A constant, already written with its unit in both languages.
    Value {
        zh: String,
        en: String,
    },
    Param {
        label: Label,
        key: Option<Box<Words>>,
    },
    Scale {
        label: Label,
        arg: Box<Words>,
    },
    Arith {
        op: char,
        lhs: Box<Words>,
        rhs: Box<Words>,
    },
    Neg {
        operand: Box<Words>,
    },
    Compare {
        op: Compare,
        lhs: Box<Words>,
        rhs: Box<Words>,
    },
    All {
        items: Vec<Words>,
    },
    Any {
        items: Vec<Words>,
    },
    Not {
        operand: Box<Words>,
    },
    If {
        condition: Box<Words>,
        then: Box<Words>,
        otherwise: Box<Words>,
    },
    MinMax {
        max: bool,
        args: Vec<Words>,
    },
    Aggregate {
        function: &'static str,
        relation: Label,
        body: Option<Box<Words>>,
        filter: Option<Box<Words>>,
        default: Option<Box<Words>>,
    },
    Call {
        function: String,
        args: Vec<Words>,
    },
    /// A history function over dated records (`continuous_months`, …).
    History {
        function: &'static str,
        relation: Label,
        filter: Option<Box<Words>>,
        dates: Vec<Words>,
    },
}

/// A constant in both languages, a duration in `unit`.
pub(crate) fn value_words(program: &Program, ty: Ty, unit: DurationUnit, value: &Value) -> Words {
    Words::Value {
        zh: value_text(program, ty, unit, value, Lang::Zh),
        en: value_text(program, ty, unit, value, Lang::En),
    }
}

/// A value as people write it: `1,338.00 元/月`, `8 万元`, `2%`, `24个月`, a duration in
/// `unit` (`2年`, `80周岁`).
pub fn value_text(
    program: &Program,
    ty: Ty,
    unit: DurationUnit,
    value: &Value,
    lang: Lang,
) -> String {
    value_text_per(program, ty, unit, value, lang, false)
}

/// Is expression `id` a field, definition or parameter declared `money per person …`?
pub(crate) fn per_person_of(program: &Program, id: ExprId) -> bool {
    match program.node(id) {
        Node::Def(d) => program.def(*d).per_person,
        Node::Param { param, .. } => program
            .params
            .get(param.index())
            .is_some_and(|p| p.per_person),
        Node::Field { entity, field } => program
            .docs
            .get(entity.0 as usize)
            .and_then(|d| d.fields.get(field.0 as usize))
            .is_some_and(|f| f.per_person),
        _ => false,
    }
}

/// [`value_text`], with `元/人/月` for amounts declared per person.
pub(crate) fn value_text_per(
    program: &Program,
    ty: Ty,
    unit: DurationUnit,
    value: &Value,
    lang: Lang,
    per_person: bool,
) -> String {
    match (ty, value) {
        (Ty::Money(per), Value::Int(v)) => {
            let per = match (per, lang, per_person) {
                (Per::Month, Lang::Zh, false) => "/月",
                (Per::Year, Lang::Zh, false) => "/年",
                (Per::Month, Lang::En, false) => " a month",
                (Per::Year, Lang::En, false) => " a year",
                (Per::Month, Lang::Zh, true) => "/人/月",
                (Per::Year, Lang::Zh, true) => "/人/年",
                (_, Lang::Zh, true) => "/人",
                (Per::Month, Lang::En, true) => " per person a month",
                (Per::Year, Lang::En, true) => " per person a year",
                (_, Lang::En, true) => " per person",
                _ => "",
            };
            // Round sums of ten thousand yuan are written in 万元, as the sources do.
            let wan = 10_000 * 10_000;
            let amount = if v.abs() >= wan && v % (wan / 100) == 0 {
                let text = bylaw_runtime::decimal::format_scaled(*v, wan, 0);
                match lang {
                    Lang::Zh => format!("{text}万元"),
                    Lang::En => format!(
                        "{text} 万元 ({} yuan)",
                        bylaw_runtime::decimal::format_money_yuan(*v)
                    ),
                }
            } else {
                let text = bylaw_runtime::decimal::format_money_yuan(*v);
                match lang {
                    Lang::Zh => format!("{text}元"),
                    Lang::En => format!("{text} yuan"),
                }
            };
            format!("{amount}{per}")
        }
        (Ty::Months, Value::Int(v)) => unit.text(*v, lang),
        (Ty::Days, Value::Int(v)) => match lang {
            Lang::Zh => format!("{v}天"),
            Lang::En => format!("{v} day{}", if *v == 1 { "" } else { "s" }),
        },
        (Ty::Date, Value::Date(bylaw_runtime::date::NO_DATE)) => match lang {
            Lang::Zh => "未填".into(),
            Lang::En => "missing".into(),
        },
        (Ty::Bool, Value::Bool(b)) => match (lang, b) {
            (Lang::Zh, true) => "是".into(),
            (Lang::Zh, false) => "否".into(),
            (Lang::En, true) => "yes".into(),
            (Lang::En, false) => "no".into(),
        },
        (Ty::Enum(e), Value::Enum(i)) => program
            .enums
            .get(e.index())
            .and_then(|d| d.variants.get(*i as usize))
            .map_or_else(
                || i.to_string(),
                |v| match lang {
                    Lang::Zh => v.label.clone(),
                    Lang::En => v.name.clone(),
                },
            ),
        _ => human(program, ty, value),
    }
}

/// `known(d)` as the checker writes it (`d != NO_DATE`): the date tested.
fn known_test(program: &Program, id: ExprId) -> Option<ExprId> {
    match program.node(id) {
        Node::Cmp {
            op: CmpOp::Ne,
            lhs,
            rhs,
        } if matches!(
            program.node(*rhs),
            Node::Const(Value::Date(bylaw_runtime::date::NO_DATE))
        ) =>
        {
            Some(*lhs)
        }
        _ => None,
    }
}

/// Labels of the input schema and definitions.
pub(crate) fn field_label(program: &Program, entity: EntityId, field: usize) -> Label {
    let name = program
        .schema
        .entity(entity)
        .and_then(|e| e.fields.get(field))
        .map_or_else(String::new, |f| f.name.clone());
    program
        .docs
        .get(entity.0 as usize)
        .and_then(|d| d.fields.get(field))
        .map_or_else(
            || Label::plain(&name),
            |f| Label::new(&name, &f.origin.meta),
        )
}

pub fn def_label(program: &Program, def: DefId) -> Label {
    let d = program.def(def);
    Label::new(&d.name, &d.origin.meta)
}

pub(crate) fn relation_label(program: &Program, owner: EntityId, relation: usize) -> Label {
    let name = program
        .schema
        .entity(owner)
        .and_then(|e| e.relations.get(relation))
        .map_or_else(String::new, |r| r.name.clone());
    program
        .docs
        .get(owner.0 as usize)
        .and_then(|d| d.relations.get(relation))
        .map_or_else(|| Label::plain(&name), |o| Label::new(&name, &o.meta))
}

/// The words of expression `id`.
pub fn words(program: &Program, id: ExprId) -> Words {
    let w = |x: ExprId| Box::new(words(program, x));
    match program.node(id) {
        Node::Const(v) => value_words(program, program.ty(id), program.unit(id), v),
        Node::Field { entity, field } => {
            let label = field_label(program, *entity, field.0 as usize);
            if program.ty(id) == Ty::Bool {
                Words::Flag { label }
            } else {
                Words::Name { label }
            }
        }
        Node::Def(d) => Words::Name {
            label: def_label(program, *d),
        },
        Node::Param { param, key } => {
            let p = &program.params[param.index()];
            Words::Param {
                label: Label::new(&p.name, &p.origin.meta),
                key: key.map(w),
            }
        }
        Node::Scale { scale, arg } => {
            let s = &program.scales[scale.index()];
            Words::Scale {
                label: Label::new(&s.name, &s.origin.meta),
                arg: w(*arg),
            }
        }
        Node::Neg(a) => Words::Neg { operand: w(*a) },
        Node::LastYear(a) => Words::LastYear { operand: w(*a) },
        Node::Not(a) => Words::Not { operand: w(*a) },
        Node::Arith { op, lhs, rhs } => {
            let op = match op {
                ArithOp::Add | ArithOp::DateAddDays | ArithOp::DateAddMonths => '+',
                ArithOp::Sub | ArithOp::DateSubDays | ArithOp::DateSubMonths => '−',
                ArithOp::Mul | ArithOp::MulScaled(_) => '×',
                ArithOp::DivScaled(_) => '÷',
            };
            Words::Arith {
                op,
                lhs: w(*lhs),
                rhs: w(*rhs),
            }
        }
        Node::Cmp { lhs, .. } if known_test(program, id).is_some() => Words::Call {
            function: "known".into(),
            args: vec![words(program, *lhs)],
        },
        Node::Cmp { op, lhs, rhs } => {
            let dates = program.ty(*lhs) == Ty::Date;
            let op = match (op, dates) {
                (CmpOp::Eq, _) => Compare::Eq,
                (CmpOp::Ne, _) => Compare::Ne,
                (CmpOp::Lt, false) => Compare::Lt,
                (CmpOp::Le, false) => Compare::Le,
                (CmpOp::Gt, false) => Compare::Gt,
                (CmpOp::Ge, false) => Compare::Ge,
                (CmpOp::Lt, true) => Compare::Before,
                (CmpOp::Le, true) => Compare::NotAfter,
                (CmpOp::Gt, true) => Compare::After,
                (CmpOp::Ge, true) => Compare::NotBefore,
            };
            Words::Compare {
                op,
                lhs: w(*lhs),
                rhs: w(*rhs),
            }
        }
        Node::And(..) => {
            let mut items = Vec::new();
            flatten(program, id, true, &mut items);
            Words::All {
                items: items.into_iter().map(|x| words(program, x)).collect(),
            }
        }
        Node::Or(..) => {
            let mut items = Vec::new();
            flatten(program, id, false, &mut items);
            Words::Any {
                items: items.into_iter().map(|x| words(program, x)).collect(),
            }
        }
        Node::If {
            condition,
            then,
            otherwise,
        } => match known_test(program, *condition) {
            // `first_known(d, fallback)`, as the checker wrote it.
            Some(_) => Words::Call {
                function: "first_known".into(),
                args: vec![words(program, *then), words(program, *otherwise)],
            },
            None => Words::If {
                condition: w(*condition),
                then: w(*then),
                otherwise: w(*otherwise),
            },
        },
        Node::MinMax { max, args } => Words::MinMax {
            max: *max,
            args: args.iter().map(|a| words(program, *a)).collect(),
        },
        Node::Call { builtin, args } => {
            let name = match builtin {
                Builtin::PerYear => "per_year".to_string(),
                Builtin::PerMonth => "per_month".to_string(),
                Builtin::MonthsBetween => "months_between".to_string(),
                Builtin::DaysBetween => "days_between".to_string(),
                Builtin::YearsBetween => "years_between".to_string(),
                Builtin::Calendar(day) => day.name().to_string(),
                Builtin::EvaluationDate => "evaluation_date".to_string(),
                Builtin::Floor(_) => "floor".to_string(),
                Builtin::Ceil(_) => "ceil".to_string(),
                Builtin::RoundFen(mode) => format!("round_fen:{}", mode.as_str()),
                Builtin::AddWorkingDays(_) => "add_working_days".to_string(),
                Builtin::WorkingDaysBetween(_) => "working_days_between".to_string(),
            };
            Words::Call {
                function: name,
                args: args.iter().map(|a| words(program, *a)).collect(),
            }
        }
        Node::Aggregate {
            function,
            owner,
            relation,
            body,
            filter,
            default,
            ..
        } => Words::Aggregate {
            function: agg_name(*function),
            relation: relation_label(program, *owner, *relation),
            body: body.map(w),
            filter: filter.map(w),
            default: default.map(w),
        },
        Node::History {
            function,
            owner,
            relation,
            filter,
            dates,
            ..
        } => Words::History {
            function: function.name(),
            relation: relation_label(program, *owner, *relation),
            filter: filter.map(w),
            dates: dates.iter().map(|d| words(program, *d)).collect(),
        },
    }
}

pub(crate) fn agg_name(f: AggFn) -> &'static str {
    f.as_str()
}

/// The operands of a chain of `and` (or `or`), left to right.
pub fn flatten(program: &Program, id: ExprId, and: bool, out: &mut Vec<ExprId>) {
    match program.node(id) {
        Node::And(a, b) if and => {
            flatten(program, *a, and, out);
            flatten(program, *b, and, out);
        }
        Node::Or(a, b) if !and => {
            flatten(program, *a, and, out);
            flatten(program, *b, and, out);
        }
        _ => out.push(id),
    }
}
