//! Wrong programs: every file in `tests/diagnostics/` names the codes it must produce on
//! its first line (`# expect: E0003`), and its rendered diagnostics (with the underlined
//! span) are snapshotted. Adding a case means dropping a file.

use std::path::Path;

use bylaw_tests::{expected_codes, files_in, render_all};

#[test]
fn wrong_programs_give_their_registered_codes_and_spans() {
    let dir = Path::new("diagnostics");
    let files = files_in(dir, "bylaw");
    assert!(
        files.len() >= 20,
        "expected at least 20 diagnostic fixtures, found {}",
        files.len()
    );
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let expected = expected_codes(&text);
        assert!(
            !expected.is_empty(),
            "{}: first line must be `# expect: CODE…`",
            file.display()
        );
        let compiled = bylaw_compiler::compile_file(&file);
        let mut codes: Vec<String> = compiled
            .diagnostics
            .iter()
            .map(|d| d.code.0.to_string())
            .collect();
        codes.dedup();
        assert_eq!(
            codes,
            expected,
            "{}: codes differ\n{}",
            file.display(),
            render_all(&compiled)
        );
        for d in &compiled.diagnostics {
            let label = d
                .primary
                .as_ref()
                .unwrap_or_else(|| panic!("{}: `{}` has no location", file.display(), d.message));
            assert!(
                label.span.end as usize <= text.len(),
                "{}: span past the end",
                file.display()
            );
        }
        let name = file.file_stem().unwrap().to_string_lossy().to_string();
        insta::assert_snapshot!(name, render_all(&compiled));
    }
}

#[test]
fn every_live_code_has_a_fixture() {
    let mut covered = std::collections::BTreeSet::new();
    for file in files_in(Path::new("diagnostics"), "bylaw") {
        let text = std::fs::read_to_string(&file).unwrap();
        covered.extend(expected_codes(&text));
    }
    // Codes that only arise outside a single policy file are exercised elsewhere:
    // E0016 by `check --date` (CLI tests), E0029 by failing tests (interpreter tests).
    let elsewhere = ["E0016", "E0029"];
    for doc in bylaw_compiler::diagnostics::codes::ALL {
        if doc.retired || elsewhere.contains(&doc.code.0) {
            continue;
        }
        assert!(
            covered.contains(doc.code.0),
            "no fixture in tests/diagnostics produces {}",
            doc.code.0
        );
    }
}

#[test]
fn codes_are_unique_and_documented() {
    let mut seen = std::collections::BTreeSet::new();
    for doc in bylaw_compiler::diagnostics::codes::ALL {
        assert!(seen.insert(doc.code.0), "{} registered twice", doc.code.0);
        assert!(
            !doc.title.is_empty() && doc.explanation.len() > 40,
            "{} needs docs",
            doc.code.0
        );
    }
}
