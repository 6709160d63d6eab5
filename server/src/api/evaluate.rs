//! `POST /v1/policies/{name}/evaluate`: a household or a batch evaluated at a date,
//! each household's outputs formatted as `bylaw eval -o out.json` writes them, or its
//! error in the requested language.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use bylaw_compiler::explain::Lang;
use bylaw_compiler::ir::{Program, Value};
use bylaw_engine::{BackendKind, Date, Evaluation, Policy, Run, RunOptions};
use bylaw_runtime::batch::Batch;

use super::types::{EvaluateRequest, EvaluateResponse, HouseholdError, HouseholdResult, PolicyRef};
use super::{AppState, blocking, body};
use crate::problem::{Problem, ProblemDetails};

/// Evaluates the records at the date.
///
/// A record that does not fit the input schema fails the whole request (422, every
/// problem listed with its JSON path); a household whose evaluation fails (an
/// overflow, a parameter with no value at the date) gets an `error` and the others
/// their outputs. With a `scenario`, the interpreter evaluates (native code is
/// compiled for the parameters as loaded); its results are the same as native code's.
#[utoipa::path(
    post,
    path = "/v1/policies/{name}/evaluate",
    tag = "policies",
    params(("name" = String, Path, description = "The policy's name, as GET /v1/policies lists it")),
    request_body = EvaluateRequest,
    responses(
        (status = 200, description = "One result per record, in input order", body = EvaluateResponse),
        (status = 400, description = "The body is not JSON", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such policy", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 413, description = "The body or the batch is too large", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "A field, date, record or scenario value that does not fit", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn evaluate(
    State(state): State<AppState>,
    Path(name): Path<String>,
    bytes: Bytes,
) -> Result<Json<EvaluateResponse>, Problem> {
    state.served(&name)?;
    let request: EvaluateRequest = body::parse(&bytes)?;
    let date = body::date(&request.date)?;
    let lang = body::lang(request.lang.as_deref(), "$.lang")?;
    let max_records = state.config.max_records;
    blocking(move || {
        let served = state.served(&name)?;
        let (text, field) = body::records_text(
            request.records.as_deref(),
            request.record.as_deref(),
            max_records,
        )?;
        let scenario = request.scenario.as_ref().filter(|s| !s.is_empty());
        let changed = scenario
            .map(|s| body::with_scenario(served.policy(), s))
            .transpose()?;
        let policy = changed.as_ref().unwrap_or(served.policy());
        let batch = body::read_records(&policy.program().schema, &text, field)?;
        let native = match changed {
            Some(_) => None,
            None => Some(served.native(date)),
        };
        let evaluation = evaluate_batch(policy, date, &batch, native)?;
        Ok(Json(EvaluateResponse {
            policy: PolicyRef {
                name: name.clone(),
                hash: super::policies::hex(&served.policy().source_hash()),
                date: date.to_string(),
            },
            results: results(policy.program(), date, lang, &batch, &evaluation),
        }))
    })
    .await
}

/// `batch` evaluated by native code (`native`), or by the interpreter when there is
/// none or it declines.
fn evaluate_batch(
    policy: &Policy,
    date: Date,
    batch: &Batch,
    native: Option<Result<bylaw_engine::Compiled, bylaw_engine::BackendError>>,
) -> Result<Evaluation, Problem> {
    let options = RunOptions {
        backend: if native.is_some() {
            BackendKind::Jit
        } else {
            BackendKind::Interpreter
        },
        // One request is evaluated on its own blocking thread: concurrency comes from
        // requests, and a worker pool per request would only cost its start.
        threads: Some(1),
        ..RunOptions::default()
    };
    let run = Run::with_native(policy, date, options, native)
        .map_err(|e| Problem::internal(format!("the evaluation could not start: {e}")))?;
    let (evaluation, fallback) = run
        .evaluate(batch)
        .map_err(|e| Problem::internal(format!("the evaluation failed: {e}")))?;
    if let Some(why) = fallback {
        tracing::debug!(%why, "the interpreter evaluated the batch");
    }
    Ok(evaluation)
}

/// Each household's result, in input order.
fn results(
    program: &Program,
    date: Date,
    lang: Lang,
    batch: &Batch,
    evaluation: &Evaluation,
) -> Vec<HouseholdResult> {
    let schema = &program.schema;
    let key_field = schema
        .root_entity()
        .and_then(|e| e.key.and_then(|k| e.field(k)))
        .map(|f| f.name.clone());
    let keys = batch.entities.get(batch.root.0 as usize).map(|e| &e.keys);
    (0..batch.root_len())
        .map(|i| {
            let mut key = std::collections::BTreeMap::new();
            if let (Some(field), Some(k)) = (&key_field, keys.and_then(|ks| ks.get(i))) {
                key.insert(field.clone(), k.clone());
            }
            match evaluation.error(i) {
                Some(e) => HouseholdResult {
                    key,
                    outputs: None,
                    error: Some(HouseholdError {
                        code: e.code().to_string(),
                        definition: e.def.map(|d| program.def(d).name.clone()),
                        message: e.message(program, date.days(), lang),
                    }),
                },
                None => HouseholdResult {
                    key,
                    outputs: Some(outputs(program, evaluation, i)),
                    error: None,
                },
            }
        })
        .collect()
}

/// Household `i`'s outputs by name, formatted as the CLI's JSON output formats them.
fn outputs(
    program: &Program,
    evaluation: &Evaluation,
    i: usize,
) -> serde_json::Map<String, serde_json::Value> {
    let mut out = serde_json::Map::new();
    for (o, d) in program.outputs.iter().enumerate() {
        let def = program.def(*d);
        let json = match evaluation.value(o, i) {
            Some(Value::Bool(b)) => serde_json::Value::Bool(b),
            // Numbers stay exact text: money is never turned into a float.
            Some(v) => bylaw_compiler::format::plain_in(program, def.ty, def.unit, &v).into(),
            None => serde_json::Value::Null,
        };
        out.insert(def.name.clone(), json);
    }
    out
}
