//! Ticket notices waiting for delivery to reseller-service (an outbox: the
//! notice commits with the change that caused it, the relay delivers it).

use sqlx::PgConnection;
use uuid::Uuid;

pub async fn insert(
    conn: &mut PgConnection,
    ticket_id: Uuid,
    body: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO admin.ticket_notices (notice_id, ticket_id, body) VALUES ($1, $2, $3)")
        .bind(Uuid::now_v7())
        .bind(ticket_id)
        .bind(body)
        .execute(conn)
        .await
        .map(drop)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Notice {
    pub notice_id: Uuid,
    pub ticket_id: Uuid,
    pub body: String,
}

/// The oldest undelivered notices, locked so that two relays (two instances)
/// never deliver the same one concurrently.
pub async fn claim(conn: &mut PgConnection, limit: i64) -> Result<Vec<Notice>, sqlx::Error> {
    sqlx::query_as(
        "SELECT notice_id, ticket_id, body FROM admin.ticket_notices \
         WHERE delivered_at IS NULL ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED",
    )
    .bind(limit)
    .fetch_all(conn)
    .await
}

pub async fn mark_delivered(conn: &mut PgConnection, notice_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE admin.ticket_notices SET delivered_at = now() WHERE notice_id = $1")
        .bind(notice_id)
        .execute(conn)
        .await
        .map(drop)
}
