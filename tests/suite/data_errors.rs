//! Malformed input data: each directory in `tests/data-errors/` holds a households file
//! (`households.csv` with an optional `members.csv`, or `households.json`) for the bundled
//! Nansha dibao policy, and `expect.txt` naming the first error:
//! `CODE row=N column=NAME` (row and column optional). Every error is snapshotted, and
//! the streaming reader must refuse every CSV case (so that `bylaw eval` falls back to
//! the whole-file reader, which reports it).

use std::path::{Path, PathBuf};

fn policy() -> bylaw_compiler::Program {
    let compiled = bylaw_compiler::compile_file(Path::new(
        "../policies/guangdong/nansha_nonlocal_dibao.bylaw",
    ));
    compiled.program.expect("the bundled policy checks")
}

fn cases() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("data-errors")
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// Reads every batch of a CSV input with the streaming reader (batches of 2).
fn streams_whole(
    program: &bylaw_compiler::Program,
    root: &Path,
    children: &[(String, PathBuf)],
) -> Result<usize, bylaw_runtime::input::Fallback> {
    use bylaw_runtime::input::{BatchStream, DataFormat};
    let mut stream = BatchStream::open(&program.schema, DataFormat::Csv, root, children, 2)?;
    let mut n = 0;
    while let Some(raw) = stream.next_batch()? {
        n += raw.decode(&program.schema)?.root_len();
    }
    Ok(n)
}

#[test]
fn malformed_data_gets_located_diagnostics() {
    let program = policy();
    let cases = cases();
    assert!(
        cases.len() >= 10,
        "expected at least 10 data-error cases, found {}",
        cases.len()
    );
    for dir in cases {
        let expect = std::fs::read_to_string(dir.join("expect.txt")).unwrap();
        let mut words = expect.split_whitespace();
        let code = words.next().unwrap().to_string();
        let mut row = None;
        let mut column = None;
        for w in words {
            if let Some(r) = w.strip_prefix("row=") {
                row = Some(r.parse::<u32>().unwrap());
            } else if let Some(c) = w.strip_prefix("column=") {
                column = Some(c.to_string());
            }
        }
        let json = dir.join("households.json");
        let result = if json.exists() {
            bylaw_runtime::input::read_json(&program.schema, &json)
        } else {
            let members = dir.join("members.csv");
            let children = if members.exists() {
                vec![("members".to_string(), members)]
            } else {
                vec![]
            };
            assert!(
                streams_whole(&program, &dir.join("households.csv"), &children).is_err(),
                "{}: the streaming reader accepted malformed data",
                dir.display()
            );
            bylaw_runtime::input::read_csv(&program.schema, &dir.join("households.csv"), &children)
        };
        let errors = match result {
            Ok(_) => panic!("{}: the malformed data was accepted", dir.display()),
            Err(e) => e,
        };
        let first = errors.errors.first().unwrap();
        assert_eq!(first.code(), code, "{}: {first}", dir.display());
        if row.is_some() {
            assert_eq!(first.row, row, "{}: {first}", dir.display());
        }
        if column.is_some() {
            assert_eq!(first.column, column, "{}: {first}", dir.display());
        }
        assert!(
            first.help.is_some(),
            "{}: `{first}` has no hint",
            dir.display()
        );
        let rendered: Vec<String> = errors
            .errors
            .iter()
            .map(|e| {
                format!(
                    "{}: {e}\n  help: {}",
                    e.code(),
                    e.help.clone().unwrap_or_default()
                )
            })
            .collect();
        let name = format!("data__{}", dir.file_name().unwrap().to_string_lossy());
        insta::assert_snapshot!(name, rendered.join("\n").replace('\\', "/"));
    }
}
