//! Working days (工作日): counting over a calendar a policy declares.
//!
//! A calendar covers a range of days; each covered day is working or not (Saturday and
//! Sunday are not, unless declared working; declared holidays are not). It is kept as a
//! table of `i64`s — the first covered day, the number of covered days, then the
//! running count of working days before each covered day and after the last — so that
//! both questions are a lookup and a binary search. The interpreter and compiled code
//! (through `bylaw_rt_*_working_days`, with the table compiled into the object) call
//! these same functions, so every backend counts alike.
//!
//! A count never guesses past the covered range: it fails with the first day, in the
//! order the count visits them, that the calendar does not cover.

/// The table's header: the first covered day and the number of covered days.
const HEADER: usize = 2;

/// Whether day `d` (days since 1970-01-01, a Thursday) is a Saturday or a Sunday.
#[must_use]
pub fn is_weekend(d: i32) -> bool {
    // 1970-01-01 is a Thursday: (d + 3) mod 7 is 0 on Mondays.
    (i64::from(d) + 3).rem_euclid(7) >= 5
}

/// The table of a calendar covering `working.len()` days from `first`, where
/// `working[i]` says whether day `first + i` is a working day.
#[must_use]
pub fn encode(first: i32, working: &[bool]) -> Vec<i64> {
    let mut table = Vec::with_capacity(HEADER + working.len() + 1);
    table.push(i64::from(first));
    table.push(working.len() as i64);
    let mut count = 0i64;
    table.push(count);
    for w in working {
        count += i64::from(*w);
        table.push(count);
    }
    table
}

/// The number of `i64`s a table with `days` covered days holds.
#[must_use]
pub fn table_len(days: usize) -> usize {
    HEADER + days + 1
}

/// A table read back: the first covered day, the last, and the running counts.
struct View<'a> {
    first: i64,
    last: i64,
    /// `counts[k]`: working days among the first `k` covered days.
    counts: &'a [i64],
}

impl<'a> View<'a> {
    fn of(table: &'a [i64]) -> Option<View<'a>> {
        let (&first, &days) = (table.first()?, table.get(1)?);
        let days = usize::try_from(days).ok()?;
        let counts = table.get(HEADER..table_len(days))?;
        Some(View {
            first,
            last: first + days as i64 - 1,
            counts,
        })
    }

    fn covers(&self, d: i64) -> bool {
        self.first <= d && d <= self.last
    }

    /// Working days among the covered days before `d` (`d` within `first..=last + 1`).
    fn before(&self, d: i64) -> Option<i64> {
        let k = usize::try_from(d - self.first).ok()?;
        self.counts.get(k).copied()
    }

    /// The covered day on which the running count first reaches `target` (≥ 1).
    fn reaching(&self, target: i64) -> Option<i64> {
        let k = self.counts.partition_point(|c| *c < target);
        (k >= 1 && k < self.counts.len()).then(|| self.first + k as i64 - 1)
    }
}

/// The day `n` working days after `d` (before it when `n < 0`): the `n`th working day
/// counted from the day after `d`, whether or not `d` itself is a working day; `d` when
/// `n == 0`. Fails with the first day the count needs that the calendar does not cover.
pub fn add_working_days(table: &[i64], d: i32, n: i64) -> Result<i32, i64> {
    let d = i64::from(d);
    let Some(cal) = View::of(table) else {
        return Err(d);
    };
    if n == 0 {
        return Ok(d as i32);
    }
    let found = if n > 0 {
        let next = d + 1;
        if !cal.covers(next) {
            return Err(next);
        }
        let target = cal.before(next).and_then(|c| c.checked_add(n));
        target.and_then(|t| cal.reaching(t)).ok_or(cal.last + 1)?
    } else {
        let previous = d - 1;
        if !cal.covers(previous) {
            return Err(previous);
        }
        // The |n|th working day back is the one the running count reaches at
        // (working days up to and including `previous`) − |n| + 1.
        let target = cal
            .before(d)
            .and_then(|c| c.checked_add(n))
            .map(|c| c + 1)
            .filter(|t| *t >= 1);
        target.and_then(|t| cal.reaching(t)).ok_or(cal.first - 1)?
    };
    i32::try_from(found).map_err(|_| found)
}

/// Working days counted from `a` to `b` as [`add_working_days`] counts: `a` excluded,
/// `b` included — the working days after `a` up to `b`, or, when `b` is before `a`,
/// minus those before `a` down to `b`. So `add_working_days(a, n) == b` gives `n` when
/// `b` is a working day, for either sign; 0 when `a == b`. Fails with the first day the
/// count needs that the calendar does not cover.
pub fn working_days_between(table: &[i64], a: i32, b: i32) -> Result<i64, i64> {
    let (a, b) = (i64::from(a), i64::from(b));
    if a == b {
        return Ok(0);
    }
    // The days counted, in the order the count visits them: from `a` ± 1 to `b`.
    let (near, step) = if b > a { (a + 1, 1) } else { (a - 1, -1) };
    let Some(cal) = View::of(table) else {
        return Err(near);
    };
    if !cal.covers(near) {
        return Err(near);
    }
    if b > cal.last {
        return Err(cal.last + 1);
    }
    if b < cal.first {
        return Err(cal.first - 1);
    }
    // Working days among the days `lo..=hi`, both covered.
    let (lo, hi) = if step > 0 { (near, b) } else { (b, near) };
    match (cal.before(hi + 1), cal.before(lo)) {
        (Some(to), Some(from)) => Ok(step * (to - from)),
        _ => Err(near),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;
    use crate::date::parse_date;

    fn day(s: &str) -> i32 {
        parse_date(s).unwrap()
    }

    /// January 2025 with 1 January a holiday, 26 January (a Sunday) working and
    /// 28–31 January holidays.
    fn january() -> Vec<i64> {
        let first = day("2025-01-01");
        let working: Vec<bool> = (0..31)
            .map(|i| {
                let d = first + i;
                let holiday = i == 0 || (27..=30).contains(&i);
                let adjusted = d == day("2025-01-26");
                adjusted || (!is_weekend(d) && !holiday)
            })
            .collect();
        encode(first, &working)
    }

    #[test]
    fn weekends_are_saturday_and_sunday() {
        assert!(is_weekend(day("2025-01-04")));
        assert!(is_weekend(day("2025-01-05")));
        assert!(!is_weekend(day("2025-01-06")));
        assert!(!is_weekend(day("2025-01-03")));
        assert!(is_weekend(day("1969-12-28")));
    }

    #[test]
    fn counting_starts_the_day_after() {
        let t = january();
        // Friday 3 January + 1 is Monday 6 January.
        assert_eq!(
            add_working_days(&t, day("2025-01-03"), 1),
            Ok(day("2025-01-06"))
        );
        // From a Saturday, the first working day is the Monday.
        assert_eq!(
            add_working_days(&t, day("2025-01-04"), 1),
            Ok(day("2025-01-06"))
        );
        // The adjusted Sunday counts; the holidays after it do not.
        assert_eq!(
            add_working_days(&t, day("2025-01-24"), 1),
            Ok(day("2025-01-26"))
        );
        assert_eq!(
            add_working_days(&t, day("2025-01-24"), 2),
            Ok(day("2025-01-27"))
        );
        assert_eq!(
            add_working_days(&t, day("2025-01-24"), 0),
            Ok(day("2025-01-24"))
        );
        assert_eq!(
            add_working_days(&t, day("2025-01-06"), -1),
            Ok(day("2025-01-03"))
        );
        assert_eq!(
            add_working_days(&t, day("2025-01-27"), -1),
            Ok(day("2025-01-26"))
        );
    }

    #[test]
    fn between_counts_the_end_not_the_start() {
        let t = january();
        assert_eq!(
            working_days_between(&t, day("2025-01-03"), day("2025-01-06")),
            Ok(1)
        );
        assert_eq!(
            working_days_between(&t, day("2025-01-06"), day("2025-01-03")),
            Ok(-1)
        );
        assert_eq!(
            working_days_between(&t, day("2025-01-04"), day("2025-01-04")),
            Ok(0)
        );
        // January's 23 weekdays, less the 5 holidays on weekdays, and the adjusted Sunday.
        assert_eq!(
            working_days_between(&t, day("2024-12-31"), day("2025-01-31")),
            Ok(19)
        );
    }

    #[test]
    fn counts_stop_at_the_edges_of_the_calendar() {
        let t = january();
        // 27 January is the last working day covered.
        assert_eq!(
            add_working_days(&t, day("2025-01-24"), 3),
            Err(i64::from(day("2025-02-01")))
        );
        assert_eq!(
            add_working_days(&t, day("2025-02-05"), 1),
            Err(i64::from(day("2025-02-06")))
        );
        assert_eq!(
            add_working_days(&t, day("2025-01-02"), -1),
            Err(i64::from(day("2024-12-31")))
        );
        assert_eq!(
            add_working_days(&t, day("2024-12-20"), 1),
            Err(i64::from(day("2024-12-21")))
        );
        assert_eq!(
            add_working_days(&t, day("2025-01-24"), i64::MAX),
            Err(i64::from(day("2025-02-01")))
        );
        assert_eq!(
            add_working_days(&t, day("2025-01-24"), i64::MIN),
            Err(i64::from(day("2024-12-31")))
        );
        assert_eq!(
            working_days_between(&t, day("2025-01-03"), day("2025-02-03")),
            Err(i64::from(day("2025-02-01")))
        );
        assert_eq!(
            working_days_between(&t, day("2024-12-30"), day("2025-01-03")),
            Err(i64::from(day("2024-12-31")))
        );
    }

    #[test]
    fn adding_and_counting_agree_on_every_covered_pair() {
        let t = january();
        let first = day("2024-12-31");
        for a in first..first + 32 {
            for n in -40..40 {
                if let Ok(b) = add_working_days(&t, a, n)
                    && n != 0
                {
                    assert_eq!(working_days_between(&t, a, b), Ok(n), "{a} {n}");
                }
            }
        }
    }
}
