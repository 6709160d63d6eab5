//! Data diagnostics: one [`DataError`] per problem, collected in [`DataErrors`].
//!
//! Every error names its file, the 1-based line the user sees (CSV header = line 1),
//! the column or JSON path, the offending value, a lowercase message with values in
//! backticks, and a hint. Codes (`bylaw::data::bad_number`, …) are stable.

use miette::Diagnostic;
use std::fmt;
use std::path::{Path, PathBuf};

/// At most this many errors are kept; the rest are only counted.
pub const MAX_ERRORS: usize = 50;

/// A value longer than this many characters is shown cut in messages.
pub const SHOWN_CHARS: usize = 60;

/// `text` as messages echo it: whole when short, else its first [`SHOWN_CHARS`]
/// characters and its length (`1111…(10000000 bytes)`), so a 10 MB cell does not
/// become a 10 MB message.
#[must_use]
pub fn shown(text: &str) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(SHOWN_CHARS) {
        None => std::borrow::Cow::Borrowed(text),
        Some((cut, _)) => std::borrow::Cow::Owned(format!(
            "{}…({} bytes)",
            text.get(..cut).unwrap_or_default(),
            text.len()
        )),
    }
}

/// The kind of a data error, with a stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataErrorKind {
    /// A column for a field without a default is absent.
    MissingColumn,
    /// A column or property that is no field of the entity.
    ExtraColumn,
    /// A number (money, rate, count, decimal, duration) could not be read exactly.
    BadNumber,
    /// A date is not `YYYY-MM-DD` or not a calendar day.
    BadDate,
    /// A boolean is not one of the accepted spellings.
    BadBool,
    /// An enumeration value is neither a variant name nor a code.
    UnknownVariant,
    /// A value is empty or absent and the field has no default.
    MissingValue,
    /// A child names a parent key that does not exist.
    UnknownParent,
    /// A parent has fewer children than its relation requires.
    TooFewChildren,
    /// A number is below its field's `at least` (a negative age, count or duration).
    BelowMinimum,
    /// A dated record's last day is before its first day.
    EndsBeforeStart,
    /// Two rows have the same key.
    DuplicateKey,
    /// The file is not valid CSV / JSON, or a row has the wrong shape.
    MalformedFile,
    /// A relation's file is required but not given, or a file was given for an
    /// unknown relation.
    MissingFile,
    /// The file could not be read.
    Io,
}

impl DataErrorKind {
    /// The stable diagnostic code.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::MissingColumn => "bylaw::data::missing_column",
            Self::ExtraColumn => "bylaw::data::extra_column",
            Self::BadNumber => "bylaw::data::bad_number",
            Self::BadDate => "bylaw::data::bad_date",
            Self::BadBool => "bylaw::data::bad_bool",
            Self::UnknownVariant => "bylaw::data::unknown_variant",
            Self::MissingValue => "bylaw::data::missing_value",
            Self::UnknownParent => "bylaw::data::unknown_parent",
            Self::TooFewChildren => "bylaw::data::too_few_children",
            Self::BelowMinimum => "bylaw::data::below_minimum",
            Self::EndsBeforeStart => "bylaw::data::ends_before_start",
            Self::DuplicateKey => "bylaw::data::duplicate_key",
            Self::MalformedFile => "bylaw::data::malformed_file",
            Self::MissingFile => "bylaw::data::missing_file",
            Self::Io => "bylaw::data::io",
        }
    }
}

/// One problem in the input data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataError {
    /// What went wrong (gives the code).
    pub kind: DataErrorKind,
    /// The input file.
    pub file: PathBuf,
    /// 1-based line as the user sees it (CSV header = 1; JSON: the value's line).
    pub row: Option<u32>,
    /// The column (CSV) or property (JSON) name.
    pub column: Option<String>,
    /// The JSON path of the value (`$[17].members[2].income`).
    pub json_path: Option<String>,
    /// The offending value, as written.
    pub value: Option<String>,
    /// Lowercase, no final period, values in backticks.
    pub message: String,
    /// What to do about it.
    pub help: Option<String>,
}

impl DataError {
    /// A new error with only a kind, file and message.
    #[must_use]
    pub fn new(kind: DataErrorKind, file: &Path, message: impl Into<String>) -> Self {
        Self {
            kind,
            file: file.to_path_buf(),
            row: None,
            column: None,
            json_path: None,
            value: None,
            message: message.into(),
            help: None,
        }
    }

    /// Sets the line.
    #[must_use]
    pub(crate) fn at_row(mut self, row: u32) -> Self {
        self.row = Some(row);
        self
    }

    /// Sets the column or property name.
    #[must_use]
    pub(crate) fn in_column(mut self, column: impl Into<String>) -> Self {
        self.column = Some(column.into());
        self
    }

    /// Sets the JSON path.
    #[must_use]
    pub(crate) fn at_path(mut self, path: impl Into<String>) -> Self {
        self.json_path = Some(path.into());
        self
    }

    /// Sets the offending value, cut to [`SHOWN_CHARS`] characters (see [`shown`]).
    #[must_use]
    pub fn with_value(mut self, value: impl Into<String>) -> Self {
        let value = value.into();
        self.value = Some(match shown(&value) {
            std::borrow::Cow::Borrowed(_) => value,
            std::borrow::Cow::Owned(cut) => cut,
        });
        self
    }

    /// Sets the hint.
    #[must_use]
    pub(crate) fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The stable code (`bylaw::data::bad_number`).
    #[must_use]
    pub const fn code(&self) -> &'static str {
        self.kind.code()
    }
}

impl fmt::Display for DataError {
    /// `households.csv:17: column `income`: `12,5` contains a thousands separator`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(row) = self.row {
            write!(f, ":{row}")?;
        }
        if let Some(path) = &self.json_path {
            write!(f, ": at {path}")?;
        } else if let Some(column) = &self.column {
            write!(f, ": column `{column}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for DataError {}

impl Diagnostic for DataError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.kind.code()))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display + 'a>)
    }
}

/// Every error found in the input (the first [`MAX_ERRORS`], and a count of the rest).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DataErrors {
    /// The kept errors, in the order found.
    pub errors: Vec<DataError>,
    /// How many further errors were found but not kept.
    pub omitted: usize,
}

impl DataErrors {
    /// Records an error (or counts it, past the cap).
    pub fn push(&mut self, error: DataError) {
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(error);
        } else {
            self.omitted += 1;
        }
    }

    /// Whether no error was found.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty() && self.omitted == 0
    }

    /// The number of errors found, shown or not.
    #[must_use]
    pub fn total(&self) -> usize {
        self.errors.len() + self.omitted
    }

    /// The distinct files named by the errors, in order of first appearance.
    fn files(&self) -> Vec<&Path> {
        let mut files: Vec<&Path> = Vec::new();
        for e in &self.errors {
            if !files.contains(&e.file.as_path()) {
                files.push(&e.file);
            }
        }
        files
    }
}

impl fmt::Display for DataErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.total();
        write!(f, "{n} data error{}", if n == 1 { "" } else { "s" })?;
        let files = self.files();
        if !files.is_empty() {
            f.write_str(" in ")?;
            for (i, file) in files.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{}", file.display())?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for DataErrors {}

impl Diagnostic for DataErrors {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new("bylaw::data::errors"))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        (self.omitted > 0).then(|| {
            Box::new(format!(
                "{} more error{} not shown; fix these first",
                self.omitted,
                if self.omitted == 1 { "" } else { "s" }
            )) as Box<dyn fmt::Display + 'a>
        })
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        Some(Box::new(self.errors.iter().map(|e| e as &dyn Diagnostic)))
    }
}
