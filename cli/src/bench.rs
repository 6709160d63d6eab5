//! `bylaw bench`: one policy over one data set with every engine, in one run — the
//! interpreter, native code (JIT) on one thread and on all threads, the AOT object
//! (linked with the C compiler and loaded), and (for the dibao policy) a hand-written
//! Rust loop — printed as households per second and ratios. The data are read whole
//! first; only evaluation is timed, the engines taking turns round after round.

use std::path::PathBuf;

use bylaw_bench::measure::{self, Report};

use crate::{ErrorFormat, Exit};

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// The policy file.
    pub policy: PathBuf,
    #[command(flatten)]
    pub input: crate::data::DataArgs,
    /// Evaluation date (YYYY-MM-DD), or a period meaning its first day.
    #[arg(long, default_value = "2023-08-01")]
    pub date: String,
    /// Threads for the parallel native run (default: all cores).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub threads: Option<u32>,
    /// Rounds: every engine runs once a round, and its best round is kept.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    pub reps: u32,
}

pub fn run(args: &BenchArgs, format: ErrorFormat) -> Exit {
    let (program, date) = match crate::data::policy_at(&args.policy, &args.date, None, format) {
        Ok(p) => p,
        Err(exit) => return exit,
    };
    let batch = match crate::data::read_data(&program, &args.input, false, format) {
        Ok(b) => b,
        Err(exit) => return exit,
    };
    let threads = match args.threads.map(|t| t as usize) {
        Some(n) if n == 0 || n > bylaw_engine::MAX_THREADS => {
            crate::report::error(
                format,
                "argument::threads",
                format!(
                    "cannot run {n} worker threads\n  help: ask for between 1 and {}",
                    bylaw_engine::MAX_THREADS
                ),
            );
            return Exit::BadInput;
        }
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    match measure::run_all(&program, date, &batch, threads, args.reps as usize) {
        Ok(report) => {
            print(&report, &args.policy);
            Exit::Ok
        }
        Err(e) => {
            crate::report::error(format, "argument", &e);
            Exit::BadInput
        }
    }
}

fn print(report: &Report, policy: &std::path::Path) {
    let interp = report
        .get("interpreter", 1)
        .map(measure::Measurement::per_second);
    let hand = report
        .get("hand-written Rust", 1)
        .map(measure::Measurement::per_second);
    let ratio = |x: f64, base: Option<f64>| match base {
        Some(b) if b > 0.0 => format!("{:.2}×", x / b),
        _ => "–".to_owned(),
    };
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    table.set_header(vec![
        "engine",
        "threads",
        "time",
        "households/s",
        "vs interpreter",
        "vs hand-written",
    ]);
    for m in &report.measurements {
        let rate = m.per_second();
        table.add_row(vec![
            m.engine.clone(),
            m.threads.to_string(),
            format!("{:.3} s", m.time.as_secs_f64()),
            format!("{:.2} M", rate / 1e6),
            ratio(rate, interp),
            ratio(rate, hand),
        ]);
    }
    let aot = report.aot_build_time.map_or(String::new(), |t| {
        format!(
            "; AOT object compiled, linked and loaded in {:.1} ms",
            t.as_secs_f64() * 1000.0
        )
    });
    println!(
        "{}: {} households; native code compiled in {:.1} ms{aot}",
        policy.display(),
        report.households,
        report.compile_time.as_secs_f64() * 1000.0
    );
    println!("{table}");
    if let Some(first) = report.measurements.first() {
        println!(
            "every engine agrees: last output summed over {} households, {} failed",
            report.households as u64 - first.checksum.failed,
            first.checksum.failed
        );
    }
    for note in &report.notes {
        println!("{note}");
    }
}
