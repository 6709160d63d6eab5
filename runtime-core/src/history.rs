//! Histories: a relation of dated records (stays, absences, benefit periods), each from
//! a first day to an optional last day, folded in date order into continuous stretches.
//!
//! Records of one parent come sorted by their first day (the data readers check it), so
//! one pass suffices: a record that starts on or before the day after the current
//! stretch ends extends it (records that overlap or touch make one stretch), any other
//! starts a new one. Time is counted before a limit day: a stretch is the half-open span
//! `[first day, day after its last day)`, cut at the limit. Compiled code performs the
//! same steps on the same integers, so every backend gives the same answer.

use crate::batch::{Batch, Column};
use crate::date::{NO_DATE, months_between};
use crate::schema::Schema;

/// What a history fold computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum HistoryFn {
    /// `continuous_months(r, d)`: whole months of the stretch that reaches `d` (covers
    /// the day before it), from its first day to `d`; 0 when none does.
    ContinuousMonths = 0,
    /// `longest_months(r, d)`: whole months of the longest stretch before `d`.
    LongestMonths = 1,
    /// `days_within(r, first, last)`: days from `first` to `last`, both included, that
    /// some record covers.
    DaysWithin = 2,
}

impl HistoryFn {
    /// Every fold, in the order of their codes.
    pub const ALL: [HistoryFn; 3] = [
        HistoryFn::ContinuousMonths,
        HistoryFn::LongestMonths,
        HistoryFn::DaysWithin,
    ];

    /// Its name in Bylaw.
    pub fn name(self) -> &'static str {
        match self {
            HistoryFn::ContinuousMonths => "continuous_months",
            HistoryFn::LongestMonths => "longest_months",
            HistoryFn::DaysWithin => "days_within",
        }
    }

    /// The fold called `name`.
    pub fn named(name: &str) -> Option<HistoryFn> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }

    /// How many date arguments follow the relation.
    pub fn date_args(self) -> usize {
        match self {
            HistoryFn::ContinuousMonths | HistoryFn::LongestMonths => 1,
            HistoryFn::DaysWithin => 2,
        }
    }
}

/// The day after a record's last day, or `limit` when the record is open (its last
/// day missing) or runs past it: the record's exclusive end, cut at the limit.
#[must_use]
pub fn record_end(until: i32, limit: i32) -> i32 {
    if until == NO_DATE || until >= limit {
        limit
    } else {
        until + 1
    }
}

/// A fold in progress over one parent's records.
#[derive(Debug, Clone, Copy)]
pub struct HistoryFold {
    function: HistoryFn,
    /// Counting stops before this day (`d`, or the day after the window's last day).
    limit: i32,
    /// The window's first day (`days_within` only).
    window_start: i32,
    open: bool,
    start: i32,
    end: i32,
    /// The longest stretch's months, or the days counted so far.
    total: i64,
}

impl HistoryFold {
    /// A fold of `function` with its date arguments: `d` for the month counts,
    /// `first, last` for `days_within`.
    #[must_use]
    pub fn new(function: HistoryFn, dates: &[i32]) -> HistoryFold {
        let (window_start, limit) = match (function, dates) {
            (HistoryFn::DaysWithin, [first, last, ..]) => (*first, last.saturating_add(1)),
            (_, [d, ..]) => (i32::MIN, *d),
            _ => (i32::MIN, i32::MIN),
        };
        HistoryFold {
            function,
            limit,
            window_start,
            open: false,
            start: 0,
            end: 0,
            total: 0,
        }
    }

    /// The next record kept by the filter, in order of `from`.
    pub fn step(&mut self, from: i32, until: i32) {
        if from >= self.limit {
            return;
        }
        let end = record_end(until, self.limit);
        if self.open && from <= self.end {
            self.end = self.end.max(end);
        } else {
            self.close();
            self.open = true;
            self.start = from;
            self.end = end;
        }
    }

    /// Counts the current stretch into the total.
    fn close(&mut self) {
        if !self.open {
            return;
        }
        match self.function {
            HistoryFn::ContinuousMonths => {}
            HistoryFn::LongestMonths => {
                self.total = self.total.max(months_between(self.start, self.end));
            }
            HistoryFn::DaysWithin => {
                let from = self.start.max(self.window_start);
                self.total += (i64::from(self.end) - i64::from(from)).max(0);
            }
        }
    }

    /// The fold's value: months or days.
    #[must_use]
    pub fn finish(mut self) -> i64 {
        if self.function == HistoryFn::ContinuousMonths {
            return if self.open && self.end >= self.limit {
                months_between(self.start, self.limit)
            } else {
                0
            };
        }
        self.close();
        self.total
    }
}

/// The first record, by position among one parent's records, that breaks the order a
/// history needs: it starts before the record above it, or ends before it starts.
#[must_use]
pub fn first_disorder(from: &[i32], until: &[i32]) -> Option<(usize, Disorder)> {
    let mut previous = i32::MIN;
    for (i, (&f, &u)) in from.iter().zip(until).enumerate() {
        if f < previous {
            return Some((i, Disorder::BeforePrevious));
        }
        if u != NO_DATE && u < f {
            return Some((i, Disorder::EndsBeforeStart));
        }
        previous = f;
    }
    None
}

/// How a record breaks a history's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disorder {
    /// It starts before the record above it.
    BeforePrevious,
    /// Its last day is before its first.
    EndsBeforeStart,
}

/// Puts each parent's dated records in order of their first day, keeping the input
/// order of records that start on the same day. The readers call it, so data may list
/// a person's stays in any order. Dated records have no relations of their own (the
/// checker refuses them), so moving their rows moves nothing else.
pub fn order_records(schema: &Schema, batch: &mut Batch) {
    for (id, parent) in schema.tree_order() {
        let (Some(entity), Some((owner, relation))) = (schema.entity(id), parent) else {
            continue;
        };
        let Some(dated) = entity.dated else { continue };
        let Some(offsets) = batch
            .entity(owner)
            .and_then(|o| o.children.get(relation))
            .cloned()
        else {
            continue;
        };
        let Some(rows) = batch.entities.get_mut(id.0 as usize) else {
            continue;
        };
        let Some(Column::Date(from)) = rows.columns.get(dated.from.0 as usize) else {
            continue;
        };
        let mut order: Vec<usize> = (0..rows.len).collect();
        let mut moved = false;
        for w in offsets.0.windows(2) {
            let (a, b) = (w[0] as usize, w[1] as usize);
            let Some(range) = order.get_mut(a..b) else {
                continue;
            };
            if range.windows(2).any(|p| from.get(p[1]) < from.get(p[0])) {
                range.sort_by_key(|r| from.get(*r).copied());
                moved = true;
            }
        }
        if moved {
            for column in &mut rows.columns {
                column.permute(&order);
            }
            rows.keys = order
                .iter()
                .filter_map(|r| rows.keys.get(*r).cloned())
                .collect();
            rows.source_rows = order
                .iter()
                .filter_map(|r| rows.source_rows.get(*r).copied())
                .collect();
        }
    }
}

/// The first dated record of `batch` out of order (see [`first_disorder`]): its entity's
/// name and row, and how.
#[must_use]
pub fn find_disorder(schema: &Schema, batch: &Batch) -> Option<(String, usize, Disorder)> {
    for (id, parent) in schema.tree_order() {
        let (Some(entity), Some((owner, relation))) = (schema.entity(id), parent) else {
            continue;
        };
        let Some(dated) = entity.dated else { continue };
        let offsets = batch.entity(owner).and_then(|o| o.children.get(relation))?;
        let rows = batch.entity(id)?;
        let (Some(from), Some(until)) = (rows.date(dated.from), rows.date(dated.until)) else {
            continue;
        };
        for w in offsets.0.windows(2) {
            let (a, b) = (w[0] as usize, w[1] as usize);
            if let (Some(f), Some(u)) = (from.get(a..b), until.get(a..b))
                && let Some((i, how)) = first_disorder(f, u)
            {
                return Some((entity.name.clone(), a + i, how));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{Disorder, HistoryFn, HistoryFold, first_disorder};
    use crate::date::{NO_DATE, parse_date};

    fn d(s: &str) -> i32 {
        parse_date(s).unwrap_or(NO_DATE)
    }

    fn fold(function: HistoryFn, dates: &[&str], records: &[(&str, &str)]) -> i64 {
        let dates: Vec<i32> = dates.iter().map(|s| d(s)).collect();
        let mut f = HistoryFold::new(function, &dates);
        for (from, until) in records {
            f.step(d(from), if until.is_empty() { NO_DATE } else { d(until) });
        }
        f.finish()
    }

    #[test]
    fn touching_records_make_one_stretch() {
        let stays = [("2021-08-01", "2022-12-31"), ("2023-01-01", "")];
        let months = fold(HistoryFn::ContinuousMonths, &["2023-08-01"], &stays);
        assert_eq!(months, 24);
        let months = fold(HistoryFn::ContinuousMonths, &["2023-07-31"], &stays);
        assert_eq!(months, 23);
    }

    #[test]
    fn a_gap_of_one_day_breaks_the_stretch() {
        let stays = [("2021-08-01", "2022-12-30"), ("2023-01-01", "")];
        assert_eq!(
            fold(HistoryFn::ContinuousMonths, &["2023-08-01"], &stays),
            7
        );
        assert_eq!(fold(HistoryFn::LongestMonths, &["2023-08-01"], &stays), 16);
    }

    #[test]
    fn a_stretch_that_ended_before_the_day_does_not_reach_it() {
        let stays = [("2020-01-01", "2023-07-30")];
        assert_eq!(
            fold(HistoryFn::ContinuousMonths, &["2023-08-01"], &stays),
            0
        );
        let ended_the_day_before = [("2020-01-01", "2023-07-31")];
        assert_eq!(
            fold(
                HistoryFn::ContinuousMonths,
                &["2023-08-01"],
                &ended_the_day_before
            ),
            43
        );
    }

    #[test]
    fn records_after_the_day_are_not_counted() {
        let stays = [("2020-01-01", "2020-12-31"), ("2023-08-01", "")];
        assert_eq!(fold(HistoryFn::LongestMonths, &["2023-08-01"], &stays), 12);
        assert_eq!(
            fold(HistoryFn::ContinuousMonths, &["2023-08-01"], &stays),
            0
        );
    }

    #[test]
    fn days_within_counts_overlapping_records_once_and_includes_both_ends() {
        let stays = [("2024-12-20", "2025-01-10"), ("2025-01-05", "2025-01-31")];
        let window = ["2025-01-01", "2025-01-31"];
        assert_eq!(fold(HistoryFn::DaysWithin, &window, &stays), 31);
        let open = [("2025-12-31", "")];
        assert_eq!(fold(HistoryFn::DaysWithin, &window, &open), 0);
        assert_eq!(
            fold(HistoryFn::DaysWithin, &["2025-12-01", "2025-12-31"], &open),
            1
        );
    }

    #[test]
    fn no_records_fold_to_zero() {
        for f in HistoryFn::ALL {
            assert_eq!(fold(f, &["2025-01-01", "2025-12-31"], &[]), 0);
        }
    }

    #[test]
    fn disorder_is_found_at_its_record() {
        let from = [d("2021-01-01"), d("2020-01-01")];
        let until = [NO_DATE, NO_DATE];
        assert_eq!(
            first_disorder(&from, &until),
            Some((1, Disorder::BeforePrevious))
        );
        let until = [d("2020-12-31"), d("2019-01-01")];
        assert_eq!(
            first_disorder(&from[..1], &until[1..]),
            Some((0, Disorder::EndsBeforeStart))
        );
        assert_eq!(first_disorder(&[], &[]), None);
    }
}
