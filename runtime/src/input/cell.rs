//! Parsing one cell's text into a [`Scalar`] according to its [`ColumnType`].
//!
//! Shared by the CSV and JSON readers. The text is already trimmed and non-empty;
//! empty cells (defaults, missing values) are the caller's business.

use super::error::DataErrorKind;
use crate::arith::MICRO;
use crate::decimal::{NumberError, parse_scaled};
use crate::schema::{ColumnType, EnumSchema, Scalar};

/// A cell that could not be parsed: kind, message and hint (no location yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CellError {
    pub kind: DataErrorKind,
    pub message: String,
    pub help: String,
}

fn cell_error(kind: DataErrorKind, message: String, help: impl Into<String>) -> CellError {
    CellError {
        kind,
        message,
        help: help.into(),
    }
}

/// A placeholder of the right kind, pushed in place of a value that failed to parse
/// (the batch is discarded when there are errors, but columns stay aligned).
pub(crate) fn placeholder(ty: &ColumnType) -> Scalar {
    match ty {
        ColumnType::Date => Scalar::Date(0),
        ColumnType::Bool => Scalar::Bool(false),
        ColumnType::Text => Scalar::Text(String::new()),
        ColumnType::Enum(_) => Scalar::Enum(0),
        _ => Scalar::Int(0),
    }
}

/// Parses `text` (trimmed, non-empty) as a value of type `ty`.
pub(crate) fn parse_cell(ty: &ColumnType, text: &str) -> Result<Scalar, CellError> {
    match ty {
        ColumnType::Money => number(
            text,
            ty.scale(),
            "money in yuan, like `1338` or `1338.50`",
            "yuan",
        ),
        ColumnType::Rate => {
            let t = text.strip_suffix('%').unwrap_or(text).trim_end();
            // A percentage exact to 0.0001 %: percent × 10 000 = millionths of 1.
            number(
                t,
                MICRO / 100,
                "a percentage, like `2.5` or `2.5%`",
                "percent",
            )
        }
        ColumnType::Decimal => number(
            text,
            ty.scale(),
            "a plain decimal number, like `0.75`",
            "decimal",
        ),
        ColumnType::Count => number(text, 1, "a whole number, like `3`", "count"),
        ColumnType::Days => number(text, 1, "a whole number of days, like `30`", "days"),
        ColumnType::Months => number(
            text,
            1,
            "a whole number of months, like `24` (2 years)",
            "months",
        ),
        ColumnType::Years => {
            match number(text, 1, "a whole number of years, like `40`", "years")? {
                Scalar::Int(y) => y.checked_mul(12).map(Scalar::Int).ok_or_else(|| {
                    cell_error(
                        DataErrorKind::BadNumber,
                        format!("`{text}` years is out of range"),
                        "write a whole number of years, like `40`",
                    )
                }),
                other => Ok(other),
            }
        }
        ColumnType::Date => crate::date::parse_date(text)
            .map(Scalar::Date)
            .map_err(|e| {
                let message = match e {
                    crate::date::DateError::Malformed => format!("`{text}` is not a date"),
                    crate::date::DateError::NoSuchDay => {
                        format!("`{text}` is not a day in the calendar")
                    }
                };
                cell_error(
                    DataErrorKind::BadDate,
                    message,
                    "write dates as YYYY-MM-DD, like `2023-07-01`",
                )
            }),
        ColumnType::Bool => parse_bool(text).map(Scalar::Bool).ok_or_else(|| {
            cell_error(
                DataErrorKind::BadBool,
                format!("`{text}` is not a boolean"),
                "write `true` or `false` (also accepted: `1`/`0`, `yes`/`no`, `是`/`否`)",
            )
        }),
        ColumnType::Text => Ok(Scalar::Text(text.to_owned())),
        ColumnType::Enum(e) => e
            .lookup(text)
            .map(Scalar::Enum)
            .ok_or_else(|| unknown_variant(e, text)),
    }
}

fn number(text: &str, scale: i64, example: &str, unit: &str) -> Result<Scalar, CellError> {
    parse_scaled(text, scale).map(Scalar::Int).map_err(|e| {
        let kind = DataErrorKind::BadNumber;
        match e {
            NumberError::Malformed => cell_error(
                kind,
                format!("`{text}` is not a number"),
                format!("write {example}, without units or spaces"),
            ),
            NumberError::ThousandsSeparator => {
                // `12,5` (one or two digits after the only comma) is a decimal comma, not
                // a thousands group: suggesting `125` would change the value tenfold.
                let decimal_comma = text.matches(',').count() == 1
                    && !text.contains('.')
                    && text.rsplit(',').next().is_some_and(|tail| (1..=2).contains(&tail.len()));
                if decimal_comma {
                    cell_error(
                        kind,
                        format!("`{text}` uses a comma as the decimal mark"),
                        format!("the decimal mark is `.`: write `{}`", text.replace(',', ".")),
                    )
                } else {
                    cell_error(
                        kind,
                        format!("`{text}` contains a thousands separator"),
                        format!("remove the commas (write `{}`); the decimal mark is `.`", text.replace(',', "")),
                    )
                }
            }
            NumberError::TooPrecise { max_decimals: 0 } => cell_error(
                kind,
                format!("`{text}` is not a whole number"),
                format!("write {example}"),
            ),
            NumberError::TooPrecise { max_decimals } => cell_error(
                kind,
                format!("`{text}` has more than {max_decimals} decimals"),
                format!(
                    "{unit} values are exact to {max_decimals} decimals; finer data is refused rather than rounded"
                ),
            ),
            NumberError::OutOfRange => cell_error(
                kind,
                format!("`{text}` is out of range"),
                format!("the value does not fit a 64-bit {unit} value; write {example}"),
            ),
        }
    })
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "是" => Some(true),
        "false" | "0" | "no" | "否" => Some(false),
        _ => None,
    }
}

fn unknown_variant(e: &EnumSchema, text: &str) -> CellError {
    let message = format!("`{text}` is not a variant of `{}`", e.name);
    let kind = DataErrorKind::UnknownVariant;
    if let Some(v) = e.variants.iter().find(|v| v.label == text) {
        let code = v
            .code
            .as_ref()
            .map(|c| format!(" or its code `{c}`"))
            .unwrap_or_default();
        return cell_error(
            kind,
            message,
            format!(
                "`{text}` is the label of `{}`; write the name `{}`{code}",
                v.name, v.name
            ),
        );
    }
    let best = e
        .variants
        .iter()
        .map(|v| {
            (
                strsim::jaro_winkler(&v.name.to_lowercase(), &text.to_lowercase()),
                v,
            )
        })
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    if let Some((_, v)) = best {
        return cell_error(kind, message, format!("did you mean `{}`?", v.name));
    }
    let shown: Vec<String> = e
        .variants
        .iter()
        .take(5)
        .map(|v| format!("`{}`", v.name))
        .collect();
    let more = e.variants.len().saturating_sub(shown.len());
    let tail = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    cell_error(
        kind,
        message,
        format!("write a variant name or code: {}{tail}", shown.join(", ")),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;
    use crate::schema::VariantSchema;
    use std::sync::Arc;

    fn region() -> ColumnType {
        ColumnType::Enum(Arc::new(EnumSchema {
            name: "region".into(),
            variants: [
                "guangdong",
                "guangzhou",
                "nansha",
                "shunde",
                "zhongshan",
                "foshan",
            ]
            .iter()
            .enumerate()
            .map(|(i, n)| VariantSchema {
                name: (*n).into(),
                label: if i == 1 {
                    "广州市".into()
                } else {
                    String::new()
                },
                code: (i == 1).then(|| "440100".into()),
            })
            .collect(),
        }))
    }

    #[test]
    fn parses_each_type() {
        assert_eq!(
            parse_cell(&ColumnType::Money, "1338.50"),
            Ok(Scalar::Int(13_385_000))
        );
        assert_eq!(
            parse_cell(&ColumnType::Rate, "2.5"),
            Ok(Scalar::Int(25_000))
        );
        assert_eq!(
            parse_cell(&ColumnType::Rate, "2.5%"),
            Ok(Scalar::Int(25_000))
        );
        assert_eq!(
            parse_cell(&ColumnType::Rate, "2 %"),
            Ok(Scalar::Int(20_000))
        );
        assert_eq!(
            parse_cell(&ColumnType::Decimal, "0.75"),
            Ok(Scalar::Int(750_000))
        );
        assert_eq!(parse_cell(&ColumnType::Count, "3"), Ok(Scalar::Int(3)));
        assert_eq!(parse_cell(&ColumnType::Months, "24"), Ok(Scalar::Int(24)));
        assert_eq!(
            parse_cell(&ColumnType::Date, "1970-01-02"),
            Ok(Scalar::Date(1))
        );
        assert_eq!(parse_cell(&ColumnType::Bool, "是"), Ok(Scalar::Bool(true)));
        assert_eq!(parse_cell(&ColumnType::Bool, "No"), Ok(Scalar::Bool(false)));
        assert_eq!(parse_cell(&ColumnType::Bool, "0"), Ok(Scalar::Bool(false)));
        assert_eq!(parse_cell(&region(), "nansha"), Ok(Scalar::Enum(2)));
        assert_eq!(parse_cell(&region(), "440100"), Ok(Scalar::Enum(1)));
        assert_eq!(
            parse_cell(&ColumnType::Text, "A-17"),
            Ok(Scalar::Text("A-17".into()))
        );
    }

    #[test]
    fn explains_failures() {
        let e = parse_cell(&ColumnType::Money, "0.00001").unwrap_err();
        assert_eq!(e.kind, DataErrorKind::BadNumber);
        assert_eq!(e.message, "`0.00001` has more than 4 decimals");
        let e = parse_cell(&ColumnType::Money, "1,338.50").unwrap_err();
        assert_eq!(e.message, "`1,338.50` contains a thousands separator");
        assert!(e.help.contains("`1338.50`"));
        let e = parse_cell(&ColumnType::Count, "2.5").unwrap_err();
        assert_eq!(e.message, "`2.5` is not a whole number");
        let e = parse_cell(&ColumnType::Months, "2 years").unwrap_err();
        assert_eq!(e.message, "`2 years` is not a number");
        let e = parse_cell(&ColumnType::Date, "2023-02-30").unwrap_err();
        assert_eq!(
            (e.kind, e.message.as_str()),
            (
                DataErrorKind::BadDate,
                "`2023-02-30` is not a day in the calendar"
            )
        );
        let e = parse_cell(&ColumnType::Bool, "maybe").unwrap_err();
        assert_eq!(e.kind, DataErrorKind::BadBool);
        let e = parse_cell(&region(), "guangzou").unwrap_err();
        assert_eq!(e.kind, DataErrorKind::UnknownVariant);
        assert_eq!(e.message, "`guangzou` is not a variant of `region`");
        assert_eq!(e.help, "did you mean `guangzhou`?");
        let e = parse_cell(&region(), "广州市").unwrap_err();
        assert_eq!(
            e.help,
            "`广州市` is the label of `guangzhou`; write the name `guangzhou` or its code `440100`"
        );
        let e = parse_cell(&region(), "xyz").unwrap_err();
        assert_eq!(
            e.help,
            "write a variant name or code: `guangdong`, `guangzhou`, `nansha`, `shunde`, `zhongshan` and 1 more"
        );
    }
}
