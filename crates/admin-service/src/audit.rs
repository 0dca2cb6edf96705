//! Auditing a change that reseller-service carries out: the row is committed
//! (`pending`) before the call, so no change can happen unrecorded, and the
//! outcome (with the before/after reseller-service answers) is appended after
//! it. A row left `pending` means the outcome is unknown (admin-service or its
//! database failed between the two), never that nothing was recorded.

use std::future::Future;

use serde_json::Value;

use crate::{
    db::{
        self,
        audit::{Actor, Entry},
    },
    ApiError, AppState,
};

/// Runs `call` between a pending audit row and its outcome. `states` gives
/// the (before, after) to record from a successful answer.
pub async fn audited<T>(
    state: &AppState,
    actor: &Actor,
    entry: Entry,
    call: impl Future<Output = Result<T, ApiError>>,
    states: impl FnOnce(&T) -> (Option<Value>, Option<Value>),
) -> Result<T, ApiError> {
    let mut conn = state.db.acquire().await?;
    let audit_id = db::audit::record(
        &mut conn,
        actor,
        Entry {
            outcome: "pending",
            ..entry
        },
    )
    .await?;
    drop(conn); // not held across the call
    let result = call.await;
    let mut conn = state.db.acquire().await?;
    match &result {
        Ok(value) => {
            db::audit::complete(&mut conn, audit_id, "succeeded", states(value), None).await?
        }
        Err(error) => {
            db::audit::complete(
                &mut conn,
                audit_id,
                "failed",
                (None, None),
                Some(describe(error)),
            )
            .await?
        }
    }
    result
}

/// A short, secret-free description of why a call failed.
fn describe(error: &ApiError) -> String {
    match error {
        ApiError::Client(problem) => problem.code().to_owned(),
        ApiError::NotFound => "not_found".to_owned(),
        ApiError::Upstream(_) => "reseller_service_unavailable".to_owned(),
        other => other.to_string(),
    }
}

/// A value as the audit log stores it.
pub fn snapshot(value: &impl serde::Serialize) -> Result<Value, ApiError> {
    serde_json::to_value(value).map_err(|e| ApiError::Internal(e.to_string()))
}
