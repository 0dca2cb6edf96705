//! Sessions: opaque tokens of which only the SHA-256 is stored.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// A session ends after this long without a request...
pub const IDLE_TIMEOUT_MINUTES: i64 = 30;
/// ...and this long after login, whatever happens.
pub const ABSOLUTE_LIFETIME_HOURS: i64 = 8;

pub async fn create(
    conn: &mut PgConnection,
    admin_id: Uuid,
    token_hash: &[u8; 32],
) -> Result<(Uuid, DateTime<Utc>), sqlx::Error> {
    let session_id = Uuid::now_v7();
    let expires_at = sqlx::query_scalar(
        "INSERT INTO admin.sessions (session_id, admin_id, token_hash, expires_at) \
         VALUES ($1, $2, $3, now() + make_interval(hours => $4::int)) RETURNING expires_at",
    )
    .bind(session_id)
    .bind(admin_id)
    .bind(token_hash.as_slice())
    .bind(ABSOLUTE_LIFETIME_HOURS as i32)
    .fetch_one(conn)
    .await?;
    Ok((session_id, expires_at))
}

/// Who a live session belongs to.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionAdmin {
    pub session_id: Uuid,
    pub admin_id: Uuid,
    pub email: String,
    pub role: String,
}

/// The session's admin, when the session is live and its admin enabled; its
/// idle clock restarts. One statement, so a disabled admin or a logout takes
/// effect on the very next request.
pub async fn touch(
    conn: &mut PgConnection,
    token_hash: &[u8; 32],
) -> Result<Option<SessionAdmin>, sqlx::Error> {
    sqlx::query_as(
        "UPDATE admin.sessions s SET last_seen_at = now() \
         FROM admin.admins a \
         WHERE s.token_hash = $1 AND a.admin_id = s.admin_id \
           AND a.disabled_at IS NULL AND s.revoked_at IS NULL \
           AND s.expires_at > now() \
           AND s.last_seen_at > now() - make_interval(mins => $2::int) \
         RETURNING s.session_id, a.admin_id, a.email, a.role",
    )
    .bind(token_hash.as_slice())
    .bind(IDLE_TIMEOUT_MINUTES as i32)
    .fetch_optional(conn)
    .await
}

pub async fn revoke(conn: &mut PgConnection, session_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE admin.sessions SET revoked_at = now() WHERE session_id = $1 AND revoked_at IS NULL",
    )
    .bind(session_id)
    .execute(conn)
    .await
    .map(drop)
}

/// Ends every session of an admin (disabled, demoted or password reset).
pub async fn revoke_all(conn: &mut PgConnection, admin_id: Uuid) -> Result<u64, sqlx::Error> {
    sqlx::query(
        "UPDATE admin.sessions SET revoked_at = now() WHERE admin_id = $1 AND revoked_at IS NULL",
    )
    .bind(admin_id)
    .execute(conn)
    .await
    .map(|r| r.rows_affected())
}

/// Deletes sessions that can no longer be used (ended a day ago or more):
/// they prove nothing the audit log does not.
pub async fn purge_ended(conn: &mut PgConnection) -> Result<u64, sqlx::Error> {
    sqlx::query(
        "DELETE FROM admin.sessions WHERE least(expires_at, coalesce(revoked_at, expires_at), \
             last_seen_at + make_interval(mins => $1::int)) < now() - interval '1 day'",
    )
    .bind(IDLE_TIMEOUT_MINUTES as i32)
    .execute(conn)
    .await
    .map(|r| r.rows_affected())
}
