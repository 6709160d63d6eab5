//! Exact conversion between decimal text and fixed-point integers.
//!
//! Parsing never rounds: data finer than the scale allows is an error
//! ([`NumberError::TooPrecise`]), so `0.00001` 元 is refused rather than silently
//! becoming `0`. Digits beyond the scale are accepted only when they are all zeros
//! (`1338.500000` is exactly 1338.5). No floating point is involved anywhere.

use std::fmt::Write as _;

/// Why a number could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum NumberError {
    /// Not a plain decimal number (letters, exponents, several points, empty text …).
    #[error("not a number")]
    Malformed,
    /// The text uses `,` as a thousands separator (`1,338.50`).
    #[error("thousands separators are not accepted")]
    ThousandsSeparator,
    /// More decimals than the scale allows.
    #[error("more than {max_decimals} decimals")]
    TooPrecise {
        /// The number of decimals the scale allows.
        max_decimals: u32,
    },
    /// The value does not fit the 64-bit fixed-point representation.
    #[error("out of range")]
    OutOfRange,
}

/// The number of decimals of a power-of-ten scale (1 → 0, 10 000 → 4), or `None`.
#[must_use]
pub(crate) fn decimals_of(scale: i64) -> Option<u32> {
    let mut n = 0u32;
    let mut s = scale;
    if s <= 0 {
        return None;
    }
    while s > 1 {
        if s % 10 != 0 {
            return None;
        }
        s /= 10;
        n += 1;
    }
    Some(n)
}

/// Parses `text` (trimmed) as an exact decimal and returns `value × scale`.
///
/// Accepts an optional sign, digits, and an optional `.` followed by digits:
/// `1338`, `1338.5`, `-0.0001`, `+2`, `.5`. Refuses exponents, thousands separators,
/// and non-zero digits finer than `scale`. `scale` must be a power of ten; any other
/// scale yields [`NumberError::OutOfRange`].
///
/// # Errors
/// See [`NumberError`].
pub fn parse_scaled(text: &str, scale: i64) -> Result<i64, NumberError> {
    let max_decimals = decimals_of(scale).ok_or(NumberError::OutOfRange)?;
    let t = text.trim();
    let (negative, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if body.contains(',')
        && body
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b',' || b == b'.')
    {
        return Err(NumberError::ThousandsSeparator);
    }
    let (int_part, frac_part) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(int_part) || !frac_part.is_none_or(all_digits) {
        return Err(NumberError::Malformed);
    }
    let frac = frac_part.unwrap_or("");
    if int_part.is_empty() && frac.is_empty() {
        return Err(NumberError::Malformed);
    }
    let frac_len = u32::try_from(frac.len()).map_err(|_| NumberError::OutOfRange)?;
    let (kept, excess) = if frac_len > max_decimals {
        frac.split_at(max_decimals as usize)
    } else {
        (frac, "")
    };
    if excess.bytes().any(|b| b != b'0') {
        return Err(NumberError::TooPrecise { max_decimals });
    }
    // Accumulate |value| × scale in i128, stopping as soon as it exceeds 2^63.
    let limit = i128::from(i64::MAX) + 1;
    let mut acc: i128 = 0;
    for b in int_part.bytes().chain(kept.bytes()) {
        acc = acc * 10 + i128::from(b - b'0');
        if acc > limit {
            return Err(NumberError::OutOfRange);
        }
    }
    for _ in 0..(max_decimals - u32::try_from(kept.len()).unwrap_or(max_decimals)) {
        acc *= 10;
        if acc > limit {
            return Err(NumberError::OutOfRange);
        }
    }
    let signed = if negative { -acc } else { acc };
    i64::try_from(signed).map_err(|_| NumberError::OutOfRange)
}

/// Formats `value / scale` exactly, with at least `min_decimals` decimals and no
/// trailing zeros beyond them: `format_scaled(13_380_050, 10_000, 2)` is `"1338.005"`,
/// `format_scaled(13_380_000, 10_000, 2)` is `"1338.00"`. `scale` should be a power of
/// ten; any other scale is treated as 1.
#[must_use]
pub fn format_scaled(value: i64, scale: i64, min_decimals: u32) -> String {
    let (int_digits, frac) = split_scaled(value, scale, min_decimals);
    let mut out = String::with_capacity(int_digits.len() + frac.len() + 2);
    if value < 0 {
        out.push('-');
    }
    out.push_str(&int_digits);
    if !frac.is_empty() {
        out.push('.');
        out.push_str(&frac);
    }
    out
}

/// [`format_scaled`] for one scale, writing bytes into a buffer instead of allocating a
/// string per value: the output writers format millions of numbers this way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScaledFormat {
    /// The scale's magnitude (a power of ten; 1 for any other scale, as in
    /// [`format_scaled`]).
    scale: u64,
    /// Decimals of the scale.
    decimals: u32,
    /// Decimals always written.
    min_decimals: u32,
}

impl ScaledFormat {
    /// Writes values like `format_scaled(value, scale, min_decimals)`.
    #[must_use]
    pub fn new(scale: i64, min_decimals: u32) -> ScaledFormat {
        let (decimals, scale) = match decimals_of(scale) {
            Some(d) => (d, scale.unsigned_abs()),
            None => (0, 1),
        };
        ScaledFormat {
            scale,
            decimals,
            min_decimals,
        }
    }

    /// Appends the text of `value` to `out`: the same bytes as [`format_scaled`].
    pub fn push(&self, value: i64, out: &mut Vec<u8>) {
        // Written right to left into a buffer wide enough for any `i64` (20 digits, a
        // sign and a point) with the scale's 18 decimals at most, or any padding up
        // to `MAX_PADDED` decimals.
        const MAX_PADDED: u32 = 24;
        let mut buf = [b'0'; 48];
        if self.min_decimals > MAX_PADDED {
            out.extend_from_slice(format_scaled_u64(value, self).as_bytes());
            return;
        }
        let magnitude = value.unsigned_abs();
        let mut whole = magnitude / self.scale;
        // Trailing zeros are dropped down to `min_decimals`, then zeros added up to it.
        let mut frac = magnitude % self.scale;
        let mut digits = self.decimals;
        while digits > self.min_decimals && frac.is_multiple_of(10) {
            frac /= 10;
            digits -= 1;
        }
        let mut at = buf.len();
        // The padding zeros are already in `buf`.
        at -= self.min_decimals.saturating_sub(digits) as usize;
        for slot in buf.iter_mut().take(at).rev().take(digits as usize) {
            *slot = b'0' + (frac % 10) as u8;
            frac /= 10;
        }
        at -= digits as usize;
        if digits > 0 || self.min_decimals > 0 {
            at -= 1;
            if let Some(slot) = buf.get_mut(at) {
                *slot = b'.';
            }
        }
        for slot in buf.iter_mut().take(at).rev() {
            *slot = b'0' + (whole % 10) as u8;
            whole /= 10;
            at -= 1;
            if whole == 0 {
                break;
            }
        }
        if value < 0 {
            at -= 1;
            if let Some(slot) = buf.get_mut(at) {
                *slot = b'-';
            }
        }
        out.extend_from_slice(buf.get(at..).unwrap_or_default());
    }
}

/// [`format_scaled`] for a [`ScaledFormat`]'s scale (wide padding only).
fn format_scaled_u64(value: i64, f: &ScaledFormat) -> String {
    let scale = i64::try_from(f.scale).unwrap_or(1);
    format_scaled(value, scale, f.min_decimals)
}

/// Money (0.0001 元 units) for people: thousands separators and at least two
/// decimals, like `"1,338.00"` or `"-12,345,678.005"`.
#[must_use]
pub fn format_money_yuan(value: i64) -> String {
    let (int_digits, frac) = split_scaled(value, crate::arith::MONEY_SCALE, 2);
    let mut out = String::with_capacity(int_digits.len() * 4 / 3 + frac.len() + 3);
    if value < 0 {
        out.push('-');
    }
    let n = int_digits.len();
    for (i, c) in int_digits.chars().enumerate() {
        if i > 0 && (n - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out.push('.');
    out.push_str(&frac);
    out
}

/// Integer digits and fraction digits (trimmed to `min_decimals`) of `|value| / scale`.
fn split_scaled(value: i64, scale: i64, min_decimals: u32) -> (String, String) {
    let (decimals, scale) = match decimals_of(scale) {
        Some(d) => (d, scale.unsigned_abs()),
        None => (0, 1),
    };
    let magnitude = value.unsigned_abs();
    let int_digits = (magnitude / scale).to_string();
    let mut frac = String::new();
    if decimals > 0 {
        let _ = write!(
            frac,
            "{:0width$}",
            magnitude % scale,
            width = decimals as usize
        );
        while frac.len() > min_decimals as usize && frac.ends_with('0') {
            frac.pop();
        }
    }
    while frac.len() < min_decimals as usize {
        frac.push('0');
    }
    (int_digits, frac)
}

/// A duration of `months` in millionths of a year, as files write years: exact for whole
/// quarter years (`1026` → 85.5), else rounded half away from zero (`1021` →
/// 85.083333). Wider than `i64`: every `i64` of months has one.
#[must_use]
pub fn micro_years(months: i64) -> i128 {
    let micro = i128::from(months) * 1_000_000;
    let (q, r) = (micro / 12, micro % 12);
    if 2 * r.abs() >= 12 {
        q + micro.signum()
    } else {
        q
    }
}

/// The whole number of months that [`micro_years`] writes as `micro` years (85.5 →
/// 1,026; 85.083333 → 1,021), or `None` when no number of months is written so
/// (85.3, 85.08333): years are read back exactly as written, never rounded.
#[must_use]
pub fn months_of_micro_years(micro: i64) -> Option<i64> {
    let twelfths = i128::from(micro) * 12;
    let (q, r) = (twelfths / 1_000_000, twelfths % 1_000_000);
    let months = if 2 * r.abs() >= 1_000_000 {
        q + twelfths.signum()
    } else {
        q
    };
    let months = i64::try_from(months).ok()?;
    (micro_years(months) == i128::from(micro)).then_some(months)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;
    use crate::arith::{MICRO, MONEY_SCALE};
    use proptest::prelude::*;

    #[test]
    fn parses_money() {
        assert_eq!(parse_scaled("1338", MONEY_SCALE), Ok(13_380_000));
        assert_eq!(parse_scaled("1338.5", MONEY_SCALE), Ok(13_385_000));
        assert_eq!(parse_scaled("  1338.50 ", MONEY_SCALE), Ok(13_385_000));
        assert_eq!(parse_scaled("-0.0001", MONEY_SCALE), Ok(-1));
        assert_eq!(parse_scaled("+2", MONEY_SCALE), Ok(20_000));
        assert_eq!(parse_scaled(".5", MONEY_SCALE), Ok(5_000));
        assert_eq!(parse_scaled("5.", MONEY_SCALE), Ok(50_000));
        assert_eq!(parse_scaled("-0", MONEY_SCALE), Ok(0));
        assert_eq!(parse_scaled("1.500000", MONEY_SCALE), Ok(15_000));
    }

    #[test]
    fn refuses_bad_numbers() {
        assert_eq!(
            parse_scaled("1,338.50", MONEY_SCALE),
            Err(NumberError::ThousandsSeparator)
        );
        assert_eq!(
            parse_scaled("0.00001", MONEY_SCALE),
            Err(NumberError::TooPrecise { max_decimals: 4 })
        );
        assert_eq!(
            parse_scaled("3.5", 1),
            Err(NumberError::TooPrecise { max_decimals: 0 })
        );
        assert_eq!(parse_scaled("3.0", 1), Ok(3));
        for bad in [
            "", " ", "-", ".", "1e3", "1.2.3", "abc", "12元", "--1", "1 000", "0x10", "١٢",
        ] {
            assert_eq!(
                parse_scaled(bad, MONEY_SCALE),
                Err(NumberError::Malformed),
                "{bad:?}"
            );
        }
        assert_eq!(
            parse_scaled("922337203685477.5808", MONEY_SCALE),
            Err(NumberError::OutOfRange)
        );
        assert_eq!(
            parse_scaled("-922337203685477.5808", MONEY_SCALE),
            Ok(i64::MIN)
        );
        assert_eq!(
            parse_scaled("99999999999999999999999999999999999", 1),
            Err(NumberError::OutOfRange)
        );
        assert_eq!(parse_scaled("1", 7), Err(NumberError::OutOfRange));
    }

    #[test]
    fn parses_rates_and_decimals() {
        // A rate cell `2.5` means 2.5 % = 0.025 = 25 000 millionths: percent × 10 000.
        assert_eq!(parse_scaled("2.5", 10_000), Ok(25_000));
        assert_eq!(parse_scaled("0.75", MICRO), Ok(750_000));
        assert_eq!(
            parse_scaled("0.0000001", MICRO),
            Err(NumberError::TooPrecise { max_decimals: 6 })
        );
    }

    #[test]
    fn formats() {
        assert_eq!(format_scaled(13_380_000, MONEY_SCALE, 2), "1338.00");
        assert_eq!(format_scaled(13_380_050, MONEY_SCALE, 2), "1338.005");
        assert_eq!(format_scaled(-1, MONEY_SCALE, 2), "-0.0001");
        assert_eq!(format_scaled(-5_000, MONEY_SCALE, 0), "-0.5");
        assert_eq!(format_scaled(20_000, MICRO, 0), "0.02");
        assert_eq!(format_scaled(3, 1, 0), "3");
        assert_eq!(format_scaled(3, 1, 2), "3.00");
        assert_eq!(
            format_scaled(i64::MIN, MONEY_SCALE, 2),
            "-922337203685477.5808"
        );
        for (v, scale, min) in [
            (0, MONEY_SCALE, 2),
            (0, 1, 0),
            (-1, MONEY_SCALE, 2),
            (13_380_050, MONEY_SCALE, 2),
            (20_000, MICRO, 0),
            (i64::MIN, 1, 0),
            (i64::MIN, MONEY_SCALE, 2),
            (i64::MAX, MICRO, 9),
            (3, 1, 2),
            (1_000_000, 1_000_000, 0),
        ] {
            let mut out = Vec::new();
            ScaledFormat::new(scale, min).push(v, &mut out);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                format_scaled(v, scale, min)
            );
        }
        assert_eq!(format_money_yuan(13_380_000), "1,338.00");
        assert_eq!(format_money_yuan(-123_456_789_050), "-12,345,678.905");
        assert_eq!(format_money_yuan(1_000_000), "100.00");
        assert_eq!(format_money_yuan(10_000_000), "1,000.00");
        assert_eq!(format_money_yuan(0), "0.00");
    }

    proptest! {
        #[test]
        fn round_trip(v in any::<i64>(), scale in prop::sample::select(vec![1i64, 10_000, 1_000_000]), min in 0u32..8) {
            let text = format_scaled(v, scale, min);
            prop_assert_eq!(parse_scaled(&text, scale), Ok(v));
        }

        #[test]
        fn scaled_format_writes_what_format_scaled_does(v in any::<i64>(), scale in prop::sample::select(vec![1i64, 10, 10_000, 1_000_000, 7]), min in 0u32..30) {
            let mut out = b"x".to_vec();
            ScaledFormat::new(scale, min).push(v, &mut out);
            prop_assert_eq!(String::from_utf8(out).unwrap(), format!("x{}", format_scaled(v, scale, min)));
        }

        #[test]
        fn never_panics(text in "\\PC{0,30}") {
            let _ = parse_scaled(&text, MONEY_SCALE);
        }

        #[test]
        fn agrees_with_rust_decimal(v in any::<i64>()) {
            let text = format_scaled(v, MONEY_SCALE, 0);
            let d: rust_decimal::Decimal = text.parse().unwrap();
            prop_assert_eq!(d, rust_decimal::Decimal::new(v, 4));
        }
    }

    #[test]
    fn years_to_the_month_are_read_back_as_written() {
        assert_eq!(micro_years(1026), 85_500_000);
        assert_eq!(micro_years(1021), 85_083_333);
        assert_eq!(micro_years(-1), -83_333);
        assert_eq!(micro_years(11), 916_667);
        for months in [0, 1, 5, 11, 12, 1021, 1026, -7, -1026, 110_680_464_442_257] {
            let micro = i64::try_from(micro_years(months)).unwrap();
            assert_eq!(
                months_of_micro_years(micro),
                Some(months),
                "{months} months"
            );
        }
        assert_eq!(months_of_micro_years(85_300_000), None);
        assert_eq!(months_of_micro_years(85_083_330), None);
        assert_eq!(months_of_micro_years(85_083_334), None);
        assert_eq!(months_of_micro_years(i64::MAX), None);
    }
}
