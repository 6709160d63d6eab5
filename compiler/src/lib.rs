//! The Bylaw compiler: policy files to a checked program, and the interpreter that
//! evaluates it.
//!
//! ```no_run
//! let compiled = bylaw_compiler::compile_file(std::path::Path::new("policies/guangdong/nansha_nonlocal_dibao.bylaw"));
//! let program = compiled.program.expect("the policy checks");
//! let date = bylaw_runtime::date::parse_date("2023-08-01").expect("a date");
//! let evaluator = bylaw_compiler::interp::Evaluator::new(&program, date);
//! # let _ = evaluator;
//! ```

#![forbid(unsafe_code)]

pub mod budget;
pub mod check;
pub mod comply;
pub mod diagnostics;
pub mod duration;
pub mod exact;
pub mod explain;
pub mod failure;
pub mod format;
pub mod interp;
pub mod ir;
mod listing;
pub mod load;
pub mod scenario;
pub mod testing;
pub mod types;
pub mod years;

use std::path::Path;

use bylaw_grammar::SourceMap;

pub use diagnostics::Diagnostic;
pub use ir::Program;

/// The result of compiling one policy: the program if it checked, every diagnostic, and
/// the sources they point into.
#[derive(Debug)]
pub struct Compiled {
    pub program: Option<Program>,
    pub diagnostics: Vec<Diagnostic>,
    pub sources: SourceMap,
}

impl Compiled {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Compiles the policy in `path` together with the files it `use`s.
pub fn compile_file(path: &Path) -> Compiled {
    let mut diagnostics = Vec::new();
    let loaded = load::load(path, &mut diagnostics);
    finish(loaded, diagnostics)
}

/// Compiles policy text that is not in a file (editors, tests).
pub fn compile_text(name: &str, text: &str) -> Compiled {
    let mut diagnostics = Vec::new();
    let loaded = load::load_text(name, text, &mut diagnostics);
    finish(loaded, diagnostics)
}

fn finish(loaded: load::Loaded, mut diagnostics: Vec<Diagnostic>) -> Compiled {
    let parse_failed = diagnostics.iter().any(Diagnostic::is_error);
    let program = if loaded.root.is_some() {
        let (program, more) = check::check(&loaded);
        diagnostics.extend(more);
        if parse_failed { None } else { program }
    } else {
        None
    };
    Compiled {
        program,
        diagnostics,
        sources: loaded.sources,
    }
}

/// Formats a literal for messages.
pub(crate) fn print_literal(lit: &bylaw_grammar::ast::LitKind) -> String {
    bylaw_grammar::print_literal(lit)
}
