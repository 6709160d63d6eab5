//! The detail of a compliance run as files: `detail.csv` (one row per obligation and row in
//! scope), `coverage.csv` (per station, region and overall), `issues.csv` (log rows with
//! problems, by line), `report.json` (everything), and `report.html` (a self-contained,
//! offline page: no script, no external resource). Every file is written atomically.

use std::io::{self, Write};
use std::path::Path;

use bylaw_compiler::comply::run::{Level, Report, RowResult, Status};
use bylaw_compiler::comply::spec::{Obligation, PartKind};
use bylaw_compiler::comply::words::{colour_words, label, row_reasons, status_words};
use bylaw_compiler::explain::Lang;
use bylaw_compiler::ir::Program;
use bylaw_runtime::date::format_date;
use bylaw_runtime::output::write_atomic;

pub fn write_all(
    program: &Program,
    report: &Report,
    dir: &Path,
    format: &str,
    lang: Lang,
) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    if format == "csv" || format == "all" {
        write_atomic(dir.join("detail.csv"), |w| {
            detail_csv(program, report, lang, w)
        })?;
        write_atomic(dir.join("coverage.csv"), |w| {
            coverage_csv(program, report, lang, w)
        })?;
        write_atomic(dir.join("issues.csv"), |w| issues_csv(report, w))?;
    }
    if format == "json" || format == "all" {
        write_atomic(dir.join("report.json"), |w| {
            serde_json::to_writer(&mut *w, &json(program, report, lang))
                .map_err(io::Error::other)?;
            w.write_all(b"\n")
        })?;
    }
    if format == "html" || format == "all" {
        write_atomic(dir.join("report.html"), |w| {
            w.write_all(html(program, report, lang).as_bytes())
        })?;
    }
    Ok(())
}

/// Quotes a CSV cell when it needs it.
fn cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn percent(rate: Option<i64>) -> String {
    rate.map_or_else(String::new, |r| {
        let hundredths = (r + 50) / 100;
        format!("{}.{:02}", hundredths / 100, hundredths % 100)
    })
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

fn detail_csv(program: &Program, report: &Report, lang: Lang, w: &mut dyn Write) -> io::Result<()> {
    writeln!(
        w,
        "obligation,key,station,region,status,light,delivered,last_delivery,missed_parts,reason"
    )?;
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
            let reason = row_reasons(program, o, row, &report.period, lang).join(" | ");
            writeln!(
                w,
                "{},{},{},{},{},{},{n},{},{},{}",
                cell(&o.name),
                cell(&row.key),
                cell(&row.station),
                cell(&row.region),
                row.status.as_str(),
                row.light.map_or("", |c| c.as_str()),
                last.map(format_date).unwrap_or_default(),
                cell(&missed.join(";")),
                cell(&reason)
            )?;
        }
    }
    Ok(())
}

fn coverage_csv(
    program: &Program,
    report: &Report,
    lang: Lang,
    w: &mut dyn Write,
) -> io::Result<()> {
    writeln!(
        w,
        "obligation,label,level,name,in_scope,met,missed,not_applicable,errors,rate_percent,target_percent,target_met,red,yellow,green"
    )?;
    for r in &report.obligations {
        let Some(o) = program.comply.obligations.get(r.obligation) else {
            continue;
        };
        for c in &r.coverage {
            writeln!(
                w,
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                cell(&o.name),
                cell(&label(&o.name, &o.origin, lang)),
                c.level.as_str(),
                cell(&c.name),
                c.in_scope,
                c.met,
                c.missed,
                c.not_applicable,
                c.errors,
                percent(c.rate),
                percent(o.coverage.as_ref().map(|t| t.rate)),
                c.target_met.map_or(String::new(), |b| b.to_string()),
                c.lights[0],
                c.lights[1],
                c.lights[2]
            )?;
        }
    }
    Ok(())
}

fn issues_csv(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "line,issue,counted,column,value,message")?;
    for i in &report.issues {
        writeln!(
            w,
            "{},{},{},{},{},{}",
            i.line,
            i.kind.code(),
            i.kind.counted(),
            cell(i.column.as_deref().unwrap_or("")),
            cell(&i.value),
            cell(&i.message)
        )?;
    }
    Ok(())
}

fn json(program: &Program, report: &Report, lang: Lang) -> serde_json::Value {
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
                        "errors": c.errors, "rate_percent": percent(c.rate),
                        "target_met": c.target_met,
                        "lights": {"red": c.lights[0], "yellow": c.lights[1], "green": c.lights[2]},
                    })
                })
                .collect();
            Some(json!({
                "obligation": o.name,
                "label": {"zh": label(&o.name, &o.origin, Lang::Zh), "en": label(&o.name, &o.origin, Lang::En)},
                "coverage_target_percent": o.coverage.as_ref().map(|t| percent(Some(t.rate))),
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

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A horizontal bar of met / missed / not judged, as inline SVG.
fn bar(met: u32, missed: u32, na: u32) -> String {
    let total = u64::from(met) + u64::from(missed) + u64::from(na);
    if total == 0 {
        return String::new();
    }
    let width = |n: u32| u64::from(n) * 200 / total;
    let (a, b) = (width(met), width(missed));
    format!(
        "<svg width=\"200\" height=\"12\" role=\"img\"><rect x=\"0\" width=\"{a}\" height=\"12\" fill=\"#2e7d32\"/><rect x=\"{a}\" width=\"{b}\" height=\"12\" fill=\"#c62828\"/><rect x=\"{}\" width=\"{}\" height=\"12\" fill=\"#9e9e9e\"/></svg>",
        a + b,
        200 - a - b
    )
}

fn html(program: &Program, report: &Report, lang: Lang) -> String {
    let zh = lang == Lang::Zh;
    let title = format!(
        "{} — {} {}",
        program.policy.as_ref().map_or("Bylaw", |p| p.name.as_str()),
        if zh { "合规检查" } else { "compliance" },
        report.period.text
    );
    let mut h = String::new();
    h.push_str(&format!(
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title>\n",
        if zh { "zh" } else { "en" },
        esc(&title)
    ));
    h.push_str("<style>body{font-family:sans-serif;margin:2em;max-width:72em}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left}th{background:#f3f3f3}.red{color:#c62828}.yellow{color:#b28704}.green{color:#2e7d32}.small{color:#666;font-size:.9em}</style></head><body>\n");
    h.push_str(&format!(
        "<h1>{}</h1>\n<p class=\"small\">{} · {} {} · {} {}</p>\n",
        esc(&title),
        esc(&report.period.describe()),
        report.log_rows,
        if zh { "条服务记录" } else { "log rows" },
        report.issues.len(),
        if zh { "条有问题" } else { "with issues" }
    ));
    for r in &report.obligations {
        let Some(o) = program.comply.obligations.get(r.obligation) else {
            continue;
        };
        h.push_str(&format!(
            "<h2>{}</h2>\n<ul>",
            esc(&label(&o.name, &o.origin, lang))
        ));
        for p in &o.parts {
            h.push_str(&format!(
                "<li>{}: {} <span class=\"small\">{}</span></li>",
                esc(&label(&p.name, &p.origin, lang)),
                esc(&bylaw_compiler::comply::words::standard(program, p, lang)),
                esc(&bylaw_compiler::comply::words::citation(&p.origin, lang))
            ));
        }
        h.push_str("</ul>\n<table><tr>");
        let heads: &[&str] = if zh {
            &[
                "层级",
                "名称",
                "范围内",
                "达标",
                "未达标",
                "不评判",
                "达标率",
                "",
                "红",
                "黄",
                "绿",
            ]
        } else {
            &[
                "level",
                "name",
                "in scope",
                "met",
                "missed",
                "not judged",
                "rate",
                "",
                "red",
                "yellow",
                "green",
            ]
        };
        for x in heads {
            h.push_str(&format!("<th>{x}</th>"));
        }
        h.push_str("</tr>\n");
        for c in r.coverage.iter().take(500) {
            let rate = percent(c.rate);
            let mark = match c.target_met {
                Some(true) => " ✓",
                Some(false) => " ✗",
                None => "",
            };
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}{}</td><td>{}</td><td class=\"red\">{}</td><td class=\"yellow\">{}</td><td class=\"green\">{}</td></tr>\n",
                if c.level == Level::All { if zh { "全部" } else { "all" } } else { c.level.as_str() },
                esc(&c.name),
                c.in_scope, c.met, c.missed, c.not_applicable,
                if rate.is_empty() { String::new() } else { format!("{rate}%") }, mark,
                bar(c.met, c.missed, c.not_applicable),
                c.lights[0], c.lights[1], c.lights[2]
            ));
        }
        h.push_str("</table>\n");
        let misses: Vec<&RowResult> = r
            .rows
            .iter()
            .filter(|x| matches!(x.status, Status::Missed | Status::Error))
            .collect();
        if !misses.is_empty() {
            h.push_str(&format!(
                "<details><summary>{} {}</summary><table>",
                misses.len(),
                if zh { "个未达标" } else { "missed" }
            ));
            for row in misses.iter().take(1000) {
                let reasons = row_reasons(program, o, row, &report.period, lang).join("<br>");
                h.push_str(&format!(
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td>{}</td></tr>\n",
                    esc(&row.key),
                    esc(&row.station),
                    status_words(row.status, lang),
                    row.light.map_or("", |c| c.as_str()),
                    row.light.map_or("", |c| colour_words(c, lang)),
                    esc(&reasons).replace("&lt;br&gt;", "<br>")
                ));
            }
            if misses.len() > 1000 {
                h.push_str(&format!(
                    "<tr><td colspan=\"5\">… {} more (detail.csv)</td></tr>",
                    misses.len() - 1000
                ));
            }
            h.push_str("</table></details>\n");
        }
    }
    if !report.issues.is_empty() {
        h.push_str(&format!(
            "<h2>{}</h2><table><tr><th>line</th><th>issue</th><th>message</th></tr>\n",
            if zh {
                "服务记录问题"
            } else {
                "Log issues"
            }
        ));
        for i in report.issues.iter().take(1000) {
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                i.line,
                i.kind.code(),
                esc(&i.message)
            ));
        }
        h.push_str("</table>\n");
    }
    h.push_str("</body></html>\n");
    h
}
