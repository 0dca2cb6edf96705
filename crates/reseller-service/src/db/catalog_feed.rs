//! The catalog change feed read by the core services.
//!
//! [`append`] must be the last statement of a writing transaction: it takes
//! the next position from the single counter row, whose lock is then held
//! until commit, so positions are handed out in commit order and a reader
//! following `seq` can never skip a transaction that commits late.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Clone, Copy)]
pub enum Entity {
    Show,
    TicketType,
}

#[derive(Debug, Clone, Copy)]
pub enum Action {
    Created,
    Updated,
}

/// Records one change; returns its position.
pub async fn append(
    conn: &mut PgConnection,
    reseller_id: Uuid,
    entity: Entity,
    action: Action,
    show_id: Uuid,
    ticket_type_id: Option<Uuid>,
    snapshot: &impl Serialize,
) -> Result<i64, sqlx::Error> {
    let entity = match entity {
        Entity::Show => "show",
        Entity::TicketType => "ticket_type",
    };
    let action = match action {
        Action::Created => "created",
        Action::Updated => "updated",
    };
    let snapshot = serde_json::to_value(snapshot).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query_scalar(
        "WITH position AS ( \
             UPDATE reseller.catalog_feed_position SET last_seq = last_seq + 1 RETURNING last_seq) \
         INSERT INTO reseller.catalog_changes (reseller_id, seq, entity, action, show_id, ticket_type_id, snapshot) \
         SELECT $1, last_seq, $2, $3, $4, $5, $6 FROM position RETURNING seq",
    )
    .bind(reseller_id)
    .bind(entity)
    .bind(action)
    .bind(show_id)
    .bind(ticket_type_id)
    .bind(snapshot)
    .fetch_one(conn)
    .await
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[schema(example = json!({
    "seq": 42, "entity": "ticket_type", "action": "updated", "reseller_id": "0193a5c0-7d2e-7c1a-9e4b-3f1d2a6b8c90",
    "show_id": "0193a5c0-7d2e-7c1a-9e4b-3f1d2a6b8c92", "ticket_type_id": "0193a5c0-7d2e-7c1a-9e4b-3f1d2a6b8c93",
    "changed_at": "2026-11-25T09:00:00Z", "data": {"id": "0193a5c0-7d2e-7c1a-9e4b-3f1d2a6b8c93", "capacity": 250}
}))]
pub struct Change {
    pub seq: i64,
    /// `show` or `ticket_type`.
    #[schema(pattern = "^(show|ticket_type)$")]
    pub entity: String,
    /// `created` or `updated`.
    #[schema(pattern = "^(created|updated)$")]
    pub action: String,
    pub reseller_id: Uuid,
    pub show_id: Uuid,
    pub ticket_type_id: Option<Uuid>,
    pub changed_at: DateTime<Utc>,
    /// The show or ticket type after the change, as its own route answers it.
    #[serde(rename = "data")]
    #[schema(value_type = Object)]
    pub snapshot: serde_json::Value,
}

/// Changes after position `after`, in commit order.
pub async fn read(
    conn: &mut PgConnection,
    after: i64,
    limit: u32,
) -> Result<Vec<Change>, sqlx::Error> {
    sqlx::query_as(
        "SELECT seq, entity, action, reseller_id, show_id, ticket_type_id, changed_at, snapshot \
         FROM reseller.catalog_changes WHERE seq > $1 ORDER BY seq LIMIT $2",
    )
    .bind(after)
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await
}
