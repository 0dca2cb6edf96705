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

use super::auth::{Admin, AnyRole};
use crate::{
    db::{
        self,
        audit::{AuditFilter, AuditRow},
    },
    ApiError, AppState,
};

#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    limit: Option<u32>,
    cursor: Option<String>,
    actor_id: Option<Uuid>,
    action: Option<String>,
    target_type: Option<String>,
    target_id: Option<String>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
}

fn encode_cursor(row: &AuditRow) -> Vec<u8> {
    time_id_cursor(row.occurred_at, row.audit_id)
}

fn bounded(field: &str, value: Option<String>) -> Result<Option<String>, ApiError> {
    match value {
        Some(v) if v.chars().count() > 200 => Err(ApiError::invalid(
            field,
            "too_long",
            "must have at most 200 characters",
        )),
        other => Ok(other.filter(|v| !v.is_empty())),
    }
}

/// `GET /v1/audit-log`.
pub async fn list_audit_log(
    State(state): State<AppState>,
    _admin: Admin<AnyRole>,
    AppQuery(q): AppQuery<AuditQuery>,
) -> Result<Json<Page<AuditRow>>, ApiError> {
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
