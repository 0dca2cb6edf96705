//! `ApiError`, the one error type of admin-service's handlers, and its
//! mapping to problem+json in a single exhaustive `match`. Server-side causes
//! are logged here, once, and never sent to the client.

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
};
use platform::{FieldError, Problem};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The object does not exist.
    #[error("not found")]
    NotFound,
    /// A request the client must correct; already in problem form.
    #[error("{}", .0.code())]
    Client(Problem),
    /// Missing, unknown or expired credentials.
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),
    /// Authenticated, but the admin's role does not allow this route.
    #[error("forbidden")]
    Forbidden,
    /// The route's family of tokens is not configured.
    #[error("route disabled")]
    Disabled,
    /// reseller-service could not be reached or failed; the cause is logged.
    #[error("reseller-service: {0}")]
    Upstream(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A bug of ours; the cause is logged.
    #[error("internal: {0}")]
    Internal(String),
}

impl ApiError {
    /// 422 for one invalid field.
    pub fn invalid(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        Self::Client(Problem::validation(vec![FieldError::new(
            field, code, message,
        )]))
    }

    /// 409 with a stable code.
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Client(Problem::new(StatusCode::CONFLICT, code, detail))
    }
}

impl From<Problem> for ApiError {
    fn from(problem: Problem) -> Self {
        Self::Client(problem)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::NotFound => Problem::new(StatusCode::NOT_FOUND, "not_found", "No such resource."),
            Self::Client(problem) => problem,
            Self::Unauthorized(detail) => {
                Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
            }
            Self::Forbidden => Problem::new(
                StatusCode::FORBIDDEN,
                "insufficient_role",
                "Your role does not allow this action.",
            ),
            Self::Disabled => Problem::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "This route is not enabled on this deployment.",
            ),
            Self::Upstream(cause) => {
                tracing::warn!(%cause, "reseller-service unavailable");
                Problem::unavailable(
                    "reseller_service_unavailable",
                    "reseller-service is temporarily unavailable; retry shortly.",
                    2,
                )
            }
            Self::Database(error) => platform::db::error_problem(&error),
            Self::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                Problem::internal()
            }
        }
        .into_response()
    }
}
