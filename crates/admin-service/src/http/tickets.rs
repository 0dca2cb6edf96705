//! The support queue. Tickets live in reseller-service (resellers open and
//! answer them there); admins read the queue, assign, reply and resolve
//! through its internal API, each change audited around the call. A ticket's
//! detail here also lists its forced refunds, which live in admin-service.

use axum::{body::Bytes, extract::State, http::StatusCode, Json};
use platform::http::extract::AppJson;
use platform::http::extract::{parse_json, AppPath, AppQuery};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use super::{
    auth::{Admin, AnyRole, SupportRole},
    schemas::{ProblemSchema, Ticket, TicketDetail, TicketMessage, TicketStatus},
};
use crate::{
    audit::{audited, snapshot},
    db::{self, audit::Entry},
    reseller_api::query_pairs,
    reseller_api::Change,
    ApiError, AppState,
};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListTickets {
    /// Page size: 1 to 500, 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^(?:[A-Zab][A-Za-z0-9_-]{31})?$")]
    cursor: Option<String>,
    /// Only tickets with this status.
    #[param(value_type = Option<TicketStatus>)]
    status: Option<String>,
    /// Only tickets assigned to this admin.
    assignee_id: Option<Uuid>,
    /// Only this reseller's tickets.
    reseller_id: Option<Uuid>,
}

/// `GET /v1/support-tickets`: the queue, oldest first; filters `status`,
/// `assignee_id`, `reseller_id`.
#[utoipa::path(
    get,
    path = "/v1/support-tickets",
    tag = "support",
    operation_id = "list_tickets",
    summary = "The support queue of every reseller, oldest first.",
    description = "Any admin role (`viewer`, `support`, `owner`). Filters `status`, `assignee_id`, `reseller_id`.",
    params(ListTickets),
    security(("admin_session" = [])),
    responses(
        (status = 200, description = "A page of tickets.", body = platform::pagination::Page<super::schemas::Ticket>),
        (status = 422, description = "`status` is not one of the statuses.", content_type = "application/problem+json", body = ProblemSchema),
    ),
)]
pub async fn list_tickets(
    State(state): State<AppState>,
    _admin: Admin<AnyRole>,
    AppQuery(q): AppQuery<ListTickets>,
) -> Result<Json<Value>, ApiError> {
    super::schemas::check_time_cursor(q.cursor.as_deref())?;
    let query = query_pairs(&[
        ("limit", q.limit.map(|l| l.to_string())),
        ("cursor", q.cursor),
        ("status", q.status),
        ("assignee_id", q.assignee_id.map(|a| a.to_string())),
        ("reseller_id", q.reseller_id.map(|r| r.to_string())),
    ]);
    state
        .reseller
        .get("/internal/v1/support-tickets", &query)
        .await
        .map(Json)
}

/// `GET /v1/support-tickets/{ticket_id}`: the conversation and the ticket's
/// forced refunds.
#[utoipa::path(
    get,
    path = "/v1/support-tickets/{ticket_id}",
    tag = "support",
    operation_id = "get_ticket",
    summary = "A ticket with its conversation and its forced refunds.",
    description = "Any admin role (`viewer`, `support`, `owner`).",
    params(("ticket_id" = Uuid, Path, description = "The ticket.")),
    security(("admin_session" = [])),
    responses((status = 200, description = "The ticket.", body = TicketDetail)),
)]
pub async fn get_ticket(
    State(state): State<AppState>,
    _admin: Admin<AnyRole>,
    AppPath(ticket_id): AppPath<Uuid>,
) -> Result<Json<Value>, ApiError> {
    let mut ticket: Value = state
        .reseller
        .get(&format!("/internal/v1/support-tickets/{ticket_id}"), &[])
        .await?;
    let mut conn = state.db.acquire().await?;
    let refunds = db::refunds::list(&mut conn, None, Some(ticket_id), None, 500).await?;
    ticket["refunds"] = snapshot(&refunds)?;
    Ok(Json(ticket))
}

/// Who works a ticket.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "assignee_id": "0193a5c0-7d2e-7c1a-9e4b-3f1d2a6b8c90" }))]
pub struct Assignment {
    /// An active admin with the `support` or `owner` role; null or absent
    /// unassigns.
    assignee_id: Option<Uuid>,
}

/// `POST /v1/support-tickets/{ticket_id}/assign` with `assignee_id` (null
/// unassigns): an active support or owner admin.
#[utoipa::path(
    post,
    path = "/v1/support-tickets/{ticket_id}/assign",
    tag = "support",
    operation_id = "assign_ticket",
    summary = "Assign a ticket to an admin, or unassign it.",
    description = "`support` or `owner`. Audited.",
    params(("ticket_id" = Uuid, Path, description = "The ticket.")),
    request_body = Assignment,
    security(("admin_session" = [])),
    responses(
        (status = 200, description = "The ticket after the change.", body = Ticket),
        (status = 422, description = "`invalid_assignee`: `assignee_id` is not an active admin with the `support` or `owner` role; or a field has the wrong type.", content_type = "application/problem+json", body = ProblemSchema),
    ),
)]
pub async fn assign_ticket(
    State(state): State<AppState>,
    admin: Admin<SupportRole>,
    AppPath(ticket_id): AppPath<Uuid>,
    AppJson(body): AppJson<Assignment>,
) -> Result<Json<Value>, ApiError> {
    if let Some(assignee) = body.assignee_id {
        let mut conn = state.db.acquire().await?;
        if !db::admins::can_work_tickets(&mut conn, assignee).await? {
            return Err(ApiError::invalid(
                "assignee_id",
                "invalid_assignee",
                "must be an active admin with the support or owner role",
            ));
        }
    }
    let change: Change = audited(
        &state,
        &admin.actor(),
        Entry {
            action: "ticket.assign",
            target_type: "support_ticket",
            target_id: Some(ticket_id.to_string()),
            ..Entry::default()
        },
        state.reseller.post(
            &format!("/internal/v1/support-tickets/{ticket_id}/assign"),
            &json!({ "assignee_id": body.assignee_id }),
        ),
        |c: &Change| (Some(c.before.clone()), Some(c.after.clone())),
    )
    .await?;
    Ok(Json(change.after))
}

/// An admin's reply.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "body": "We have refunded the order; it shows in your report within minutes." }))]
pub struct Reply {
    #[schema(schema_with = super::schemas::reply_body)]
    body: String,
}

/// `POST /v1/support-tickets/{ticket_id}/messages`: an admin's reply.
#[utoipa::path(
    post,
    path = "/v1/support-tickets/{ticket_id}/messages",
    tag = "support",
    operation_id = "reply_to_ticket",
    summary = "Reply on a ticket, as the calling admin.",
    description = "`support` or `owner`. Leaves the ticket's status alone. Audited.",
    params(("ticket_id" = Uuid, Path, description = "The ticket.")),
    request_body = Reply,
    security(("admin_session" = [])),
    responses(
        (status = 201, description = "The message.", body = TicketMessage),
        (status = 422, description = "`body` is missing or invalid.", content_type = "application/problem+json", body = ProblemSchema),
    ),
)]
pub async fn reply_to_ticket(
    State(state): State<AppState>,
    admin: Admin<SupportRole>,
    AppPath(ticket_id): AppPath<Uuid>,
    AppJson(reply): AppJson<Reply>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let body = domain::text::bounded(&reply.body, 1, 10_000)
        .map_err(|(code, message)| ApiError::invalid("body", code, message))?;
    let posted: Value = audited(
        &state,
        &admin.actor(),
        Entry {
            action: "ticket.reply",
            target_type: "support_ticket",
            target_id: Some(ticket_id.to_string()),
            ..Entry::default()
        },
        state.reseller.post(
            &format!("/internal/v1/support-tickets/{ticket_id}/messages"),
            &json!({ "admin_id": admin.admin_id, "body": body }),
        ),
        |p: &Value| (None, p.get("message").cloned()),
    )
    .await?;
    let message = posted.get("message").cloned().unwrap_or(Value::Null);
    Ok((StatusCode::CREATED, Json(message)))
}

/// A resolution; the body may also be empty.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "note": "Refunded; closing." }))]
pub struct Resolution {
    #[schema(schema_with = super::schemas::resolution_note)]
    note: Option<String>,
}

/// `POST /v1/support-tickets/{ticket_id}/resolve`, with an optional `note`.
#[utoipa::path(
    post,
    path = "/v1/support-tickets/{ticket_id}/resolve",
    tag = "support",
    operation_id = "resolve_ticket",
    summary = "Resolve a ticket, with an optional note to the reseller.",
    description = "`support` or `owner`. The body is optional: none, `{}` or `{ \"note\": ... }`. A message from the reseller reopens the ticket. Audited.",
    params(("ticket_id" = Uuid, Path, description = "The ticket.")),
    request_body(content = Option<Resolution>, description = "Optional.", content_type = "application/json"),
    security(("admin_session" = [])),
    responses(
        (status = 200, description = "The ticket after the change.", body = Ticket),
        (status = 409, description = "`invalid_transition`: the ticket is already resolved.", content_type = "application/problem+json", body = ProblemSchema),
        (status = 422, description = "`note` is invalid.", content_type = "application/problem+json", body = ProblemSchema),
    ),
)]
pub async fn resolve_ticket(
    State(state): State<AppState>,
    admin: Admin<SupportRole>,
    AppPath(ticket_id): AppPath<Uuid>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    // The body is optional: an empty one resolves without a note.
    let resolution: Resolution = if body.iter().all(u8::is_ascii_whitespace) {
        Resolution::default()
    } else {
        parse_json(&body)?
    };
    let note = resolution
        .note
        .map(|n| domain::text::bounded(&n, 1, 2_000))
        .transpose()
        .map_err(|(code, message)| ApiError::invalid("note", code, message))?;
    let change: Change = audited(
        &state,
        &admin.actor(),
        Entry {
            action: "ticket.resolve",
            target_type: "support_ticket",
            target_id: Some(ticket_id.to_string()),
            reason: note.clone(),
            ..Entry::default()
        },
        state.reseller.post(
            &format!("/internal/v1/support-tickets/{ticket_id}/resolve"),
            &json!({ "note": note }),
        ),
        |c: &Change| (Some(c.before.clone()), Some(c.after.clone())),
    )
    .await?;
    Ok(Json(change.after))
}
