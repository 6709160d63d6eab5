//! The one way reports show values, for people and for files.
//!
//! Rules (exact integer arithmetic throughout; no floating point touches money):
//! - **Money** is held in 0.0001 元. It is shown exactly, with at least two decimals
//!   and no trailing zero beyond them (`1338.00`, `1338.005`); people see thousands
//!   grouped (`1,338.00`), files do not (`1338.00`).
//! - **Weighted sums** (money × weight, weights in millionths) are rounded half away
//!   from zero to the money unit, then shown as money; **weighted counts** are whole
//!   when exact, else rounded half away from zero to one decimal.
//! - **Shares** are held in millionths. People see a percentage with one decimal and a
//!   sign (`46.7%`), files a number of percent with two decimals (`46.67`, in a column
//!   whose name says so); both rounded half away from zero.
//! - Other values use the program's own formatting (`bylaw_compiler::format`).

use bylaw_compiler::ir::{Program, Value};
use bylaw_compiler::types::Ty;

/// Who reads the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// People: thousands grouped, percentages with one decimal and `%`.
    Human,
    /// Files (CSV, JSON): plain digits, percentages with two decimals and no sign.
    File,
}

/// One millionth: the unit of weights and shares.
const ONE: i128 = 1_000_000;

/// Money (0.0001 元) in 元, exact.
///
/// ```
/// use bylaw_engine::report::format::{Style, money};
/// assert_eq!(money(13_380_000, Style::Human), "1,338.00");
/// assert_eq!(money(-13_380_050, Style::File), "-1338.005");
/// ```
pub fn money(v: i64, style: Style) -> String {
    decimal(i128::from(v), 4, 2, style == Style::Human)
}

/// Money for people with its unit: `1,338.00 元`.
pub fn yuan(v: i64) -> String {
    format!("{} 元", money(v, Style::Human))
}

/// A change of money, with `+` when it grows: `+50.00`, `-12.50`, `0.00`.
pub fn money_change(v: i64, style: Style) -> String {
    let sign = if v > 0 { "+" } else { "" };
    format!("{sign}{}", money(v, style))
}

/// A weighted money sum (0.0001 元 × weight in millionths) in 元.
///
/// ```
/// use bylaw_engine::report::format::{Style, weighted_money};
/// // 150 元 × 10 + 0.00005 元 × 1 (rounds up to 0.0001 元)
/// assert_eq!(weighted_money(1_500_000 * 10_000_000 + 500_000, Style::Human), "1,500.0001");
/// ```
pub fn weighted_money(v: i128, style: Style) -> String {
    decimal(round_div(v, ONE), 4, 2, style == Style::Human)
}

/// A weighted count (millionths): `14`, or `2.5` when not whole.
///
/// ```
/// use bylaw_engine::report::format::weighted_count;
/// assert_eq!(weighted_count(14_000_000), "14");
/// assert_eq!(weighted_count(2_960_000), "3.0");
/// ```
pub fn weighted_count(v: i128) -> String {
    if v % ONE == 0 {
        (v / ONE).to_string()
    } else {
        decimal(round_div(v, ONE / 10), 1, 1, false)
    }
}

/// A share (millionths) as a percentage: `46.7%` for people, `46.67` for files.
///
/// ```
/// use bylaw_engine::report::format::{Style, percent};
/// assert_eq!(percent(466_650, Style::Human), "46.7%");
/// assert_eq!(percent(466_650, Style::File), "46.67");
/// assert_eq!(percent(1_000_000, Style::Human), "100.0%");
/// ```
pub fn percent(share: i64, style: Style) -> String {
    match style {
        Style::Human => format!(
            "{}%",
            decimal(round_div(i128::from(share), 1_000), 1, 1, false)
        ),
        Style::File => decimal(round_div(i128::from(share), 100), 2, 2, false),
    }
}

/// A value of type `ty` as the program writes it: `1,338.00 元/月`, `2%`, `24 months`,
/// `2 years` for people; `1338.00`, `2`, `24`, `2` for files (a duration in `unit`).
pub fn value(
    program: &Program,
    ty: Ty,
    unit: bylaw_compiler::duration::DurationUnit,
    v: &Value,
    style: Style,
) -> String {
    match style {
        Style::Human => bylaw_compiler::format::human_in(program, ty, unit, v),
        Style::File => bylaw_compiler::format::plain_in(program, ty, unit, v),
    }
}

/// `n / d` rounded half away from zero (`d > 0`).
pub(crate) fn round_div(n: i128, d: i128) -> i128 {
    let (q, r) = (n / d, n % d);
    if 2 * r.abs() >= d { q + n.signum() } else { q }
}

/// `v / 10^decimals` exactly, with at least `min` decimals, digits grouped by three if
/// `group`.
fn decimal(v: i128, decimals: u32, min: u32, group: bool) -> String {
    let scale = 10u128.pow(decimals);
    let magnitude = v.unsigned_abs();
    let digits = (magnitude / scale).to_string();
    let mut out = String::with_capacity(digits.len() * 4 / 3 + decimals as usize + 2);
    if v < 0 {
        out.push('-');
    }
    let n = digits.len();
    for (i, c) in digits.chars().enumerate() {
        if group && i > 0 && (n - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    let mut frac = format!("{:0width$}", magnitude % scale, width = decimals as usize);
    while frac.len() > min as usize && frac.ends_with('0') {
        frac.pop();
    }
    if decimals > 0 && !frac.is_empty() {
        out.push('.');
        out.push_str(&frac);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_agrees_with_the_runtime_formatters() {
        for v in [
            0,
            1,
            -1,
            50,
            13_380_000,
            13_380_050,
            -99_999,
            i64::MAX,
            i64::MIN + 1,
        ] {
            assert_eq!(
                money(v, Style::Human),
                bylaw_runtime::decimal::format_money_yuan(v)
            );
            assert_eq!(
                money(v, Style::File),
                bylaw_runtime::decimal::format_scaled(v, 10_000, 2)
            );
        }
    }

    #[test]
    fn shares_round_half_away_from_zero() {
        assert_eq!(percent(466_649, Style::Human), "46.7%");
        assert_eq!(percent(466_449, Style::Human), "46.6%");
        assert_eq!(percent(466_500, Style::Human), "46.7%");
        assert_eq!(percent(466_449, Style::File), "46.64");
        assert_eq!(percent(0, Style::File), "0.00");
        assert_eq!(percent(-466_500, Style::Human), "-46.7%");
        assert_eq!(round_div(-15, 10), -2);
        assert_eq!(round_div(14, 10), 1);
    }

    #[test]
    fn weighted_sums_are_exact_when_weights_are_whole() {
        assert_eq!(weighted_money(5_000_000 * 1_000_000, Style::File), "500.00");
        assert_eq!(
            weighted_money(-1_234_567_891_000_000, Style::Human),
            "-123,456.7891"
        );
        assert_eq!(weighted_count(-2_500_000), "-2.5");
        assert_eq!(money_change(500_000, Style::Human), "+50.00");
        assert_eq!(money_change(-500_000, Style::Human), "-50.00");
    }
}
