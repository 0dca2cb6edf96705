//! Forced refunds. An admin requests one from a ticket (`POST
//! /v1/support-tickets/{id}/refunds`): checked against the order (it must be
//! the ticket's reseller's, and the amount not more than was paid and not yet
//! refunded or requested), written to the outbox with its audit row and a
//! notice for the ticket, all in one transaction. The core order service
//! reads the outbox (`GET /internal/v1/refund-requests?status=pending`),
//! carries the refund out and reports `complete` or `fail`; the outcome goes
//! to the ticket as a notice. Its `order.refunded` event then reaches the
//! reseller's report through the ingest.

use axum::{extract::State, response::Response, Json};
use chrono::Utc;
use domain::admin::{RefundLedger, RefundRefusal};
use platform::http::extract::AppJson;
use platform::idempotency::CreateRequest;
use platform::{
    http::extract::{AppPath, AppQuery},
    idempotency::Idempotent,
    pagination::{time_id_cursor, Page, PageQuery},
};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use super::{
    auth::{Admin, CoreCaller, SupportRole},
    schemas::{IdempotencyKeyHeader, ProblemSchema, RefundStatus},
};
use crate::{
    audit::snapshot,
    db::{
        self,
        audit::{Actor, Entry},
        refunds::RefundRequest,
    },
    ApiError, AppState,
};

/// A forced refund of an order of the ticket's reseller.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "order_id": "0193a5c0-7d2e-7c1a-9e4b-3f1d2a6b8c90", "reason": "Show cancelled by the venue.", "amount_minor": 150000 }))]
pub struct NewRefund {
    /// An order of the ticket's reseller.
    order_id: Uuid,
    #[schema(schema_with = super::schemas::refund_reason)]
    reason: String,
    /// In the order's currency's minor units; absent or null for all that
    /// is left (paid, less what is refunded or requested). At most that.
    #[schema(minimum = 1)]
    #[serde(default, deserialize_with = "platform::http::extract::whole_number")]
    amount_minor: Option<i64>,
}

fn field<T: serde::de::DeserializeOwned>(value: &Value, name: &str) -> Result<T, ApiError> {
    value
        .get(name)
        .cloned()
        .and_then(|v| serde_json::from_value(v).ok())
        .ok_or_else(|| ApiError::Upstream(format!("reseller-service answer without {name}")))
}

/// `POST /v1/support-tickets/{ticket_id}/refunds`.
#[utoipa::path(
    post,
    path = "/v1/support-tickets/{ticket_id}/refunds",
    tag = "refunds",
    operation_id = "request_refund",
    summary = "Force a refund of an order of the ticket's reseller.",
    description = "`support` or `owner`. The request waits (`pending`) until the core order service carries it out and reports `complete` or `fail`; the ticket gets a notice at each step. Audited.",
    params(
        ("ticket_id" = Uuid, Path, description = "The ticket."),
        IdempotencyKeyHeader,
    ),
    request_body = NewRefund,
    security(("admin_session" = [])),
    responses(
        (status = 201, description = "The refund request (or, with the same `Idempotency-Key` and body, the first one again).", body = RefundRequest),
        (status = 409, description = "`nothing_to_refund`: everything paid on the order is refunded or already requested.", content_type = "application/problem+json", body = ProblemSchema),
        (status = 422, description = "A field is missing or invalid; `unknown_order`: not an order of the ticket's reseller; `exceeds_refundable`: `amount_minor` is more than is left; `idempotency_key_reused`.", content_type = "application/problem+json", body = ProblemSchema),
    ),
)]
pub async fn request_refund(
    State(state): State<AppState>,
    admin: Admin<SupportRole>,
    AppPath(ticket_id): AppPath<Uuid>,
    request: CreateRequest<NewRefund>,
) -> Result<Response, ApiError> {
    let idempotent = Idempotent {
        store: db::IDEMPOTENCY,
        scope: admin.admin_id,
        key: request.key.as_ref(),
        fingerprint: &request.fingerprint,
    };
    let body = request.body;
    let reason = domain::text::bounded(&body.reason, 1, 500)
        .map_err(|(code, message)| ApiError::invalid("reason", code, message))?;
    let ticket: Value = state
        .reseller
        .get(&format!("/internal/v1/support-tickets/{ticket_id}"), &[])
        .await?;
    let reseller_id: Uuid = field(&ticket, "reseller_id")?;
    let order: Value = match state
        .reseller
        .get(
            &format!(
                "/internal/v1/resellers/{reseller_id}/orders/{}",
                body.order_id
            ),
            &[],
        )
        .await
    {
        Err(ApiError::NotFound) => {
            return Err::<_, ApiError>(ApiError::invalid(
                "order_id",
                "unknown_order",
                "is not an order of this ticket's reseller",
            ))
        }
        other => other?,
    };

    let mut tx = state.db.begin().await?;
    // A retried request with the same key answers the first refund again,
    // whatever the order's state is now.
    if let Some(replay) = idempotent.begin::<ApiError>(&mut tx).await? {
        return Ok(replay);
    }
    db::refunds::lock_order(&mut tx, body.order_id).await?;
    let (completed, pending) = db::refunds::order_totals(&mut tx, body.order_id).await?;
    let ledger = RefundLedger {
        paid_minor: field(&order, "gross_minor")?,
        refunded_minor: field(&order, "refunded_minor")?,
        completed_requests_minor: completed,
        pending_requests_minor: pending,
    };
    let amount = ledger
        .check_request(body.amount_minor)
        .map_err(|refusal| match refusal {
            RefundRefusal::NothingLeft => ApiError::conflict(
                "nothing_to_refund",
                "Everything paid on this order is refunded or already requested.",
            ),
            RefundRefusal::NotPositive => {
                ApiError::invalid("amount_minor", "must_be_positive", "must be at least 1")
            }
            RefundRefusal::ExceedsRefundable { left } => ApiError::invalid(
                "amount_minor",
                "exceeds_refundable",
                format!(
                    "must be at most {left}: what was paid and is not yet refunded or requested"
                ),
            ),
        })?;
    let currency: String = field(&order, "currency")?;
    let request = db::refunds::insert(
        &mut tx,
        &RefundRequest {
            refund_id: Uuid::now_v7(),
            ticket_id,
            reseller_id,
            order_id: body.order_id,
            amount_minor: amount,
            currency: currency.clone(),
            reason: reason.clone(),
            status: "pending".into(),
            requested_by: admin.admin_id,
            requested_at: Utc::now(),
            resolved_at: None,
            failure_reason: None,
        },
    )
    .await?;
    db::notices::insert(
        &mut tx,
        ticket_id,
        &format!(
            "A refund of {amount} (minor units, {currency}) on order {} was requested: {reason}",
            body.order_id
        ),
    )
    .await?;
    db::audit::record(
        &mut tx,
        &admin.actor(),
        Entry {
            action: "refund.request",
            target_type: "order",
            target_id: Some(body.order_id.to_string()),
            reason: Some(reason),
            before: Some(snapshot(&ledger_json(&ledger))?),
            after: Some(snapshot(&request)?),
            outcome: "succeeded",
        },
    )
    .await?;
    let response = idempotent.finish::<ApiError>(&mut tx, &request).await?;
    tx.commit().await?;
    state.relay.wake();
    Ok(response)
}

fn ledger_json(l: &RefundLedger) -> Value {
    serde_json::json!({
        "paid_minor": l.paid_minor,
        "refunded_minor": l.refunded_minor,
        "completed_requests_minor": l.completed_requests_minor,
        "pending_requests_minor": l.pending_requests_minor,
    })
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListRefunds {
    /// Only requests with this status; `pending` for those to carry out.
    #[param(value_type = Option<RefundStatus>)]
    status: Option<String>,
    /// Page size: 1 to 500, 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^(?:[A-Zab][A-Za-z0-9_-]{31})?$")]
    cursor: Option<String>,
}

fn encode_cursor(r: &RefundRequest) -> Vec<u8> {
    time_id_cursor(r.requested_at, r.refund_id)
}

/// `GET /internal/v1/refund-requests?status=pending`: oldest first.
#[utoipa::path(
    get,
    path = "/internal/v1/refund-requests",
    tag = "refunds",
    operation_id = "list_refund_requests",
    summary = "Forced refunds for the core order service, oldest first.",
    description = "A core service (`CORE_TOKENS`). Poll with `status=pending`, carry each out, report `complete` or `fail`.",
    params(ListRefunds),
    security(("core_token" = [])),
    responses(
        (status = 200, description = "A page of refund requests.", body = Page<RefundRequest>),
        (status = 404, description = "`CORE_TOKENS` is not configured on this deployment.", content_type = "application/problem+json", body = ProblemSchema),
        (status = 422, description = "`status` is not one of the statuses.", content_type = "application/problem+json", body = ProblemSchema),
    ),
)]
pub async fn list_refund_requests(
    State(state): State<AppState>,
    _core: CoreCaller,
    AppQuery(q): AppQuery<ListRefunds>,
) -> Result<Json<Page<RefundRequest>>, ApiError> {
    if q.status
        .as_deref()
        .is_some_and(|s| !matches!(s, "pending" | "completed" | "failed"))
    {
        return Err(ApiError::invalid(
            "status",
            "invalid_choice",
            "must be one of pending, completed, failed",
        ));
    }
    super::schemas::check_time_cursor(q.cursor.as_deref())?;
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    };
    let limit = page.limit()?;
    let after = page.cursor_time_id()?;
    let mut conn = state.db.acquire().await?;
    let rows = db::refunds::list(&mut conn, q.status.as_deref(), None, after, limit).await?;
    Ok(Json(Page::from_rows(rows, limit, encode_cursor)))
}

/// Moves a pending request to `completed` or `failed`. Repeating the same
/// report answers the request again (the core service may retry); the other
/// report on a settled request is 409.
async fn settle(
    state: &AppState,
    actor: &Actor,
    refund_id: Uuid,
    status: &'static str,
    failure_reason: Option<String>,
) -> Result<Json<RefundRequest>, ApiError> {
    let mut tx = state.db.begin().await?;
    let before = db::refunds::lock(&mut tx, refund_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if before.status == status {
        return Ok(Json(before));
    }
    if before.status != "pending" {
        return Err(ApiError::conflict(
            "invalid_transition",
            format!("This refund request is already {}.", before.status),
        ));
    }
    let after = db::refunds::resolve(&mut tx, refund_id, status, failure_reason.as_deref()).await?;
    let notice = match &failure_reason {
        None => format!(
            "The refund of {} (minor units, {}) on order {} was carried out.",
            after.amount_minor, after.currency, after.order_id
        ),
        Some(reason) => format!(
            "The refund of {} (minor units, {}) on order {} failed: {reason}",
            after.amount_minor, after.currency, after.order_id
        ),
    };
    db::notices::insert(&mut tx, after.ticket_id, &notice).await?;
    db::audit::record(
        &mut tx,
        actor,
        Entry {
            action: if status == "completed" {
                "refund.complete"
            } else {
                "refund.fail"
            },
            target_type: "refund_request",
            target_id: Some(refund_id.to_string()),
            reason: failure_reason,
            before: Some(snapshot(&before)?),
            after: Some(snapshot(&after)?),
            outcome: "succeeded",
        },
    )
    .await?;
    tx.commit().await?;
    state.relay.wake();
    Ok(Json(after))
}

/// `POST /internal/v1/refund-requests/{id}/complete`.
#[utoipa::path(
    post,
    path = "/internal/v1/refund-requests/{refund_id}/complete",
    tag = "refunds",
    operation_id = "complete_refund_request",
    summary = "Report a forced refund carried out.",
    description = "A core service (`CORE_TOKENS`). Reporting it again answers the request again.",
    params(("refund_id" = Uuid, Path, description = "The refund request.")),
    security(("core_token" = [])),
    responses(
        (status = 200, description = "The request, `completed`.", body = RefundRequest),
        (status = 409, description = "`invalid_transition`: the request already `failed`.", content_type = "application/problem+json", body = ProblemSchema),
    ),
)]
pub async fn complete_refund_request(
    State(state): State<AppState>,
    core: CoreCaller,
    AppPath(refund_id): AppPath<Uuid>,
) -> Result<Json<RefundRequest>, ApiError> {
    settle(&state, &core.actor(), refund_id, "completed", None).await
}

/// Why a forced refund failed.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RefundFailure, example = json!({ "reason": "The payment provider refused: card account closed." }))]
pub struct Failure {
    #[schema(schema_with = super::schemas::failure_reason)]
    reason: String,
}

/// `POST /internal/v1/refund-requests/{id}/fail` with a `reason`.
#[utoipa::path(
    post,
    path = "/internal/v1/refund-requests/{refund_id}/fail",
    tag = "refunds",
    operation_id = "fail_refund_request",
    summary = "Report a forced refund that could not be carried out.",
    description = "A core service (`CORE_TOKENS`). Reporting it again answers the request again (with its first reason).",
    params(("refund_id" = Uuid, Path, description = "The refund request.")),
    request_body = Failure,
    security(("core_token" = [])),
    responses(
        (status = 200, description = "The request, `failed`.", body = RefundRequest),
        (status = 409, description = "`invalid_transition`: the request is already `completed`.", content_type = "application/problem+json", body = ProblemSchema),
        (status = 422, description = "`reason` is missing or invalid.", content_type = "application/problem+json", body = ProblemSchema),
    ),
)]
pub async fn fail_refund_request(
    State(state): State<AppState>,
    core: CoreCaller,
    AppPath(refund_id): AppPath<Uuid>,
    AppJson(body): AppJson<Failure>,
) -> Result<Json<RefundRequest>, ApiError> {
    let reason = domain::text::bounded(&body.reason, 1, 500)
        .map_err(|(code, message)| ApiError::invalid("reason", code, message))?;
    settle(&state, &core.actor(), refund_id, "failed", Some(reason)).await
}
