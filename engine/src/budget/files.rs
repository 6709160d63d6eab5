//! A budget as files: CSV (one row per region and year, every figure in its own
//! column) and JSON (each line as the compiler reports it, with its outputs).

use super::text::output_text;
use super::{BudgetReport, limited};
use crate::report::format::{Style, money, percent};
use crate::report::{csv, distinct};

/// What each target contributes to a CSV row.
const TARGET_COLUMNS: [&str; 8] = [
    "covered",
    "total",
    "coverage",
    "required",
    "due",
    "met",
    "shortfall",
    "shortfall_cost",
];

impl BudgetReport<'_> {
    /// The budget as CSV: `region, region_name, year, error`, each output, each fund's
    /// channels (`fund.channel.name`), each limited definition's value before limits,
    /// binding limit and excess, and each target's coverage and shortfall. Money in 元
    /// (`1338.00`), shares in percent (`46.67`).
    pub fn csv(&self) -> String {
        let (program, b) = (self.program, &self.budget);
        let limited = limited(b);
        let channels: Vec<(String, String)> = distinct(b.lines.iter().flat_map(|l| {
            l.funds.iter().flat_map(|f| {
                f.channels
                    .iter()
                    .map(move |(c, _)| format!("{}\u{1}{c}", f.fund))
            })
        }))
        .into_iter()
        .filter_map(|s| {
            s.split_once('\u{1}')
                .map(|(a, b)| (a.to_string(), b.to_string()))
        })
        .collect();
        let mut header = vec![
            "region".to_string(),
            "region_name".into(),
            "year".into(),
            "error".into(),
        ];
        header.extend(b.columns.iter().map(|c| c.name.clone()));
        header.extend(channels.iter().map(|(f, c)| format!("{f}.channel.{c}")));
        for d in &limited {
            header.extend([
                format!("{d}.before_limits"),
                format!("{d}.binding_limit"),
                format!("{d}.excess"),
            ]);
        }
        for t in &program.targets {
            header.extend(TARGET_COLUMNS.iter().map(|s| format!("{}.{s}", t.name)));
        }
        let plain = |v: i64| money(v, Style::File);
        let share = |v: i64| percent(v, Style::File);
        let rows = b.lines.iter().map(|line| {
            let mut row = vec![
                line.region.clone(),
                line.region_name.clone(),
                line.year.to_string(),
                line.error.clone().unwrap_or_default(),
            ];
            for i in 0..b.columns.len() {
                row.push(output_text(program, line, i, Style::File));
            }
            for (f, c) in &channels {
                let v = line
                    .funds
                    .iter()
                    .find(|x| x.fund == *f)
                    .and_then(|x| x.channels.iter().find(|(n, _)| n == c));
                row.push(v.map(|(_, v)| plain(*v)).unwrap_or_default());
            }
            for d in &limited {
                match line.limits.iter().find(|l| l.def == *d) {
                    Some(l) => row.extend([
                        l.before.map(plain).unwrap_or_default(),
                        l.binding.clone().unwrap_or_default(),
                        plain(l.excess),
                    ]),
                    None => row.extend([String::new(), String::new(), String::new()]),
                }
            }
            for t in &program.targets {
                match line.targets.iter().find(|r| r.target == t.name) {
                    Some(r) => row.extend([
                        r.covered.to_string(),
                        r.total.to_string(),
                        r.coverage.map(share).unwrap_or_default(),
                        r.required.map(share).unwrap_or_default(),
                        r.due.clone().unwrap_or_default(),
                        r.met.map(|m| m.to_string()).unwrap_or_default(),
                        r.shortfall.to_string(),
                        r.shortfall_cost.map(plain).unwrap_or_default(),
                    ]),
                    None => row.extend((0..TARGET_COLUMNS.len()).map(|_| String::new())),
                }
            }
            row
        });
        csv::to_string(&header, rows)
    }

    /// The budget as JSON: policy, years, columns, and each line with its outputs (in
    /// 元, as text) and its funds, limits and targets (money in 0.0001 元 integers).
    pub fn json(&self) -> String {
        let (program, b) = (self.program, &self.budget);
        let lines: Vec<serde_json::Value> = b
            .lines
            .iter()
            .map(|line| {
                let mut v = serde_json::to_value(line).unwrap_or(serde_json::Value::Null);
                let outputs: serde_json::Map<String, serde_json::Value> = b
                    .columns
                    .iter()
                    .enumerate()
                    .filter(|_| line.error.is_none())
                    .map(|(i, c)| {
                        (
                            c.name.clone(),
                            output_text(program, line, i, Style::File).into(),
                        )
                    })
                    .collect();
                if let Some(o) = v.as_object_mut() {
                    o.insert("outputs".into(), serde_json::Value::Object(outputs));
                }
                v
            })
            .collect();
        let doc = serde_json::json!({
            "policy": b.policy,
            "years": [b.years.0, b.years.1],
            "money_unit": "0.0001 yuan in integer fields (total, channels, before, after, excess, shortfall_cost); outputs are in yuan",
            "columns": b.columns,
            "lines": lines,
        });
        let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
        s.push('\n');
        s
    }
}
