//! Periods a compliance run covers (`2023-07`, `2023-Q3`, `2023`) and the windows inside
//! them that delivery standards are counted in. Periods are closed (first and last day
//! included); a window counts only when it lies wholly inside the period, so a weekly
//! standard uses the ISO weeks (Monday to Sunday) that start and end within it.

use crate::date::{add_days, add_months, format_date, parse_date};

/// A closed range of days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// As written: `2023-07`, `2023-Q3`, `2023`.
    pub text: String,
    /// First day (days since 1970-01-01).
    pub start: i32,
    /// Last day, included.
    pub end: i32,
    months: u8,
}

/// The unit a frequency standard is counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WindowKind {
    Day,
    Week,
    Month,
    Quarter,
    Year,
    /// The whole period.
    Period,
}

impl Period {
    /// Reads `YYYY-MM`, `YYYY-Qn` or `YYYY`.
    ///
    /// # Errors
    /// A message naming the accepted forms.
    pub fn parse(text: &str) -> Result<Period, String> {
        let t = text.trim();
        let bad = || {
            format!(
                "`{t}` is not a period; write a month `2023-07`, a quarter `2023-Q3` or a year `2023`"
            )
        };
        let year = t
            .get(0..4)
            .filter(|y| y.bytes().all(|b| b.is_ascii_digit()));
        let Some(year) = year else { return Err(bad()) };
        let (first_month, months) = match t.get(4..) {
            Some("") => (1u32, 12u8),
            Some(rest) => {
                if let Some(q) = rest.strip_prefix("-Q") {
                    match q {
                        "1" | "2" | "3" | "4" => {
                            let q: u32 = q.parse().map_err(|_| bad())?;
                            ((q - 1) * 3 + 1, 3)
                        }
                        _ => return Err(bad()),
                    }
                } else if let Some(m) = rest.strip_prefix('-') {
                    if m.len() != 2 || !m.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(bad());
                    }
                    let m: u32 = m.parse().map_err(|_| bad())?;
                    if !(1..=12).contains(&m) {
                        return Err(bad());
                    }
                    (m, 1)
                } else {
                    return Err(bad());
                }
            }
            None => return Err(bad()),
        };
        let start = parse_date(&format!("{year}-{first_month:02}-01")).map_err(|_| bad())?;
        let next = add_months(start, i64::from(months)).map_err(|_| bad())?;
        let end = add_days(next, -1).map_err(|_| bad())?;
        Ok(Period {
            text: t.to_string(),
            start,
            end,
            months,
        })
    }

    /// Is `day` inside the period (both ends included)?
    #[must_use]
    pub fn contains(&self, day: i32) -> bool {
        self.start <= day && day <= self.end
    }

    /// The period's first and last day as `YYYY-MM-DD`.
    #[must_use]
    pub fn describe(&self) -> String {
        format!("{} – {}", format_date(self.start), format_date(self.end))
    }

    /// The windows of `kind` wholly inside the period, as closed day ranges, in order.
    /// Empty when none fits (a quarterly standard over one month).
    #[must_use]
    pub fn windows(&self, kind: WindowKind) -> Vec<(i32, i32)> {
        match kind {
            WindowKind::Period => vec![(self.start, self.end)],
            WindowKind::Day => (self.start..=self.end).map(|d| (d, d)).collect(),
            WindowKind::Week => {
                // 1970-01-01 was a Thursday: (day + 3) mod 7 is 0 on Mondays.
                let offset = (self.start + 3).rem_euclid(7);
                let first_monday = if offset == 0 {
                    self.start
                } else {
                    self.start + 7 - offset
                };
                let mut out = Vec::new();
                let mut monday = first_monday;
                while monday + 6 <= self.end {
                    out.push((monday, monday + 6));
                    monday += 7;
                }
                out
            }
            WindowKind::Month => self.month_windows(1),
            WindowKind::Quarter => self.month_windows(3),
            WindowKind::Year => self.month_windows(12),
        }
    }

    /// Consecutive runs of `size` months from the period's start; the period starts on a
    /// month (or quarter, or year) boundary, so runs that fit are calendar months,
    /// quarters or years.
    fn month_windows(&self, size: u8) -> Vec<(i32, i32)> {
        if size > self.months {
            return Vec::new();
        }
        let mut out = Vec::new();
        let mut at = self.start;
        for _ in 0..(self.months / size) {
            let Ok(next) = add_months(at, i64::from(size)) else {
                break;
            };
            out.push((at, next - 1));
            at = next;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    fn d(s: &str) -> i32 {
        parse_date(s).unwrap()
    }

    #[test]
    fn months_quarters_and_years_are_closed_ranges() {
        let p = Period::parse("2023-07").unwrap();
        assert_eq!((p.start, p.end), (d("2023-07-01"), d("2023-07-31")));
        let q = Period::parse("2023-Q3").unwrap();
        assert_eq!((q.start, q.end), (d("2023-07-01"), d("2023-09-30")));
        let y = Period::parse("2024").unwrap();
        assert_eq!((y.start, y.end), (d("2024-01-01"), d("2024-12-31")));
        let feb = Period::parse("2024-02").unwrap();
        assert_eq!(feb.end, d("2024-02-29"));
        assert!(p.contains(d("2023-07-31")) && !p.contains(d("2023-08-01")));
    }

    #[test]
    fn malformed_periods_are_refused() {
        for bad in [
            "2023-13",
            "2023-Q5",
            "2023-7",
            "23",
            "2023/07",
            "",
            "2023-07-01",
        ] {
            assert!(Period::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn weeks_are_iso_weeks_wholly_inside() {
        // July 2023 starts on a Saturday: full weeks are 3–9, 10–16, 17–23, 24–30.
        let p = Period::parse("2023-07").unwrap();
        let w = p.windows(WindowKind::Week);
        assert_eq!(w.len(), 4);
        assert_eq!(w.first(), Some(&(d("2023-07-03"), d("2023-07-09"))));
        assert_eq!(w.last(), Some(&(d("2023-07-24"), d("2023-07-30"))));
        // May 2023 starts on a Monday.
        let may = Period::parse("2023-05").unwrap();
        assert_eq!(
            may.windows(WindowKind::Week).first().map(|w| w.0),
            Some(d("2023-05-01"))
        );
    }

    #[test]
    fn windows_longer_than_the_period_do_not_fit() {
        let p = Period::parse("2023-07").unwrap();
        assert!(p.windows(WindowKind::Quarter).is_empty());
        assert_eq!(p.windows(WindowKind::Month).len(), 1);
        let q = Period::parse("2023-Q3").unwrap();
        assert_eq!(q.windows(WindowKind::Month).len(), 3);
        assert_eq!(q.windows(WindowKind::Quarter).len(), 1);
        assert!(q.windows(WindowKind::Year).is_empty());
        let y = Period::parse("2023").unwrap();
        assert_eq!(y.windows(WindowKind::Quarter).len(), 4);
        assert_eq!(y.windows(WindowKind::Day).len(), 365);
    }
}
