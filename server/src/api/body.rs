//! Reading a request: its JSON body (malformed JSON is 400; a well-formed body that
//! does not fit — an unknown or missing field, a wrong type — is 422 with the JSON
//! path of the value), its date and language, its records read by the engine's JSON
//! reader into a batch, and its scenario turned into `set` lines.

use std::path::Path;

use axum::http::StatusCode;
use bylaw_compiler::explain::Lang;
use bylaw_engine::{Date, Policy};
use bylaw_runtime::batch::Batch;
use bylaw_runtime::schema::Schema;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use crate::problem::Problem;

/// Every date a scenario value without `from` holds at (as the Python package's).
const EVERY_DATE: &str = "0001-01-01";

/// `bytes` as a `T`.
pub(crate) fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| field_problem(&e))?;
    // Trailing text after the object is malformed too.
    de.end().map_err(|e| malformed(&e))?;
    Ok(value)
}

fn malformed(e: &serde_json::Error) -> Problem {
    Problem::new(
        StatusCode::BAD_REQUEST,
        "malformed-json",
        "the body is not JSON",
        format!("{e}"),
    )
    .with_code("bylaw::serve::malformed_json")
    .with_hint("send one JSON object, UTF-8, with `content-type: application/json`")
}

fn field_problem(e: &serde_path_to_error::Error<serde_json::Error>) -> Problem {
    let inner = e.inner();
    if inner.is_syntax() || inner.is_eof() || inner.is_io() {
        return malformed(inner);
    }
    let message = inner.to_string();
    // serde names an unknown or missing field in its message, not in the path (which
    // stops at the object holding it).
    let named = ["unknown field `", "missing field `"]
        .iter()
        .find_map(|start| message.strip_prefix(start))
        .and_then(|rest| rest.split('`').next());
    let base = json_path(&e.path().to_string());
    let path = match named {
        // An unknown field is already in the path; a missing one is not.
        Some(field) if base.ends_with(&format!(".{field}")) => base,
        Some(field) if base == "$" => format!("$.{field}"),
        Some(field) => format!("{base}.{field}"),
        None => base,
    };
    let (code, hint) = if message.starts_with("unknown field") {
        (
            "bylaw::serve::unknown_field",
            "remove the field; the endpoint's fields are in GET /openapi.json",
        )
    } else if message.starts_with("missing field") {
        ("bylaw::serve::missing_field", "add the field")
    } else {
        (
            "bylaw::serve::wrong_type",
            "the endpoint's fields and their types are in GET /openapi.json",
        )
    };
    // serde's message ends with the line and column in the body: keep only the words.
    let words = message
        .rsplit_once(" at line ")
        .map_or(message.as_str(), |(w, _)| w);
    Problem::invalid(code, path, words).with_hint(hint)
}

/// serde_path_to_error's path (`records[2]`, `.` for the top) as a JSON path.
fn json_path(path: &str) -> String {
    if path == "." || path.is_empty() {
        "$".to_string()
    } else if path.starts_with('[') {
        format!("${path}")
    } else {
        format!("$.{path}")
    }
}

/// The request's evaluation date.
pub(crate) fn date(text: &str) -> Result<Date, Problem> {
    Date::parse(text).map_err(|e| {
        Problem::invalid("bylaw::data::bad_date", "$.date", e.to_string()).with_hint(e.hint())
    })
}

/// The request's language, Chinese when it names none.
pub(crate) fn lang(text: Option<&str>, json_path: &str) -> Result<Lang, Problem> {
    match text {
        None => Ok(Lang::Zh),
        Some(t) => Lang::parse(t).ok_or_else(|| {
            Problem::invalid(
                "bylaw::serve::bad_lang",
                json_path,
                format!("`{t}` is not a language Bylaw explains in"),
            )
            .with_hint("use \"zh\" or \"en\"")
        }),
    }
}

/// The records of a request, as JSON array text, and the body field they came from.
pub(crate) fn records_text(
    records: Option<&[Box<RawValue>]>,
    record: Option<&RawValue>,
    max_records: usize,
) -> Result<(String, &'static str), Problem> {
    match (records, record) {
        (Some(_), Some(_)) => Err(Problem::invalid(
            "bylaw::serve::records",
            "$.record",
            "the body gives both `record` and `records`",
        )
        .with_hint("give one household as `record` or a batch as `records`, not both")),
        (None, None) => Err(Problem::invalid(
            "bylaw::serve::records",
            "$",
            "the body gives no `record` or `records`",
        )
        .with_hint("give one household as `record` or a batch as `records`")),
        (None, Some(one)) => Ok((format!("[{}]", one.get()), "record")),
        (Some(many), None) => {
            if many.len() > max_records {
                return Err(Problem::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too-many-records",
                    "too many records in one request",
                    format!(
                        "the batch has {} records; this server takes at most {max_records} per request",
                        many.len()
                    ),
                )
                .with_code("bylaw::serve::too_many_records")
                .at("$.records")
                .with_hint(format!(
                    "send the records in batches of at most {max_records}, or evaluate files with `bylaw eval`"
                )));
            }
            let mut text =
                String::with_capacity(many.iter().map(|r| r.get().len() + 1).sum::<usize>() + 2);
            text.push('[');
            for (i, r) in many.iter().enumerate() {
                if i > 0 {
                    text.push(',');
                }
                text.push_str(r.get());
            }
            text.push(']');
            Ok((text, "records"))
        }
    }
}

/// The records read against `schema`; every data problem reported, located in the body.
pub(crate) fn read_records(schema: &Schema, text: &str, field: &str) -> Result<Batch, Problem> {
    bylaw_runtime::input::read_json_text(schema, Path::new("request"), text)
        .map_err(|errors| Problem::data(&errors, field))
}

/// `policy` with the request's scenario applied: each `"name[key]": value` a `set`
/// line. A diagnostic is located at the scenario entry whose line it points into.
pub(crate) fn with_scenario(
    policy: &Policy,
    scenario: &std::collections::BTreeMap<String, Box<RawValue>>,
) -> Result<Policy, Problem> {
    let mut lines = Vec::with_capacity(scenario.len());
    for (target, raw) in scenario {
        let value = scenario_value(policy, target, raw)?;
        let value = if format!(" {value} ").contains(" from ") {
            value
        } else {
            format!("{value} from {EVERY_DATE}")
        };
        lines.push(format!("set {target} = {value}"));
    }
    let text = lines.join("\n") + "\n";
    let mut changed = policy.clone();
    if let Err(errors) = changed.apply_scenario_text("scenario", &text) {
        let first = errors.diagnostics().iter().find(|d| d.is_error());
        let Some(d) = first else {
            return Err(Problem::invalid(
                "bylaw::serve::scenario",
                "$.scenario",
                errors.to_string(),
            ));
        };
        let line = d
            .primary
            .as_ref()
            .and_then(|l| text.get(..l.span.start as usize))
            .map_or(0, |before| before.matches('\n').count());
        let path = scenario
            .keys()
            .nth(line)
            .map_or("$.scenario".to_string(), |k| {
                format!("$.scenario[{}]", serde_json::Value::String(k.clone()))
            });
        let mut problem = Problem::invalid(d.code.0, path, d.message.clone());
        if let Some(help) = &d.help {
            problem = problem.with_hint(help.clone());
        }
        return Err(problem);
    }
    Ok(changed)
}

/// A scenario value as Bylaw literal text: a string as written, a number with its
/// parameter's unit.
fn scenario_value(policy: &Policy, target: &str, raw: &RawValue) -> Result<String, Problem> {
    let path = format!(
        "$.scenario[{}]",
        serde_json::Value::String(target.to_string())
    );
    let text = raw.get().trim();
    if text.starts_with('"') {
        return serde_json::from_str::<String>(text).map_err(|e| {
            Problem::invalid("bylaw::serve::wrong_type", path.clone(), e.to_string())
        });
    }
    let is_number = text
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '-' | '.' | 'e' | 'E' | '+'))
        && text.chars().any(|c| c.is_ascii_digit());
    if !is_number || text.contains(['e', 'E']) {
        return Err(Problem::invalid(
            "bylaw::serve::wrong_type",
            path,
            format!("a scenario value is text or a decimal number, not `{text}`"),
        )
        .with_hint(
            "write a Bylaw literal such as \"1400 元\" or \"5%\", or a plain decimal number",
        ));
    }
    let name = target.split('[').next().unwrap_or(target);
    let program = policy.program();
    let unit = program
        .params
        .iter()
        .find(|p| p.name == name)
        .map(|p| program.type_name(p.ty))
        .map_or("", |ty| {
            if ty.starts_with("money") {
                " 元"
            } else if ty == "rate" {
                "%"
            } else {
                ""
            }
        });
    Ok(format!("{text}{unit}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_as_json_paths() {
        assert_eq!(json_path("."), "$");
        assert_eq!(json_path("date"), "$.date");
        assert_eq!(json_path("records[2]"), "$.records[2]");
    }
}
