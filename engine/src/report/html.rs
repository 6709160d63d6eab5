//! The frame of the self-contained HTML reports (`budget`, `diff`): one file, inline
//! styles and SVG, no script and no network.

use std::fmt::Write as _;

/// Escapes text for HTML.
///
/// ```
/// assert_eq!(bylaw_engine::report::html::esc("a < \"b\" & c"), "a &lt; &quot;b&quot; &amp; c");
/// ```
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A whole page around `body`.
pub fn page(title: &str, body: &str) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"zh\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\n\
         body{{font-family:system-ui,\"Noto Sans CJK SC\",\"PingFang SC\",sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#222}}\n\
         table{{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}}td,th{{border:1px solid #ccc;padding:.2rem .5rem;text-align:right}}th{{background:#f3f3f3}}td.l,th.l{{text-align:left}}\n\
         .bad{{color:#b00020}}.ok{{color:#1b7f3a}}.note{{color:#555;font-size:.9rem}}\n\
         h1{{border-bottom:2px solid #444}}h2{{border-bottom:1px solid #ccc;margin-top:2rem}}figure{{margin:1rem 0}}\n</style>\n</head>\n<body>\n<h1>{}</h1>\n{body}</body>\n</html>\n",
        esc(title),
        esc(title)
    );
    out
}

/// A table: header cells, then rows; the first `left` columns are left-aligned text.
pub fn table(header: &[String], rows: &[Vec<String>], left: usize) -> String {
    let mut out = String::from("<table>\n<tr>");
    for (i, h) in header.iter().enumerate() {
        let class = if i < left { " class=\"l\"" } else { "" };
        let _ = write!(out, "<th{class}>{}</th>", esc(h));
    }
    out.push_str("</tr>\n");
    for r in rows {
        out.push_str("<tr>");
        for (i, c) in r.iter().enumerate() {
            let class = if i < left { " class=\"l\"" } else { "" };
            let _ = write!(out, "<td{class}>{}</td>", esc(c));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
    out
}
