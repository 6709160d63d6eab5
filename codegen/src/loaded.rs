//! A policy compiled ahead of time and loaded into this process: the object `bylaw
//! build` writes (the same kernel, tables and descriptor), linked into a shared
//! library with the system C compiler and opened with the runtime's
//! [`Library`]. The benchmark and the differential tests run AOT code this way, next
//! to the JIT and the interpreter, with the same results type.

use std::ops::Range;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use bylaw_compiler::ir::Program;
use bylaw_runtime::batch::Batch;
use bylaw_runtime::native::layout::Slots;
use bylaw_runtime::native::library::{Checked, Library};

use crate::aot::{c_name, compile_object_for_loading, link_shared};
use crate::{CodegenError, RejectedBatch, ResultColumns, RowResult, decode, output_column};

/// A compiled, linked and loaded policy for one evaluation date.
#[derive(Debug)]
pub struct LoadedPolicy {
    library: Library,
    program: Program,
    date: i32,
    slots: Slots,
    build_time: Duration,
    /// Holds the object and the library; removed when the policy is dropped.
    _dir: tempfile::TempDir,
}

impl LoadedPolicy {
    /// Compiles `program` at `date` to an object, links it into a shared library in a
    /// temporary directory and loads it.
    ///
    /// # Errors
    /// [`CodegenError::Unsupported`] for what AOT does not compile (text, `[last
    /// year]`); [`CodegenError::Module`] if the C compiler is missing, the link fails
    /// or the library cannot be loaded.
    pub fn build(program: &Program, date: i32) -> Result<LoadedPolicy, CodegenError> {
        let started = Instant::now();
        let policy = program
            .policy
            .as_ref()
            .map_or("policy", |p| p.name.as_str());
        let name = c_name(policy);
        let object = compile_object_for_loading(program, date, policy)?;
        let dir = tempfile::tempdir().map_err(|e| CodegenError::Module(e.to_string()))?;
        let o: PathBuf = dir.path().join(format!("bylaw_{name}.o"));
        let so: PathBuf = dir.path().join(format!("libbylaw_{name}.so"));
        std::fs::write(&o, &object.object).map_err(|e| CodegenError::Module(e.to_string()))?;
        link_shared(&[o.as_path()], &so).map_err(CodegenError::Module)?;
        // SAFETY (of the call, which `Library::open` requires): the library was just
        // linked from the object this crate compiled from `program`.
        #[allow(unsafe_code, reason = "loading the library this function just linked")]
        let library = unsafe { Library::open(&so, &name) }
            .map_err(|e| CodegenError::Module(e.to_string()))?;
        Ok(LoadedPolicy {
            library,
            program: program.clone(),
            date,
            slots: Slots::new(&program.schema),
            build_time: started.elapsed(),
            _dir: dir,
        })
    }

    /// The loaded library (its name, date and ABI version; its source hash is zero).
    pub fn library(&self) -> &Library {
        &self.library
    }

    /// How long compiling, linking and loading took.
    pub fn build_time(&self) -> Duration {
        self.build_time
    }

    /// The interpreter's error for a kernel's error record: the same kind, definition
    /// and message.
    pub fn eval_error(
        &self,
        rec: &bylaw_runtime::native::layout::ErrorRecord,
    ) -> bylaw_compiler::interp::EvalError {
        decode::eval_error(&self.program, self.date, rec)
    }

    /// Checks `batch` against the program's schema, then against the library's shape.
    ///
    /// # Errors
    /// [`RejectedBatch`] if either check fails.
    pub fn bind<'b>(&'b self, batch: &'b Batch) -> Result<LoadedBound<'b>, RejectedBatch> {
        batch.check(&self.program.schema).map_err(RejectedBatch)?;
        let input = self
            .library
            .input_of(batch, &self.slots)
            .map_err(|e| RejectedBatch(e.to_string()))?;
        let checked = self
            .library
            .check(input)
            .map_err(|e| RejectedBatch(e.to_string()))?;
        Ok(LoadedBound {
            policy: self,
            checked,
        })
    }
}

/// A batch checked for a loaded policy; shareable between threads.
pub struct LoadedBound<'b> {
    policy: &'b LoadedPolicy,
    checked: Checked<'b>,
}

impl LoadedBound<'_> {
    /// As [`crate::Bound::eval_columns_into`].
    pub fn eval_columns_into(&self, rows: Range<usize>, out: &mut ResultColumns) -> bool {
        let program = &self.policy.program;
        if out.outputs.len() != program.outputs.len() {
            out.outputs = program
                .outputs
                .iter()
                .map(|d| output_column(program.def(*d).ty, 0))
                .collect();
        }
        out.dictionary.clear();
        let ran = self.checked.eval(
            rows.start as u64..rows.end as u64,
            &mut out.outputs,
            &mut out.errors,
            &mut out.failures,
        );
        if ran.is_err() {
            out.rows = rows.start..rows.start;
            out.outputs.clear();
            out.errors.clear();
            out.failures.clear();
            return false;
        }
        out.rows = rows;
        true
    }

    /// As [`crate::Bound::row_result`].
    pub fn row_result(&self, columns: &ResultColumns, i: usize) -> RowResult {
        decode::row_result(&self.policy.program, self.policy.date, columns, i)
    }

    /// As [`crate::Bound::row_results`]: `None` for rows the library does not take.
    pub fn row_results(&self, rows: Range<usize>) -> Option<Vec<RowResult>> {
        let mut out = ResultColumns::default();
        if !self.eval_columns_into(rows, &mut out) {
            return None;
        }
        Some((0..out.len()).map(|i| self.row_result(&out, i)).collect())
    }
}
