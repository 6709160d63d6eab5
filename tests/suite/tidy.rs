//! House rules checked by a test, not by reviewers: every Rust module opens with a `//!`
//! header saying what it is for, no test is skipped or expected to panic, and every
//! bundled policy and conformance case file is in canonical `bylaw fmt` form.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if path.is_dir() {
            if name != "target" && !name.starts_with('.') && name != "snapshots" {
                rust_files(&path, out);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

fn workspace_sources() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for krate in [
        "grammar",
        "compiler",
        "runtime-core",
        "runtime",
        "runtime-c",
        "codegen",
        "bench",
        "server",
        "cli",
        "tests",
        "examples/embed-rust",
    ] {
        rust_files(&Path::new("..").join(krate), &mut files);
    }
    files.sort();
    files
}

#[test]
fn every_module_has_a_header() {
    let missing: Vec<String> = workspace_sources()
        .into_iter()
        .filter(|p| !std::fs::read_to_string(p).unwrap().starts_with("//!"))
        .map(|p| p.display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "modules without a `//!` header: {missing:?}"
    );
}

#[test]
fn no_test_is_skipped_or_expected_to_panic() {
    let banned = [concat!("#[", "ignore"), concat!("#[", "should_panic")];
    for file in workspace_sources() {
        let text = std::fs::read_to_string(&file).unwrap();
        for b in banned {
            assert!(!text.contains(b), "{} contains {b}", file.display());
        }
    }
}

#[test]
fn bundled_policies_are_formatted() {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "bylaw") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(Path::new("../policies"), &mut files);
    walk(Path::new("../examples"), &mut files);
    walk(Path::new("../tests/conformance"), &mut files);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let module = bylaw_grammar::parse(&text).unwrap();
        assert_eq!(
            bylaw_grammar::format(&module, &text),
            text,
            "{} is not in `bylaw fmt` form",
            file.display()
        );
    }
}
