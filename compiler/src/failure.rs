//! Why a household's evaluation failed: one enum for every backend, with the native
//! ABI's error codes (`ERR_*` in `bylaw_runtime::native::layout`) mapped to and from
//! it, and its words — in Chinese or English — written in one place. The interpreter
//! builds these errors, the native decoder reads them back from an error record; both
//! describe them with [`EvalError::message`], so their words cannot drift apart.

use bylaw_runtime::arith::ArithError;
use bylaw_runtime::date;
use bylaw_runtime::native::layout::{
    ERR_BELOW_BRACKET, ERR_DIV_ZERO, ERR_MISSING_PARAM, ERR_NO_VERSION, ERR_OUTSIDE_CALENDAR,
    ERR_OVERFLOW, ERR_SCALE_NONE, ErrorRecord,
};

use crate::explain::Lang;
use crate::ir::{CalendarId, DefId, ParamId, Program, ScaleId, Value};

/// Why a record could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// A result does not fit, or a divisor is zero.
    Arith(ArithError),
    /// No version of the failing definition is in force at the date.
    NoVersion,
    /// A parameter has no value at the date (for a key of its enumeration).
    MissingParam { param: ParamId, key: Option<u32> },
    /// A scale has no brackets in force at the date.
    ScaleWithoutBrackets { scale: ScaleId },
    /// A single scale's input (in the scale's input unit, as stored) is below its
    /// first bracket.
    BelowScale { scale: ScaleId, input: i64 },
    /// A working-day count needs `day`, which `calendar` does not cover.
    OutsideCalendar { calendar: CalendarId, day: i64 },
    /// Any other missing value, described in words (yearly tables' `x[last year]`).
    MissingValue,
}

/// A per-record error: what, where, and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalError {
    pub kind: ErrorKind,
    /// The innermost definition being evaluated when it happened.
    pub def: Option<DefId>,
    /// The error in English words ([`EvalError::message`] for Chinese).
    pub detail: String,
}

impl EvalError {
    /// The error of `kind` in definition `def` at `date`, described.
    pub fn new(program: &Program, date: i32, kind: ErrorKind, def: Option<DefId>) -> EvalError {
        let mut e = EvalError {
            kind,
            def,
            detail: String::new(),
        };
        e.detail = e.message(program, date, Lang::En);
        e
    }

    /// An error described only in words (kind [`ErrorKind::MissingValue`]).
    pub fn missing(detail: String) -> EvalError {
        EvalError {
            kind: ErrorKind::MissingValue,
            def: None,
            detail,
        }
    }

    /// The error a native kernel recorded, as the interpreter gives it.
    pub fn from_record(program: &Program, date: i32, rec: &ErrorRecord) -> EvalError {
        let u32_of = |v: i64| u32::try_from(v).unwrap_or(u32::MAX);
        let kind = match rec.kind {
            ERR_OVERFLOW => ErrorKind::Arith(ArithError::Overflow),
            ERR_DIV_ZERO => ErrorKind::Arith(ArithError::DivisionByZero),
            ERR_NO_VERSION => ErrorKind::NoVersion,
            ERR_MISSING_PARAM => ErrorKind::MissingParam {
                param: ParamId(u32_of(rec.aux)),
                key: u32::try_from(rec.arg).ok(),
            },
            ERR_SCALE_NONE => ErrorKind::ScaleWithoutBrackets {
                scale: ScaleId(u32_of(rec.aux)),
            },
            ERR_BELOW_BRACKET => ErrorKind::BelowScale {
                scale: ScaleId(u32_of(rec.aux)),
                input: rec.arg,
            },
            ERR_OUTSIDE_CALENDAR => ErrorKind::OutsideCalendar {
                calendar: CalendarId(u32_of(rec.aux)),
                day: rec.arg,
            },
            other => {
                return EvalError {
                    kind: ErrorKind::MissingValue,
                    def: Some(DefId(rec.def)),
                    detail: format!("internal: unknown error code {other}"),
                };
            }
        };
        EvalError::new(program, date, kind, Some(DefId(rec.def)))
    }

    /// The native ABI's code for this error, if native code can report it.
    pub fn abi_code(&self) -> Option<u32> {
        Some(match self.kind {
            ErrorKind::Arith(ArithError::Overflow) => ERR_OVERFLOW,
            ErrorKind::Arith(ArithError::DivisionByZero) => ERR_DIV_ZERO,
            ErrorKind::NoVersion => ERR_NO_VERSION,
            ErrorKind::MissingParam { .. } => ERR_MISSING_PARAM,
            ErrorKind::ScaleWithoutBrackets { .. } => ERR_SCALE_NONE,
            ErrorKind::BelowScale { .. } => ERR_BELOW_BRACKET,
            ErrorKind::OutsideCalendar { .. } => ERR_OUTSIDE_CALENDAR,
            ErrorKind::MissingValue => return None,
        })
    }

    /// The stable code of the error, as `error` columns and tests give it.
    pub fn code(&self) -> &'static str {
        match &self.kind {
            ErrorKind::Arith(a) => a.code(),
            ErrorKind::BelowScale { .. } => "below_scale",
            ErrorKind::OutsideCalendar { .. } => "outside_calendar",
            ErrorKind::NoVersion
            | ErrorKind::MissingParam { .. }
            | ErrorKind::ScaleWithoutBrackets { .. }
            | ErrorKind::MissingValue => "missing_value",
        }
    }

    /// The error in words, in `lang`.
    pub fn message(&self, program: &Program, date: i32, lang: Lang) -> String {
        let day = date::format_date(date);
        let zh = lang == Lang::Zh;
        match &self.kind {
            ErrorKind::Arith(ArithError::Overflow) if zh => {
                "计算结果超出可表示的范围（溢出）".into()
            }
            ErrorKind::Arith(ArithError::DivisionByZero) if zh => "除数为零".into(),
            ErrorKind::Arith(a) => a.to_string(),
            ErrorKind::NoVersion => {
                let name = self
                    .def
                    .and_then(|d| program.defs.get(d.index()))
                    .map_or("?", |d| d.name.as_str());
                if zh {
                    format!("`{name}` 在 {day} 没有生效的版本")
                } else {
                    format!("no version of `{name}` is in force on {day}")
                }
            }
            ErrorKind::MissingParam { param, key } => {
                let p = program.params.get(param.index());
                let name = p.map_or("?", |p| p.name.as_str());
                let key_name = match (p.and_then(|p| p.by), key) {
                    (Some(e), Some(k)) => program
                        .enums
                        .get(e.index())
                        .and_then(|e| e.variants.get(*k as usize))
                        .map(|v| v.name.clone()),
                    _ => None,
                };
                match (zh, key_name) {
                    (true, Some(k)) => format!("`{name}` 在 {day} 没有 `{k}` 的取值"),
                    (true, None) => format!("`{name}` 在 {day} 没有取值"),
                    (false, Some(k)) => format!("`{name}` has no value for `{k}` on {day}"),
                    (false, None) => format!("`{name}` has no value on {day}"),
                }
            }
            ErrorKind::ScaleWithoutBrackets { scale } => {
                let name = program
                    .scales
                    .get(scale.index())
                    .map_or("?", |s| s.name.as_str());
                if zh {
                    format!("分段表 `{name}` 在 {day} 没有生效的档次")
                } else {
                    format!("scale `{name}` has no brackets in force on {day}")
                }
            }
            ErrorKind::BelowScale { scale, input } => {
                below_scale(program, *scale, *input, date, lang)
            }
            ErrorKind::OutsideCalendar { calendar, day } => {
                outside_calendar(program, *calendar, *day, lang)
            }
            ErrorKind::MissingValue => self.detail.clone(),
        }
    }
}

/// A working-day count that needs `day`, which calendar `id` does not cover: the day
/// and the days the calendar does cover.
fn outside_calendar(program: &Program, id: CalendarId, day: i64, lang: Lang) -> String {
    let shown = i32::try_from(day).map_or_else(|_| day.to_string(), date::format_date);
    let Some(c) = program.calendars.get(id.index()) else {
        return match lang {
            Lang::Zh => format!("工作日历未涵盖 {shown}"),
            Lang::En => format!("working days on {shown} are not in the calendar"),
        };
    };
    let (name, first, last) = (
        &c.name,
        date::format_date(c.first),
        date::format_date(c.last),
    );
    match lang {
        Lang::Zh => {
            format!("工作日历 `{name}` 只涵盖 {first} 至 {last}，无法判断 {shown} 是否为工作日")
        }
        Lang::En => format!(
            "counting working days needs {shown}, but calendar `{name}` covers only {first} to {last}"
        ),
    }
}

/// A single scale's input `x` below its first bracket in force at `date`: both shown
/// in the scale's input unit (`-5.00 元`, not the stored number).
fn below_scale(program: &Program, id: ScaleId, x: i64, date: i32, lang: Lang) -> String {
    let Some(scale) = program.scales.get(id.index()) else {
        return format!("{x} is below the first bracket of a scale");
    };
    let shown = crate::format::human_in(program, scale.input, scale.input_unit, &Value::Int(x));
    let first = scale
        .versions
        .iter()
        .filter(|v| v.from <= date)
        .max_by_key(|v| v.from)
        .and_then(|v| v.brackets.first())
        .map(|(t, _)| crate::format::human_in(program, scale.input, scale.input_unit, t));
    let name = &scale.name;
    match (lang, first) {
        (Lang::Zh, Some(first)) => format!("{shown} 低于分段表 `{name}` 的第一档（起点 {first}）"),
        (Lang::Zh, None) => format!("{shown} 低于分段表 `{name}` 的第一档"),
        (Lang::En, Some(first)) => {
            format!("{shown} is below the first bracket of scale `{name}`, which starts at {first}")
        }
        (Lang::En, None) => format!("{shown} is below the first bracket of scale `{name}`"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

    use super::*;

    #[test]
    fn every_native_code_reads_back_as_the_same_error_in_both_languages() {
        let compiled = crate::compile_file(std::path::Path::new(
            "../tests/conformance/scales/single.bylaw",
        ));
        let program = compiled.program.expect("compiles");
        let date = date::parse_date("2024-01-01").unwrap();
        let def = Some(DefId(0));
        let kinds = [
            ErrorKind::Arith(ArithError::Overflow),
            ErrorKind::Arith(ArithError::DivisionByZero),
            ErrorKind::NoVersion,
            ErrorKind::MissingParam {
                param: ParamId(0),
                key: None,
            },
            ErrorKind::ScaleWithoutBrackets { scale: ScaleId(0) },
            ErrorKind::BelowScale {
                scale: ScaleId(0),
                input: -50_000,
            },
            ErrorKind::OutsideCalendar {
                calendar: CalendarId(0),
                day: 20_454,
            },
        ];
        for kind in kinds {
            let e = EvalError::new(&program, date, kind, def);
            let code = e.abi_code().expect("native code reports it");
            let rec = ErrorRecord {
                kind: code,
                def: 0,
                aux: match &e.kind {
                    ErrorKind::MissingParam { param, .. } => i64::from(param.0),
                    ErrorKind::ScaleWithoutBrackets { scale }
                    | ErrorKind::BelowScale { scale, .. } => i64::from(scale.0),
                    ErrorKind::OutsideCalendar { calendar, .. } => i64::from(calendar.0),
                    _ => 0,
                },
                arg: match &e.kind {
                    ErrorKind::BelowScale { input, .. } => *input,
                    ErrorKind::OutsideCalendar { day, .. } => *day,
                    _ => -1,
                },
            };
            assert_eq!(EvalError::from_record(&program, date, &rec), e);
            let zh = e.message(&program, date, Lang::Zh);
            assert_ne!(zh, e.detail, "{:?} has Chinese words", e.kind);
        }
        let below = EvalError::new(
            &program,
            date,
            ErrorKind::BelowScale {
                scale: ScaleId(0),
                input: -50_000,
            },
            def,
        );
        assert_eq!(below.code(), "below_scale");
        assert!(below.detail.contains("-5.00 元"), "{}", below.detail);
    }

    #[test]
    fn a_day_outside_the_calendar_is_named_with_the_days_it_covers() {
        let compiled = crate::compile_file(std::path::Path::new(
            "../tests/conformance/dates/working_days.bylaw",
        ));
        let program = compiled.program.expect("compiles");
        let date = date::parse_date("2025-01-01").unwrap();
        let day = i64::from(date::parse_date("2025-04-01").unwrap());
        let kind = ErrorKind::OutsideCalendar {
            calendar: CalendarId(0),
            day,
        };
        let e = EvalError::new(&program, date, kind, Some(DefId(0)));
        assert_eq!(e.code(), "outside_calendar");
        assert_eq!(
            e.detail,
            "counting working days needs 2025-04-01, but calendar `test_workdays` covers only 2025-01-01 to 2025-03-31"
        );
        let zh = e.message(&program, date, Lang::Zh);
        assert!(
            zh.contains("test_workdays") && zh.contains("2025-04-01"),
            "{zh}"
        );
    }
}
