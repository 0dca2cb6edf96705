//! Reseller accounts.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{types::Json, PgConnection};
use uuid::Uuid;

use domain::billing::Billing;

/// A reseller as stored and as shown.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[schema(example = json!({
    "id": "0193a5c0-7d2e-7c1a-9e4b-3f1d2a6b8c90", "name": "Tiket Nusantara", "contact_email": "ops@tiket.example",
    "billing": { "legal_name": "PT Tiket Nusantara", "billing_email": "billing@tiket.example",
        "address": { "line1": "Jl. Sudirman 1", "line2": null, "city": "Jakarta", "region": null, "postal_code": "10220", "country": "ID" },
        "tax_id": null },
    "status": "pending", "suspension_reason": null, "version": 1,
    "created_at": "2026-11-25T08:00:00Z", "updated_at": "2026-11-25T08:00:00Z"
}))]
pub struct Reseller {
    #[serde(rename = "id")]
    pub reseller_id: Uuid,
    pub name: String,
    pub contact_email: String,
    #[schema(value_type = Billing)]
    pub billing: Json<Billing>,
    #[schema(value_type = domain::reseller::ResellerStatus)]
    pub status: String,
    pub suspension_reason: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "reseller_id, name, contact_email, billing, status, suspension_reason, version, created_at, updated_at";

pub async fn insert(
    conn: &mut PgConnection,
    reseller_id: Uuid,
    name: &str,
    contact_email: &str,
    billing: &Billing,
) -> Result<Reseller, sqlx::Error> {
    sqlx::query_as(&format!(
        "INSERT INTO reseller.resellers (reseller_id, name, contact_email, billing) \
         VALUES ($1, $2, $3, $4) RETURNING {COLUMNS}"
    ))
    .bind(reseller_id)
    .bind(name)
    .bind(contact_email)
    .bind(Json(billing))
    .fetch_one(conn)
    .await
}

pub async fn find(
    conn: &mut PgConnection,
    reseller_id: Uuid,
    for_update: bool,
) -> Result<Option<Reseller>, sqlx::Error> {
    let lock = if for_update { " FOR UPDATE" } else { "" };
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM reseller.resellers WHERE reseller_id = $1{lock}"
    ))
    .bind(reseller_id)
    .fetch_optional(conn)
    .await
}

/// Writes the editable fields and bumps the version.
pub async fn update(conn: &mut PgConnection, r: &Reseller) -> Result<Reseller, sqlx::Error> {
    sqlx::query_as(&format!(
        "UPDATE reseller.resellers SET name = $2, contact_email = $3, billing = $4, status = $5, \
         suspension_reason = $6, version = version + 1, updated_at = now() \
         WHERE reseller_id = $1 RETURNING {COLUMNS}"
    ))
    .bind(r.reseller_id)
    .bind(&r.name)
    .bind(&r.contact_email)
    .bind(&r.billing)
    .bind(&r.status)
    .bind(&r.suspension_reason)
    .fetch_one(conn)
    .await
}

/// Filters of the admin-facing list.
#[derive(Debug, Default)]
pub struct ListFilter {
    pub status: Option<String>,
    pub q: Option<String>,
    pub after: Option<Uuid>,
    pub limit: u32,
}

pub async fn list(
    conn: &mut PgConnection,
    filter: &ListFilter,
) -> Result<Vec<Reseller>, sqlx::Error> {
    let pattern = filter.q.as_ref().map(|q| {
        let escaped = q
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        format!("%{escaped}%")
    });
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM reseller.resellers \
         WHERE ($1::text IS NULL OR status = $1) \
           AND ($2::text IS NULL OR name ILIKE $2 OR contact_email ILIKE $2 OR billing->>'legal_name' ILIKE $2) \
           AND ($3::uuid IS NULL OR reseller_id > $3) \
         ORDER BY reseller_id LIMIT $4"
    ))
    .bind(&filter.status)
    .bind(pattern)
    .bind(filter.after)
    .bind(i64::from(filter.limit) + 1)
    .fetch_all(conn)
    .await
}
