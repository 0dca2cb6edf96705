//! The forced-refund outbox read by the core order service.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct RefundRequest {
    #[serde(rename = "id")]
    pub refund_id: Uuid,
    pub ticket_id: Uuid,
    pub reseller_id: Uuid,
    pub order_id: Uuid,
    pub amount_minor: i64,
    pub currency: String,
    pub reason: String,
    #[schema(value_type = crate::http::schemas::RefundStatus)]
    pub status: String,
    pub requested_by: Uuid,
    pub requested_at: DateTime<Utc>,
    #[schema(required = true)]
    pub resolved_at: Option<DateTime<Utc>>,
    #[schema(required = true)]
    pub failure_reason: Option<String>,
}

const COLUMNS: &str =
    "refund_id, ticket_id, reseller_id, order_id, amount_minor, currency, reason, \
                       status, requested_by, requested_at, resolved_at, failure_reason";

/// Serialises refund requests of one order (two admins refunding the same
/// order at once cannot both pass the amount check).
pub async fn lock_order(conn: &mut PgConnection, order_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1::text, 7))")
        .bind(order_id)
        .execute(conn)
        .await
        .map(drop)
}

/// Sums of the order's requests: (completed, pending).
pub async fn order_totals(
    conn: &mut PgConnection,
    order_id: Uuid,
) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as(
        "SELECT coalesce(sum(amount_minor) FILTER (WHERE status = 'completed'), 0)::bigint, \
                coalesce(sum(amount_minor) FILTER (WHERE status = 'pending'), 0)::bigint \
         FROM admin.refund_requests WHERE order_id = $1",
    )
    .bind(order_id)
    .fetch_one(conn)
    .await
}

pub async fn insert(
    conn: &mut PgConnection,
    r: &RefundRequest,
) -> Result<RefundRequest, sqlx::Error> {
    sqlx::query_as(&format!(
        "INSERT INTO admin.refund_requests (refund_id, ticket_id, reseller_id, order_id, \
             amount_minor, currency, reason, requested_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {COLUMNS}"
    ))
    .bind(r.refund_id)
    .bind(r.ticket_id)
    .bind(r.reseller_id)
    .bind(r.order_id)
    .bind(r.amount_minor)
    .bind(&r.currency)
    .bind(&r.reason)
    .bind(r.requested_by)
    .fetch_one(conn)
    .await
}

pub async fn lock(
    conn: &mut PgConnection,
    refund_id: Uuid,
) -> Result<Option<RefundRequest>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM admin.refund_requests WHERE refund_id = $1 FOR UPDATE"
    ))
    .bind(refund_id)
    .fetch_optional(conn)
    .await
}

/// Moves a pending request to `completed` or `failed`.
pub async fn resolve(
    conn: &mut PgConnection,
    refund_id: Uuid,
    status: &str,
    failure_reason: Option<&str>,
) -> Result<RefundRequest, sqlx::Error> {
    sqlx::query_as(&format!(
        "UPDATE admin.refund_requests SET status = $2, failure_reason = $3, resolved_at = now() \
         WHERE refund_id = $1 RETURNING {COLUMNS}"
    ))
    .bind(refund_id)
    .bind(status)
    .bind(failure_reason)
    .fetch_one(conn)
    .await
}

/// Requests in queue order (oldest first), keyset on (requested_at, id).
pub async fn list(
    conn: &mut PgConnection,
    status: Option<&str>,
    ticket_id: Option<Uuid>,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: u32,
) -> Result<Vec<RefundRequest>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM admin.refund_requests \
         WHERE ($1::text IS NULL OR status = $1) AND ($2::uuid IS NULL OR ticket_id = $2) \
           AND ($3::timestamptz IS NULL OR (requested_at, refund_id) > ($3, $4)) \
         ORDER BY requested_at, refund_id LIMIT $5"
    ))
    .bind(status)
    .bind(ticket_id)
    .bind(after.map(|a| a.0))
    .bind(after.map(|a| a.1))
    .bind(i64::from(limit) + 1)
    .fetch_all(conn)
    .await
}

/// Age in seconds of the oldest pending request, if any.
pub async fn oldest_pending_age_seconds(
    conn: &mut PgConnection,
) -> Result<Option<f64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT extract(epoch FROM now() - min(requested_at))::float8 \
         FROM admin.refund_requests WHERE status = 'pending'",
    )
    .fetch_one(conn)
    .await
}
