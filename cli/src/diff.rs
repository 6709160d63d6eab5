//! `bylaw diff OLD NEW DATA`: a reform's impact on a population. Both versions (two
//! policies, or a policy and a scenario) are evaluated over the same households by the
//! engine (`bylaw_engine::impact`); this prints its summary, JSON, per-household CSV or
//! HTML page, and which backend evaluated each version.

use std::path::{Path, PathBuf};
use std::time::Instant;

use bylaw_engine::impact::{self, Impact, ImpactOptions};
use bylaw_engine::{BackendKind, Date, EngineError};

use crate::data::DataArgs;
use crate::fail;
use crate::{ErrorFormat, Exit};

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The policy as it is.
    pub old: PathBuf,
    /// The reform: another version of the policy, or a scenario file for OLD.
    pub new: PathBuf,
    #[command(flatten)]
    pub input: DataArgs,
    /// The evaluation date (`2023-07-01`, `2023-07` or `2023`).
    #[arg(long, required_unless_present = "period", conflicts_with = "period")]
    pub date: Option<String>,
    /// Compare over every month of a period (2025, 2025-Q3, 2025-07), each on its first
    /// day: eligible in some month; a monthly amount summed over the months.
    #[arg(long)]
    pub period: Option<String>,
    /// A numeric field of the household entity that weights each household (e.g. a
    /// survey weight); counts and costs are weighted sums.
    #[arg(long)]
    pub weights: Option<String>,
    /// The yes/no rule compared (default: `eligible`, else the last rule).
    #[arg(long)]
    pub decision: Option<String>,
    /// The money output compared (default: the last amount).
    #[arg(long)]
    pub amount: Option<String>,
    /// A region or enumeration field to break the results down by (default: `city`).
    #[arg(long)]
    pub by: Option<String>,
    /// `.html` or `.json` for a report, `.csv` for one line per household.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

pub fn run(args: &DiffArgs, format: ErrorFormat) -> Exit {
    match run_inner(args, format) {
        Ok(()) => Exit::Ok,
        Err(e) => e,
    }
}

fn run_inner(args: &DiffArgs, format: ErrorFormat) -> Result<(), Exit> {
    let fail = |e: EngineError| fail::print(&e, format);
    let started = Instant::now();
    let nothing = "there are no households to evaluate";
    let old = fail::load(&args.old, None, nothing, format)?;
    let period = match &args.period {
        None => None,
        Some(text) => Some(bylaw_runtime::period::Period::parse(text).map_err(|e| {
            fail(
                EngineError::input("bylaw::argument::period", format!("--period: {e}")).with_hint(
                    "a period is a year `2025`, a quarter `2025-Q3` or a month `2025-07`",
                ),
            )
        })?),
    };
    let date = match (&args.date, &period) {
        (Some(text), _) => Date::parse(text).map_err(|e| {
            fail(
                EngineError::input("bylaw::argument::date", format!("--date: {e}"))
                    .with_hint(e.hint()),
            )
        })?,
        (None, Some(p)) => Date::from_days(p.start),
        (None, None) => {
            return Err(fail(
                EngineError::input("bylaw::argument::date", "give --date or --period")
                    .with_hint("e.g. --date 2025-07-01, or --period 2025"),
            ));
        }
    };
    let new = if impact::is_scenario(&args.new) {
        let mut p = old.clone();
        p.apply_scenario(&args.new)
            .map_err(|e| fail::policy(&e, Exit::BadInput, format))?;
        p
    } else {
        fail::load(&args.new, None, nothing, format)?
    };
    let old_batch = crate::data::read_data(old.program(), &args.input, true, format)?;
    let new_batch = if new.program().schema == old.program().schema {
        None
    } else {
        Some(crate::data::read_data(
            new.program(),
            &args.input,
            true,
            format,
        )?)
    };
    let read = started.elapsed();
    let options = ImpactOptions {
        decision: args.decision.clone(),
        amount: args.amount.clone(),
        weights: args.weights.clone(),
        by: args.by.clone(),
        threads: args.threads,
        backend: BackendKind::Jit,
        period,
    };
    let impact = Impact::compute(&old, &new, &old_batch, new_batch.as_ref(), date, &options)
        .map_err(fail)?;
    let (old_ran, new_ran) = impact.backends();
    eprintln!(
        "compared {} households in {:.2} s (read {:.2} s, evaluated both versions in {:.2} s with {})",
        impact.pairs().len(),
        started.elapsed().as_secs_f64(),
        read.as_secs_f64(),
        impact.evaluated_in().as_secs_f64(),
        old_ran.backend,
    );
    for (which, ran) in [("OLD", old_ran), ("NEW", new_ran)] {
        if let Some(why) = &ran.declined {
            eprintln!(
                "note: {which} was evaluated with the {} because {why}",
                ran.backend
            );
        }
    }
    let titles = (
        args.old.display().to_string(),
        args.new.display().to_string(),
    );
    let summary = impact.text(&titles.0, &titles.1).render();
    let ext = args
        .output
        .as_ref()
        .and_then(|p| p.extension())
        .and_then(|e| e.to_str())
        .unwrap_or("");
    let Some(path) = &args.output else {
        print!("{summary}");
        return Ok(());
    };
    let text = match ext.to_ascii_lowercase().as_str() {
        "html" | "htm" => impact.html(&titles.0, &titles.1).map_err(fail)?,
        "json" => impact.json(&titles.0, &titles.1),
        "csv" => impact.csv(),
        "txt" => summary.clone(),
        _ => {
            return Err(fail(
                EngineError::input(
                    "bylaw::output::format",
                    format!("`{}` names no report format", path.display()),
                )
                .with_hint("name the output .html, .json, .csv or .txt"),
            ));
        }
    };
    let members = args.input.members.as_deref();
    let inputs: Vec<&Path> = [
        Some(args.old.as_path()),
        Some(args.new.as_path()),
        Some(args.input.data.as_path()),
        members,
    ]
    .into_iter()
    .flatten()
    .collect();
    fail::write(path, &text, &inputs, format)?;
    print!("{summary}");
    eprintln!("wrote {}", path.display());
    Ok(())
}
