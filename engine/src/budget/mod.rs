//! Budgets (what `bylaw budget` computes): a fund policy over a region-year table, year
//! by year — each fund and its channels, which cap binds, coverage against each target
//! and the shortfall — as a terminal [`Text`](crate::report::Text), CSV, JSON or a
//! self-contained HTML page; and sweeps ([`SweepReport`]): the same over a range of one
//! parameter's values, summed over regions per value and year.

mod files;
mod page;
mod sweep;
mod text;

use std::path::Path;

use bylaw_compiler::budget::{self, Budget};
use bylaw_compiler::ir::Program;
use bylaw_runtime::batch::Batch;

use crate::{EngineError, Policy};

pub use sweep::{SweepReport, SweepRow, TargetTally};

/// The years a budget covers, first and last inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Years {
    /// The first year.
    pub first: i64,
    /// The last year (not before the first).
    pub last: i64,
}

impl Years {
    /// Parses `2021..2025` (inclusive; `2021..=2025` too) or one year `2023`.
    ///
    /// ```
    /// use bylaw_engine::budget::Years;
    /// assert_eq!(Years::parse("2021..2025").unwrap(), Years { first: 2021, last: 2025 });
    /// assert_eq!(Years::parse("2023").unwrap(), Years { first: 2023, last: 2023 });
    /// assert!(Years::parse("2025..2021").unwrap_err().message().contains("runs backwards"));
    /// ```
    ///
    /// # Errors
    /// Not a year between 1900 and 2200, or a range that runs backwards.
    pub fn parse(text: &str) -> Result<Years, EngineError> {
        let bad = |m: String| {
            EngineError::input("bylaw::budget::years", format!("--years: {m}"))
                .with_hint("write `--years 2021..2025` or `--years 2023`")
        };
        let year = |t: &str| {
            t.trim()
                .parse::<i64>()
                .ok()
                .filter(|y| (1900..=2200).contains(y))
                .ok_or_else(|| {
                    bad(format!(
                        "`{}` is not a year between 1900 and 2200",
                        t.trim()
                    ))
                })
        };
        match text.split_once("..") {
            Some((a, b)) => {
                let (first, last) = (year(a)?, year(b.trim_start_matches('='))?);
                if first > last {
                    return Err(bad(format!("`{text}` runs backwards")));
                }
                Ok(Years { first, last })
            }
            None => {
                let y = year(text)?;
                Ok(Years { first: y, last: y })
            }
        }
    }
}

/// Whether `policy` is a fund policy over a yearly table (a `region` and a `year:
/// count` field), so it has a budget.
///
/// # Errors
/// Says what the policy's entity is and what to use instead.
pub fn check_yearly(policy: &Policy) -> Result<(), EngineError> {
    if bylaw_compiler::years::yearly_columns(policy.program()).is_some() {
        return Ok(());
    }
    let name = policy
        .program()
        .schema
        .root_entity()
        .map_or_else(String::new, |e| e.name.clone());
    let path = policy
        .path()
        .map_or_else(|| policy.name().to_string(), |p| p.display().to_string());
    Err(EngineError::input(
        "bylaw::budget::not_yearly",
        format!("`{path}`: its entity `{name}` is not a yearly table, so it has no budget"),
    )
    .with_hint("a fund policy's entity has a `region` field and a `year: count` field, one row per region and year; use `bylaw eval` for households"))
}

/// A budget and the policy it comes from, ready to render.
///
/// ```
/// use bylaw_engine::Policy;
/// use bylaw_engine::budget::{BudgetReport, Years};
/// use std::path::Path;
///
/// let policy = Policy::load(Path::new("../policies/hubei/jingshan_station_funds.bylaw"))?;
/// let data = Path::new("../examples/budget/jingshan_synthetic.csv");
/// let batch = bylaw_runtime::input::read_csv(&policy.program().schema, data, &[])?;
/// let report = BudgetReport::compute(&policy, &batch, Years::parse("2022")?, data)?;
/// // 5% of 2021's 19,000,000 元 caps the 1,200,000 元 planned.
/// assert!(report.csv().contains(",950000.00,"), "{}", report.csv());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct BudgetReport<'p> {
    program: &'p Program,
    budget: Budget,
}

impl<'p> BudgetReport<'p> {
    /// Evaluates `policy` over the region-year table `batch` (read from `data`) for
    /// `years`.
    ///
    /// # Errors
    /// A region given twice for a year, or a policy that is not a yearly table.
    pub fn compute(
        policy: &'p Policy,
        batch: &Batch,
        years: Years,
        data: &Path,
    ) -> Result<BudgetReport<'p>, EngineError> {
        Ok(BudgetReport {
            program: policy.program(),
            budget: compute(policy.program(), batch, years, data)?,
        })
    }

    /// The budget, line by line (region and year).
    pub fn budget(&self) -> &Budget {
        &self.budget
    }
}

fn compute(
    program: &Program,
    batch: &Batch,
    years: Years,
    data: &Path,
) -> Result<Budget, EngineError> {
    budget::run(program, batch, years.first, years.last)
        .map_err(|e| EngineError::input("bylaw::budget::data", format!("{}: {e}", data.display())))
}

/// The Chinese label of a definition, input field or parameter, else the name itself.
fn def_label(program: &Program, name: &str) -> String {
    if let Some(d) = program.def_by_name(name) {
        return bylaw_compiler::explain::words::def_label(program, d).zh;
    }
    let field = program
        .schema
        .root_entity()
        .and_then(|e| e.fields.iter().find(|f| f.name == name))
        .map(|f| f.label.clone())
        .filter(|l| !l.is_empty());
    let param = || {
        program
            .params
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.origin.meta.label.as_ref().map(|l| l.text.clone()))
    };
    field.or_else(param).unwrap_or_else(|| name.to_string())
}

/// A target's label, else its name.
fn target_label(t: &bylaw_compiler::ir::TargetDef) -> String {
    t.origin
        .meta
        .label
        .as_ref()
        .map_or_else(|| t.name.clone(), |l| l.text.clone())
}

/// Definitions with limits in any line, in first-seen order.
fn limited(b: &Budget) -> Vec<String> {
    crate::report::distinct(
        b.lines
            .iter()
            .flat_map(|l| l.limits.iter().map(|x| x.def.clone())),
    )
}

/// Whole 万元, for chart coordinates only (truncated).
fn wan(v: i64) -> i64 {
    v / (bylaw_runtime::arith::MONEY_SCALE * 10_000)
}
