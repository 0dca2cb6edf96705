//! `ApiError`, the one error type of reseller-service's handlers, and its
//! mapping to problem+json in a single exhaustive `match`. Server-side causes
//! are logged here, once, and never sent to the client.

use std::time::Duration;

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
};
use domain::Violations;
use platform::{FieldError, Problem};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Missing or bad credentials.
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),
    /// Authenticated, but not allowed.
    #[error("forbidden: {code}")]
    Forbidden { code: &'static str, detail: String },
    /// The object does not exist, or belongs to another tenant.
    #[error("not found")]
    NotFound,
    /// The request conflicts with the current state.
    #[error("conflict: {code}")]
    Conflict { code: &'static str, detail: String },
    /// `If-Match` names a version that is no longer current.
    #[error("version mismatch")]
    VersionMismatch { current: i64 },
    #[error("validation failed")]
    Validation(Violations),
    /// A request the client must correct, already in problem form.
    #[error("{}", .0.code())]
    Client(Problem),
    #[error("rate limited")]
    RateLimited(Duration),
    /// Every ingest slot is busy: shed load at once.
    #[error("overloaded")]
    Overloaded,
    /// The route's family of tokens is not configured.
    #[error("route disabled")]
    Disabled,
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("internal: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn forbidden(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Forbidden {
            code,
            detail: detail.into(),
        }
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            detail: detail.into(),
        }
    }

    /// A single invalid field.
    pub fn invalid(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        let mut v = Violations::new();
        v.add(field, code, message);
        Self::Validation(v)
    }
}

impl From<Problem> for ApiError {
    fn from(problem: Problem) -> Self {
        Self::Client(problem)
    }
}

impl From<Violations> for ApiError {
    fn from(violations: Violations) -> Self {
        Self::Validation(violations)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::Unauthorized(detail) => Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", detail),
            Self::Forbidden { code, detail } => Problem::new(StatusCode::FORBIDDEN, code, detail),
            Self::NotFound => Problem::new(StatusCode::NOT_FOUND, "not_found", "No such resource."),
            Self::Conflict { code, detail } => Problem::new(StatusCode::CONFLICT, code, detail),
            Self::VersionMismatch { current } => Problem::new(
                StatusCode::PRECONDITION_FAILED,
                "version_mismatch",
                format!("The resource was changed meanwhile; its current version is {current}. Read it again and retry."),
            ),
            Self::Validation(violations) => Problem::validation(
                violations
                    .0
                    .into_iter()
                    .map(|v| FieldError::new(v.field, v.code, v.message))
                    .collect(),
            ),
            Self::Client(problem) => problem,
            Self::RateLimited(wait) => Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "Too many requests from this client; retry later.",
            )
            .retry_after(wait.as_secs().max(1)),
            Self::Overloaded => {
                platform::metrics::count(
                    "load_shed_total",
                    "Requests refused with 503 because the service was at its limit.",
                    &[],
                    1,
                );
                Problem::unavailable(
                    "overloaded",
                    "The service is at its ingest capacity; retry the same batch shortly.",
                    1,
                )
            }
            Self::Disabled => Problem::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "This route is not enabled on this deployment.",
            ),
            Self::Database(error) => platform::db::error_problem(&error),
            Self::Internal(reason) => {
                tracing::error!(%reason, "internal error");
                Problem::internal()
            }
        }
        .into_response()
    }
}
