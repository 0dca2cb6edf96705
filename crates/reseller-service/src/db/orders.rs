//! Orders as projected from the ingested events, and their event history.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[schema(example = json!({
    "id": "0193a5c0-7d2e-7c1a-9e4b-3f1d2a6b8c94", "show_id": "0193a5c0-7d2e-7c1a-9e4b-3f1d2a6b8c92",
    "channel": "web", "currency": "IDR", "status": "paid", "tickets": 2, "gross_minor": 300000000,
    "refunded_tickets": 0, "refunded_minor": 0, "net_minor": 300000000, "created_at": "2026-11-25T07:58:00Z",
    "paid_at": "2026-11-25T08:00:00Z", "first_event_at": "2026-11-25T07:58:00Z", "last_event_at": "2026-11-25T08:00:00Z",
    "event_count": 2
}))]
pub struct Order {
    #[serde(rename = "id")]
    pub order_id: Uuid,
    pub show_id: Uuid,
    pub channel: String,
    pub currency: String,
    #[schema(value_type = crate::http::schemas::OrderStatus)]
    pub status: String,
    pub tickets: i64,
    pub gross_minor: i64,
    pub refunded_tickets: i64,
    pub refunded_minor: i64,
    pub net_minor: i64,
    pub created_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub first_event_at: DateTime<Utc>,
    pub last_event_at: DateTime<Utc>,
    pub event_count: i32,
}

pub const COLUMNS: &str = "order_id, show_id, channel, currency, status, tickets, gross_minor, refunded_tickets, \
    refunded_minor, gross_minor - refunded_minor AS net_minor, created_at, paid_at, first_event_at, last_event_at, event_count";

/// Filters of the order list.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub show_id: Option<Uuid>,
    pub status: Option<String>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    /// Keyset position: list rows strictly before it (newest first).
    pub before: Option<(DateTime<Utc>, Uuid)>,
}

/// The SQL of a page (or, with `limit` None, the whole list) of a
/// reseller's orders, newest first, seeking by `(created_at, order_id)` on
/// the `orders_by_creation` index.
pub fn list_sql(limit: Option<u32>) -> String {
    let limit = limit
        .map(|n| format!(" LIMIT {}", u64::from(n) + 1))
        .unwrap_or_default();
    format!(
        "SELECT {COLUMNS} FROM reseller.orders \
         WHERE reseller_id = $1 AND ($2::uuid IS NULL OR show_id = $2) AND ($3::text IS NULL OR status = $3) \
           AND ($4::timestamptz IS NULL OR created_at >= $4) AND ($5::timestamptz IS NULL OR created_at < $5) \
           AND ($6::timestamptz IS NULL OR (created_at, order_id) < ($6, $7)) \
         ORDER BY created_at DESC, order_id DESC{limit}"
    )
}

pub async fn list(
    conn: &mut PgConnection,
    reseller_id: Uuid,
    f: &OrderFilter,
    limit: u32,
) -> Result<Vec<Order>, sqlx::Error> {
    sqlx::query_as(&list_sql(Some(limit)))
        .bind(reseller_id)
        .bind(f.show_id)
        .bind(&f.status)
        .bind(f.created_from)
        .bind(f.created_to)
        .bind(f.before.map(|(at, _)| at))
        .bind(f.before.map(|(_, id)| id))
        .fetch_all(conn)
        .await
}

pub async fn find(
    conn: &mut PgConnection,
    reseller_id: Uuid,
    order_id: Uuid,
) -> Result<Option<Order>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM reseller.orders WHERE reseller_id = $1 AND order_id = $2"
    ))
    .bind(reseller_id)
    .bind(order_id)
    .fetch_optional(conn)
    .await
}

/// One event of an order's history.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct OrderEventRow {
    pub event_id: Uuid,
    #[serde(rename = "type")]
    #[schema(value_type = domain::sale_event::EventType)]
    pub kind: String,
    pub occurred_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub channel: String,
    pub currency: String,
    #[schema(value_type = Vec<crate::http::schemas::SaleLineDoc>)]
    pub lines: serde_json::Value,
}

/// The order's events, oldest first.
pub async fn events(
    conn: &mut PgConnection,
    reseller_id: Uuid,
    order_id: Uuid,
) -> Result<Vec<OrderEventRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT event_id, type AS kind, occurred_at, received_at, channel, currency, lines FROM reseller.sale_events \
         WHERE reseller_id = $1 AND order_id = $2 ORDER BY occurred_at, event_id",
    )
    .bind(reseller_id)
    .bind(order_id)
    .fetch_all(conn)
    .await
}

/// The order's lines: per ticket type and unit price, tickets paid and
/// refunded.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct OrderLine {
    pub ticket_type_id: Uuid,
    pub unit_price_minor: i64,
    pub quantity: i64,
    pub refunded_quantity: i64,
    pub amount_minor: i64,
    pub refunded_minor: i64,
}

pub async fn lines(
    conn: &mut PgConnection,
    reseller_id: Uuid,
    order_id: Uuid,
) -> Result<Vec<OrderLine>, sqlx::Error> {
    sqlx::query_as(
        "SELECT (l->>'ticket_type_id')::uuid AS ticket_type_id, (l->>'unit_price_minor')::bigint AS unit_price_minor, \
           coalesce(sum((l->>'quantity')::bigint) FILTER (WHERE e.type = 'order.paid'), 0)::bigint AS quantity, \
           coalesce(sum((l->>'quantity')::bigint) FILTER (WHERE e.type = 'order.refunded'), 0)::bigint AS refunded_quantity, \
           coalesce(sum((l->>'quantity')::bigint * (l->>'unit_price_minor')::bigint) FILTER (WHERE e.type = 'order.paid'), 0)::bigint AS amount_minor, \
           coalesce(sum((l->>'quantity')::bigint * (l->>'unit_price_minor')::bigint) FILTER (WHERE e.type = 'order.refunded'), 0)::bigint AS refunded_minor \
         FROM reseller.sale_events e CROSS JOIN LATERAL jsonb_array_elements(e.lines) AS l \
         WHERE e.reseller_id = $1 AND e.order_id = $2 AND e.type IN ('order.paid', 'order.refunded') \
         GROUP BY 1, 2 ORDER BY 1, 2",
    )
    .bind(reseller_id)
    .bind(order_id)
    .fetch_all(conn)
    .await
}
