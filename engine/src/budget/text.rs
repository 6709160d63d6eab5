//! A budget's cells for people: the terminal table and the HTML detail table share
//! them (money with its unit, shares as percentages, which limit binds).

use bylaw_compiler::budget::{BudgetLine, LimitReport, TargetReport};
use bylaw_compiler::ir::Program;

use super::{BudgetReport, def_label, limited, target_label};
use crate::report::format::{Style, percent, value, yuan};
use crate::report::{Table, Text};

/// Output `i` of a line, for people or files.
pub(super) fn output_text(program: &Program, line: &BudgetLine, i: usize, style: Style) -> String {
    let (Some(def), Some(v)) = (program.outputs.get(i), line.values.get(i)) else {
        return String::new();
    };
    let def = program.def(*def);
    value(program, def.ty, def.unit, v, style)
}

fn limit_text(l: &LimitReport) -> String {
    match (&l.binding, l.before) {
        (_, None) => "exception".to_string(),
        (Some(label), Some(before)) => format!("✓ {label} (before limits {})", yuan(before)),
        (None, Some(_)) if l.excess > 0 => {
            format!("exceeds in-principle cap by {}", yuan(l.excess))
        }
        (None, Some(_)) => "–".to_string(),
    }
}

fn target_text(r: &TargetReport) -> String {
    let share = |s: i64| percent(s, Style::Human);
    let coverage = r.coverage.map_or_else(|| "–".to_string(), share);
    match (r.required, r.met) {
        (Some(req), Some(true)) => format!("{coverage} ≥ {} ✓", share(req)),
        (Some(req), _) => {
            let cost = r
                .shortfall_cost
                .map(|c| format!(", {}", yuan(c)))
                .unwrap_or_default();
            format!("{coverage} < {} ✗ short {}{cost}", share(req), r.shortfall)
        }
        (None, _) => format!("{coverage} (no milestone due)"),
    }
}

impl BudgetReport<'_> {
    /// One row per line: region, year, every output, each limited definition's binding
    /// limit, each target's coverage (or the line's error).
    pub(super) fn detail_rows(&self) -> Vec<Vec<String>> {
        let (program, b) = (self.program, &self.budget);
        let limited = limited(b);
        b.lines
            .iter()
            .map(|line| {
                let mut row = vec![
                    format!("{} {}", line.region_name, line.region),
                    line.year.to_string(),
                ];
                if let Some(e) = &line.error {
                    row.push(format!("error: {e}"));
                    return row;
                }
                for i in 0..b.columns.len() {
                    row.push(output_text(program, line, i, Style::Human));
                }
                for d in &limited {
                    row.push(
                        line.limits
                            .iter()
                            .find(|l| l.def == *d)
                            .map(limit_text)
                            .unwrap_or_default(),
                    );
                }
                for t in &program.targets {
                    row.push(
                        line.targets
                            .iter()
                            .find(|r| r.target == t.name)
                            .map(target_text)
                            .unwrap_or_default(),
                    );
                }
                row
            })
            .collect()
    }

    /// The headers of [`BudgetReport::detail_rows`]: with the names under the labels
    /// for a terminal (`terminal`), labels only for a page.
    pub(super) fn detail_header(&self, terminal: bool) -> Vec<String> {
        let (program, b) = (self.program, &self.budget);
        let mut header = vec!["地区 region".to_string(), "年度 year".to_string()];
        header.extend(b.columns.iter().map(|c| {
            if terminal {
                format!("{}\n{}", c.label_zh, c.name)
            } else {
                c.label_zh.clone()
            }
        }));
        for d in &limited(b) {
            header.push(if terminal {
                format!("{} 限额\n{d}: limits", def_label(program, d))
            } else {
                format!("{} — binding limit", def_label(program, d))
            });
        }
        for t in &program.targets {
            header.push(if terminal {
                format!("{}\n{}", target_label(t), t.name)
            } else {
                target_label(t)
            });
        }
        header
    }

    /// The budget for a terminal: a title line and one table row per region and year.
    pub fn text(&self) -> Text {
        let b = &self.budget;
        let mut text = Text::default();
        text.line(format!("{}  {}..{}", b.policy, b.years.0, b.years.1));
        text.table(Table {
            header: self.detail_header(true),
            rows: self.detail_rows(),
        });
        text
    }
}
