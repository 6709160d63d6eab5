//! Compliance (what `bylaw comply` computes and writes): a register of stations and
//! persons read against a service policy, its obligations judged over a period from a
//! service log, and the result as a terminal summary ([`summary`]) and as a set of
//! report files ([`write_reports`]): `detail.csv`, `coverage.csv`, `issues.csv`,
//! `report.json` and a self-contained `report.html`.

mod files;
mod page;
mod summary;

use std::path::{Path, PathBuf};

use bylaw_compiler::comply::run::Report;
use bylaw_compiler::explain::Lang;
use bylaw_compiler::ir::Program;
use bylaw_runtime::batch::Batch;
use bylaw_runtime::input::DataErrors;
use bylaw_runtime::output::OutputSet;
use bylaw_runtime::period::Period;
use bylaw_runtime::servicelog::ServiceLog;

use crate::{EngineError, Policy};

pub use summary::summary;

/// Which report files to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComplyFormat {
    /// `detail.csv`, `coverage.csv` and `issues.csv`.
    Csv,
    /// `report.json`.
    Json,
    /// `report.html`.
    Html,
    /// Every file.
    All,
}

impl ComplyFormat {
    /// `csv`, `json`, `html` or `all`.
    ///
    /// ```
    /// use bylaw_engine::comply::ComplyFormat;
    /// assert_eq!(ComplyFormat::parse("all").unwrap(), ComplyFormat::All);
    /// assert_eq!(ComplyFormat::parse("pdf").unwrap_err().code(), "bylaw::comply::format");
    /// ```
    ///
    /// # Errors
    /// Any other word.
    pub fn parse(text: &str) -> Result<ComplyFormat, EngineError> {
        match text {
            "csv" => Ok(ComplyFormat::Csv),
            "json" => Ok(ComplyFormat::Json),
            "html" => Ok(ComplyFormat::Html),
            "all" => Ok(ComplyFormat::All),
            _ => Err(EngineError::input(
                "bylaw::comply::format",
                format!("--format `{text}` is not an output format"),
            )
            .with_hint("use csv, json, html or all")),
        }
    }

    fn has(self, other: ComplyFormat) -> bool {
        self == other || self == ComplyFormat::All
    }
}

/// The language of reasons and reports, `zh` or `en`.
///
/// # Errors
/// Any other word.
pub fn parse_lang(text: &str) -> Result<Lang, EngineError> {
    Lang::parse(text).ok_or_else(|| {
        EngineError::input(
            "bylaw::comply::lang",
            format!("--lang `{text}` is not a language"),
        )
        .with_hint("use `zh` or `en`")
    })
}

/// The period judged: a month `2023-07`, a quarter `2023-Q3` or a year `2023`.
///
/// # Errors
/// Text that is no period.
pub fn parse_period(text: &str) -> Result<Period, EngineError> {
    Period::parse(text)
        .map_err(|e| EngineError::input("bylaw::comply::period", format!("--period: {e}")))
}

/// Why a register could not be read.
#[derive(Debug)]
pub enum RegisterError {
    /// The files' data do not fit the policy's schema.
    Data(DataErrors),
    /// The arguments do not fit the policy.
    Arguments(EngineError),
}

/// Reads a register: `stations` (the root file), `persons` (the file of the relation
/// to the `person` entity, else the first relation), `relations` (other relations'
/// files by name), and any other relation's `NAME.csv` beside the stations file.
///
/// # Errors
/// [`RegisterError`]: a relation that does not exist, or data errors.
pub fn read_register(
    program: &Program,
    stations: &Path,
    persons: Option<&Path>,
    relations: &[(String, PathBuf)],
) -> Result<Batch, RegisterError> {
    let schema = &program.schema;
    let mut children: Vec<(String, PathBuf)> = relations.to_vec();
    if let Some(p) = persons {
        let relation = schema.root_entity().and_then(|root| {
            root.relations
                .iter()
                .find(|r| schema.entity(r.child).is_some_and(|c| c.name == "person"))
                .or_else(|| root.relations.first())
                .map(|r| r.name.clone())
        });
        let Some(relation) = relation else {
            let root = schema.root_entity().map_or("", |e| e.name.as_str());
            return Err(RegisterError::Arguments(
                EngineError::input(
                    "bylaw::comply::no_relation",
                    format!("--persons was given, but the root entity `{root}` has no relation to put them in"),
                )
                .with_hint("declare `persons: many person` in the station entity"),
            ));
        };
        children.push((relation, p.to_path_buf()));
    }
    let dir = stations.parent().unwrap_or(Path::new(""));
    for e in &schema.entities {
        for rel in &e.relations {
            if children.iter().any(|(n, _)| *n == rel.name) {
                continue;
            }
            let guess = dir.join(format!("{}.csv", rel.name));
            if guess.exists() {
                children.push((rel.name.clone(), guess));
            }
        }
    }
    bylaw_runtime::input::read_csv(schema, stations, &children).map_err(RegisterError::Data)
}

/// Whether `policy` declares an obligation, so there is something to check.
///
/// # Errors
/// Names the policy and one that has obligations.
pub fn check_obligations(policy: &Policy) -> Result<(), EngineError> {
    if !policy.program().comply.obligations.is_empty() {
        return Ok(());
    }
    let path = policy
        .path()
        .map_or_else(|| policy.name().to_string(), |p| p.display().to_string());
    Err(EngineError::input(
        "bylaw::comply::no_obligation",
        format!("`{path}` declares no obligation, so there is nothing to check"),
    )
    .with_hint("use a policy with `obligation … for every person …` (e.g. policies/sichuan/chengdu_services.bylaw)"))
}

/// Judges every obligation of `program` over `period` from the register `batch` and
/// the service `log` (read from `log_path`).
///
/// # Errors
/// A log that lacks what the obligations need (a column, for example).
pub fn judge(
    program: &Program,
    batch: &Batch,
    log: &ServiceLog,
    log_path: &Path,
    period: &Period,
) -> Result<Report, EngineError> {
    bylaw_compiler::comply::run::run(program, batch, log, period).map_err(|e| {
        EngineError::input(
            "bylaw::comply::log",
            format!("{}\n  --> {}", e.message, log_path.display()),
        )
        .with_hint(e.help)
    })
}

/// Writes the report files of `format` into `dir` as one set: written beside it and
/// swapped in whole, so that a reader sees the previous complete set or the new one.
/// `dir` may be new, empty or hold an earlier report only ([`REPORT_FILES`]); it may not
/// hold any of the run's `inputs`.
///
/// ```
/// use bylaw_engine::{Policy, comply};
/// use std::path::Path;
///
/// let policy = Policy::load(Path::new("../examples/comply/demo.bylaw"))?;
/// let (program, dir) = (policy.program(), Path::new("../examples/comply"));
/// let register = comply::read_register(
///     program, &dir.join("stations.csv"), Some(&dir.join("persons.csv")), &[],
/// ).map_err(|e| format!("{e:?}"))?;
/// let log = bylaw_runtime::servicelog::read_log(&dir.join("log.csv"))?;
/// let period = comply::parse_period("2023-07")?;
/// let report = comply::judge(program, &register, &log, &dir.join("log.csv"), &period)?;
/// let out = tempfile::tempdir()?;
/// comply::write_reports(program, &report, out.path(), comply::ComplyFormat::Json, comply::parse_lang("en")?, &[])?;
/// assert!(out.path().join("report.json").exists());
/// assert!(!out.path().join("detail.csv").exists());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// A file or the directory that cannot be written.
pub fn write_reports(
    program: &Program,
    report: &Report,
    dir: &Path,
    format: ComplyFormat,
    lang: Lang,
    inputs: &[&Path],
) -> Result<(), EngineError> {
    if let Some(input) = inputs.iter().find(|p| inside(p, dir)) {
        return Err(EngineError::input(
            "bylaw::output::is_input",
            format!(
                "the output directory `{}` holds `{}`, an input of this run",
                dir.display(),
                input.display()
            ),
        )
        .with_hint(
            "the reports replace the directory's contents: write them to a directory of their own",
        ));
    }
    let set = OutputSet::create(dir, &REPORT_FILES).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => {
            EngineError::input("bylaw::output::occupied", e.to_string()).with_hint(format!(
                "give a new or empty directory, or one holding only an earlier report ({})",
                REPORT_FILES.join(", ")
            ))
        }
        _ => EngineError::write(dir, &e),
    })?;
    let write = |name: &str, f: &dyn Fn(&mut dyn std::io::Write) -> std::io::Result<()>| {
        set.write(name, |w| f(w))
            .map_err(|e| EngineError::write(&dir.join(name), &e))
    };
    if format.has(ComplyFormat::Csv) {
        write("detail.csv", &|w| {
            files::detail_csv(program, report, lang, w)
        })?;
        write("coverage.csv", &|w| {
            files::coverage_csv(program, report, lang, w)
        })?;
        write("issues.csv", &|w| files::issues_csv(report, w))?;
    }
    if format.has(ComplyFormat::Json) {
        write("report.json", &|w| {
            serde_json::to_writer(&mut *w, &files::json(program, report, lang))
                .map_err(std::io::Error::other)?;
            w.write_all(b"\n")
        })?;
    }
    if format.has(ComplyFormat::Html) {
        write("report.html", &|w| {
            w.write_all(page::html(program, report, lang).as_bytes())
        })?;
    }
    set.commit().map_err(|e| EngineError::write(dir, &e))
}

/// Every file a report set may hold.
pub const REPORT_FILES: [&str; 5] = [
    "detail.csv",
    "coverage.csv",
    "issues.csv",
    "report.json",
    "report.html",
];

/// Whether file `path` lies in directory `dir` (through any link).
fn inside(path: &Path, dir: &Path) -> bool {
    let parent = std::fs::canonicalize(path)
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf));
    match (parent, std::fs::canonicalize(dir)) {
        (Some(p), Ok(d)) => p == d,
        _ => false,
    }
}
