//! The runtime helpers compiled code calls (`bylaw_rt_*`): `extern "C"` shims over
//! [`crate::arith`] and [`crate::date`], so that every rounding, every i128 product and
//! quotient and every calendar step is the interpreter's own code. A fallible helper
//! returns its value and writes 0 or an `ERR_*` code to `status`; the working-day
//! helpers read a calendar's table, which compiled code holds as data. Compiled code reaches
//! them through [`KernelCtx::helpers`](super::layout::KernelCtx::helpers), a table in
//! [`Helper::ALL`] order, so a compiled object needs no symbol resolved at link time.

use crate::arith::{self, ArithError, Exact, RoundingMode};
use crate::date;
use crate::workdays;

use super::layout::{ERR_DIV_ZERO, ERR_NONE, ERR_OUTSIDE_CALENDAR, ERR_OVERFLOW};

fn report(r: Result<i64, ArithError>, status: &mut u32) -> i64 {
    match r {
        Ok(v) => {
            *status = ERR_NONE;
            v
        }
        Err(e) => {
            *status = match e {
                ArithError::Overflow => ERR_OVERFLOW,
                ArithError::DivisionByZero => ERR_DIV_ZERO,
            };
            0
        }
    }
}

/// The index of `mode` in [`RoundingMode::ALL`]: how compiled code names a mode.
pub fn mode_index(mode: RoundingMode) -> u32 {
    RoundingMode::ALL
        .iter()
        .position(|m| *m == mode)
        .unwrap_or(0) as u32
}

/// [`arith::mul_scaled`].
pub extern "C" fn bylaw_rt_mul_scaled(a: i64, b: i64, divisor: i64, status: &mut u32) -> i64 {
    report(arith::mul_scaled(a, b, divisor), status)
}

/// [`arith::div_scaled`].
pub extern "C" fn bylaw_rt_div_scaled(a: i64, scale: i64, b: i64, status: &mut u32) -> i64 {
    report(arith::div_scaled(a, scale, b), status)
}

/// [`arith::round_to_unit`] with the mode of index `mode` (see [`mode_index`]).
pub extern "C" fn bylaw_rt_round_to_unit(v: i64, unit: i64, mode: u32, status: &mut u32) -> i64 {
    let mode = RoundingMode::ALL
        .get(mode as usize)
        .copied()
        .unwrap_or_default();
    report(arith::round_to_unit(v, unit, mode), status)
}

/// [`date::add_days`].
pub extern "C" fn bylaw_rt_date_add_days(d: i64, n: i64, status: &mut u32) -> i64 {
    report(date::add_days(d as i32, n).map(i64::from), status)
}

/// [`date::add_days`] of `−n`.
pub extern "C" fn bylaw_rt_date_sub_days(d: i64, n: i64, status: &mut u32) -> i64 {
    let r = arith::neg(n).and_then(|n| date::add_days(d as i32, n));
    report(r.map(i64::from), status)
}

/// [`date::add_months`].
pub extern "C" fn bylaw_rt_date_add_months(d: i64, n: i64, status: &mut u32) -> i64 {
    report(date::add_months(d as i32, n).map(i64::from), status)
}

/// [`date::add_months`] of `−n`.
pub extern "C" fn bylaw_rt_date_sub_months(d: i64, n: i64, status: &mut u32) -> i64 {
    let r = arith::neg(n).and_then(|n| date::add_months(d as i32, n));
    report(r.map(i64::from), status)
}

/// [`date::months_between`].
pub extern "C" fn bylaw_rt_months_between(a: i64, b: i64) -> i64 {
    date::months_between(a as i32, b as i32)
}

/// [`date::years_between`].
pub extern "C" fn bylaw_rt_years_between(a: i64, b: i64) -> i64 {
    date::years_between(a as i32, b as i32)
}

/// [`date::CalendarDay::of`] for the calendar day of code `which`.
pub extern "C" fn bylaw_rt_calendar_day(d: i64, which: i64, status: &mut u32) -> i64 {
    let r = date::CalendarDay::from_code(which)
        .ok_or(ArithError::Overflow)
        .and_then(|c| c.of(d as i32));
    report(r.map(i64::from), status)
}

/// [`date::days_between`].
pub extern "C" fn bylaw_rt_days_between(a: i64, b: i64) -> i64 {
    date::days_between(a as i32, b as i32)
}

/// [`arith::floor_div`].
pub extern "C" fn bylaw_rt_floor_div(v: i64, scale: i64) -> i64 {
    arith::floor_div(v, scale)
}

/// [`arith::ceil_div`].
pub extern "C" fn bylaw_rt_ceil_div(v: i64, scale: i64) -> i64 {
    arith::ceil_div(v, scale)
}

/// The calendar table at `table` (see [`workdays::encode`]), borrowed.
///
/// # Safety
/// `table` points to a whole table as `workdays::encode` writes it: its second `i64`
/// gives the number of covered days, and the table holds that many plus three.
unsafe fn calendar_table<'a>(table: i64) -> &'a [i64] {
    let at = table as *const i64;
    if at.is_null() {
        return &[];
    }
    // SAFETY: a table starts with its two-`i64` header (the caller's promise).
    let days = unsafe { *at.add(1) };
    let Ok(days) = usize::try_from(days) else {
        return &[];
    };
    // SAFETY: the header gives the table's length (the caller's promise).
    unsafe { std::slice::from_raw_parts(at, workdays::table_len(days)) }
}

/// A working-day count's result, or `ERR_OUTSIDE_CALENDAR` in `status` and the first
/// day it needed that the calendar does not cover.
fn report_calendar(r: Result<i64, i64>, status: &mut u32) -> i64 {
    match r {
        Ok(v) => {
            *status = ERR_NONE;
            v
        }
        Err(day) => {
            *status = ERR_OUTSIDE_CALENDAR;
            day
        }
    }
}

/// [`workdays::add_working_days`] over the calendar table at `table`.
///
/// # Safety
/// `table` points to a calendar table as [`workdays::encode`] writes it (compiled
/// code passes the one it holds as data).
pub unsafe extern "C" fn bylaw_rt_add_working_days(
    table: i64,
    d: i64,
    n: i64,
    status: &mut u32,
) -> i64 {
    // SAFETY: the caller's promise.
    let t = unsafe { calendar_table(table) };
    report_calendar(
        workdays::add_working_days(t, d as i32, n).map(i64::from),
        status,
    )
}

/// [`workdays::working_days_between`] over the calendar table at `table`.
///
/// # Safety
/// As [`bylaw_rt_add_working_days`].
pub unsafe extern "C" fn bylaw_rt_working_days_between(
    table: i64,
    a: i64,
    b: i64,
    status: &mut u32,
) -> i64 {
    // SAFETY: the caller's promise.
    let t = unsafe { calendar_table(table) };
    report_calendar(
        workdays::working_days_between(t, a as i32, b as i32),
        status,
    )
}

/// An exact result's numerator; its denominator goes to `den` (1 on failure).
fn report_exact(r: Result<Exact, ArithError>, status: &mut u32, den: &mut i64) -> i64 {
    let r = r.map(|x| {
        *den = x.den();
        x.num()
    });
    if r.is_err() {
        *den = 1;
    }
    report(r, status)
}

/// Compiled code's two halves of an exact value, reduced again (they always are).
fn exact(num: i64, den: i64) -> Result<Exact, ArithError> {
    // A whole value (a field, a constant, a rounded value) is already in lowest terms.
    if den == 1 {
        return Ok(Exact::int(num));
    }
    Exact::new(num, den)
}

/// [`Exact::checked_add`] of `an/ad` and `bn/bd`.
pub extern "C" fn bylaw_rt_exact_add(
    an: i64,
    ad: i64,
    bn: i64,
    bd: i64,
    status: &mut u32,
    den: &mut i64,
) -> i64 {
    let r = exact(an, ad).and_then(|a| a.checked_add(exact(bn, bd)?));
    report_exact(r, status, den)
}

/// [`Exact::checked_sub`] of `an/ad` and `bn/bd`.
pub extern "C" fn bylaw_rt_exact_sub(
    an: i64,
    ad: i64,
    bn: i64,
    bd: i64,
    status: &mut u32,
    den: &mut i64,
) -> i64 {
    let r = exact(an, ad).and_then(|a| a.checked_sub(exact(bn, bd)?));
    report_exact(r, status, den)
}

/// [`Exact::mul_scaled`] of `an/ad` and `bn/bd` by `divisor`.
pub extern "C" fn bylaw_rt_exact_mul(
    an: i64,
    ad: i64,
    bn: i64,
    bd: i64,
    divisor: i64,
    status: &mut u32,
    den: &mut i64,
) -> i64 {
    let r = exact(an, ad).and_then(|a| a.mul_scaled(exact(bn, bd)?, divisor));
    report_exact(r, status, den)
}

/// [`Exact::div_scaled`] of `an/ad` by `bn/bd`, times `scale`.
pub extern "C" fn bylaw_rt_exact_div(
    an: i64,
    ad: i64,
    bn: i64,
    bd: i64,
    scale: i64,
    status: &mut u32,
    den: &mut i64,
) -> i64 {
    let r = exact(an, ad).and_then(|a| a.div_scaled(scale, exact(bn, bd)?));
    report_exact(r, status, den)
}

/// −1, 0 or 1 as `an/ad` is below, equal to or above `bn/bd` (denominators positive).
pub extern "C" fn bylaw_rt_exact_cmp(an: i64, ad: i64, bn: i64, bd: i64) -> i64 {
    // With positive denominators the cross products order the values whether or not
    // the halves are reduced (as [`Exact::cmp_exact`] does).
    if ad == bd {
        return an.cmp(&bn) as i64;
    }
    (i128::from(an) * i128::from(bd)).cmp(&(i128::from(bn) * i128::from(ad))) as i64
}

/// [`Exact::round_to_unit`] of `num/den` by the mode of index `mode`.
pub extern "C" fn bylaw_rt_exact_round(
    num: i64,
    den: i64,
    mode: u32,
    unit: i64,
    status: &mut u32,
) -> i64 {
    let mode = RoundingMode::ALL
        .get(mode as usize)
        .copied()
        .unwrap_or_default();
    report(
        exact(num, den).and_then(|x| x.round_to_unit(unit, mode)),
        status,
    )
}

/// [`Exact::quotient`] of `num/den` by `scale` with the mode of index `mode`.
pub extern "C" fn bylaw_rt_exact_quotient(
    num: i64,
    den: i64,
    mode: u32,
    scale: i64,
    status: &mut u32,
) -> i64 {
    let mode = RoundingMode::ALL
        .get(mode as usize)
        .copied()
        .unwrap_or_default();
    report(
        exact(num, den).and_then(|x| x.quotient(scale, mode)),
        status,
    )
}

thread_local! {
    /// Per sum site of a kernel: the prefix sums of its last call on this thread.
    static PREFIX: std::cell::RefCell<Vec<Vec<i64>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Prefix sums for `sum(children: x)` over root rows `start..end`: with `c0 =
/// offsets[start]`, `P[k] = values[c0] + … + values[c0 + k − 1]` (wrapping), so that a
/// row's sum is `P[offsets[r + 1] − c0] − P[offsets[r] − c0]`. Returns the address of
/// `P`, valid on this thread until the next call for the same `site`, or 0 when some
/// row's running sum could overflow part-way (a bound on |value|, at most twice the
/// largest, × the chunk's children, or failing that × most children of one row, >
/// `i64::MAX`): compiled code then adds element by element, checking each step. When
/// no running sum can overflow, the wrapping difference is the exact sum.
///
/// # Safety
/// `offsets` points to checked CSR offsets holding rows `start..=end`, and `values` to
/// a column holding every child row they name (a checked batch, as kernels see it).
pub unsafe extern "C" fn bylaw_rt_child_prefix(
    values: i64,
    offsets: i64,
    start: i64,
    end: i64,
    site: i64,
) -> i64 {
    let (Ok(start), Ok(end), Ok(site)) = (
        usize::try_from(start),
        usize::try_from(end),
        usize::try_from(site),
    ) else {
        return 0;
    };
    if end < start || values == 0 || offsets == 0 {
        return 0;
    }
    // SAFETY: `offsets` holds rows `start..=end` (the caller's promise).
    let offsets =
        unsafe { std::slice::from_raw_parts((offsets as *const u32).add(start), end - start + 1) };
    let (Some(&c0), Some(&c1)) = (offsets.first(), offsets.last()) else {
        return 0;
    };
    let (c0, c1) = (c0 as usize, c1 as usize);
    if c1 < c0 {
        return 0;
    }
    // SAFETY: the children of rows `start..end` are rows `c0..c1` of `values` (checked
    // offsets never decrease and stay within the child entity).
    let values = unsafe { std::slice::from_raw_parts((values as *const i64).add(c0), c1 - c0) };
    // A bound on every |v|: `v ^ (v >> 63)` is `v` or `|v| − 1`, so the OR of them
    // all, plus one, bounds every magnitude (and is below twice the largest). A
    // separate pass, which the compiler vectorizes.
    let bits = values
        .iter()
        .fold(0u64, |b, v| b | (*v ^ (*v >> 63)) as u64);
    let largest = bits.saturating_add(1);
    let fits = |n: u64| largest.checked_mul(n).is_some_and(|m| m <= i64::MAX as u64);
    // A row's running sum adds at most all the chunk's children; only when that bound
    // is too coarse is the row with the most children looked for.
    if !fits(values.len() as u64) {
        let most = offsets
            .windows(2)
            .map(|w| u64::from(w[1].saturating_sub(w[0])))
            .max()
            .unwrap_or(0);
        if !fits(most) {
            return 0;
        }
    }
    PREFIX.with(|cell| {
        let mut sites = cell.borrow_mut();
        if sites.len() <= site {
            sites.resize_with(site + 1, Vec::new);
        }
        let Some(p) = sites.get_mut(site) else {
            return 0;
        };
        p.clear();
        p.push(0);
        // `map` over a slice keeps the exact length, so `extend` reserves once.
        let mut acc = 0i64;
        p.extend(values.iter().map(|v| {
            acc = acc.wrapping_add(*v);
            acc
        }));
        p.as_ptr() as i64
    })
}

/// How a helper is called: its symbol, address, number of `i64` arguments (a `u32`
/// mode counts as one), and whether it takes a status pointer last.
#[derive(Debug, Clone, Copy)]
pub struct HelperSpec {
    /// The symbol.
    pub name: &'static str,
    /// The function.
    pub address: *const u8,
    /// The number of value arguments.
    pub args: usize,
    /// Whether a `*mut u32` status comes last.
    pub fallible: bool,
    /// Argument 2 is a `u32` (the rounding mode).
    pub mode_arg: bool,
    /// Whether a `*mut i64` for an exact result's denominator comes after the status.
    pub den_out: bool,
}

macro_rules! helpers {
    ($($id:ident = $f:ident($args:expr, $fallible:expr, $mode:expr, $den:expr)),* $(,)?) => {
        /// Every helper, by role; [`Helper::ALL`] is the order of the helper table.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Helper { $(#[doc = stringify!($f)] $id),* }
        impl Helper {
            /// Every helper, in table order.
            pub const ALL: &'static [Helper] = &[$(Helper::$id),*];
            /// How the helper is called.
            pub fn spec(self) -> HelperSpec {
                match self {
                    $(Helper::$id => HelperSpec {
                        name: stringify!($f),
                        address: $f as *const u8,
                        args: $args,
                        fallible: $fallible,
                        mode_arg: $mode,
                        den_out: $den,
                    }),*
                }
            }
        }
    };
}

helpers! {
    MulScaled = bylaw_rt_mul_scaled(3, true, false, false),
    DivScaled = bylaw_rt_div_scaled(3, true, false, false),
    RoundToUnit = bylaw_rt_round_to_unit(3, true, true, false),
    DateAddDays = bylaw_rt_date_add_days(2, true, false, false),
    DateSubDays = bylaw_rt_date_sub_days(2, true, false, false),
    DateAddMonths = bylaw_rt_date_add_months(2, true, false, false),
    DateSubMonths = bylaw_rt_date_sub_months(2, true, false, false),
    MonthsBetween = bylaw_rt_months_between(2, false, false, false),
    DaysBetween = bylaw_rt_days_between(2, false, false, false),
    FloorDiv = bylaw_rt_floor_div(2, false, false, false),
    CeilDiv = bylaw_rt_ceil_div(2, false, false, false),
    ChildPrefix = bylaw_rt_child_prefix(5, false, false, false),
    ExactAdd = bylaw_rt_exact_add(4, true, false, true),
    ExactSub = bylaw_rt_exact_sub(4, true, false, true),
    ExactMul = bylaw_rt_exact_mul(5, true, false, true),
    ExactDiv = bylaw_rt_exact_div(5, true, false, true),
    ExactCmp = bylaw_rt_exact_cmp(4, false, false, false),
    ExactRound = bylaw_rt_exact_round(4, true, true, false),
    ExactQuotient = bylaw_rt_exact_quotient(4, true, true, false),
    YearsBetween = bylaw_rt_years_between(2, false, false, false),
    CalendarDay = bylaw_rt_calendar_day(2, true, false, false),
    AddWorkingDays = bylaw_rt_add_working_days(3, true, false, false),
    WorkingDaysBetween = bylaw_rt_working_days_between(3, true, false, false),
}

impl Helper {
    /// The position of this helper in the table.
    pub fn index(self) -> usize {
        Helper::ALL.iter().position(|h| *h == self).unwrap_or(0)
    }
}

/// The helper table compiled code calls through (see [`KernelCtx::helpers`](super::layout::KernelCtx::helpers)).
pub fn table() -> Vec<*const u8> {
    Helper::ALL.iter().map(|h| h.spec().address).collect()
}

#[cfg(test)]
mod tests {
    use super::{
        bylaw_rt_child_prefix, bylaw_rt_exact_cmp, bylaw_rt_exact_div, bylaw_rt_exact_round,
        bylaw_rt_exact_sub, mode_index,
    };
    use crate::arith::{FEN, RoundingMode};
    use crate::native::layout::{ERR_DIV_ZERO, ERR_NONE, ERR_OVERFLOW};

    #[test]
    fn exact_helpers_return_the_numerator_and_write_the_denominator() {
        let (mut status, mut den) = (ERR_NONE, 0);
        let n = bylaw_rt_exact_div(599, 1, 2, 1, 1, &mut status, &mut den);
        assert_eq!((n, den, status), (599, 2, ERR_NONE));
        let down = mode_index(RoundingMode::Down);
        assert_eq!(bylaw_rt_exact_round(n, den, down, FEN, &mut status), 200);
        assert_eq!(bylaw_rt_exact_cmp(n, den, 300, 1), -1);
        let n = bylaw_rt_exact_div(1, 1, 0, 1, 1, &mut status, &mut den);
        assert_eq!((n, den, status), (0, 1, ERR_DIV_ZERO));
        status = ERR_NONE;
        let n = bylaw_rt_exact_sub(i64::MIN, 1, 1, 3, &mut status, &mut den);
        assert_eq!((n, den, status), (0, 1, ERR_OVERFLOW));
    }

    /// The prefix sums of rows `start..end`, or `None` when the helper declines.
    fn prefix(values: &[i64], offsets: &[u32], start: i64, end: i64) -> Option<Vec<i64>> {
        let (v, o) = (values.as_ptr() as i64, offsets.as_ptr() as i64);
        // SAFETY: `offsets` holds rows `start..=end` and names rows of `values`.
        let p = unsafe { bylaw_rt_child_prefix(v, o, start, end, 0) };
        let c0 = offsets[start as usize] as usize;
        let n = offsets[end as usize] as usize - c0 + 1;
        // SAFETY: a non-zero result points to `n` sums, valid until the next call.
        (p != 0).then(|| unsafe { std::slice::from_raw_parts(p as *const i64, n) }.to_vec())
    }

    #[test]
    fn prefix_sums_start_at_the_first_row_of_the_range() {
        let values = [5, 7, -2, 10, 1];
        let offsets = [0, 2, 3, 5];
        assert_eq!(
            prefix(&values, &offsets, 0, 3),
            Some(vec![0, 5, 12, 10, 20, 21])
        );
        assert_eq!(prefix(&values, &offsets, 1, 3), Some(vec![0, -2, 8, 9]));
        assert_eq!(prefix(&values, &offsets, 2, 2), Some(vec![0]));
    }

    #[test]
    fn a_running_sum_that_could_overflow_declines() {
        let offsets = [0, 2];
        assert_eq!(prefix(&[i64::MAX, -1], &offsets, 0, 1), None);
        assert_eq!(prefix(&[i64::MIN, 0], &[0, 1, 2], 0, 2), None);
        // The bound on |value| is a power of two here: 2^61 + 1 (twice is safe), 2^62.
        let q = 1i64 << 61;
        assert!(prefix(&[q, q], &offsets, 0, 1).is_some());
        assert_eq!(prefix(&[-(q * 2), 0], &offsets, 0, 1), None);
        // Too many children in the chunk for the coarse bound, one per row: accepted.
        let one_each = prefix(&[q, q, q, -q], &[0, 1, 2, 3, 4], 0, 4);
        assert_eq!(one_each.map(|p| p[1]), Some(q));
    }

    #[test]
    fn accepted_sums_never_overflow_part_way() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let shift = (seed % 64) as u32;
            let values: Vec<i64> = (0..4)
                .map(|k| (seed.rotate_left(k * 16) as i64) >> shift)
                .collect();
            let offsets = [0, 1, 3, 4];
            if prefix(&values, &offsets, 0, 3).is_some() {
                for w in offsets.windows(2) {
                    let run = values[w[0] as usize..w[1] as usize]
                        .iter()
                        .try_fold(0i64, |acc, v| acc.checked_add(*v));
                    assert!(run.is_some(), "{values:?} accepted but overflows");
                }
            }
        }
    }
}
