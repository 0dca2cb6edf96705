//! Support tickets of the calling reseller: open one (optionally about one
//! of its orders), list them newest first, read one with its whole
//! conversation, and write on it. A pending reseller may use them (it may
//! need help to get approved); a suspended one is refused by [`AuthReseller`].
//!
//! The rules shared with the admins' side of the conversation
//! ([`add_message`], [`TicketDetail`]) live here, next to the tickets.

use axum::{extract::State, response::Response, Json};
use domain::{
    support::{self, MessageAuthor, SupportCategory, TicketStatus},
    Violations,
};
use platform::{
    http::extract::{AppPath, AppQuery},
    idempotency::CreateRequest,
    pagination::{Page, PageQuery},
};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{
    auth::AuthReseller,
    support::{time_id_cursor, time_id_position, Idempotent},
};
use crate::{
    db::{
        self,
        support_tickets::{Message, NewMessage, NewTicket, Order, Ticket, TicketFilter},
    },
    ApiError, AppState,
};

/// Tickets per reseller, a bound on what one client can make us store.
pub const MAX_TICKETS_PER_RESELLER: i64 = 10_000;
/// Messages per ticket: the detail answers the whole conversation, so it
/// must stay a readable size (at most about 5 MB of text).
pub const MAX_MESSAGES_PER_TICKET: i64 = 500;

/// A ticket with its whole conversation, oldest message first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({
    "id": "0193a5c0-7d2e-7c1a-9e4b-3f1d2a6b8c95", "reseller_id": "0193a5c0-7d2e-7c1a-9e4b-3f1d2a6b8c90",
    "subject": "Refund for a double charge", "category": "refund", "status": "open", "order_id": null, "assignee_id": null,
    "created_at": "2026-11-25T08:00:00Z", "updated_at": "2026-11-25T08:00:00Z", "resolved_at": null,
    "messages": [{
    "id": "0193a5c0-7d2e-7c1a-9e4b-3f1d2a6b8c96", "ticket_id": "0193a5c0-7d2e-7c1a-9e4b-3f1d2a6b8c95",
    "author": "reseller", "admin_id": null, "body": "The customer was charged twice.", "created_at": "2026-11-25T08:00:00Z"
    }]
}))]
pub struct TicketDetail {
    #[serde(flatten)]
    pub ticket: Ticket,
    pub messages: Vec<Message>,
}

impl TicketDetail {
    pub async fn load(conn: &mut PgConnection, ticket: Ticket) -> Result<Self, sqlx::Error> {
        let messages =
            db::support_tickets::messages(conn, ticket.reseller_id, ticket.ticket_id).await?;
        Ok(Self { ticket, messages })
    }
}

/// Adds a message to `ticket`, which the caller has locked (`FOR UPDATE`),
/// and applies its effect on the status: a reseller's message reopens a
/// resolved ticket. Answers the message and the ticket after it.
pub async fn add_message(
    conn: &mut PgConnection,
    mut ticket: Ticket,
    author: MessageAuthor,
    admin_id: Option<Uuid>,
    body: &str,
) -> Result<(Message, Ticket), ApiError> {
    let count =
        db::support_tickets::count_messages(conn, ticket.reseller_id, ticket.ticket_id).await?;
    if count >= MAX_MESSAGES_PER_TICKET {
        return Err(ApiError::conflict(
            "too_many_messages",
            format!(
                "A ticket holds at most {MAX_MESSAGES_PER_TICKET} messages; open a new ticket."
            ),
        ));
    }
    let message = db::support_tickets::insert_message(
        conn,
        &NewMessage {
            reseller_id: ticket.reseller_id,
            ticket_id: ticket.ticket_id,
            author: author.as_str(),
            admin_id,
            body,
        },
    )
    .await?;
    let status = TicketStatus::parse(&ticket.status)
        .ok_or_else(|| ApiError::Internal(format!("unknown ticket status {}", ticket.status)))?;
    let after = status.after_message(author);
    if after != status {
        ticket.status = after.as_str().to_owned();
        ticket.resolved_at = None;
    }
    let ticket = db::support_tickets::update(conn, &ticket).await?;
    Ok((message, ticket))
}

/// 422 unless `raw` is a ticket status (a list filter).
pub fn check_status_filter(raw: &Option<String>) -> Result<(), ApiError> {
    match raw {
        Some(status) if TicketStatus::parse(status).is_none() => Err(ApiError::invalid(
            "status",
            "invalid_choice",
            "must be one of open, resolved",
        )),
        _ => Ok(()),
    }
}

/// A ticket as sent; every field optional so that every problem is
/// reported at once.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTicketInput {
    subject: Option<String>,
    category: Option<String>,
    order_id: Option<Uuid>,
    message: Option<String>,
}

fn required(v: &mut Violations, field: &str, value: &Option<String>) -> Option<String> {
    if value.is_none() {
        v.add(field, "required", "is required");
    }
    value.clone()
}

/// `POST /v1/support-tickets`: 201 with the ticket and its first message.
#[utoipa::path(
    post,
    path = "/v1/support-tickets",
    tag = "support",
    operation_id = "create_support_ticket",
    summary = "Open a support ticket with its first message.",
    description = "`order_id`, when given, must be one of the caller's orders (400 `unknown_order`). At most 10000 tickets (409 `too_many_tickets`).",
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "Makes the create safe to retry: the same key with the same body within 24 hours answers the first response again; with another body, 422 `idempotency_key_reused`.", min_length = 1, max_length = 255, pattern = "^[!-~]{1,255}$")
    ),
    request_body(content = super::schemas::NewTicketBody),
    responses(
        (status = 201, description = "The ticket with its messages.", body = TicketDetail),
        (status = 409, description = "The reseller has 10000 tickets (`too_many_tickets`).", content_type = "application/problem+json", body = super::schemas::ProblemDoc),
        (status = 422, description = "The Idempotency-Key was already used with another body (`idempotency_key_reused`).", content_type = "application/problem+json", body = super::schemas::ProblemDoc)
    ),
    security(("api_key" = []))
)]
pub async fn create_support_ticket(
    State(state): State<AppState>,
    auth: AuthReseller,
    request: CreateRequest<NewTicketInput>,
) -> Result<Response, ApiError> {
    let input = &request.body;
    let mut v = Violations::new();
    let subject = required(&mut v, "subject", &input.subject)
        .and_then(|s| v.check("subject", support::parse_subject(&s)));
    let category = required(&mut v, "category", &input.category)
        .and_then(|c| v.check("category", SupportCategory::parse(&c)));
    let body = required(&mut v, "message", &input.message)
        .and_then(|m| v.check("message", support::parse_body(&m)));

    let mut tx = db::tenant(state.db.pool(), auth.reseller_id).await?;
    if let Some(order_id) = input.order_id {
        if db::orders::find(&mut tx, auth.reseller_id, order_id)
            .await?
            .is_none()
        {
            v.add(
                "order_id",
                "unknown_order",
                "is not an order of this reseller",
            );
        }
    }
    let (Some(subject), Some(category), Some(body), true) = (subject, category, body, v.is_empty())
    else {
        return Err(v.into());
    };
    let idempotent = Idempotent {
        scope: auth.reseller_id,
        key: request.key.as_ref(),
        fingerprint: &request.fingerprint,
    };
    if let Some(replay) = idempotent.begin(&mut tx).await? {
        return Ok(replay);
    }
    if db::support_tickets::count_for_reseller(&mut tx, auth.reseller_id).await?
        >= MAX_TICKETS_PER_RESELLER
    {
        return Err(ApiError::conflict(
            "too_many_tickets",
            format!("A reseller may open at most {MAX_TICKETS_PER_RESELLER} support tickets."),
        ));
    }
    let ticket = db::support_tickets::insert(
        &mut tx,
        &NewTicket {
            reseller_id: auth.reseller_id,
            ticket_id: Uuid::now_v7(),
            subject: &subject,
            category: category.as_str(),
            order_id: input.order_id,
        },
    )
    .await?;
    let (message, ticket) =
        add_message(&mut tx, ticket, MessageAuthor::Reseller, None, &body).await?;
    let detail = TicketDetail {
        ticket,
        messages: vec![message],
    };
    let response = idempotent.finish(&mut tx, &detail, None).await?;
    tx.commit().await?;
    Ok(response)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListTickets {
    /// Page size: 1 to 500, 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^(?:A[A-Za-z0-9_-]{31})?$")]
    cursor: Option<String>,
    #[param(inline, value_type = Option<TicketStatus>)]
    status: Option<String>,
}

/// `GET /v1/support-tickets`: newest first, without messages; filter
/// `status`.
#[utoipa::path(
    get,
    path = "/v1/support-tickets",
    tag = "support",
    operation_id = "list_support_tickets",
    summary = "The caller's support tickets, newest first.",
    params(
        ListTickets
    ),
    responses(
        (status = 200, description = "A page of tickets.", body = platform::pagination::Page<crate::db::support_tickets::Ticket>)
    ),
    security(("api_key" = []))
)]
pub async fn list_support_tickets(
    State(state): State<AppState>,
    auth: AuthReseller,
    AppQuery(query): AppQuery<ListTickets>,
) -> Result<Json<Page<Ticket>>, ApiError> {
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    };
    let limit = page.limit()?;
    check_status_filter(&query.status)?;
    let filter = TicketFilter {
        reseller_id: Some(auth.reseller_id),
        status: query.status,
        assignee_id: None,
        position: time_id_position(&page)?,
    };
    let mut tx = db::tenant(state.db.pool(), auth.reseller_id).await?;
    let rows = db::support_tickets::list(&mut tx, &filter, Order::NewestFirst, limit).await?;
    tx.commit().await?;
    Ok(Json(Page::from_rows(rows, limit, |t| {
        time_id_cursor(t.created_at, t.ticket_id)
    })))
}

/// `GET /v1/support-tickets/{ticket_id}`: the ticket and its conversation.
#[utoipa::path(
    get,
    path = "/v1/support-tickets/{ticket_id}",
    tag = "support",
    operation_id = "get_support_ticket",
    summary = "One ticket with its messages.",
    params(
        ("ticket_id" = Uuid, Path, description = "The ticket.")
    ),
    responses(
        (status = 200, description = "The ticket.", body = TicketDetail)
    ),
    security(("api_key" = []))
)]
pub async fn get_support_ticket(
    State(state): State<AppState>,
    auth: AuthReseller,
    AppPath(ticket_id): AppPath<Uuid>,
) -> Result<Json<TicketDetail>, ApiError> {
    let mut tx = db::tenant(state.db.pool(), auth.reseller_id).await?;
    let ticket = db::support_tickets::find(&mut tx, Some(auth.reseller_id), ticket_id, false)
        .await?
        .ok_or(ApiError::NotFound)?;
    let detail = TicketDetail::load(&mut tx, ticket).await?;
    tx.commit().await?;
    Ok(Json(detail))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageInput {
    body: Option<String>,
}

/// The validated body of a message.
pub fn parse_message_body(raw: &Option<String>) -> Result<String, ApiError> {
    let raw = raw
        .as_deref()
        .ok_or_else(|| ApiError::invalid("body", "required", "is required"))?;
    support::parse_body(raw).map_err(|(code, message)| ApiError::invalid("body", code, message))
}

/// `POST /v1/support-tickets/{ticket_id}/messages`: 201 with the message;
/// a message on a resolved ticket reopens it.
#[utoipa::path(
    post,
    path = "/v1/support-tickets/{ticket_id}/messages",
    tag = "support",
    operation_id = "create_support_message",
    summary = "Add a message to a ticket; it reopens a resolved ticket.",
    description = "At most 500 messages per ticket (409 `too_many_messages`).",
    params(
        ("ticket_id" = Uuid, Path, description = "The ticket."),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes the create safe to retry: the same key with the same body within 24 hours answers the first response again; with another body, 422 `idempotency_key_reused`.", min_length = 1, max_length = 255, pattern = "^[!-~]{1,255}$")
    ),
    request_body(content = super::schemas::MessageBody),
    responses(
        (status = 201, description = "The message.", body = crate::db::support_tickets::Message),
        (status = 409, description = "The ticket has 500 messages (`too_many_messages`).", content_type = "application/problem+json", body = super::schemas::ProblemDoc),
        (status = 422, description = "The Idempotency-Key was already used with another body (`idempotency_key_reused`).", content_type = "application/problem+json", body = super::schemas::ProblemDoc)
    ),
    security(("api_key" = []))
)]
pub async fn create_support_message(
    State(state): State<AppState>,
    auth: AuthReseller,
    AppPath(ticket_id): AppPath<Uuid>,
    request: CreateRequest<MessageInput>,
) -> Result<Response, ApiError> {
    let body = parse_message_body(&request.body.body)?;
    let mut tx = db::tenant(state.db.pool(), auth.reseller_id).await?;
    let ticket = db::support_tickets::find(&mut tx, Some(auth.reseller_id), ticket_id, true)
        .await?
        .ok_or(ApiError::NotFound)?;
    let idempotent = Idempotent {
        scope: auth.reseller_id,
        key: request.key.as_ref(),
        fingerprint: &request.fingerprint,
    };
    if let Some(replay) = idempotent.begin(&mut tx).await? {
        return Ok(replay);
    }
    let (message, _) = add_message(&mut tx, ticket, MessageAuthor::Reseller, None, &body).await?;
    let response = idempotent.finish(&mut tx, &message, None).await?;
    tx.commit().await?;
    Ok(response)
}
