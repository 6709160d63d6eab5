//! Exact quotients in native code: the expressions [`Pending`](bylaw_compiler::exact::Pending)
//! marks (a `/` or `per_month` and what computes with it before an `amount`,
//! `round_fen`, `floor`, `ceil` or an output column rounds it) are built as a pair of
//! SSA values, numerator and denominator, and every operation on a pair calls a
//! `bylaw_rt_exact_*` helper of the runtime core, which computes with
//! `bylaw_runtime::arith::Exact` — the very code the interpreter runs.
//!
//! Why helpers and not inline code: an exact operation reduces by a gcd and works in
//! `i128` (products of two `i64` halves), and Cranelift's x64 backend has no 128-bit
//! division, so an inline version would be a second, hand-written copy of the
//! arithmetic to keep equal bit for bit; a call keeps one copy. The cost falls only on
//! marked expressions: everything else is translated exactly as before (a policy
//! without division gets the same code), and a helper's result is checked like every
//! fallible helper's (status in the context, `overflow` when the reduced value does not
//! fit two `i64`s — never an approximation). A helper returns the numerator and writes
//! the denominator to `KernelCtx::den`, read back at once.
//!
//! A definition that may hold a quotient gets a second function, `bylaw_def_<i>_exact`,
//! that returns its unrounded value the same way (numerator, denominator in the
//! context); in the batch kernel a root definition's exact value is instead built in
//! place once per row on each path and reused, as rounded values are. The
//! ordinary function of such a definition rounds the exact value where the interpreter
//! does: to the fen by the amount's mode, or, for a `let`, half up to the unit of
//! storage (0.0001 元, 10⁻⁶) when an output column or a plain use needs it.

use std::mem::offset_of;

use bylaw_compiler::ir::{Builtin, CmpOp, ExprId, Node, Value};
use bylaw_compiler::types::ArithOp;
use bylaw_grammar::ast::AggFn;
use bylaw_runtime::arith::{FEN, MICRO, RoundingMode};
use bylaw_runtime::native::helpers::{Helper, mode_index};
use cranelift_codegen::ir::Value as Val;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{InstBuilder, types};
use cranelift_module::Module;

use super::{Fn, Frame, I64, args, off, trusted};
use crate::CodegenError;
use crate::layout::{ERR_BELOW_BRACKET, ERR_NO_VERSION, ERR_SCALE_NONE, KernelCtx};

/// An exact value in SSA form: numerator and denominator (reduced, denominator ≥ 1).
type Pair = (Val, Val);

/// The entries of `Fn::known` that hold a root definition's exact value in the kernel:
/// keys no definition has (the program has far fewer than 2³⁰ of them), so they are
/// cut back with the rounded values on the same lazy paths.
fn exact_keys(
    d: bylaw_compiler::ir::DefId,
) -> (bylaw_compiler::ir::DefId, bylaw_compiler::ir::DefId) {
    use bylaw_compiler::ir::DefId;
    (DefId(d.0 | 1 << 31), DefId(d.0 | 1 << 30))
}

fn internal(what: &str) -> CodegenError {
    CodegenError::Unsupported(format!("internal: {what}"))
}

impl<M: Module> Fn<'_, '_, M> {
    /// The denominator the last exact helper (or exact definition) wrote.
    fn load_den(&mut self) -> Result<Val, CodegenError> {
        let ctx = self.ctx()?;
        Ok(self
            .b
            .ins()
            .load(I64, trusted(), ctx, off(offset_of!(KernelCtx, den))))
    }

    /// −1, 0 or 1 as `an/ad` is below, equal to or above `bn/bd` (denominators
    /// positive), inline: the cross products in `i128` (as `bylaw_rt_exact_cmp` and
    /// `Exact::cmp_exact`; Cranelift multiplies `i128` on every target).
    fn exact_order(&mut self, an: Val, ad: Val, bn: Val, bd: Val) -> Val {
        let i128 = types::I128;
        let (an, ad) = (
            self.b.ins().sextend(i128, an),
            self.b.ins().sextend(i128, ad),
        );
        let (bn, bd) = (
            self.b.ins().sextend(i128, bn),
            self.b.ins().sextend(i128, bd),
        );
        let lhs = self.b.ins().imul(an, bd);
        let rhs = self.b.ins().imul(bn, ad);
        let gt = self.b.ins().icmp(IntCC::SignedGreaterThan, lhs, rhs);
        let lt = self.b.ins().icmp(IntCC::SignedLessThan, lhs, rhs);
        let gt = self.b.ins().uextend(I64, gt);
        let lt = self.b.ins().uextend(I64, lt);
        self.b.ins().isub(gt, lt)
    }

    /// Calls exact helper `h` (numerator returned, denominator in the context).
    fn exact_helper(&mut self, h: Helper, call_args: &[Val]) -> Result<Pair, CodegenError> {
        let n = self.call_helper(h, call_args)?;
        let d = self.load_den()?;
        Ok((n, d))
    }

    /// The function body of `bylaw_def_<i>_exact`: the definition's unrounded value.
    pub(super) fn exact_def_body(&mut self) -> Result<(), CodegenError> {
        let program = self.plan.program;
        let def = program.def(self.def);
        let entry = self.b.create_block();
        self.b.append_block_params_for_function_params(entry);
        self.b.switch_to_block(entry);
        let params = self.b.block_params(entry).to_vec();
        let ctx = *params.first().ok_or_else(|| internal("no context"))?;
        self.ctx = Some(ctx);
        let path = self.plan.path(def.entity).to_vec();
        let mut frame: Frame = path
            .iter()
            .zip(params.iter().skip(1))
            .map(|(e, v)| (*e, *v))
            .collect();
        let (n, d) = self.def_value_exact(&mut frame)?;
        self.b
            .ins()
            .store(trusted(), d, ctx, off(offset_of!(KernelCtx, den)));
        let zero = self.iconst(0);
        self.b.ins().return_(&[n, zero]);
        Ok(())
    }

    /// The value of `self.def` computed exactly and rounded as the interpreter rounds
    /// it: an amount to the fen by its mode, anything else half up to the unit of
    /// storage.
    pub(super) fn def_value_rounded(&mut self, frame: &mut Frame) -> Result<Val, CodegenError> {
        let def = self.plan.program.def(self.def);
        let (n, d) = if self.hoisted.is_some() && self.plan.pending.def(self.def) {
            // In the kernel, through the remembered exact value (shared with every
            // other use of it in the row).
            self.call_exact_def(self.def, frame)?
        } else {
            self.def_value_exact(frame)?
        };
        match def.rounding {
            Some(mode) if def.ty.is_numeric() => self.exact_round(n, d, mode, FEN),
            _ => Ok(self.storage_value(n, d)),
        }
    }

    /// `n / d` rounded by `mode` to a multiple of `unit`.
    fn exact_round(
        &mut self,
        n: Val,
        d: Val,
        mode: RoundingMode,
        unit: i64,
    ) -> Result<Val, CodegenError> {
        if unit == 1 && mode == RoundingMode::HalfUp {
            return Ok(self.storage_value(n, d));
        }
        // A whole value (a quotient whose divisor cancelled, as in `(s − t / n) × n`) is
        // rounded inline like any `i64`; the same result as the helper's for `n / 1`.
        let whole = self.b.ins().icmp_imm_s(IntCC::Equal, d, 1);
        let fast = self.b.create_block();
        let slow = self.b.create_block();
        let done = self.b.create_block();
        self.b.append_block_param(done, I64);
        self.b.ins().brif(whole, fast, &[], slow, &[]);
        self.b.switch_to_block(fast);
        let v = self.round_to_unit(n, unit, mode)?;
        self.b.ins().jump(done, &args(&[v]));
        self.b.switch_to_block(slow);
        let m = self.b.ins().iconst(types::I32, i64::from(mode_index(mode)));
        let u = self.iconst(unit);
        let v = self.call_helper(Helper::ExactRound, &[n, d, m, u])?;
        self.b.ins().jump(done, &args(&[v]));
        self.b.switch_to_block(done);
        self.block_param(done)
    }

    /// `n / d` as an output column (or any plain use) shows it: half away from zero to
    /// the unit of storage, inline in `i64` (`Exact::to_storage`). It cannot fail or
    /// trap: `d ≥ 1` (never 0 or −1), `|n / d| ≤ |n|`, and the adjustment by one
    /// happens only for `d ≥ 2`, where `|n / d| ≤ |n| / 2`.
    fn storage_value(&mut self, n: Val, d: Val) -> Val {
        let q = self.b.ins().sdiv(n, d);
        let r = self.b.ins().srem(n, d);
        // |r| < d ≤ 2^63 − 1, so 2|r| fits a u64.
        let r_abs = self.b.ins().iabs(r);
        let twice = self.b.ins().ishl_imm_u(r_abs, 1);
        let up = self
            .b
            .ins()
            .icmp(IntCC::UnsignedGreaterThanOrEqual, twice, d);
        let nonzero = self.b.ins().icmp_imm_s(IntCC::NotEqual, r, 0);
        let adjust = self.b.ins().band(up, nonzero);
        let negative = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, n, 0);
        let minus = self.iconst(-1);
        let plus = self.iconst(1);
        let step = self.b.ins().select(negative, minus, plus);
        let zero = self.iconst(0);
        let step = self.b.ins().select(adjust, step, zero);
        self.b.ins().iadd(q, step)
    }

    /// The plain value of a marked expression: its exact value at the unit of storage
    /// (a definition's own function rounds, and is memoized).
    pub(super) fn pending_value(
        &mut self,
        id: ExprId,
        frame: &mut Frame,
    ) -> Result<Val, CodegenError> {
        if let Some(Node::Def(d)) = self.plan.program.nodes.get(id.index()) {
            return self.call_def(*d, frame);
        }
        let (n, d) = self.exact_expr(id, frame)?;
        Ok(self.storage_value(n, d))
    }

    /// Exceptions, the version in force and its limits, exactly (as
    /// `Evaluator::def_exact_body`).
    fn def_value_exact(&mut self, frame: &mut Frame) -> Result<Pair, CodegenError> {
        let program = self.plan.program;
        let def = program.def(self.def);
        let known = self.known.len();
        let done = self.b.create_block();
        self.b.append_block_param(done, I64);
        self.b.append_block_param(done, I64);
        for x in &def.exceptions {
            let c = self.expr(x.condition, frame)?;
            let take = self.b.create_block();
            let next = self.b.create_block();
            self.b.ins().brif(c, take, &[], next, &[]);
            self.b.switch_to_block(take);
            let mark = self.known.len();
            let (n, d) = self.exact_expr(x.value, frame)?;
            self.known.truncate(mark);
            self.b.ins().jump(done, &args(&[n, d]));
            self.b.switch_to_block(next);
        }
        match self.plan.bodies.get(self.def.index()).copied().flatten() {
            Some(body) => {
                let (mut n, mut d) = self.exact_expr(body, frame)?;
                let limits = def
                    .versions
                    .iter()
                    .find(|ver| ver.body == body)
                    .map(|ver| ver.limits.as_slice())
                    .unwrap_or_default();
                for l in limits {
                    let (ln, ld) = self.exact_expr(l.value, frame)?;
                    if l.principle {
                        continue;
                    }
                    let ord = self.exact_order(n, d, ln, ld);
                    let cc = if l.at_most {
                        IntCC::SignedGreaterThan
                    } else {
                        IntCC::SignedLessThan
                    };
                    let beyond = self.b.ins().icmp_imm_s(cc, ord, 0);
                    n = self.b.ins().select(beyond, ln, n);
                    d = self.b.ins().select(beyond, ld, d);
                }
                self.b.ins().jump(done, &args(&[n, d]));
            }
            None => {
                let kind = self.iconst(i64::from(ERR_NO_VERSION));
                let zero = self.iconst(0);
                let err = self.err_block();
                let a = self.err_args(kind, zero, zero);
                self.b.ins().jump(err, &a);
            }
        }
        self.b.switch_to_block(done);
        self.known.truncate(known);
        self.pair_params(done)
    }

    fn pair_params(&self, block: cranelift_codegen::ir::Block) -> Result<Pair, CodegenError> {
        match self.b.block_params(block) {
            [n, d] => Ok((*n, *d)),
            _ => Err(internal("no exact value")),
        }
    }

    /// A comparison with a marked operand: exact (`a/b < c` ⇔ `a < c·b`).
    pub(super) fn exact_cmp(
        &mut self,
        op: CmpOp,
        lhs: ExprId,
        rhs: ExprId,
        frame: &mut Frame,
    ) -> Result<Val, CodegenError> {
        let (an, ad) = self.exact_expr(lhs, frame)?;
        let (bn, bd) = self.exact_expr(rhs, frame)?;
        let ord = self.exact_order(an, ad, bn, bd);
        let cc = match op {
            CmpOp::Eq => IntCC::Equal,
            CmpOp::Ne => IntCC::NotEqual,
            CmpOp::Lt => IntCC::SignedLessThan,
            CmpOp::Le => IntCC::SignedLessThanOrEqual,
            CmpOp::Gt => IntCC::SignedGreaterThan,
            CmpOp::Ge => IntCC::SignedGreaterThanOrEqual,
        };
        let r = self.b.ins().icmp_imm_s(cc, ord, 0);
        Ok(self.b.ins().uextend(I64, r))
    }

    /// `floor`, `ceil` or `round_fen` of a marked argument: one rounding of the exact
    /// value.
    pub(super) fn exact_builtin(
        &mut self,
        builtin: Builtin,
        arg: ExprId,
        frame: &mut Frame,
    ) -> Result<Val, CodegenError> {
        let (n, d) = self.exact_expr(arg, frame)?;
        let (mode, scale) = match builtin {
            Builtin::Floor(scale) => (RoundingMode::Floor, scale),
            Builtin::Ceil(scale) => (RoundingMode::Ceiling, scale),
            Builtin::RoundFen(mode) => return self.exact_round(n, d, mode, FEN),
            _ => return Ok(self.storage_value(n, d)),
        };
        let m = self.b.ins().iconst(types::I32, i64::from(mode_index(mode)));
        let s = self.iconst(scale);
        self.call_helper(Helper::ExactQuotient, &[n, d, m, s])
    }

    /// The exact value of `id`: a pair for a marked expression, `(v, 1)` otherwise.
    fn exact_expr(&mut self, id: ExprId, frame: &mut Frame) -> Result<Pair, CodegenError> {
        if !self.plan.pending.node(id) {
            let v = self.expr(id, frame)?;
            let one = self.iconst(1);
            return Ok((v, one));
        }
        self.emitted += 1;
        let program = self.plan.program;
        let node = program
            .nodes
            .get(id.index())
            .ok_or_else(|| internal("unknown node"))?;
        match node {
            Node::Def(d) => self.call_exact_def(*d, frame),
            Node::Neg(a) => {
                let (n, d) = self.exact_expr(*a, frame)?;
                let zero = self.iconst(0);
                let one = self.iconst(1);
                self.exact_helper(Helper::ExactSub, &[zero, one, n, d])
            }
            Node::Arith { op, lhs, rhs } => {
                let (an, ad) = self.exact_expr(*lhs, frame)?;
                let (bn, bd) = self.exact_expr(*rhs, frame)?;
                match op {
                    ArithOp::Add => self.exact_helper(Helper::ExactAdd, &[an, ad, bn, bd]),
                    ArithOp::Sub => self.exact_helper(Helper::ExactSub, &[an, ad, bn, bd]),
                    ArithOp::Mul | ArithOp::MulScaled(_) => {
                        let divisor = match op {
                            ArithOp::MulScaled(k) => *k,
                            _ => 1,
                        };
                        let k = self.iconst(divisor);
                        self.exact_helper(Helper::ExactMul, &[an, ad, bn, bd, k])
                    }
                    ArithOp::DivScaled(s) => {
                        let s = self.iconst(*s);
                        self.exact_helper(Helper::ExactDiv, &[an, ad, bn, bd, s])
                    }
                    _ => Err(internal("a date operation marked exact")),
                }
            }
            Node::If {
                condition,
                then,
                otherwise,
            } => {
                let c = self.expr(*condition, frame)?;
                let merge = self.b.create_block();
                self.b.append_block_param(merge, I64);
                self.b.append_block_param(merge, I64);
                let t = self.b.create_block();
                let e = self.b.create_block();
                self.b.ins().brif(c, t, &[], e, &[]);
                let known = self.known.len();
                for (block, side) in [(t, *then), (e, *otherwise)] {
                    self.b.switch_to_block(block);
                    let (n, d) = self.exact_expr(side, frame)?;
                    self.known.truncate(known);
                    self.b.ins().jump(merge, &args(&[n, d]));
                }
                self.b.switch_to_block(merge);
                self.pair_params(merge)
            }
            Node::MinMax { max, args: list } => {
                let mut best: Option<Pair> = None;
                for a in list {
                    let v = self.exact_expr(*a, frame)?;
                    best = Some(match best {
                        None => v,
                        Some(b) => self.exact_pick(*max, v, b)?,
                    });
                }
                match best {
                    Some(b) => Ok(b),
                    None => {
                        let zero = self.iconst(0);
                        let one = self.iconst(1);
                        Ok((zero, one))
                    }
                }
            }
            Node::Call {
                builtin,
                args: list,
            } => {
                let a = list.first().copied().ok_or_else(|| internal("argument"))?;
                let (n, d) = self.exact_expr(a, frame)?;
                let twelve = self.iconst(12);
                let one = self.iconst(1);
                match builtin {
                    Builtin::PerYear => {
                        self.exact_helper(Helper::ExactMul, &[n, d, twelve, one, one])
                    }
                    Builtin::PerMonth => {
                        self.exact_helper(Helper::ExactDiv, &[n, d, twelve, one, one])
                    }
                    _ => Err(internal("a builtin marked exact")),
                }
            }
            Node::Scale { scale, arg } => self.exact_marginal_scale(scale.index(), *arg, frame),
            &Node::Aggregate {
                function,
                owner,
                relation,
                child,
                body,
                filter,
                default,
            } => {
                let body = body.ok_or_else(|| internal("aggregate body"))?;
                let (start, end) = self.child_rows(frame, owner, relation)?;
                self.exact_aggregate(frame, function, child, body, filter, default, start, end)
            }
            _ => Err(internal("no exact form of this expression")),
        }
    }

    /// `v` if it is strictly beyond `best` (above for `max`, below for `min`), else
    /// `best`.
    fn exact_pick(&mut self, max: bool, v: Pair, best: Pair) -> Result<Pair, CodegenError> {
        let ord = self.exact_order(v.0, v.1, best.0, best.1);
        let cc = if max {
            IntCC::SignedGreaterThan
        } else {
            IntCC::SignedLessThan
        };
        let better = self.b.ins().icmp_imm_s(cc, ord, 0);
        let n = self.b.ins().select(better, v.0, best.0);
        let d = self.b.ins().select(better, v.1, best.1);
        Ok((n, d))
    }

    /// The value of definition `d` unrounded: in the kernel, built in place and
    /// remembered for the rest of the row (a root definition), as `inline_def` does for
    /// rounded values; elsewhere from its exact function.
    fn call_exact_def(
        &mut self,
        d: bylaw_compiler::ir::DefId,
        frame: &Frame,
    ) -> Result<Pair, CodegenError> {
        let program = self.plan.program;
        let def = program
            .defs
            .get(d.index())
            .ok_or_else(|| internal("unknown definition"))?;
        let (kn, kd) = exact_keys(d);
        if self.hoisted.is_some() {
            let find = |k| {
                self.known
                    .iter()
                    .rev()
                    .find(|(x, _)| *x == k)
                    .map(|(_, v)| *v)
            };
            if let (Some(n), Some(den)) = (find(kn), find(kd)) {
                return Ok((n, den));
            }
            if self.emitted < super::INLINE_BUDGET {
                let mut rows: Frame = Vec::new();
                for e in self.plan.path(def.entity).to_vec() {
                    rows.push((e, self.bound_row(frame, e)?));
                }
                let caller = std::mem::replace(&mut self.def, d);
                let v = self.def_value_exact(&mut rows);
                self.def = caller;
                let (n, den) = v?;
                if def.entity == program.schema.root {
                    self.known.push((kn, n));
                    self.known.push((kd, den));
                }
                return Ok((n, den));
            }
        }
        let fid = self
            .exact_defs
            .get(d.index())
            .copied()
            .flatten()
            .ok_or_else(|| internal("a definition without an exact function"))?;
        let mut a = vec![self.ctx()?];
        for e in self.plan.path(def.entity).to_vec() {
            a.push(self.bound_row(frame, e)?);
        }
        let f = self.func_ref(fid);
        let call = self.b.ins().call(f, &a);
        let r = self.b.inst_results(call).to_vec();
        let [n, s] = r[..] else {
            return Err(internal("call results"));
        };
        let prop = self.prop_block();
        let cont = self.b.create_block();
        self.b.ins().brif(s, prop, &[], cont, &[]);
        self.b.switch_to_block(cont);
        let den = self.load_den()?;
        Ok((n, den))
    }

    /// A `sum`, `min` or `max` of marked values over child rows `start..end`, in row
    /// order, as the interpreter computes it: exact sums, the first strictly better
    /// value, the default (or 0) when no row is kept.
    #[allow(clippy::too_many_arguments, reason = "the parts of one aggregate node")]
    fn exact_aggregate(
        &mut self,
        frame: &mut Frame,
        function: AggFn,
        child: bylaw_runtime::schema::EntityId,
        body: ExprId,
        filter: Option<ExprId>,
        default: Option<ExprId>,
        start: Val,
        end: Val,
    ) -> Result<Pair, CodegenError> {
        if !matches!(function, AggFn::Sum | AggFn::Min | AggFn::Max) {
            return Err(internal("an aggregate marked exact"));
        }
        let known = self.known.len();
        let r = self.b.declare_var(I64);
        let acc_n = self.b.declare_var(I64);
        let acc_d = self.b.declare_var(I64);
        let has = self.b.declare_var(I64);
        let zero = self.iconst(0);
        let one = self.iconst(1);
        self.b.def_var(r, start);
        self.b.def_var(acc_n, zero);
        self.b.def_var(acc_d, one);
        self.b.def_var(has, zero);

        let head = self.b.create_block();
        let body_block = self.b.create_block();
        let next = self.b.create_block();
        let exit = self.b.create_block();
        let result = self.b.create_block();
        self.b.append_block_param(result, I64);
        self.b.append_block_param(result, I64);
        self.b.ins().jump(head, &[]);

        self.b.switch_to_block(head);
        let row = self.b.use_var(r);
        let more = self.b.ins().icmp(IntCC::SignedLessThan, row, end);
        self.b.ins().brif(more, body_block, &[], exit, &[]);

        self.b.switch_to_block(body_block);
        let row = self.b.use_var(r);
        frame.push((child, row));
        let inner = (|| -> Result<(), CodegenError> {
            if let Some(f) = filter {
                let keep = self.expr(f, frame)?;
                let kept = self.b.create_block();
                self.b.ins().brif(keep, kept, &[], next, &[]);
                self.b.switch_to_block(kept);
            }
            let v = self.exact_expr(body, frame)?;
            let a = (self.b.use_var(acc_n), self.b.use_var(acc_d));
            let (n, d) = if function == AggFn::Sum {
                self.exact_helper(Helper::ExactAdd, &[a.0, a.1, v.0, v.1])?
            } else {
                let (bn, bd) = self.exact_pick(function == AggFn::Max, v, a)?;
                let h = self.b.use_var(has);
                let first = self.b.ins().icmp_imm_s(IntCC::Equal, h, 0);
                let n = self.b.ins().select(first, v.0, bn);
                let d = self.b.ins().select(first, v.1, bd);
                (n, d)
            };
            self.b.def_var(acc_n, n);
            self.b.def_var(acc_d, d);
            let one = self.iconst(1);
            self.b.def_var(has, one);
            self.b.ins().jump(next, &[]);
            Ok(())
        })();
        frame.pop();
        inner?;
        self.known.truncate(known);

        self.b.switch_to_block(next);
        let row = self.b.use_var(r);
        let row = self.b.ins().iadd_imm_s(row, 1);
        self.b.def_var(r, row);
        self.b.ins().jump(head, &[]);

        self.b.switch_to_block(exit);
        let a = (self.b.use_var(acc_n), self.b.use_var(acc_d));
        if function == AggFn::Sum {
            self.b.ins().jump(result, &args(&[a.0, a.1]));
        } else {
            let h = self.b.use_var(has);
            let empty = self.b.create_block();
            self.b.ins().brif(h, result, &args(&[a.0, a.1]), empty, &[]);
            self.b.switch_to_block(empty);
            let (n, d) = match default {
                Some(d) => self.exact_expr(d, frame)?,
                None => {
                    let zero = self.iconst(0);
                    let one = self.iconst(1);
                    (zero, one)
                }
            };
            self.known.truncate(known);
            self.b.ins().jump(result, &args(&[n, d]));
        }
        self.b.switch_to_block(result);
        self.pair_params(result)
    }

    /// A step scale looked up at a marked argument: the last bracket whose threshold is
    /// at or below the exact value (as `Evaluator::step_scale_exact`); below the first,
    /// the error shows the value at the unit of storage.
    pub(super) fn exact_step_scale(
        &mut self,
        index: usize,
        arg: ExprId,
        frame: &mut Frame,
    ) -> Result<Val, CodegenError> {
        let aux = index as i64;
        let (n, d) = self.exact_expr(arg, frame)?;
        let Some(version) = self.plan.scales.get(index).copied().flatten() else {
            return Ok(self.fail(ERR_SCALE_NONE, aux, None));
        };
        let int = |v: &Value| if let Value::Int(i) = v { *i } else { 0 };
        let done = self.b.create_block();
        self.b.append_block_param(done, I64);
        let one = self.iconst(1);
        for (t, v) in version.brackets.iter().rev() {
            let t = self.iconst(int(t));
            let ord = self.exact_order(n, d, t, one);
            let here = self
                .b
                .ins()
                .icmp_imm_s(IntCC::SignedGreaterThanOrEqual, ord, 0);
            let take = self.b.create_block();
            let next = self.b.create_block();
            self.b.ins().brif(here, take, &[], next, &[]);
            self.b.switch_to_block(take);
            let v = self.constant(v)?;
            self.b.ins().jump(done, &args(&[v]));
            self.b.switch_to_block(next);
        }
        let shown = self.storage_value(n, d);
        self.fail(ERR_BELOW_BRACKET, aux, Some(shown));
        let zero = self.iconst(0);
        self.b.ins().jump(done, &args(&[zero]));
        self.b.switch_to_block(done);
        self.block_param(done)
    }

    /// A marginal scale at a marked argument: each bracket's part times its rate, all
    /// exact (as `Evaluator::marginal_scale_exact`).
    fn exact_marginal_scale(
        &mut self,
        index: usize,
        arg: ExprId,
        frame: &mut Frame,
    ) -> Result<Pair, CodegenError> {
        let aux = index as i64;
        let (xn, xd) = self.exact_expr(arg, frame)?;
        let Some(version) = self.plan.scales.get(index).copied().flatten() else {
            let zero = self.fail(ERR_SCALE_NONE, aux, None);
            let one = self.iconst(1);
            return Ok((zero, one));
        };
        let int = |v: &Value| if let Value::Int(i) = v { *i } else { 0 };
        let done = self.b.create_block();
        self.b.append_block_param(done, I64);
        self.b.append_block_param(done, I64);
        let one = self.iconst(1);
        let mut total = (self.iconst(0), one);
        for (i, (t, rate)) in version.brackets.iter().enumerate() {
            let lower = self.iconst(int(t));
            let ord = self.exact_order(xn, xd, lower, one);
            let stop = self
                .b
                .ins()
                .icmp_imm_s(IntCC::SignedLessThanOrEqual, ord, 0);
            let go = self.b.create_block();
            self.b
                .ins()
                .brif(stop, done, &args(&[total.0, total.1]), go, &[]);
            self.b.switch_to_block(go);
            let (un, ud) = match version.brackets.get(i + 1) {
                Some((next, _)) => {
                    let next = self.iconst(int(next));
                    let ord = self.exact_order(next, one, xn, xd);
                    let below = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, ord, 0);
                    let un = self.b.ins().select(below, next, xn);
                    let ud = self.b.ins().select(below, one, xd);
                    (un, ud)
                }
                None => (xn, xd),
            };
            let (pn, pd) = self.exact_helper(Helper::ExactSub, &[un, ud, lower, one])?;
            let r = self.iconst(int(rate));
            let micro = self.iconst(MICRO);
            let (tn, td) = self.exact_helper(Helper::ExactMul, &[pn, pd, r, one, micro])?;
            total = self.exact_helper(Helper::ExactAdd, &[total.0, total.1, tn, td])?;
        }
        self.b.ins().jump(done, &args(&[total.0, total.1]));
        self.b.switch_to_block(done);
        self.pair_params(done)
    }
}
