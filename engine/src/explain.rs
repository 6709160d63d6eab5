//! A policy explained as a document: what every rule and amount says at a date, and
//! the service obligations, in Chinese or English, as text, Markdown or HTML — what
//! `bylaw explain` prints and the Python package's `Policy.explain` returns.

use bylaw_compiler::explain::{Format, Lang, doc, policy};
use bylaw_compiler::ir::Program;

use crate::Date;

/// The date a policy is explained at when none is given: its effective date, else today.
pub fn default_date(program: &Program) -> Date {
    program
        .policy
        .as_ref()
        .and_then(|p| p.effective)
        .map_or_else(today, Date::from_days)
}

/// `program` explained at `date` in `lang`, rendered as `format`.
pub fn document(program: &Program, date: Date, lang: Lang, format: Format) -> String {
    let mut blocks = policy::explain_policy(program, date.days(), lang);
    blocks.extend(bylaw_compiler::comply::words::blocks(program, lang));
    let title = program
        .policy
        .as_ref()
        .map_or_else(|| "Bylaw".to_string(), |p| p.name.clone());
    doc::render(&blocks, format, &title)
}

fn today() -> Date {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400);
    Date::from_days(i32::try_from(days).unwrap_or(0))
}
