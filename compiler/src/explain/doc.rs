//! A small document model (headings, paragraphs, nested lists, tables) and its three
//! renderings: plain text for terminals, Markdown, and self-contained HTML.

use std::fmt::Write;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Heading(u8, String),
    Para(String),
    /// Nested list: (depth, text).
    List(Vec<(usize, String)>),
    Table(Vec<String>, Vec<Vec<String>>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Markdown,
    Html,
}

impl Format {
    pub fn parse(text: &str) -> Option<Format> {
        match text {
            "text" | "txt" => Some(Format::Text),
            "md" | "markdown" => Some(Format::Markdown),
            "html" => Some(Format::Html),
            _ => None,
        }
    }
}

pub fn render(blocks: &[Block], format: Format, title: &str) -> String {
    match format {
        Format::Text => text(blocks),
        Format::Markdown => markdown(blocks),
        Format::Html => html(blocks, title),
    }
}

fn text(blocks: &[Block]) -> String {
    let mut out = String::new();
    for b in blocks {
        match b {
            Block::Heading(level, t) => {
                let rule = if *level == 1 { '=' } else { '-' };
                let width = t
                    .chars()
                    .map(|c| if c.is_ascii() { 1 } else { 2 })
                    .sum::<usize>();
                let _ = writeln!(out, "{t}\n{}", rule.to_string().repeat(width.max(3)));
            }
            Block::Para(t) => {
                let _ = writeln!(out, "{t}");
            }
            Block::List(items) => {
                for (depth, t) in items {
                    let _ = writeln!(out, "{}• {t}", "  ".repeat(*depth + 1));
                }
            }
            Block::Table(head, rows) => {
                let _ = writeln!(out, "  {}", head.join(" │ "));
                for r in rows {
                    let _ = writeln!(out, "  {}", r.join(" │ "));
                }
            }
        }
        out.push('\n');
    }
    out
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|")
}

fn markdown(blocks: &[Block]) -> String {
    let mut out = String::new();
    for b in blocks {
        match b {
            Block::Heading(level, t) => {
                let _ = writeln!(out, "{} {t}", "#".repeat(*level as usize));
            }
            Block::Para(t) => {
                let _ = writeln!(out, "{t}");
            }
            Block::List(items) => {
                for (depth, t) in items {
                    let _ = writeln!(out, "{}- {t}", "  ".repeat(*depth));
                }
            }
            Block::Table(head, rows) => {
                let _ = writeln!(
                    out,
                    "| {} |",
                    head.iter()
                        .map(|h| md_cell(h))
                        .collect::<Vec<_>>()
                        .join(" | ")
                );
                let _ = writeln!(out, "|{}", " --- |".repeat(head.len()));
                for r in rows {
                    let _ = writeln!(
                        out,
                        "| {} |",
                        r.iter().map(|c| md_cell(c)).collect::<Vec<_>>().join(" | ")
                    );
                }
            }
        }
        out.push('\n');
    }
    out
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn html(blocks: &[Block], title: &str) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"zh\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\n\
         body{{font-family:system-ui,\"Noto Sans CJK SC\",\"PingFang SC\",sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;line-height:1.6;color:#222}}\n\
         table{{border-collapse:collapse;margin:.5rem 0}}td,th{{border:1px solid #ccc;padding:.2rem .6rem;text-align:left}}\n\
         h1{{border-bottom:2px solid #444}}h2{{border-bottom:1px solid #ccc;margin-top:2rem}}\n</style>\n</head>\n<body>\n",
        esc(title)
    );
    for b in blocks {
        match b {
            Block::Heading(level, t) => {
                let _ = writeln!(out, "<h{level}>{}</h{level}>", esc(t));
            }
            Block::Para(t) => {
                let _ = writeln!(out, "<p>{}</p>", esc(t));
            }
            Block::List(items) => {
                let mut depth: isize = -1;
                for (d, t) in items {
                    let d = *d as isize;
                    while depth < d {
                        out.push_str("<ul>");
                        depth += 1;
                    }
                    while depth > d {
                        out.push_str("</ul>");
                        depth -= 1;
                    }
                    let _ = write!(out, "<li>{}</li>", esc(t));
                }
                while depth >= 0 {
                    out.push_str("</ul>");
                    depth -= 1;
                }
                out.push('\n');
            }
            Block::Table(head, rows) => {
                out.push_str("<table><tr>");
                for h in head {
                    let _ = write!(out, "<th>{}</th>", esc(h));
                }
                out.push_str("</tr>");
                for r in rows {
                    out.push_str("<tr>");
                    for c in r {
                        let _ = write!(out, "<td>{}</td>", esc(c));
                    }
                    out.push_str("</tr>");
                }
                out.push_str("</table>\n");
            }
        }
    }
    out.push_str("</body>\n</html>\n");
    out
}
