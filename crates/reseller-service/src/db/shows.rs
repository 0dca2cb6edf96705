//! Shows.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[schema(example = json!({
    "id": "0193a5c0-7d2e-7c1a-9e4b-3f1d2a6b8c92", "reseller_id": "0193a5c0-7d2e-7c1a-9e4b-3f1d2a6b8c90",
    "name": "Jakarta Fair 2026", "venue": "JIExpo Kemayoran", "starts_at": "2026-12-20T12:00:00Z",
    "sales_start_at": "2026-12-01T00:00:00Z", "sales_end_at": "2026-12-20T10:00:00Z", "status": "draft",
    "version": 1, "created_at": "2026-11-25T08:00:00Z", "updated_at": "2026-11-25T08:00:00Z"
}))]
pub struct Show {
    #[serde(rename = "id")]
    pub show_id: Uuid,
    pub reseller_id: Uuid,
    pub name: String,
    pub venue: String,
    pub starts_at: DateTime<Utc>,
    pub sales_start_at: DateTime<Utc>,
    pub sales_end_at: DateTime<Utc>,
    #[schema(value_type = domain::catalog::ShowStatus)]
    pub status: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str =
    "show_id, reseller_id, name, venue, starts_at, sales_start_at, sales_end_at, status, version, created_at, updated_at";

pub async fn insert(conn: &mut PgConnection, s: &Show) -> Result<Show, sqlx::Error> {
    sqlx::query_as(&format!(
        "INSERT INTO reseller.shows (reseller_id, show_id, name, venue, starts_at, sales_start_at, sales_end_at, status) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {COLUMNS}"
    ))
    .bind(s.reseller_id)
    .bind(s.show_id)
    .bind(&s.name)
    .bind(&s.venue)
    .bind(s.starts_at)
    .bind(s.sales_start_at)
    .bind(s.sales_end_at)
    .bind(&s.status)
    .fetch_one(conn)
    .await
}

pub async fn find(
    conn: &mut PgConnection,
    reseller_id: Uuid,
    show_id: Uuid,
    for_update: bool,
) -> Result<Option<Show>, sqlx::Error> {
    let lock = if for_update { " FOR UPDATE" } else { "" };
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM reseller.shows WHERE reseller_id = $1 AND show_id = $2{lock}"
    ))
    .bind(reseller_id)
    .bind(show_id)
    .fetch_optional(conn)
    .await
}

pub async fn update(conn: &mut PgConnection, s: &Show) -> Result<Show, sqlx::Error> {
    sqlx::query_as(&format!(
        "UPDATE reseller.shows SET name = $3, venue = $4, starts_at = $5, sales_start_at = $6, sales_end_at = $7, \
         status = $8, version = version + 1, updated_at = now() \
         WHERE reseller_id = $1 AND show_id = $2 RETURNING {COLUMNS}"
    ))
    .bind(s.reseller_id)
    .bind(s.show_id)
    .bind(&s.name)
    .bind(&s.venue)
    .bind(s.starts_at)
    .bind(s.sales_start_at)
    .bind(s.sales_end_at)
    .bind(&s.status)
    .fetch_one(conn)
    .await
}

/// A page of shows in creation order (ids are time-ordered UUIDv7).
pub async fn list(
    conn: &mut PgConnection,
    reseller_id: Option<Uuid>,
    status: Option<&str>,
    after: Option<Uuid>,
    limit: u32,
) -> Result<Vec<Show>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM reseller.shows \
         WHERE ($1::uuid IS NULL OR reseller_id = $1) AND ($2::text IS NULL OR status = $2) \
           AND ($3::uuid IS NULL OR show_id > $3) \
         ORDER BY show_id LIMIT $4"
    ))
    .bind(reseller_id)
    .bind(status)
    .bind(after)
    .bind(i64::from(limit) + 1)
    .fetch_all(conn)
    .await
}

/// A show of any reseller, by id (the internal API, in platform scope).
pub async fn find_by_id(
    conn: &mut PgConnection,
    show_id: Uuid,
) -> Result<Option<Show>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM reseller.shows WHERE show_id = $1"
    ))
    .bind(show_id)
    .fetch_optional(conn)
    .await
}
