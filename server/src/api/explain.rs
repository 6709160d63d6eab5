//! Explanations: `GET /v1/policies/{name}/explain` (the policy as a document, in
//! Chinese or English, as HTML, Markdown or text) and `POST /v1/policies/{name}/why`
//! (one household's decision traced, with what would change it).

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use bylaw_compiler::explain::Format;
use bylaw_engine::why::Why;
use serde::Deserialize;
use utoipa::IntoParams;

use super::types::{PolicyRef, WhyRequest, WhyResponse};
use super::{AppState, blocking, body};
use crate::problem::{Problem, ProblemDetails};

/// The query of `explain`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ExplainQuery {
    /// `zh` (the default) or `en`.
    lang: Option<String>,
    /// `html` (the default), `md` or `text`.
    format: Option<String>,
    /// The date the rules are explained at (default: the effective date, else today).
    date: Option<String>,
}

/// The policy explained as a document.
#[utoipa::path(
    get,
    path = "/v1/policies/{name}/explain",
    tag = "policies",
    params(("name" = String, Path, description = "The policy's name"), ExplainQuery),
    responses(
        (status = 200, description = "The document", content((String = "text/html"), (String = "text/markdown"), (String = "text/plain"))),
        (status = 400, description = "An unknown query parameter, language or format", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such policy", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn explain(
    State(state): State<AppState>,
    Path(name): Path<String>,
    query: Result<Query<ExplainQuery>, QueryRejection>,
) -> Result<Response, Problem> {
    state.served(&name)?;
    let Query(query) = query.map_err(|e| {
        bad_query("bylaw::serve::bad_query", e.body_text())
            .with_hint("the parameters are lang (zh, en), format (html, md, text) and date")
    })?;
    let lang = body::lang(query.lang.as_deref(), "lang").map_err(|p| {
        bad_query("bylaw::serve::bad_lang", p.details().detail.clone())
            .with_hint("use lang=zh or lang=en")
    })?;
    let format_text = query.format.as_deref().unwrap_or("html");
    let format = Format::parse(format_text).ok_or_else(|| {
        bad_query(
            "bylaw::serve::bad_format",
            format!("`{format_text}` is not a format"),
        )
        .with_hint("use format=html, format=md or format=text")
    })?;
    let date = query
        .date
        .as_deref()
        .map(|d| {
            bylaw_engine::Date::parse(d)
                .map_err(|e| bad_query("bylaw::data::bad_date", e.to_string()).with_hint(e.hint()))
        })
        .transpose()?;
    blocking(move || {
        let program = state.served(&name)?.policy().program();
        let date = date.unwrap_or_else(|| bylaw_engine::explain::default_date(program));
        let document = bylaw_engine::explain::document(program, date, lang, format);
        let content_type = match format {
            Format::Html => "text/html; charset=utf-8",
            Format::Markdown => "text/markdown; charset=utf-8",
            Format::Text => "text/plain; charset=utf-8",
        };
        Ok((
            [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
            document,
        )
            .into_response())
    })
    .await
}

fn bad_query(code: &str, detail: impl Into<String>) -> Problem {
    Problem::new(
        axum::http::StatusCode::BAD_REQUEST,
        "bad-query",
        "a query parameter that does not fit",
        detail,
    )
    .with_code(code)
}

/// One household's decision traced: every output, the conditions that held and failed
/// with their values, the parameters and citations behind them, and the smallest
/// single-input changes that would change the decision.
#[utoipa::path(
    post,
    path = "/v1/policies/{name}/why",
    tag = "policies",
    params(("name" = String, Path, description = "The policy's name")),
    request_body = WhyRequest,
    responses(
        (status = 200, description = "The trace and its text", body = WhyResponse),
        (status = 400, description = "The body is not JSON", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such policy", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 413, description = "The body or the batch is too large", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "A field, record, id or decision that does not fit", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn why(
    State(state): State<AppState>,
    Path(name): Path<String>,
    bytes: Bytes,
) -> Result<Json<WhyResponse>, Problem> {
    state.served(&name)?;
    let request: WhyRequest = body::parse(&bytes)?;
    let date = body::date(&request.date)?;
    let lang = body::lang(request.lang.as_deref(), "$.lang")?;
    let max_records = state.config.max_records;
    blocking(move || {
        let served = state.served(&name)?;
        let policy = served.policy();
        let (text, field) = body::records_text(
            request.records.as_deref(),
            request.record.as_deref(),
            max_records,
        )?;
        let batch = body::read_records(&policy.program().schema, &text, field)?;
        let why = Why::explain(
            policy,
            date,
            &batch,
            &request.id,
            request.decision.as_deref(),
            lang,
        )
        .map_err(|e| {
            let path = if e.code() == "bylaw::why::decision" {
                "$.decision"
            } else {
                "$.id"
            };
            let problem = Problem::invalid(e.code(), path, e.message());
            match e.hint() {
                Some(h) => problem.with_hint(h),
                None => problem,
            }
        })?;
        Ok(Json(WhyResponse {
            policy: PolicyRef {
                name: name.clone(),
                hash: super::policies::hex(&policy.source_hash()),
                date: date.to_string(),
            },
            trace: why.json(),
            text: why.render(Format::Text, lang),
        }))
    })
    .await
}
