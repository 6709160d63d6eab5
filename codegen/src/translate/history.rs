//! History functions over dated records (`continuous_months`, `longest_months`,
//! `days_within`): one pass over a parent's records in order of their first day,
//! merging records that overlap or touch into stretches. The steps and their integers
//! are those of [`bylaw_runtime::history::HistoryFold`], which the interpreter runs, so
//! both give the same answer.

use bylaw_compiler::ir::Node;
use bylaw_runtime::date::NO_DATE;
use bylaw_runtime::history::HistoryFn;
use cranelift_codegen::ir::InstBuilder;
use cranelift_codegen::ir::Value as Val;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_module::Module;

use super::{Fn, Frame, I64};
use crate::CodegenError;
use bylaw_runtime::native::helpers::Helper;

/// The fold's running state, as values at one point of the loop.
struct Stretch {
    open: Val,
    start: Val,
    end: Val,
    total: Val,
}

impl<M: Module> Fn<'_, '_, M> {
    /// A `Node::History` in `frame`.
    pub(super) fn history(&mut self, frame: &mut Frame, node: &Node) -> Result<Val, CodegenError> {
        let &Node::History {
            function,
            owner,
            relation,
            child,
            filter,
            dated,
            ref dates,
        } = node
        else {
            return Err(CodegenError::Unsupported("internal: not a history".into()));
        };
        let date = |i: usize| {
            dates
                .get(i)
                .copied()
                .ok_or_else(|| CodegenError::Unsupported("internal: history dates".into()))
        };
        // The limit (exclusive) and the window's first day, as `HistoryFold::new`.
        let (window_start, limit) = if function == HistoryFn::DaysWithin {
            let first = self.expr(date(0)?, frame)?;
            let last = self.expr(date(1)?, frame)?;
            (first, self.b.ins().iadd_imm_s(last, 1))
        } else {
            let d = self.expr(date(0)?, frame)?;
            (self.iconst(i64::from(i32::MIN)), d)
        };
        let (rows_start, rows_end) = self.child_rows(frame, owner, relation)?;
        let known = self.known.len();

        let row = self.b.declare_var(I64);
        self.b.def_var(row, rows_start);
        let vars = [(); 4].map(|()| self.b.declare_var(I64));
        let [open, start, end, total] = vars;
        for v in vars {
            let zero = self.iconst(0);
            self.b.def_var(v, zero);
        }

        let body = self.b.create_block();
        let step = self.b.create_block();
        let merge = self.b.create_block();
        let fresh = self.b.create_block();
        let next = self.b.create_block();
        let exit = self.b.create_block();
        let any = self
            .b
            .ins()
            .icmp(IntCC::SignedLessThan, rows_start, rows_end);
        self.b.ins().brif(any, body, &[], exit, &[]);

        // One record: skipped by the filter or when it starts on or after the limit.
        self.b.switch_to_block(body);
        let r = self.b.use_var(row);
        frame.push((child, r));
        let read = (|| -> Result<(Val, Val), CodegenError> {
            if let Some(f) = filter {
                let keep = self.expr(f, frame)?;
                let kept = self.b.create_block();
                self.b.ins().brif(keep, kept, &[], next, &[]);
                self.b.switch_to_block(kept);
            }
            let from = self.field(frame, child, dated.from.0 as usize)?;
            let until = self.field(frame, child, dated.until.0 as usize)?;
            Ok((from, until))
        })();
        frame.pop();
        let (from, until) = read?;
        let before = self.b.ins().icmp(IntCC::SignedLessThan, from, limit);
        self.b.ins().brif(before, step, &[], next, &[]);

        // The record's exclusive end, cut at the limit; it extends the open stretch
        // when it starts on or before that stretch's end.
        self.b.switch_to_block(step);
        let missing = self
            .b
            .ins()
            .icmp_imm_s(IntCC::Equal, until, i64::from(NO_DATE));
        let past = self
            .b
            .ins()
            .icmp(IntCC::SignedGreaterThanOrEqual, until, limit);
        let cut = self.b.ins().bor(missing, past);
        let after = self.b.ins().iadd_imm_s(until, 1);
        let record_end = self.b.ins().select(cut, limit, after);
        let state = self.stretch(open, start, end, total);
        let is_open = self.b.ins().icmp_imm_s(IntCC::NotEqual, state.open, 0);
        let touches = self
            .b
            .ins()
            .icmp(IntCC::SignedLessThanOrEqual, from, state.end);
        let joins = self.b.ins().band(is_open, touches);
        self.b.ins().brif(joins, merge, &[], fresh, &[]);

        self.b.switch_to_block(merge);
        let longer = self
            .b
            .ins()
            .icmp(IntCC::SignedGreaterThan, record_end, state.end);
        let new_end = self.b.ins().select(longer, record_end, state.end);
        self.b.def_var(end, new_end);
        self.b.ins().jump(next, &[]);

        self.b.switch_to_block(fresh);
        let counted = self.close(function, &state, window_start)?;
        self.b.def_var(total, counted);
        self.b.def_var(start, from);
        self.b.def_var(end, record_end);
        let one = self.iconst(1);
        self.b.def_var(open, one);
        self.b.ins().jump(next, &[]);

        self.known.truncate(known);
        self.b.switch_to_block(next);
        let r = self.b.use_var(row);
        let r = self.b.ins().iadd_imm_s(r, 1);
        self.b.def_var(row, r);
        let more = self.b.ins().icmp(IntCC::SignedLessThan, r, rows_end);
        self.b.ins().brif(more, body, &[], exit, &[]);

        self.b.switch_to_block(exit);
        let state = self.stretch(open, start, end, total);
        if function == HistoryFn::ContinuousMonths {
            // The last stretch reaches the limit, or none does.
            let is_open = self.b.ins().icmp_imm_s(IntCC::NotEqual, state.open, 0);
            let reaches = self
                .b
                .ins()
                .icmp(IntCC::SignedGreaterThanOrEqual, state.end, limit);
            let counts = self.b.ins().band(is_open, reaches);
            let months = self.call_helper(Helper::MonthsBetween, &[state.start, limit])?;
            let zero = self.iconst(0);
            return Ok(self.b.ins().select(counts, months, zero));
        }
        self.close(function, &state, window_start)
    }

    fn stretch(
        &mut self,
        open: cranelift_frontend::Variable,
        start: cranelift_frontend::Variable,
        end: cranelift_frontend::Variable,
        total: cranelift_frontend::Variable,
    ) -> Stretch {
        Stretch {
            open: self.b.use_var(open),
            start: self.b.use_var(start),
            end: self.b.use_var(end),
            total: self.b.use_var(total),
        }
    }

    /// The total once the open stretch (if any) is counted: the longer of the two in
    /// months, or the days it covers from the window's first day.
    fn close(
        &mut self,
        function: HistoryFn,
        s: &Stretch,
        window_start: Val,
    ) -> Result<Val, CodegenError> {
        let is_open = self.b.ins().icmp_imm_s(IntCC::NotEqual, s.open, 0);
        let with = match function {
            HistoryFn::ContinuousMonths => return Ok(s.total),
            HistoryFn::LongestMonths => {
                let months = self.call_helper(Helper::MonthsBetween, &[s.start, s.end])?;
                let longer = self.b.ins().icmp(IntCC::SignedGreaterThan, months, s.total);
                self.b.ins().select(longer, months, s.total)
            }
            HistoryFn::DaysWithin => {
                let later = self
                    .b
                    .ins()
                    .icmp(IntCC::SignedGreaterThan, s.start, window_start);
                let from = self.b.ins().select(later, s.start, window_start);
                let days = self.b.ins().isub(s.end, from);
                let zero = self.iconst(0);
                let positive = self.b.ins().icmp(IntCC::SignedGreaterThan, days, zero);
                let days = self.b.ins().select(positive, days, zero);
                self.b.ins().iadd(s.total, days)
            }
        };
        Ok(self.b.ins().select(is_open, with, s.total))
    }
}
