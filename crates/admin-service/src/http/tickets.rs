//! The support queue. Tickets live in reseller-service (resellers open and
//! answer them there); admins read the queue, assign, reply and resolve
//! through its internal API, each change audited around the call. A ticket's
//! detail here also lists its forced refunds, which live in admin-service.

use axum::{body::Bytes, extract::State, http::StatusCode, Json};
use platform::http::extract::{parse_json, AppJson, AppPath, AppQuery};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use super::auth::{Admin, AnyRole, SupportRole};
use crate::{
    audit::{audited, snapshot},
    db::{self, audit::Entry},
    reseller_api::query_pairs,
    reseller_api::Change,
    ApiError, AppState,
};

#[derive(Debug, Deserialize)]
pub struct ListTickets {
    limit: Option<u32>,
    cursor: Option<String>,
    status: Option<String>,
    assignee_id: Option<Uuid>,
    reseller_id: Option<Uuid>,
}

/// `GET /v1/support-tickets`: the queue, oldest first; filters `status`,
/// `assignee_id`, `reseller_id`.
pub async fn list_tickets(
    State(state): State<AppState>,
    _admin: Admin<AnyRole>,
    AppQuery(q): AppQuery<ListTickets>,
) -> Result<Json<Value>, ApiError> {
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assignment {
    assignee_id: Option<Uuid>,
}

/// `POST /v1/support-tickets/{ticket_id}/assign` with `assignee_id` (null
/// unassigns): an active support or owner admin.
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    body: String,
}

/// `POST /v1/support-tickets/{ticket_id}/messages`: an admin's reply.
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

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resolution {
    note: Option<String>,
}

/// `POST /v1/support-tickets/{ticket_id}/resolve`, with an optional `note`.
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
