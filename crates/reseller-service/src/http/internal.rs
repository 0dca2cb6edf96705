//! The internal API admin-service calls with `INTERNAL_TOKEN`: the list of
//! resellers and their moderation. Moderation answers the account before and
//! after the change, for admin-service's audit log.

use axum::{extract::State, Json};
use domain::{
    reseller::{Moderation, ResellerStatus},
    text,
};
use platform::{
    http::extract::{AppJson, AppPath, AppQuery},
    pagination::{Page, PageQuery},
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::auth::InternalCaller;
use crate::{
    db::{self, resellers::Reseller},
    ApiError, AppState,
};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListResellers {
    /// Page size: 1 to 500, 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^(?:[A-Za-z0-9_-]{22})?$")]
    cursor: Option<String>,
    #[param(inline, value_type = Option<ResellerStatus>)]
    status: Option<String>,
    /// Searches name, contact e-mail and legal name, case-insensitive; no
    /// NUL.
    #[param(max_length = 200, pattern = r"^[^\x00]*$")]
    q: Option<String>,
}

/// `GET /internal/v1/resellers`: filter `status`, search `q` (name, contact
/// or legal name, case-insensitive).
#[utoipa::path(
    get,
    path = "/internal/v1/resellers",
    tag = "internal",
    operation_id = "list_resellers",
    summary = "Every reseller, oldest first.",
    params(
        ListResellers
    ),
    responses(
        (status = 200, description = "A page of resellers.", body = platform::pagination::Page<crate::db::resellers::Reseller>)
    ),
    security(("internal_token" = []))
)]
pub async fn list_resellers(
    State(state): State<AppState>,
    _caller: InternalCaller,
    AppQuery(query): AppQuery<ListResellers>,
) -> Result<Json<Page<Reseller>>, ApiError> {
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    };
    let limit = page.limit()?;
    if let Some(status) = &query.status {
        if ResellerStatus::parse(status).is_none() {
            return Err(ApiError::invalid(
                "status",
                "invalid_choice",
                "must be one of pending, active, suspended",
            ));
        }
    }
    if query.q.as_ref().is_some_and(|q| q.chars().count() > 200) {
        return Err(ApiError::invalid(
            "q",
            "too_long",
            "must have at most 200 characters",
        ));
    }
    let filter = db::resellers::ListFilter {
        status: query.status,
        q: query.q.filter(|q| !q.trim().is_empty()),
        after: page.cursor_uuid()?,
        limit,
    };
    let mut tx = db::platform(state.db.pool()).await?;
    let rows = db::resellers::list(&mut tx, &filter).await?;
    tx.commit().await?;
    Ok(Json(Page::from_rows(rows, limit, |r| {
        r.reseller_id.as_bytes().to_vec()
    })))
}

/// `GET /internal/v1/resellers/{reseller_id}`.
#[utoipa::path(
    get,
    path = "/internal/v1/resellers/{reseller_id}",
    tag = "internal",
    operation_id = "get_reseller",
    summary = "One reseller.",
    params(
        ("reseller_id" = Uuid, Path, description = "The reseller.")
    ),
    responses(
        (status = 200, description = "The reseller.", body = crate::db::resellers::Reseller)
    ),
    security(("internal_token" = []))
)]
pub async fn get_reseller(
    State(state): State<AppState>,
    _caller: InternalCaller,
    AppPath(reseller_id): AppPath<Uuid>,
) -> Result<Json<Reseller>, ApiError> {
    let mut tx = db::platform(state.db.pool()).await?;
    let reseller = db::resellers::find(&mut tx, reseller_id, false)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok(Json(reseller))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ModerationOutcome {
    before: Reseller,
    after: Reseller,
}

async fn moderate(
    state: &AppState,
    reseller_id: Uuid,
    decision: Moderation,
    reason: Option<String>,
) -> Result<Json<ModerationOutcome>, ApiError> {
    let mut tx = db::platform(state.db.pool()).await?;
    let before = db::resellers::find(&mut tx, reseller_id, true)
        .await?
        .ok_or(ApiError::NotFound)?;
    let from = ResellerStatus::parse(&before.status)
        .ok_or_else(|| ApiError::Internal("unknown reseller status".into()))?;
    let to = decision.apply(from).ok_or_else(|| {
        ApiError::conflict(
            "invalid_transition",
            format!(
                "A {} reseller cannot be {}d.",
                from.as_str(),
                decision.as_str()
            ),
        )
    })?;
    let mut changed = before.clone();
    changed.status = to.as_str().to_owned();
    changed.suspension_reason = reason;
    let after = db::resellers::update(&mut tx, &changed).await?;
    tx.commit().await?;
    tracing::info!(%reseller_id, from = from.as_str(), to = to.as_str(), "reseller moderated");
    Ok(Json(ModerationOutcome { before, after }))
}

/// `POST /internal/v1/resellers/{reseller_id}/approve`.
#[utoipa::path(
    post,
    path = "/internal/v1/resellers/{reseller_id}/approve",
    tag = "internal",
    operation_id = "approve_reseller",
    summary = "Approve a pending reseller.",
    description = "Only a `pending` reseller; else 409 `invalid_transition`. Answers the account before and after, for the audit log.",
    params(
        ("reseller_id" = Uuid, Path, description = "The reseller.")
    ),
    responses(
        (status = 200, description = "The account before and after.", body = ModerationOutcome),
        (status = 409, description = "Not allowed from the current status (`invalid_transition`).", content_type = "application/problem+json", body = super::schemas::ProblemDoc)
    ),
    security(("internal_token" = []))
)]
pub async fn approve_reseller(
    State(state): State<AppState>,
    _caller: InternalCaller,
    AppPath(reseller_id): AppPath<Uuid>,
) -> Result<Json<ModerationOutcome>, ApiError> {
    moderate(&state, reseller_id, Moderation::Approve, None).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suspension {
    reason: String,
}

/// `POST /internal/v1/resellers/{reseller_id}/suspend` with a `reason`.
#[utoipa::path(
    post,
    path = "/internal/v1/resellers/{reseller_id}/suspend",
    tag = "internal",
    operation_id = "suspend_reseller",
    summary = "Suspend a reseller.",
    description = "A `pending` or `active` reseller; else 409 `invalid_transition`. Its API keys then get 403 `reseller_suspended`.",
    params(
        ("reseller_id" = Uuid, Path, description = "The reseller.")
    ),
    request_body(content = super::schemas::SuspensionBody),
    responses(
        (status = 200, description = "The account before and after.", body = ModerationOutcome),
        (status = 409, description = "Not allowed from the current status (`invalid_transition`).", content_type = "application/problem+json", body = super::schemas::ProblemDoc)
    ),
    security(("internal_token" = []))
)]
pub async fn suspend_reseller(
    State(state): State<AppState>,
    _caller: InternalCaller,
    AppPath(reseller_id): AppPath<Uuid>,
    AppJson(body): AppJson<Suspension>,
) -> Result<Json<ModerationOutcome>, ApiError> {
    let reason = text::bounded(&body.reason, 1, 500)
        .map_err(|(code, message)| ApiError::invalid("reason", code, message))?;
    moderate(&state, reseller_id, Moderation::Suspend, Some(reason)).await
}

/// `POST /internal/v1/resellers/{reseller_id}/reactivate`.
#[utoipa::path(
    post,
    path = "/internal/v1/resellers/{reseller_id}/reactivate",
    tag = "internal",
    operation_id = "reactivate_reseller",
    summary = "Reactivate a suspended reseller.",
    description = "Only a `suspended` reseller; else 409 `invalid_transition`. Answers the account before and after, for the audit log.",
    params(
        ("reseller_id" = Uuid, Path, description = "The reseller.")
    ),
    responses(
        (status = 200, description = "The account before and after.", body = ModerationOutcome),
        (status = 409, description = "Not allowed from the current status (`invalid_transition`).", content_type = "application/problem+json", body = super::schemas::ProblemDoc)
    ),
    security(("internal_token" = []))
)]
pub async fn reactivate_reseller(
    State(state): State<AppState>,
    _caller: InternalCaller,
    AppPath(reseller_id): AppPath<Uuid>,
) -> Result<Json<ModerationOutcome>, ApiError> {
    moderate(&state, reseller_id, Moderation::Reactivate, None).await
}
