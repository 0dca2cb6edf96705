//! Ticket types: price, currency and stock of one show.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[schema(example = json!({
    "id": "0193a5c0-7d2e-7c1a-9e4b-3f1d2a6b8c93", "show_id": "0193a5c0-7d2e-7c1a-9e4b-3f1d2a6b8c92",
    "name": "VIP", "unit_price_minor": 150000000, "currency": "IDR", "capacity": 200, "sold": 12, "available": 188,
    "version": 3, "created_at": "2026-11-25T08:00:00Z", "updated_at": "2026-11-25T09:00:00Z"
}))]
pub struct TicketType {
    #[serde(rename = "id")]
    pub ticket_type_id: Uuid,
    pub show_id: Uuid,
    pub name: String,
    pub unit_price_minor: i64,
    pub currency: String,
    pub capacity: i64,
    pub sold: i64,
    pub available: i64,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "ticket_type_id, show_id, name, unit_price_minor, currency, capacity, sold, \
    greatest(capacity - sold, 0) AS available, version, created_at, updated_at";

pub async fn insert(
    conn: &mut PgConnection,
    reseller_id: Uuid,
    t: &TicketType,
) -> Result<TicketType, sqlx::Error> {
    sqlx::query_as(&format!(
        "INSERT INTO reseller.ticket_types (reseller_id, ticket_type_id, show_id, name, unit_price_minor, currency, capacity) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {COLUMNS}"
    ))
    .bind(reseller_id)
    .bind(t.ticket_type_id)
    .bind(t.show_id)
    .bind(&t.name)
    .bind(t.unit_price_minor)
    .bind(&t.currency)
    .bind(t.capacity)
    .fetch_one(conn)
    .await
}

pub async fn find(
    conn: &mut PgConnection,
    reseller_id: Uuid,
    show_id: Uuid,
    ticket_type_id: Uuid,
    for_update: bool,
) -> Result<Option<TicketType>, sqlx::Error> {
    let lock = if for_update { " FOR UPDATE" } else { "" };
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM reseller.ticket_types WHERE reseller_id = $1 AND show_id = $2 AND ticket_type_id = $3{lock}"
    ))
    .bind(reseller_id)
    .bind(show_id)
    .bind(ticket_type_id)
    .fetch_optional(conn)
    .await
}

pub async fn update(
    conn: &mut PgConnection,
    reseller_id: Uuid,
    t: &TicketType,
) -> Result<TicketType, sqlx::Error> {
    sqlx::query_as(&format!(
        "UPDATE reseller.ticket_types SET name = $3, unit_price_minor = $4, currency = $5, capacity = $6, \
         version = version + 1, updated_at = now() \
         WHERE reseller_id = $1 AND ticket_type_id = $2 RETURNING {COLUMNS}"
    ))
    .bind(reseller_id)
    .bind(t.ticket_type_id)
    .bind(&t.name)
    .bind(t.unit_price_minor)
    .bind(&t.currency)
    .bind(t.capacity)
    .fetch_one(conn)
    .await
}

pub async fn list(
    conn: &mut PgConnection,
    reseller_id: Uuid,
    show_id: Uuid,
    after: Option<Uuid>,
    limit: u32,
) -> Result<Vec<TicketType>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM reseller.ticket_types \
         WHERE reseller_id = $1 AND show_id = $2 AND ($3::uuid IS NULL OR ticket_type_id > $3) \
         ORDER BY ticket_type_id LIMIT $4"
    ))
    .bind(reseller_id)
    .bind(show_id)
    .bind(after)
    .bind(i64::from(limit) + 1)
    .fetch_all(conn)
    .await
}
