//! The HTTP interface: the routes, the state every handler shares, the OpenAPI
//! document generated from the request and response types, and the health checks.
//! Handlers parse and check a request on the async runtime, then evaluate on a
//! blocking thread, so a long batch never stalls other connections.

mod body;
mod evaluate;
mod explain;
mod policies;
pub mod types;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use utoipa::OpenApi;

use crate::Config;
use crate::problem::{Problem, ProblemDetails, ProblemItem};
use crate::registry::{Registry, Served};

/// What every handler shares.
#[derive(Clone)]
pub(crate) struct AppState {
    pub registry: Arc<Registry>,
    pub config: Arc<Config>,
    /// Set when shutdown begins: `/readyz` then says not ready, so that a load
    /// balancer stops sending requests while the ones in flight finish.
    pub draining: Arc<AtomicBool>,
}

impl AppState {
    /// The policy named `name`, or the 404 problem.
    pub(crate) fn served(&self, name: &str) -> Result<&Served, Problem> {
        self.registry
            .get(name)
            .ok_or_else(|| Problem::unknown_policy(name, &self.registry.names()))
    }
}

/// Runs `work` on a blocking thread. A panic there (a bug) is a 500 problem, never a
/// dropped connection.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Problem> + Send + 'static,
) -> Result<T, Problem> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result,
        Err(e) => {
            tracing::error!(error = %e, "a request's evaluation panicked");
            Err(Problem::internal("the evaluation stopped unexpectedly"))
        }
    }
}

/// The routes, with their state.
pub(crate) fn routes(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/openapi.json", get(openapi))
        .route("/v1/policies", get(policies::list))
        .route("/v1/policies/{name}/evaluate", post(evaluate::evaluate))
        .route("/v1/policies/{name}/why", post(explain::why))
        .route("/v1/policies/{name}/explain", get(explain::explain))
        .fallback(no_route)
        .with_state(state)
}

/// Any other path.
async fn no_route() -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "no-route",
        "no such route",
        "no endpoint at this path",
    )
    .with_code("bylaw::serve::no_route")
    .with_hint("the routes are listed in GET /openapi.json")
}

/// Whether the process answers at all.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, description = "ok", body = String)))]
async fn healthz() -> &'static str {
    "ok"
}

/// Whether the server takes requests: its policies are loaded (a server starts only
/// once they are), and it is not shutting down.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "health",
    responses(
        (status = 200, description = "ready", body = String),
        (status = 503, description = "shutting down", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
async fn readyz(State(state): State<AppState>) -> Result<&'static str, Problem> {
    if state.draining.load(Ordering::Relaxed) {
        Err(Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "draining",
            "shutting down",
            "the server is shutting down: it answers the requests in flight and takes no more",
        )
        .with_code("bylaw::serve::draining"))
    } else {
        Ok("ready")
    }
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "health", responses((status = 200, description = "The OpenAPI document", body = Object)))]
async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// The OpenAPI document of every route.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Bylaw",
        description = "Social-assistance policies checked and compiled to native code, served: evaluate households, explain policies and decisions. Errors are RFC 9457 problem details."
    ),
    paths(
        healthz,
        readyz,
        openapi,
        policies::list,
        evaluate::evaluate,
        explain::why,
        explain::explain
    ),
    components(schemas(ProblemDetails, ProblemItem)),
    tags(
        (name = "policies", description = "The policies served"),
        (name = "health", description = "Liveness, readiness and this document")
    )
)]
pub(crate) struct ApiDoc;
