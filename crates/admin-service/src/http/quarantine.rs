//! `GET /v1/ingest/quarantine` and `POST /v1/ingest/quarantine/{id}/replay`:
//! the sale events the ingest rejected, kept by reseller-service, and their
//! replay (audited around the call).

use axum::{extract::State, Json};
use platform::http::extract::{AppPath, AppQuery};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use super::auth::{Admin, AnyRole, OwnerRole};
use crate::{audit::audited, db::audit::Entry, reseller_api::query_pairs, ApiError, AppState};

#[derive(Debug, Deserialize)]
pub struct ListQuarantine {
    limit: Option<u32>,
    cursor: Option<String>,
    status: Option<String>,
}

/// `GET /v1/ingest/quarantine`: filter `status` (`open`, `replayed`).
pub async fn list_quarantine(
    State(state): State<AppState>,
    _admin: Admin<AnyRole>,
    AppQuery(q): AppQuery<ListQuarantine>,
) -> Result<Json<Value>, ApiError> {
    let query = query_pairs(&[
        ("limit", q.limit.map(|l| l.to_string())),
        ("cursor", q.cursor),
        ("status", q.status),
    ]);
    state
        .reseller
        .get("/internal/v1/ingest/quarantine", &query)
        .await
        .map(Json)
}

/// `POST /v1/ingest/quarantine/{id}/replay`.
pub async fn replay_quarantined(
    State(state): State<AppState>,
    owner: Admin<OwnerRole>,
    AppPath(id): AppPath<Uuid>,
) -> Result<Json<Value>, ApiError> {
    audited(
        &state,
        &owner.actor(),
        Entry {
            action: "quarantine.replay",
            target_type: "quarantined_event",
            target_id: Some(id.to_string()),
            ..Entry::default()
        },
        state.reseller.post(
            &format!("/internal/v1/ingest/quarantine/{id}/replay"),
            &serde_json::json!({}),
        ),
        |outcome: &Value| (None, Some(outcome.clone())),
    )
    .await
    .map(Json)
}
