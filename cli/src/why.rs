//! `bylaw why`: the full explanation of one household's decision — every output, the
//! conditions that held and failed with their values, the parameters and citations behind
//! them — and the smallest single-input changes that would change the outcome.

use std::path::PathBuf;

use bylaw_compiler::explain::{Format, Lang, decision, doc, trace, whatif};
use bylaw_compiler::interp::Evaluator;

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
    let (program, date) =
        match crate::data::policy_at(&args.policy, &date_text, args.scenario.as_deref(), format) {
            Ok(p) => p,
            Err(exit) => return exit,
        };
    let batch = match crate::data::read_data(&program, &args.input, true, format) {
        Ok(b) => b,
        Err(exit) => return exit,
    };
    if let Some(cols) = bylaw_compiler::years::yearly_columns(&program) {
        return why_yearly(
            &program, date, &batch, cols, args, lang, out_format, json, format,
        );
    }
    let root = batch.entities.get(batch.root.0 as usize);
    let Some(row) = root.and_then(|e| e.keys.iter().position(|k| *k == args.id)) else {
        let near = root.and_then(|e| {
            bylaw_compiler::diagnostics::suggest(&args.id, e.keys.iter().map(String::as_str))
        });
        crate::report::error(
            format,
            "argument",
            format!(
                "no household has the key `{}` in `{}`{}",
                args.id,
                args.input.data.display(),
                near.map_or(String::new(), |n| format!("\n  help: did you mean `{n}`?"))
            ),
        );
        return Exit::BadInput;
    };
    let decision = match &args.decision {
        Some(name) => match program.def_by_name(name) {
            Some(d)
                if program.outputs.contains(&d)
                    && program.def(d).ty == bylaw_compiler::types::Ty::Bool =>
            {
                Some(d)
            }
            _ => {
                crate::report::error(
                    format,
                    "argument",
                    format!(
                        "`{name}` is not a yes/no output of the policy\n  help: `bylaw explain` lists the rules"
                    ),
                );
                return Exit::BadInput;
            }
        },
        None => whatif::default_decision(&program),
    };
    let household = whatif::extract(&batch, &program.schema, row);
    let evaluator = Evaluator::new(&program, date);
    let traced = trace::trace(&evaluator, &household, 0);
    let changes = decision
        .map(|d| whatif::what_would_change(&evaluator, &household, d))
        .unwrap_or_default();
    if json {
        let value = serde_json::json!({ "decision": traced, "what_would_change": changes });
        println!(
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
        return Exit::Ok;
    }
    let decision_name = decision.map(|d| {
        bylaw_compiler::explain::words::def_label(&program, d)
            .get(lang)
            .to_string()
    });
    let blocks = decision::render_decision(&traced, &changes, decision_name.as_deref(), lang);
    print!("{}", doc::render(&blocks, out_format, &args.id));
    Exit::Ok
}

/// A region-year row of a fund policy: traced over the whole table, so that
/// `x[last year]` reads the region's previous row (no what-if: fund rules have no applicant).
#[allow(
    clippy::too_many_arguments,
    reason = "one call site; the arguments are the command's"
)]
fn why_yearly(
    program: &bylaw_compiler::ir::Program,
    date: i32,
    batch: &bylaw_runtime::batch::Batch,
    cols: bylaw_compiler::years::YearlyColumns,
    args: &WhyArgs,
    lang: Lang,
    out_format: Format,
    json: bool,
    format: ErrorFormat,
) -> Exit {
    let keys = bylaw_compiler::years::region_years(batch, cols);
    let region_enum = bylaw_compiler::years::region_enum(program, cols);
    let wanted = args.id.rsplit_once(':').and_then(|(r, y)| {
        let code = region_enum.as_ref()?.lookup(r)?;
        Some((code, y.parse::<i64>().ok()?))
    });
    let Some(row) = wanted.and_then(|w| keys.iter().position(|k| *k == w)) else {
        crate::report::error(
            format,
            "argument",
            format!(
                "no row `{}` in `{}`\n  help: a yearly table's rows are named REGION:YEAR, e.g. `--id jingshan:2023`",
                args.id,
                args.input.data.display()
            ),
        );
        return Exit::BadInput;
    };
    let (previous, _) = bylaw_compiler::years::previous_rows(batch, cols);
    let evaluator = Evaluator::new(program, date).with_previous_rows(previous);
    let mut traced = trace::trace(&evaluator, batch, row);
    traced.id.clone_from(&args.id);
    if json {
        let value = serde_json::json!({ "decision": traced });
        println!(
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
        return Exit::Ok;
    }
    let blocks = decision::render_decision(&traced, &[], None, lang);
    print!("{}", doc::render(&blocks, out_format, &args.id));
    Exit::Ok
}
