//! API keys: only a SHA-256 of each key is stored.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[schema(example = json!({
    "id": "0193a5c0-7d2e-7c1a-9e4b-3f1d2a6b8c91", "name": "box office", "prefix": "rsk_3f9a",
    "created_at": "2026-11-25T08:00:00Z", "last_used_at": null, "revoked_at": null
}))]
pub struct ApiKey {
    #[serde(rename = "id")]
    pub key_id: Uuid,
    pub name: String,
    #[serde(rename = "prefix")]
    pub display_prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "key_id, name, display_prefix, created_at, last_used_at, revoked_at";

pub async fn insert(
    conn: &mut PgConnection,
    reseller_id: Uuid,
    key_id: Uuid,
    name: &str,
    display_prefix: &str,
    key_hash: &[u8],
) -> Result<ApiKey, sqlx::Error> {
    sqlx::query_as(&format!(
        "INSERT INTO reseller.api_keys (reseller_id, key_id, name, display_prefix, key_hash) \
         VALUES ($1, $2, $3, $4, $5) RETURNING {COLUMNS}"
    ))
    .bind(reseller_id)
    .bind(key_id)
    .bind(name)
    .bind(display_prefix)
    .bind(key_hash)
    .fetch_one(conn)
    .await
}

/// What authentication needs to know about a presented key.
#[derive(Debug, sqlx::FromRow)]
pub struct Credential {
    pub reseller_id: Uuid,
    pub key_id: Uuid,
    pub key_hash: Vec<u8>,
    pub revoked: bool,
    pub last_used_stale: bool,
    pub status: String,
}

/// Looks a key up by hash (platform scope: the tenant is not known yet).
pub async fn credential(
    conn: &mut PgConnection,
    key_hash: &[u8],
) -> Result<Option<Credential>, sqlx::Error> {
    sqlx::query_as(
        "SELECT k.reseller_id, k.key_id, k.key_hash, k.revoked_at IS NOT NULL AS revoked, \
                (k.last_used_at IS NULL OR k.last_used_at < now() - interval '60 seconds') AS last_used_stale, \
                r.status \
         FROM reseller.api_keys k JOIN reseller.resellers r USING (reseller_id) \
         WHERE k.key_hash = $1",
    )
    .bind(key_hash)
    .fetch_optional(conn)
    .await
}

/// Records use at most once a minute per key: the condition makes
/// concurrent callers no-ops.
pub async fn touch(
    conn: &mut PgConnection,
    reseller_id: Uuid,
    key_id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE reseller.api_keys SET last_used_at = now() \
         WHERE reseller_id = $1 AND key_id = $2 \
           AND (last_used_at IS NULL OR last_used_at < now() - interval '60 seconds')",
    )
    .bind(reseller_id)
    .bind(key_id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn list(
    conn: &mut PgConnection,
    reseller_id: Uuid,
    after: Option<Uuid>,
    limit: u32,
) -> Result<Vec<ApiKey>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM reseller.api_keys WHERE reseller_id = $1 AND ($2::uuid IS NULL OR key_id > $2) \
         ORDER BY key_id LIMIT $3"
    ))
    .bind(reseller_id)
    .bind(after)
    .bind(i64::from(limit) + 1)
    .fetch_all(conn)
    .await
}

/// Outcome of a revocation.
#[derive(Debug, PartialEq, Eq)]
pub enum Revocation {
    Revoked,
    AlreadyRevoked,
    NotFound,
    /// Refused: it is the reseller's last active key.
    LastActiveKey,
}

pub async fn revoke(
    conn: &mut PgConnection,
    reseller_id: Uuid,
    key_id: Uuid,
) -> Result<Revocation, sqlx::Error> {
    // Lock the reseller's keys so two concurrent revocations cannot each
    // think the other key remains.
    let keys: Vec<(Uuid, bool)> = sqlx::query_as(
        "SELECT key_id, revoked_at IS NOT NULL FROM reseller.api_keys WHERE reseller_id = $1 ORDER BY key_id FOR UPDATE",
    )
    .bind(reseller_id)
    .fetch_all(&mut *conn)
    .await?;
    let Some((_, revoked)) = keys.iter().find(|(id, _)| *id == key_id) else {
        return Ok(Revocation::NotFound);
    };
    if *revoked {
        return Ok(Revocation::AlreadyRevoked);
    }
    if keys.iter().filter(|(_, revoked)| !revoked).count() == 1 {
        return Ok(Revocation::LastActiveKey);
    }
    sqlx::query(
        "UPDATE reseller.api_keys SET revoked_at = now() WHERE reseller_id = $1 AND key_id = $2",
    )
    .bind(reseller_id)
    .bind(key_id)
    .execute(conn)
    .await?;
    Ok(Revocation::Revoked)
}
