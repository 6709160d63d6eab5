//! A budget as a self-contained HTML page: each fund by channel per year (stacked
//! bars), coverage against each target per region (lines), and the detail table.

use std::fmt::Write as _;

use super::{BudgetReport, def_label, target_label, wan};
use crate::EngineError;
use crate::report::{charts, distinct, html};

/// Regions drawn in a coverage chart (the table has all).
const REGIONS_DRAWN: usize = 7;

impl BudgetReport<'_> {
    /// The budget as one HTML page with inline SVG charts, no script and no network.
    ///
    /// # Errors
    /// If a chart cannot be drawn.
    pub fn html(&self) -> Result<String, EngineError> {
        let (program, b) = (self.program, &self.budget);
        let mut body = String::new();
        let _ = writeln!(
            body,
            "<p class=\"note\">Policy <code>{}</code>, years {}–{}. Money in 元; every figure comes from the policy's rules (see <code>bylaw explain</code> for the rules and their sources).</p>",
            html::esc(&b.policy),
            b.years.0,
            b.years.1
        );
        let years: Vec<i64> = (b.years.0..=b.years.1).collect();
        let year_names: Vec<String> = years.iter().map(|y| y.to_string()).collect();
        // Allocation by channel, summed over regions, per year.
        let funds = distinct(
            b.lines
                .iter()
                .flat_map(|l| l.funds.iter().map(|f| f.fund.clone())),
        );
        for f in &funds {
            let channels = distinct(b.lines.iter().flat_map(|l| {
                l.funds
                    .iter()
                    .filter(|x| x.fund == *f)
                    .flat_map(|x| x.channels.iter().map(|(c, _)| c.clone()))
            }));
            let series: Vec<(String, Vec<i64>)> = channels
                .iter()
                .map(|c| {
                    let per_year = years
                        .iter()
                        .map(|y| {
                            b.lines
                                .iter()
                                .filter(|l| l.year == *y)
                                .flat_map(|l| l.funds.iter().filter(|x| x.fund == *f))
                                .flat_map(|x| x.channels.iter().filter(|(n, _)| n == c))
                                .map(|(_, v)| wan(*v))
                                .sum()
                        })
                        .collect();
                    (def_label(program, c), per_year)
                })
                .collect();
            let title = format!("{} — by channel (万元)", def_label(program, f));
            let svg = charts::stacked_bars(&title, "万元", &year_names, &series)?;
            let _ = writeln!(
                body,
                "<h2>{}</h2>\n<figure>{svg}</figure>",
                html::esc(&def_label(program, f))
            );
        }
        // Coverage against each target, per region, over the years.
        for t in &program.targets {
            let regions = distinct(b.lines.iter().map(|l| l.region.clone()));
            let xs: Vec<(i64, String)> = years.iter().map(|y| (*y, y.to_string())).collect();
            let mut series: Vec<(String, Vec<Option<i64>>, bool)> = regions
                .iter()
                .take(REGIONS_DRAWN)
                .map(|r| {
                    let name = b
                        .lines
                        .iter()
                        .find(|l| l.region == *r)
                        .map_or_else(|| r.clone(), |l| l.region_name.clone());
                    let values = years
                        .iter()
                        .map(|y| {
                            b.lines
                                .iter()
                                .find(|l| l.region == *r && l.year == *y)
                                .and_then(|l| l.targets.iter().find(|x| x.target == t.name))
                                .and_then(|x| x.coverage)
                                .map(|c| c / 10_000)
                        })
                        .collect();
                    (name, values, false)
                })
                .collect();
            let required: Vec<Option<i64>> = years
                .iter()
                .map(|y| {
                    let end = bylaw_runtime::date::last_of_year(*y).unwrap_or(i32::MAX);
                    t.milestones
                        .iter()
                        .rev()
                        .find(|m| m.by <= end)
                        .map(|m| m.share / 10_000)
                })
                .collect();
            series.push(("target 目标".to_string(), required, true));
            let title = format!("{} (% of units)", target_label(t));
            let svg = charts::lines(&title, "year", "%", &xs, &series, 100)?;
            let _ = writeln!(
                body,
                "<h2>{}</h2>\n<figure>{svg}</figure>",
                html::esc(&target_label(t))
            );
            if regions.len() > REGIONS_DRAWN {
                let _ = writeln!(
                    body,
                    "<p class=\"note\">The chart shows the first {REGIONS_DRAWN} of {} regions; the table below has all.</p>",
                    regions.len()
                );
            }
        }
        let _ = writeln!(
            body,
            "<h2>By region and year</h2>\n{}",
            html::table(&self.detail_header(false), &self.detail_rows(), 1)
        );
        Ok(html::page(&format!("Budget — {}", b.policy), &body))
    }
}
