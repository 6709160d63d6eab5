//! The evaluation date: a calendar day, written `YYYY-MM-DD`, or a month or year
//! meaning its first day.

use std::fmt;
use std::str::FromStr;

/// A calendar day (held as days since 1970-01-01, the runtime's date unit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date(i32);

impl Date {
    /// The day `days` days after 1970-01-01.
    pub fn from_days(days: i32) -> Date {
        Date(days)
    }

    /// Days since 1970-01-01.
    pub fn days(self) -> i32 {
        self.0
    }

    /// Parses `YYYY-MM-DD`, or a month `YYYY-MM` or a year `YYYY` meaning its first day.
    ///
    /// ```
    /// let d = bylaw_engine::Date::parse("2023-08").unwrap();
    /// assert_eq!(d.to_string(), "2023-08-01");
    /// assert!(bylaw_engine::Date::parse("2023-02-30").is_err());
    /// ```
    ///
    /// # Errors
    /// [`DateError`] with the text and what to write instead.
    pub fn parse(text: &str) -> Result<Date, DateError> {
        let full = match text.len() {
            4 => format!("{text}-01-01"),
            7 => format!("{text}-01"),
            _ => text.to_string(),
        };
        bylaw_runtime::date::parse_date(&full)
            .map(Date)
            .map_err(|reason| DateError {
                text: text.to_string(),
                reason: reason.to_string(),
            })
    }
}

impl FromStr for Date {
    type Err = DateError;

    fn from_str(s: &str) -> Result<Date, DateError> {
        Date::parse(s)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&bylaw_runtime::date::format_date(self.0))
    }
}

/// Text that is not a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateError {
    text: String,
    reason: String,
}

impl DateError {
    /// What to write instead.
    pub fn hint(&self) -> &'static str {
        "write YYYY-MM-DD, or a period YYYY-MM or YYYY (its first day)"
    }
}

impl fmt::Display for DateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not a date: {}", self.text, self.reason)
    }
}

impl std::error::Error for DateError {}
