//! Errors as RFC 9457 problem details (`application/problem+json`): the HTTP status,
//! a short title, the detail in words, and Bylaw's own members — the stable
//! diagnostic `code`, the `json_path` of the offending value in the request body, a
//! `hint`, and `errors` listing every problem found when there are several (a batch
//! with many bad records is reported whole, not one record per round trip).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bylaw_runtime::input::{DataError, DataErrors};
use serde::Serialize;
use utoipa::ToSchema;

/// The media type of every error response.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An error response (boxed: it travels through many `Result`s, most of them `Ok`).
#[derive(Debug, Clone)]
pub struct Problem(Box<ProblemDetails>);

/// The body of an error response.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Problem)]
pub struct ProblemDetails {
    /// A URI naming the kind of problem (`urn:bylaw:problem:invalid-input`).
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind of problem, the same for every occurrence.
    pub title: String,
    /// The HTTP status code, repeated for clients that log bodies only.
    pub status: u16,
    /// This occurrence in words.
    pub detail: String,
    /// The stable diagnostic code (`bylaw::data::bad_number`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The JSON path of the offending value in the request body (`$.records[3].income`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub json_path: Option<String>,
    /// What to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Every problem found, when the request has several (the first is the one above).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemItem>,
}

/// One of several problems in a request.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemItem {
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub json_path: Option<String>,
    /// The offending value as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Problem {
    /// A problem of HTTP status `status`, kind `kind` (a short kebab-case name that
    /// becomes the `type` URI), titled `title`.
    pub fn new(
        status: StatusCode,
        kind: &str,
        title: impl Into<String>,
        detail: impl Into<String>,
    ) -> Problem {
        Problem(Box::new(ProblemDetails {
            kind: format!("urn:bylaw:problem:{kind}"),
            title: title.into(),
            status: status.as_u16(),
            detail: detail.into(),
            code: None,
            json_path: None,
            hint: None,
            errors: Vec::new(),
        }))
    }

    /// Input that does not fit what the endpoint takes (a well-formed body): 422.
    pub fn invalid(code: &str, json_path: impl Into<String>, detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-input",
            "the request does not fit what the endpoint takes",
            detail,
        )
        .with_code(code)
        .at(json_path)
    }

    /// No policy of that name is served: 404.
    pub fn unknown_policy(name: &str, served: &[&str]) -> Problem {
        let hint = match nearest(name, served) {
            Some(near) => format!("did you mean `{near}`? GET /v1/policies lists them"),
            None => "GET /v1/policies lists the policies served".to_string(),
        };
        Problem::new(
            StatusCode::NOT_FOUND,
            "unknown-policy",
            "no such policy",
            format!("no policy `{name}` is served"),
        )
        .with_code("bylaw::serve::unknown_policy")
        .with_hint(hint)
    }

    /// A failure of the server itself, never of the request: 500.
    pub fn internal(detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server failed to answer",
            detail,
        )
        .with_code("bylaw::serve::internal")
        .with_hint("this is a bug in Bylaw: report it with the request id")
    }

    /// The data problems of records read from `field` (`records`, or `record` for a
    /// single object), each located by its path in the request body.
    pub fn data(errors: &DataErrors, field: &str) -> Problem {
        let items: Vec<ProblemItem> = errors.errors.iter().map(|e| data_item(e, field)).collect();
        let total = errors.total();
        let first = items.first();
        let detail = match (first, total) {
            (Some(f), 1) => f.message.clone(),
            (Some(f), n) => format!("{} (and {} more)", f.message, n - 1),
            (None, _) => "the records could not be read".to_string(),
        };
        let mut problem = Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-records",
            "records that do not fit the policy's input schema",
            detail,
        );
        if let Some(f) = first {
            problem.0.code = Some(f.code.clone());
            problem.0.json_path.clone_from(&f.json_path);
            problem.0.hint.clone_from(&f.hint);
        }
        problem.0.errors = items;
        problem
    }

    pub fn with_code(mut self, code: &str) -> Problem {
        self.0.code = Some(code.to_string());
        self
    }

    pub fn at(mut self, json_path: impl Into<String>) -> Problem {
        self.0.json_path = Some(json_path.into());
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Problem {
        self.0.hint = Some(hint.into());
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The body.
    pub fn details(&self) -> &ProblemDetails {
        &self.0
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = serde_json::to_vec(&*self.0).unwrap_or_else(|_| b"{}".to_vec());
        (
            status,
            [(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON))],
            body,
        )
            .into_response()
    }
}

/// A data error of the records in the body's `field`, its path made a path in the body.
fn data_item(e: &DataError, field: &str) -> ProblemItem {
    ProblemItem {
        code: e.code().to_string(),
        message: e.message.clone(),
        json_path: e.json_path.as_deref().map(|p| body_path(p, field)),
        value: e.value.clone(),
        hint: e.help.clone(),
    }
}

/// The reader's path in the array of records (`$[3].income`) as a path in the body:
/// `$.records[3].income`, or for the single object of `record`, `$.record.income`.
pub(crate) fn body_path(reader_path: &str, field: &str) -> String {
    let rest = reader_path.strip_prefix('$').unwrap_or(reader_path);
    if field == "record" {
        let inner = rest.strip_prefix("[0]").unwrap_or(rest);
        format!("$.record{inner}")
    } else {
        format!("$.{field}{rest}")
    }
}

/// The name in `names` nearest to `name`, if one is near enough to be a likely typo.
pub(crate) fn nearest<'a>(name: &str, names: &[&'a str]) -> Option<&'a str> {
    names
        .iter()
        .map(|n| (strsim::jaro_winkler(name, n), *n))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, n)| n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_paths_become_body_paths() {
        assert_eq!(
            body_path("$[3].members[0].income", "records"),
            "$.records[3].members[0].income"
        );
        assert_eq!(body_path("$[0].income", "record"), "$.record.income");
        assert_eq!(body_path("$[0]", "record"), "$.record");
    }

    #[test]
    fn a_typo_finds_its_policy() {
        assert_eq!(
            nearest("guangdong_dibo", &["guangdong_dibao", "x"]),
            Some("guangdong_dibao")
        );
        assert_eq!(nearest("zzz", &["guangdong_dibao"]), None);
    }
}
