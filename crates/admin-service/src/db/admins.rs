//! Platform admins.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

/// An admin as the API shows it (never the password hash).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Admin {
    #[serde(rename = "id")]
    pub admin_id: Uuid,
    pub email: String,
    #[schema(value_type = domain::admin::AdminRole)]
    pub role: String,
    /// A disabled admin cannot log in.
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(skip)]
    pub version: i64,
}

const COLUMNS: &str = "admin_id, email, role, disabled_at IS NOT NULL AS disabled, \
                       created_at, updated_at, version";

pub async fn any_exists(conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM admin.admins)")
        .fetch_one(conn)
        .await
}

pub async fn find(conn: &mut PgConnection, admin_id: Uuid) -> Result<Option<Admin>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM admin.admins WHERE admin_id = $1"
    ))
    .bind(admin_id)
    .fetch_optional(conn)
    .await
}

/// The admin with this e-mail (any case) and its password hash.
pub async fn credentials(
    conn: &mut PgConnection,
    email: &str,
) -> Result<Option<(Admin, String)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        admin: Admin,
        password_hash: String,
    }
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS}, password_hash FROM admin.admins WHERE lower(email) = lower($1)"
    ))
    .bind(email)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| (r.admin, r.password_hash)))
}

/// Admins in id order, after `after`.
pub async fn list(
    conn: &mut PgConnection,
    after: Option<Uuid>,
    limit: u32,
) -> Result<Vec<Admin>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM admin.admins WHERE $1::uuid IS NULL OR admin_id > $1 \
         ORDER BY admin_id LIMIT $2"
    ))
    .bind(after)
    .bind(i64::from(limit) + 1)
    .fetch_all(conn)
    .await
}

/// Inserts an admin; `None` when the e-mail is taken.
pub async fn insert(
    conn: &mut PgConnection,
    email: &str,
    password_hash: &str,
    role: &str,
) -> Result<Option<Admin>, sqlx::Error> {
    sqlx::query_as(&format!(
        "INSERT INTO admin.admins (admin_id, email, password_hash, role) VALUES ($1, $2, $3, $4) \
         ON CONFLICT ((lower(email))) DO NOTHING RETURNING {COLUMNS}"
    ))
    .bind(Uuid::now_v7())
    .bind(email)
    .bind(password_hash)
    .bind(role)
    .fetch_optional(conn)
    .await
}

/// Sets role and disabled state; the row is locked by the caller's earlier
/// `lock`.
pub async fn update(
    conn: &mut PgConnection,
    admin_id: Uuid,
    role: &str,
    disabled: bool,
) -> Result<Admin, sqlx::Error> {
    sqlx::query_as(&format!(
        "UPDATE admin.admins SET role = $2, \
             disabled_at = CASE WHEN $3 THEN coalesce(disabled_at, now()) END, \
             updated_at = now(), version = version + 1 \
         WHERE admin_id = $1 RETURNING {COLUMNS}"
    ))
    .bind(admin_id)
    .bind(role)
    .bind(disabled)
    .fetch_one(conn)
    .await
}

/// Replaces the password (and re-enables the account with `role`): the
/// command-line reset.
pub async fn reset(
    conn: &mut PgConnection,
    admin_id: Uuid,
    password_hash: &str,
    role: &str,
) -> Result<Admin, sqlx::Error> {
    sqlx::query_as(&format!(
        "UPDATE admin.admins SET password_hash = $2, role = $3, disabled_at = NULL, \
             updated_at = now(), version = version + 1 \
         WHERE admin_id = $1 RETURNING {COLUMNS}"
    ))
    .bind(admin_id)
    .bind(password_hash)
    .bind(role)
    .fetch_one(conn)
    .await
}

/// Locks every active owner row, then counts them: two owners demoting each
/// other concurrently cannot both succeed.
pub async fn lock_active_owners(conn: &mut PgConnection) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT admin_id FROM admin.admins WHERE role = 'owner' AND disabled_at IS NULL \
         ORDER BY admin_id FOR UPDATE",
    )
    .fetch_all(conn)
    .await
}

/// Locks one admin row for a change.
pub async fn lock(conn: &mut PgConnection, admin_id: Uuid) -> Result<Option<Admin>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM admin.admins WHERE admin_id = $1 FOR UPDATE"
    ))
    .bind(admin_id)
    .fetch_optional(conn)
    .await
}

/// Whether `admin_id` is an active admin who can work tickets.
pub async fn can_work_tickets(
    conn: &mut PgConnection,
    admin_id: Uuid,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM admin.admins WHERE admin_id = $1 \
             AND disabled_at IS NULL AND role IN ('support', 'owner'))",
    )
    .bind(admin_id)
    .fetch_one(conn)
    .await
}
