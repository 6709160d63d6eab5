//! CSV rows written straight from native result columns.
//!
//! The common case of `bylaw eval` — native code, CSV out, no text output, no
//! `reason` column — formats each cell from its column into the unit's byte buffer,
//! without a [`Value`] or a string per cell: at a million households, building those
//! cost more than evaluating. The bytes are the general writer's (`write_csv_row`),
//! which failed rows and every other case still use.

use std::ops::Range;

use bylaw_codegen::{Bound, ResultColumns};
use bylaw_compiler::ir::{Program, Value};
use bylaw_compiler::types::Ty;
use bylaw_runtime::arith::{MICRO, MONEY_SCALE};
use bylaw_runtime::batch::Batch;
use bylaw_runtime::decimal::ScaledFormat;

use super::{Ctx, Stop, Summary, UnitOut, csv_field, root_key, write_csv_row};

/// How one output is written (as `bylaw_compiler::format::push_plain` writes it).
enum CellFormat {
    Number(ScaledFormat),
    Bool,
    Date,
    /// Variant names, each already quoted for CSV if it needs it.
    Enum(Vec<Vec<u8>>),
}

/// How every output of a policy is written, chosen once per run.
pub(super) struct CsvColumns {
    formats: Vec<CellFormat>,
}

impl CsvColumns {
    /// `None` when an output is text: text outputs go through the general writer.
    pub fn new(program: &Program) -> Option<CsvColumns> {
        let formats = program
            .outputs
            .iter()
            .map(|d| {
                Some(match program.def(*d).ty {
                    Ty::Money(_) => CellFormat::Number(ScaledFormat::new(MONEY_SCALE, 2)),
                    Ty::Rate => CellFormat::Number(ScaledFormat::new(MICRO / 100, 0)),
                    Ty::Decimal => CellFormat::Number(ScaledFormat::new(MICRO, 0)),
                    Ty::Count | Ty::Days | Ty::Months => {
                        CellFormat::Number(ScaledFormat::new(1, 0))
                    }
                    Ty::Bool => CellFormat::Bool,
                    Ty::Date => CellFormat::Date,
                    Ty::Enum(e) => CellFormat::Enum(
                        program
                            .enums
                            .get(e.index())
                            .map(|d| {
                                d.variants
                                    .iter()
                                    .map(|v| csv_field(&v.name).as_bytes().to_vec())
                                    .collect()
                            })
                            .unwrap_or_default(),
                    ),
                    Ty::Text => return None,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(CsvColumns { formats })
    }

    /// Appends row `i` of `columns`, a row that did not fail, keyed `key`.
    fn push_row(&self, key: &str, columns: &ResultColumns, i: usize, out: &mut Vec<u8>) {
        out.extend_from_slice(csv_field(key).as_bytes());
        out.extend_from_slice(b",,");
        for (column, format) in columns.outputs.iter().zip(&self.formats) {
            out.push(b',');
            let v = column.get(i).unwrap_or(0);
            match format {
                CellFormat::Number(f) => f.push(v, out),
                CellFormat::Bool => {
                    out.extend_from_slice(if v != 0 { b"true" } else { b"false" });
                }
                CellFormat::Date => {
                    out.extend_from_slice(bylaw_runtime::date::format_date(v as i32).as_bytes());
                }
                CellFormat::Enum(names) => match names.get(v as u32 as usize) {
                    Some(name) => out.extend_from_slice(name),
                    // An index past the variants is written as a number, as the
                    // general writer does.
                    None => ScaledFormat::new(1, 0).push(i64::from(v as u32), out),
                },
            }
        }
        out.push(b'\n');
    }
}

/// Evaluates root rows `rows` of `batch` with native code and writes them as CSV.
pub(super) fn csv_unit(
    ctx: &Ctx,
    csv: &CsvColumns,
    batch: &Batch,
    bound: &Bound,
    rows: Range<usize>,
) -> Result<UnitOut, Stop> {
    let program = ctx.program;
    let Some(columns) = bound.eval_columns(rows.clone()) else {
        return Err(Stop::Io(std::io::Error::other(
            "internal error: the kernel refused a range of rows",
        )));
    };
    let n = rows.len();
    let mut summary = Summary::new(program);
    // Totals column by column over the rows that did not fail.
    for (c, (column, format)) in columns.outputs.iter().zip(&csv.formats).enumerate() {
        let ok = |i: &usize| columns.errors.get(*i) == Some(&0);
        match format {
            CellFormat::Bool => {
                let trues = (0..n)
                    .filter(ok)
                    .filter(|i| column.get(*i).is_some_and(|v| v != 0))
                    .count() as u64;
                if let Some(t) = summary.trues.get_mut(c) {
                    *t += trues;
                }
            }
            CellFormat::Number(_) => {
                let sum: i128 = (0..n)
                    .filter(ok)
                    .map(|i| i128::from(column.get(i).unwrap_or(0)))
                    .sum();
                if let Some(s) = summary.sums.get_mut(c) {
                    *s += sum;
                }
            }
            CellFormat::Date | CellFormat::Enum(_) => {}
        }
    }
    // Room for a key and a dozen short cells per row, so the buffer rarely grows.
    let mut text: Vec<u8> = Vec::with_capacity(n * (24 + 10 * csv.formats.len()));
    let mut cell = String::new();
    for (i, error) in columns.errors.iter().enumerate() {
        let row = rows.start + i;
        let key = root_key(batch, row);
        if *error == 0 {
            summary.households += 1;
            csv.push_row(key, &columns, i, &mut text);
            continue;
        }
        match (columns.failure(row), ctx.jit) {
            (Some(f), Some(jit)) => {
                let e = jit.eval_error(&f.error);
                summary.add(program, Err(&e));
                write_csv_row(&mut text, program, key, Err(&e), None, &mut cell)
            }
            // A failure without its details is written as the general writer
            // writes it: a row of placeholders.
            _ => {
                let placeholders = vec![Value::Bool(false); program.outputs.len()];
                summary.add(program, Ok(&placeholders));
                write_csv_row(&mut text, program, key, Ok(&placeholders), None, &mut cell)
            }
        }
        .map_err(Stop::Io)?;
    }
    Ok(UnitOut {
        rows: n,
        text,
        parquet: None,
        summary,
    })
}
