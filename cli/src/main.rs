//! `bylaw`: check, format, test and evaluate Bylaw policies. A thin shell over the
//! compiler and runtime crates: each subcommand lives in its own module.

mod bench;
mod budget;
mod build;
mod check;
mod comply;
mod data;
mod diff;
mod eval;
mod explain;
mod fail;
mod fmt;
mod period;
mod report;
mod serve;
mod synth_log;
mod test;
mod why;

use std::path::PathBuf;
use std::process::ExitCode;

use bylaw_bench::synth;
use clap::{Parser, Subcommand, ValueEnum};

/// Bylaw: policy rules for social assistance, checked, tested and evaluated exactly.
#[derive(Debug, Parser)]
#[command(
    name = "bylaw",
    version,
    about = "Bylaw: social-assistance policy rules, checked, tested, explained and evaluated with exact money",
    long_about = None,
    after_help = EXIT_CODES
)]
struct Cli {
    /// How diagnostics are printed.
    #[arg(long, global = true, value_enum, default_value_t = ErrorFormat::Human)]
    error_format: ErrorFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ErrorFormat {
    /// Source excerpts with underlines (colour when the terminal supports it).
    Human,
    /// One JSON object per line.
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check policy files and report every problem at once.
    Check {
        /// Policy files (each is compiled with the files it `use`s).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Also report parameters with no value in force on this date (YYYY-MM-DD or YYYY-MM).
        #[arg(long)]
        date: Option<String>,
    },
    /// Format policy files in canonical form (in place, or check with --check).
    Fmt {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Do not write; fail if a file is not formatted.
        #[arg(long)]
        check: bool,
    },
    /// Run the `test` blocks of policies (files or directories, default `policies`).
    Test { paths: Vec<PathBuf> },
    /// Evaluate every household of a data file.
    Eval(eval::EvalArgs),
    /// Explain a policy in plain words (zh or en; text, md or html).
    Explain(explain::ExplainArgs),
    /// Time every engine on one data set: interpreter, native code, hand-written loop.
    Bench(bench::BenchArgs),
    /// Explain one household's decision, and what would change it.
    Why(why::WhyArgs),
    /// Check obligations (service standards, station standards) over a period against a
    /// register of stations and persons and a service log.
    Comply(comply::ComplyArgs),
    /// Compile a policy for one date to a native object or library with a C header.
    Build(build::BuildArgs),
    /// Fund rules over a region-year table: channels, caps, coverage and shortfall by year.
    Budget(budget::BudgetArgs),
    /// Serve every policy under a directory over HTTP (JSON; see GET /openapi.json).
    Serve(serve::ServeArgs),
    /// A reform's impact: two versions of a policy (or a policy and a scenario) over the same households.
    Diff(diff::DiffArgs),
    /// Write a deterministic synthetic population in the bundled dibao policies' schema.
    Synth {
        /// Number of households.
        #[arg(long, default_value_t = 10_000)]
        households: usize,
        /// Random seed: the same seed gives the same files.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Directory for households.csv and members.csv (or .parquet).
        #[arg(short, long, default_value = "synthetic")]
        output: PathBuf,
        /// Instead of households: a register (stations.csv, persons.csv) and a service
        /// log (log.csv) for this service policy.
        #[arg(long, value_name = "POLICY")]
        comply: Option<PathBuf>,
        /// With --comply: number of persons (100 per station).
        #[arg(long, default_value_t = 1_000)]
        persons: usize,
        /// With --comply: number of service-log rows.
        #[arg(long, default_value_t = 10_000)]
        log_rows: usize,
        /// With --comply: the period the log's days fall in.
        #[arg(long, default_value = "2023-07")]
        period: String,
        /// File format: csv or parquet.
        #[arg(long, value_enum, default_value_t = SynthFormatArg::Csv)]
        format: SynthFormatArg,
    },
    /// Explain a diagnostic code (E0003), or list every code.
    ExplainCode { code: Option<String> },
}

/// The file format `bylaw synth` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum SynthFormatArg {
    Csv,
    Parquet,
}

impl From<SynthFormatArg> for synth::SynthFormat {
    fn from(f: SynthFormatArg) -> Self {
        match f {
            SynthFormatArg::Csv => synth::SynthFormat::Csv,
            SynthFormatArg::Parquet => synth::SynthFormat::Parquet,
        }
    }
}

/// Exit codes: one table for every command, in the README and `bylaw --help`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Everything checked, passed or was evaluated (households that fail are results).
    Ok = 0,
    /// A policy (or a file it uses) has errors or cannot be read; a test failed; a file
    /// is not formatted (`fmt --check`); a policy native code cannot compile (`build`).
    PolicyErrors = 1,
    /// Bad input: a data, scenario or register file (missing, unreadable or malformed),
    /// arguments, dates.
    BadInput = 2,
    /// An output could not be written.
    Io = 3,
}

/// The exit-code table `bylaw --help` prints.
const EXIT_CODES: &str = "Exit codes (every command):
  0  success (households that fail are results, reported in the output)
  1  a policy or a file it uses has errors or cannot be read; a test failed; a file is
     not formatted (fmt --check); native code cannot compile the policy (build)
  2  bad input: a data, scenario or register file (missing, unreadable or malformed),
     arguments, dates
  3  an output could not be written
  130, 143, 129  stopped by Ctrl-C, SIGTERM or SIGHUP: outputs not yet complete are
     abandoned (their temporary files removed), earlier files at their paths left as
     they were";

/// A panic inside a data decoder of another crate (a damaged Parquet page) is caught
/// and reported as a data error naming the file: its raw panic message is not shown.
/// Every other panic is printed as usual.
fn quiet_about_caught_decoder_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !bylaw_runtime::input::decoding_foreign_data() {
            default(info);
        }
    }));
}

/// On Ctrl-C, SIGTERM or SIGHUP: remove this run's temporary files (a half-written
/// output can be hundreds of megabytes), then exit with 128 + the signal's number. The
/// signal is handled on a thread of its own, where removing files is safe.
fn stop_cleanly_on_signals() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        return;
    };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            bylaw_runtime::output::temporaries::remove_all();
            std::process::exit(128 + signal);
        }
    });
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

fn main() -> ExitCode {
    quiet_about_caught_decoder_panics();
    let cli = Cli::parse();
    // The server drains its requests on a signal itself; every other command stops at once.
    if !matches!(cli.command, Command::Serve(_)) {
        stop_cleanly_on_signals();
    }
    let format = cli.error_format;
    let exit = match cli.command {
        Command::Check { files, date } => check::run(&files, date.as_deref(), format),
        Command::Fmt { files, check } => fmt::run(&files, check, format),
        Command::Test { paths } => test::run(&paths, format),
        Command::Eval(args) => eval::run(&args, format),
        Command::Explain(args) => explain::run(&args, format),
        Command::Bench(args) => bench::run(&args, format),
        Command::Why(args) => why::run(&args, format),
        Command::Serve(args) => serve::run(&args, format),
        Command::Comply(args) => comply::run(&args, format),
        Command::Synth {
            comply: Some(policy),
            seed,
            output,
            persons,
            log_rows,
            period,
            ..
        } => synth_comply(&policy, seed, &output, persons, log_rows, &period, format),
        Command::Build(args) => build::run(&args, format),
        Command::Budget(args) => budget::run(&args, format),
        Command::Diff(args) => diff::run(&args, format),
        Command::Synth {
            households,
            seed,
            output,
            format: file_format,
            ..
        } => {
            let config = synth::SynthConfig { households, seed };
            match synth::write_population_as(&config, file_format.into(), &output) {
                Ok(s) => {
                    eprintln!(
                        "wrote {} households and {} members to {}",
                        s.households,
                        s.members,
                        output.display()
                    );
                    Exit::Ok
                }
                Err(e) => {
                    crate::report::error(
                        format,
                        "io",
                        format!("cannot write to `{}`: {e}", output.display()),
                    );
                    Exit::Io
                }
            }
        }
        Command::ExplainCode { code } => explain_code(code.as_deref(), format),
    };
    exit.into()
}

fn synth_comply(
    policy: &std::path::Path,
    seed: u64,
    output: &std::path::Path,
    persons: usize,
    log_rows: usize,
    period: &str,
    format: ErrorFormat,
) -> Exit {
    let period = match bylaw_runtime::period::Period::parse(period) {
        Ok(p) => p,
        Err(e) => {
            crate::report::error(format, "argument", format!("--period: {e}"));
            return Exit::BadInput;
        }
    };
    let compiled = bylaw_compiler::compile_file(policy);
    if compiled.has_errors() {
        report::print(&compiled.diagnostics, &compiled.sources, format);
        return Exit::PolicyErrors;
    }
    let Some(program) = compiled.program else {
        return Exit::PolicyErrors;
    };
    let config = synth_log::LogConfig {
        persons,
        log_rows,
        seed,
        period,
    };
    match synth_log::write_comply(&program, &config, output) {
        Ok(s) => {
            eprintln!(
                "wrote {} stations, {} persons and {} log rows (synthetic) to {}",
                s.stations,
                s.persons,
                s.log_rows,
                output.display()
            );
            Exit::Ok
        }
        Err(e) => {
            crate::report::error(format, "argument", &e);
            Exit::BadInput
        }
    }
}

fn explain_code(code: Option<&str>, format: ErrorFormat) -> Exit {
    use bylaw_compiler::diagnostics::codes;
    match code {
        None => {
            for d in codes::ALL {
                println!("{}  {}", d.code.0, d.title);
            }
            Exit::Ok
        }
        Some(c) => match codes::lookup(c) {
            Some(d) => {
                println!("{}: {}\n\n{}", d.code.0, d.title, d.explanation);
                Exit::Ok
            }
            None => {
                crate::report::error(
                    format,
                    "argument",
                    format!(
                        "`{c}` is not a Bylaw diagnostic code\n  help: `bylaw explain-code` lists them"
                    ),
                );
                Exit::BadInput
            }
        },
    }
}

/// Parses `YYYY-MM-DD`, or a period `YYYY-MM` / `YYYY` meaning its first day, into days
/// since 1970-01-01; the error carries its hint (`message\n  help: hint`).
pub fn parse_eval_date(text: &str) -> Result<i32, String> {
    bylaw_engine::Date::parse(text)
        .map(bylaw_engine::Date::days)
        .map_err(|e| format!("{e}\n  help: {}", e.hint()))
}
