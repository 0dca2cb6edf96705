//! The support queue for admin-service (`INTERNAL_TOKEN`), across every
//! reseller: list it oldest first, read a ticket, assign it, write on it (as
//! a named admin, or as the platform for system notices such as a refund's
//! result) and resolve it. Changes answer the ticket before and after, for
//! admin-service's audit log. Admins are admin-service's; this service
//! stores their ids without knowing them.

use axum::{
    body::Bytes,
    extract::{FromRequest, Request, State},
    response::{IntoResponse, Response},
    Json,
};
use chrono::Utc;
use domain::support::{self, MessageAuthor, TicketStatus};
use platform::{
    http::extract::{parse_json, AppJson, AppPath, AppQuery},
    idempotency::CreateRequest,
    pagination::{Page, PageQuery},
    Problem,
};
use serde::{Deserialize, Deserializer, Serialize};
use uuid::Uuid;

use super::{
    auth::InternalCaller,
    support::{time_id_cursor, time_id_position, Idempotent},
    support_tickets::{add_message, check_status_filter, parse_message_body, TicketDetail},
};
use crate::{
    db::{
        self,
        support_tickets::{Message, Order, Ticket, TicketFilter},
        Tx,
    },
    ApiError, AppState,
};

#[derive(Debug, Deserialize)]
pub struct ListQueue {
    limit: Option<u32>,
    cursor: Option<String>,
    status: Option<String>,
    assignee_id: Option<Uuid>,
    reseller_id: Option<Uuid>,
}

/// `GET /internal/v1/support-tickets`: oldest first; filters `status`,
/// `assignee_id`, `reseller_id`.
pub async fn list_ticket_queue(
    State(state): State<AppState>,
    _caller: InternalCaller,
    AppQuery(query): AppQuery<ListQueue>,
) -> Result<Json<Page<Ticket>>, ApiError> {
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    };
    let limit = page.limit()?;
    check_status_filter(&query.status)?;
    let filter = TicketFilter {
        reseller_id: query.reseller_id,
        status: query.status,
        assignee_id: query.assignee_id,
        position: time_id_position(&page)?,
    };
    let mut tx = db::platform(state.db.pool()).await?;
    let rows = db::support_tickets::list(&mut tx, &filter, Order::OldestFirst, limit).await?;
    tx.commit().await?;
    Ok(Json(Page::from_rows(rows, limit, |t| {
        time_id_cursor(t.created_at, t.ticket_id)
    })))
}

async fn locked_ticket(tx: &mut Tx, ticket_id: Uuid) -> Result<Ticket, ApiError> {
    db::support_tickets::find(tx, None, ticket_id, true)
        .await?
        .ok_or(ApiError::NotFound)
}

/// `GET /internal/v1/support-tickets/{ticket_id}`: with its conversation.
pub async fn get_ticket(
    State(state): State<AppState>,
    _caller: InternalCaller,
    AppPath(ticket_id): AppPath<Uuid>,
) -> Result<Json<TicketDetail>, ApiError> {
    let mut tx = db::platform(state.db.pool()).await?;
    let ticket = db::support_tickets::find(&mut tx, None, ticket_id, false)
        .await?
        .ok_or(ApiError::NotFound)?;
    let detail = TicketDetail::load(&mut tx, ticket).await?;
    tx.commit().await?;
    Ok(Json(detail))
}

#[derive(Debug, Serialize)]
pub struct TicketChange {
    before: Ticket,
    after: Ticket,
}

/// A field that must be present but may be null: `Some(None)` for null,
/// `None` (by `serde(default)`) when absent.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<Uuid>>, D::Error> {
    Option::<Uuid>::deserialize(d).map(Some)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assignment {
    #[serde(default, deserialize_with = "present")]
    assignee_id: Option<Option<Uuid>>,
}

/// `POST /internal/v1/support-tickets/{ticket_id}/assign` with
/// `{ "assignee_id": uuid | null }` (null unassigns).
pub async fn assign_ticket(
    State(state): State<AppState>,
    _caller: InternalCaller,
    AppPath(ticket_id): AppPath<Uuid>,
    AppJson(body): AppJson<Assignment>,
) -> Result<Json<TicketChange>, ApiError> {
    let assignee_id = body.assignee_id.ok_or_else(|| {
        ApiError::invalid(
            "assignee_id",
            "required",
            "is required: an admin's id, or null to unassign",
        )
    })?;
    let mut tx = db::platform(state.db.pool()).await?;
    let before = locked_ticket(&mut tx, ticket_id).await?;
    let mut changed = before.clone();
    changed.assignee_id = assignee_id;
    let after = db::support_tickets::update(&mut tx, &changed).await?;
    tx.commit().await?;
    Ok(Json(TicketChange { before, after }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminMessageInput {
    /// The writing admin; null (or absent) for a notice of the platform.
    admin_id: Option<Uuid>,
    body: Option<String>,
}

#[derive(Debug, Serialize)]
struct PostedMessage {
    message: Message,
    ticket: Ticket,
}

/// `POST /internal/v1/support-tickets/{ticket_id}/messages`: 201 with the
/// message and the ticket. Leaves the status alone.
pub async fn create_ticket_message(
    State(state): State<AppState>,
    _caller: InternalCaller,
    AppPath(ticket_id): AppPath<Uuid>,
    request: CreateRequest<AdminMessageInput>,
) -> Result<Response, ApiError> {
    let body = parse_message_body(&request.body.body)?;
    let admin_id = request.body.admin_id;
    let author = match admin_id {
        Some(_) => MessageAuthor::Admin,
        None => MessageAuthor::Platform,
    };
    let mut tx = db::platform(state.db.pool()).await?;
    let ticket = locked_ticket(&mut tx, ticket_id).await?;
    // Keys are kept with the ticket's tenant, like the reseller's own.
    let idempotent = Idempotent {
        scope: ticket.reseller_id,
        key: request.key.as_ref(),
        fingerprint: &request.fingerprint,
    };
    if let Some(replay) = idempotent.begin(&mut tx).await? {
        return Ok(replay);
    }
    let (message, ticket) = add_message(&mut tx, ticket, author, admin_id, &body).await?;
    let response = idempotent
        .finish(&mut tx, &PostedMessage { message, ticket }, None)
        .await?;
    tx.commit().await?;
    Ok(response)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resolution {
    /// Shown to the reseller as the last message of the conversation.
    note: Option<String>,
    /// Who resolved; the note is then that admin's message, else the
    /// platform's.
    admin_id: Option<Uuid>,
}

/// `POST /internal/v1/support-tickets/{ticket_id}/resolve` with `{}` (or no
/// body) or `{ "note": "..." }`: 409 `invalid_transition` when already
/// resolved.
pub async fn resolve_ticket(
    State(state): State<AppState>,
    _caller: InternalCaller,
    AppPath(ticket_id): AppPath<Uuid>,
    request: Request,
) -> Result<Response, ApiError> {
    let body = Bytes::from_request(request, &())
        .await
        .map_err(|rejection| Problem::for_status(rejection.status()))?;
    let resolution: Resolution = if body.iter().all(u8::is_ascii_whitespace) {
        Resolution::default()
    } else {
        parse_json(&body)?
    };
    let note = resolution
        .note
        .as_deref()
        .map(support::parse_note)
        .transpose()
        .map_err(|(code, message)| ApiError::invalid("note", code, message))?;
    let mut tx = db::platform(state.db.pool()).await?;
    let before = locked_ticket(&mut tx, ticket_id).await?;
    let status = TicketStatus::parse(&before.status)
        .ok_or_else(|| ApiError::Internal(format!("unknown ticket status {}", before.status)))?;
    let resolved = status.resolve().ok_or_else(|| {
        ApiError::conflict(
            "invalid_transition",
            "This ticket is already resolved; a message from the reseller reopens it.",
        )
    })?;
    let mut changed = before.clone();
    if let Some(note) = &note {
        let author = match resolution.admin_id {
            Some(_) => MessageAuthor::Admin,
            None => MessageAuthor::Platform,
        };
        (_, changed) = add_message(&mut tx, changed, author, resolution.admin_id, note).await?;
    }
    changed.status = resolved.as_str().to_owned();
    changed.resolved_at = Some(Utc::now());
    let after = db::support_tickets::update(&mut tx, &changed).await?;
    tx.commit().await?;
    Ok(Json(TicketChange { before, after }).into_response())
}
