//! Shared helpers for the cross-crate suite in `suite/`: finding fixture files and
//! rendering diagnostics the way snapshots store them (no colour, fixed width); and
//! the checks the fuzz targets in `fuzz/` run ([`fuzz`]), which the suite replays.

use std::path::{Path, PathBuf};

use bylaw_compiler::Compiled;

pub mod fuzz;

/// The `.bylaw` (or other) files directly in `dir`, sorted.
pub fn files_in(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == extension))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Every diagnostic of a compilation, rendered for a snapshot.
pub fn render_all(compiled: &Compiled) -> String {
    compiled
        .diagnostics
        .iter()
        .map(|d| bylaw_compiler::diagnostics::render_human(d, &compiled.sources, false, 90))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The codes listed on a fixture's first line: `# expect: E0003 E0002`.
pub fn expected_codes(text: &str) -> Vec<String> {
    text.lines()
        .next()
        .and_then(|l| l.strip_prefix("# expect:"))
        .map(|rest| rest.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default()
}
