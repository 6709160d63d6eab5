//! The JIT: builds the host ISA, registers the runtime helpers, translates a plan into a
//! [`JITModule`], and calls the finished kernel. The only module of the crate with
//! `unsafe` code: turning the kernel's address into a function pointer, calling it, and
//! declaring the finished module shareable between threads.

#![allow(
    unsafe_code,
    reason = "calling generated machine code needs unsafe; each block says why it is sound"
)]

use cranelift_codegen::settings::{self, Configurable};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{Linkage, default_libcall_names};

use crate::CodegenError;
use std::ops::Range;

use crate::OutputColumn;
use crate::layout::{FailedRow, KernelCtx};
use crate::translate::{Needs, Plan, translate};

use bylaw_runtime::native::policy::KernelFn;

/// A finished module and its kernel. The module is only kept alive (for the code's
/// memory); nothing is called on it after finalization.
pub struct Jit {
    /// Keeps the machine code alive; dropped last, after no call can be running
    /// (`kernel` cannot outlive `self`).
    _module: ModuleHolder,
    kernel: KernelFn,
    /// The byte width of each output column.
    widths: Vec<usize>,
}

struct ModuleHolder(#[allow(dead_code, reason = "owned only to keep the code alive")] JITModule);

// SAFETY: after `finalize_definitions` the module is never used again except to be
// dropped with the `Jit` that owns it; its code pages are immutable and executable, so
// sharing or sending the owner between threads shares no mutable state.
unsafe impl Send for ModuleHolder {}
// SAFETY: as above: no method is ever called through a shared reference.
unsafe impl Sync for ModuleHolder {}

impl std::fmt::Debug for Jit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jit").field("widths", &self.widths).finish()
    }
}

impl Jit {
    pub fn compile(plan: &Plan, widths: Vec<usize>) -> Result<(Jit, Needs), CodegenError> {
        let mut flags = settings::builder();
        let set = |f: &mut settings::Builder, k: &str, v: &str| {
            f.set(k, v)
                .map_err(|e| CodegenError::Module(format!("{k}={v}: {e}")))
        };
        set(&mut flags, "use_colocated_libcalls", "false")?;
        set(&mut flags, "is_pic", "false")?;
        set(&mut flags, "opt_level", "speed")?;
        let isa = cranelift_native::builder()
            .map_err(|e| CodegenError::Module(format!("host machine is not supported: {e}")))?
            .finish(settings::Flags::new(flags))
            .map_err(|e| CodegenError::Module(e.to_string()))?;
        let builder = JITBuilder::with_isa(isa, default_libcall_names());
        let mut module = JITModule::new(builder);
        let declared = translate(&mut module, plan, "bylaw_kernel", Linkage::Export)?;
        module
            .finalize_definitions()
            .map_err(CodegenError::module)?;
        let code = module.get_finalized_function(declared.kernel);
        // SAFETY: `code` is the finalized kernel, defined by `translate` with exactly the
        // signature (pointer, i64, i64, pointer, pointer) and no return value, in the
        // host's default (C) calling convention: the same as `KernelFn`.
        let kernel = unsafe { std::mem::transmute::<*const u8, KernelFn>(code) };
        Ok((
            Jit {
                _module: ModuleHolder(module),
                kernel,
                widths,
            },
            declared.needs,
        ))
    }

    /// Runs the kernel over root rows `start..end`. The caller guarantees that `ctx`
    /// views a batch that passed `Batch::check` against the compiled program's schema,
    /// with text columns interned and tables built by this crate (`Bound` does), and
    /// that `start..end` lies within the root entity's rows. Output `k` of row
    /// `start + i` goes to element `i` of `outputs[k]`; the row's error code to
    /// `errors[i]`; failed rows are listed in `failures` (cleared first).
    pub fn run(
        &self,
        ctx: &mut KernelCtx,
        rows: Range<usize>,
        outputs: &mut [OutputColumn],
        errors: &mut [u8],
        failures: &mut Vec<FailedRow>,
    ) -> Result<(), CodegenError> {
        let n = rows.len();
        let fits = outputs.len() == self.widths.len()
            && errors.len() == n
            && outputs
                .iter()
                .zip(&self.widths)
                .all(|(c, w)| c.len() == n && c.width() == *w);
        if !fits {
            return Err(CodegenError::Unsupported(
                "internal: output buffers of the wrong size".into(),
            ));
        }
        failures.clear();
        if n == 0 {
            return Ok(());
        }
        failures.reserve(n);
        ctx.failures = failures.as_mut_ptr();
        ctx.failure_count = 0;
        let columns: Vec<*mut u8> = outputs.iter_mut().map(OutputColumn::as_mut_ptr).collect();
        // SAFETY: the kernel reads only through `ctx`: column and offset views of a
        // checked batch (every row index it forms is a root row in `rows`, which the
        // caller keeps within the root's length, or a child row taken from checked CSR
        // offsets; enumeration codes index tables only after a range check), the
        // parameter tables and text codes built for this program, and the memo arrays,
        // which hold one slot per definition. It writes `n` elements of each output's
        // width to each of `columns` (checked above: every column holds `n` elements of
        // the width the kernel was compiled for), `n` codes to `errors`, and at most one
        // failure record per row to `ctx.failures`, which has room for `n`. It never
        // traps: every division and overflow is checked in generated code or helpers.
        unsafe {
            (self.kernel)(
                ctx,
                rows.start as i64,
                rows.end as i64,
                columns.as_ptr(),
                errors.as_mut_ptr(),
            );
        }
        let count = usize::try_from(ctx.failure_count).map_or(0, |c| c.min(n));
        // SAFETY: the kernel initialised the first `failure_count` (at most `n`, the
        // reserved capacity) records of `failures`; `FailedRow` is plain old data.
        unsafe { failures.set_len(count) };
        ctx.failures = std::ptr::null_mut();
        Ok(())
    }
}
