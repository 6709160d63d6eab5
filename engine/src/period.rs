//! Evaluation over a period (`bylaw eval --period 2025`): the data evaluated on the first
//! day of each month of the period, each month with the parameters and definition
//! versions in force then, and combined per household — a monthly amount summed over
//! the months, a rule counted in the months it held, any other output as it was in the
//! period's last month. A yearly cost with a mid-year change of rate is one run.

use std::io::{self, Write};
use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, Date32Array, RecordBatch, StringArray};
use arrow_schema::{ArrowError, DataType, Field, Schema};
use bylaw_compiler::explain::Lang;
use bylaw_runtime::batch::Batch;

use bylaw_compiler::duration::DurationUnit;
use bylaw_compiler::failure::{ErrorKind, EvalError};
use bylaw_compiler::format::plain_in;
use bylaw_compiler::ir::{DefId, Program, Value};
use bylaw_compiler::types::{Per, Ty};
use bylaw_runtime::arith::ArithError;
use bylaw_runtime::date::{add_months, format_date};
use bylaw_runtime::output::AtomicFile;
use bylaw_runtime::period::Period;

use crate::output::{OutputFormat, quote, root_key};
use crate::run::{Run, RunError, RunOptions};
use crate::{DataFiles, Date, Policy};

/// How a period column combines the months.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Combine {
    /// A `money per month` output: the sum over the months, as money.
    Sum,
    /// A rule: the number of months it held.
    MonthsHeld,
    /// Any other output: its value in the period's last month.
    LastMonth,
}

/// One output column of a period table.
#[derive(Debug, Clone)]
pub struct PeriodColumn {
    /// The column's name: the output's, with `_months` for a rule's count.
    pub name: String,
    /// The output it comes from.
    pub def: DefId,
    pub combine: Combine,
    /// The type of the column's values.
    pub ty: Ty,
    /// The unit a duration column is written in: the output's (last-month values), or
    /// months (a rule's count of months).
    pub unit: DurationUnit,
}

/// Why a household has no row: the month and the error evaluating it then, or an
/// overflow summing its months.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodError {
    /// The month (its first day) the error belongs to.
    pub month: Date,
    pub error: EvalError,
}

/// Per month: the households that failed that month, and each summed column's total
/// and each rule's count over the households evaluated without error that month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthTotals {
    pub month: Date,
    pub failed: usize,
    /// Per column, in column order: the sum (money) or the number of households for
    /// which the rule held that month; `None` for last-month columns.
    pub totals: Vec<Option<i128>>,
}

/// A period's evaluation: one row per household, and the totals of each month.
#[derive(Debug, Clone)]
pub struct PeriodTable {
    pub period: Period,
    pub columns: Vec<PeriodColumn>,
    /// The root entity's key per household.
    pub keys: Vec<String>,
    pub rows: Vec<Result<Vec<Value>, PeriodError>>,
    pub months: Vec<MonthTotals>,
}

/// The first days of the months of `period`.
pub(crate) fn months_of(period: &Period) -> Vec<Date> {
    let mut out = Vec::new();
    let mut day = period.start;
    while day <= period.end {
        out.push(Date::from_days(day));
        match add_months(day, 1) {
            Ok(next) => day = next,
            Err(_) => break,
        }
    }
    out
}

/// The columns of a period table: every output of the root entity.
fn columns(program: &Program) -> Vec<PeriodColumn> {
    program
        .outputs
        .iter()
        .map(|&def| {
            let d = program.def(def);
            let unit = match d.ty {
                Ty::Months => d.unit,
                _ => DurationUnit::Months,
            };
            let (combine, ty, name) = match d.ty {
                Ty::Money(Per::Month) => (Combine::Sum, Ty::Money(Per::Once), d.name.clone()),
                Ty::Bool => (
                    Combine::MonthsHeld,
                    Ty::Months,
                    format!("{}_months", d.name),
                ),
                ty => (Combine::LastMonth, ty, d.name.clone()),
            };
            PeriodColumn {
                name,
                def,
                combine,
                ty,
                unit,
            }
        })
        .collect()
}

/// Evaluates `input` on the first day of each month of `period` and combines the months
/// per household. The data is read whole, once.
///
/// # Errors
/// [`RunError`]: bad data, a thread count out of range.
pub fn evaluate_period(
    policy: &Policy,
    period: &Period,
    input: &DataFiles,
    options: &RunOptions,
) -> Result<PeriodTable, RunError> {
    let batch = input.read(policy.program()).map_err(RunError::Data)?;
    evaluate_period_batch(policy, period, &batch, options)
}

/// Evaluates `batch` (read against the policy's schema) on the first day of each month
/// of `period` and combines the months per household.
///
/// # Errors
/// [`RunError`]: a thread count out of range, a batch the backends refuse.
pub fn evaluate_period_batch(
    policy: &Policy,
    period: &Period,
    batch: &Batch,
    options: &RunOptions,
) -> Result<PeriodTable, RunError> {
    let program = policy.program();
    let months = months_of(period);
    let columns = columns(program);
    let n = batch.root_len();
    let mut rows: Vec<Result<Vec<Value>, PeriodError>> = vec![Ok(Vec::new()); n];
    let mut sums: Vec<Vec<i128>> = vec![vec![0; columns.len()]; n];
    let mut totals = Vec::new();
    for (m, &month) in months.iter().enumerate() {
        let run = Run::new(policy, month, options.clone())?;
        let (evaluation, _) = run.evaluate(batch).map_err(RunError::Refused)?;
        let mut month_totals = MonthTotals {
            month,
            failed: 0,
            totals: columns
                .iter()
                .map(|c| (c.combine != Combine::LastMonth).then_some(0))
                .collect(),
        };
        for (i, (row, sum)) in rows.iter_mut().zip(sums.iter_mut()).enumerate() {
            let values = match evaluation.row(i) {
                Ok(v) => v,
                Err(error) => {
                    month_totals.failed += 1;
                    if row.is_ok() {
                        *row = Err(PeriodError { month, error });
                    }
                    continue;
                }
            };
            // The month's totals count every household evaluated this month; the
            // household's own row only while no month has failed it.
            let mut row = row.as_mut().ok();
            for (c, column) in columns.iter().enumerate() {
                let value = values.get(c).cloned().unwrap_or(Value::Int(0));
                let add = match (column.combine, &value) {
                    (Combine::Sum, Value::Int(v)) => i128::from(*v),
                    (Combine::MonthsHeld, Value::Bool(true)) => 1,
                    _ => 0,
                };
                if let Some(Some(t)) = month_totals.totals.get_mut(c) {
                    *t += add;
                }
                let Some(row) = row.as_mut() else { continue };
                if let Some(s) = sum.get_mut(c) {
                    *s += add;
                }
                if column.combine == Combine::LastMonth && m + 1 == months.len() {
                    row.push(value);
                }
            }
        }
        totals.push(month_totals);
    }
    let last = months
        .last()
        .copied()
        .unwrap_or(Date::from_days(period.start));
    for (i, row) in rows.iter_mut().enumerate() {
        let Ok(last_values) = row else { continue };
        let mut last_values = std::mem::take(last_values).into_iter();
        let mut out = Vec::with_capacity(columns.len());
        for (c, column) in columns.iter().enumerate() {
            out.push(match column.combine {
                Combine::LastMonth => last_values.next().unwrap_or(Value::Int(0)),
                Combine::MonthsHeld => Value::Int(sums[i][c] as i64),
                Combine::Sum => match i64::try_from(sums[i][c]) {
                    Ok(v) => Value::Int(v),
                    Err(_) => {
                        let kind = ErrorKind::Arith(ArithError::Overflow);
                        let error = EvalError::new(program, last.days(), kind, Some(column.def));
                        *row = Err(PeriodError { month: last, error });
                        break;
                    }
                },
            });
        }
        if row.is_ok() {
            *row = Ok(out);
        }
    }
    let keys = (0..n).map(|i| root_key(batch, i).to_string()).collect();
    Ok(PeriodTable {
        period: period.clone(),
        columns,
        keys,
        rows,
        months: totals,
    })
}

impl PeriodTable {
    /// The number of households that failed in some month.
    pub fn failed(&self) -> usize {
        self.rows.iter().filter(|r| r.is_err()).count()
    }

    /// The table as one Arrow record batch: the key, `error` (the code), `error_in`,
    /// `error_month` (the first day of the month that failed), `error_detail`, then the
    /// columns typed as [`crate::Run::evaluate_tables`] types outputs.
    ///
    /// # Errors
    /// Only if a value does not fit its column, which would be a bug.
    pub fn record_batch(&self, program: &Program) -> Result<RecordBatch, ArrowError> {
        let mut fields = vec![
            Field::new(
                crate::output::arrow::key_column(program),
                DataType::Utf8,
                false,
            ),
            Field::new("error", DataType::Utf8, true),
            Field::new("error_in", DataType::Utf8, true),
            Field::new("error_month", DataType::Date32, true),
            Field::new("error_detail", DataType::Utf8, true),
        ];
        let failed = |i: usize| self.rows.get(i).and_then(|r| r.as_ref().err());
        let n = self.rows.len();
        let mut columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from_iter_values(&self.keys)),
            Arc::new(StringArray::from_iter(
                (0..n).map(|i| failed(i).map(|e| e.error.code())),
            )),
            Arc::new(StringArray::from_iter((0..n).map(|i| {
                failed(i).and_then(|e| e.error.def.map(|d| program.def(d).name.as_str()))
            }))),
            Arc::new(Date32Array::from_iter(
                (0..n).map(|i| failed(i).map(|e| e.month.days())),
            )),
            Arc::new(StringArray::from_iter((0..n).map(|i| {
                failed(i).map(|e| e.error.message(program, e.month.days(), Lang::En))
            }))),
        ];
        for (c, column) in self.columns.iter().enumerate() {
            fields.push(crate::output::arrow::output_field(
                program,
                &column.name,
                column.ty,
                column.unit,
            ));
            let values = self
                .rows
                .iter()
                .map(|r| r.as_ref().ok().and_then(|v| v.get(c)));
            columns.push(crate::output::arrow::values_array(
                program,
                column.ty,
                column.unit,
                values,
            )?);
        }
        RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
    }

    /// Writes the table as CSV or JSON: the key, `error` and `error_in` (with the month
    /// that failed), then the columns.
    ///
    /// # Errors
    /// A writer's error; Parquet is refused.
    pub fn write(
        &self,
        program: &Program,
        format: OutputFormat,
        w: &mut dyn Write,
    ) -> io::Result<()> {
        let key_name = program
            .schema
            .entities
            .get(program.schema.root.0 as usize)
            .and_then(|e| e.key.and_then(|k| e.fields.get(k.0 as usize)))
            .map_or("id", |f| f.name.as_str())
            .to_string();
        let error_text = |e: &PeriodError| {
            format!(
                "{}: {}",
                format_date(e.month.days()),
                e.error
                    .message(program, e.month.days(), bylaw_compiler::explain::Lang::En)
            )
        };
        let error_in = |e: &PeriodError| {
            e.error
                .def
                .map(|d| program.def(d).name.clone())
                .unwrap_or_default()
        };
        match format {
            OutputFormat::Csv => {
                let mut header = vec![key_name, "error".into(), "error_in".into()];
                header.extend(self.columns.iter().map(|c| c.name.clone()));
                writeln!(w, "{}", join_csv(&header))?;
                for (key, row) in self.keys.iter().zip(&self.rows) {
                    let mut cells = vec![key.clone()];
                    match row {
                        Ok(values) => {
                            cells.extend([String::new(), String::new()]);
                            for (c, v) in self.columns.iter().zip(values) {
                                cells.push(plain_in(program, c.ty, c.unit, v));
                            }
                        }
                        Err(e) => {
                            cells.extend([error_text(e), error_in(e)]);
                            cells.extend(self.columns.iter().map(|_| String::new()));
                        }
                    }
                    writeln!(w, "{}", join_csv(&cells))?;
                }
            }
            OutputFormat::Json => {
                let rows: Vec<serde_json::Value> = self
                    .keys
                    .iter()
                    .zip(&self.rows)
                    .map(|(key, row)| {
                        let mut o = serde_json::Map::new();
                        o.insert(key_name.clone(), key.clone().into());
                        match row {
                            Ok(values) => {
                                o.insert("error".into(), serde_json::Value::Null);
                                for (c, v) in self.columns.iter().zip(values) {
                                    o.insert(c.name.clone(), json_value(program, c, v));
                                }
                            }
                            Err(e) => {
                                o.insert("error".into(), error_text(e).into());
                                o.insert("error_in".into(), error_in(e).into());
                            }
                        }
                        serde_json::Value::Object(o)
                    })
                    .collect();
                serde_json::to_writer_pretty(&mut *w, &rows).map_err(io::Error::other)?;
                writeln!(w)?;
            }
            OutputFormat::Parquet => {
                return Err(io::Error::other(
                    "a period's table is written as CSV or JSON",
                ));
            }
        }
        Ok(())
    }

    /// Writes the table to `path` atomically, in the format its extension names.
    ///
    /// # Errors
    /// [`RunError`]: an unknown or Parquet extension, an output that is an input, a
    /// write that fails.
    pub fn write_file(
        &self,
        program: &Program,
        input: &DataFiles,
        path: &Path,
    ) -> Result<(), RunError> {
        let format = OutputFormat::of_path(path).map_err(RunError::OutputFormat)?;
        if format == OutputFormat::Parquet {
            return Err(RunError::PeriodParquet);
        }
        if input.paths().any(|p| crate::same_file(p, path)) {
            return Err(RunError::OutputIsInput {
                output: path.to_path_buf(),
            });
        }
        let output_error = |error: io::Error| RunError::Output {
            target: format!("`{}`", path.display()),
            error,
        };
        let mut file = AtomicFile::create(path).map_err(output_error)?;
        self.write(program, format, &mut file)
            .map_err(output_error)?;
        file.commit().map_err(output_error)
    }
}

fn join_csv(cells: &[String]) -> String {
    cells
        .iter()
        .map(|c| quote(c).into_owned())
        .collect::<Vec<_>>()
        .join(",")
}

/// Money and numbers as strings (exact), booleans and counts as JSON values.
/// Years (of a duration shown in years or 周岁) are exact text, like money.
fn json_value(program: &Program, c: &PeriodColumn, v: &Value) -> serde_json::Value {
    match (c.ty, v) {
        (Ty::Bool, Value::Bool(b)) => (*b).into(),
        (Ty::Months, Value::Int(i)) if c.unit == DurationUnit::Months => (*i).into(),
        (Ty::Count | Ty::Days, Value::Int(i)) => (*i).into(),
        _ => plain_in(program, c.ty, c.unit, v).into(),
    }
}
