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

#[derive(Debug, Deserialize)]
pub struct ListResellers {
    limit: Option<u32>,
    cursor: Option<String>,
    status: Option<String>,
    q: Option<String>,
}

/// `GET /internal/v1/resellers`: filter `status`, search `q` (name, contact
/// or legal name, case-insensitive).
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

#[derive(Debug, Serialize)]
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
pub async fn reactivate_reseller(
    State(state): State<AppState>,
    _caller: InternalCaller,
    AppPath(reseller_id): AppPath<Uuid>,
) -> Result<Json<ModerationOutcome>, ApiError> {
    moderate(&state, reseller_id, Moderation::Reactivate, None).await
}
