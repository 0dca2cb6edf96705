//! `GET /v1/ingest/quarantine` and `POST /v1/ingest/quarantine/{id}/replay`:
//! the sale events the ingest rejected, kept by reseller-service, and their
//! replay (audited around the call).

use axum::{extract::State, Json};
use platform::http::extract::{AppPath, AppQuery};
use serde::Deserialize;
use serde_json::{value::RawValue, Value};
use uuid::Uuid;

use super::{
    auth::{Admin, AnyRole, OwnerRole},
    schemas::{ProblemSchema, QuarantineStatus, ReplayOutcome},
};
use crate::{audit::audited, db::audit::Entry, reseller_api::query_pairs, ApiError, AppState};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuarantine {
    /// Page size: 1 to 500, 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^(?:[A-Za-z0-9_-]{22})?$")]
    cursor: Option<String>,
    /// Only entries with this status.
    #[param(value_type = Option<QuarantineStatus>)]
    status: Option<String>,
}

/// `GET /v1/ingest/quarantine`: filter `status` (`open`, `replayed`).
#[utoipa::path(
    get,
    path = "/v1/ingest/quarantine",
    tag = "resellers",
    operation_id = "list_quarantine",
    summary = "Sale events the ingest rejected, kept for replay.",
    description = "Any admin role (`viewer`, `support`, `owner`). Filter `status`.",
    params(ListQuarantine),
    security(("admin_session" = [])),
    responses(
        (status = 200, description = "A page of quarantined events.", body = platform::pagination::Page<super::schemas::QuarantineEntry>),
        (status = 422, description = "`status` is not one of the statuses.", content_type = "application/problem+json", body = ProblemSchema),
    ),
)]
pub async fn list_quarantine(
    State(state): State<AppState>,
    _admin: Admin<AnyRole>,
    AppQuery(q): AppQuery<ListQuarantine>,
) -> Result<Json<Box<RawValue>>, ApiError> {
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

/// The pages and outcomes are passed on as reseller-service wrote them, never
/// parsed: a quarantined event may hold a number no `f64` can (`1e400`),
/// which `serde_json::Value` refuses. The audit log keeps such an outcome
/// as its JSON text.
fn audit_value(outcome: &RawValue) -> Value {
    serde_json::from_str(outcome.get()).unwrap_or_else(|_| Value::String(outcome.get().to_owned()))
}

/// `POST /v1/ingest/quarantine/{id}/replay`.
#[utoipa::path(
    post,
    path = "/v1/ingest/quarantine/{quarantine_id}/replay",
    tag = "resellers",
    operation_id = "replay_quarantined",
    summary = "Run a quarantined event through the ingest again.",
    description = "Owner only. Accepted (or found already stored) closes the entry; still failing keeps it open with the new reason. Audited.",
    params(("quarantine_id" = Uuid, Path, description = "The quarantined event.")),
    security(("admin_session" = [])),
    responses(
        (status = 200, description = "What the replay did.", body = ReplayOutcome),
        (status = 409, description = "`already_replayed`: the entry was replayed before.", content_type = "application/problem+json", body = ProblemSchema),
    ),
)]
pub async fn replay_quarantined(
    State(state): State<AppState>,
    owner: Admin<OwnerRole>,
    AppPath(id): AppPath<Uuid>,
) -> Result<Json<Box<RawValue>>, ApiError> {
    audited(
        &state,
        &owner.actor(),
        Entry {
            action: "quarantine.replay",
            target_type: "quarantined_event",
            target_id: Some(id.to_string()),
            ..Entry::default()
        },
        state.reseller.post::<Box<RawValue>>(
            &format!("/internal/v1/ingest/quarantine/{id}/replay"),
            &serde_json::json!({}),
        ),
        |outcome| (None, Some(audit_value(outcome))),
    )
    .await
    .map(Json)
}
