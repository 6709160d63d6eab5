//! Bylaw's native backend: a checked [`Program`] at one evaluation date compiled with
//! Cranelift to a batch kernel over the columnar [`Batch`], giving exactly the
//! interpreter's results — the same values and, for a household that fails, the same
//! error in the same definition.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let program: bylaw_compiler::Program = todo!();
//! # let batch: bylaw_runtime::batch::Batch = todo!();
//! let policy = bylaw_codegen::JitPolicy::new(&program, 19_570)?;
//! let bound = policy.bind(&batch)?;
//! // One array per output and an error code per household:
//! let columns = bound.eval_columns(0..batch.root_len()).ok_or("rows out of range")?;
//! // Or values and errors per household, as the interpreter gives them:
//! let results = bound.row_results(0..batch.root_len()).ok_or("rows out of range")?;
//! # let _ = (columns, results); Ok(()) }
//! ```

pub mod aot;
mod decode;
mod header;
mod jit;
mod loaded;
mod translate;

pub use bylaw_runtime::native::layout;
pub use decode::value as output_value;
pub use loaded::{LoadedBound, LoadedPolicy};

use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bylaw_compiler::interp::EvalError;
use bylaw_compiler::ir::{Program, Value};
use bylaw_compiler::types::Ty;
use bylaw_runtime::batch::Batch;

pub use crate::layout::OutputColumn;
use crate::layout::{ErrorRecord, FailedRow, Interned, KernelCtx};
use crate::translate::{Needs, Plan, TableCell};

/// Why a program could not be compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodegenError {
    /// The program uses something the native backend does not compile.
    Unsupported(String),
    /// Cranelift refused the generated code or the host.
    Module(String),
}

impl CodegenError {
    fn module(e: cranelift_module::ModuleError) -> CodegenError {
        CodegenError::Module(e.to_string())
    }
}

impl std::fmt::Display for CodegenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CodegenError::Unsupported(m) => write!(f, "not supported by the native backend: {m}"),
            CodegenError::Module(m) => write!(f, "native code generation failed: {m}"),
        }
    }
}

impl std::error::Error for CodegenError {}

/// A batch the kernel will not run on: it failed `Batch::check` against the program's
/// schema (native code relies on checked offsets and codes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedBatch(pub String);

impl std::fmt::Display for RejectedBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the batch does not match the policy's schema: {}",
            self.0
        )
    }
}

impl std::error::Error for RejectedBatch {}

/// One root row's outputs, or its error.
pub type RowResult = Result<Vec<Value>, EvalError>;

/// A zeroed column of `len` elements for an output of type `ty`.
pub fn output_column(ty: Ty, len: usize) -> OutputColumn {
    match ty {
        Ty::Bool => OutputColumn::Bool(vec![0; len]),
        Ty::Date => OutputColumn::Date(vec![0; len]),
        Ty::Enum(_) | Ty::Text => OutputColumn::Code(vec![0; len]),
        _ => OutputColumn::Int(vec![0; len]),
    }
}

/// The results of a range of root rows as columns: no allocation per household.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResultColumns {
    /// The root rows evaluated; element `i` of every column is row `rows.start + i`.
    pub rows: Range<usize>,
    /// One column per output, in `Program::outputs` order. A failed row's elements are
    /// unspecified.
    pub outputs: Vec<OutputColumn>,
    /// Per row: 0, or the `ERR_*` code of the row's first error (see [`layout`]).
    pub errors: Vec<u8>,
    /// Each failed row (in row order) with its error's details.
    pub failures: Vec<FailedRow>,
    /// The strings of text outputs' codes (empty unless an output is text).
    pub dictionary: Vec<Arc<str>>,
}

impl ResultColumns {
    /// The number of rows.
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// Whether no row was evaluated.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// The failure of root row `row`, if it failed.
    pub fn failure(&self, row: usize) -> Option<&FailedRow> {
        let row = row as u64;
        self.failures
            .binary_search_by(|f| f.row.cmp(&row))
            .ok()
            .and_then(|i| self.failures.get(i))
    }
}

/// A policy compiled to native code for one evaluation date.
#[derive(Debug)]
pub struct JitPolicy {
    jit: jit::Jit,
    program: Program,
    date: i32,
    needs: Needs,
    slots: layout::Slots,
    compile_time: Duration,
}

impl JitPolicy {
    /// Compiles every output of `program` (with the versions, parameter values and
    /// scales in force on `date`) to one batch kernel.
    ///
    /// # Errors
    /// [`CodegenError`] if the program uses something the backend cannot compile or
    /// the host is not supported.
    pub fn new(program: &Program, date: i32) -> Result<JitPolicy, CodegenError> {
        let started = Instant::now();
        let plan = Plan::new(program, date)?;
        let widths = program
            .outputs
            .iter()
            .map(|d| translate::output_width(program.def(*d).ty))
            .collect();
        let (jit, needs) = jit::Jit::compile(&plan, widths)?;
        let slots = plan.slots().clone();
        Ok(JitPolicy {
            jit,
            program: program.clone(),
            date,
            needs,
            slots,
            compile_time: started.elapsed(),
        })
    }

    /// How long [`JitPolicy::new`] took.
    pub fn compile_time(&self) -> Duration {
        self.compile_time
    }

    /// Checks `batch` against the program's schema and prepares it for the kernel.
    ///
    /// # Errors
    /// [`RejectedBatch`] if the batch fails `Batch::check`.
    pub fn bind<'b>(&'b self, batch: &'b Batch) -> Result<Bound<'b>, RejectedBatch> {
        batch.check(&self.program.schema).map_err(RejectedBatch)?;
        let interned = Interned::new(
            batch,
            &self.slots,
            &self.needs.text_columns,
            &self.needs.texts,
        );
        let tables = self
            .needs
            .tables
            .iter()
            .map(|c| match c {
                TableCell::Absent => 0,
                TableCell::Int(i) => *i,
                TableCell::Text(t) => interned.constants.get(*t).copied().unwrap_or(0),
            })
            .collect();
        Ok(Bound {
            policy: self,
            batch,
            interned,
            tables,
        })
    }

    /// The program's outputs' types, in output order.
    pub fn output_types(&self) -> Vec<Ty> {
        let p = &self.program;
        p.outputs.iter().map(|d| p.def(*d).ty).collect()
    }

    /// The interpreter's error for a kernel's error record: the same kind, definition
    /// and message.
    pub fn eval_error(&self, rec: &ErrorRecord) -> EvalError {
        decode::eval_error(&self.program, self.date, rec)
    }
}

/// A checked batch bound to a compiled policy: text columns interned, parameter tables
/// built. Shareable between threads, each evaluating its own rows.
#[derive(Debug)]
pub struct Bound<'b> {
    policy: &'b JitPolicy,
    batch: &'b Batch,
    interned: Interned,
    tables: Vec<i64>,
}

impl Bound<'_> {
    /// Evaluates every output of root rows `rows` into columns. `None` if `rows` does
    /// not lie within the batch.
    pub fn eval_columns(&self, rows: Range<usize>) -> Option<ResultColumns> {
        let mut out = ResultColumns::default();
        self.eval_columns_into(rows, &mut out).then_some(out)
    }

    /// As [`Bound::eval_columns`], reusing `out`'s buffers. Returns `false`, leaving
    /// `out` empty, if `rows` does not lie within the batch.
    pub fn eval_columns_into(&self, rows: Range<usize>, out: &mut ResultColumns) -> bool {
        let policy = self.policy;
        out.rows = rows.start..rows.start;
        out.errors.clear();
        out.failures.clear();
        if rows.start > rows.end || rows.end > self.batch.root_len() {
            out.outputs.clear();
            return false;
        }
        let n = rows.len();
        let types = policy.output_types();
        if out.outputs.len() != types.len() {
            out.outputs = types.iter().map(|t| output_column(*t, 0)).collect();
        }
        for (c, ty) in out.outputs.iter_mut().zip(&types) {
            if c.width() != translate::output_width(*ty) {
                *c = output_column(*ty, n);
            }
            c.resize(n);
        }
        out.errors.resize(n, 0);
        out.dictionary = if types.contains(&Ty::Text) {
            self.interned.dictionary.clone()
        } else {
            Vec::new()
        };
        let (columns, offsets) = layout::views(self.batch, &policy.slots, &self.interned);
        let defs = policy.program.defs.len();
        let mut memo_tags = vec![0i64; defs.max(1)];
        let mut memo_values = vec![0i64; defs.max(1)];
        let texts = if self.interned.constants.is_empty() {
            vec![0]
        } else {
            self.interned.constants.clone()
        };
        let tables = if self.tables.is_empty() {
            vec![0]
        } else {
            self.tables.clone()
        };
        let helpers = bylaw_runtime::native::helpers::table();
        let mut ctx = KernelCtx {
            helpers: helpers.as_ptr(),
            columns: columns.as_ptr(),
            offsets: offsets.as_ptr(),
            tables: tables.as_ptr(),
            texts: texts.as_ptr(),
            memo_tags: memo_tags.as_mut_ptr(),
            memo_values: memo_values.as_mut_ptr(),
            status: 0,
            den: 1,
            error: ErrorRecord::default(),
            failures: std::ptr::null_mut(),
            failure_count: 0,
        };
        let ran = policy.jit.run(
            &mut ctx,
            rows.clone(),
            &mut out.outputs,
            &mut out.errors,
            &mut out.failures,
        );
        if ran.is_err() {
            out.errors.clear();
            out.outputs.clear();
            return false;
        }
        out.rows = rows;
        true
    }

    /// Row `i` of `columns` (root row `columns.rows.start + i`) as the interpreter
    /// gives it: its values, or its error.
    pub fn row_result(&self, columns: &ResultColumns, i: usize) -> RowResult {
        decode::row_result(&self.policy.program, self.policy.date, columns, i)
    }

    /// Evaluates every output of each root row in `rows`, as the interpreter gives
    /// them: values, or the household's error. `None` if `rows` do not lie within the
    /// batch — never an interpreter's answer in place of the kernel's.
    pub fn row_results(&self, rows: Range<usize>) -> Option<Vec<RowResult>> {
        let columns = self.eval_columns(rows)?;
        Some(
            (0..columns.len())
                .map(|i| self.row_result(&columns, i))
                .collect(),
        )
    }
}
