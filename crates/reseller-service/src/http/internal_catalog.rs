//! What admin-service reads of the resellers' business (`INTERNAL_TOKEN`):
//! shows across resellers, and one reseller's order in the same shape the
//! reseller reads it. Read from the primary in platform scope; every query
//! still names the reseller or the object it asks for.

use axum::{extract::State, Json};
use platform::{
    http::extract::{AppPath, AppQuery},
    pagination::{Page, PageQuery},
};
use serde::Deserialize;
use uuid::Uuid;

use super::{auth::InternalCaller, orders::OrderDetail, shows::check_status_filter};
use crate::{
    db::{self, shows::Show},
    ApiError, AppState,
};

/// `GET /internal/v1/resellers/{reseller_id}/orders/{order_id}`: 404 when
/// the order is not that reseller's.
#[utoipa::path(
    get,
    path = "/internal/v1/resellers/{reseller_id}/orders/{order_id}",
    tag = "internal",
    operation_id = "get_reseller_order",
    summary = "One order of a reseller, as the reseller reads it.",
    params(
        ("reseller_id" = Uuid, Path, description = "The reseller."),
        ("order_id" = Uuid, Path, description = "The order.")
    ),
    responses(
        (status = 200, description = "The order.", body = OrderDetail)
    ),
    security(("internal_token" = []))
)]
pub async fn get_reseller_order(
    State(state): State<AppState>,
    _caller: InternalCaller,
    AppPath((reseller_id, order_id)): AppPath<(Uuid, Uuid)>,
) -> Result<Json<OrderDetail>, ApiError> {
    let mut tx = db::platform(state.db.pool()).await?;
    let detail = OrderDetail::load(&mut tx, reseller_id, order_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok(Json(detail))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListAllShows {
    /// Page size: 1 to 500, 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^(?:[A-Za-z0-9_-]{22})?$")]
    cursor: Option<String>,
    reseller_id: Option<Uuid>,
    #[param(inline, value_type = Option<domain::catalog::ShowStatus>)]
    status: Option<String>,
}

/// `GET /internal/v1/shows`: every reseller's shows in creation order;
/// filters `reseller_id`, `status`.
#[utoipa::path(
    get,
    path = "/internal/v1/shows",
    tag = "internal",
    operation_id = "list_all_shows",
    summary = "Every reseller's shows, in creation order.",
    params(
        ListAllShows
    ),
    responses(
        (status = 200, description = "A page of shows.", body = platform::pagination::Page<crate::db::shows::Show>)
    ),
    security(("internal_token" = []))
)]
pub async fn list_all_shows(
    State(state): State<AppState>,
    _caller: InternalCaller,
    AppQuery(query): AppQuery<ListAllShows>,
) -> Result<Json<Page<Show>>, ApiError> {
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    };
    let limit = page.limit()?;
    check_status_filter(&query.status)?;
    let mut tx = db::platform(state.db.pool()).await?;
    let rows = db::shows::list(
        &mut tx,
        query.reseller_id,
        query.status.as_deref(),
        page.cursor_uuid()?,
        limit,
    )
    .await?;
    tx.commit().await?;
    Ok(Json(Page::from_rows(rows, limit, |s| {
        s.show_id.as_bytes().to_vec()
    })))
}

/// `GET /internal/v1/shows/{show_id}`.
#[utoipa::path(
    get,
    path = "/internal/v1/shows/{show_id}",
    tag = "internal",
    operation_id = "get_any_show",
    summary = "Any reseller's show.",
    params(
        ("show_id" = Uuid, Path, description = "The show.")
    ),
    responses(
        (status = 200, description = "The show.", body = crate::db::shows::Show)
    ),
    security(("internal_token" = []))
)]
pub async fn get_any_show(
    State(state): State<AppState>,
    _caller: InternalCaller,
    AppPath(show_id): AppPath<Uuid>,
) -> Result<Json<Show>, ApiError> {
    let mut tx = db::platform(state.db.pool()).await?;
    let show = db::shows::find_by_id(&mut tx, show_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok(Json(show))
}
