//! Native code as backends: a policy compiled in this process with Cranelift ([`Jit`]),
//! and the object `bylaw build` emits, linked into a shared library and loaded
//! ([`Aot`]). Neither falls back to the interpreter: a program or batch they do not
//! take is a [`BackendError`].

use std::ops::Range;
use std::time::Duration;

use bylaw_codegen::{Bound, CodegenError, JitPolicy, LoadedBound, LoadedPolicy, ResultColumns};
use bylaw_compiler::interp::EvalError;
use bylaw_compiler::ir::Program;
use bylaw_compiler::types::Ty;
use bylaw_runtime::batch::Batch;
use bylaw_runtime::native::layout::ErrorRecord;

use super::{Backend, BackendError, BackendErrorKind, BackendKind, Evaluation, Prepared};

fn declined(kind: BackendKind, e: CodegenError) -> BackendError {
    match e {
        CodegenError::Unsupported(m) => BackendError::new(kind, BackendErrorKind::Unsupported, m),
        CodegenError::Module(m) => BackendError::new(kind, BackendErrorKind::Build, m),
    }
}

fn output_types(program: &Program) -> Vec<Ty> {
    program.outputs.iter().map(|d| program.def(*d).ty).collect()
}

/// Kernel result columns as an [`Evaluation`], each failure decoded into the
/// interpreter's error.
fn evaluation(
    kind: BackendKind,
    types: Vec<Ty>,
    columns: ResultColumns,
    decode: &impl Fn(&ErrorRecord) -> EvalError,
) -> Evaluation {
    let start = columns.rows.start;
    let errors = columns
        .failures
        .iter()
        .filter_map(|f| {
            let offset = usize::try_from(f.row).ok()?.checked_sub(start)?;
            Some((offset, decode(&f.error)))
        })
        .collect();
    Evaluation::from_parts(
        kind,
        columns.rows,
        types,
        columns.outputs,
        columns.errors,
        errors,
        columns.dictionary,
    )
}

/// Native code compiled in this process for one program at one date.
#[derive(Debug)]
pub struct Jit {
    policy: JitPolicy,
    types: Vec<Ty>,
}

impl Jit {
    /// Compiles `program` with the versions and values in force on `date`.
    ///
    /// # Errors
    /// [`BackendErrorKind::Unsupported`] for a construct native code lacks (for example
    /// `x[last year]`); [`BackendErrorKind::Build`] if Cranelift refuses the host.
    pub fn new(program: &Program, date: i32) -> Result<Jit, BackendError> {
        let policy = JitPolicy::new(program, date).map_err(|e| declined(BackendKind::Jit, e))?;
        Ok(Jit {
            policy,
            types: output_types(program),
        })
    }

    /// How long compiling took.
    pub fn compile_time(&self) -> Duration {
        self.policy.compile_time()
    }
}

impl Backend for Jit {
    fn kind(&self) -> BackendKind {
        BackendKind::Jit
    }

    fn prepare<'b>(&'b self, batch: &'b Batch) -> Result<Box<dyn Prepared + 'b>, BackendError> {
        let bound = self.policy.bind(batch).map_err(|e| {
            BackendError::new(BackendKind::Jit, BackendErrorKind::RejectedBatch, e.0)
        })?;
        Ok(Box::new(NativePrepared {
            kind: BackendKind::Jit,
            types: &self.types,
            bound,
            decode: |r: &ErrorRecord| self.policy.eval_error(r),
        }))
    }
}

/// A policy compiled ahead of time to an object, linked with the system C compiler
/// into a shared library and loaded into this process — the code an embedder runs.
#[derive(Debug)]
pub struct Aot {
    policy: LoadedPolicy,
    types: Vec<Ty>,
}

impl Aot {
    /// Compiles, links and loads `program` at `date`.
    ///
    /// # Errors
    /// [`BackendErrorKind::Unsupported`] for what AOT does not compile (text outputs,
    /// `x[last year]`); [`BackendErrorKind::Build`] if the C compiler is missing or the
    /// link or load fails.
    pub fn new(program: &Program, date: i32) -> Result<Aot, BackendError> {
        let policy =
            LoadedPolicy::build(program, date).map_err(|e| declined(BackendKind::Aot, e))?;
        Ok(Aot {
            policy,
            types: output_types(program),
        })
    }

    /// How long compiling, linking and loading took.
    pub fn build_time(&self) -> Duration {
        self.policy.build_time()
    }
}

impl Backend for Aot {
    fn kind(&self) -> BackendKind {
        BackendKind::Aot
    }

    fn prepare<'b>(&'b self, batch: &'b Batch) -> Result<Box<dyn Prepared + 'b>, BackendError> {
        let bound = self.policy.bind(batch).map_err(|e| {
            BackendError::new(BackendKind::Aot, BackendErrorKind::RejectedBatch, e.0)
        })?;
        Ok(Box::new(NativePrepared {
            kind: BackendKind::Aot,
            types: &self.types,
            bound,
            decode: |r: &ErrorRecord| self.policy.eval_error(r),
        }))
    }
}

/// Compiled code bound to a batch, as both native backends give it.
trait NativeBound: Sync {
    /// Evaluates `rows` into `out`; `false` if the rows do not lie within the batch.
    fn eval_into(&self, rows: Range<usize>, out: &mut ResultColumns) -> bool;
}

impl NativeBound for Bound<'_> {
    fn eval_into(&self, rows: Range<usize>, out: &mut ResultColumns) -> bool {
        self.eval_columns_into(rows, out)
    }
}

impl NativeBound for LoadedBound<'_> {
    fn eval_into(&self, rows: Range<usize>, out: &mut ResultColumns) -> bool {
        self.eval_columns_into(rows, out)
    }
}

/// A batch bound by a native backend, with what turns its results into an
/// [`Evaluation`].
struct NativePrepared<'b, B, D> {
    kind: BackendKind,
    types: &'b [Ty],
    bound: B,
    decode: D,
}

impl<B, D> Prepared for NativePrepared<'_, B, D>
where
    B: NativeBound,
    D: Fn(&ErrorRecord) -> EvalError + Sync,
{
    fn evaluate(&self, rows: Range<usize>) -> Result<Evaluation, BackendError> {
        let mut columns = ResultColumns::default();
        if !self.bound.eval_into(rows.clone(), &mut columns) {
            return Err(BackendError::new(
                self.kind,
                BackendErrorKind::RowsOutOfRange,
                format!("rows {rows:?}"),
            ));
        }
        Ok(evaluation(
            self.kind,
            self.types.to_vec(),
            columns,
            &self.decode,
        ))
    }
}
