//! Support tickets and their messages. Lists seek by `(created_at,
//! ticket_id)`; their filters are optional, so their SQL is built per
//! combination of filters (each then has a plan that uses its index).

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[schema(example = json!({
    "id": "0193a5c0-7d2e-7c1a-9e4b-3f1d2a6b8c95", "reseller_id": "0193a5c0-7d2e-7c1a-9e4b-3f1d2a6b8c90",
    "subject": "Refund for a double charge", "category": "refund", "status": "open", "order_id": null, "assignee_id": null,
    "created_at": "2026-11-25T08:00:00Z", "updated_at": "2026-11-25T08:00:00Z", "resolved_at": null
}))]
pub struct Ticket {
    #[serde(rename = "id")]
    pub ticket_id: Uuid,
    pub reseller_id: Uuid,
    pub subject: String,
    #[schema(value_type = domain::support::SupportCategory)]
    pub category: String,
    #[schema(value_type = domain::support::TicketStatus)]
    pub status: String,
    pub order_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
}

const TICKET_COLUMNS: &str =
    "ticket_id, reseller_id, subject, category, status, order_id, assignee_id, \
    created_at, updated_at, resolved_at";

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[schema(example = json!({
    "id": "0193a5c0-7d2e-7c1a-9e4b-3f1d2a6b8c96", "ticket_id": "0193a5c0-7d2e-7c1a-9e4b-3f1d2a6b8c95",
    "author": "reseller", "admin_id": null, "body": "The customer was charged twice.", "created_at": "2026-11-25T08:00:00Z"
}))]
pub struct Message {
    #[serde(rename = "id")]
    pub message_id: Uuid,
    pub ticket_id: Uuid,
    #[schema(value_type = domain::support::MessageAuthor)]
    pub author: String,
    pub admin_id: Option<Uuid>,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

const MESSAGE_COLUMNS: &str = "message_id, ticket_id, author, admin_id, body, created_at";

/// A ticket to open.
#[derive(Debug, Clone)]
pub struct NewTicket<'a> {
    pub reseller_id: Uuid,
    pub ticket_id: Uuid,
    pub subject: &'a str,
    pub category: &'a str,
    pub order_id: Option<Uuid>,
}

pub async fn insert(conn: &mut PgConnection, t: &NewTicket<'_>) -> Result<Ticket, sqlx::Error> {
    sqlx::query_as(&format!(
        "INSERT INTO reseller.support_tickets (reseller_id, ticket_id, subject, category, order_id) \
         VALUES ($1, $2, $3, $4, $5) RETURNING {TICKET_COLUMNS}"
    ))
    .bind(t.reseller_id)
    .bind(t.ticket_id)
    .bind(t.subject)
    .bind(t.category)
    .bind(t.order_id)
    .fetch_one(conn)
    .await
}

/// A ticket by id; `reseller_id` scopes the lookup to one tenant (the
/// internal API passes `None`).
pub async fn find(
    conn: &mut PgConnection,
    reseller_id: Option<Uuid>,
    ticket_id: Uuid,
    for_update: bool,
) -> Result<Option<Ticket>, sqlx::Error> {
    let lock = if for_update { " FOR UPDATE" } else { "" };
    sqlx::query_as(&format!(
        "SELECT {TICKET_COLUMNS} FROM reseller.support_tickets \
         WHERE ticket_id = $2 AND ($1::uuid IS NULL OR reseller_id = $1){lock}"
    ))
    .bind(reseller_id)
    .bind(ticket_id)
    .fetch_optional(conn)
    .await
}

/// Writes a ticket's status, resolution time and assignee, and marks it
/// updated now.
pub async fn update(conn: &mut PgConnection, t: &Ticket) -> Result<Ticket, sqlx::Error> {
    sqlx::query_as(&format!(
        "UPDATE reseller.support_tickets SET status = $3, resolved_at = $4, assignee_id = $5, updated_at = now() \
         WHERE reseller_id = $1 AND ticket_id = $2 RETURNING {TICKET_COLUMNS}"
    ))
    .bind(t.reseller_id)
    .bind(t.ticket_id)
    .bind(&t.status)
    .bind(t.resolved_at)
    .bind(t.assignee_id)
    .fetch_one(conn)
    .await
}

pub async fn count_for_reseller(
    conn: &mut PgConnection,
    reseller_id: Uuid,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM reseller.support_tickets WHERE reseller_id = $1")
        .bind(reseller_id)
        .fetch_one(conn)
        .await
}

/// Filters of a ticket list. `after`/`before` is the keyset position of
/// the previous page's last row.
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub reseller_id: Option<Uuid>,
    pub status: Option<String>,
    pub assignee_id: Option<Uuid>,
    pub position: Option<(DateTime<Utc>, Uuid)>,
}

/// Which end of the list comes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// A reseller's own list.
    NewestFirst,
    /// The admins' queue.
    OldestFirst,
}

/// A page of tickets (one row more than `limit`, to tell whether another
/// page follows), without their messages.
pub async fn list(
    conn: &mut PgConnection,
    f: &TicketFilter,
    order: Order,
    limit: u32,
) -> Result<Vec<Ticket>, sqlx::Error> {
    let mut q: QueryBuilder<Postgres> = QueryBuilder::new(format!(
        "SELECT {TICKET_COLUMNS} FROM reseller.support_tickets WHERE true"
    ));
    if let Some(reseller_id) = f.reseller_id {
        q.push(" AND reseller_id = ").push_bind(reseller_id);
    }
    if let Some(status) = &f.status {
        q.push(" AND status = ").push_bind(status.clone());
    }
    if let Some(assignee_id) = f.assignee_id {
        q.push(" AND assignee_id = ").push_bind(assignee_id);
    }
    let (seek, direction) = match order {
        Order::NewestFirst => ("<", "DESC"),
        Order::OldestFirst => (">", "ASC"),
    };
    if let Some((at, id)) = f.position {
        q.push(format!(" AND (created_at, ticket_id) {seek} ("))
            .push_bind(at)
            .push(", ")
            .push_bind(id)
            .push(")");
    }
    q.push(format!(
        " ORDER BY created_at {direction}, ticket_id {direction} LIMIT "
    ))
    .push_bind(i64::from(limit) + 1);
    q.build_query_as().fetch_all(conn).await
}

/// A message to add to a ticket.
#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    pub reseller_id: Uuid,
    pub ticket_id: Uuid,
    pub author: &'a str,
    pub admin_id: Option<Uuid>,
    pub body: &'a str,
}

pub async fn insert_message(
    conn: &mut PgConnection,
    m: &NewMessage<'_>,
) -> Result<Message, sqlx::Error> {
    sqlx::query_as(&format!(
        "INSERT INTO reseller.support_messages (reseller_id, ticket_id, message_id, author, admin_id, body) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {MESSAGE_COLUMNS}"
    ))
    .bind(m.reseller_id)
    .bind(m.ticket_id)
    .bind(Uuid::now_v7())
    .bind(m.author)
    .bind(m.admin_id)
    .bind(m.body)
    .fetch_one(conn)
    .await
}

/// The whole conversation of a ticket, oldest first.
pub async fn messages(
    conn: &mut PgConnection,
    reseller_id: Uuid,
    ticket_id: Uuid,
) -> Result<Vec<Message>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM reseller.support_messages \
         WHERE reseller_id = $1 AND ticket_id = $2 ORDER BY created_at, message_id"
    ))
    .bind(reseller_id)
    .bind(ticket_id)
    .fetch_all(conn)
    .await
}

pub async fn count_messages(
    conn: &mut PgConnection,
    reseller_id: Uuid,
    ticket_id: Uuid,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT count(*) FROM reseller.support_messages WHERE reseller_id = $1 AND ticket_id = $2",
    )
    .bind(reseller_id)
    .bind(ticket_id)
    .fetch_one(conn)
    .await
}
