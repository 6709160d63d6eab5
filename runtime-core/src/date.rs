//! Calendar dates as `i32` days since 1970-01-01.
//!
//! Conversions use exact civil-calendar arithmetic (proleptic Gregorian); `jiff` is
//! used for validation and as the public date type. Supported dates are those `jiff`
//! supports (years -9999 to 9999). Months between dates are whole calendar months;
//! days never become months.

use crate::arith::ArithError;
use jiff::civil::Date;

/// The day number of a date field declared `default none` whose data gives no date: no
/// real date, and outside the supported range, so date arithmetic on it overflows.
pub const NO_DATE: i32 = i32::MIN;

/// Why a date could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum DateError {
    /// Not of the form `YYYY-MM-DD`.
    #[error("not a date of the form YYYY-MM-DD")]
    Malformed,
    /// The form is right but no such day exists (`2023-02-30`).
    #[error("no such day in the calendar")]
    NoSuchDay,
}

/// Days from 1970-01-01 to the civil date `y-m-d` (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date `(y, m, d)` of a day number (inverse of [`days_from_civil`]).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The first and last supported day numbers (-9999-01-01 and 9999-12-31).
fn supported_range() -> (i64, i64) {
    (days_from_civil(-9999, 1, 1), days_from_civil(9999, 12, 31))
}

fn checked_day(days: i64) -> Result<i32, ArithError> {
    let (lo, hi) = supported_range();
    if days < lo || days > hi {
        return Err(ArithError::Overflow);
    }
    i32::try_from(days).map_err(|_| ArithError::Overflow)
}

/// Days since 1970-01-01 of a date.
#[must_use]
pub fn date_to_days(d: Date) -> i32 {
    let days = days_from_civil(
        i64::from(d.year()),
        i64::from(d.month()),
        i64::from(d.day()),
    );
    // |days| < 3 700 000 for every jiff date, so this never saturates.
    i32::try_from(days).unwrap_or(if days < 0 { i32::MIN } else { i32::MAX })
}

/// The date of a day number, or `None` outside the supported range.
#[must_use]
pub fn days_to_date(days: i32) -> Option<Date> {
    let (y, m, d) = civil_from_days(i64::from(days));
    Date::new(
        i16::try_from(y).ok()?,
        i8::try_from(m).ok()?,
        i8::try_from(d).ok()?,
    )
    .ok()
}

/// The calendar year of a day number.
#[must_use]
pub fn year_of(days: i32) -> i64 {
    civil_from_days(i64::from(days)).0
}

/// The day number of 1 January of `year`, or `None` outside the supported range.
#[must_use]
pub fn first_of_year(year: i64) -> Option<i32> {
    checked_day(days_from_civil(year, 1, 1)).ok()
}

/// The day number of 31 December of `year`, or `None` outside the supported range.
#[must_use]
pub fn last_of_year(year: i64) -> Option<i32> {
    checked_day(days_from_civil(year, 12, 31)).ok()
}

/// Parses a `YYYY-MM-DD` date (surrounding spaces trimmed) to a day number.
///
/// # Errors
/// [`DateError::Malformed`] for any other form (`2023/07/01`, `2023-7-1`, a time);
/// [`DateError::NoSuchDay`] for `2023-02-30`.
pub fn parse_date(text: &str) -> Result<i32, DateError> {
    let t = text.trim().as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = t.get(r)?;
        if s.iter().all(u8::is_ascii_digit) {
            Some(s.iter().fold(0i64, |acc, b| acc * 10 + i64::from(b - b'0')))
        } else {
            None
        }
    };
    if t.len() != 10 || t[4] != b'-' || t[7] != b'-' {
        return Err(DateError::Malformed);
    }
    let (Some(y), Some(m), Some(d)) = (digits(0..4), digits(5..7), digits(8..10)) else {
        return Err(DateError::Malformed);
    };
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return Err(DateError::NoSuchDay);
    }
    checked_day(days_from_civil(y, m, d)).map_err(|_| DateError::NoSuchDay)
}

/// Formats a day number as `YYYY-MM-DD` (any `i32`; years beyond 9999 get more digits,
/// negative years a leading `-`).
#[must_use]
pub fn format_date(days: i32) -> String {
    let (y, m, d) = civil_from_days(i64::from(days));
    if y < 0 {
        format!("-{:04}-{m:02}-{d:02}", -y)
    } else {
        format!("{y:04}-{m:02}-{d:02}")
    }
}

/// Whole calendar months from `a` to `b`: 2023-01-15 → 2023-03-15 is 2,
/// 2023-01-31 → 2023-02-28 is 0. Negative when `b < a`, and
/// `months_between(a, b) == -months_between(b, a)`.
#[must_use]
pub fn months_between(a: i32, b: i32) -> i64 {
    if b < a {
        return -months_between(b, a);
    }
    let (ya, ma, da) = civil_from_days(i64::from(a));
    let (yb, mb, db) = civil_from_days(i64::from(b));
    let months = (yb - ya) * 12 + (mb - ma);
    if db < da { months - 1 } else { months }
}

/// Whole years from `a` to `b` as ages are counted (周岁): the anniversaries of `a` on or
/// before `b`. An anniversary that a year lacks (29 February in a common year) falls on
/// 28 February, the end of its month, as `a + N years` does
/// ([`add_months`]; 民法典 art. 203: a period without its corresponding day ends on the
/// last day of the month), so `years_between(a, b) >= n` exactly when
/// `b >= a + n years`. Negative when `b < a`, and
/// `years_between(a, b) == -years_between(b, a)`.
#[must_use]
pub fn years_between(a: i32, b: i32) -> i64 {
    if b < a {
        return -years_between(b, a);
    }
    let (ya, ma, da) = civil_from_days(i64::from(a));
    let (yb, mb, db) = civil_from_days(i64::from(b));
    let anniversary = da.min(days_in_month(yb, ma));
    let years = yb - ya;
    if (mb, db) < (ma, anniversary) {
        years - 1
    } else {
        years
    }
}

/// A day of the calendar found from a date: its month's or year's first or last day,
/// or the first day of the next month (次月起, "from the month after").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum CalendarDay {
    MonthStart = 0,
    MonthEnd = 1,
    NextMonthStart = 2,
    YearStart = 3,
    YearEnd = 4,
}

impl CalendarDay {
    /// Every calendar day, in code order.
    pub const ALL: [CalendarDay; 5] = [
        CalendarDay::MonthStart,
        CalendarDay::MonthEnd,
        CalendarDay::NextMonthStart,
        CalendarDay::YearStart,
        CalendarDay::YearEnd,
    ];

    /// The function's name in Bylaw.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            CalendarDay::MonthStart => "month_start",
            CalendarDay::MonthEnd => "month_end",
            CalendarDay::NextMonthStart => "next_month_start",
            CalendarDay::YearStart => "year_start",
            CalendarDay::YearEnd => "year_end",
        }
    }

    /// The calendar day of the function named `name`.
    #[must_use]
    pub fn named(name: &str) -> Option<CalendarDay> {
        CalendarDay::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The calendar day of code `code` (its `repr`).
    #[must_use]
    pub fn from_code(code: i64) -> Option<CalendarDay> {
        CalendarDay::ALL.into_iter().find(|c| *c as i64 == code)
    }

    /// The day of `d` this names.
    ///
    /// # Errors
    /// [`ArithError::Overflow`] past the supported range (the month after December 9999).
    pub fn of(self, d: i32) -> Result<i32, ArithError> {
        let (y, m, _) = civil_from_days(i64::from(d));
        let (y, m, day) = match self {
            CalendarDay::MonthStart => (y, m, 1),
            CalendarDay::MonthEnd => (y, m, days_in_month(y, m)),
            CalendarDay::NextMonthStart if m == 12 => (y + 1, 1, 1),
            CalendarDay::NextMonthStart => (y, m + 1, 1),
            CalendarDay::YearStart => (y, 1, 1),
            CalendarDay::YearEnd => (y, 12, 31),
        };
        checked_day(days_from_civil(y, m, day))
    }
}

/// Days from `a` to `b` (negative when `b < a`).
#[must_use]
pub fn days_between(a: i32, b: i32) -> i64 {
    i64::from(b) - i64::from(a)
}

/// `d` plus `months` calendar months, clamped to the end of the month
/// (2023-01-31 + 1 month = 2023-02-28).
///
/// # Errors
/// [`ArithError::Overflow`] if the result is outside the supported range.
pub fn add_months(d: i32, months: i64) -> Result<i32, ArithError> {
    let (y, m, day) = civil_from_days(i64::from(d));
    let index = (y * 12 + (m - 1))
        .checked_add(months)
        .ok_or(ArithError::Overflow)?;
    let (ny, nm) = (index.div_euclid(12), index.rem_euclid(12) + 1);
    if !(-9999..=9999).contains(&ny) {
        return Err(ArithError::Overflow);
    }
    let nd = day.min(days_in_month(ny, nm));
    checked_day(days_from_civil(ny, nm, nd))
}

/// `d` plus `days` days.
///
/// # Errors
/// [`ArithError::Overflow`] if the result is outside the supported range.
pub fn add_days(d: i32, days: i64) -> Result<i32, ArithError> {
    checked_day(i64::from(d).checked_add(days).ok_or(ArithError::Overflow)?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;
    use proptest::prelude::*;

    fn day(s: &str) -> i32 {
        parse_date(s).unwrap()
    }

    #[test]
    fn epoch_and_known_days() {
        assert_eq!(day("1970-01-01"), 0);
        assert_eq!(day("1970-01-02"), 1);
        assert_eq!(day("1969-12-31"), -1);
        assert_eq!(day("2000-03-01"), 11_017);
        assert_eq!(day("2023-07-01"), 19_539);
        assert_eq!(format_date(19_539), "2023-07-01");
        assert_eq!(format_date(-1), "1969-12-31");
        assert_eq!(date_to_days(jiff::civil::date(2023, 7, 1)), 19_539);
        assert_eq!(days_to_date(19_539), Some(jiff::civil::date(2023, 7, 1)));
        assert_eq!(days_to_date(i32::MAX), None);
    }

    #[test]
    fn years_between_counts_ages_as_people_do() {
        let y = |a, b| years_between(day(a), day(b));
        assert_eq!(
            y("1944-05-10", "2024-05-09"),
            79,
            "the day before the birthday"
        );
        assert_eq!(y("1944-05-10", "2024-05-10"), 80, "on the birthday");
        assert_eq!(y("1944-12-31", "2024-12-31"), 80);
        assert_eq!(y("1944-12-31", "2025-01-01"), 80);
        // Born on 29 February: in a common year the anniversary is 28 February.
        assert_eq!(
            y("1944-02-29", "2024-02-28"),
            79,
            "a leap year has the 29th"
        );
        assert_eq!(y("1944-02-29", "2024-02-29"), 80);
        assert_eq!(y("1944-02-29", "2025-02-27"), 80);
        assert_eq!(y("2000-02-29", "2001-02-27"), 0);
        assert_eq!(y("2000-02-29", "2001-02-28"), 1);
        assert_eq!(y("2024-05-10", "1944-05-10"), -80);
    }

    #[test]
    fn calendar_days_of_a_date() {
        let c = |f: CalendarDay, d| format_date(f.of(day(d)).unwrap());
        assert_eq!(c(CalendarDay::MonthStart, "2024-02-17"), "2024-02-01");
        assert_eq!(c(CalendarDay::MonthEnd, "2024-02-17"), "2024-02-29");
        assert_eq!(c(CalendarDay::MonthEnd, "2023-02-17"), "2023-02-28");
        assert_eq!(c(CalendarDay::NextMonthStart, "2024-02-29"), "2024-03-01");
        assert_eq!(c(CalendarDay::NextMonthStart, "2024-12-31"), "2025-01-01");
        assert_eq!(c(CalendarDay::YearStart, "2024-07-01"), "2024-01-01");
        assert_eq!(c(CalendarDay::YearEnd, "2024-07-01"), "2024-12-31");
        assert_eq!(
            CalendarDay::NextMonthStart.of(day("9999-12-15")),
            Err(ArithError::Overflow)
        );
        for f in CalendarDay::ALL {
            assert_eq!(CalendarDay::named(f.name()), Some(f));
            assert_eq!(CalendarDay::from_code(f as i64), Some(f));
        }
    }

    #[test]
    fn parse_errors() {
        for bad in [
            "2023/07/01",
            "2023-7-1",
            "23-07-01",
            "2023-07-01T00:00",
            "",
            "２０２３-07-01",
            "+023-07-01",
        ] {
            assert_eq!(parse_date(bad), Err(DateError::Malformed), "{bad:?}");
        }
        assert_eq!(parse_date(" 2024-02-29 "), Ok(day("2024-02-29")));
        assert_eq!(parse_date("2023-02-29"), Err(DateError::NoSuchDay));
        assert_eq!(parse_date("2023-13-01"), Err(DateError::NoSuchDay));
        assert_eq!(parse_date("2023-00-10"), Err(DateError::NoSuchDay));
        assert_eq!(parse_date("2023-04-31"), Err(DateError::NoSuchDay));
        assert_eq!(parse_date("1900-02-29"), Err(DateError::NoSuchDay));
        assert_eq!(parse_date("2000-02-29"), Ok(day("2000-02-29")));
    }

    #[test]
    fn months() {
        assert_eq!(months_between(day("2023-01-31"), day("2023-02-28")), 0);
        assert_eq!(months_between(day("2023-01-15"), day("2023-03-15")), 2);
        assert_eq!(months_between(day("2023-01-15"), day("2023-03-14")), 1);
        assert_eq!(months_between(day("2023-03-15"), day("2023-01-15")), -2);
        assert_eq!(months_between(day("2021-07-01"), day("2023-07-01")), 24);
        assert_eq!(months_between(day("2021-07-02"), day("2023-07-01")), 23);
        assert_eq!(days_between(day("2023-01-01"), day("2023-03-01")), 59);
        assert_eq!(add_months(day("2023-01-31"), 1), Ok(day("2023-02-28")));
        assert_eq!(add_months(day("2024-01-31"), 1), Ok(day("2024-02-29")));
        assert_eq!(add_months(day("2023-03-31"), -1), Ok(day("2023-02-28")));
        assert_eq!(add_months(day("2023-07-01"), 24), Ok(day("2025-07-01")));
        assert_eq!(add_months(day("2023-07-01"), -19), Ok(day("2021-12-01")));
        assert_eq!(add_months(0, i64::MAX), Err(ArithError::Overflow));
        assert_eq!(add_months(0, 12 * 9000), Err(ArithError::Overflow));
        assert_eq!(add_days(day("2023-12-31"), 1), Ok(day("2024-01-01")));
        assert_eq!(add_days(0, i64::MIN), Err(ArithError::Overflow));
        assert_eq!(add_days(0, 10_000_000), Err(ArithError::Overflow));
    }

    proptest! {
        #[test]
        fn agrees_with_jiff(days in -3_652_059i32..2_932_896) {
            let date = days_to_date(days).unwrap();
            prop_assert_eq!(date_to_days(date), days);
            let epoch = jiff::civil::date(1970, 1, 1);
            let span = epoch.until(date).unwrap();
            prop_assert_eq!(i64::from(span.get_days()), i64::from(days));
            prop_assert_eq!(parse_date(&format_date(days)), if date.year() >= 0 { Ok(days) } else { Err(DateError::Malformed) });
            if date.year() >= 0 {
                prop_assert_eq!(format_date(days), date.to_string());
            }
        }

        #[test]
        fn an_age_is_reached_on_the_day_a_plus_n_years_gives(
            a in -100_000i32..100_000,
            b in -100_000i32..100_000,
        ) {
            let y = years_between(a, b);
            prop_assert_eq!(y, -years_between(b, a));
            if a <= b {
                // a + y years <= b < a + (y + 1) years: no exception for month ends.
                prop_assert!(add_months(a, 12 * y).unwrap() <= b);
                prop_assert!(add_months(a, 12 * (y + 1)).unwrap() > b);
            }
        }

        #[test]
        fn months_between_is_antisymmetric_and_consistent(
            a in -100_000i32..100_000,
            b in -100_000i32..100_000,
        ) {
            let m = months_between(a, b);
            prop_assert_eq!(m, -months_between(b, a));
            if a <= b {
                // a + m months <= b < a + (m + 1) months, except when clamping.
                prop_assert!(add_months(a, m).unwrap() <= b);
                let (_, _, da) = civil_from_days(i64::from(a));
                if da <= 28 {
                    prop_assert!(add_months(a, m + 1).unwrap() > b);
                }
            }
        }

        #[test]
        fn parse_never_panics(text in "\\PC{0,14}") {
            let _ = parse_date(&text);
        }
    }
}
