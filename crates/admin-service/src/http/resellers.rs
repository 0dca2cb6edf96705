//! `GET /v1/resellers`, `GET /v1/resellers/{reseller_id}` and moderation
//! (`approve`, `suspend` with a reason, `reactivate`), all carried out by
//! reseller-service's internal API and audited around the call. A suspended
//! reseller's keys are refused by reseller-service on their next request.

use axum::{extract::State, Json};
use platform::http::extract::{AppJson, AppPath, AppQuery};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::auth::{Admin, AnyRole, OwnerRole};
use crate::{
    audit::audited,
    db::audit::Entry,
    reseller_api::{query_pairs, Change},
    ApiError, AppState,
};

#[derive(Debug, Deserialize, Serialize)]
pub struct ListResellers {
    limit: Option<u32>,
    cursor: Option<String>,
    status: Option<String>,
    q: Option<String>,
}

/// `GET /v1/resellers`: filter `status`, search `q`.
pub async fn list_resellers(
    State(state): State<AppState>,
    _admin: Admin<AnyRole>,
    AppQuery(q): AppQuery<ListResellers>,
) -> Result<Json<Value>, ApiError> {
    let query = query_pairs(&[
        ("limit", q.limit.map(|l| l.to_string())),
        ("cursor", q.cursor),
        ("status", q.status),
        ("q", q.q),
    ]);
    state
        .reseller
        .get("/internal/v1/resellers", &query)
        .await
        .map(Json)
}

/// `GET /v1/resellers/{reseller_id}`.
pub async fn get_reseller(
    State(state): State<AppState>,
    _admin: Admin<AnyRole>,
    AppPath(reseller_id): AppPath<Uuid>,
) -> Result<Json<Value>, ApiError> {
    state
        .reseller
        .get(&format!("/internal/v1/resellers/{reseller_id}"), &[])
        .await
        .map(Json)
}

async fn moderate(
    state: &AppState,
    owner: &Admin<OwnerRole>,
    reseller_id: Uuid,
    decision: &'static str,
    reason: Option<String>,
) -> Result<Json<Value>, ApiError> {
    let action = match decision {
        "approve" => "reseller.approve",
        "suspend" => "reseller.suspend",
        _ => "reseller.reactivate",
    };
    let path = format!("/internal/v1/resellers/{reseller_id}/{decision}");
    let body = match &reason {
        Some(reason) => serde_json::json!({ "reason": reason }),
        None => serde_json::json!({}),
    };
    let change: Change = audited(
        state,
        &owner.actor(),
        Entry {
            action,
            target_type: "reseller",
            target_id: Some(reseller_id.to_string()),
            reason,
            ..Entry::default()
        },
        state.reseller.post(&path, &body),
        |c: &Change| (Some(c.before.clone()), Some(c.after.clone())),
    )
    .await?;
    Ok(Json(change.after))
}

/// `POST /v1/resellers/{reseller_id}/approve`.
pub async fn approve_reseller(
    State(state): State<AppState>,
    owner: Admin<OwnerRole>,
    AppPath(reseller_id): AppPath<Uuid>,
) -> Result<Json<Value>, ApiError> {
    moderate(&state, &owner, reseller_id, "approve", None).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suspension {
    reason: String,
}

/// `POST /v1/resellers/{reseller_id}/suspend` with a `reason`.
pub async fn suspend_reseller(
    State(state): State<AppState>,
    owner: Admin<OwnerRole>,
    AppPath(reseller_id): AppPath<Uuid>,
    AppJson(body): AppJson<Suspension>,
) -> Result<Json<Value>, ApiError> {
    let reason = domain::text::bounded(&body.reason, 1, 500)
        .map_err(|(code, message)| ApiError::invalid("reason", code, message))?;
    moderate(&state, &owner, reseller_id, "suspend", Some(reason)).await
}

/// `POST /v1/resellers/{reseller_id}/reactivate`.
pub async fn reactivate_reseller(
    State(state): State<AppState>,
    owner: Admin<OwnerRole>,
    AppPath(reseller_id): AppPath<Uuid>,
) -> Result<Json<Value>, ApiError> {
    moderate(&state, &owner, reseller_id, "reactivate", None).await
}
