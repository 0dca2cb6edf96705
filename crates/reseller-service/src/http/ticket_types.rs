//! Ticket types of a show: price, currency and capacity, with `sold` (paid
//! minus refunded, maintained by the ingest) and `available`. Capacity can
//! never drop below what is sold (409).

use axum::{extract::State, response::Response, Json};
use chrono::Utc;
use domain::{catalog, Violations};
use platform::{
    http::extract::{AppJson, AppPath, AppQuery},
    idempotency::CreateRequest,
    pagination::{Page, PageQuery},
};
use serde::Deserialize;
use uuid::Uuid;

use super::{
    auth::AuthReseller,
    support::{versioned, whole_number, Idempotent, IfMatch},
};
use crate::{
    db::{
        self,
        catalog_feed::{Action, Entity},
        ticket_types::TicketType,
    },
    ApiError, AppState,
};

/// Ticket types per show.
pub const MAX_TICKET_TYPES_PER_SHOW: usize = 100;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketTypeInput {
    name: Option<String>,
    #[serde(default, deserialize_with = "whole_number")]
    unit_price_minor: Option<i64>,
    currency: Option<String>,
    #[serde(default, deserialize_with = "whole_number")]
    capacity: Option<i64>,
}

/// Applies `input` over `ticket_type`, validating each given field.
fn merge(t: &mut TicketType, input: &TicketTypeInput, creating: bool) -> Result<(), ApiError> {
    let mut v = Violations::new();
    if creating {
        for (field, missing) in [
            ("name", input.name.is_none()),
            ("unit_price_minor", input.unit_price_minor.is_none()),
            ("currency", input.currency.is_none()),
            ("capacity", input.capacity.is_none()),
        ] {
            if missing {
                v.add(field, "required", "is required");
            }
        }
    }
    if let Some(name) = input
        .name
        .as_deref()
        .and_then(|n| v.check("name", catalog::parse_ticket_type_name(n)))
    {
        t.name = name;
    }
    if let Some(price) = input
        .unit_price_minor
        .and_then(|p| v.check("unit_price_minor", catalog::check_price(p)))
    {
        t.unit_price_minor = price;
    }
    let currency = input
        .currency
        .as_deref()
        .and_then(|c| v.check("currency", catalog::parse_currency(c)));
    let capacity = input
        .capacity
        .and_then(|c| v.check("capacity", catalog::check_capacity(c)));
    if !v.is_empty() {
        return Err(v.into());
    }
    if let Some(currency) = currency {
        if currency.as_str() != t.currency && t.sold > 0 {
            return Err(ApiError::conflict(
                "currency_locked",
                "The currency of a ticket type cannot change once tickets of it are sold.",
            ));
        }
        t.currency = currency.as_str().to_owned();
    }
    if let Some(capacity) = capacity {
        if !catalog::capacity_covers_sold(capacity, t.sold) {
            return Err(ApiError::conflict(
                "capacity_below_sold",
                format!(
                    "Capacity {capacity} is below the {} tickets already sold.",
                    t.sold
                ),
            ));
        }
        t.capacity = capacity;
    }
    t.available = catalog::available(t.capacity, t.sold);
    Ok(())
}

/// `POST /v1/shows/{show_id}/ticket-types`.
#[utoipa::path(
    post,
    path = "/v1/shows/{show_id}/ticket-types",
    tag = "catalog",
    operation_id = "create_ticket_type",
    summary = "Add a ticket type to a show.",
    description = "Not on a cancelled show (409 `show_cancelled`); at most 100 per show (409 `too_many_ticket_types`).",
    params(
        ("show_id" = Uuid, Path, description = "The show."),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes the create safe to retry: the same key with the same body within 24 hours answers the first response again; with another body, 422 `idempotency_key_reused`.", min_length = 1, max_length = 255, pattern = "^[!-~]{1,255}$")
    ),
    request_body(content = super::schemas::NewTicketTypeBody),
    responses(
        (status = 201, description = "The ticket type.", body = crate::db::ticket_types::TicketType, headers(("ETag" = String, description = "The version, e.g. `\"3\"`; send it as `If-Match` to update."))),
        (status = 409, description = "The show is cancelled (`show_cancelled`) or has 100 ticket types (`too_many_ticket_types`).", content_type = "application/problem+json", body = super::schemas::ProblemDoc),
        (status = 422, description = "The Idempotency-Key was already used with another body (`idempotency_key_reused`).", content_type = "application/problem+json", body = super::schemas::ProblemDoc)
    ),
    security(("api_key" = []))
)]
pub async fn create_ticket_type(
    State(state): State<AppState>,
    auth: AuthReseller,
    AppPath(show_id): AppPath<Uuid>,
    request: CreateRequest<TicketTypeInput>,
) -> Result<Response, ApiError> {
    let now = Utc::now();
    let mut ticket_type = TicketType {
        ticket_type_id: Uuid::now_v7(),
        show_id,
        name: String::new(),
        unit_price_minor: 0,
        currency: String::new(),
        capacity: 0,
        sold: 0,
        available: 0,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    merge(&mut ticket_type, &request.body, true)?;

    let mut tx = db::tenant(state.db.pool(), auth.reseller_id).await?;
    // Lock the show so it cannot be cancelled while a ticket type is added.
    let show = db::shows::find(&mut tx, auth.reseller_id, show_id, true)
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
    if show.status == catalog::ShowStatus::Cancelled.as_str() {
        return Err(ApiError::conflict(
            "show_cancelled",
            "The show is cancelled.",
        ));
    }
    let existing = db::ticket_types::list(
        &mut tx,
        auth.reseller_id,
        show_id,
        None,
        MAX_TICKET_TYPES_PER_SHOW as u32,
    )
    .await?;
    if existing.len() >= MAX_TICKET_TYPES_PER_SHOW {
        return Err(ApiError::conflict(
            "too_many_ticket_types",
            format!("A show may have at most {MAX_TICKET_TYPES_PER_SHOW} ticket types."),
        ));
    }
    let created = db::ticket_types::insert(&mut tx, auth.reseller_id, &ticket_type).await?;
    let response = idempotent
        .finish(&mut tx, &created, Some(created.version))
        .await?;
    db::catalog_feed::append(
        &mut tx,
        auth.reseller_id,
        Entity::TicketType,
        Action::Created,
        show_id,
        Some(created.ticket_type_id),
        &created,
    )
    .await?;
    tx.commit().await?;
    Ok(response)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListTicketTypes {
    /// Page size: 1 to 500, 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^(?:[A-Za-z0-9_-]{22})?$")]
    cursor: Option<String>,
}

/// `GET /v1/shows/{show_id}/ticket-types`.
#[utoipa::path(
    get,
    path = "/v1/shows/{show_id}/ticket-types",
    tag = "catalog",
    operation_id = "list_ticket_types",
    summary = "The ticket types of a show, in creation order.",
    params(
        ("show_id" = Uuid, Path, description = "The show."),
        ListTicketTypes
    ),
    responses(
        (status = 200, description = "A page of ticket types.", body = platform::pagination::Page<crate::db::ticket_types::TicketType>)
    ),
    security(("api_key" = []))
)]
pub async fn list_ticket_types(
    State(state): State<AppState>,
    auth: AuthReseller,
    AppPath(show_id): AppPath<Uuid>,
    AppQuery(query): AppQuery<ListTicketTypes>,
) -> Result<Json<Page<TicketType>>, ApiError> {
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    };
    let limit = page.limit()?;
    let mut tx = db::tenant(state.db.pool(), auth.reseller_id).await?;
    db::shows::find(&mut tx, auth.reseller_id, show_id, false)
        .await?
        .ok_or(ApiError::NotFound)?;
    let rows = db::ticket_types::list(
        &mut tx,
        auth.reseller_id,
        show_id,
        page.cursor_uuid()?,
        limit,
    )
    .await?;
    tx.commit().await?;
    Ok(Json(Page::from_rows(rows, limit, |t| {
        t.ticket_type_id.as_bytes().to_vec()
    })))
}

/// `GET /v1/shows/{show_id}/ticket-types/{ticket_type_id}`.
#[utoipa::path(
    get,
    path = "/v1/shows/{show_id}/ticket-types/{ticket_type_id}",
    tag = "catalog",
    operation_id = "get_ticket_type",
    summary = "One ticket type.",
    params(
        ("show_id" = Uuid, Path, description = "The show."),
        ("ticket_type_id" = Uuid, Path, description = "The ticket type.")
    ),
    responses(
        (status = 200, description = "The ticket type.", body = crate::db::ticket_types::TicketType, headers(("ETag" = String, description = "The version, e.g. `\"3\"`; send it as `If-Match` to update.")))
    ),
    security(("api_key" = []))
)]
pub async fn get_ticket_type(
    State(state): State<AppState>,
    auth: AuthReseller,
    AppPath((show_id, ticket_type_id)): AppPath<(Uuid, Uuid)>,
) -> Result<Response, ApiError> {
    let mut tx = db::tenant(state.db.pool(), auth.reseller_id).await?;
    let t = db::ticket_types::find(&mut tx, auth.reseller_id, show_id, ticket_type_id, false)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok(versioned(&t, t.version))
}

/// `PATCH /v1/shows/{show_id}/ticket-types/{ticket_type_id}`.
#[utoipa::path(
    patch,
    path = "/v1/shows/{show_id}/ticket-types/{ticket_type_id}",
    tag = "catalog",
    operation_id = "update_ticket_type",
    summary = "Change a ticket type.",
    description = "Capacity never below `sold` (409 `capacity_below_sold`); the currency is fixed once tickets are sold (409 `currency_locked`).",
    params(
        ("show_id" = Uuid, Path, description = "The show."),
        ("ticket_type_id" = Uuid, Path, description = "The ticket type."),
        ("If-Match" = Option<String>, Header, description = "The `ETag` this change is based on, e.g. `\"3\"`; absent or `*` for no precondition. Another version answers 412.", pattern = r#"^(?:\*|(?:W/)*"*[+-]?[0-9]{1,18}"*)$"#)
    ),
    request_body(content = super::schemas::TicketTypePatchBody),
    responses(
        (status = 200, description = "The changed ticket type.", body = crate::db::ticket_types::TicketType, headers(("ETag" = String, description = "The version, e.g. `\"3\"`; send it as `If-Match` to update."))),
        (status = 409, description = "Capacity below what is sold (`capacity_below_sold`) or the currency of a sold ticket type (`currency_locked`).", content_type = "application/problem+json", body = super::schemas::ProblemDoc),
        (status = 412, description = "`If-Match` names another version than the current one (`version_mismatch`); read the resource again.", content_type = "application/problem+json", body = super::schemas::ProblemDoc)
    ),
    security(("api_key" = []))
)]
pub async fn update_ticket_type(
    State(state): State<AppState>,
    auth: AuthReseller,
    AppPath((show_id, ticket_type_id)): AppPath<(Uuid, Uuid)>,
    if_match: IfMatch,
    AppJson(input): AppJson<TicketTypeInput>,
) -> Result<Response, ApiError> {
    let mut tx = db::tenant(state.db.pool(), auth.reseller_id).await?;
    let mut t = db::ticket_types::find(&mut tx, auth.reseller_id, show_id, ticket_type_id, true)
        .await?
        .ok_or(ApiError::NotFound)?;
    if_match.check(t.version)?;
    merge(&mut t, &input, false)?;
    let t = db::ticket_types::update(&mut tx, auth.reseller_id, &t).await?;
    db::catalog_feed::append(
        &mut tx,
        auth.reseller_id,
        Entity::TicketType,
        Action::Updated,
        show_id,
        Some(ticket_type_id),
        &t,
    )
    .await?;
    tx.commit().await?;
    Ok(versioned(&t, t.version))
}
