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

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQueue {
    /// Page size: 1 to 500, 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^(?:A[A-Za-z0-9_-]{31})?$")]
    cursor: Option<String>,
    #[param(inline, value_type = Option<TicketStatus>)]
    status: Option<String>,
    assignee_id: Option<Uuid>,
    reseller_id: Option<Uuid>,
}

/// `GET /internal/v1/support-tickets`: oldest first; filters `status`,
/// `assignee_id`, `reseller_id`.
#[utoipa::path(
    get,
    path = "/internal/v1/support-tickets",
    tag = "internal",
    operation_id = "list_ticket_queue",
    summary = "Every reseller's tickets, oldest first.",
    params(
        ListQueue
    ),
    responses(
        (status = 200, description = "A page of tickets.", body = platform::pagination::Page<crate::db::support_tickets::Ticket>)
    ),
    security(("internal_token" = []))
)]
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
#[utoipa::path(
    get,
    path = "/internal/v1/support-tickets/{ticket_id}",
    tag = "internal",
    operation_id = "get_ticket",
    summary = "One ticket with its messages.",
    params(
        ("ticket_id" = Uuid, Path, description = "The ticket.")
    ),
    responses(
        (status = 200, description = "The ticket.", body = TicketDetail)
    ),
    security(("internal_token" = []))
)]
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

#[derive(Debug, Serialize, utoipa::ToSchema)]
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
#[utoipa::path(
    post,
    path = "/internal/v1/support-tickets/{ticket_id}/assign",
    tag = "internal",
    operation_id = "assign_ticket",
    summary = "Assign a ticket to an admin, or unassign it.",
    params(
        ("ticket_id" = Uuid, Path, description = "The ticket.")
    ),
    request_body(content = super::schemas::AssignmentBody),
    responses(
        (status = 200, description = "The ticket before and after.", body = TicketChange)
    ),
    security(("internal_token" = []))
)]
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

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PostedMessage {
    message: Message,
    ticket: Ticket,
}

/// `POST /internal/v1/support-tickets/{ticket_id}/messages`: 201 with the
/// message and the ticket. Leaves the status alone.
#[utoipa::path(
    post,
    path = "/internal/v1/support-tickets/{ticket_id}/messages",
    tag = "internal",
    operation_id = "create_ticket_message",
    summary = "Post a message from the platform or an admin.",
    description = "It does not reopen a resolved ticket. At most 500 messages per ticket (409 `too_many_messages`).",
    params(
        ("ticket_id" = Uuid, Path, description = "The ticket."),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes the create safe to retry: the same key with the same body within 24 hours answers the first response again; with another body, 422 `idempotency_key_reused`.", min_length = 1, max_length = 255, pattern = "^[!-~]{1,255}$")
    ),
    request_body(content = super::schemas::AdminMessageBody),
    responses(
        (status = 201, description = "The message and the ticket.", body = PostedMessage),
        (status = 409, description = "The ticket has 500 messages (`too_many_messages`).", content_type = "application/problem+json", body = super::schemas::ProblemDoc),
        (status = 422, description = "The Idempotency-Key was already used with another body (`idempotency_key_reused`).", content_type = "application/problem+json", body = super::schemas::ProblemDoc)
    ),
    security(("internal_token" = []))
)]
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
#[utoipa::path(
    post,
    path = "/internal/v1/support-tickets/{ticket_id}/resolve",
    tag = "internal",
    operation_id = "resolve_ticket",
    summary = "Resolve an open ticket, optionally with a note.",
    description = "An already resolved ticket is 409 `invalid_transition`. The body may be empty.",
    params(
        ("ticket_id" = Uuid, Path, description = "The ticket.")
    ),
    request_body(content = super::schemas::ResolutionBody, description = "Optional: an empty body resolves without a note."),
    responses(
        (status = 200, description = "The ticket before and after.", body = TicketChange),
        (status = 409, description = "The ticket is already resolved (`invalid_transition`).", content_type = "application/problem+json", body = super::schemas::ProblemDoc)
    ),
    security(("internal_token" = []))
)]
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
