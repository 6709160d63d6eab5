//! Compliance through the engine: the register and log of the bundled example judged,
//! the report files of the format asked for (and no others) written, CSV quoted by the
//! one writer, and the summary's tables.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::path::Path;

use bylaw_compiler::explain::Lang;
use bylaw_engine::Policy;
use bylaw_engine::comply::{self, ComplyFormat};
use bylaw_engine::report::Block;

#[test]
fn the_bundled_example_is_judged_and_written_as_asked() {
    let policy = Policy::load(Path::new("../examples/comply/demo.bylaw")).unwrap();
    comply::check_obligations(&policy).unwrap();
    let program = policy.program();
    let dir = Path::new("../examples/comply");
    let batch = comply::read_register(
        program,
        &dir.join("stations.csv"),
        Some(&dir.join("persons.csv")),
        &[],
    )
    .unwrap();
    let log_path = dir.join("log.csv");
    let log = bylaw_runtime::servicelog::read_log(&log_path).unwrap();
    let period = comply::parse_period("2023-07").unwrap();
    let report = comply::judge(program, &batch, &log, &log_path, &period).unwrap();
    assert_eq!(report.log_rows, 5000);

    let out = tempfile::tempdir().unwrap();
    comply::write_reports(
        program,
        &report,
        out.path(),
        ComplyFormat::Csv,
        Lang::En,
        &[],
    )
    .unwrap();
    let mut files: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, ["coverage.csv", "detail.csv", "issues.csv"]);
    // Every issue is one record, however its message is punctuated.
    let issues = std::fs::read(out.path().join("issues.csv")).unwrap();
    let records = csv::Reader::from_reader(issues.as_slice())
        .records()
        .count();
    assert_eq!(records, report.issues.len());
    let coverage = std::fs::read_to_string(out.path().join("coverage.csv")).unwrap();
    assert!(coverage.starts_with("obligation,label,level,name,in_scope,"));

    let summary = comply::summary(program, &report, Lang::En);
    // The title, then the obligations' table: a row per obligation.
    assert!(matches!(summary.blocks.first(), Some(Block::Line(_))));
    let first = summary
        .blocks
        .iter()
        .find_map(|b| match b {
            Block::Table(t) => Some(t),
            Block::Line(_) => None,
        })
        .expect("a table");
    assert_eq!(first.rows.len(), report.obligations.len());
}
