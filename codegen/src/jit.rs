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
use cranelift_module::default_libcall_names;

use crate::CodegenError;
use crate::helpers::Helper;
use crate::layout::{ErrorRecord, KernelCtx};
use crate::translate::{Needs, Plan, translate};

/// `kernel(ctx, start, end, out, errors)`.
type KernelFn = unsafe extern "C" fn(*mut KernelCtx, i64, i64, *mut i64, *mut ErrorRecord);

/// A finished module and its kernel. The module is only kept alive (for the code's
/// memory); nothing is called on it after finalization.
pub struct Jit {
    /// Keeps the machine code alive; dropped last, after no call can be running
    /// (`kernel` cannot outlive `self`).
    _module: ModuleHolder,
    kernel: KernelFn,
    outputs: usize,
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
        f.debug_struct("Jit")
            .field("outputs", &self.outputs)
            .finish()
    }
}

impl Jit {
    pub fn compile(plan: &Plan, outputs: usize) -> Result<(Jit, Needs), CodegenError> {
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
        let mut builder = JITBuilder::with_isa(isa, default_libcall_names());
        for h in Helper::ALL {
            let spec = h.spec();
            builder.symbol(spec.name, spec.address);
        }
        let mut module = JITModule::new(builder);
        let declared = translate(&mut module, plan)?;
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
                outputs,
            },
            declared.needs,
        ))
    }

    /// Runs the kernel over root rows `start..end`. The caller guarantees that `ctx`
    /// views a batch that passed `Batch::check` against the compiled program's schema,
    /// with text columns interned and tables built by this crate (`Bound` does), and
    /// that `start..end` lies within the root entity's rows.
    pub fn run(
        &self,
        ctx: &mut KernelCtx,
        start: usize,
        end: usize,
        out: &mut [i64],
        errors: &mut [ErrorRecord],
    ) -> Result<(), CodegenError> {
        let n = end.saturating_sub(start);
        if out.len() != n * self.outputs || errors.len() != n {
            return Err(CodegenError::Unsupported(
                "internal: output buffers of the wrong size".into(),
            ));
        }
        if n == 0 {
            return Ok(());
        }
        // SAFETY: the kernel reads only through `ctx`: column and offset views of a
        // checked batch (every row index it forms is a root row in `start..end`, which
        // the caller keeps within the root's length, or a child row taken from checked
        // CSR offsets; enumeration codes index tables only after a range check), the
        // parameter tables and text codes built for this program, and the memo arrays,
        // which hold one slot per definition. It writes `n × outputs` values to `out`
        // and `n` records to `errors`, whose lengths were checked above. It never traps:
        // every division and overflow is checked in generated code or in the helpers.
        unsafe {
            (self.kernel)(
                ctx,
                start as i64,
                end as i64,
                out.as_mut_ptr(),
                errors.as_mut_ptr(),
            );
        }
        Ok(())
    }
}
