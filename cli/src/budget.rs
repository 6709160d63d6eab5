//! `bylaw budget`: a fund policy over a region-year table, year by year — each fund and
//! its channels, which cap binds, coverage against each target and the shortfall — or,
//! with `--sweep`, the same over a range of one parameter's values. The engine
//! (`bylaw_engine::budget`) computes and renders; this picks the format and writes.

use std::path::{Path, PathBuf};

use bylaw_engine::EngineError;
use bylaw_engine::budget::{self, BudgetReport, SweepReport, Years};

use crate::data::DataArgs;
use crate::fail;
use crate::{ErrorFormat, Exit};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BudgetFormat {
    Table,
    Csv,
    Json,
    Html,
}

#[derive(Debug, clap::Args)]
pub struct BudgetArgs {
    /// The fund policy (its entity is a yearly table: `region` and `year` fields).
    pub policy: PathBuf,
    /// The region-year table: one row per region and year (CSV or JSON).
    #[arg(long)]
    pub regions: PathBuf,
    /// The years to report, `2021..2025` (inclusive) or one year.
    #[arg(long)]
    pub years: String,
    /// A scenario file whose `set` lines replace parameter values.
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    /// Run over a range of one parameter: `NAME=FROM..TO step STEP` (e.g. `ratio=1%..6% step 0.5%`).
    #[arg(long)]
    pub sweep: Option<String>,
    /// The step of `--sweep`, if not written inside it.
    #[arg(long)]
    pub step: Option<String>,
    /// Write the report here (the format follows the extension unless `--format` says).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    #[arg(long, value_enum)]
    pub format: Option<BudgetFormat>,
}

pub fn run(args: &BudgetArgs, format: ErrorFormat) -> Exit {
    match run_inner(args, format) {
        Ok(()) => Exit::Ok,
        Err(e) => e,
    }
}

fn run_inner(args: &BudgetArgs, format: ErrorFormat) -> Result<(), Exit> {
    let fail = |e: EngineError| fail::print(&e, format);
    let years = Years::parse(&args.years).map_err(fail)?;
    let nothing = "there is nothing to budget";
    let policy = fail::load(&args.policy, args.scenario.as_deref(), nothing, format)?;
    budget::check_yearly(&policy).map_err(fail)?;
    let data = DataArgs {
        data: args.regions.clone(),
        relations: Vec::new(),
        members: None,
    };
    let batch = crate::data::read_data(policy.program(), &data, true, format)?;
    let chosen = args
        .format
        .unwrap_or_else(|| format_of(args.output.as_deref()));
    let text = match &args.sweep {
        None => {
            let r = BudgetReport::compute(&policy, &batch, years, &args.regions).map_err(fail)?;
            match chosen {
                BudgetFormat::Table => r.text().render(),
                BudgetFormat::Csv => r.csv(),
                BudgetFormat::Json => r.json(),
                BudgetFormat::Html => r.html().map_err(fail)?,
            }
        }
        Some(spec) => {
            let step = args.step.as_deref();
            let s = SweepReport::compute(&policy, &batch, years, spec, step, &args.regions)
                .map_err(fail)?;
            match chosen {
                BudgetFormat::Table => s.text().render(),
                BudgetFormat::Csv => s.csv(),
                BudgetFormat::Json => s.json(),
                BudgetFormat::Html => s.html().map_err(fail)?,
            }
        }
    };
    match &args.output {
        None => print!("{text}"),
        Some(path) => {
            let inputs: Vec<&Path> = [
                Some(args.policy.as_path()),
                Some(args.regions.as_path()),
                args.scenario.as_deref(),
            ]
            .into_iter()
            .flatten()
            .collect();
            fail::write(path, &text, &inputs, format)?;
            eprintln!("wrote {}", path.display());
        }
    }
    Ok(())
}

fn format_of(path: Option<&Path>) -> BudgetFormat {
    match path.and_then(|p| p.extension()).and_then(|e| e.to_str()) {
        Some("csv") => BudgetFormat::Csv,
        Some("json") => BudgetFormat::Json,
        Some("html" | "htm") => BudgetFormat::Html,
        _ => BudgetFormat::Table,
    }
}
