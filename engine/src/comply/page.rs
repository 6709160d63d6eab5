//! A compliance run as one self-contained HTML page (no script, no external
//! resource): per obligation its standards, coverage with lights and a bar per level,
//! the rows missed with their reasons, and the log's issues.

use bylaw_compiler::comply::run::{Level, Report, RowResult, Status};
use bylaw_compiler::comply::words::{colour_words, label, row_reasons, status_words};
use bylaw_compiler::explain::Lang;
use bylaw_compiler::ir::Program;

use crate::report::format::{Style, percent};
use crate::report::html::esc;

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

pub(super) fn html(program: &Program, report: &Report, lang: Lang) -> String {
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
            let rate = c.rate.map(|r| percent(r, Style::File)).unwrap_or_default();
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
