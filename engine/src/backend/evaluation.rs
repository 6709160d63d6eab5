//! One result type for every backend: a column per output, a flag per household, and
//! the error of each household that failed.

use std::ops::Range;
use std::sync::Arc;

use bylaw_codegen::layout::OutputColumn;
use bylaw_compiler::interp::EvalError;
use bylaw_compiler::ir::Value;
use bylaw_compiler::types::Ty;

use super::BackendKind;

/// The outputs of a range of households, as columns, with their errors.
///
/// Element `i` of every column belongs to root row `rows().start + i`. A household that
/// failed has an error (kind, definition, message) and unspecified column elements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    backend: BackendKind,
    rows: Range<usize>,
    types: Vec<Ty>,
    columns: Vec<OutputColumn>,
    /// Per household: 0 if it succeeded.
    failed: Vec<u8>,
    /// Each failed household (by offset into the range, ascending) with its error.
    errors: Vec<(usize, EvalError)>,
    /// The strings that text outputs' codes index.
    dictionary: Vec<Arc<str>>,
}

impl Evaluation {
    /// Assembles an evaluation; `errors` must be sorted by offset and name exactly the
    /// offsets whose `failed` flag is set.
    pub(crate) fn from_parts(
        backend: BackendKind,
        rows: Range<usize>,
        types: Vec<Ty>,
        columns: Vec<OutputColumn>,
        failed: Vec<u8>,
        errors: Vec<(usize, EvalError)>,
        dictionary: Vec<Arc<str>>,
    ) -> Evaluation {
        Evaluation {
            backend,
            rows,
            types,
            columns,
            failed,
            errors,
            dictionary,
        }
    }

    /// The backend that computed it.
    pub fn backend(&self) -> BackendKind {
        self.backend
    }

    /// The root rows evaluated.
    pub fn rows(&self) -> Range<usize> {
        self.rows.clone()
    }

    /// The number of households.
    pub fn len(&self) -> usize {
        self.failed.len()
    }

    /// Whether no household was evaluated.
    pub fn is_empty(&self) -> bool {
        self.failed.is_empty()
    }

    /// The outputs' types, in the program's output order.
    pub fn types(&self) -> &[Ty] {
        &self.types
    }

    /// One column per output, in the program's output order.
    pub fn columns(&self) -> &[OutputColumn] {
        &self.columns
    }

    /// Whether household `i` (an offset into [`Evaluation::rows`]) failed.
    pub fn is_failed(&self, i: usize) -> bool {
        self.failed.get(i).is_some_and(|f| *f != 0)
    }

    /// The error of household `i`, if it failed.
    pub fn error(&self, i: usize) -> Option<&EvalError> {
        if !self.is_failed(i) {
            return None;
        }
        self.errors
            .binary_search_by(|(at, _)| at.cmp(&i))
            .ok()
            .and_then(|k| self.errors.get(k))
            .map(|(_, e)| e)
    }

    /// Every failed household (offset, error), in order.
    pub fn errors(&self) -> impl Iterator<Item = (usize, &EvalError)> {
        self.errors.iter().map(|(i, e)| (*i, e))
    }

    /// How many households failed.
    pub fn failed_count(&self) -> usize {
        self.errors.len()
    }

    /// Output `output` of household `i` as a value (meaningless if the household failed).
    pub fn value(&self, output: usize, i: usize) -> Option<Value> {
        let ty = *self.types.get(output)?;
        let raw = self.columns.get(output)?.get(i)?;
        Some(bylaw_codegen::output_value(ty, raw, &self.dictionary))
    }

    /// The text a text output's code stands for.
    pub fn text(&self, code: u32) -> Option<&str> {
        self.dictionary.get(code as usize).map(|t| &**t)
    }

    /// Household `i`'s values in output order, or its error.
    ///
    /// # Errors
    /// The household's error, if it failed.
    pub fn row(&self, i: usize) -> Result<Vec<Value>, EvalError> {
        if let Some(e) = self.error(i) {
            return Err(e.clone());
        }
        Ok((0..self.types.len())
            .map(|o| self.value(o, i).unwrap_or(Value::Bool(false)))
            .collect())
    }
}
