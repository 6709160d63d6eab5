//! Sweeps: a budget over a range of one parameter's values (`ratio=1%..6% step 1%`),
//! summed over regions for each value and year, as text, CSV, JSON or an HTML page.

use std::fmt::Write as _;
use std::path::Path;

use bylaw_compiler::budget::{Budget, BudgetLine};
use bylaw_compiler::ir::Program;
use bylaw_compiler::scenario;
use bylaw_runtime::batch::Batch;
use rayon::prelude::*;

use super::{Years, compute, def_label, wan};
use crate::report::format::{Style, money};
use crate::report::{Table, Text, charts, csv, distinct, html};
use crate::{EngineError, Policy};

/// One target over the regions of one swept value and year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetTally {
    /// The target's name.
    pub target: String,
    /// Regions meeting it.
    pub met: usize,
    /// Regions with a milestone due.
    pub due: usize,
    /// Units short, summed.
    pub shortfall: i64,
    /// Their cost (0.0001 元), when every region's is known.
    pub shortfall_cost: Option<i64>,
}

/// One swept value and year, summed over regions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepRow {
    /// The value as people write it (`2%`).
    pub value: String,
    /// The year.
    pub year: i64,
    /// Each fund's total (0.0001 元), by fund name, saturating.
    pub funds: Vec<(String, i64)>,
    /// Each target of the policy.
    pub targets: Vec<TargetTally>,
    /// Regions whose evaluation failed.
    pub errors: usize,
}

/// A budget swept over one parameter's values.
///
/// ```
/// use bylaw_engine::Policy;
/// use bylaw_engine::budget::{SweepReport, Years};
/// use std::path::Path;
///
/// let policy = Policy::load(Path::new("../policies/hubei/jingshan_station_funds.bylaw"))?;
/// let data = Path::new("../examples/budget/jingshan_synthetic.csv");
/// let batch = bylaw_runtime::input::read_csv(&policy.program().schema, data, &[])?;
/// let sweep = SweepReport::compute(
///     &policy, &batch, Years::parse("2022")?, "expenditure_cap_ratio=4%..5% step 1%", None, data,
/// )?;
/// let funds: Vec<i64> = sweep.rows().iter().map(|r| r.funds[0].1).collect();
/// assert_eq!(funds, [760_000_0000, 950_000_0000]); // 4% and 5% of 19,000,000 元
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct SweepReport<'p> {
    program: &'p Program,
    param: String,
    rows: Vec<SweepRow>,
}

impl<'p> SweepReport<'p> {
    /// Parses `spec` (`NAME=FROM..TO step STEP`, the step maybe given apart as `step`)
    /// and computes the budget of `policy` for every value, in parallel.
    ///
    /// # Errors
    /// A spec that does not name a parameter or a range of its type, or a budget that
    /// cannot be computed.
    pub fn compute(
        policy: &'p Policy,
        batch: &Batch,
        years: Years,
        spec: &str,
        step: Option<&str>,
        data: &Path,
    ) -> Result<SweepReport<'p>, EngineError> {
        let program = policy.program();
        let sweep = scenario::parse_sweep(program, spec, step)
            .map_err(|e| EngineError::input("bylaw::budget::sweep", format!("--sweep: {e}")))?;
        let pool = rayon::ThreadPoolBuilder::new()
            .stack_size(crate::WORKER_STACK)
            .build()
            .map_err(|e| EngineError::io("bylaw::budget::threads", e.to_string()))?;
        let points: Vec<(String, Budget)> = pool.install(|| {
            sweep
                .values
                .par_iter()
                .map(|(value, shown)| {
                    let p = scenario::with_value(program, &sweep, value);
                    compute(&p, batch, years, data).map(|b| (shown.clone(), b))
                })
                .collect::<Result<_, _>>()
        })?;
        let param = program
            .params
            .get(sweep.param.index())
            .map_or_else(String::new, |p| p.name.clone());
        Ok(SweepReport {
            program,
            param,
            rows: sweep_rows(program, &points),
        })
    }

    /// The rows: value by value, year by year.
    pub fn rows(&self) -> &[SweepRow] {
        &self.rows
    }

    fn header(&self, labels: bool) -> Vec<String> {
        let mut header = vec!["value".to_string(), "year".to_string()];
        if let Some(r) = self.rows.first() {
            header.extend(r.funds.iter().map(|(f, _)| {
                if labels {
                    def_label(self.program, f)
                } else {
                    format!("{f} (total)")
                }
            }));
            header.extend(
                r.targets
                    .iter()
                    .map(|t| format!("{}: met / due, short", t.target)),
            );
        }
        header
    }

    /// The sweep for a terminal: one row per value and year.
    pub fn text(&self) -> Text {
        let mut header = self.header(false);
        header.push("errors".into());
        let rows = self
            .rows
            .iter()
            .map(|r| {
                let mut row = vec![r.value.clone(), r.year.to_string()];
                row.extend(
                    r.funds
                        .iter()
                        .map(|(_, v)| format!("{} 元", money(*v, Style::Human))),
                );
                row.extend(r.targets.iter().map(|t| {
                    let cost = t
                        .shortfall_cost
                        .map(|c| format!(", {} 元", money(c, Style::Human)))
                        .unwrap_or_default();
                    format!("{} / {}, {} units{cost}", t.met, t.due, t.shortfall)
                }));
                row.push(r.errors.to_string());
                row
            })
            .collect();
        let mut text = Text::default();
        text.table(Table { header, rows });
        text
    }

    /// The sweep as CSV: `value, year`, each fund's total, each target's met, due,
    /// shortfall and shortfall cost, and the errors.
    pub fn csv(&self) -> String {
        let mut header = vec!["value".to_string(), "year".to_string()];
        if let Some(r) = self.rows.first() {
            header.extend(r.funds.iter().map(|(f, _)| format!("{f}.total")));
            for t in &r.targets {
                let t = &t.target;
                header.extend([
                    format!("{t}.met"),
                    format!("{t}.due"),
                    format!("{t}.shortfall"),
                    format!("{t}.shortfall_cost"),
                ]);
            }
        }
        header.push("errors".into());
        let plain = |v: i64| money(v, Style::File);
        let rows = self.rows.iter().map(|r| {
            let mut row = vec![r.value.clone(), r.year.to_string()];
            row.extend(r.funds.iter().map(|(_, v)| plain(*v)));
            for t in &r.targets {
                row.extend([
                    t.met.to_string(),
                    t.due.to_string(),
                    t.shortfall.to_string(),
                    t.shortfall_cost.map(plain).unwrap_or_default(),
                ]);
            }
            row.push(r.errors.to_string());
            row
        });
        csv::to_string(&header, rows)
    }

    /// The sweep as a JSON array of rows (money in 元, as text).
    pub fn json(&self) -> String {
        let plain = |v: i64| money(v, Style::File);
        let items: Vec<serde_json::Value> = self
            .rows
            .iter()
            .map(|r| {
                serde_json::json!({
                    "value": r.value,
                    "year": r.year,
                    "funds": r.funds.iter().map(|(f, v)| serde_json::json!({"fund": f, "total": plain(*v)})).collect::<Vec<_>>(),
                    "targets": r.targets.iter().map(|t| serde_json::json!({
                        "target": t.target, "met": t.met, "due": t.due, "shortfall": t.shortfall,
                        "shortfall_cost": t.shortfall_cost.map(plain),
                    })).collect::<Vec<_>>(),
                    "errors": r.errors,
                })
            })
            .collect();
        let mut s = serde_json::to_string_pretty(&items).unwrap_or_default();
        s.push('\n');
        s
    }

    /// The sweep as an HTML page: funds and regions meeting each target in the last
    /// year, against the swept value, and the table.
    ///
    /// # Errors
    /// If a chart cannot be drawn.
    pub fn html(&self) -> Result<String, EngineError> {
        let (program, param, rows) = (self.program, &self.param, &self.rows);
        let values = distinct(rows.iter().map(|r| r.value.clone()));
        let xs: Vec<(i64, String)> = (0i64..).zip(values.iter().cloned()).collect();
        let last_year = rows.iter().map(|r| r.year).max().unwrap_or(0);
        let at_last: Vec<&SweepRow> = rows.iter().filter(|r| r.year == last_year).collect();
        let mut body = format!(
            "<p class=\"note\">Parameter <code>{}</code> swept over {} values; figures for {last_year}, summed over regions.</p>\n",
            html::esc(param),
            values.len()
        );
        if let Some(first) = at_last.first() {
            let series: Vec<(String, Vec<Option<i64>>, bool)> = first
                .funds
                .iter()
                .map(|(f, _)| {
                    let v = at_last
                        .iter()
                        .map(|r| r.funds.iter().find(|(n, _)| n == f).map(|(_, v)| wan(*v)))
                        .collect();
                    (def_label(program, f), v, false)
                })
                .collect();
            let title = format!("Funds in {last_year} (万元)");
            let svg = charts::lines(&title, param, "万元", &xs, &series, 0)?;
            let _ = writeln!(body, "<h2>Funds</h2>\n<figure>{svg}</figure>");
            // Whole percent of regions, for the chart only.
            let series: Vec<(String, Vec<Option<i64>>, bool)> = first
                .targets
                .iter()
                .map(|t| {
                    let v = at_last
                        .iter()
                        .map(|r| {
                            r.targets
                                .iter()
                                .find(|x| x.target == t.target)
                                .and_then(|x| (x.due > 0).then(|| (x.met * 100 / x.due) as i64))
                        })
                        .collect();
                    (t.target.clone(), v, false)
                })
                .collect();
            if !series.is_empty() {
                let title = format!("Regions meeting each target in {last_year} (%)");
                let svg = charts::lines(&title, param, "%", &xs, &series, 100)?;
                let _ = writeln!(body, "<h2>Coverage targets</h2>\n<figure>{svg}</figure>");
            }
        }
        let table_rows: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                let mut row = vec![r.value.clone(), r.year.to_string()];
                row.extend(
                    r.funds
                        .iter()
                        .map(|(_, v)| format!("{} 元", money(*v, Style::Human))),
                );
                row.extend(
                    r.targets
                        .iter()
                        .map(|t| format!("{} / {}, {}", t.met, t.due, t.shortfall)),
                );
                row
            })
            .collect();
        let _ = writeln!(
            body,
            "<h2>Table</h2>\n{}",
            html::table(&self.header(true), &table_rows, 2)
        );
        Ok(html::page(&format!("Sweep of {param}"), &body))
    }
}

/// Each value's budget summed over regions, year by year.
pub(crate) fn sweep_rows(program: &Program, points: &[(String, Budget)]) -> Vec<SweepRow> {
    let mut rows = Vec::new();
    for (value, b) in points {
        for year in b.years.0..=b.years.1 {
            let lines: Vec<&BudgetLine> = b.lines.iter().filter(|l| l.year == year).collect();
            let funds = distinct(
                lines
                    .iter()
                    .flat_map(|l| l.funds.iter().map(|f| f.fund.clone())),
            )
            .into_iter()
            .map(|f| {
                let total = lines
                    .iter()
                    .flat_map(|l| l.funds.iter().filter(|x| x.fund == f))
                    .fold(0i64, |a, x| a.saturating_add(x.total));
                (f, total)
            })
            .collect();
            let targets = program
                .targets
                .iter()
                .map(|t| {
                    let reports: Vec<_> = lines
                        .iter()
                        .flat_map(|l| l.targets.iter().filter(|x| x.target == t.name))
                        .collect();
                    TargetTally {
                        target: t.name.clone(),
                        met: reports.iter().filter(|r| r.met == Some(true)).count(),
                        due: reports.iter().filter(|r| r.required.is_some()).count(),
                        shortfall: reports.iter().map(|r| r.shortfall).sum(),
                        shortfall_cost: reports
                            .iter()
                            .map(|r| r.shortfall_cost)
                            .try_fold(0i64, |a, c| c.map(|c| a.saturating_add(c))),
                    }
                })
                .collect();
            rows.push(SweepRow {
                value: value.clone(),
                year,
                funds,
                targets,
                errors: lines.iter().filter(|l| l.error.is_some()).count(),
            });
        }
    }
    rows
}
