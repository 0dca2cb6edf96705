//! The HTTP scaffold every service router is wrapped in: request ids and
//! request logging, problem+json for every error the framework or a layer
//! produces, a request timeout, a body limit, and panics answered as 500s.

pub mod extract;
pub mod request_id;
pub mod routes;

use std::time::Duration;

use axum::{
    extract::{DefaultBodyLimit, Request, State},
    http::{header, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    Router,
};
use tower_http::catch_panic::CatchPanicLayer;

use crate::problem::{Problem, PROBLEM_JSON};

/// Limits applied to every request.
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    /// Largest body an extractor will buffer; larger answers 413.
    pub max_body_bytes: usize,
    /// How long a request may take before it is answered 503.
    pub request_timeout: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            max_body_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// Wraps a service's routes in the standard layers and gives it the 404
/// fallback. Call it last, after every route is added.
pub fn standard_layers(router: Router, limits: HttpLimits) -> Router {
    router
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        .layer(CatchPanicLayer::custom(on_panic))
        .layer(middleware::from_fn_with_state(
            limits.request_timeout,
            request_timeout,
        ))
        .layer(middleware::from_fn(problem_for_bare_errors))
        .layer(middleware::from_fn(request_id::middleware))
        .layer(middleware::from_fn(crate::metrics::track_requests))
}

async fn not_found() -> Problem {
    Problem::for_status(StatusCode::NOT_FOUND)
}

fn on_panic(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    tracing::error!(panic = %message, "handler panicked");
    Problem::internal().into_response()
}

async fn request_timeout(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(timeout_ms = limit.as_millis() as u64, "request timed out");
            Problem::unavailable(
                "request_timeout",
                format!(
                    "The request did not complete within {} seconds.",
                    limit.as_secs()
                ),
                1,
            )
            .into_response()
        }
    }
}

/// Gives a problem+json body to any error response that lacks one: axum's
/// own 405 and 413, and whatever a layer answers with a bare status.
async fn problem_for_bare_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_error = status.is_client_error() || status.is_server_error();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if !is_error || is_problem {
        return response;
    }
    let mut problem =
        Problem::for_status(status).allow(response.headers().get(header::ALLOW).cloned());
    if let Some(secs) = response
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
    {
        problem = problem.retry_after(secs);
    }
    problem.into_response()
}
