//! The detail of a compliance run as files: `detail.csv` (one row per obligation and
//! row in scope), `coverage.csv` (per station, region and overall), `issues.csv` (log
//! rows with problems, by line) and `report.json` (everything). Rates in percent with
//! two decimals (`rate_percent`).

use std::io::{self, Write};

use bylaw_compiler::comply::run::{Report, RowResult, Status};
use bylaw_compiler::comply::spec::{Obligation, PartKind};
use bylaw_compiler::comply::words::{label, row_reasons};
use bylaw_compiler::explain::Lang;
use bylaw_compiler::ir::Program;
use bylaw_runtime::date::format_date;

use crate::report::csv::CsvWriter;
use crate::report::format::{Style, percent};

/// A rate (millionths) for files; empty when there is none.
fn rate(r: Option<i64>) -> String {
    r.map(|r| percent(r, Style::File)).unwrap_or_default()
}

/// Deliveries counted for a row's delivery parts, and its last delivery.
fn delivered(o: &Obligation, row: &RowResult) -> (u32, Option<i32>) {
    let mut n = 0;
    let mut last = None;
    for (p, r) in o.parts.iter().zip(&row.parts) {
        if !matches!(p.kind, PartKind::Require(_)) {
            n = n.max(r.delivered);
            last = last.max(r.last);
        }
    }
    (n, last)
}

pub(super) fn detail_csv(
    program: &Program,
    report: &Report,
    lang: Lang,
    w: &mut dyn Write,
) -> io::Result<()> {
    let mut csv = CsvWriter::new(w);
    csv.record([
        "obligation",
        "key",
        "station",
        "region",
        "status",
        "light",
        "delivered",
        "last_delivery",
        "missed_parts",
        "reason",
    ])?;
    for r in &report.obligations {
        let Some(o) = program.comply.obligations.get(r.obligation) else {
            continue;
        };
        for row in &r.rows {
            let (n, last) = delivered(o, row);
            let missed: Vec<&str> = o
                .parts
                .iter()
                .zip(&row.parts)
                .filter(|(_, x)| x.status == Status::Missed)
                .map(|(p, _)| p.name.as_str())
                .collect();
            let (n, last) = (n.to_string(), last.map(format_date).unwrap_or_default());
            let (missed, reasons) = (
                missed.join(";"),
                row_reasons(program, o, row, &report.period, lang).join(" | "),
            );
            csv.record([
                o.name.as_str(),
                row.key.as_str(),
                row.station.as_str(),
                row.region.as_str(),
                row.status.as_str(),
                row.light.map_or("", |c| c.as_str()),
                n.as_str(),
                last.as_str(),
                missed.as_str(),
                reasons.as_str(),
            ])?;
        }
    }
    csv.finish()
}

pub(super) fn coverage_csv(
    program: &Program,
    report: &Report,
    lang: Lang,
    w: &mut dyn Write,
) -> io::Result<()> {
    let mut csv = CsvWriter::new(w);
    csv.record([
        "obligation",
        "label",
        "level",
        "name",
        "in_scope",
        "met",
        "missed",
        "not_applicable",
        "errors",
        "rate_percent",
        "target_percent",
        "target_met",
        "red",
        "yellow",
        "green",
    ])?;
    for r in &report.obligations {
        let Some(o) = program.comply.obligations.get(r.obligation) else {
            continue;
        };
        for c in &r.coverage {
            csv.record([
                o.name.clone(),
                label(&o.name, &o.origin, lang),
                c.level.as_str().to_string(),
                c.name.clone(),
                c.in_scope.to_string(),
                c.met.to_string(),
                c.missed.to_string(),
                c.not_applicable.to_string(),
                c.errors.to_string(),
                rate(c.rate),
                rate(o.coverage.as_ref().map(|t| t.rate)),
                c.target_met.map_or(String::new(), |b| b.to_string()),
                c.lights[0].to_string(),
                c.lights[1].to_string(),
                c.lights[2].to_string(),
            ])?;
        }
    }
    csv.finish()
}

pub(super) fn issues_csv(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    let mut csv = CsvWriter::new(w);
    csv.record(["line", "issue", "counted", "column", "value", "message"])?;
    for i in &report.issues {
        csv.record([
            i.line.to_string(),
            i.kind.code().to_string(),
            i.kind.counted().to_string(),
            i.column.clone().unwrap_or_default(),
            i.value.clone(),
            i.message.clone(),
        ])?;
    }
    csv.finish()
}

pub(super) fn json(program: &Program, report: &Report, lang: Lang) -> serde_json::Value {
    use serde_json::json;
    let obligations: Vec<serde_json::Value> = report
        .obligations
        .iter()
        .filter_map(|r| {
            let o = program.comply.obligations.get(r.obligation)?;
            let rows: Vec<serde_json::Value> = r
                .rows
                .iter()
                .map(|row| {
                    let parts: Vec<serde_json::Value> = o
                        .parts
                        .iter()
                        .zip(&row.parts)
                        .map(|(p, x)| {
                            json!({
                                "part": p.name,
                                "status": x.status.as_str(),
                                "delivered": x.delivered,
                                "windows": x.windows,
                                "windows_missed": x.windows_missed,
                                "first_missed": x.first_missed.map(|w| json!({"start": format_date(w.start), "end": format_date(w.end), "count": w.count})),
                                "last": x.last.map(format_date),
                                "event": x.event.map(format_date),
                                "deadline": x.deadline.map(format_date),
                                "note": x.note,
                            })
                        })
                        .collect();
                    json!({
                        "key": row.key,
                        "station": row.station,
                        "region": row.region,
                        "status": row.status.as_str(),
                        "light": row.light.map(|c| c.as_str()),
                        "error": row.error,
                        "parts": parts,
                        "reasons": row_reasons(program, o, row, &report.period, lang),
                    })
                })
                .collect();
            let coverage: Vec<serde_json::Value> = r
                .coverage
                .iter()
                .map(|c| {
                    json!({
                        "level": c.level.as_str(), "name": c.name, "in_scope": c.in_scope,
                        "met": c.met, "missed": c.missed, "not_applicable": c.not_applicable,
                        "errors": c.errors, "rate_percent": rate(c.rate),
                        "target_met": c.target_met,
                        "lights": {"red": c.lights[0], "yellow": c.lights[1], "green": c.lights[2]},
                    })
                })
                .collect();
            Some(json!({
                "obligation": o.name,
                "label": {"zh": label(&o.name, &o.origin, Lang::Zh), "en": label(&o.name, &o.origin, Lang::En)},
                "coverage_target_percent": o.coverage.as_ref().map(|t| rate(Some(t.rate))),
                "coverage": coverage,
                "rows": rows,
            }))
        })
        .collect();
    let issues: Vec<serde_json::Value> = report
        .issues
        .iter()
        .map(|i| json!({"line": i.line, "issue": i.kind.code(), "counted": i.kind.counted(), "column": i.column, "value": i.value, "message": i.message}))
        .collect();
    json!({
        "policy": program.policy.as_ref().map(|p| p.name.clone()),
        "period": {"text": report.period.text, "start": format_date(report.period.start), "end": format_date(report.period.end)},
        "log_rows": report.log_rows,
        "counted_rows": report.counted_rows,
        "issues": issues,
        "obligations": obligations,
    })
}
