//! Scaled products, quotients and rounding built inline, with the runtime helper as the
//! slow path. `runtime::arith` computes them in `i128`; when the exact numerator fits an
//! `i64` and the division cannot trap (divisor neither 0 nor −1), the same quotient and
//! the same rounding decision come from one `i64` division. A constant divisor, or a
//! count up to 64, is a multiplication by its reciprocal, with the rounding decided on
//! the magnitude. Every other case (overflowing products, zero or −1 divisors) calls
//! the helper, so errors and edge cases stay the runtime's.

use bylaw_runtime::arith::RoundingMode;
use cranelift_codegen::ir::Value as Val;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::types;
use cranelift_codegen::ir::{InstBuilder, MemFlagsData};
use cranelift_module::Module;

use super::{Fn, I64, args};
use crate::CodegenError;
use crate::layout::ERR_OVERFLOW;
use bylaw_runtime::native::helpers::{Helper, mode_index};

/// Counts up to this have a reciprocal in the table (`div_by_count`).
pub const RECIPROCALS: usize = 64;

/// The multiplier and shift that divide by `d` (2 ≤ d ≤ 2^63) any magnitude up to
/// 2^63: with `s = ⌈log2 d⌉`, `M = ⌈2^(63+s) / d⌉ < 2^64`, and `⌊a / d⌋ =
/// ⌊a·M / 2^(63+s)⌋ = (umulhi(a, M)) >> (s − 1)` for every `a ≤ 2^63`: writing
/// `M·d = 2^(63+s) + e` with `0 ≤ e < d`, the error `a·e / (d·2^(63+s))` is below
/// `1/d`, and the fraction of `a / d` is at most `(d − 1)/d`. For `d = 1`: (0, 0).
pub(crate) fn reciprocal(d: u64) -> (u64, u64) {
    if d < 2 {
        return (0, 0);
    }
    let s = 64 - u64::from((d - 1).leading_zeros());
    let m = (1u128 << (63 + s)).div_ceil(u128::from(d));
    (u64::try_from(m).unwrap_or(u64::MAX), s - 1)
}

impl<M: Module> Fn<'_, '_, M> {
    /// `(a × b) / divisor` rounded half up, as `arith::mul_scaled`.
    pub(super) fn mul_scaled(&mut self, a: Val, b: Val, divisor: i64) -> Result<Val, CodegenError> {
        if divisor < 2 {
            let d = self.iconst(divisor);
            return self.call_helper(Helper::MulScaled, &[a, b, d]);
        }
        let (p, overflow) = self.b.ins().smul_overflow(a, b);
        self.fast_or_helper(overflow, Helper::MulScaled, &[a, b], divisor, |s| {
            let (negative, q_abs) = s.round_magnitude(p, divisor, RoundingMode::HalfUp);
            let q_neg = s.b.ins().ineg(q_abs);
            s.b.ins().select(negative, q_neg, q_abs)
        })
    }

    /// `(a × scale) / b` rounded half up, as `arith::div_scaled`. `by_count`: `b` is a
    /// `count(…)`, never negative.
    pub(super) fn div_scaled(
        &mut self,
        a: Val,
        scale: i64,
        b: Val,
        by_count: bool,
    ) -> Result<Val, CodegenError> {
        if scale < 1 {
            let s = self.iconst(scale);
            return self.call_helper(Helper::DivScaled, &[a, s, b]);
        }
        let (p, overflow) = if scale == 1 {
            (a, self.b.ins().iconst(types::I8, 0))
        } else {
            let s = self.iconst(scale);
            self.b.ins().smul_overflow(a, s)
        };
        let zero = self.b.ins().icmp_imm_s(IntCC::Equal, b, 0);
        let bad = if by_count {
            zero
        } else {
            let minus_one = self.b.ins().icmp_imm_s(IntCC::Equal, b, -1);
            self.b.ins().bor(zero, minus_one)
        };
        let slow = self.b.ins().bor(overflow, bad);
        let s = self.iconst(scale);
        let merge = self.b.create_block();
        self.b.append_block_param(merge, I64);
        let fast = self.b.create_block();
        let cold = self.b.create_block();
        self.b.set_cold_block(cold);
        self.b.ins().brif(slow, cold, &[], fast, &[]);
        self.b.switch_to_block(cold);
        let v = self.call_helper(Helper::DivScaled, &[a, s, b])?;
        self.b.ins().jump(merge, &args(&[v]));
        self.b.switch_to_block(fast);
        let v = if by_count {
            self.div_by_count(p, b)?
        } else {
            self.div_round(p, b, RoundingMode::HalfUp)
        };
        self.b.ins().jump(merge, &args(&[v]));
        self.b.switch_to_block(merge);
        self.block_param(merge)
    }

    /// `arith::div_round(p, b, HalfUp)` for a count `b ≥ 1`: for household sizes up to
    /// [`RECIPROCALS`] a multiplication by the reciprocal from a table replaces the
    /// division (exact for every `i64`, see [`reciprocal`]); larger counts divide.
    fn div_by_count(&mut self, p: Val, b: Val) -> Result<Val, CodegenError> {
        let merge = self.b.create_block();
        self.b.append_block_param(merge, I64);
        let small = self.b.create_block();
        let large = self.b.create_block();
        let idx = self.b.ins().iadd_imm_s(b, -1);
        let in_table = self
            .b
            .ins()
            .icmp_imm_u(IntCC::UnsignedLessThan, idx, RECIPROCALS as i64);
        self.b.ins().brif(in_table, small, &[], large, &[]);

        self.b.switch_to_block(small);
        let base = self.reciprocals()?;
        let at = self.b.ins().imul_imm_s(idx, 16);
        let at = self.b.ins().iadd(base, at);
        let ro = MemFlagsData::trusted().with_readonly();
        let m = self.b.ins().load(I64, ro, at, 0);
        let shift = self.b.ins().load(I64, ro, at, 8);
        // In magnitudes, half up is one comparison: `q = ⌊|p| / b⌋ + (2r ≥ b)`, then
        // the sign. |i64::MIN| read unsigned is 2^63, within the table's exact range.
        let negative = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, p, 0);
        let magnitude = self.b.ins().iabs(p);
        let high = self.b.ins().umulhi(magnitude, m);
        let q_abs = self.b.ins().ushr(high, shift);
        let back = self.b.ins().imul(q_abs, b);
        let r = self.b.ins().isub(magnitude, back);
        let twice = self.b.ins().iadd(r, r);
        let half_or_more = self
            .b
            .ins()
            .icmp(IntCC::UnsignedGreaterThanOrEqual, twice, b);
        let up = self.b.ins().uextend(I64, half_or_more);
        let q_abs = self.b.ins().iadd(q_abs, up);
        let q_neg = self.b.ins().ineg(q_abs);
        let rounded = self.b.ins().select(negative, q_neg, q_abs);
        // The table's entry for 1 is empty: a quotient by 1 is `p` itself.
        let one = self.b.ins().icmp_imm_s(IntCC::Equal, b, 1);
        let v = self.b.ins().select(one, p, rounded);
        self.b.ins().jump(merge, &args(&[v]));

        self.b.switch_to_block(large);
        let v = self.div_round(p, b, RoundingMode::HalfUp);
        self.b.ins().jump(merge, &args(&[v]));
        self.b.switch_to_block(merge);
        self.block_param(merge)
    }

    /// `value` rounded by `mode` to a multiple of `unit`, as `arith::round_to_unit`.
    pub(super) fn round_to_unit(
        &mut self,
        value: Val,
        unit: i64,
        mode: RoundingMode,
    ) -> Result<Val, CodegenError> {
        if unit < 2 {
            let u = self.iconst(unit);
            let m = self.b.ins().iconst(types::I32, i64::from(mode_index(mode)));
            return self.call_helper(Helper::RoundToUnit, &[value, u, m]);
        }
        let (negative, q_abs) = self.round_magnitude(value, unit, mode);
        // |q| × unit ≤ 2^63 + unit fits a u64, and the result if below 2^63 (one sign
        // test on the hot path), or if exactly 2^63 for a negative value (`i64::MIN`).
        let m = self.b.ins().imul_imm_s(q_abs, unit);
        let m_neg = self.b.ins().ineg(m);
        let rounded = self.b.ins().select(negative, m_neg, m);
        let big = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, m, 0);
        let cont = self.cold_site(big);
        let min = self.b.ins().icmp_imm_s(IntCC::Equal, m, i64::MIN);
        let fits = self.b.ins().band(negative, min);
        let overflow = self.b.ins().icmp_imm_s(IntCC::Equal, fits, 0);
        self.fail_if(overflow, ERR_OVERFLOW, 0, None);
        self.b.ins().jump(cont, &[]);
        self.b.switch_to_block(cont);
        Ok(rounded)
    }

    /// `|value| / unit` rounded by `mode`, for a constant `unit ≥ 2`, and whether
    /// `value` is negative: the quotient's sign is the value's, so every mode is a
    /// decision on the magnitude alone (the result is at most 2^62 + 1).
    fn round_magnitude(&mut self, value: Val, unit: i64, mode: RoundingMode) -> (Val, Val) {
        let negative = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, value, 0);
        // |i64::MIN| read unsigned is 2^63.
        let magnitude = self.b.ins().iabs(value);
        // The magnitude is at most 2^63: a multiplication by the reciprocal divides.
        let (multiplier, shift) = reciprocal(unit as u64);
        let multiplier = self.iconst(multiplier as i64);
        let high = self.b.ins().umulhi(magnitude, multiplier);
        let q = self.b.ins().ushr_imm_u(high, shift as i64);
        let back = self.b.ins().imul_imm_s(q, unit);
        let r = self.b.ins().isub(magnitude, back);
        let inexact = self.b.ins().icmp_imm_s(IntCC::NotEqual, r, 0);
        // 2r ≥ unit ⇔ r ≥ ⌈unit / 2⌉; 2r > unit ⇔ r > ⌊unit / 2⌋.
        let up = match mode {
            RoundingMode::Down => return (negative, q),
            RoundingMode::Up => inexact,
            RoundingMode::Ceiling => {
                let positive = self
                    .b
                    .ins()
                    .icmp_imm_s(IntCC::SignedGreaterThanOrEqual, value, 0);
                self.b.ins().band(inexact, positive)
            }
            RoundingMode::Floor => self.b.ins().band(inexact, negative),
            RoundingMode::HalfUp => {
                self.b
                    .ins()
                    .icmp_imm_u(IntCC::UnsignedGreaterThanOrEqual, r, (unit + 1) / 2)
            }
            RoundingMode::HalfDown => {
                self.b
                    .ins()
                    .icmp_imm_u(IntCC::UnsignedGreaterThan, r, unit / 2)
            }
            RoundingMode::HalfEven => {
                let above = self
                    .b
                    .ins()
                    .icmp_imm_u(IntCC::UnsignedGreaterThan, r, unit / 2);
                let twice = self.b.ins().iadd(r, r);
                let tie = self.b.ins().icmp_imm_s(IntCC::Equal, twice, unit);
                let odd = self.b.ins().band_imm_u(q, 1);
                let odd = self.b.ins().icmp_imm_s(IntCC::NotEqual, odd, 0);
                let tie_odd = self.b.ins().band(tie, odd);
                self.b.ins().bor(above, tie_odd)
            }
        };
        let up = self.b.ins().uextend(I64, up);
        (negative, self.b.ins().iadd(q, up))
    }

    /// `⌊value / scale⌋` or `⌈value / scale⌉`, as `arith::floor_div` / `ceil_div`.
    pub(super) fn floor_ceil(
        &mut self,
        value: Val,
        scale: i64,
        ceil: bool,
    ) -> Result<Val, CodegenError> {
        if scale < 2 {
            // Non-positive scales are the identity in the runtime, and so is 1.
            return Ok(value);
        }
        let s = self.iconst(scale);
        let q = self.b.ins().sdiv(value, s);
        let back = self.b.ins().imul(q, s);
        let r = self.b.ins().isub(value, back);
        let negative = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, r, 0);
        let minus_one = self.b.ins().iadd_imm_s(q, -1);
        let floor = self.b.ins().select(negative, minus_one, q);
        if !ceil {
            return Ok(floor);
        }
        // Ceiling: the floor, plus one unless exact (q + 1 cannot overflow: scale ≥ 2).
        let exact = self.b.ins().icmp_imm_s(IntCC::Equal, r, 0);
        let plus_one = self.b.ins().iadd_imm_s(floor, 1);
        Ok(self.b.ins().select(exact, floor, plus_one))
    }

    /// Runs `fast` unless `slow` is set, else calls `helper` with `helper_args` and the
    /// constant `divisor`; returns the merged value.
    fn fast_or_helper(
        &mut self,
        slow: Val,
        helper: Helper,
        helper_args: &[Val],
        divisor: i64,
        fast: impl FnOnce(&mut Self) -> Val,
    ) -> Result<Val, CodegenError> {
        let merge = self.b.create_block();
        self.b.append_block_param(merge, I64);
        let fast_block = self.b.create_block();
        let cold = self.b.create_block();
        self.b.set_cold_block(cold);
        self.b.ins().brif(slow, cold, &[], fast_block, &[]);
        self.b.switch_to_block(cold);
        let mut a = helper_args.to_vec();
        let d = self.iconst(divisor);
        a.push(d);
        let v = self.call_helper(helper, &a)?;
        self.b.ins().jump(merge, &args(&[v]));
        self.b.switch_to_block(fast_block);
        let v = fast(self);
        self.b.ins().jump(merge, &args(&[v]));
        self.b.switch_to_block(merge);
        self.block_param(merge)
    }

    /// `arith::div_round` for an `i64` numerator and a divisor that is neither 0 nor
    /// −1 (the caller guarantees it): the division cannot trap and the rounded
    /// quotient always fits (a remainder implies |den| ≥ 2, so |q| ≤ |num| / 2).
    /// (A constant divisor takes [`Self::round_magnitude`] instead.)
    fn div_round(&mut self, num: Val, den: Val, mode: RoundingMode) -> Val {
        let q = self.b.ins().sdiv(num, den);
        let back = self.b.ins().imul(q, den);
        let r = self.b.ins().isub(num, back);
        if mode == RoundingMode::Down {
            return q;
        }
        let inexact = self.b.ins().icmp_imm_s(IntCC::NotEqual, r, 0);
        // With a remainder both operands are non-zero: the exact quotient is positive
        // when their signs agree.
        let signs = self.b.ins().bxor(num, den);
        let positive = self
            .b
            .ins()
            .icmp_imm_s(IntCC::SignedGreaterThanOrEqual, signs, 0);
        let plus = self.b.ins().iadd_imm_s(q, 1);
        let minus = self.b.ins().iadd_imm_s(q, -1);
        let away = self.b.ins().select(positive, plus, minus);
        let take_away = match mode {
            RoundingMode::Down => return q,
            RoundingMode::Up => inexact,
            RoundingMode::Ceiling => self.b.ins().band(inexact, positive),
            RoundingMode::Floor => {
                let negative = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, signs, 0);
                self.b.ins().band(inexact, negative)
            }
            RoundingMode::HalfUp | RoundingMode::HalfDown | RoundingMode::HalfEven => {
                // |r| < |den| ≤ 2^63, so 2|r| fits a u64; iabs(i64::MIN) read unsigned
                // is 2^63, the right magnitude. A zero remainder is never ≥ |den|.
                let ar = self.b.ins().iabs(r);
                let twice = self.b.ins().iadd(ar, ar);
                let ad = self.b.ins().iabs(den);
                match mode {
                    RoundingMode::HalfUp => {
                        self.b
                            .ins()
                            .icmp(IntCC::UnsignedGreaterThanOrEqual, twice, ad)
                    }
                    RoundingMode::HalfDown => {
                        self.b.ins().icmp(IntCC::UnsignedGreaterThan, twice, ad)
                    }
                    _ => {
                        let above = self.b.ins().icmp(IntCC::UnsignedGreaterThan, twice, ad);
                        let tie = self.b.ins().icmp(IntCC::Equal, twice, ad);
                        let odd = self.b.ins().band_imm_u(q, 1);
                        let odd = self.b.ins().icmp_imm_s(IntCC::NotEqual, odd, 0);
                        let tie_odd = self.b.ins().band(tie, odd);
                        self.b.ins().bor(above, tie_odd)
                    }
                }
            }
        };
        self.b.ins().select(take_away, away, q)
    }
}

#[cfg(test)]
mod tests {
    use super::{RECIPROCALS, reciprocal};

    /// `⌊a / d⌋` through the table, as the generated code computes it.
    fn by_table(a: u64, d: u64) -> u64 {
        let (m, shift) = reciprocal(d);
        let high = ((u128::from(a) * u128::from(m)) >> 64) as u64;
        high >> shift
    }

    #[test]
    fn reciprocals_divide_every_magnitude_exactly() {
        let top = 1u64 << 63;
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let units = [100, 1_000, 10_000, 1_000_000, 999_999_937, 1 << 40, 1 << 62];
        for d in (2..=RECIPROCALS as u64).chain(units).chain([top - 1, top]) {
            let mut cases = vec![0, 1, d - 1, d, d + 1, top, top - 1, top - d, top / d * d];
            for k in [1u64, 2, 3, 1000, 1 << 20, 1 << 40, top / d] {
                let Some(kd) = k.checked_mul(d).filter(|kd| *kd <= top) else {
                    continue;
                };
                cases.extend([kd, kd - 1, kd + 1, (kd + d / 2).min(top)]);
            }
            for _ in 0..20_000 {
                // A 64-bit LCG; magnitudes up to 2^63.
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                cases.push(seed >> (1 + seed % 60));
            }
            for a in cases.into_iter().filter(|a| *a <= top) {
                assert_eq!(by_table(a, d), a / d, "{a} / {d}");
            }
        }
    }
}
