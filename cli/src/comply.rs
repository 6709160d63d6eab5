//! `bylaw comply`: every obligation of a policy over one period, against a register
//! (stations and their persons) and a service log. The engine (`bylaw_engine::comply`)
//! reads, judges and writes the report files; this prints the summary.

use std::path::PathBuf;
use std::time::Instant;

use bylaw_engine::comply::{self, ComplyFormat, RegisterError};
use bylaw_engine::{EngineError, Policy};

use crate::fail;
use crate::report;
use crate::{ErrorFormat, Exit};

#[derive(Debug, clap::Args)]
pub struct ComplyArgs {
    /// The policy with the catalogues and obligations.
    pub policy: PathBuf,
    /// The period judged: a month `2023-07`, a quarter `2023-Q3` or a year `2023`.
    #[arg(long)]
    pub period: String,
    /// Stations: the register's root file (CSV, one row per station).
    #[arg(long)]
    pub stations: PathBuf,
    /// Persons: the file of the stations' `many person` relation (CSV with a
    /// `station_id` column).
    #[arg(long)]
    pub persons: Option<PathBuf>,
    /// Another relation's file, as NAME=PATH.
    #[arg(long = "relation", value_name = "NAME=PATH")]
    pub relations: Vec<String>,
    /// The service log (CSV: person, station, service, date, worker).
    #[arg(long)]
    pub log: PathBuf,
    /// Write the detail here: a directory (created) receiving the files of --format.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// What to write into --output: csv, json, html or all.
    #[arg(long, default_value = "all")]
    pub format: String,
    /// Language of reasons and the report: zh or en.
    #[arg(long, default_value = "zh")]
    pub lang: String,
    /// Print only the summary line.
    #[arg(long)]
    pub quiet: bool,
}

pub fn run(args: &ComplyArgs, format: ErrorFormat) -> Exit {
    match run_inner(args, format) {
        Ok(()) => Exit::Ok,
        Err(e) => e,
    }
}

fn run_inner(args: &ComplyArgs, format: ErrorFormat) -> Result<(), Exit> {
    let fail = |e: EngineError| fail::print(&e, format);
    let lang = comply::parse_lang(&args.lang).map_err(fail)?;
    let files = ComplyFormat::parse(&args.format).map_err(fail)?;
    let period = comply::parse_period(&args.period).map_err(fail)?;
    let started = Instant::now();
    let policy =
        Policy::load(&args.policy).map_err(|e| fail::policy(&e, Exit::PolicyErrors, format))?;
    comply::check_obligations(&policy).map_err(fail)?;
    let program = policy.program();
    let mut relations = Vec::new();
    for r in &args.relations {
        let (name, path) = r.split_once('=').ok_or_else(|| {
            fail(EngineError::input(
                "bylaw::argument::relation",
                format!("--relation `{r}` is not NAME=PATH"),
            ))
        })?;
        relations.push((name.to_string(), PathBuf::from(path)));
    }
    let persons = args.persons.as_deref();
    let batch = comply::read_register(program, &args.stations, persons, &relations).map_err(
        |e| match e {
            RegisterError::Data(errors) => {
                report::print_data_errors(&errors, format);
                if format == ErrorFormat::Human {
                    eprintln!(
                        "{} data error(s) in the register; nothing was judged",
                        errors.total()
                    );
                }
                Exit::BadInput
            }
            RegisterError::Arguments(e) => fail(e),
        },
    )?;
    let read_register_at = started.elapsed();
    let log = bylaw_runtime::servicelog::read_log(&args.log).map_err(|errors| {
        report::print_data_errors(&errors, format);
        Exit::BadInput
    })?;
    let read_log_at = started.elapsed();
    let result = comply::judge(program, &batch, &log, &args.log, &period).map_err(fail)?;
    let judged_at = started.elapsed();
    if !args.quiet {
        print!("{}", comply::summary(program, &result, lang).render());
    }
    eprintln!(
        "{} log rows ({} counted, {} with issues); register read in {:.2?}, log in {:.2?}, judged in {:.2?}",
        result.log_rows,
        result.counted_rows,
        result.issues.len(),
        read_register_at,
        read_log_at - read_register_at,
        judged_at - read_log_at
    );
    if let Some(dir) = &args.output {
        let mut inputs = vec![args.policy.as_path(), &args.stations, &args.log];
        inputs.extend(args.persons.as_deref());
        inputs.extend(relations.iter().map(|(_, p)| p.as_path()));
        comply::write_reports(program, &result, dir, files, lang, &inputs).map_err(fail)?;
        eprintln!("wrote the detail to {}", dir.display());
    }
    Ok(())
}
