//! The Bylaw engine: the one library every front end — the `bylaw` command line, the
//! Python package, the HTTP service, the editor server — uses to load policies and
//! evaluate them.
//!
//! A few nouns:
//! - [`Policy`]: a policy file and the files it `use`s, checked;
//! - [`Date`]: the evaluation date;
//! - [`Backend`]: the interpreter, native code compiled in this process ([`Jit`]) or a
//!   compiled library loaded ([`Aot`]), all giving one [`Evaluation`] type — values as
//!   columns and each failed household's error — and never falling back silently.
//!
//! ```
//! use bylaw_engine::{BackendKind, Date, Policy};
//!
//! let policy = Policy::from_text(
//!     "poor.bylaw",
//!     "entity household { id: text key\n income: money per month }\n\
//!      rule poor \"收入低\" = income < 1000 元\n",
//! )?;
//! let dir = tempfile::tempdir()?;
//! let data = dir.path().join("households.json");
//! std::fs::write(&data, r#"[{"id": "a", "income": "999.99"}]"#)?;
//! let batch = bylaw_runtime::input::read_json(&policy.program().schema, &data)?;
//! let interp = policy.backend(BackendKind::Interpreter, Date::parse("2024-01-01")?)?;
//! let result = interp.evaluate(&batch, 0..1)?;
//! assert_eq!(result.row(0), Ok(vec![bylaw_compiler::ir::Value::Bool(true)]));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod backend;
pub mod build;
mod date;
pub mod explain;
mod input;
mod output;
pub mod period;
mod policy;
mod run;
pub mod why;

/// The stack of every worker thread the engine starts. Every walk over a program
/// recurses at most `bylaw_grammar::MAX_DEPTH` levels deep; this leaves room for that
/// even in unoptimised builds, where frames are several times larger.
pub(crate) const WORKER_STACK: usize = 16 << 20;

pub use backend::{
    Aot, Backend, BackendError, BackendErrorKind, BackendKind, Evaluation, Interpreter, Jit,
    Prepared,
};
pub use date::{Date, DateError};
pub use input::{DataFiles, same_file};
pub use output::arrow::{TYPE_KEY, result_schema};
pub use output::{OutputFormat, UnknownExtension};
pub use policy::{Policy, PolicyErrors};
pub use run::{
    BATCH_ROWS, BackendUse, Compiled, InputMode, MAX_THREADS, Progress, Run, RunError, RunOptions,
    RunReport, Summary, Tables, compile,
};

// Analytics and reports: impact (`diff`), budgets and sweeps, compliance files.
pub mod budget;
pub mod comply;
mod error;
pub mod impact;
pub mod report;

pub use error::{EngineError, ErrorKind};
