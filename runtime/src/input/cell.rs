//! Parsing one cell's text into a [`Scalar`] according to its [`ColumnType`].
//!
//! Shared by the CSV and JSON readers. The text is already trimmed and non-empty;
//! empty cells (defaults, missing values) are the caller's business.

use super::error::{DataErrorKind, shown};
use crate::arith::MICRO;
use crate::batch::Column;
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

/// Appends `value` to `column`, or the placeholder for `ty` if its kind does not match.
pub(crate) fn push_value(column: &mut Column, value: Scalar, ty: &ColumnType) {
    if !column.push(value) {
        column.push(placeholder(ty));
    }
}

/// `text` scaled by `scale` when it is a plain decimal (`1338`, `5580.99`) short enough
/// to need no range checks: the common case, without [`parse_scaled`]'s general checks.
/// `None` leaves the text to [`parse_scaled`] (it may still be valid).
fn plain_decimal(bytes: &[u8], scale: i64) -> Option<i64> {
    if bytes.is_empty() || bytes.len() > 18 || bytes == b"." {
        return None;
    }
    let mut decimals = 0u32;
    let mut rest = scale;
    while rest > 1 && rest % 10 == 0 {
        rest /= 10;
        decimals += 1;
    }
    if rest != 1 {
        return None;
    }
    let mut value: i64 = 0;
    let mut fraction: Option<u32> = None;
    for &c in bytes {
        match c {
            b'0'..=b'9' => {
                value = value * 10 + i64::from(c - b'0');
                if let Some(f) = &mut fraction {
                    *f += 1;
                }
            }
            b'.' if fraction.is_none() => fraction = Some(0),
            _ => return None,
        }
    }
    let shift = decimals.checked_sub(fraction.unwrap_or(0))?;
    value.checked_mul(10i64.checked_pow(shift)?)
}

/// A number of type `scale`, as [`parse_scaled`] reads it.
/// Years in millionths as whole months (`85.5` → 1,026), or `None` when they are not a
/// whole number of months (`85.3`) or do not fit. A month that is not a quarter year has
/// no exact decimal: it is read from the six decimals output files write (`85.083333` →
/// 1,021), see [`crate::decimal::micro_years`].
pub(crate) fn whole_months(micro_years: i64) -> Option<i64> {
    crate::decimal::months_of_micro_years(micro_years)
}

fn scaled(text: &str, scale: i64) -> Option<i64> {
    plain_decimal(text.as_bytes(), scale).or_else(|| parse_scaled(text, scale).ok())
}

/// Pushes `x` onto `v` if there is one; whether there was.
fn push<T>(v: &mut Vec<T>, x: Option<T>) -> bool {
    x.map(|x| v.push(x)).is_some()
}

/// Parses `text` (trimmed, non-empty) straight into `column`, the column of a field of
/// type `ty`, as [`parse_cell`] would. Returns `false`, having pushed nothing, where
/// [`parse_cell`] fails (call it then for the error).
pub(crate) fn parse_into(column: &mut Column, ty: &ColumnType, text: &str) -> bool {
    match (column, ty) {
        (Column::Int(v), ColumnType::Rate) => {
            let t = text.strip_suffix('%').unwrap_or(text).trim_end();
            push(v, scaled(t, MICRO / 100))
        }
        (Column::Int(v), ColumnType::Years) => push(v, scaled(text, MICRO).and_then(whole_months)),
        (Column::Int(v), ColumnType::Count | ColumnType::Days | ColumnType::Months) => {
            push(v, scaled(text, 1))
        }
        (Column::Int(v), ColumnType::Money | ColumnType::Decimal) => {
            push(v, scaled(text, ty.scale()))
        }
        (Column::Date(v), ColumnType::Date) => push(v, crate::date::parse_date(text).ok()),
        (Column::Bool(v), ColumnType::Bool) => push(v, parse_bool(text).map(u8::from)),
        (Column::Enum(v), ColumnType::Enum(e)) => push(v, e.lookup(text)),
        (Column::Text(v), ColumnType::Text) => push(v, Some(text.to_owned())),
        _ => false,
    }
}

/// [`parse_into`] straight from a cell's raw bytes (untrimmed, not known to be UTF-8)
/// for the cells that need no text: plain numbers, `true`/`false`/`1`/`0` and variant
/// names or codes — most cells, read without a UTF-8 check or a trim. Returns `false`,
/// having pushed nothing, for any other cell; the caller then takes the text way
/// (UTF-8 check, trim, [`parse_into`]), which gives the same value for every cell
/// this accepts.
pub(crate) fn parse_plain_into(column: &mut Column, ty: &ColumnType, bytes: &[u8]) -> bool {
    // Printable ASCII at both ends: trimming would change nothing, and every byte
    // accepted below is ASCII or part of a variant's name or code (valid UTF-8).
    let printable = |b: Option<&u8>| b.is_some_and(|b| (0x21..=0x7e).contains(b));
    if !printable(bytes.first()) || !printable(bytes.last()) {
        return false;
    }
    match (column, ty) {
        (Column::Int(v), ColumnType::Rate) => push(v, plain_decimal(bytes, MICRO / 100)),
        (Column::Int(v), ColumnType::Years) => {
            push(v, plain_decimal(bytes, MICRO).and_then(whole_months))
        }
        (Column::Int(v), ColumnType::Count | ColumnType::Days | ColumnType::Months) => {
            push(v, plain_decimal(bytes, 1))
        }
        (Column::Int(v), ColumnType::Money | ColumnType::Decimal) => {
            push(v, plain_decimal(bytes, ty.scale()))
        }
        (Column::Bool(v), ColumnType::Bool) => push(
            v,
            match bytes {
                b"true" | b"1" => Some(1),
                b"false" | b"0" => Some(0),
                _ => None,
            },
        ),
        (Column::Enum(v), ColumnType::Enum(e)) => {
            push(v, std::str::from_utf8(bytes).ok().and_then(|t| e.lookup(t)))
        }
        _ => false,
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
            let example = "years, like `40` or `85.5` (a whole number of months)";
            match number(text, MICRO, example, "years")? {
                Scalar::Int(micro) => whole_months(micro).map(Scalar::Int).ok_or_else(|| {
                    cell_error(
                        DataErrorKind::BadNumber,
                        format!("`{}` years is not a whole number of months", shown(text)),
                        "write years to a month, like `85.5` (85 years 6 months) or `85.083333` (85 years 1 month, six decimals), or give the field in months",
                    )
                }),
                other => Ok(other),
            }
        }
        ColumnType::Date => crate::date::parse_date(text)
            .map(Scalar::Date)
            .map_err(|e| {
                let message = match e {
                    crate::date::DateError::Malformed => format!("`{}` is not a date", shown(text)),
                    crate::date::DateError::NoSuchDay => {
                        format!("`{}` is not a day in the calendar", shown(text))
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
                format!("`{}` is not a boolean", shown(text)),
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
                format!("`{}` is not a number", shown(text)),
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
                        format!("`{}` uses a comma as the decimal mark", shown(text)),
                        format!("the decimal mark is `.`: write `{}`", shown(text).replace(',', ".")),
                    )
                } else {
                    cell_error(
                        kind,
                        format!("`{}` contains a thousands separator", shown(text)),
                        format!("remove the commas (write `{}`); the decimal mark is `.`", shown(text).replace(',', "")),
                    )
                }
            }
            NumberError::TooPrecise { max_decimals: 0 } => cell_error(
                kind,
                format!("`{}` is not a whole number", shown(text)),
                format!("write {example}"),
            ),
            NumberError::TooPrecise { max_decimals } => cell_error(
                kind,
                format!("`{}` has more than {max_decimals} decimals", shown(text)),
                format!(
                    "{unit} values are exact to {max_decimals} decimals; finer data is refused rather than rounded"
                ),
            ),
            NumberError::OutOfRange => cell_error(
                kind,
                format!("`{}` is out of range", shown(text)),
                format!("the value does not fit a 64-bit {unit} value; write {example}"),
            ),
        }
    })
}

fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "true" | "false" => return Some(text == "true"),
        "1" | "0" => return Some(text == "1"),
        _ => {}
    }
    let is = |word: &str| text.eq_ignore_ascii_case(word);
    if is("true") || is("1") || is("yes") || is("是") {
        Some(true)
    } else if is("false") || is("0") || is("no") || is("否") {
        Some(false)
    } else {
        None
    }
}

fn unknown_variant(e: &EnumSchema, text: &str) -> CellError {
    let message = format!("`{}` is not a variant of `{}`", shown(text), e.name);
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
    // Jaro-Winkler takes time quadratic in the length: a text far longer than every
    // name cannot be a near-miss, and a 10 MB cell must not take seconds to refuse.
    let longest = e.variants.iter().map(|v| v.name.len()).max().unwrap_or(0);
    let plausible = text.len() <= 2 * longest + 8;
    let best = e
        .variants
        .iter()
        .filter(|_| plausible)
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

    /// Ages in years arrive to the month: `85.5` is 1,026 months, every way a cell is
    /// read; `85.3` is no whole number of months and is refused.
    #[test]
    fn years_are_read_to_the_month() {
        let ty = ColumnType::Years;
        for (text, months) in [
            ("85.5", Some(1026)),
            ("40", Some(480)),
            ("0.25", Some(3)),
            ("85.3", None),
            // A month that is no quarter year, as output files write it.
            ("85.083333", Some(1021)),
            ("85.08333", None),
        ] {
            let scalar = parse_cell(&ty, text).ok();
            assert_eq!(scalar, months.map(Scalar::Int), "{text}");
            let mut column = Column::Int(Vec::new());
            assert_eq!(
                parse_into(&mut column, &ty, text),
                months.is_some(),
                "{text}"
            );
            let mut column = Column::Int(Vec::new());
            assert_eq!(
                parse_plain_into(&mut column, &ty, text.as_bytes()),
                months.is_some(),
                "{text}"
            );
            if let (Column::Int(v), Some(m)) = (&column, months) {
                assert_eq!(v, &[m], "{text}");
            }
        }
    }

    fn region() -> ColumnType {
        ColumnType::Enum(Arc::new(EnumSchema::new(
            "region".into(),
            [
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
        )))
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

    fn all_types() -> Vec<ColumnType> {
        vec![
            ColumnType::Money,
            ColumnType::Rate,
            ColumnType::Count,
            ColumnType::Decimal,
            ColumnType::Days,
            ColumnType::Months,
            ColumnType::Years,
            ColumnType::Date,
            ColumnType::Bool,
            ColumnType::Text,
            region(),
        ]
    }

    /// `parse_into` is the fast path of `parse_cell`: same successes, same values; and
    /// `parse_plain_into` accepts only what the text way (`trim`, then `parse_into`)
    /// accepts, with the same value.
    fn agree(ty: &ColumnType, text: &str) {
        let mut plain = Column::new_for(ty);
        if parse_plain_into(&mut plain, ty, text.as_bytes()) {
            let mut column = Column::new_for(ty);
            assert!(parse_into(&mut column, ty, text.trim()), "{ty:?} {text:?}");
            assert_eq!(plain, column, "{ty:?} {text:?}");
        } else {
            assert!(plain.is_empty());
        }
        let text = text.trim();
        let mut column = Column::new_for(ty);
        let fast = parse_into(&mut column, ty, text);
        match parse_cell(ty, text) {
            Ok(v) => {
                assert!(fast, "{ty:?} {text:?}");
                assert_eq!(column.get(0), Some(v), "{ty:?} {text:?}");
                assert_eq!(column.len(), 1);
            }
            Err(_) => {
                assert!(!fast, "{ty:?} {text:?}");
                assert!(column.is_empty());
            }
        }
    }

    #[test]
    fn parse_into_agrees_with_parse_cell() {
        let samples = [
            "0",
            "1",
            "-3",
            " 12",
            "12 ",
            "\t3",
            "1.\u{3000}",
            "true ",
            " nansha",
            "true",
            "false",
            "+4",
            "2.5",
            "2.5%",
            "2 %",
            "1,338.50",
            "12,5",
            "0.00001",
            "1e3",
            "92233720368547.7580",
            "922337203685477.5808",
            "999999999999999999999",
            "768614336404564651",
            "2023-02-30",
            "2023-07-01",
            "yes",
            "NO",
            "是",
            "否",
            "maybe",
            "nansha",
            "440100",
            "广州市",
            "guangzou",
            "A-17",
            ".",
            "-",
            "%",
        ];
        for ty in all_types() {
            for text in samples {
                agree(&ty, text);
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn parse_into_agrees_on_random_text(text in "[-+0-9.,% a-z是否]{1,24}|[0-9]{0,20}[.]?[0-9]{0,8}") {
            for ty in all_types() {
                agree(&ty, &text);
            }
        }
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
