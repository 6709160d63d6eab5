//! The error of a report or analysis: a stable code, a message and a hint, so a front
//! end can print it in words or as JSON without parsing text.

use std::fmt;

/// What kind of failure an [`EngineError`] is, which front ends map to exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The arguments, data or scenario do not fit the policy.
    Input,
    /// A file could not be written (or a chart drawn into it).
    Io,
}

/// A failure with a code (`bylaw::diff::no_output`), a message and a hint.
///
/// ```
/// use bylaw_engine::{EngineError, ErrorKind};
///
/// let e = EngineError::input("bylaw::budget::years", "`20x1` is not a year")
///     .with_hint("write `--years 2021..2025`");
/// assert_eq!(e.kind(), ErrorKind::Input);
/// assert_eq!(e.code(), "bylaw::budget::years");
/// assert_eq!(e.hint(), Some("write `--years 2021..2025`"));
/// assert_eq!(e.to_string(), "`20x1` is not a year");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineError {
    kind: ErrorKind,
    code: &'static str,
    message: String,
    hint: Option<String>,
}

impl EngineError {
    /// Arguments, data or a scenario that do not fit.
    pub fn input(code: &'static str, message: impl Into<String>) -> EngineError {
        EngineError {
            kind: ErrorKind::Input,
            code,
            message: message.into(),
            hint: None,
        }
    }

    /// A file that could not be written.
    pub fn io(code: &'static str, message: impl Into<String>) -> EngineError {
        EngineError {
            kind: ErrorKind::Io,
            code,
            message: message.into(),
            hint: None,
        }
    }

    /// The same error with a hint: what to do about it.
    #[must_use]
    pub fn with_hint(mut self, hint: impl Into<String>) -> EngineError {
        self.hint = Some(hint.into());
        self
    }

    /// Writing `path` failed with `e`.
    pub(crate) fn write(path: &std::path::Path, e: &std::io::Error) -> EngineError {
        EngineError::io(
            "bylaw::io::write",
            format!("cannot write `{}`: {e}", path.display()),
        )
    }

    /// What kind of failure it is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// A stable code, `bylaw::<area>::<what>`.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// What went wrong, in a sentence.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// What to do about it, if there is advice.
    pub fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EngineError {}
