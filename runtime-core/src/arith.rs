//! Exact fixed-point arithmetic shared by the interpreter and generated code.
//!
//! Money is an `i64` in units of 0.0001 元 ([`MONEY_SCALE`]); rates and plain decimals
//! are `i64` millionths ([`MICRO`]); counts and durations are plain `i64`; dates are
//! `i32` days since 1970-01-01. Sums and differences are checked `i64` operations.
//! Products and quotients that change scale are computed exactly in `i128` and then
//! rounded half away from zero to the result's unit ([`mul_scaled`], [`div_scaled`]).
//! Rounding to a coarser unit (money to the fen) happens only in [`round_to_unit`].
//! Nothing here wraps or panics: overflow and division by zero are [`ArithError`]s.

use std::fmt;
use std::str::FromStr;

/// Money scale: one 元 is 10 000 units of 0.0001 元.
pub const MONEY_SCALE: i64 = 10_000;

/// Rate and decimal scale: millionths (2% = 20 000, 0.5 = 500 000).
pub const MICRO: i64 = 1_000_000;

/// One fen (0.01 元) in money units.
pub const FEN: i64 = 100;

/// An arithmetic failure. In an evaluation it stops one household, never the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArithError {
    /// The exact result does not fit the 64-bit representation.
    Overflow,
    /// A quotient with a zero divisor.
    DivisionByZero,
}

impl ArithError {
    /// Stable machine-readable code (used in `error` columns and in tests).
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::Overflow => "overflow",
            Self::DivisionByZero => "division_by_zero",
        }
    }
}

impl fmt::Display for ArithError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Overflow => "arithmetic overflow",
            Self::DivisionByZero => "division by zero",
        })
    }
}

impl std::error::Error for ArithError {}

/// How to round an exact quotient, with the semantics of `java.math.RoundingMode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RoundingMode {
    /// Away from zero.
    Up,
    /// Toward zero (truncate).
    Down,
    /// Toward positive infinity.
    Ceiling,
    /// Toward negative infinity.
    Floor,
    /// To nearest; ties away from zero.
    #[default]
    HalfUp,
    /// To nearest; ties toward zero.
    HalfDown,
    /// To nearest; ties to the even neighbour (banker's rounding).
    HalfEven,
}

impl RoundingMode {
    /// Every mode, in declaration order.
    pub const ALL: [Self; 7] = [
        Self::Up,
        Self::Down,
        Self::Ceiling,
        Self::Floor,
        Self::HalfUp,
        Self::HalfDown,
        Self::HalfEven,
    ];

    /// The snake_case name used in Bylaw source (`half_up`, `down`, …).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Up => "up",
            Self::Down => "down",
            Self::Ceiling => "ceiling",
            Self::Floor => "floor",
            Self::HalfUp => "half_up",
            Self::HalfDown => "half_down",
            Self::HalfEven => "half_even",
        }
    }
}

impl fmt::Display for RoundingMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown rounding-mode name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown rounding mode `{0}`; expected one of `up`, `down`, `ceiling`, `floor`, `half_up`, `half_down`, `half_even`"
)]
pub struct ParseRoundingModeError(pub String);

impl FromStr for RoundingMode {
    type Err = ParseRoundingModeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| ParseRoundingModeError(s.to_owned()))
    }
}

/// Checked `a + b`.
#[inline]
pub fn add(a: i64, b: i64) -> Result<i64, ArithError> {
    a.checked_add(b).ok_or(ArithError::Overflow)
}

/// Checked `a - b`.
#[inline]
pub fn sub(a: i64, b: i64) -> Result<i64, ArithError> {
    a.checked_sub(b).ok_or(ArithError::Overflow)
}

/// Checked `a * b` without rescaling (money × count, count × count, duration × count).
#[inline]
pub fn mul(a: i64, b: i64) -> Result<i64, ArithError> {
    a.checked_mul(b).ok_or(ArithError::Overflow)
}

/// Checked `-a`.
#[inline]
pub fn neg(a: i64) -> Result<i64, ArithError> {
    a.checked_neg().ok_or(ArithError::Overflow)
}

/// The exact quotient `num / den`, rounded by `mode`, as an `i64`.
///
/// # Errors
/// [`ArithError::DivisionByZero`] if `den == 0`; [`ArithError::Overflow`] if the rounded
/// quotient does not fit an `i64`.
pub fn div_round(num: i128, den: i128, mode: RoundingMode) -> Result<i64, ArithError> {
    if den == 0 {
        return Err(ArithError::DivisionByZero);
    }
    let q = num.checked_div(den).ok_or(ArithError::Overflow)?;
    let r = num.checked_rem(den).ok_or(ArithError::Overflow)?;
    let rounded = if r == 0 {
        q
    } else {
        let positive = (num > 0) == (den > 0);
        let away = if positive { q + 1 } else { q - 1 };
        let away_from_zero = match mode {
            RoundingMode::Up => true,
            RoundingMode::Down => false,
            RoundingMode::Ceiling => positive,
            RoundingMode::Floor => !positive,
            RoundingMode::HalfUp | RoundingMode::HalfDown | RoundingMode::HalfEven => {
                // |r| < |den| <= 2^127, so 2|r| fits in u128.
                let twice_r = r.unsigned_abs() * 2;
                let d = den.unsigned_abs();
                match twice_r.cmp(&d) {
                    std::cmp::Ordering::Greater => true,
                    std::cmp::Ordering::Less => false,
                    std::cmp::Ordering::Equal => match mode {
                        RoundingMode::HalfUp => true,
                        RoundingMode::HalfDown => false,
                        _ => q % 2 != 0,
                    },
                }
            }
        };
        if away_from_zero { away } else { q }
    };
    i64::try_from(rounded).map_err(|_| ArithError::Overflow)
}

/// `(a × b) / divisor`, computed exactly in `i128` and rounded half away from zero.
///
/// Money × rate, money × decimal and rate × rate use `divisor` = [`MICRO`].
///
/// # Errors
/// Division by zero if `divisor == 0`; overflow if the result does not fit an `i64`.
#[inline]
pub fn mul_scaled(a: i64, b: i64, divisor: i64) -> Result<i64, ArithError> {
    div_round(
        i128::from(a) * i128::from(b),
        i128::from(divisor),
        RoundingMode::HalfUp,
    )
}

/// `(a × scale) / b`, computed exactly in `i128` and rounded half away from zero.
///
/// Money ÷ count uses `scale` 1; money ÷ money and count ÷ count (giving a decimal) use
/// [`MICRO`]; money ÷ decimal uses [`MICRO`] too.
///
/// # Errors
/// Division by zero if `b == 0`; overflow if the result does not fit an `i64`.
#[inline]
pub fn div_scaled(a: i64, scale: i64, b: i64) -> Result<i64, ArithError> {
    div_round(
        i128::from(a) * i128::from(scale),
        i128::from(b),
        RoundingMode::HalfUp,
    )
}

/// Rounds `value` to a multiple of `unit` (in the same scale) by `mode`.
///
/// Money to the fen is `round_to_unit(m, FEN, mode)`. `unit` must be positive.
///
/// # Errors
/// Division by zero if `unit == 0`; overflow if the rounded value does not fit.
pub fn round_to_unit(value: i64, unit: i64, mode: RoundingMode) -> Result<i64, ArithError> {
    let q = div_round(i128::from(value), i128::from(unit), mode)?;
    mul(q, unit)
}

/// `⌊value / scale⌋`: a decimal or rate (scale [`MICRO`]) to a count.
///
/// `scale` is a positive compile-time constant; a non-positive `scale` is treated as 1
/// (so the function stays total and never traps).
#[inline]
#[must_use]
pub fn floor_div(value: i64, scale: i64) -> i64 {
    if scale <= 0 {
        return value;
    }
    value.div_euclid(scale)
}

/// `⌈value / scale⌉`: a decimal or rate (scale [`MICRO`]) to a count.
///
/// `scale` is a positive compile-time constant; a non-positive `scale` is treated as 1.
#[inline]
#[must_use]
pub fn ceil_div(value: i64, scale: i64) -> i64 {
    if scale <= 0 {
        return value;
    }
    let q = value.div_euclid(scale);
    if value.rem_euclid(scale) == 0 {
        q
    } else {
        // q < value / scale <= i64::MAX / 1, so q + 1 cannot overflow.
        q + 1
    }
}

/// An exact value in a type's scale that a quotient has left unrounded: `num / den`,
/// reduced (`gcd(num, den) = 1`), `den > 0`. Both halves are `i64`; every operation
/// computes in `i128`, reduces, and reports [`ArithError::Overflow`] when the reduced
/// result does not fit, so a value is never approximated. A plain scaled `i64` `v` is
/// `v / 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Exact {
    num: i64,
    den: i64,
}

/// `gcd(a, b)` by Stein's algorithm (no division); `gcd(0, b) = b`.
fn gcd_u128(mut a: u128, mut b: u128) -> u128 {
    if a == 0 {
        return b;
    }
    if b == 0 {
        return a;
    }
    if let (Ok(x), Ok(y)) = (u64::try_from(a), u64::try_from(b)) {
        return u128::from(gcd_u64(x, y));
    }
    let shift = (a | b).trailing_zeros();
    a >>= a.trailing_zeros();
    loop {
        b >>= b.trailing_zeros();
        if a > b {
            std::mem::swap(&mut a, &mut b);
        }
        b -= a;
        if b == 0 {
            return a << shift;
        }
    }
}

fn gcd_u64(mut a: u64, mut b: u64) -> u64 {
    // One Euclid step first: an amount against a count or a small denominator is then
    // done at once, where Stein's algorithm alone would take a step per bit.
    if a >= b {
        if b == 0 {
            return a;
        }
        a %= b;
    } else {
        if a == 0 {
            return b;
        }
        b %= a;
    }
    if a == 0 {
        return b;
    }
    if b == 0 {
        return a;
    }
    if a == 1 || b == 1 {
        return 1;
    }
    let shift = (a | b).trailing_zeros();
    a >>= a.trailing_zeros();
    loop {
        b >>= b.trailing_zeros();
        if a > b {
            std::mem::swap(&mut a, &mut b);
        }
        b -= a;
        if b == 0 {
            return a << shift;
        }
    }
}

impl Exact {
    /// The whole value `v` (already in the type's unit).
    #[must_use]
    pub const fn int(v: i64) -> Exact {
        Exact { num: v, den: 1 }
    }

    /// `num / den`, reduced.
    ///
    /// # Errors
    /// Division by zero if `den == 0`; overflow if the reduced value does not fit.
    pub fn new(num: i64, den: i64) -> Result<Exact, ArithError> {
        Self::reduce(i128::from(num), i128::from(den))
    }

    /// The numerator (its sign is the value's).
    #[must_use]
    pub const fn num(self) -> i64 {
        self.num
    }

    /// The denominator, at least 1.
    #[must_use]
    pub const fn den(self) -> i64 {
        self.den
    }

    /// Whether the value is whole (in the type's unit).
    #[must_use]
    pub const fn is_int(self) -> bool {
        self.den == 1
    }

    /// `num / den` in lowest terms with a positive denominator, if both halves fit.
    fn reduce(num: i128, den: i128) -> Result<Exact, ArithError> {
        if den == 0 {
            return Err(ArithError::DivisionByZero);
        }
        let g = gcd_u128(num.unsigned_abs(), den.unsigned_abs());
        // g ≥ 1 since den ≠ 0; g ≤ |den| ≤ 2^127, so it fits an i128 unless g = 2^127
        // (then num and den are both ±2^127 and the quotient is ±1).
        let (mut num, mut den) = match i128::try_from(g) {
            Ok(g) if g > 1 => (num / g, den / g),
            Ok(_) => (num, den),
            Err(_) => (num.signum() * den.signum(), 1),
        };
        if den < 0 {
            num = num.checked_neg().ok_or(ArithError::Overflow)?;
            den = den.checked_neg().ok_or(ArithError::Overflow)?;
        }
        match (i64::try_from(num), i64::try_from(den)) {
            (Ok(num), Ok(den)) => Ok(Exact { num, den }),
            _ => Err(ArithError::Overflow),
        }
    }

    /// `num / (den × divisor)` in lowest terms, given `num / den` in lowest terms and
    /// `divisor > 0`: a denominator too large for `i128` is an overflow, since no
    /// common factor is left to cancel.
    fn scale_down(num: i128, den: i128, divisor: i128) -> Result<Exact, ArithError> {
        let g = gcd_u128(num.unsigned_abs(), divisor.unsigned_abs());
        let g = i128::try_from(g).map_err(|_| ArithError::Overflow)?;
        let den = den.checked_mul(divisor / g).ok_or(ArithError::Overflow)?;
        Self::reduce(num / g, den)
    }

    /// Checked `self + other`.
    ///
    /// # Errors
    /// Overflow if the reduced sum does not fit.
    pub fn checked_add(self, other: Exact) -> Result<Exact, ArithError> {
        if self.den == 1 && other.den == 1 {
            return add(self.num, other.num).map(Exact::int);
        }
        let (a, b) = (i128::from(self.num), i128::from(self.den));
        let (c, d) = (i128::from(other.num), i128::from(other.den));
        // |a·d|, |c·b| < 2^126: the sum fits.
        Self::reduce(a * d + c * b, b * d)
    }

    /// Checked `self − other`.
    ///
    /// # Errors
    /// Overflow if the reduced difference does not fit.
    pub fn checked_sub(self, other: Exact) -> Result<Exact, ArithError> {
        if self.den == 1 && other.den == 1 {
            return sub(self.num, other.num).map(Exact::int);
        }
        let (a, b) = (i128::from(self.num), i128::from(self.den));
        let (c, d) = (i128::from(other.num), i128::from(other.den));
        Self::reduce(a * d - c * b, b * d)
    }

    /// Checked `−self`.
    ///
    /// # Errors
    /// Overflow for `i64::MIN / den`.
    pub fn checked_neg(self) -> Result<Exact, ArithError> {
        Ok(Exact {
            num: neg(self.num)?,
            den: self.den,
        })
    }

    /// `self × other ÷ divisor` (`divisor` > 0: 1 for money × count, [`MICRO`] for
    /// money × rate), exact.
    ///
    /// # Errors
    /// Division by zero if `divisor` is not positive; overflow if the reduced product
    /// does not fit.
    pub fn mul_scaled(self, other: Exact, divisor: i64) -> Result<Exact, ArithError> {
        if divisor <= 0 {
            return Err(ArithError::DivisionByZero);
        }
        // Cross-cancel so that the product is in lowest terms.
        let g1 = Self::gcd_i64(self.num, other.den);
        let g2 = Self::gcd_i64(other.num, self.den);
        let num = (i128::from(self.num) / g1) * (i128::from(other.num) / g2);
        let den = (i128::from(self.den) / g2) * (i128::from(other.den) / g1);
        if divisor == 1 {
            return Self::reduce(num, den);
        }
        Self::scale_down(num, den, i128::from(divisor))
    }

    /// `self × scale ÷ other` (`scale` > 0: 1 for money ÷ count, [`MICRO`] for the
    /// decimal ratio of two amounts), exact.
    ///
    /// # Errors
    /// Division by zero if `other` is zero or `scale` is not positive; overflow if the
    /// reduced quotient does not fit.
    pub fn div_scaled(self, scale: i64, other: Exact) -> Result<Exact, ArithError> {
        if other.num == 0 || scale <= 0 {
            return Err(ArithError::DivisionByZero);
        }
        let g1 = Self::gcd_i64(self.num, other.num);
        let g2 = Self::gcd_i64(self.den, other.den);
        let mut num = (i128::from(self.num) / g1) * (i128::from(other.den) / g2);
        let mut den = (i128::from(self.den) / g2) * (i128::from(other.num) / g1);
        if den < 0 {
            num = -num;
            den = -den;
        }
        // num / den is in lowest terms; multiply by scale, cancelling what den shares.
        let scale = i128::from(scale);
        let g = i128::try_from(gcd_u128(den.unsigned_abs(), scale.unsigned_abs()))
            .map_err(|_| ArithError::Overflow)?;
        let num = num.checked_mul(scale / g).ok_or(ArithError::Overflow)?;
        Self::reduce(num, den / g)
    }

    /// `gcd(|a|, |b|)` as an `i128`, at least 1.
    fn gcd_i64(a: i64, b: i64) -> i128 {
        let g = gcd_u64(a.unsigned_abs(), b.unsigned_abs());
        i128::from(g.max(1))
    }

    /// Compares two exact values (`a/b` against `c/d` as `a·d` against `c·b`).
    #[must_use]
    pub fn cmp_exact(self, other: Exact) -> std::cmp::Ordering {
        if self.den == other.den {
            return self.num.cmp(&other.num);
        }
        (i128::from(self.num) * i128::from(other.den))
            .cmp(&(i128::from(other.num) * i128::from(self.den)))
    }

    /// `self ÷ scale` rounded to a whole number by `mode` (`scale` > 0; `floor` of a
    /// decimal is `quotient(MICRO, Floor)`).
    ///
    /// # Errors
    /// Division by zero if `scale` is not positive; overflow if the result does not fit.
    pub fn quotient(self, scale: i64, mode: RoundingMode) -> Result<i64, ArithError> {
        if scale <= 0 {
            return Err(ArithError::DivisionByZero);
        }
        div_round(
            i128::from(self.num),
            i128::from(self.den) * i128::from(scale),
            mode,
        )
    }

    /// The multiple of `unit` that `mode` rounds `self` to (money to the fen: `unit` =
    /// [`FEN`]; to the unit of storage: `unit` = 1 with [`RoundingMode::HalfUp`]).
    ///
    /// # Errors
    /// Division by zero if `unit` is not positive; overflow if the result does not fit.
    pub fn round_to_unit(self, unit: i64, mode: RoundingMode) -> Result<i64, ArithError> {
        mul(self.quotient(unit, mode)?, unit)
    }

    /// The value an output column shows: rounded half up to the unit of storage
    /// (0.0001 元, 10⁻⁶).
    ///
    /// # Errors
    /// Never in practice (the rounded value is no larger than the numerator); kept
    /// fallible like every rounding.
    pub fn to_storage(self) -> Result<i64, ArithError> {
        self.quotient(1, RoundingMode::HalfUp)
    }
}

impl fmt::Display for Exact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.den == 1 {
            write!(f, "{}", self.num)
        } else {
            write!(f, "{}/{}", self.num, self.den)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;
    use proptest::prelude::*;
    use rust_decimal::{Decimal, RoundingStrategy};

    #[test]
    fn exact_dibao_benefit_is_rounded_once() {
        // (1,000.05 − 2,000 / 3) × 3 + 0.1 × 1,000.05 × 1, in units of 0.0001 元.
        let standard = Exact::int(10_000_500);
        let per_capita = Exact::int(20_000_000).div_scaled(1, Exact::int(3)).unwrap();
        assert_eq!((per_capita.num(), per_capita.den()), (20_000_000, 3));
        let gap = standard.checked_sub(per_capita).unwrap();
        let paid = gap.mul_scaled(Exact::int(3), 1).unwrap();
        let extra = standard
            .mul_scaled(Exact::int(100_000), MICRO)
            .unwrap()
            .mul_scaled(Exact::int(1), 1)
            .unwrap();
        let total = paid.checked_add(extra).unwrap();
        assert_eq!(total, Exact::int(11_001_550));
        assert_eq!(
            total.round_to_unit(FEN, RoundingMode::HalfUp),
            Ok(11_001_600)
        );
    }

    #[test]
    fn exact_quotient_rounds_down_from_the_exact_value() {
        let q = Exact::int(599).div_scaled(1, Exact::int(2)).unwrap();
        assert_eq!(q.round_to_unit(FEN, RoundingMode::Down), Ok(200));
        assert_eq!(q.round_to_unit(FEN, RoundingMode::Floor), Ok(200));
        assert_eq!(
            q.checked_neg()
                .unwrap()
                .round_to_unit(FEN, RoundingMode::Floor),
            Ok(-300)
        );
        // Shown in an output column: half up to the unit of storage.
        assert_eq!(q.to_storage(), Ok(300));
        // floor of the decimal 0.0599 元 / 1 元 / 2 = 0.02995: 0.
        let d = q.div_scaled(MICRO, Exact::int(10_000)).unwrap();
        assert_eq!(d.quotient(MICRO, RoundingMode::Floor), Ok(0));
    }

    #[test]
    fn exact_values_compare_exactly() {
        let third = Exact::new(2_000, 3).unwrap();
        assert_eq!(third.cmp_exact(Exact::int(667)), std::cmp::Ordering::Less);
        assert_eq!(
            third.cmp_exact(Exact::int(666)),
            std::cmp::Ordering::Greater
        );
        assert_eq!(
            Exact::new(4, 6)
                .unwrap()
                .cmp_exact(Exact::new(2, 3).unwrap()),
            std::cmp::Ordering::Equal
        );
        let tiny = Exact::new(1, i64::MAX).unwrap();
        assert_eq!(tiny.cmp_exact(Exact::int(0)), std::cmp::Ordering::Greater);
    }

    #[test]
    fn exact_values_reduce_and_never_approximate() {
        assert_eq!(Exact::new(6, -4).unwrap(), Exact::new(-3, 2).unwrap());
        assert_eq!(Exact::new(1, 0), Err(ArithError::DivisionByZero));
        assert_eq!(
            Exact::int(1).div_scaled(1, Exact::int(0)),
            Err(ArithError::DivisionByZero)
        );
        // Denominators that multiply past i64 with nothing to cancel: overflow.
        let a = Exact::new(1, 1_000_003).unwrap();
        let b = Exact::new(1, 999_999_937).unwrap();
        let c = Exact::new(1, 1_000_000_007).unwrap();
        let ab = a.checked_add(b).unwrap();
        assert_eq!(ab.checked_add(c), Err(ArithError::Overflow));
        // A numerator past i64: overflow, even when the value is whole.
        assert_eq!(
            Exact::int(i64::MAX).checked_add(Exact::int(1)),
            Err(ArithError::Overflow)
        );
        assert_eq!(
            Exact::int(i64::MIN).checked_neg(),
            Err(ArithError::Overflow)
        );
        // Cancelling first keeps a product representable.
        let big = Exact::new(i64::MAX, 3).unwrap();
        assert_eq!(big.mul_scaled(Exact::int(3), 1), Ok(Exact::int(i64::MAX)));
        // A quotient by counts up to a million, chained.
        let q = Exact::int(i64::MAX)
            .div_scaled(1, Exact::int(1_000_000))
            .and_then(|x| x.div_scaled(1, Exact::int(999_999)))
            .unwrap();
        // i64::MAX = 7² × 73 × 127 × 337 × 92737 × 649657 shares the 7 of 999,999.
        assert_eq!((q.num(), q.den()), (i64::MAX / 7, 142_857_000_000));
    }

    fn strategy(mode: RoundingMode) -> RoundingStrategy {
        match mode {
            RoundingMode::Up => RoundingStrategy::AwayFromZero,
            RoundingMode::Down => RoundingStrategy::ToZero,
            RoundingMode::Ceiling => RoundingStrategy::ToPositiveInfinity,
            RoundingMode::Floor => RoundingStrategy::ToNegativeInfinity,
            RoundingMode::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            RoundingMode::HalfDown => RoundingStrategy::MidpointTowardZero,
            RoundingMode::HalfEven => RoundingStrategy::MidpointNearestEven,
        }
    }

    /// Java's documented table for RoundingMode (5.5, 2.5, 1.6, 1.1, 1.0, -1.0, -1.1,
    /// -1.6, -2.5, -5.5), as tenths over 10.
    #[test]
    fn java_rounding_table() {
        let inputs = [55, 25, 16, 11, 10, -10, -11, -16, -25, -55];
        let table: [(RoundingMode, [i64; 10]); 7] = [
            (RoundingMode::Up, [6, 3, 2, 2, 1, -1, -2, -2, -3, -6]),
            (RoundingMode::Down, [5, 2, 1, 1, 1, -1, -1, -1, -2, -5]),
            (RoundingMode::Ceiling, [6, 3, 2, 2, 1, -1, -1, -1, -2, -5]),
            (RoundingMode::Floor, [5, 2, 1, 1, 1, -1, -2, -2, -3, -6]),
            (RoundingMode::HalfUp, [6, 3, 2, 1, 1, -1, -1, -2, -3, -6]),
            (RoundingMode::HalfDown, [5, 2, 2, 1, 1, -1, -1, -2, -2, -5]),
            (RoundingMode::HalfEven, [6, 2, 2, 1, 1, -1, -1, -2, -2, -6]),
        ];
        for (mode, expected) in table {
            for (input, want) in inputs.iter().zip(expected) {
                assert_eq!(div_round(*input, 10, mode), Ok(want), "{mode} {input}");
                // The same with a negative denominator.
                assert_eq!(div_round(-*input, -10, mode), Ok(want), "{mode} {input}");
            }
        }
    }

    #[test]
    fn errors_and_codes() {
        assert_eq!(
            div_round(1, 0, RoundingMode::HalfUp),
            Err(ArithError::DivisionByZero)
        );
        assert_eq!(
            div_round(i128::MIN, -1, RoundingMode::Down),
            Err(ArithError::Overflow)
        );
        assert_eq!(
            div_round(i128::from(i64::MAX) + 1, 1, RoundingMode::Down),
            Err(ArithError::Overflow)
        );
        assert_eq!(
            div_round(i128::from(i64::MIN), 1, RoundingMode::Down),
            Ok(i64::MIN)
        );
        assert_eq!(add(i64::MAX, 1), Err(ArithError::Overflow));
        assert_eq!(sub(i64::MIN, 1), Err(ArithError::Overflow));
        assert_eq!(mul(i64::MAX, 2), Err(ArithError::Overflow));
        assert_eq!(neg(i64::MIN), Err(ArithError::Overflow));
        assert_eq!(neg(5), Ok(-5));
        assert_eq!(ArithError::Overflow.code(), "overflow");
        assert_eq!(ArithError::DivisionByZero.code(), "division_by_zero");
        assert_eq!(ArithError::Overflow.to_string(), "arithmetic overflow");
        assert_eq!(ArithError::DivisionByZero.to_string(), "division by zero");
    }

    #[test]
    fn rounding_mode_names_round_trip() {
        for mode in RoundingMode::ALL {
            assert_eq!(mode.as_str().parse::<RoundingMode>(), Ok(mode));
        }
        assert_eq!(RoundingMode::default(), RoundingMode::HalfUp);
        let err = "HALF_UP".parse::<RoundingMode>().unwrap_err();
        assert!(err.to_string().contains("`HALF_UP`"));
    }

    #[test]
    fn money_examples() {
        // 1338 元 × 2% = 26.76 元
        assert_eq!(mul_scaled(1338 * MONEY_SCALE, 20_000, MICRO), Ok(267_600));
        // 100 元 / 3 persons = 33.3333 元 (0.0001 元 units, half away from zero)
        assert_eq!(div_scaled(100 * MONEY_SCALE, 1, 3), Ok(333_333));
        assert_eq!(div_scaled(200 * MONEY_SCALE, 1, 3), Ok(666_667));
        assert_eq!(div_scaled(-200 * MONEY_SCALE, 1, 3), Ok(-666_667));
        // money ÷ money → decimal
        assert_eq!(div_scaled(1, MICRO, 3), Ok(333_333));
        assert_eq!(div_scaled(5, 1, 0), Err(ArithError::DivisionByZero));
        // 33.3350 元 to the fen
        assert_eq!(
            round_to_unit(333_350, FEN, RoundingMode::HalfUp),
            Ok(333_400)
        );
        assert_eq!(
            round_to_unit(333_350, FEN, RoundingMode::HalfEven),
            Ok(333_400)
        );
        assert_eq!(
            round_to_unit(333_250, FEN, RoundingMode::HalfEven),
            Ok(333_200)
        );
        assert_eq!(
            round_to_unit(-333_350, FEN, RoundingMode::HalfUp),
            Ok(-333_400)
        );
        assert_eq!(
            round_to_unit(-333_301, FEN, RoundingMode::Floor),
            Ok(-333_400)
        );
        assert_eq!(
            round_to_unit(5, 0, RoundingMode::Floor),
            Err(ArithError::DivisionByZero)
        );
        assert_eq!(
            round_to_unit(i64::MAX, FEN, RoundingMode::Up),
            Err(ArithError::Overflow)
        );
    }

    #[test]
    fn floor_and_ceil() {
        assert_eq!(floor_div(2_500_000, MICRO), 2);
        assert_eq!(ceil_div(2_500_000, MICRO), 3);
        assert_eq!(floor_div(-2_500_000, MICRO), -3);
        assert_eq!(ceil_div(-2_500_000, MICRO), -2);
        assert_eq!(floor_div(3 * MICRO, MICRO), 3);
        assert_eq!(ceil_div(3 * MICRO, MICRO), 3);
        assert_eq!(ceil_div(i64::MAX, MICRO), i64::MAX / MICRO + 1);
        assert_eq!(floor_div(i64::MIN, MICRO), i64::MIN / MICRO - 1);
        assert_eq!(ceil_div(i64::MIN, 1), i64::MIN);
        assert_eq!(floor_div(7, 0), 7);
    }

    fn any_mode() -> impl Strategy<Value = RoundingMode> {
        proptest::sample::select(RoundingMode::ALL.to_vec())
    }

    /// Reference: rust_decimal's quotient rounded to an integer. Decimal division keeps
    /// 28 significant digits, so the strategies below keep the quotient's integer part
    /// plus the digits that decide rounding (the distance of the fraction from 0, 1/2
    /// and 1 is at least 1/(2|den|)) inside that precision, or use denominators whose
    /// quotients terminate.
    fn reference_div(num: i64, den: i64, mode: RoundingMode) -> Option<i64> {
        let q = Decimal::from(num).checked_div(Decimal::from(den))?;
        let rounded = q.round_dp_with_strategy(0, strategy(mode));
        i64::try_from(rounded).ok()
    }

    /// ±2^a·5^b: quotients by these terminate after at most 8 decimals, and ties are
    /// frequent.
    fn terminating_den() -> impl Strategy<Value = i64> {
        (0u32..=8, 0u32..=8, any::<bool>()).prop_map(|(a, b, negative)| {
            let d = 2i64.pow(a) * 5i64.pow(b);
            if negative { -d } else { d }
        })
    }

    proptest! {
        #[test]
        fn div_round_matches_rust_decimal_wide_numerators(
            num in -(1i64 << 62)..(1i64 << 62),
            den in -10_000i64..10_000,
            mode in any_mode(),
        ) {
            prop_assume!(den != 0);
            let ours = div_round(i128::from(num), i128::from(den), mode);
            prop_assert_eq!(ours.ok(), reference_div(num, den, mode));
        }

        #[test]
        fn div_round_matches_rust_decimal_wide_denominators(
            num in -1_000_000_000_000_000i64..1_000_000_000_000_000,
            den in -1_000_000i64..1_000_000,
            mode in any_mode(),
        ) {
            prop_assume!(den != 0);
            let ours = div_round(i128::from(num), i128::from(den), mode);
            prop_assert_eq!(ours.ok(), reference_div(num, den, mode));
        }

        #[test]
        fn div_round_matches_rust_decimal_on_ties(
            num in -(1i64 << 62)..(1i64 << 62),
            den in terminating_den(),
            mode in any_mode(),
        ) {
            let ours = div_round(i128::from(num), i128::from(den), mode);
            prop_assert_eq!(ours.ok(), reference_div(num, den, mode));
            // Exact midpoints: (2k+1)·den / 2 when den is even.
            if den % 2 == 0 {
                let k = num / den / 4;
                let tie = (2 * k + 1) * (den / 2);
                let ours = div_round(i128::from(tie), i128::from(den), mode);
                prop_assert_eq!(ours.ok(), reference_div(tie, den, mode));
            }
        }

        #[test]
        fn div_round_small(
            num in -10_000i64..10_000,
            den in -50i64..50,
            mode in any_mode(),
        ) {
            prop_assume!(den != 0);
            let ours = div_round(i128::from(num), i128::from(den), mode);
            prop_assert_eq!(ours.ok(), reference_div(num, den, mode));
        }

        #[test]
        fn div_round_reports_i64_overflow(
            num in any::<i128>(),
            den in prop_oneof![Just(1i128), Just(-1i128), -1_000i128..1_000],
            mode in any_mode(),
        ) {
            prop_assume!(den != 0);
            match div_round(num, den, mode) {
                Ok(v) => {
                    // v is within one of the truncated quotient.
                    let t = num / den;
                    prop_assert!((i128::from(v) - t).abs() <= 1);
                }
                Err(e) => {
                    prop_assert_eq!(e, ArithError::Overflow);
                    let t = num.checked_div(den);
                    prop_assert!(t.is_none_or(|t| t >= i128::from(i64::MAX) || t <= i128::from(i64::MIN)));
                }
            }
        }

        #[test]
        fn mul_scaled_matches_rust_decimal(
            a in -(1i64 << 50)..(1i64 << 50),
            b in -(1i64 << 40)..(1i64 << 40),
        ) {
            let ours = mul_scaled(a, b, MICRO);
            let exact = Decimal::from(a) * Decimal::from(b) / Decimal::from(MICRO);
            let reference = exact.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
            match ours {
                Ok(v) => prop_assert_eq!(Decimal::from(v), reference),
                Err(e) => {
                    prop_assert_eq!(e, ArithError::Overflow);
                    prop_assert!(reference > Decimal::from(i64::MAX) || reference < Decimal::from(i64::MIN));
                }
            }
        }

        #[test]
        fn overflow_is_reported_never_wraps(a in any::<i64>(), b in any::<i64>()) {
            let wide = i128::from(a) * i128::from(b);
            match mul(a, b) {
                Ok(v) => prop_assert_eq!(i128::from(v), wide),
                Err(e) => {
                    prop_assert_eq!(e, ArithError::Overflow);
                    prop_assert!(i64::try_from(wide).is_err());
                }
            }
            let sum = i128::from(a) + i128::from(b);
            match add(a, b) {
                Ok(v) => prop_assert_eq!(i128::from(v), sum),
                Err(_) => prop_assert!(i64::try_from(sum).is_err()),
            }
            match mul_scaled(a, b, 1) {
                Ok(v) => prop_assert_eq!(i128::from(v), wide),
                Err(_) => prop_assert!(i64::try_from(wide).is_err()),
            }
        }

        #[test]
        fn round_to_unit_is_a_multiple_within_one_unit(
            v in -(1i64 << 60)..(1i64 << 60),
            mode in any_mode(),
        ) {
            let r = round_to_unit(v, FEN, mode).unwrap();
            prop_assert_eq!(r % FEN, 0);
            prop_assert!((r - v).abs() < FEN);
        }

        #[test]
        fn floor_ceil_bracket(v in any::<i64>()) {
            let f = floor_div(v, MICRO);
            let c = ceil_div(v, MICRO);
            prop_assert!(i128::from(f) * i128::from(MICRO) <= i128::from(v));
            prop_assert!(i128::from(c) * i128::from(MICRO) >= i128::from(v));
            prop_assert!(c - f <= 1);
        }
    }
}
