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
    /// The household's key (its `id`).
    #[arg(long)]
    pub id: String,
    /// Evaluation date (YYYY-MM-DD), or a period (YYYY-MM, YYYY) meaning its first day.
    #[arg(long)]
    pub date: String,
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
        eprintln!(
            "error: --lang `{}` is not a language Bylaw explains in\n  help: use `zh` or `en`",
            args.lang
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
        eprintln!(
            "error: --format `{}` is not a format\n  help: use `text`, `md`, `html` or `json`",
            args.format
        );
        return Exit::BadInput;
    };
    let (program, date) =
        match crate::data::policy_at(&args.policy, &args.date, args.scenario.as_deref(), format) {
            Ok(p) => p,
            Err(exit) => return exit,
        };
    let batch = match crate::data::read_data(&program, &args.input, true, format) {
        Ok(b) => b,
        Err(exit) => return exit,
    };
    let root = batch.entities.get(batch.root.0 as usize);
    let Some(row) = root.and_then(|e| e.keys.iter().position(|k| *k == args.id)) else {
        let near = root.and_then(|e| {
            bylaw_compiler::diagnostics::suggest(&args.id, e.keys.iter().map(String::as_str))
        });
        eprintln!(
            "error: no household has the key `{}` in `{}`{}",
            args.id,
            args.input.data.display(),
            near.map_or(String::new(), |n| format!("\n  help: did you mean `{n}`?"))
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
                eprintln!(
                    "error: `{name}` is not a yes/no output of the policy\n  help: `bylaw explain` lists the rules"
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
