//! The batch kernel: `kernel(ctx, start, end, outs, errors)` evaluates every output of
//! root rows `start..end`, writing output `k` of row `start + i` to element `i` of the
//! column `outs[k]` (`u8` booleans, `i32` dates, `u32` variants and text codes, `i64`
//! otherwise) and the row's error code to `errors[i]` (`u8`, 0 when every output was
//! computed). A failed row also gets a [`FailedRow`] appended to `ctx.failures`.
//!
//! Definitions are built into the kernel itself, in SSA form: a root definition is
//! computed once per row on each path and its value reused where that computation
//! dominates, so the interpreter's memo costs nothing here. Column, offset and table
//! pointers are loaded once, before the row loop.

use std::mem::offset_of;

use bylaw_compiler::types::Ty;
use cranelift_codegen::ir::Value as Val;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{InstBuilder, types};
use cranelift_module::Module;

use super::{Fn, I64, args, off, trusted};
use crate::CodegenError;
use crate::layout::{ColumnView, ErrorRecord, FailedRow, KernelCtx};
use bylaw_runtime::native::helpers::Helper;

/// Pointers the kernel loads once.
pub struct Hoisted {
    /// Per column slot: the first element.
    pub columns: Vec<Val>,
    /// Per relation slot: the first offset.
    pub offsets: Vec<Val>,
    pub tables: Val,
    pub texts: Val,
    /// Per prefix-sum site of the plan: the prefix sums of this call's rows (0 when
    /// they could overflow part-way) and the first child row they start at.
    pub prefix: Vec<(Val, Val)>,
}

/// The width in bytes of an output column of type `ty`.
pub fn output_width(ty: Ty) -> usize {
    match ty {
        Ty::Bool => 1,
        Ty::Date | Ty::Enum(_) | Ty::Text => 4,
        _ => 8,
    }
}

impl<M: Module> Fn<'_, '_, M> {
    pub(super) fn kernel_body(&mut self) -> Result<(), CodegenError> {
        let program = self.plan.program;
        let entry = self.b.create_block();
        self.b.append_block_params_for_function_params(entry);
        self.b.switch_to_block(entry);
        let p = self.b.block_params(entry).to_vec();
        let [ctx, start, end, outs, errors] = p[..] else {
            return Err(CodegenError::Unsupported(
                "internal: kernel signature".into(),
            ));
        };
        self.ctx = Some(ctx);
        self.hoist(ctx)?;
        self.prefix_sums(start, end)?;
        let ro = trusted().with_readonly();
        let out_columns: Vec<(usize, usize, _)> = program
            .outputs
            .iter()
            .enumerate()
            .map(|(k, d)| (k, output_width(program.def(*d).ty), *d))
            .collect();

        let row_var = self.b.declare_var(I64);
        self.b.def_var(row_var, start);
        let header = self.b.create_block();
        let body = self.b.create_block();
        let next = self.b.create_block();
        let exit = self.b.create_block();
        self.b.ins().jump(header, &[]);
        self.b.switch_to_block(header);
        let row = self.b.use_var(row_var);
        let more = self.b.ins().icmp(IntCC::SignedLessThan, row, end);
        self.b.ins().brif(more, body, &[], exit, &[]);

        self.b.switch_to_block(body);
        let i = self.b.ins().isub(row, start);
        let root = program.schema.root;
        self.known.clear();
        for (k, width, d) in &out_columns {
            let v = self.call_def(*d, &vec![(root, row)])?;
            // Loaded at the store, not before the loop: a pointer per output held
            // across the row would spill, inside the member loops too.
            let base = self.b.ins().load(self.ptr, ro, outs, off(k * 8));
            let w = self.iconst(*width as i64);
            let o = self.b.ins().imul(i, w);
            let addr = self.b.ins().iadd(base, o);
            let flags = trusted();
            match width {
                1 => self.b.ins().istore8(flags, v, addr, 0),
                4 => self.b.ins().istore32(flags, v, addr, 0),
                _ => self.b.ins().store(flags, v, addr, 0),
            };
        }
        let code = self.b.ins().iadd(errors, i);
        let zero8 = self.b.ins().iconst(types::I8, 0);
        self.b.ins().store(trusted(), zero8, code, 0);
        self.b.ins().jump(next, &[]);

        // A callee has written `ctx.error`: pass it on.
        if let Some(prop) = self.prop_block.take() {
            self.b.switch_to_block(prop);
            let base = off(offset_of!(KernelCtx, error));
            let kind =
                self.b
                    .ins()
                    .uload32(trusted(), ctx, base + off(offset_of!(ErrorRecord, kind)));
            let def =
                self.b
                    .ins()
                    .uload32(trusted(), ctx, base + off(offset_of!(ErrorRecord, def)));
            let aux = self.b.ins().load(
                I64,
                trusted(),
                ctx,
                base + off(offset_of!(ErrorRecord, aux)),
            );
            let arg = self.b.ins().load(
                I64,
                trusted(),
                ctx,
                base + off(offset_of!(ErrorRecord, arg)),
            );
            let err = self.err_block();
            self.b.ins().jump(err, &args(&[kind, aux, arg, def]));
        }
        if let Some(err) = self.err_block.take() {
            self.b.switch_to_block(err);
            self.b.set_cold_block(err);
            let p = self.b.block_params(err).to_vec();
            let [kind, aux, arg, def] = p[..] else {
                return Err(CodegenError::Unsupported("internal: error block".into()));
            };
            let row = self.b.use_var(row_var);
            let i = self.b.ins().isub(row, start);
            let code = self.b.ins().iadd(errors, i);
            let kind8 = self.b.ins().ireduce(types::I8, kind);
            self.b.ins().store(trusted(), kind8, code, 0);
            let count = self.b.ins().load(
                I64,
                trusted(),
                ctx,
                off(offset_of!(KernelCtx, failure_count)),
            );
            let failures = self.b.ins().load(
                self.ptr,
                trusted(),
                ctx,
                off(offset_of!(KernelCtx, failures)),
            );
            let size = self.iconst(std::mem::size_of::<FailedRow>() as i64);
            let o = self.b.ins().imul(count, size);
            let rec = self.b.ins().iadd(failures, o);
            let e = offset_of!(FailedRow, error);
            self.b
                .ins()
                .store(trusted(), row, rec, off(offset_of!(FailedRow, row)));
            let kind32 = self.b.ins().ireduce(types::I32, kind);
            let def32 = self.b.ins().ireduce(types::I32, def);
            for (v, field) in [
                (kind32, offset_of!(ErrorRecord, kind)),
                (def32, offset_of!(ErrorRecord, def)),
                (aux, offset_of!(ErrorRecord, aux)),
                (arg, offset_of!(ErrorRecord, arg)),
            ] {
                self.b.ins().store(trusted(), v, rec, off(e + field));
            }
            let count = self.b.ins().iadd_imm_s(count, 1);
            self.b.ins().store(
                trusted(),
                count,
                ctx,
                off(offset_of!(KernelCtx, failure_count)),
            );
            self.b.ins().jump(next, &[]);
        }

        self.b.switch_to_block(next);
        let row = self.b.use_var(row_var);
        let r2 = self.b.ins().iadd_imm_s(row, 1);
        self.b.def_var(row_var, r2);
        self.b.ins().jump(header, &[]);

        self.b.switch_to_block(exit);
        self.b.ins().return_(&[]);
        Ok(())
    }

    /// Calls `bylaw_rt_child_prefix` once per prefix-sum site, in the entry block.
    fn prefix_sums(&mut self, start: Val, end: Val) -> Result<(), CodegenError> {
        let sites = self.plan.prefix_sites.clone();
        for (k, (relation, column)) in sites.into_iter().enumerate() {
            let h = self
                .hoisted
                .as_ref()
                .ok_or_else(|| CodegenError::Unsupported("internal: not hoisted".into()))?;
            let (Some(values), Some(offsets)) = (
                h.columns.get(column).copied(),
                h.offsets.get(relation).copied(),
            ) else {
                return Err(CodegenError::Unsupported("internal: prefix site".into()));
            };
            let site = self.iconst(k as i64);
            let p = self.call_helper(Helper::ChildPrefix, &[values, offsets, start, end, site])?;
            let four = self.iconst(4);
            let at = self.b.ins().imul(start, four);
            let at = self.b.ins().iadd(offsets, at);
            let base = self
                .b
                .ins()
                .load(types::I32, trusted().with_readonly(), at, 0);
            let base = self.b.ins().uextend(I64, base);
            if let Some(h) = self.hoisted.as_mut() {
                h.prefix.push((p, base));
            }
        }
        Ok(())
    }

    /// Loads every column, offset and table pointer once, in the entry block.
    fn hoist(&mut self, ctx: Val) -> Result<(), CodegenError> {
        let ro = trusted().with_readonly();
        let view = std::mem::size_of::<ColumnView>();
        let data = offset_of!(ColumnView, data);
        let columns = self
            .b
            .ins()
            .load(self.ptr, ro, ctx, off(offset_of!(KernelCtx, columns)));
        let offsets = self
            .b
            .ins()
            .load(self.ptr, ro, ctx, off(offset_of!(KernelCtx, offsets)));
        let mut h = Hoisted {
            columns: Vec::new(),
            offsets: Vec::new(),
            tables: self
                .b
                .ins()
                .load(self.ptr, ro, ctx, off(offset_of!(KernelCtx, tables))),
            texts: self
                .b
                .ins()
                .load(self.ptr, ro, ctx, off(offset_of!(KernelCtx, texts))),
            prefix: Vec::new(),
        };
        for slot in 0..self.plan.slots.columns {
            h.columns.push(
                self.b
                    .ins()
                    .load(self.ptr, ro, columns, off(slot * view + data)),
            );
        }
        for slot in 0..self.plan.slots.relations {
            h.offsets.push(
                self.b
                    .ins()
                    .load(self.ptr, ro, offsets, off(slot * view + data)),
            );
        }
        self.hoisted = Some(h);
        Ok(())
    }
}
