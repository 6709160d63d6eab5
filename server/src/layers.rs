//! The tower layers around every route: request ids and their tracing spans, limits
//! (body size, concurrency, time), panics caught, and every error response that is
//! not already a problem (an unknown route, a body over the limit, a timeout) turned
//! into one, so that a client sees a single error format.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower::limit::GlobalConcurrencyLimitLayer;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::Config;
use crate::problem::{PROBLEM_JSON, Problem};

/// `routes` with every layer.
pub(crate) fn wrap(routes: Router, config: &Config) -> Router {
    let max_body = config.max_body;
    let timeout_secs = config.timeout.as_secs_f64();
    // Each layer wraps the ones added before it: the body limit is innermost, the
    // request id outermost (so every log line and every answer carries it).
    routes
        // axum's own limit (2 MB) would answer before the configured one.
        .layer(DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(max_body))
        .layer(GlobalConcurrencyLimitLayer::new(config.max_concurrent))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            config.timeout,
        ))
        .layer(CatchPanicLayer::custom(
            |_panic: Box<dyn std::any::Any + Send>| {
                tracing::error!("a handler panicked");
                Problem::internal("the request's handler stopped unexpectedly").into_response()
            },
        ))
        .layer(axum::middleware::map_response(
            move |response: Response| async move { as_problem(response, max_body, timeout_secs) },
        ))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(span)
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(SetRequestIdLayer::x_request_id(Sequential::new()))
}

/// The span of one request, carrying its id.
fn span(request: &Request<Body>) -> tracing::Span {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    tracing::info_span!("request", method = %request.method(), uri = %request.uri(), request_id = %id)
}

/// Request ids unique to this process and unlikely to repeat across restarts: the
/// start time in seconds, then a counter.
#[derive(Clone)]
struct Sequential {
    start: u64,
    next: Arc<AtomicU64>,
}

impl Sequential {
    fn new() -> Sequential {
        Sequential {
            start: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            next: Arc::new(AtomicU64::new(1)),
        }
    }
}

impl MakeRequestId for Sequential {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("{:x}-{n}", self.start))
            .ok()
            .map(RequestId::new)
    }
}

/// An error response that a layer or the router made (plain text or empty), as a problem.
fn as_problem(response: Response, max_body: usize, timeout_secs: f64) -> Response {
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return response;
    }
    let problem = match status {
        StatusCode::NOT_FOUND => Problem::new(
            status,
            "no-route",
            "no such route",
            "no endpoint at this path",
        )
        .with_code("bylaw::serve::no_route")
        .with_hint("the routes are listed in GET /openapi.json"),
        StatusCode::METHOD_NOT_ALLOWED => Problem::new(
            status,
            "method-not-allowed",
            "method not allowed",
            "the endpoint does not take this method",
        )
        .with_code("bylaw::serve::method_not_allowed")
        .with_hint("the methods are listed in GET /openapi.json"),
        StatusCode::PAYLOAD_TOO_LARGE => Problem::new(
            status,
            "body-too-large",
            "the request body is too large",
            format!("the body is larger than this server's limit of {max_body} bytes"),
        )
        .with_code("bylaw::serve::body_too_large")
        .with_hint("send fewer records per request, or start the server with a larger --max-body"),
        StatusCode::SERVICE_UNAVAILABLE => Problem::new(
            status,
            "timeout",
            "the request took too long",
            format!("the request was not answered within {timeout_secs} seconds"),
        )
        .with_code("bylaw::serve::timeout")
        .with_hint("send fewer records per request, or start the server with a longer --timeout"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE | StatusCode::BAD_REQUEST => Problem::new(
            status,
            "bad-request",
            "the request cannot be read",
            status.canonical_reason().unwrap_or("bad request"),
        )
        .with_code("bylaw::serve::bad_request"),
        _ => Problem::new(
            status,
            "http",
            status.canonical_reason().unwrap_or("error"),
            status.canonical_reason().unwrap_or("error"),
        ),
    };
    problem.into_response()
}
