//! `bylaw eval`: evaluate every household of a CSV, Parquet or JSON file with the
//! engine's [`Run`], and print a summary a person can read: the totals, how the input
//! was read, and which backend evaluated (and why another stood in, if one did).

use std::io::IsTerminal;
use std::path::PathBuf;

use bylaw_compiler::ir::DefKind;
use bylaw_compiler::types::Ty;
use bylaw_engine::{
    BackendKind, OutputFormat, Policy, Progress, Run, RunError, RunOptions, RunReport,
};

use crate::report::print_error;
use crate::{ErrorFormat, Exit};

#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// The policy file.
    pub policy: PathBuf,
    #[command(flatten)]
    pub input: crate::data::DataArgs,
    /// Evaluation date (YYYY-MM-DD), or a period (YYYY-MM, YYYY) meaning its first day.
    #[arg(long, required_unless_present = "period", conflicts_with = "period")]
    pub date: Option<String>,
    /// Evaluate every month of a period (2025, 2025-Q3, 2025-07) on its first day and
    /// combine the months: monthly amounts summed, rules counted in months held, other
    /// outputs as in the last month.
    #[arg(long)]
    pub period: Option<String>,
    /// A scenario file whose `set` lines replace parameter values.
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    /// Output file (.csv, .json or .parquet); CSV on standard output when absent.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Worker threads (default: all cores; at most 1024).
    #[arg(long)]
    pub threads: Option<usize>,
    /// No summary, no progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Add a `reason` column: why the main decision (the rule `eligible`, else the last
    /// rule) came out as it did, with the values that decided it.
    #[arg(long)]
    pub explain: bool,
    /// Language of the `reason` column: zh or en.
    #[arg(long, default_value = "zh")]
    pub lang: String,
    /// Evaluation engine: native code compiled for this run (jit), or the interpreter
    /// (interp). Both give the same values and the same errors.
    #[arg(long, value_enum, default_value_t = Engine::Jit)]
    pub engine: Engine,
}

/// Which backend evaluates the households.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Engine {
    /// Native code (Cranelift), compiled once per run.
    Jit,
    /// The reference interpreter.
    Interp,
}

/// A progress bar on a terminal, nothing otherwise.
struct Bar(indicatif::ProgressBar);

impl Progress for Bar {
    fn total(&self, households: u64) {
        self.0.set_length(households);
    }
    fn advance(&self, households: u64) {
        self.0.inc(households);
    }
    fn restart(&self) {
        self.0.reset();
    }
}

pub fn run(args: &EvalArgs, format: ErrorFormat) -> Exit {
    if let Some(period) = &args.period {
        return crate::period::run(args, period, format);
    }
    let date_text = args.date.as_deref().unwrap_or_default();
    let (policy, date) =
        match crate::data::load(&args.policy, date_text, args.scenario.as_deref(), format) {
            Ok(p) => p,
            Err(exit) => return exit,
        };
    let input = match crate::data::data_files(&policy, &args.input, args.quiet, format) {
        Ok(d) => d,
        Err(exit) => return exit,
    };
    let reason = match (
        args.explain,
        bylaw_compiler::explain::Lang::parse(&args.lang),
    ) {
        (false, _) => None,
        (true, Some(lang)) => Some(lang),
        (true, None) => {
            print_error(
                "argument",
                &format!("--lang `{}` is not a language Bylaw explains in", args.lang),
                Some("use `zh` or `en`"),
                format,
            );
            return Exit::BadInput;
        }
    };
    let options = RunOptions {
        reason,
        ..options(args)
    };
    let run = match Run::new(&policy, date, options) {
        Ok(r) => r,
        Err(e) => return fail(&e, format),
    };
    let bar = Bar(if !args.quiet && std::io::stderr().is_terminal() {
        indicatif::ProgressBar::no_length()
    } else {
        indicatif::ProgressBar::hidden()
    });
    let result = match &args.output {
        Some(path) => run.write_file(&input, path, &bar),
        None => run.write_to(
            &input,
            &mut std::io::stdout().lock(),
            OutputFormat::Csv,
            &bar,
        ),
    };
    bar.0.finish_and_clear();
    match result {
        Ok(report) => {
            if !args.quiet {
                print_summary(&policy, date_text, &report, args);
            }
            Exit::Ok
        }
        Err(e) => fail(&e, format),
    }
}

/// The backend and threads asked for.
pub(crate) fn options(args: &EvalArgs) -> RunOptions {
    RunOptions {
        backend: match args.engine {
            Engine::Jit => BackendKind::Jit,
            Engine::Interp => BackendKind::Interpreter,
        },
        threads: args.threads,
        ..RunOptions::default()
    }
}

/// Prints a run's error and gives its exit code.
pub(crate) fn fail(e: &RunError, format: ErrorFormat) -> Exit {
    match e {
        RunError::Data(errors) => {
            crate::report::print_data_errors(errors, format);
            Exit::BadInput
        }
        RunError::Output { .. } => {
            print_error(e.code(), &e.to_string(), e.hint().as_deref(), format);
            Exit::Io
        }
        _ => {
            print_error(e.code(), &e.to_string(), e.hint().as_deref(), format);
            Exit::BadInput
        }
    }
}

fn print_summary(policy: &Policy, date: &str, report: &RunReport, args: &EvalArgs) {
    let program = policy.program();
    let summary = &report.summary;
    let failed = summary.failed();
    let ok = summary.households() - failed;
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    table.set_header(vec!["output 输出", "label 标签", "result 结果"]);
    for (i, d) in program.outputs.iter().enumerate() {
        let def = program.def(*d);
        let label = def
            .origin
            .meta
            .label
            .as_ref()
            .map_or(String::new(), |l| l.text.clone());
        let cell = match def.ty {
            Ty::Bool => {
                let t = summary.trues(i);
                let share = if ok > 0 {
                    t as f64 * 100.0 / ok as f64
                } else {
                    0.0
                };
                // Shares are for display only; every amount below is exact.
                format!("{t} true ({share:.1}%)")
            }
            Ty::Money(_) if def.kind == DefKind::Amount => {
                let total = summary.sum(i);
                let shown = i64::try_from(total).map_or_else(
                    |_| format!("{total} (0.0001 元)"),
                    bylaw_runtime::decimal::format_money_yuan,
                );
                format!("total {shown} 元")
            }
            _ => continue,
        };
        table.add_row(vec![def.name.clone(), label, cell]);
    }
    let rows = root_rows(program);
    eprintln!(
        "{} on {date}: {} {rows}, {ok} evaluated, {failed} failed",
        policy.name(),
        summary.households()
    );
    eprintln!("{table}");
    for (code, within, n) in summary.failures() {
        eprintln!("  {n} household(s) failed with `{code}` in `{within}`");
    }
    if let bylaw_engine::InputMode::Whole { why: Some(why) } = &report.input {
        eprintln!(
            "note: read `{}` whole into memory ({why}); streaming needs household keys in increasing order and child rows grouped in household order",
            args.input.data.display()
        );
    }
    for f in report.backends.fallbacks() {
        eprintln!("note: {f}; the interpreter evaluated instead");
    }
    let secs = report.elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        summary.households() as f64 / secs
    } else {
        0.0
    };
    eprintln!(
        "{} {rows} in {secs:.2} s ({rate:.0} {rows}/s, read and written included): input {}, evaluated by {} on {} thread(s){}",
        summary.households(),
        report.input,
        report.backends,
        report.threads,
        args.output
            .as_ref()
            .map_or(String::new(), |p| format!("; wrote {}", p.display()))
    );
}

/// What the root entity's rows are called in a summary: `households`, `persons`,
/// `stations` (the entity's name, made plural).
pub(crate) fn root_rows(program: &bylaw_compiler::Program) -> String {
    let name = program
        .schema
        .entities
        .get(program.schema.root.0 as usize)
        .map_or("row", |e| e.name.as_str());
    if name.ends_with('s') {
        format!("{name} rows")
    } else {
        format!("{name}s")
    }
}
