//! A compliance run for a terminal: per obligation who is in scope, met and missed,
//! the rate against its target and the lights; coverage by level for obligations with
//! a target; the first misses with their reasons; and the log's issues.

use std::collections::BTreeMap;

use bylaw_compiler::comply::run::{Level, Report, Status};
use bylaw_compiler::comply::words::{label, row_reasons};
use bylaw_compiler::explain::Lang;
use bylaw_compiler::ir::Program;

use crate::report::format::{Style, percent};
use crate::report::{Table, Text};

/// Levels shown per obligation, and misses and issues shown in all.
const LEVELS_SHOWN: usize = 20;
const MISSES_SHOWN: usize = 5;
const ISSUES_SHOWN: usize = 10;

fn rate(r: Option<i64>) -> String {
    r.map_or_else(|| "–".to_string(), |r| percent(r, Style::Human))
}

fn header(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| (*c).to_string()).collect()
}

/// The summary of `report` in `lang`.
pub fn summary(program: &Program, report: &Report, lang: Lang) -> Text {
    let mut text = Text::default();
    let policy = program
        .policy
        .as_ref()
        .map_or("policy", |p| p.name.as_str());
    text.line(format!(
        "{policy} {} ({})",
        report.period.text,
        report.period.describe()
    ));
    text.table(obligations(program, report, lang));
    coverage(program, report, lang, &mut text);
    misses(program, report, lang, &mut text);
    issues(report, &mut text);
    text
}

fn obligations(program: &Program, report: &Report, lang: Lang) -> Table {
    let mut table = Table {
        header: header(&[
            "obligation 义务",
            "in scope 范围内",
            "met 达标",
            "missed 未达标",
            "n/a 不评判",
            "errors 出错",
            "rate 达标率",
            "target 目标",
            "red 红",
            "yellow 黄",
            "green 绿",
        ]),
        rows: Vec::new(),
    };
    for r in &report.obligations {
        let Some(o) = program.comply.obligations.get(r.obligation) else {
            continue;
        };
        let name = label(&o.name, &o.origin, lang);
        let Some(all) = r.coverage.iter().find(|c| c.level == Level::All) else {
            table.rows.push(vec![name, "0".into()]);
            continue;
        };
        let target = match (&o.coverage, all.target_met) {
            (Some(t), Some(ok)) => format!("{} {}", rate(Some(t.rate)), if ok { "✓" } else { "✗" }),
            (Some(t), None) => rate(Some(t.rate)),
            _ => String::new(),
        };
        let light = |i: usize| {
            if o.lights.is_empty() {
                String::new()
            } else {
                all.lights.get(i).map_or(String::new(), u32::to_string)
            }
        };
        table.rows.push(vec![
            name,
            all.in_scope.to_string(),
            all.met.to_string(),
            all.missed.to_string(),
            all.not_applicable.to_string(),
            all.errors.to_string(),
            rate(all.rate),
            target,
            light(0),
            light(1),
            light(2),
        ]);
    }
    table
}

/// Coverage per level, for obligations with a coverage target.
fn coverage(program: &Program, report: &Report, lang: Lang, text: &mut Text) {
    for r in &report.obligations {
        let Some(o) = program.comply.obligations.get(r.obligation) else {
            continue;
        };
        if o.coverage.is_none() {
            continue;
        }
        let rows = r
            .coverage
            .iter()
            .filter(|c| c.level != Level::All)
            .take(LEVELS_SHOWN)
            .map(|c| {
                vec![
                    c.level.as_str().to_string(),
                    c.name.clone(),
                    c.in_scope.to_string(),
                    c.met.to_string(),
                    rate(c.rate),
                    c.target_met
                        .map_or(String::new(), |ok| if ok { "✓".into() } else { "✗".into() }),
                ]
            })
            .collect();
        let stations = r.coverage.iter().filter(|c| c.level == Level::Station);
        let below = stations
            .clone()
            .filter(|c| c.target_met == Some(false))
            .count();
        text.line(format!(
            "{}: {below} of {} stations below target",
            label(&o.name, &o.origin, lang),
            stations.count()
        ));
        text.table(Table {
            header: header(&[
                "level 层级",
                "name 名称",
                "in scope 范围内",
                "met 达标",
                "rate 达标率",
                "target 目标",
            ]),
            rows,
        });
    }
}

/// The first misses, with reasons.
fn misses(program: &Program, report: &Report, lang: Lang, text: &mut Text) {
    let mut shown = 0;
    for r in &report.obligations {
        let Some(o) = program.comply.obligations.get(r.obligation) else {
            continue;
        };
        for row in r
            .rows
            .iter()
            .filter(|x| matches!(x.status, Status::Missed | Status::Error))
        {
            if shown == 0 {
                text.line(if lang == Lang::Zh {
                    "未达标示例："
                } else {
                    "first misses:"
                });
            }
            shown += 1;
            if shown > MISSES_SHOWN {
                break;
            }
            for reason in row_reasons(program, o, row, &report.period, lang) {
                text.line(format!(
                    "  {} {}: {reason}",
                    row.key,
                    label(&o.name, &o.origin, lang)
                ));
            }
        }
    }
}

fn issues(report: &Report, text: &mut Text) {
    if report.issues.is_empty() {
        return;
    }
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for i in &report.issues {
        *kinds.entry(i.kind.code()).or_default() += 1;
    }
    let list: Vec<String> = kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
    text.line(format!("log issues: {}", list.join(", ")));
    for i in report.issues.iter().take(ISSUES_SHOWN) {
        text.line(format!(
            "  line {} [{}]: {}",
            i.line,
            i.kind.code(),
            i.message
        ));
    }
    if report.issues.len() > ISSUES_SHOWN {
        text.line(format!(
            "  … {} more (see issues.csv with --output)",
            report.issues.len() - ISSUES_SHOWN
        ));
    }
}
