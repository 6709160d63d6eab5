//! A policy: a file and the files it `use`s, compiled and checked, ready to explain or
//! to evaluate with any backend.

use std::fmt;
use std::path::{Path, PathBuf};

use bylaw_compiler::Diagnostic;
use bylaw_compiler::ir::Program;
use bylaw_grammar::SourceMap;

use crate::backend::{Aot, Backend, BackendError, BackendKind, Interpreter, Jit};
use crate::date::Date;

/// A checked policy.
///
/// ```
/// let policy = bylaw_engine::Policy::from_text(
///     "tiny.bylaw",
///     "entity household { id: text key\n income: money per month }\n\
///      rule poor \"收入低\" = income < 1000 元\n",
/// )
/// .unwrap();
/// assert_eq!(policy.program().outputs.len(), 1);
/// assert!(bylaw_engine::Policy::from_text("bad.bylaw", "rule x = nope").is_err());
/// ```
#[derive(Debug, Clone)]
pub struct Policy {
    path: Option<PathBuf>,
    program: Program,
    sources: SourceMap,
    warnings: Vec<Diagnostic>,
}

impl Policy {
    /// Compiles the policy in `path` with the files it `use`s.
    ///
    /// # Errors
    /// [`PolicyErrors`]: every diagnostic, when any is an error.
    pub fn load(path: &Path) -> Result<Policy, PolicyErrors> {
        Policy::finish(Some(path.to_path_buf()), bylaw_compiler::compile_file(path))
    }

    /// Compiles policy text that is not in a file (`name` names it in diagnostics).
    ///
    /// # Errors
    /// [`PolicyErrors`]: every diagnostic, when any is an error.
    pub fn from_text(name: &str, text: &str) -> Result<Policy, PolicyErrors> {
        Policy::finish(None, bylaw_compiler::compile_text(name, text))
    }

    fn finish(
        path: Option<PathBuf>,
        compiled: bylaw_compiler::Compiled,
    ) -> Result<Policy, PolicyErrors> {
        let has_errors = compiled.has_errors();
        match compiled.program {
            Some(program) if !has_errors => Ok(Policy {
                path,
                program,
                sources: compiled.sources,
                warnings: compiled.diagnostics,
            }),
            _ => Err(PolicyErrors {
                diagnostics: compiled.diagnostics,
                sources: compiled.sources,
            }),
        }
    }

    /// Replaces parameter values with the `set` lines of the scenario file `path`.
    ///
    /// # Errors
    /// [`PolicyErrors`] pointing into the scenario file.
    pub fn apply_scenario(&mut self, path: &Path) -> Result<(), PolicyErrors> {
        let loaded = bylaw_compiler::scenario::load(&self.program, path);
        self.apply_overrides(loaded)
    }

    /// Replaces parameter values with the `set` lines of scenario text that is not in a
    /// file (`name` names it in diagnostics).
    ///
    /// # Errors
    /// [`PolicyErrors`] pointing into the text.
    pub fn apply_scenario_text(&mut self, name: &str, text: &str) -> Result<(), PolicyErrors> {
        let loaded = bylaw_compiler::scenario::load_text(&self.program, name, text);
        self.apply_overrides(loaded)
    }

    fn apply_overrides(
        &mut self,
        (overrides, diagnostics, sources): (
            Vec<bylaw_compiler::ir::Override>,
            Vec<Diagnostic>,
            SourceMap,
        ),
    ) -> Result<(), PolicyErrors> {
        if diagnostics.iter().any(Diagnostic::is_error) {
            return Err(PolicyErrors {
                diagnostics,
                sources,
            });
        }
        bylaw_compiler::scenario::apply(&mut self.program, &overrides);
        Ok(())
    }

    /// The file it was loaded from, if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The policy's name (`policy NAME …`), or `policy` when it declares none.
    pub fn name(&self) -> &str {
        self.program
            .policy
            .as_ref()
            .map_or("policy", |p| p.name.as_str())
    }

    /// The checked program.
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// The sources its diagnostics point into.
    pub fn sources(&self) -> &SourceMap {
        &self.sources
    }

    /// The SHA-256 of its source files (the policy, then the files it `use`s, each
    /// preceded by its length), as a compiled library reports it.
    pub fn source_hash(&self) -> [u8; 32] {
        bylaw_compiler::load::source_hash(&self.sources)
    }

    /// Warnings found while checking (a policy with errors does not load).
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// Whether it declares an entity, so there are records to evaluate.
    pub fn has_entities(&self) -> bool {
        !self.program.schema.entities.is_empty()
    }

    /// A backend of kind `kind` for the policy at `date`.
    ///
    /// # Errors
    /// [`BackendError`] if the backend does not compile the policy; never a silent
    /// substitute.
    pub fn backend(&self, kind: BackendKind, date: Date) -> Result<Box<dyn Backend>, BackendError> {
        Ok(match kind {
            BackendKind::Interpreter => Box::new(Interpreter::new(&self.program, date.days())),
            BackendKind::Jit => Box::new(Jit::new(&self.program, date.days())?),
            BackendKind::Aot => Box::new(Aot::new(&self.program, date.days())?),
        })
    }
}

/// A policy that did not check: every diagnostic, and the sources they point into.
#[derive(Debug)]
pub struct PolicyErrors {
    diagnostics: Vec<Diagnostic>,
    sources: SourceMap,
}

impl PolicyErrors {
    /// Every diagnostic (errors and warnings).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The sources they point into.
    pub fn sources(&self) -> &SourceMap {
        &self.sources
    }
}

impl fmt::Display for PolicyErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let errors = self.diagnostics.iter().filter(|d| d.is_error()).count();
        write!(f, "the policy has {errors} error(s)")
    }
}

impl std::error::Error for PolicyErrors {}
