//! `POST /internal/v1/sale-events/batch`: the core order service's batches
//! (contract section 4), and the quarantine of rejected events that
//! admin-service lists and replays.
//!
//! Overload protection comes first: a bounded number of batches are
//! processed at once and the next one is shed at once with 503 and
//! `Retry-After` (no queue builds up), before its body is even read, so
//! memory is bounded by the number of slots times the body limit.

use std::io::Read;

use axum::{
    body::Body,
    extract::State,
    http::{header, HeaderMap, StatusCode},
    Json,
};
use platform::{
    http::extract::{AppPath, AppQuery},
    pagination::{Page, PageQuery},
    Problem,
};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use uuid::Uuid;

use super::auth::{IngestCaller, InternalCaller};
use crate::{
    db::{self, ingest::QuarantineEntry},
    ingest::{self, BatchOutcome},
    ApiError, AppState,
};

/// Largest body, before and after decompression.
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;
/// Most events in one batch.
pub const MAX_EVENTS: usize = 5000;

#[derive(Deserialize)]
struct Batch<'a> {
    #[serde(borrow)]
    events: Vec<&'a RawValue>,
}

fn too_large(detail: impl Into<String>) -> ApiError {
    Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", detail).into()
}

fn decode(encoding: &str, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let limited = |reader: &mut dyn Read| -> Result<Vec<u8>, ApiError> {
        let mut out = Vec::new();
        reader
            .take(MAX_BODY_BYTES as u64 + 1)
            .read_to_end(&mut out)
            .map_err(|e| {
                ApiError::from(Problem::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_encoding",
                    format!("the body could not be decompressed: {e}"),
                ))
            })?;
        if out.len() > MAX_BODY_BYTES {
            return Err(too_large(format!(
                "the decompressed body exceeds {MAX_BODY_BYTES} bytes"
            )));
        }
        Ok(out)
    };
    match encoding {
        "gzip" | "x-gzip" => limited(&mut flate2::read::GzDecoder::new(body)),
        "zstd" => {
            let mut decoder = ruzstd::decoding::StreamingDecoder::new(body).map_err(|e| {
                ApiError::from(Problem::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_encoding",
                    format!("the body is not zstd: {e}"),
                ))
            })?;
            limited(&mut decoder)
        }
        _ => Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_encoding",
            "Content-Encoding must be gzip, zstd or absent.",
        )
        .into()),
    }
}

/// Counts a committed batch: events by outcome, its size, its transaction
/// time.
fn record_metrics(outcome: &BatchOutcome, size: usize, started: std::time::Instant) {
    use platform::metrics;
    for (name, n) in [
        ("accepted", outcome.accepted),
        ("duplicate", outcome.duplicates),
        ("conflict", outcome.conflicts),
        ("rejected", outcome.rejected),
    ] {
        metrics::count(
            "ingest_events_total",
            "Sale events by outcome (accepted, duplicate, conflict, rejected).",
            &[("outcome", name)],
            n as u64,
        );
    }
    metrics::observe(
        "ingest_batch_size",
        "Events per ingested batch.",
        &[],
        &metrics::SIZE_BUCKETS,
        size as f64,
    );
    metrics::observe_seconds(
        "ingest_transaction_seconds",
        "Time to process and commit one batch.",
        &[],
        started,
    );
}

/// Ingests one batch.
#[utoipa::path(
    post,
    path = "/internal/v1/sale-events/batch",
    tag = "ingest",
    operation_id = "ingest_sale_events",
    summary = "Ingest a batch of sale events (contract section 4).",
    description = "The body may be sent with `Content-Encoding: gzip` or `zstd` (10 MiB at most, before and after decompression). Each event is validated on its own; rejected events are quarantined and reported in `results`, the rest applied. A batch is idempotent per `event_id`. When the service is at its ingest capacity it sheds the batch at once with 503 and `Retry-After`.",
    request_body(content = super::schemas::BatchDoc, description = "1 to 5000 events.", example = json!({"events": [{"event_id": "0193a5c0-7d2e-7c1a-9e4b-3f1d2a6b8c99", "type": "order.paid", "occurred_at": "2026-11-25T08:00:00Z", "reseller_id": "0193a5c0-7d2e-7c1a-9e4b-3f1d2a6b8c90", "show_id": "0193a5c0-7d2e-7c1a-9e4b-3f1d2a6b8c92", "order_id": "0193a5c0-7d2e-7c1a-9e4b-3f1d2a6b8c94", "channel": "web", "currency": "IDR", "lines": [{"ticket_type_id": "0193a5c0-7d2e-7c1a-9e4b-3f1d2a6b8c93", "quantity": 2, "unit_price_minor": 150000000}], "customer_ref": null}]})),
    responses(
        (status = 200, description = "The batch was committed; `results` lists the events not accepted.", body = crate::ingest::BatchOutcome)
    ),
    security(("ingest_token" = []))
)]
pub async fn ingest_sale_events(
    State(state): State<AppState>,
    _caller: IngestCaller,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<BatchOutcome>, ApiError> {
    let _slot = state
        .ingest_slots
        .clone()
        .try_acquire_owned()
        .map_err(|_| ApiError::Overloaded)?;

    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .eq_ignore_ascii_case("application/json")
    {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the batch as application/json.",
        )
        .into());
    }
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if !matches!(
        encoding.as_str(),
        "" | "identity" | "gzip" | "x-gzip" | "zstd"
    ) {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_encoding",
            "Content-Encoding must be gzip, zstd or absent.",
        )
        .into());
    }
    if headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .is_some_and(|n| n > MAX_BODY_BYTES)
    {
        return Err(too_large(format!(
            "the body exceeds {MAX_BODY_BYTES} bytes"
        )));
    }
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| too_large(format!("the body exceeds {MAX_BODY_BYTES} bytes")))?;
    let decoded;
    let json: &[u8] = if matches!(encoding.as_str(), "" | "identity") {
        &bytes
    } else {
        decoded = decode(&encoding, &bytes)?;
        &decoded
    };

    if !platform::http::extract::is_json_object(json) {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid_batch",
            "The body must be a JSON object with an `events` array.",
        )
        .into());
    }
    let batch: Batch<'_> = serde_json::from_slice(json).map_err(|e| {
        ApiError::from(Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid_batch",
            format!(
                "The body must be a JSON object with an `events` array: {}",
                e.to_string().split(" at line ").next().unwrap_or_default()
            ),
        ))
    })?;
    if batch.events.is_empty() {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid_batch",
            "The `events` array is empty.",
        )
        .into());
    }
    if batch.events.len() > MAX_EVENTS {
        return Err(too_large(format!(
            "A batch holds at most {MAX_EVENTS} events; this one has {}.",
            batch.events.len()
        )));
    }

    let started = std::time::Instant::now();
    let mut tx = db::platform(state.db.pool()).await?;
    let outcome = ingest::process(&mut tx, &batch.events).await?;
    tx.commit().await?;
    record_metrics(&outcome, batch.events.len(), started);
    tracing::info!(
        received = outcome.received,
        accepted = outcome.accepted,
        duplicates = outcome.duplicates,
        conflicts = outcome.conflicts,
        rejected = outcome.rejected,
        "sale-event batch committed"
    );
    Ok(Json(outcome))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuarantine {
    /// Page size: 1 to 500, 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^(?:[A-Za-z0-9_-]{22})?$")]
    cursor: Option<String>,
    #[param(inline, value_type = Option<super::schemas::QuarantineStatus>)]
    status: Option<String>,
}

/// `GET /internal/v1/ingest/quarantine`: filter `status` (`open`, `replayed`).
#[utoipa::path(
    get,
    path = "/internal/v1/ingest/quarantine",
    tag = "internal",
    operation_id = "list_quarantine",
    summary = "Rejected events kept for review, oldest first.",
    params(
        ListQuarantine
    ),
    responses(
        (status = 200, description = "A page of quarantined events.", body = platform::pagination::Page<crate::db::ingest::QuarantineEntry>)
    ),
    security(("internal_token" = []))
)]
pub async fn list_quarantine(
    State(state): State<AppState>,
    _caller: InternalCaller,
    AppQuery(query): AppQuery<ListQuarantine>,
) -> Result<Json<Page<QuarantineEntry>>, ApiError> {
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    };
    let limit = page.limit()?;
    if query
        .status
        .as_deref()
        .is_some_and(|s| s != "open" && s != "replayed")
    {
        return Err(ApiError::invalid(
            "status",
            "invalid_choice",
            "must be open or replayed",
        ));
    }
    let mut tx = db::platform(state.db.pool()).await?;
    let rows =
        db::ingest::list_quarantine(&mut tx, query.status.as_deref(), page.cursor_uuid()?, limit)
            .await?;
    tx.commit().await?;
    Ok(Json(Page::from_rows(rows, limit, |q| {
        q.quarantine_id.as_bytes().to_vec()
    })))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReplayOutcome {
    /// `accepted`, `duplicate`, `conflict` or `rejected`.
    #[schema(value_type = super::schemas::EventOutcome)]
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    code: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    entry: QuarantineEntry,
}

/// `POST /internal/v1/ingest/quarantine/{id}/replay`: runs the kept event
/// through the ingest again. Accepted (or found already stored) closes the
/// entry; still failing updates its reason. An entry already replayed is
/// 409, so a replay applies an event at most once.
#[utoipa::path(
    post,
    path = "/internal/v1/ingest/quarantine/{quarantine_id}/replay",
    tag = "internal",
    operation_id = "replay_quarantined",
    summary = "Run a quarantined event through the ingest again.",
    description = "Accepted (or found already stored) closes the entry; still failing updates its reason. An entry already replayed is 409 `already_replayed`.",
    params(
        ("quarantine_id" = Uuid, Path, description = "The quarantine entry.")
    ),
    responses(
        (status = 200, description = "What the replay did.", body = ReplayOutcome),
        (status = 409, description = "The entry was already replayed (`already_replayed`).", content_type = "application/problem+json", body = super::schemas::ProblemDoc)
    ),
    security(("internal_token" = []))
)]
pub async fn replay_quarantined(
    State(state): State<AppState>,
    _caller: InternalCaller,
    AppPath(id): AppPath<Uuid>,
) -> Result<Json<ReplayOutcome>, ApiError> {
    let _slot = state
        .ingest_slots
        .clone()
        .try_acquire_owned()
        .map_err(|_| ApiError::Overloaded)?;
    let mut tx = db::platform(state.db.pool()).await?;
    let entry = db::ingest::find_quarantined(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if entry.status == "replayed" {
        return Err(ApiError::conflict(
            "already_replayed",
            "This event was already replayed.",
        ));
    }
    let outcome = ingest::process(&mut tx, &[entry.raw.0.as_ref()]).await?;
    let result = outcome.results.first();
    let status = result.map(|r| r.status).unwrap_or("accepted");
    let entry = if matches!(status, "accepted" | "duplicate") {
        db::ingest::mark_replayed(&mut tx, id).await?
    } else {
        db::ingest::find_quarantined(&mut tx, id)
            .await?
            .ok_or(ApiError::NotFound)?
    };
    tx.commit().await?;
    Ok(Json(ReplayOutcome {
        status,
        code: result.and_then(|r| r.code),
        message: result.and_then(|r| r.message.clone()),
        entry,
    }))
}
