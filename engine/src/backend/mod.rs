//! Backends: the interpreter, native code compiled in this process (JIT) and a policy
//! compiled ahead of time and loaded (AOT), behind one trait with one result type.
//!
//! A backend never falls back to another one: when it cannot take a program or a batch
//! it says so with a [`BackendError`], and the caller decides (and reports) what to do.

mod evaluation;
mod interp;
mod native;

use std::fmt;
use std::ops::Range;

use bylaw_runtime::batch::Batch;

pub use evaluation::Evaluation;
pub use interp::Interpreter;
pub use native::{Aot, Jit};

/// Which backend evaluated something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BackendKind {
    /// The reference interpreter: the semantics every other backend must reproduce.
    Interpreter,
    /// Native code compiled with Cranelift in this process.
    Jit,
    /// The object `bylaw build` emits, linked into a shared library and loaded.
    Aot,
}

impl BackendKind {
    /// Every backend, the reference first.
    pub const ALL: [BackendKind; 3] =
        [BackendKind::Interpreter, BackendKind::Jit, BackendKind::Aot];

    /// A short lowercase name (`interp`, `jit`, `aot`), as the command line spells it.
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Interpreter => "interp",
            BackendKind::Jit => "jit",
            BackendKind::Aot => "aot",
        }
    }
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BackendKind::Interpreter => "interpreter",
            BackendKind::Jit => "native code (JIT)",
            BackendKind::Aot => "native code (AOT library)",
        })
    }
}

/// Why a backend did not evaluate: it does not compile the program, or it refused a
/// batch. Never a household's error — those are part of an [`Evaluation`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendError {
    backend: BackendKind,
    reason: BackendErrorKind,
    detail: String,
}

/// The kind of a [`BackendError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendErrorKind {
    /// The backend does not compile something the program uses (a construct it lacks).
    Unsupported,
    /// Compiling, linking or loading failed (the host, the C compiler, Cranelift).
    Build,
    /// The batch does not match the program's schema or the library's input shape.
    RejectedBatch,
    /// The rows asked for do not lie within the batch.
    RowsOutOfRange,
}

impl BackendError {
    pub(crate) fn new(
        backend: BackendKind,
        reason: BackendErrorKind,
        detail: impl Into<String>,
    ) -> Self {
        BackendError {
            backend,
            reason,
            detail: detail.into(),
        }
    }

    /// The backend that declined.
    pub fn backend(&self) -> BackendKind {
        self.backend
    }

    /// Why it declined.
    pub fn kind(&self) -> BackendErrorKind {
        self.reason
    }

    /// The backend's own words.
    pub fn detail(&self) -> &str {
        &self.detail
    }
}

impl fmt::Display for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.reason {
            BackendErrorKind::Unsupported => "does not compile this policy",
            BackendErrorKind::Build => "could not be built",
            BackendErrorKind::RejectedBatch => "refused the data",
            BackendErrorKind::RowsOutOfRange => "was asked for rows outside the data",
        };
        write!(f, "{} {what}: {}", self.backend, self.detail)
    }
}

impl std::error::Error for BackendError {}

/// A way of evaluating a checked program at one date over batches of households.
///
/// Implemented by [`Interpreter`], [`Jit`] and [`Aot`]; every implementation gives the
/// same [`Evaluation`] — the same values and the same per-household errors — for the
/// same batch, which the conformance corpus checks.
pub trait Backend: Send + Sync {
    /// Which backend this is.
    fn kind(&self) -> BackendKind;

    /// Checks `batch` once and prepares it for any number of evaluations, possibly
    /// from several threads at once.
    ///
    /// # Errors
    /// [`BackendErrorKind::RejectedBatch`] if the batch does not fit the program.
    fn prepare<'b>(&'b self, batch: &'b Batch) -> Result<Box<dyn Prepared + 'b>, BackendError>;

    /// Evaluates root rows `rows` of `batch`: [`Backend::prepare`] then
    /// [`Prepared::evaluate`].
    ///
    /// # Errors
    /// As [`Backend::prepare`] and [`Prepared::evaluate`].
    fn evaluate(&self, batch: &Batch, rows: Range<usize>) -> Result<Evaluation, BackendError> {
        self.prepare(batch)?.evaluate(rows)
    }
}

/// A batch checked and prepared by a backend.
pub trait Prepared: Sync {
    /// Evaluates every output of root rows `rows`.
    ///
    /// # Errors
    /// [`BackendErrorKind::RowsOutOfRange`] if `rows` does not lie within the batch.
    fn evaluate(&self, rows: Range<usize>) -> Result<Evaluation, BackendError>;
}
