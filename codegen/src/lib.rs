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
//! let results = bound.eval_rows(0..batch.root_len());
//! # let _ = (columns, results); Ok(()) }
//! ```

pub mod aot;
mod header;
mod jit;
mod translate;

pub use bylaw_runtime::native::layout;

use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bylaw_compiler::interp::{ErrorKind, EvalError, Evaluator};
use bylaw_compiler::ir::{DefId, Program, Value};
use bylaw_compiler::types::Ty;
use bylaw_runtime::arith::ArithError;
use bylaw_runtime::batch::Batch;
use bylaw_runtime::date;

use crate::layout::{
    ERR_BELOW_BRACKET, ERR_DIV_ZERO, ERR_MISSING_PARAM, ERR_NO_VERSION, ERR_OVERFLOW,
    ERR_SCALE_NONE, ErrorRecord, FailedRow, Interned, KernelCtx,
};
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

/// The values of one output for a range of root rows, in the kernel's representation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputColumn {
    /// Numbers (money, rates, decimals, counts, durations), scaled as in the runtime.
    Int(Vec<i64>),
    /// Booleans, 0 or 1.
    Bool(Vec<u8>),
    /// Day numbers.
    Date(Vec<i32>),
    /// Variant indexes, or for a text output indexes into [`ResultColumns::dictionary`].
    Code(Vec<u32>),
}

impl OutputColumn {
    /// A zeroed column of `len` elements for an output of type `ty`.
    pub fn zeroed(ty: Ty, len: usize) -> OutputColumn {
        match ty {
            Ty::Bool => OutputColumn::Bool(vec![0; len]),
            Ty::Date => OutputColumn::Date(vec![0; len]),
            Ty::Enum(_) | Ty::Text => OutputColumn::Code(vec![0; len]),
            _ => OutputColumn::Int(vec![0; len]),
        }
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        match self {
            OutputColumn::Int(v) => v.len(),
            OutputColumn::Bool(v) => v.len(),
            OutputColumn::Date(v) => v.len(),
            OutputColumn::Code(v) => v.len(),
        }
    }

    /// Whether the column has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Element `i` widened to the kernel's `i64`.
    pub fn get(&self, i: usize) -> Option<i64> {
        match self {
            OutputColumn::Int(v) => v.get(i).copied(),
            OutputColumn::Bool(v) => v.get(i).map(|x| i64::from(*x)),
            OutputColumn::Date(v) => v.get(i).map(|x| i64::from(*x)),
            OutputColumn::Code(v) => v.get(i).map(|x| i64::from(*x)),
        }
    }

    fn width(&self) -> usize {
        match self {
            OutputColumn::Int(_) => 8,
            OutputColumn::Bool(_) => 1,
            OutputColumn::Date(_) | OutputColumn::Code(_) => 4,
        }
    }

    fn as_mut_ptr(&mut self) -> *mut u8 {
        match self {
            OutputColumn::Int(v) => v.as_mut_ptr().cast(),
            OutputColumn::Bool(v) => v.as_mut_ptr(),
            OutputColumn::Date(v) => v.as_mut_ptr().cast(),
            OutputColumn::Code(v) => v.as_mut_ptr().cast(),
        }
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

    /// Evaluates every output of each root row in `rows`. A batch the kernel refuses
    /// (see [`JitPolicy::bind`]) is evaluated by the interpreter, which is total on any
    /// data.
    pub fn eval_rows(&self, batch: &Batch, rows: Range<usize>) -> Vec<RowResult> {
        match self.bind(batch) {
            Ok(bound) => bound.eval_rows(rows),
            Err(_) => Evaluator::new(&self.program, self.date).eval_rows(batch, rows),
        }
    }

    /// The program's outputs' types, in output order.
    pub fn output_types(&self) -> Vec<Ty> {
        let p = &self.program;
        p.outputs.iter().map(|d| p.def(*d).ty).collect()
    }

    fn value(&self, ty: Ty, v: i64, dictionary: &[Arc<str>]) -> Value {
        match ty {
            Ty::Bool => Value::Bool(v != 0),
            Ty::Date => Value::Date(v as i32),
            Ty::Enum(_) => Value::Enum(v as u32),
            Ty::Text => Value::Text(
                usize::try_from(v)
                    .ok()
                    .and_then(|i| dictionary.get(i))
                    .cloned()
                    .unwrap_or_else(|| "".into()),
            ),
            _ => Value::Int(v),
        }
    }

    /// The interpreter's error for a kernel's error record: the same kind, definition
    /// and message.
    pub fn eval_error(&self, rec: &ErrorRecord) -> EvalError {
        let program = &self.program;
        let def = DefId(rec.def);
        let day = date::format_date(self.date);
        let missing = |detail: String| (ErrorKind::MissingValue, detail);
        let (kind, detail) = match rec.kind {
            ERR_OVERFLOW => (
                ErrorKind::Arith(ArithError::Overflow),
                ArithError::Overflow.to_string(),
            ),
            ERR_DIV_ZERO => (
                ErrorKind::Arith(ArithError::DivisionByZero),
                ArithError::DivisionByZero.to_string(),
            ),
            ERR_NO_VERSION => missing(format!(
                "no version of `{}` is in force on {day}",
                program
                    .defs
                    .get(def.index())
                    .map_or("?", |d| d.name.as_str())
            )),
            ERR_MISSING_PARAM => {
                let p = usize::try_from(rec.aux)
                    .ok()
                    .and_then(|i| program.params.get(i));
                let name = p.map_or("?", |p| p.name.as_str());
                let key = u32::try_from(rec.arg).ok();
                let key_text = match (p.and_then(|p| p.by), key) {
                    (Some(e), Some(k)) => program
                        .enums
                        .get(e.index())
                        .and_then(|e| e.variants.get(k as usize))
                        .map(|v| format!(" for `{}`", v.name))
                        .unwrap_or_default(),
                    _ => String::new(),
                };
                missing(format!("`{name}` has no value{key_text} on {day}"))
            }
            ERR_SCALE_NONE => missing(format!(
                "scale `{}` has no brackets in force on {day}",
                self.scale_name(rec.aux)
            )),
            ERR_BELOW_BRACKET => missing(format!(
                "{} is below the first bracket of scale `{}`",
                rec.arg,
                self.scale_name(rec.aux)
            )),
            other => missing(format!("internal: unknown error code {other}")),
        };
        EvalError {
            kind,
            def: Some(def),
            detail,
        }
    }

    fn scale_name(&self, index: i64) -> &str {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.program.scales.get(i))
            .map_or("?", |s| s.name.as_str())
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
            out.outputs = types.iter().map(|t| OutputColumn::zeroed(*t, 0)).collect();
        }
        for (c, ty) in out.outputs.iter_mut().zip(&types) {
            if c.width() != translate::output_width(*ty) {
                *c = OutputColumn::zeroed(*ty, n);
            }
            match c {
                OutputColumn::Int(v) => v.resize(n, 0),
                OutputColumn::Bool(v) => v.resize(n, 0),
                OutputColumn::Date(v) => v.resize(n, 0),
                OutputColumn::Code(v) => v.resize(n, 0),
            }
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
        let policy = self.policy;
        if let Some(f) = columns.failure(columns.rows.start + i) {
            return Err(policy.eval_error(&f.error));
        }
        let types = policy.output_types();
        Ok(columns
            .outputs
            .iter()
            .zip(&types)
            .map(|(c, ty)| policy.value(*ty, c.get(i).unwrap_or(0), &columns.dictionary))
            .collect())
    }

    /// Evaluates every output of each root row in `rows`. Rows past the end of the
    /// batch get what the interpreter gives them.
    pub fn eval_rows(&self, rows: Range<usize>) -> Vec<RowResult> {
        let policy = self.policy;
        let len = self.batch.root_len();
        let start = rows.start.min(len);
        let end = rows.end.clamp(start, len);
        let interpret =
            |r: Range<usize>| Evaluator::new(&policy.program, policy.date).eval_rows(self.batch, r);
        if rows.start > len {
            return interpret(rows);
        }
        let Some(columns) = self.eval_columns(start..end) else {
            return interpret(rows);
        };
        let mut results: Vec<RowResult> = (0..columns.len())
            .map(|i| self.row_result(&columns, i))
            .collect();
        if end < rows.end {
            results.extend(interpret(end..rows.end));
        }
        results
    }
}
