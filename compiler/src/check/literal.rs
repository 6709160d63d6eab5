//! Literals to values: numbers with units to exact fixed point, dates to day numbers, names
//! to enumeration variants.

use bylaw_grammar::ast::{LitKind, Period, Unit};
use bylaw_runtime::arith::{MICRO, MONEY_SCALE};
use bylaw_runtime::decimal::{NumberError, parse_scaled};

use crate::diagnostics::{Code, codes};
use crate::ir::{EnumDef, Value};
use crate::types::{Per, Ty};

/// A literal that could not be read, with the code to report it under.
#[derive(Debug)]
pub struct LiteralError {
    pub code: Code,
    pub message: String,
    pub help: Option<String>,
}

fn bad(code: Code, message: String, help: Option<&str>) -> LiteralError {
    LiteralError {
        code,
        message,
        help: help.map(str::to_string),
    }
}

pub fn parse_date(text: &str) -> Result<i32, LiteralError> {
    bylaw_runtime::date::parse_date(text).map_err(|e| {
        bad(
            codes::BAD_LITERAL,
            format!("`{text}` is not a valid date: {e}"),
            Some("dates are written YYYY-MM-DD and must exist in the calendar"),
        )
    })
}

fn number(digits: &str, negative: bool, scale: i64, what: &str) -> Result<i64, LiteralError> {
    // The sign goes to the parser with the digits, so the most negative value
    // (`-922337203685477.5808 元`, whose magnitude alone does not fit) can be written.
    let signed = if negative {
        format!("-{digits}")
    } else {
        digits.to_string()
    };
    let v = parse_scaled(&signed, scale).map_err(|e| match e {
        NumberError::TooPrecise { max_decimals } => bad(
            codes::BAD_LITERAL,
            format!("`{digits}` is finer than {what} can hold"),
            Some(&format!("{what} keeps at most {max_decimals} decimals; Bylaw never rounds a literal silently")),
        ),
        other => bad(codes::BAD_LITERAL, format!("`{digits}` is not a valid number: {other}"), None),
    })?;
    Ok(v)
}

/// The type and value of a number literal in an expression.
pub fn number_literal(
    negative: bool,
    digits: &str,
    unit: Option<Unit>,
    per: Option<Period>,
) -> Result<(Ty, Value), LiteralError> {
    let per_ty = match per {
        None => Per::Any,
        Some(Period::Month) => Per::Month,
        Some(Period::Year) => Per::Year,
    };
    if per.is_some() && !matches!(unit, Some(Unit::Yuan | Unit::Wan | Unit::Yi)) {
        return Err(bad(
            codes::BAD_LITERAL,
            "`per month` and `per year` follow a money amount".into(),
            Some("write `1338 元 per month`"),
        ));
    }
    let (ty, v) = match unit {
        None if digits.contains('.') => {
            (Ty::Decimal, number(digits, negative, MICRO, "a decimal")?)
        }
        None => (Ty::Count, number(digits, negative, 1, "a count")?),
        Some(Unit::Yuan) => (
            Ty::Money(per_ty),
            number(digits, negative, MONEY_SCALE, "money (0.0001 元)")?,
        ),
        Some(Unit::Wan) => (
            Ty::Money(per_ty),
            number(digits, negative, MONEY_SCALE * 10_000, "money (0.0001 元)")?,
        ),
        Some(Unit::Yi) => (
            Ty::Money(per_ty),
            number(
                digits,
                negative,
                MONEY_SCALE * 100_000_000,
                "money (0.0001 元)",
            )?,
        ),
        Some(Unit::Percent) => (
            Ty::Rate,
            number(digits, negative, MICRO / 100, "a rate (0.0001 %)")?,
        ),
        Some(Unit::Days) => (Ty::Days, number(digits, negative, 1, "days")?),
        Some(Unit::Months) => (Ty::Months, number(digits, negative, 1, "months")?),
        Some(Unit::Years | Unit::Age) => {
            // Years are whole months: `1.5 years` is 18 months, `1.3 years` is refused.
            let micro = number(digits, negative, MICRO, "years")?;
            let months = micro
                .checked_mul(12)
                .filter(|m| m % MICRO == 0)
                .ok_or_else(|| {
                    bad(
                        codes::BAD_LITERAL,
                        format!("`{digits} years` is not a whole number of months"),
                        Some("write the duration in months"),
                    )
                })?;
            (Ty::Months, months / MICRO)
        }
    };
    Ok((ty, Value::Int(v)))
}

/// The value of a literal where a value of type `expected` is required (parameter values,
/// defaults, test inputs and expectations, scenarios).
pub fn value_of(lit: &LitKind, expected: Ty, enums: &[EnumDef]) -> Result<Value, LiteralError> {
    let names: Vec<String> = enums.iter().map(|e| e.name.clone()).collect();
    let want = expected.name(&names);
    let mismatch = |found: &str| {
        bad(
            codes::LITERAL_TYPE,
            format!("expected a value of type `{want}`, found {found}"),
            hint_for(expected),
        )
    };
    match lit {
        LitKind::Number {
            negative,
            digits,
            unit,
            per,
        } => {
            let (ty, value) = number_literal(*negative, digits, *unit, *per)?;
            // A whole number where a decimal is expected is fine: `1` means 1.0.
            if expected == Ty::Decimal && ty == Ty::Count {
                return number_literal(*negative, &format!("{digits}.0"), None, None)
                    .map(|(_, v)| v);
            }
            if ty.fits(expected) {
                Ok(value)
            } else {
                Err(mismatch(&format!(
                    "`{}` of type `{}`",
                    crate::print_literal(lit),
                    ty.name(&names)
                )))
            }
        }
        LitKind::Date(text) => {
            if expected == Ty::Date {
                parse_date(text).map(Value::Date)
            } else {
                Err(mismatch(&format!("the date `{text}`")))
            }
        }
        LitKind::Bool(b) => {
            if expected == Ty::Bool {
                Ok(Value::Bool(*b))
            } else {
                Err(mismatch(&format!("`{b}`")))
            }
        }
        LitKind::Text(t) => {
            if expected == Ty::Text {
                Ok(Value::Text(t.as_str().into()))
            } else {
                Err(mismatch(&format!("the text \"{t}\"")))
            }
        }
        LitKind::None => Err(bad(
            codes::LITERAL_TYPE,
            "`none` is a parameter value that ends its validity, or the value of a date field declared `default none`".into(),
            None,
        )),
        LitKind::Path(parts) => {
            let Ty::Enum(e) = expected else {
                let shown: Vec<&str> = parts.iter().map(|p| p.name.as_str()).collect();
                return Err(mismatch(&format!("the name `{}`", shown.join("."))));
            };
            let Some(def) = enums.get(e.index()) else {
                return Err(mismatch("a name"));
            };
            let variant = match parts.as_slice() {
                [v] => &v.name,
                [en, v] if en.name == def.name => &v.name,
                _ => {
                    let shown: Vec<&str> = parts.iter().map(|p| p.name.as_str()).collect();
                    return Err(mismatch(&format!("`{}`", shown.join("."))));
                }
            };
            variant_index(def, variant).map(Value::Enum)
        }
    }
}

pub(crate) fn variant_index(def: &EnumDef, name: &str) -> Result<u32, LiteralError> {
    if let Some(i) = def.find(name) {
        return Ok(i);
    }
    let suggestion =
        crate::diagnostics::suggest(name, def.variants.iter().map(|v| v.name.as_str()));
    Err(bad(
        codes::UNKNOWN_NAME,
        format!("`{name}` is not a variant of `{}`", def.name),
        Some(&match suggestion {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!(
                "the variants are {}",
                def.variants
                    .iter()
                    .take(8)
                    .map(|v| format!("`{}`", v.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }),
    ))
}

fn hint_for(expected: Ty) -> Option<&'static str> {
    Some(match expected {
        Ty::Money(_) => "money is written with its unit: `500 元`, `8 万元`, `2.8 亿元`",
        Ty::Rate => "rates are written as percentages: `2%`",
        Ty::Days => "write the unit: `30 days`",
        Ty::Months => "write the unit: `24 months` or `2 years`",
        Ty::Count => "counts are whole numbers: `3`",
        Ty::Decimal => "decimals are plain numbers: `0.75`",
        Ty::Date => "dates are written YYYY-MM-DD",
        Ty::Bool => "write `true` or `false`",
        Ty::Text => "text is quoted: \"A-17\"",
        Ty::Enum(_) => "write a variant's name",
    })
}
