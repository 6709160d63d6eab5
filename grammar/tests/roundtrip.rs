//! Every bundled policy parses, and formatting it is idempotent and keeps its meaning.

#![allow(clippy::unwrap_used, clippy::panic, reason = "tests")]

use std::path::{Path, PathBuf};

fn bylaw_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            bylaw_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "bylaw") {
            out.push(path);
        }
    }
}

#[test]
fn bundled_policies_round_trip_through_fmt() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies");
    let mut files = Vec::new();
    bylaw_files(&root, &mut files);
    assert!(
        files.len() >= 5,
        "expected the bundled policies, found {files:?}"
    );
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let module = bylaw_grammar::parse(&text).unwrap_or_else(|e| {
            panic!(
                "{}: {e} at {:?} ({:?})",
                path.display(),
                e.span,
                text.get(e.span.range())
            )
        });
        let formatted = bylaw_grammar::format(&module, &text);
        let reparsed = bylaw_grammar::parse(&formatted)
            .unwrap_or_else(|e| panic!("{} formatted: {e}\n{formatted}", path.display()));
        assert_eq!(module, reparsed, "{}", path.display());
        assert_eq!(
            formatted,
            bylaw_grammar::format(&reparsed, &formatted),
            "fmt is not idempotent on {}",
            path.display()
        );
        let comments_before = text
            .lines()
            .filter(|l| l.trim_start().starts_with('#'))
            .count();
        let comments_after = formatted
            .lines()
            .filter(|l| l.trim_start().starts_with('#'))
            .count();
        assert!(
            comments_after >= comments_before,
            "{} lost comments",
            path.display()
        );
    }
}

/// Ages read as Chinese writes them: `80 周岁` and `80 岁` are one unit, which `fmt` writes
/// as `周岁`; `80 年` and `80 years` stay years.
#[test]
fn ages_are_written_in_zhousui_or_sui() {
    use bylaw_grammar::ast::Unit;
    let unit_of = |literal: &str| {
        let text = format!("let a = {literal}\n");
        let formatted = bylaw_grammar::format(&bylaw_grammar::parse(&text).unwrap(), &text);
        let unit = [Unit::Age, Unit::Years]
            .into_iter()
            .find(|u| formatted.contains(&format!("80 {}", u.as_str())));
        (unit, formatted)
    };
    assert_eq!(unit_of("80 周岁").0, Some(Unit::Age));
    assert_eq!(unit_of("80 岁").0, Some(Unit::Age));
    assert_eq!(unit_of("80 年").0, Some(Unit::Years));
    assert_eq!(unit_of("80 years").0, Some(Unit::Years));
    assert!(unit_of("80 岁").1.contains("80 周岁"));
}
