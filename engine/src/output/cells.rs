//! CSV rows formatted straight from result columns: each cell into the unit's byte
//! buffer, without a value or a string per cell — at a million households, building
//! those cost more than evaluating. The bytes are those of
//! [`bylaw_compiler::format::plain`], quoted as RFC 4180 asks.

use std::borrow::Cow;

use bylaw_codegen::layout::OutputColumn;
use bylaw_compiler::duration::DurationUnit;
use bylaw_compiler::ir::Program;
use bylaw_compiler::types::Ty;
use bylaw_runtime::arith::{MICRO, MONEY_SCALE};
use bylaw_runtime::decimal::ScaledFormat;

use crate::backend::Evaluation;

/// `s` as one CSV field: quoted (with inner quotes doubled) when it holds a comma, a
/// quote or a line break.
pub(crate) fn quote(s: &str) -> Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        Cow::Owned(format!("\"{}\"", s.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(s)
    }
}

/// How one output's cells are written.
enum CellFormat {
    Number(ScaledFormat),
    /// A duration shown in years or 周岁, stored in months.
    Years(DurationUnit),
    Bool,
    Date,
    /// Variant names, each already quoted if it needs it.
    Enum(Vec<Vec<u8>>),
    /// Text, from the evaluation's dictionary.
    Text,
}

/// How every output of a program is written, chosen once per run.
pub(super) struct CsvCells {
    formats: Vec<CellFormat>,
}

impl CsvCells {
    pub(super) fn new(program: &Program) -> CsvCells {
        let formats = program
            .outputs
            .iter()
            .map(|d| match program.def(*d).ty {
                Ty::Months if program.def(*d).unit != DurationUnit::Months => {
                    CellFormat::Years(program.def(*d).unit)
                }
                Ty::Money(_) => CellFormat::Number(ScaledFormat::new(MONEY_SCALE, 2)),
                Ty::Rate => CellFormat::Number(ScaledFormat::new(MICRO / 100, 0)),
                Ty::Decimal => CellFormat::Number(ScaledFormat::new(MICRO, 0)),
                Ty::Count | Ty::Days | Ty::Months => CellFormat::Number(ScaledFormat::new(1, 0)),
                Ty::Bool => CellFormat::Bool,
                Ty::Date => CellFormat::Date,
                Ty::Enum(e) => CellFormat::Enum(
                    program
                        .enums
                        .get(e.index())
                        .map(|d| {
                            d.variants
                                .iter()
                                .map(|v| quote(&v.name).as_bytes().to_vec())
                                .collect()
                        })
                        .unwrap_or_default(),
                ),
                Ty::Text => CellFormat::Text,
            })
            .collect();
        CsvCells { formats }
    }

    /// Appends household `i` of `evaluation`, keyed `key`: its outputs, or its error
    /// and the definition it arose in with empty outputs; then `reason` if given.
    pub(super) fn push_row(
        &self,
        program: &Program,
        key: &str,
        evaluation: &Evaluation,
        i: usize,
        reason: Option<&str>,
        out: &mut Vec<u8>,
    ) {
        out.extend_from_slice(quote(key).as_bytes());
        match evaluation.error(i) {
            None => {
                out.extend_from_slice(b",,");
                for (column, format) in evaluation.columns().iter().zip(&self.formats) {
                    out.push(b',');
                    self.push_cell(column, format, evaluation, i, out);
                }
            }
            Some(e) => {
                out.push(b',');
                out.extend_from_slice(e.code().as_bytes());
                out.push(b',');
                if let Some(d) = e.def {
                    out.extend_from_slice(quote(&program.def(d).name).as_bytes());
                }
                for _ in &self.formats {
                    out.push(b',');
                }
            }
        }
        if let Some(reason) = reason {
            out.push(b',');
            out.extend_from_slice(quote(reason).as_bytes());
        }
        out.push(b'\n');
    }

    fn push_cell(
        &self,
        column: &OutputColumn,
        format: &CellFormat,
        evaluation: &Evaluation,
        i: usize,
        out: &mut Vec<u8>,
    ) {
        let v = column.get(i).unwrap_or(0);
        match format {
            CellFormat::Number(f) => f.push(v, out),
            CellFormat::Years(unit) => out.extend_from_slice(unit.plain(v).as_bytes()),
            CellFormat::Bool => out.extend_from_slice(if v != 0 { b"true" } else { b"false" }),
            CellFormat::Date => {
                out.extend_from_slice(bylaw_runtime::date::format_date(v as i32).as_bytes());
            }
            CellFormat::Enum(names) => match names.get(v as u32 as usize) {
                Some(name) => out.extend_from_slice(name),
                // An index past the variants is written as a number, as `plain` does.
                None => ScaledFormat::new(1, 0).push(i64::from(v as u32), out),
            },
            CellFormat::Text => {
                let text = evaluation.text(v as u32).unwrap_or("");
                out.extend_from_slice(quote(text).as_bytes());
            }
        }
    }
}
