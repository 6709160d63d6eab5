//! Arrow arrays (read from Parquet) into batch columns, by the field's [`ColumnType`].
//!
//! Accepted: numbers as `Decimal128` (any scale not finer than the field's: money to
//! 0.0001 元, rates to 0.0001 %, decimals to millionths; a finer value is refused unless
//! its extra digits are zero), as integers (whole yuan, percent, days…), or as text read
//! like a CSV cell; dates as `Date32` or text; booleans as `Boolean` or text;
//! enumerations as text (name or code) or integers (codes); text as text or integers.
//! Floating point is refused for every numeric field: money is never read through a
//! float. A null is an empty cell: the field's default, else a missing value.

use super::cell::{parse_cell, parse_into, placeholder, push_value};
use super::error::DataErrorKind;
use crate::batch::Column;
use crate::schema::{ColumnType, FieldSchema, Scalar};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrowPrimitiveType};
use arrow_schema::DataType;

/// A problem with one value (`row` within the array) or, with `row` `None`, with the
/// whole column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ArrowProblem {
    pub row: Option<usize>,
    pub kind: DataErrorKind,
    pub message: String,
    pub value: Option<String>,
    pub help: String,
}

/// The decimal digits a number of type `ty` is stored with, before any multiplier
/// (years are stored as months: whole years × 12).
fn digits(ty: &ColumnType) -> Option<u32> {
    match ty {
        ColumnType::Money | ColumnType::Rate => Some(4),
        ColumnType::Decimal => Some(6),
        ColumnType::Count | ColumnType::Days | ColumnType::Months | ColumnType::Years => Some(0),
        _ => None,
    }
}

/// Whether an array of type `data` can hold values of a field of type `ty`.
pub(crate) fn accepts(ty: &ColumnType, data: &DataType) -> bool {
    let text = matches!(
        data,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
    );
    let int = data.is_integer();
    match ty {
        _ if text => true,
        ColumnType::Date => matches!(data, DataType::Date32),
        ColumnType::Bool => matches!(data, DataType::Boolean),
        ColumnType::Enum(_) | ColumnType::Text => int,
        _ => int || matches!(data, DataType::Decimal128(_, _)),
    }
}

/// The problem with a column of type `data` for `field`.
pub(crate) fn wrong_type(field: &FieldSchema, data: &DataType) -> ArrowProblem {
    let wanted = match &field.ty {
        ColumnType::Date => "Date32 or text (YYYY-MM-DD)",
        ColumnType::Bool => "Boolean or text",
        ColumnType::Enum(_) => "text (a variant name or code) or an integer code",
        ColumnType::Text => "text",
        ColumnType::Money => "Decimal128 (scale up to 4), an integer (whole yuan) or text",
        ColumnType::Rate => "Decimal128 (percent, scale up to 4), an integer or text",
        ColumnType::Decimal => "Decimal128 (scale up to 6), an integer or text",
        _ => "an integer, Decimal128 with no fraction, or text",
    };
    let float = data.is_floating();
    ArrowProblem {
        row: None,
        kind: if float {
            DataErrorKind::BadNumber
        } else {
            DataErrorKind::MalformedFile
        },
        message: format!(
            "column `{}` has type {data}, which cannot hold {}",
            field.name,
            field.ty.describe()
        ),
        value: Some(data.to_string()),
        help: if float {
            format!(
                "floating point is never read for exact values: store `{}` as {wanted}",
                field.name
            )
        } else {
            format!("store `{}` as {wanted}", field.name)
        },
    }
}

/// Appends every value of `array` to `column` (the column of `field`); `report` gets
/// each problem, and a placeholder keeps the column aligned.
pub(crate) fn append_array(
    array: &dyn Array,
    field: &FieldSchema,
    column: &mut Column,
    report: &mut dyn FnMut(ArrowProblem),
) {
    let data = array.data_type();
    if !accepts(&field.ty, data) {
        report(wrong_type(field, data));
        for _ in 0..array.len() {
            push_value(column, placeholder(&field.ty), &field.ty);
        }
        return;
    }
    // Text cells parse straight into the column, as a CSV cell does; only a cell that
    // does not parse (or is empty) takes the general way, for its default or message.
    let text = Texts::of(array);
    for row in 0..array.len() {
        if let Some(text) = &text
            && !array.is_null(row)
        {
            let t = text.value(row).trim();
            if !t.is_empty() && parse_into(column, &field.ty, t) {
                continue;
            }
        }
        let value = if array.is_null(row) {
            match &field.default {
                Some(d) => d.clone(),
                None => {
                    report(ArrowProblem {
                        row: Some(row),
                        kind: DataErrorKind::MissingValue,
                        message: "missing value (null)".to_owned(),
                        value: None,
                        help: format!(
                            "fill in `{1}` ({2}), a value of type {0}",
                            field.ty.describe(),
                            field.name,
                            field.label
                        ),
                    });
                    placeholder(&field.ty)
                }
            }
        } else {
            match value_at(array, row, field) {
                Ok(v) => v,
                Err(p) => {
                    report(p);
                    placeholder(&field.ty)
                }
            }
        };
        push_value(column, value, &field.ty);
    }
}

/// A text array of any of Arrow's three layouts, downcast once.
enum Texts<'a> {
    Utf8(&'a arrow_array::StringArray),
    Large(&'a arrow_array::LargeStringArray),
    View(&'a arrow_array::StringViewArray),
}

impl<'a> Texts<'a> {
    fn of(array: &'a dyn Array) -> Option<Texts<'a>> {
        match array.data_type() {
            DataType::Utf8 => Some(Texts::Utf8(array.as_string::<i32>())),
            DataType::LargeUtf8 => Some(Texts::Large(array.as_string::<i64>())),
            DataType::Utf8View => Some(Texts::View(array.as_string_view())),
            _ => None,
        }
    }

    fn value(&self, row: usize) -> &'a str {
        match self {
            Texts::Utf8(a) => a.value(row),
            Texts::Large(a) => a.value(row),
            Texts::View(a) => a.value(row),
        }
    }
}

/// The value at `row` (not null).
fn value_at(array: &dyn Array, row: usize, field: &FieldSchema) -> Result<Scalar, ArrowProblem> {
    let ty = &field.ty;
    if let Some(text) = Texts::of(array) {
        return from_text(text.value(row).trim(), row, field);
    }
    let problem = |message: String, value: String, help: String| ArrowProblem {
        row: Some(row),
        kind: DataErrorKind::BadNumber,
        message,
        value: Some(value),
        help,
    };
    match array.data_type() {
        DataType::Boolean => Ok(Scalar::Bool(array.as_boolean().value(row))),
        DataType::Date32 => Ok(Scalar::Date(
            array
                .as_primitive::<arrow_array::types::Date32Type>()
                .value(row),
        )),
        DataType::Decimal128(_, scale) => {
            let raw = array
                .as_primitive::<arrow_array::types::Decimal128Type>()
                .value(row);
            // The text only for a message: formatting every cell would cost more than
            // reading it.
            let shown = || format_decimal(raw, *scale);
            // Years are read to the month, like text (`85.5`): in millionths first.
            let years = matches!(ty, ColumnType::Years);
            let want = if years { 6 } else { digits(ty).unwrap_or(0) };
            let scaled = rescale(raw, i32::from(*scale), want).ok_or_else(|| {
                let shown = shown();
                problem(
                    format!("`{shown}` is too precise or out of range for {}", ty.describe()),
                    shown.clone(),
                    format!(
                        "{} values are exact to {want} decimals; finer data is refused rather than rounded",
                        ty.describe()
                    ),
                )
            })?;
            if years {
                return super::cell::whole_months(scaled).map(Scalar::Int).ok_or_else(|| {
                    let shown = shown();
                    problem(
                        format!("`{shown}` years is not a whole number of months"),
                        shown.clone(),
                        "write years to a month, like `85.5` (85 years 6 months) or `85.083333` (85 years 1 month, six decimals), or give the field in months"
                            .to_owned(),
                    )
                });
            }
            Ok(Scalar::Int(scaled))
        }
        d if d.is_integer() => {
            let Some(v) = integer_at(array, row) else {
                return Err(problem(
                    "an integer out of range".to_owned(),
                    String::new(),
                    "the value does not fit a 64-bit value".to_owned(),
                ));
            };
            match ty {
                ColumnType::Enum(_) | ColumnType::Text => from_text(&v.to_string(), row, field),
                _ => {
                    let unit = 10i64.pow(digits(ty).unwrap_or(0));
                    let factor = if matches!(ty, ColumnType::Years) {
                        12
                    } else {
                        unit
                    };
                    i64::try_from(v)
                        .ok()
                        .and_then(|v| v.checked_mul(factor))
                        .map(Scalar::Int)
                        .ok_or_else(|| {
                            problem(
                                format!("`{v}` is out of range"),
                                v.to_string(),
                                "the value does not fit a 64-bit value".to_owned(),
                            )
                        })
                }
            }
        }
        other => Err(wrong_type(field, other)),
    }
}

/// A text cell, parsed as the CSV reader parses it.
fn from_text(text: &str, row: usize, field: &FieldSchema) -> Result<Scalar, ArrowProblem> {
    if text.is_empty() {
        return match &field.default {
            Some(d) => Ok(d.clone()),
            None => Err(ArrowProblem {
                row: Some(row),
                kind: DataErrorKind::MissingValue,
                message: "missing value".to_owned(),
                value: Some(String::new()),
                help: format!(
                    "fill in `{1}` ({2}), a value of type {0}",
                    field.ty.describe(),
                    field.name,
                    field.label
                ),
            }),
        };
    }
    let mut one = Column::new_for(&field.ty);
    if parse_into(&mut one, &field.ty, text)
        && let Some(v) = one.get(0)
    {
        return Ok(v);
    }
    parse_cell(&field.ty, text).map_err(|e| ArrowProblem {
        row: Some(row),
        kind: e.kind,
        message: e.message,
        value: Some(text.to_owned()),
        help: e.help,
    })
}

/// Any integer array's value as `i128`.
fn integer_at(array: &dyn Array, row: usize) -> Option<i128> {
    fn get<T: ArrowPrimitiveType>(array: &dyn Array, row: usize) -> Option<T::Native>
    where
        T::Native: Copy,
    {
        array.as_primitive_opt::<T>().map(|a| a.value(row))
    }
    Some(match array.data_type() {
        DataType::Int8 => i128::from(get::<Int8Type>(array, row)?),
        DataType::Int16 => i128::from(get::<Int16Type>(array, row)?),
        DataType::Int32 => i128::from(get::<Int32Type>(array, row)?),
        DataType::Int64 => i128::from(get::<Int64Type>(array, row)?),
        DataType::UInt8 => i128::from(get::<UInt8Type>(array, row)?),
        DataType::UInt16 => i128::from(get::<UInt16Type>(array, row)?),
        DataType::UInt32 => i128::from(get::<UInt32Type>(array, row)?),
        DataType::UInt64 => i128::from(get::<UInt64Type>(array, row)?),
        _ => return None,
    })
}

/// `raw × 10^-scale` as an integer with `want` decimals, if exact and in range.
fn rescale(raw: i128, scale: i32, want: u32) -> Option<i64> {
    let want = i32::try_from(want).ok()?;
    let v = if scale <= want {
        raw.checked_mul(10i128.checked_pow(u32::try_from(want - scale).ok()?)?)?
    } else {
        let d = 10i128.checked_pow(u32::try_from(scale - want).ok()?)?;
        if raw % d != 0 {
            return None;
        }
        raw / d
    };
    i64::try_from(v).ok()
}

/// A decimal's text, for messages.
fn format_decimal(raw: i128, scale: i8) -> String {
    if scale <= 0 {
        return (raw * 10i128.saturating_pow(u32::from(scale.unsigned_abs()))).to_string();
    }
    let d = 10i128.pow(u32::from(scale.unsigned_abs()));
    let sign = if raw < 0 { "-" } else { "" };
    let a = raw.unsigned_abs();
    let d = d.unsigned_abs();
    format!("{sign}{}.{:0width$}", a / d, a % d, width = scale as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rescaling_is_exact_or_refused() {
        assert_eq!(rescale(195_050, 2, 4), Some(19_505_000));
        assert_eq!(rescale(12_345_678, 6, 4), None);
        assert_eq!(rescale(12_340_000, 6, 4), Some(123_400));
        assert_eq!(rescale(i128::MAX, 0, 4), None);
        assert_eq!(format_decimal(-195_050, 2), "-1950.50");
        assert_eq!(format_decimal(7, 0), "7");
    }
}
