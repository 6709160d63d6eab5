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
//! let results = bound.eval_rows(0..batch.root_len());
//! # let _ = results; Ok(()) }
//! ```

mod helpers;
mod jit;
pub mod layout;
mod translate;

use std::ops::Range;
use std::time::{Duration, Instant};

use bylaw_compiler::interp::{ErrorKind, EvalError, Evaluator};
use bylaw_compiler::ir::{DefId, Program, Value};
use bylaw_compiler::types::Ty;
use bylaw_runtime::arith::ArithError;
use bylaw_runtime::batch::Batch;
use bylaw_runtime::date;

use crate::layout::{
    ERR_BELOW_BRACKET, ERR_DIV_ZERO, ERR_MISSING_PARAM, ERR_NO_VERSION, ERR_NONE, ERR_OVERFLOW,
    ERR_SCALE_NONE, ErrorRecord, Interned, KernelCtx,
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
        let (jit, needs) = jit::Jit::compile(&plan, program.outputs.len())?;
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

    fn value(&self, ty: Ty, v: i64, interned: &Interned) -> Value {
        match ty {
            Ty::Bool => Value::Bool(v != 0),
            Ty::Date => Value::Date(v as i32),
            Ty::Enum(_) => Value::Enum(v as u32),
            Ty::Text => Value::Text(
                usize::try_from(v)
                    .ok()
                    .and_then(|i| interned.dictionary.get(i))
                    .cloned()
                    .unwrap_or_else(|| "".into()),
            ),
            _ => Value::Int(v),
        }
    }

    fn error(&self, rec: &ErrorRecord) -> EvalError {
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
    /// Runs the kernel over root rows `rows` (within the batch) into caller buffers:
    /// `out` holds `rows.len() × outputs` raw values, row by row; `errors` one record
    /// per row (`kind` 0 when the row's outputs were all computed). Returns `false`,
    /// writing nothing, if the rows or buffer sizes do not fit.
    pub fn eval_into(
        &self,
        rows: Range<usize>,
        out: &mut [i64],
        errors: &mut [ErrorRecord],
    ) -> bool {
        let policy = self.policy;
        if rows.start > rows.end || rows.end > self.batch.root_len() {
            return false;
        }
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
        let mut ctx = KernelCtx {
            columns: columns.as_ptr(),
            offsets: offsets.as_ptr(),
            tables: tables.as_ptr(),
            texts: texts.as_ptr(),
            memo_tags: memo_tags.as_mut_ptr(),
            memo_values: memo_values.as_mut_ptr(),
            status: 0,
            error: ErrorRecord::default(),
        };
        policy
            .jit
            .run(&mut ctx, rows.start, rows.end, out, errors)
            .is_ok()
    }

    /// Evaluates every output of each root row in `rows`. Rows past the end of the
    /// batch get what the interpreter gives them.
    pub fn eval_rows(&self, rows: Range<usize>) -> Vec<RowResult> {
        let policy = self.policy;
        let len = self.batch.root_len();
        let start = rows.start.min(len);
        let end = rows.end.clamp(start, len);
        let mut results = Vec::with_capacity(rows.len());
        if rows.start < start {
            // Unreachable (start is clamped to len), kept for totality.
            return Evaluator::new(&policy.program, policy.date).eval_rows(self.batch, rows);
        }
        let n = end - start;
        let outputs = policy.program.outputs.len();
        let mut out = vec![0i64; n * outputs];
        let mut errors = vec![ErrorRecord::default(); n];
        if !self.eval_into(start..end, &mut out, &mut errors) {
            return Evaluator::new(&policy.program, policy.date).eval_rows(self.batch, rows);
        }
        let types: Vec<Ty> = policy
            .program
            .outputs
            .iter()
            .map(|d| policy.program.def(*d).ty)
            .collect();
        for (i, rec) in errors.iter().enumerate() {
            if rec.kind == ERR_NONE {
                let row = out.get(i * outputs..(i + 1) * outputs).unwrap_or(&[]);
                results.push(Ok(row
                    .iter()
                    .zip(&types)
                    .map(|(v, ty)| policy.value(*ty, *v, &self.interned))
                    .collect()));
            } else {
                results.push(Err(policy.error(rec)));
            }
        }
        if end < rows.end {
            let rest =
                Evaluator::new(&policy.program, policy.date).eval_rows(self.batch, end..rows.end);
            results.extend(rest);
        }
        results
    }
}
