//! Failures of the engine printed like diagnostics — in words or, with
//! `--error-format json`, one JSON object per line — and the exit code each means.

use std::path::Path;

use bylaw_engine::{EngineError, ErrorKind, Policy, PolicyErrors};

use crate::{ErrorFormat, Exit, report};

/// Prints `e` (`error: …` and `help: …`, or JSON with its code) and gives its exit code.
pub fn print(e: &EngineError, format: ErrorFormat) -> Exit {
    report::print_error(e.code(), e.message(), e.hint(), format);
    match e.kind() {
        ErrorKind::Input => Exit::BadInput,
        ErrorKind::Io => Exit::Io,
    }
}

/// Prints a policy's (or a scenario's) diagnostics and gives `exit`.
pub fn policy(e: &PolicyErrors, exit: Exit, format: ErrorFormat) -> Exit {
    report::print(e.diagnostics(), e.sources(), format);
    exit
}

/// Loads a policy that declares an entity (else `nothing`: what the command cannot do
/// without one) and applies a scenario's values; problems are printed.
pub fn load(
    path: &Path,
    scenario: Option<&Path>,
    nothing: &str,
    format: ErrorFormat,
) -> Result<Policy, Exit> {
    let mut policy =
        Policy::load(path).map_err(|e| self::policy(&e, Exit::PolicyErrors, format))?;
    if !policy.has_entities() {
        let e = EngineError::input(
            "bylaw::policy::no_entity",
            format!("`{}` declares no entity, so {nothing}", path.display()),
        )
        .with_hint("use a policy that declares an entity (`entity household { … }`, or a yearly table for funds)");
        return Err(print(&e, format));
    }
    if let Some(s) = scenario {
        policy
            .apply_scenario(s)
            .map_err(|e| self::policy(&e, Exit::BadInput, format))?;
    }
    Ok(policy)
}

/// Writes `text` to `path` atomically.
pub fn write(path: &Path, text: &str, inputs: &[&Path], format: ErrorFormat) -> Result<(), Exit> {
    if inputs.iter().any(|i| bylaw_engine::same_file(i, path)) {
        let e = EngineError::input(
            "bylaw::output::is_input",
            format!(
                "the output `{}` is one of the run's input files",
                path.display()
            ),
        )
        .with_hint("write the results to a new file: the input would be lost");
        return Err(print(&e, format));
    }
    bylaw_runtime::output::write_atomic(path, |w| w.write_all(text.as_bytes())).map_err(|e| {
        let e = EngineError::io(
            "bylaw::io::write",
            format!("cannot write `{}`: {e}", path.display()),
        );
        print(&e, format)
    })
}
