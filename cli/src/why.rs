//! `bylaw why`: the full explanation of one household's decision — every output, the
//! conditions that held and failed with their values, the parameters and citations behind
//! them — and the smallest single-input changes that would change the outcome.

use std::path::PathBuf;

use bylaw_compiler::explain::{Format, Lang};
use bylaw_engine::why::Why;

use crate::{ErrorFormat, Exit};

#[derive(Debug, clap::Args)]
pub struct WhyArgs {
    /// The policy file.
    pub policy: PathBuf,
    #[command(flatten)]
    pub input: crate::data::DataArgs,
    /// The household's key (its `id`); for a yearly table, `REGION:YEAR` (`jingshan:2023`).
    #[arg(long)]
    pub id: String,
    /// Evaluation date (YYYY-MM-DD), or a period (YYYY-MM, YYYY) meaning its first day.
    /// For a yearly table it defaults to 1 January of the row's year, as in `bylaw budget`.
    #[arg(long)]
    pub date: Option<String>,
    /// A scenario file whose `set` lines replace parameter values.
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    /// The decision to explain changes of (default: the rule `eligible`, else the last rule).
    #[arg(long)]
    pub decision: Option<String>,
    /// zh or en.
    #[arg(long, default_value = "zh")]
    pub lang: String,
    /// text, md, html or json (the structured trace).
    #[arg(long, default_value = "text")]
    pub format: String,
}

pub fn run(args: &WhyArgs, format: ErrorFormat) -> Exit {
    let Some(lang) = Lang::parse(&args.lang) else {
        crate::report::error(
            format,
            "argument",
            format!(
                "--lang `{}` is not a language Bylaw explains in\n  help: use `zh` or `en`",
                args.lang
            ),
        );
        return Exit::BadInput;
    };
    let json = args.format == "json";
    let out_format = if json {
        Some(Format::Text)
    } else {
        Format::parse(&args.format)
    };
    let Some(out_format) = out_format else {
        crate::report::error(
            format,
            "argument",
            format!(
                "--format `{}` is not a format\n  help: use `text`, `md`, `html` or `json`",
                args.format
            ),
        );
        return Exit::BadInput;
    };
    let yearly_id = args
        .id
        .rsplit_once(':')
        .and_then(|(r, y)| y.parse::<i64>().ok().map(|y| (r.to_string(), y)));
    let date_text = match (&args.date, &yearly_id) {
        (Some(d), _) => d.clone(),
        (None, Some((_, y))) => format!("{y}-01-01"),
        (None, None) => {
            crate::report::error(
                format,
                "argument",
                "--date is required\n  help: e.g. --date 2023-08-01",
            );
            return Exit::BadInput;
        }
    };
    let (policy, date) =
        match crate::data::load(&args.policy, &date_text, args.scenario.as_deref(), format) {
            Ok(p) => p,
            Err(exit) => return exit,
        };
    let batch = match crate::data::read_data(policy.program(), &args.input, true, format) {
        Ok(b) => b,
        Err(exit) => return exit,
    };
    let why = match Why::explain(
        &policy,
        date,
        &batch,
        &args.id,
        args.decision.as_deref(),
        lang,
    ) {
        Ok(w) => w,
        Err(e) => return crate::fail::print(&e, format),
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&why.json()).unwrap_or_default()
        );
    } else {
        print!("{}", why.render(out_format, lang));
    }
    Exit::Ok
}
