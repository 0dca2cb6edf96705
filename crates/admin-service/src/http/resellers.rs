//! `GET /v1/resellers`, `GET /v1/resellers/{reseller_id}` and moderation
//! (`approve`, `suspend` with a reason, `reactivate`), all carried out by
//! reseller-service's internal API and audited around the call. A suspended
//! reseller's keys are refused by reseller-service on their next request.

use axum::{extract::State, Json};
use platform::http::extract::AppJson;
use platform::http::extract::{AppPath, AppQuery};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::{
    auth::{Admin, AnyRole, OwnerRole},
    schemas::{ProblemSchema, Reseller, ResellerStatus},
};
use crate::{
    audit::audited,
    db::audit::Entry,
    reseller_api::{query_pairs, Change},
    ApiError, AppState,
};

#[derive(Debug, Deserialize, Serialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListResellers {
    /// Page size: 1 to 500, 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^(?:[A-Za-z0-9_-]{22})?$")]
    cursor: Option<String>,
    /// Only resellers with this status.
    #[param(value_type = Option<ResellerStatus>)]
    status: Option<String>,
    /// Search in the name, contact e-mail and legal name, without regard to
    /// case; at most 200 characters, no NUL.
    #[param(max_length = 200, pattern = r"^[^\x00]*$")]
    q: Option<String>,
}

/// `GET /v1/resellers`: filter `status`, search `q`.
#[utoipa::path(
    get,
    path = "/v1/resellers",
    tag = "resellers",
    operation_id = "list_resellers",
    summary = "All resellers; filter `status`, search `q`.",
    description = "Any admin role (`viewer`, `support`, `owner`). Read from reseller-service.",
    params(ListResellers),
    security(("admin_session" = [])),
    responses(
        (status = 200, description = "A page of resellers.", body = platform::pagination::Page<super::schemas::Reseller>),
        (status = 422, description = "`status` is not one of the statuses, or `q` is longer than 200 characters.", content_type = "application/problem+json", body = ProblemSchema),
    ),
)]
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
#[utoipa::path(
    get,
    path = "/v1/resellers/{reseller_id}",
    tag = "resellers",
    operation_id = "get_reseller",
    summary = "One reseller.",
    description = "Any admin role (`viewer`, `support`, `owner`).",
    params(("reseller_id" = Uuid, Path, description = "The reseller.")),
    security(("admin_session" = [])),
    responses((status = 200, description = "The reseller.", body = Reseller)),
)]
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
#[utoipa::path(
    post,
    path = "/v1/resellers/{reseller_id}/approve",
    tag = "resellers",
    operation_id = "approve_reseller",
    summary = "Approve a pending reseller: it becomes `active`.",
    description = "Owner only. Audited.",
    params(("reseller_id" = Uuid, Path, description = "The reseller.")),
    security(("admin_session" = [])),
    responses(
        (status = 200, description = "The reseller after the change.", body = Reseller),
        (status = 409, description = "`invalid_transition`: the reseller's status does not allow this.", content_type = "application/problem+json", body = ProblemSchema),
    ),
)]
pub async fn approve_reseller(
    State(state): State<AppState>,
    owner: Admin<OwnerRole>,
    AppPath(reseller_id): AppPath<Uuid>,
) -> Result<Json<Value>, ApiError> {
    moderate(&state, &owner, reseller_id, "approve", None).await
}

/// A suspension.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "reason": "Chargebacks under investigation." }))]
pub struct Suspension {
    #[schema(schema_with = super::schemas::suspension_reason)]
    reason: String,
}

/// `POST /v1/resellers/{reseller_id}/suspend` with a `reason`.
#[utoipa::path(
    post,
    path = "/v1/resellers/{reseller_id}/suspend",
    tag = "resellers",
    operation_id = "suspend_reseller",
    summary = "Suspend a pending or active reseller, with a reason: its keys are refused from its next request on.",
    description = "Owner only. Audited with the reason.",
    params(("reseller_id" = Uuid, Path, description = "The reseller.")),
    request_body = Suspension,
    security(("admin_session" = [])),
    responses(
        (status = 200, description = "The reseller after the change.", body = Reseller),
        (status = 409, description = "`invalid_transition`: the reseller is already suspended.", content_type = "application/problem+json", body = ProblemSchema),
        (status = 422, description = "`reason` is missing or invalid.", content_type = "application/problem+json", body = ProblemSchema),
    ),
)]
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
#[utoipa::path(
    post,
    path = "/v1/resellers/{reseller_id}/reactivate",
    tag = "resellers",
    operation_id = "reactivate_reseller",
    summary = "Reactivate a suspended reseller: it becomes `active` and its keys work again.",
    description = "Owner only. Audited.",
    params(("reseller_id" = Uuid, Path, description = "The reseller.")),
    security(("admin_session" = [])),
    responses(
        (status = 200, description = "The reseller after the change.", body = Reseller),
        (status = 409, description = "`invalid_transition`: the reseller's status does not allow this.", content_type = "application/problem+json", body = ProblemSchema),
    ),
)]
pub async fn reactivate_reseller(
    State(state): State<AppState>,
    owner: Admin<OwnerRole>,
    AppPath(reseller_id): AppPath<Uuid>,
) -> Result<Json<Value>, ApiError> {
    moderate(&state, &owner, reseller_id, "reactivate", None).await
}
