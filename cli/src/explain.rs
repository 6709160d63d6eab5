//! `bylaw explain`: the whole policy as a readable document, in Chinese or English, as
//! text, Markdown or self-contained HTML.

use std::path::PathBuf;

use bylaw_compiler::explain::{Format, Lang};

use crate::{ErrorFormat, Exit, report};

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// The policy file.
    pub policy: PathBuf,
    /// Language of the document: zh or en.
    #[arg(long, default_value = "zh")]
    pub lang: String,
    /// Parameter values shown are those in force on this date (default: the policy's
    /// effective date, else today).
    #[arg(long)]
    pub date: Option<String>,
    /// text, md or html.
    #[arg(long, default_value = "text")]
    pub format: String,
    /// Write to this file (atomically) instead of standard output.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}

pub fn run(args: &ExplainArgs, format: ErrorFormat) -> Exit {
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
    let Some(out_format) = Format::parse(&args.format) else {
        crate::report::error(
            format,
            "argument",
            format!(
                "--format `{}` is not a format\n  help: use `text`, `md` or `html`",
                args.format
            ),
        );
        return Exit::BadInput;
    };
    let compiled = bylaw_compiler::compile_file(&args.policy);
    if compiled.has_errors() {
        report::print(&compiled.diagnostics, &compiled.sources, format);
        return Exit::PolicyErrors;
    }
    let Some(program) = compiled.program else {
        return Exit::PolicyErrors;
    };
    let date = match &args.date {
        Some(d) => match crate::parse_eval_date(d) {
            Ok(d) => bylaw_engine::Date::from_days(d),
            Err(e) => {
                crate::report::error(format, "argument", format!("--date: {e}"));
                return Exit::BadInput;
            }
        },
        None => bylaw_engine::explain::default_date(&program),
    };
    let text = bylaw_engine::explain::document(&program, date, lang, out_format);
    match &args.output {
        None => {
            print!("{text}");
            Exit::Ok
        }
        Some(path) => {
            match bylaw_runtime::output::write_atomic(path, |w| w.write_all(text.as_bytes())) {
                Ok(()) => Exit::Ok,
                Err(e) => {
                    crate::report::error(
                        format,
                        "io",
                        format!("cannot write `{}`: {e}", path.display()),
                    );
                    Exit::Io
                }
            }
        }
    }
}
