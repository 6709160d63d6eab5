//! Why a run stopped: each cause with a stable code, its words and a hint.

use std::fmt;
use std::io;
use std::path::PathBuf;

use bylaw_runtime::input::DataErrors;

use crate::backend::BackendError;
use crate::output::UnknownExtension;

/// Why a run did not write its output. Nothing was written when it stops: outputs are
/// replaced only by a complete file.
#[derive(Debug)]
pub enum RunError {
    /// The data does not fit the policy's schema: every problem, located.
    Data(DataErrors),
    /// The output could not be written (`target` names it).
    Output {
        /// The output, as words (`` `out.csv` `` or `the output`).
        target: String,
        /// What went wrong.
        error: io::Error,
    },
    /// The output file's extension names no format.
    OutputFormat(UnknownExtension),
    /// The output file is one of the run's inputs.
    OutputIsInput {
        /// The output path given.
        output: PathBuf,
    },
    /// More worker threads than [`crate::MAX_THREADS`], or none could start.
    Threads {
        /// The number asked for.
        asked: usize,
        /// Why it cannot be.
        detail: String,
    },
    /// A reason column was asked for, and the policy has no yes/no output to explain.
    NoDecision,
    /// Even the interpreter refused the data (it was not read against this policy).
    Refused(BackendError),
    /// A period that is not a month, quarter or year (`--period`).
    Period(String),
    /// A period's table asked for as Parquet (it is written as CSV or JSON).
    PeriodParquet,
}

impl RunError {
    /// A stable code for the cause, as JSON diagnostics give it.
    pub fn code(&self) -> &'static str {
        match self {
            RunError::Data(_) => "bylaw::data::invalid",
            RunError::Output { .. } => "bylaw::io::write",
            RunError::OutputFormat(_) => "bylaw::output::format",
            RunError::OutputIsInput { .. } => "bylaw::output::is_input",
            RunError::Threads { .. } => "bylaw::argument::threads",
            RunError::NoDecision => "bylaw::policy::no_decision",
            RunError::Refused(_) => "bylaw::data::refused",
            RunError::Period(_) => "bylaw::argument::period",
            RunError::PeriodParquet => "bylaw::output::format",
        }
    }

    /// What to do about it.
    pub fn hint(&self) -> Option<String> {
        match self {
            RunError::Data(_) => None,
            RunError::Output { .. } => Some(
                "write to a regular, writable file in a directory that exists (a symbolic link is followed to its file), on a disk with room"
                    .to_string(),
            ),
            RunError::OutputFormat(_) => {
                Some("name the output file .csv, .json or .parquet".to_string())
            }
            RunError::OutputIsInput { .. } => {
                Some("write the results to a new file: the input would be lost".to_string())
            }
            RunError::Threads { .. } => Some(format!(
                "ask for between 1 and {} threads, or leave --threads out to use every core",
                crate::MAX_THREADS
            )),
            RunError::NoDecision => {
                Some("a reason explains a yes/no rule; add one to the policy's outputs".to_string())
            }
            RunError::Refused(_) => {
                Some("read the data against the policy that evaluates it".to_string())
            }
            RunError::Period(_) => Some(
                "write a month `2025-07`, a quarter `2025-Q3` or a year `2025`".to_string(),
            ),
            RunError::PeriodParquet => Some("name the output .csv or .json".to_string()),
        }
    }
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Data(errors) => {
                write!(f, "{} data error(s); no output was written", errors.total())
            }
            RunError::Output { target, error } => {
                write!(f, "cannot write {target}: {error}; nothing was written")
            }
            RunError::OutputFormat(e) => write!(f, "{e}"),
            RunError::OutputIsInput { output } => write!(
                f,
                "the output `{}` is one of the run's input files",
                output.display()
            ),
            RunError::Threads { asked, detail } => {
                write!(f, "cannot run {asked} worker threads: {detail}")
            }
            RunError::NoDecision => write!(
                f,
                "a reason needs a yes/no rule among the policy's outputs, and it has none"
            ),
            RunError::Refused(e) => write!(f, "the data was refused: {e}"),
            RunError::Period(e) => write!(f, "{e}"),
            RunError::PeriodParquet => {
                write!(f, "a period's table is written as CSV or JSON, not Parquet")
            }
        }
    }
}

impl std::error::Error for RunError {}
