//! `GET /v1/audit-log`: every admin action, newest first; filters `actor_id`,
//! `action`, `target_type`, `target_id`, `from`, `to`; keyset pagination on
//! (time, id).

use axum::{extract::State, Json};
use chrono::{DateTime, Utc};
use platform::{
    http::extract::AppQuery,
    pagination::{time_id_cursor, Page, PageQuery},
};
use serde::Deserialize;
use uuid::Uuid;

use super::{
    auth::{Admin, AnyRole},
    schemas::ProblemSchema,
};
use crate::{
    db::{
        self,
        audit::{AuditFilter, AuditRow},
    },
    ApiError, AppState,
};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Page size: 1 to 500, 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^(?:[A-Zab][A-Za-z0-9_-]{31})?$")]
    cursor: Option<String>,
    /// Only what this admin did.
    actor_id: Option<Uuid>,
    /// Only this action, e.g. `refund.request`; empty for any.
    #[param(max_length = 200, pattern = "^[^\\x00-\\x1F\\x7F-\\x9F]*$")]
    action: Option<String>,
    /// Only actions on this kind of object, e.g. `reseller`; empty for any.
    #[param(max_length = 200, pattern = "^[^\\x00-\\x1F\\x7F-\\x9F]*$")]
    target_type: Option<String>,
    /// Only actions on this object; empty for any.
    #[param(max_length = 200, pattern = "^[^\\x00-\\x1F\\x7F-\\x9F]*$")]
    target_id: Option<String>,
    /// From this instant on (inclusive).
    from: Option<DateTime<Utc>>,
    /// Before this instant; after `from`.
    to: Option<DateTime<Utc>>,
}

fn encode_cursor(row: &AuditRow) -> Vec<u8> {
    time_id_cursor(row.occurred_at, row.audit_id)
}

/// A text filter: at most 200 characters, none a control character (the
/// log holds none, and the database refuses some); empty is no filter.
fn bounded(field: &str, value: Option<String>) -> Result<Option<String>, ApiError> {
    match value {
        Some(v) if v.chars().count() > 200 => Err(ApiError::invalid(
            field,
            "too_long",
            "must have at most 200 characters",
        )),
        Some(v) if v.chars().any(char::is_control) => Err(ApiError::invalid(
            field,
            "invalid_characters",
            "must not contain control characters",
        )),
        other => Ok(other.filter(|v| !v.is_empty())),
    }
}

/// `GET /v1/audit-log`.
#[utoipa::path(
    get,
    path = "/v1/audit-log",
    tag = "audit",
    operation_id = "list_audit_log",
    summary = "Every admin action, newest first: who, what, on what, when, before and after.",
    description = "Any admin role (`viewer`, `support`, `owner`). Filters `actor_id`, `action`, `target_type`, `target_id`, `from`, `to`.",
    params(AuditQuery),
    security(("admin_session" = [])),
    responses(
        (status = 200, description = "A page of the audit log.", body = Page<AuditRow>),
        (status = 422, description = "`reversed_range`: `to` is not after `from`; `too_long` or `invalid_characters`: a text filter has more than 200 characters or a control character.", content_type = "application/problem+json", body = ProblemSchema),
    ),
)]
pub async fn list_audit_log(
    State(state): State<AppState>,
    _admin: Admin<AnyRole>,
    AppQuery(q): AppQuery<AuditQuery>,
) -> Result<Json<Page<AuditRow>>, ApiError> {
    super::schemas::check_time_cursor(q.cursor.as_deref())?;
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    };
    let limit = page.limit()?;
    if let (Some(from), Some(to)) = (q.from, q.to) {
        if from >= to {
            return Err(ApiError::invalid(
                "to",
                "reversed_range",
                "must be after from",
            ));
        }
    }
    let before = page.cursor_time_id()?;
    let filter = AuditFilter {
        actor_id: q.actor_id,
        action: bounded("action", q.action)?,
        target_type: bounded("target_type", q.target_type)?,
        target_id: bounded("target_id", q.target_id)?,
        from: q.from,
        to: q.to,
        before,
        limit,
    };
    let mut conn = state.db.acquire().await?;
    let rows = db::audit::list(&mut conn, &filter).await?;
    Ok(Json(Page::from_rows(rows, limit, encode_cursor)))
}
