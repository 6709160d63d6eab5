//! Scaled products, quotients and rounding built inline, with the runtime helper as the
//! slow path. `runtime::arith` computes them in `i128`; when the exact numerator fits an
//! `i64` and the division cannot trap (divisor neither 0 nor −1), the same quotient and
//! the same rounding decision come from one `i64` division — by a constant, usually,
//! which Cranelift turns into a multiplication. Every other case (overflowing products,
//! zero or −1 divisors) calls the helper, so errors and edge cases stay the runtime's.

use bylaw_runtime::arith::RoundingMode;
use cranelift_codegen::ir::InstBuilder;
use cranelift_codegen::ir::Value as Val;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::types;
use cranelift_module::Module;

use super::{Fn, I64, args};
use crate::CodegenError;
use crate::layout::ERR_OVERFLOW;
use bylaw_runtime::native::helpers::{Helper, mode_index};

impl<M: Module> Fn<'_, '_, M> {
    /// `(a × b) / divisor` rounded half up, as `arith::mul_scaled`.
    pub(super) fn mul_scaled(&mut self, a: Val, b: Val, divisor: i64) -> Result<Val, CodegenError> {
        if divisor < 2 {
            let d = self.iconst(divisor);
            return self.call_helper(Helper::MulScaled, &[a, b, d]);
        }
        let (p, overflow) = self.b.ins().smul_overflow(a, b);
        self.fast_or_helper(overflow, Helper::MulScaled, &[a, b], divisor, |s| {
            let d = s.iconst(divisor);
            s.div_round(p, d, RoundingMode::HalfUp, Some(divisor))
        })
    }

    /// `(a × scale) / b` rounded half up, as `arith::div_scaled`.
    pub(super) fn div_scaled(&mut self, a: Val, scale: i64, b: Val) -> Result<Val, CodegenError> {
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
        let minus_one = self.b.ins().icmp_imm_s(IntCC::Equal, b, -1);
        let bad = self.b.ins().bor(zero, minus_one);
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
        let v = self.div_round(p, b, RoundingMode::HalfUp, None);
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
        let u = self.iconst(unit);
        let q = self.div_round(value, u, mode, Some(unit));
        let (r, overflow) = self.b.ins().smul_overflow(q, u);
        self.fail_if(overflow, ERR_OVERFLOW, 0, None);
        Ok(r)
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
    /// `known`: the divisor's value when it is a positive constant, which folds its
    /// sign and magnitude.
    fn div_round(&mut self, num: Val, den: Val, mode: RoundingMode, known: Option<i64>) -> Val {
        let known = known.filter(|d| *d > 0);
        let q = self.b.ins().sdiv(num, den);
        let back = self.b.ins().imul(q, den);
        let r = self.b.ins().isub(num, back);
        if mode == RoundingMode::Down {
            return q;
        }
        let inexact = self.b.ins().icmp_imm_s(IntCC::NotEqual, r, 0);
        // With a remainder both operands are non-zero: the exact quotient is positive
        // when their signs agree.
        let signs = match known {
            Some(_) => num,
            None => self.b.ins().bxor(num, den),
        };
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
                let ad = match known {
                    Some(d) => self.iconst(d),
                    None => self.b.ins().iabs(den),
                };
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
