//! `ApiError`, the one error type of admin-service's handlers, and its
//! mapping to problem+json in a single exhaustive `match`. Server-side causes
//! are logged here, once, and never sent to the client.

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
};
use platform::Problem;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The object does not exist, or belongs to another tenant.
    #[error("not found")]
    NotFound,
    /// A request the client must correct; already in problem form.
    #[error("{}", .0.code())]
    Client(Problem),
    /// The route's family of tokens is not configured.
    #[error("route disabled")]
    Disabled,
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
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
            Self::Disabled => Problem::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "This route is not enabled on this deployment.",
            ),
            Self::Database(error) => database_problem(&error),
        }
        .into_response()
    }
}

/// A database that is away or saturated is a 503 the client may retry; any
/// other database error is our bug.
fn database_problem(error: &sqlx::Error) -> Problem {
    match error {
        sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
            tracing::warn!(%error, "database unavailable");
            Problem::unavailable(
                "database_unavailable",
                "The database is temporarily unavailable; retry shortly.",
                1,
            )
        }
        _ => {
            tracing::error!(%error, "database error");
            Problem::internal()
        }
    }
}
