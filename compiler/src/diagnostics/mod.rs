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
/// column in a line of Chinese text is the column a person counts.
#[derive(Debug)]
struct CharColumns {
    name: String,
    text: String,
}

impl miette::SourceCode for CharColumns {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let inner = self.text.read_span(span, before, after)?;
        let start = inner.span().offset();
        let line_start = start.saturating_sub(inner.column());
        let column = self
            .text
            .get(line_start..start)
            .map_or(inner.column(), |s| s.chars().count());
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line(),
            column,
            inner.line_count(),
        )))
    }
}

/// A diagnostic joined with its source text, in the form miette renders.
#[derive(Debug)]
struct Rendered {
    message: String,
    code: String,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<CharColumns>,
    labels: Vec<miette::LabeledSpan>,
}

impl std::fmt::Display for Rendered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Rendered {}

impl miette::Diagnostic for Rendered {
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

fn to_rendered(d: &Diagnostic, sources: &SourceMap) -> Rendered {
    let file = d.primary.as_ref().and_then(|l| sources.get(l.file));
    let mut labels = Vec::new();
    let mut help = d.help.clone();
    if let (Some(primary), Some(_)) = (&d.primary, file) {
        labels.push(miette::LabeledSpan::new_primary_with_span(
            Some(primary.text.clone()).filter(|t| !t.is_empty()),
            (primary.span.start as usize, primary.span.len()),
        ));
        for l in &d.secondary {
            if l.file == primary.file {
                labels.push(miette::LabeledSpan::new_with_span(
                    Some(l.text.clone()),
                    (l.span.start as usize, l.span.len()),
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
        source: file.map(|f| CharColumns {
            name: f.name.clone(),
            text: f.text.clone(),
        }),
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
