//! How database failures are answered: a database that is away or ends the
//! session is a 503 with `Retry-After` (the client retries), never a 500.

use axum::{http::StatusCode, response::IntoResponse};
use reseller_service::ApiError;
use test_support::TestDatabase;

/// Regression (issue #8, `loadgen faults` db-restart): a fast shutdown of
/// PostgreSQL (`pg_ctl stop`, a service manager's restart) ends every
/// session with SQLSTATE 57P01, and in-flight ingest batches were answered
/// 500 instead of 503. `pg_terminate_backend` ends a session the same way.
#[tokio::test]
async fn a_session_ended_by_the_server_is_a_503_with_retry_after() {
    let db = TestDatabase::new().await;
    let mut conn = db.superuser_connection().await;
    let error = sqlx::query("SELECT pg_terminate_backend(pg_backend_pid())")
        .execute(&mut conn)
        .await
        .expect_err("the session ends");
    assert!(
        matches!(&error, sqlx::Error::Database(e) if e.code().as_deref() == Some("57P01")),
        "{error:?}"
    );
    let response = ApiError::Database(error).into_response();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "1");
}

#[tokio::test]
async fn a_failing_query_is_still_a_500() {
    let db = TestDatabase::new().await;
    let mut conn = db.superuser_connection().await;
    let error = sqlx::query("SELECT 1 / 0")
        .execute(&mut conn)
        .await
        .expect_err("division by zero");
    let response = ApiError::Database(error).into_response();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
}
