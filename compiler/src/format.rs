//! Values as text: exact and machine-readable for output files, with units for people.

use bylaw_runtime::arith::{MICRO, MONEY_SCALE};
use bylaw_runtime::decimal::{format_money_yuan, format_scaled};

use crate::duration::DurationUnit;
use crate::explain::Lang;
use crate::ir::{Program, Value};
use crate::types::Ty;

/// The value as written in output files: plain numbers in the type's unit (yuan, percent,
/// months), ISO dates, variant names. A duration is written in months: see [`plain_in`]
/// for its shown unit.
pub fn plain(program: &Program, ty: Ty, value: &Value) -> String {
    plain_in(program, ty, DurationUnit::Months, value)
}

/// [`plain`], with a duration in the unit it is shown in (years of `80 周岁` are `80`).
pub fn plain_in(program: &Program, ty: Ty, unit: DurationUnit, value: &Value) -> String {
    match (ty, value) {
        (Ty::Months, Value::Int(v)) => unit.plain(*v),
        (Ty::Money(_), Value::Int(v)) => format_scaled(*v, MONEY_SCALE, 2),
        (Ty::Rate, Value::Int(v)) => format_scaled(*v, MICRO / 100, 0),
        (Ty::Decimal, Value::Int(v)) => format_scaled(*v, MICRO, 0),
        (_, Value::Int(v)) => v.to_string(),
        (_, Value::Bool(b)) => b.to_string(),
        // A date field declared `default none` with no date in the data.
        (_, Value::Date(bylaw_runtime::date::NO_DATE)) => "none".to_string(),
        (_, Value::Date(d)) => bylaw_runtime::date::format_date(*d),
        (Ty::Enum(e), Value::Enum(i)) => program
            .enums
            .get(e.index())
            .and_then(|d| d.variants.get(*i as usize))
            .map_or_else(|| i.to_string(), |v| v.name.clone()),
        (_, Value::Enum(i)) => i.to_string(),
        (_, Value::Text(t)) => t.to_string(),
    }
}

/// The value for people: `1,338.00 元`, `2%`, `24 months`. A duration is written in
/// months: see [`human_in`] for its shown unit.
pub fn human(program: &Program, ty: Ty, value: &Value) -> String {
    human_in(program, ty, DurationUnit::Months, value)
}

/// [`human`], with a duration in the unit it is shown in (`2 years`, `80 years old`).
pub fn human_in(program: &Program, ty: Ty, unit: DurationUnit, value: &Value) -> String {
    match (ty, value) {
        (Ty::Money(p), Value::Int(v)) => {
            let per = match p {
                crate::types::Per::Month => "/月",
                crate::types::Per::Year => "/年",
                _ => "",
            };
            format!("{} 元{per}", format_money_yuan(*v))
        }
        (Ty::Rate, Value::Int(_)) => format!("{}%", plain(program, ty, value)),
        (Ty::Months, Value::Int(v)) => unit.text(*v, Lang::En),
        (Ty::Days, Value::Int(v)) => format!("{v} days"),
        _ => plain(program, ty, value),
    }
}
