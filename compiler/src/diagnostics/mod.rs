//! Diagnostics: one type for every compile-time problem, with a registered code, a primary
//! label (file and byte span), optional secondary labels and a hint. Rendering is a
//! separate step ([`render_human`], [`render_json`]) chosen at the edge.

pub mod codes;

use bylaw_grammar::{FileId, SourceMap, Span};
pub use codes::Code;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// A place in a source file with a short text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub file: FileId,
    pub span: Span,
    pub text: String,
}

/// One compile-time problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    /// Lowercase, no final period, user text in backticks.
    pub message: String,
    pub primary: Option<Label>,
    pub secondary: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            primary: None,
            secondary: Vec::new(),
            help: None,
        }
    }

    pub fn warning(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    /// Sets the primary label.
    pub fn at(mut self, file: FileId, span: Span, text: impl Into<String>) -> Diagnostic {
        self.primary = Some(Label {
            file,
            span,
            text: text.into(),
        });
        self
    }

    pub fn also(mut self, file: FileId, span: Span, text: impl Into<String>) -> Diagnostic {
        self.secondary.push(Label {
            file,
            span,
            text: text.into(),
        });
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// A named source whose `file:line:col` header counts characters, not bytes, so that a
/// column in a line of Chinese text is the column a person counts. Lines are found with the
/// file's line index (rendering stays linear in the number of diagnostics), and a line too
/// long to show is cut to a window around the label: miette cannot pad past column 65,535.
#[derive(Debug)]
struct CharColumns<'a> {
    file: &'a bylaw_grammar::SourceFile,
}

/// Lines longer than this many bytes are shown cut around the label.
const LONGEST_SHOWN_LINE: usize = 400;
/// Characters kept before a label's start and after its end on a cut line.
const CUT_CONTEXT: usize = 40;
/// The longest label underline on a cut line, in characters.
const LONGEST_CUT_LABEL: usize = 80;

impl CharColumns<'_> {
    fn is_long(&self, line: usize) -> bool {
        self.file.line_range(line).len() > LONGEST_SHOWN_LINE
    }

    /// The byte offset `chars` characters before `offset`, not before `floor`.
    fn back(&self, offset: usize, floor: usize, chars: usize) -> usize {
        self.file
            .text
            .get(floor..offset)
            .and_then(|s| s.char_indices().rev().nth(chars.saturating_sub(1)))
            .map_or(floor, |(i, _)| floor + i)
    }

    /// The byte offset `chars` characters after `offset`, not after `ceiling`.
    fn forward(&self, offset: usize, ceiling: usize, chars: usize) -> usize {
        self.file
            .text
            .get(offset..ceiling)
            .and_then(|s| s.char_indices().nth(chars))
            .map_or(ceiling, |(i, _)| offset + i)
    }

    /// A label's span, shortened on a long line so that its cut window can hold it.
    fn shown_span(&self, span: Span) -> (usize, usize) {
        let start = (span.start as usize).min(self.file.text.len());
        let end = (span.end as usize).clamp(start, self.file.text.len());
        let line = self.file.line_of(start);
        if !self.is_long(line) {
            return (start, end - start);
        }
        let line_end = self.file.line_range(line).end.max(start);
        let end = end.min(self.forward(start, line_end, LONGEST_CUT_LABEL));
        (start, end - start)
    }
}

impl miette::SourceCode for CharColumns<'_> {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let text = &self.file.text;
        let start = span.offset();
        let end = start + span.len();
        if end > text.len() {
            return Err(miette::MietteError::OutOfBounds);
        }
        let first = self.file.line_of(start);
        let last = self.file.line_of(end.saturating_sub(1).max(start));
        let line_start = self.file.line_range(first).start;
        let column = text.get(line_start..start).map_or(0, |s| s.chars().count());
        if (first..=last).any(|l| self.is_long(l)) {
            // One line, cut: a window around the label, with its true line and column.
            let line_end = self
                .file
                .line_range(first)
                .end
                .max(end.min(self.file.line_range(first).end));
            let from = self.back(start, line_start, CUT_CONTEXT);
            let to = self
                .forward(end.max(start), line_end.max(start), CUT_CONTEXT)
                .max(end);
            let data = text.get(from..to).ok_or(miette::MietteError::OutOfBounds)?;
            return Ok(Box::new(miette::MietteSpanContents::new_named(
                self.file.name.clone(),
                data.as_bytes(),
                (from, to - from).into(),
                first,
                if before == 0 { column } else { 0 },
                1,
            )));
        }
        // Context lines stop at a line too long to show whole.
        let mut top = first;
        while top > 0 && first - top < before && !self.is_long(top - 1) {
            top -= 1;
        }
        let line_count = self.file.line_starts().len();
        let mut bottom = last;
        while bottom + 1 < line_count && bottom - last < after && !self.is_long(bottom + 1) {
            bottom += 1;
        }
        let (from, to) = if before == 0 && after == 0 {
            (start, end)
        } else {
            let to = self
                .file
                .line_starts()
                .get(bottom + 1)
                .copied()
                .unwrap_or(text.len());
            (self.file.line_range(top).start, to)
        };
        let data = text.get(from..to).ok_or(miette::MietteError::OutOfBounds)?;
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.file.name.clone(),
            data.as_bytes(),
            (from, to - from).into(),
            if before == 0 && after == 0 {
                first
            } else {
                top
            },
            if before == 0 { column } else { 0 },
            bottom - top + 1,
        )))
    }
}

/// A diagnostic joined with its source text, in the form miette renders.
#[derive(Debug)]
struct Rendered<'a> {
    message: String,
    code: String,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<CharColumns<'a>>,
    labels: Vec<miette::LabeledSpan>,
}

impl std::fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Rendered<'_> {}

impl miette::Diagnostic for Rendered<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }
}

fn to_rendered<'a>(d: &Diagnostic, sources: &'a SourceMap) -> Rendered<'a> {
    let file = d.primary.as_ref().and_then(|l| sources.get(l.file));
    let shown = |span: Span| file.map_or((0, 0), |f| CharColumns { file: f }.shown_span(span));
    let mut labels = Vec::new();
    let mut help = d.help.clone();
    if let (Some(primary), Some(_)) = (&d.primary, file) {
        labels.push(miette::LabeledSpan::new_primary_with_span(
            Some(primary.text.clone()).filter(|t| !t.is_empty()),
            shown(primary.span),
        ));
        for l in &d.secondary {
            if l.file == primary.file {
                labels.push(miette::LabeledSpan::new_with_span(
                    Some(l.text.clone()),
                    shown(l.span),
                ));
            } else if let Some(other) = sources.get(l.file) {
                let (line, col) = other.line_col(l.span.start);
                let note = format!("{} at {}:{line}:{col}", l.text, other.name);
                help = Some(match help {
                    Some(h) => format!("{h}\n{note}"),
                    None => note,
                });
            }
        }
    }
    Rendered {
        message: d.message.clone(),
        code: d.code.0.to_string(),
        severity: match d.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        },
        help,
        source: file.map(|file| CharColumns { file }),
        labels,
    }
}

/// Renders for a terminal; `color` chooses the theme, `width` the wrap width.
pub fn render_human(d: &Diagnostic, sources: &SourceMap, color: bool, width: usize) -> String {
    let theme = if color {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    let handler = miette::GraphicalReportHandler::new_themed(theme)
        .with_width(width)
        .with_links(false);
    let mut out = String::new();
    let rendered = to_rendered(d, sources);
    if handler.render_report(&mut out, &rendered).is_err() {
        out = format!("{}: {}\n", d.code.0, d.message);
    }
    out
}

/// One JSON object per diagnostic, with 1-based line and character column.
pub fn render_json(d: &Diagnostic, sources: &SourceMap) -> serde_json::Value {
    let label = |l: &Label| {
        let file = sources.get(l.file);
        let (line, column) = file.map_or((0, 0), |f| f.line_col(l.span.start));
        serde_json::json!({
            "file": file.map(|f| f.name.clone()),
            "line": line,
            "column": column,
            "start": l.span.start,
            "end": l.span.end,
            "text": l.text,
        })
    };
    serde_json::json!({
        "code": d.code.0,
        "severity": match d.severity { Severity::Error => "error", Severity::Warning => "warning" },
        "message": d.message,
        "primary": d.primary.as_ref().map(label),
        "secondary": d.secondary.iter().map(label).collect::<Vec<_>>(),
        "help": d.help,
    })
}

/// "Did you mean": the closest of `candidates` to `name`, if close enough.
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(name, c), c))
        .filter(|(d, c)| *d <= (name.chars().count().max(c.chars().count()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render_at(text: String, needle: &str) -> String {
        let mut sources = SourceMap::new();
        let start = text.rfind(needle).unwrap_or(0);
        let file = sources
            .add(
                std::path::Path::new("long.bylaw"),
                "long.bylaw".into(),
                text,
            )
            .unwrap_or(FileId(0));
        let d = Diagnostic::error(codes::UNKNOWN_NAME, "unknown name `zz`").at(
            file,
            Span::new(start, start + needle.len()),
            "not found",
        );
        render_human(&d, &sources, false, 100)
    }

    #[test]
    fn a_label_past_column_65535_is_shown_cut_with_its_true_column() {
        let text = format!("let a = 1{} + zz\n", " ".repeat(70_000));
        let out = render_at(text, "zz");
        assert!(out.contains("long.bylaw:1:70013"), "{out}");
        assert!(out.contains("not found"), "{out}");
        assert!(out.lines().all(|l| l.chars().count() < 300), "{out}");
    }

    #[test]
    fn a_long_chinese_label_before_a_typo_is_cut_by_characters() {
        let text = format!(
            "entity h {{\n  id: text key\n}}\nlet a \"{}\" = 1 + zz\nlet b = 2\n",
            "长".repeat(33_000)
        );
        let out = render_at(text, "zz");
        assert!(out.contains("long.bylaw:4:33016"), "{out}");
        assert!(out.lines().all(|l| l.chars().count() < 300), "{out}");
    }

    #[test]
    fn a_label_spanning_a_long_line_is_shortened() {
        let text = format!("let a = {}\n", "x + ".repeat(20_000));
        let out = render_at(text.clone(), text.trim_end());
        assert!(out.contains("long.bylaw:1:1"), "{out}");
        assert!(out.lines().all(|l| l.chars().count() < 300), "{out}");
    }

    #[test]
    fn short_lines_keep_their_context() {
        let out = render_at("let a = 1\nlet b = zz\nlet c = 3\n".into(), "zz");
        assert!(out.contains("long.bylaw:2:9"), "{out}");
        assert!(
            out.contains("let a = 1") && out.contains("let c = 3"),
            "{out}"
        );
    }
}
