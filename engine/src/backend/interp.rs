//! The interpreter as a backend: the reference semantics, total on any batch that
//! matches the program's schema.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use bylaw_codegen::layout::OutputColumn;
use bylaw_compiler::interp::Evaluator;
use bylaw_compiler::ir::{Program, Value};
use bylaw_compiler::types::Ty;
use bylaw_runtime::batch::Batch;

use super::{Backend, BackendError, BackendErrorKind, BackendKind, Evaluation, Prepared};

/// The reference interpreter for one program at one date.
#[derive(Debug)]
pub struct Interpreter {
    program: Program,
    date: i32,
    previous_rows: Option<Vec<Option<u32>>>,
}

impl Interpreter {
    /// The interpreter for `program` with the versions and values in force on `date`
    /// (days since 1970-01-01).
    pub fn new(program: &Program, date: i32) -> Interpreter {
        Interpreter {
            program: program.clone(),
            date,
            previous_rows: None,
        }
    }

    /// For a yearly table: the row of each row's region in the year before
    /// (`x[last year]`), which only the interpreter evaluates.
    pub fn with_previous_rows(mut self, rows: Vec<Option<u32>>) -> Interpreter {
        self.previous_rows = Some(rows);
        self
    }

    /// The program it evaluates.
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// The evaluation date (days since 1970-01-01).
    pub fn date(&self) -> i32 {
        self.date
    }

    fn evaluator(&self) -> Evaluator<'_> {
        let e = Evaluator::new(&self.program, self.date);
        match &self.previous_rows {
            Some(rows) => e.with_previous_rows(rows.clone()),
            None => e,
        }
    }
}

impl Backend for Interpreter {
    fn kind(&self) -> BackendKind {
        BackendKind::Interpreter
    }

    fn prepare<'b>(&'b self, batch: &'b Batch) -> Result<Box<dyn Prepared + 'b>, BackendError> {
        batch.check(&self.program.schema).map_err(|e| {
            BackendError::new(BackendKind::Interpreter, BackendErrorKind::RejectedBatch, e)
        })?;
        Ok(Box::new(Interpreting {
            evaluator: self.evaluator(),
            batch,
        }))
    }
}

struct Interpreting<'b> {
    evaluator: Evaluator<'b>,
    batch: &'b Batch,
}

impl Prepared for Interpreting<'_> {
    fn evaluate(&self, rows: Range<usize>) -> Result<Evaluation, BackendError> {
        if rows.start > rows.end || rows.end > self.batch.root_len() {
            return Err(BackendError::new(
                BackendKind::Interpreter,
                BackendErrorKind::RowsOutOfRange,
                format!("rows {rows:?} of {}", self.batch.root_len()),
            ));
        }
        let program = self.evaluator.program();
        let types: Vec<Ty> = program.outputs.iter().map(|d| program.def(*d).ty).collect();
        let n = rows.len();
        let mut columns: Vec<OutputColumn> = types
            .iter()
            .map(|t| bylaw_codegen::output_column(*t, n))
            .collect();
        let mut failed = vec![0u8; n];
        let mut errors = Vec::new();
        let mut dictionary: Vec<Arc<str>> = Vec::new();
        let mut interned: HashMap<Arc<str>, u32> = HashMap::new();
        let results = self.evaluator.eval_rows(self.batch, rows.clone());
        for (i, result) in results.into_iter().enumerate() {
            match result {
                Ok(values) => {
                    for (column, value) in columns.iter_mut().zip(values) {
                        set(column, i, value, &mut dictionary, &mut interned);
                    }
                }
                Err(e) => {
                    if let Some(f) = failed.get_mut(i) {
                        *f = 1;
                    }
                    errors.push((i, e));
                }
            }
        }
        Ok(Evaluation::from_parts(
            BackendKind::Interpreter,
            rows,
            types,
            columns,
            failed,
            errors,
            dictionary,
        ))
    }
}

/// Stores `value` as element `i` of `column`, interning text.
fn set(
    column: &mut OutputColumn,
    i: usize,
    value: Value,
    dictionary: &mut Vec<Arc<str>>,
    interned: &mut HashMap<Arc<str>, u32>,
) {
    match (column, value) {
        (OutputColumn::Int(c), Value::Int(v)) => {
            if let Some(x) = c.get_mut(i) {
                *x = v;
            }
        }
        (OutputColumn::Bool(c), Value::Bool(v)) => {
            if let Some(x) = c.get_mut(i) {
                *x = u8::from(v);
            }
        }
        (OutputColumn::Date(c), Value::Date(v)) => {
            if let Some(x) = c.get_mut(i) {
                *x = v;
            }
        }
        (OutputColumn::Code(c), Value::Enum(v)) => {
            if let Some(x) = c.get_mut(i) {
                *x = v;
            }
        }
        (OutputColumn::Code(c), Value::Text(t)) => {
            let code = *interned.entry(t.clone()).or_insert_with(|| {
                dictionary.push(t);
                u32::try_from(dictionary.len() - 1).unwrap_or(u32::MAX)
            });
            if let Some(x) = c.get_mut(i) {
                *x = code;
            }
        }
        // The checker gives every output one type, so a value always fits its column.
        _ => {}
    }
}
