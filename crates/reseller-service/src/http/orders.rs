//! `GET /v1/orders` (newest first; filters `show_id`, `status`,
//! `created_from`, `created_to`; JSON pages or, with `Accept: text/csv`, the
//! whole filtered list streamed) and `GET /v1/orders/{order_id}` (lines,
//! totals, status and the event history, oldest first). Served from the
//! read replica when there is one.

use axum::{
    extract::State,
    http::HeaderMap,
    response::{IntoResponse, Response},
    Json,
};
use chrono::{DateTime, Utc};
use platform::{
    http::extract::{AppPath, AppQuery},
    pagination::{Page, PageQuery},
};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{
    auth::AuthReseller,
    csv, stream,
    support::{time_id_cursor, time_id_position},
};
use crate::{
    db::orders::{self as db_orders, Order, OrderEventRow, OrderFilter, OrderLine},
    ApiError, AppState,
};

const STATUSES: [&str; 6] = [
    "created",
    "paid",
    "partially_refunded",
    "refunded",
    "cancelled",
    "expired",
];

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListOrders {
    /// Page size: 1 to 500, 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^(?:A[A-Za-z0-9_-]{31})?$")]
    cursor: Option<String>,
    show_id: Option<Uuid>,
    #[param(inline, value_type = Option<super::schemas::OrderStatus>)]
    status: Option<String>,
    /// Orders created at or after this instant.
    created_from: Option<DateTime<Utc>>,
    /// Orders created before this instant; after `created_from`.
    created_to: Option<DateTime<Utc>>,
}

fn encode_cursor(o: &Order) -> Vec<u8> {
    time_id_cursor(o.created_at, o.order_id)
}

/// `GET /v1/orders`.
#[utoipa::path(
    get,
    path = "/v1/orders",
    tag = "orders",
    operation_id = "list_orders",
    summary = "The caller's orders, newest first.",
    description = "With `Accept: text/csv`, every order matching the filters (no page limit) as CSV. `created_from` must be before `created_to` (400 `reversed_range`).",
    params(
        ListOrders
    ),
    responses(
        (status = 200, description = "A page of orders, or all of them as CSV.", content((platform::pagination::Page<crate::db::orders::Order> = "application/json"), (String = "text/csv", example = json!("id,show_id,channel,currency,status,tickets,gross_minor,refunded_tickets,refunded_minor,net_minor,created_at,paid_at,first_event_at,last_event_at,event_count\r\n"))))
    ),
    security(("api_key" = []))
)]
pub async fn list_orders(
    State(state): State<AppState>,
    auth: AuthReseller,
    headers: HeaderMap,
    AppQuery(q): AppQuery<ListOrders>,
) -> Result<Response, ApiError> {
    if let Some(status) = &q.status {
        if !STATUSES.contains(&status.as_str()) {
            return Err(ApiError::invalid(
                "status",
                "invalid_choice",
                format!("must be one of {}", STATUSES.join(", ")),
            ));
        }
    }
    if let (Some(from), Some(to)) = (q.created_from, q.created_to) {
        if from >= to {
            return Err(ApiError::invalid(
                "created_to",
                "reversed_range",
                "must be after created_from",
            ));
        }
    }
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor.clone(),
    };
    let limit = page.limit()?;
    let before = time_id_position(&page)?;
    let filter = OrderFilter {
        show_id: q.show_id,
        status: q.status.clone(),
        created_from: q.created_from,
        created_to: q.created_to,
        before,
    };

    if csv::wanted(&headers) {
        return Ok(orders_csv(state, auth.reseller_id, filter));
    }
    let mut tx = state.reads.tenant(auth.reseller_id).await?;
    let rows = db_orders::list(&mut tx, auth.reseller_id, &filter, limit).await?;
    crate::db::end_read(tx);
    Ok(Json(Page::from_rows(rows, limit, encode_cursor)).into_response())
}

const ORDER_CSV_HEADER: &str = "id,show_id,channel,currency,status,tickets,gross_minor,refunded_tickets,refunded_minor,net_minor,created_at,paid_at,first_event_at,last_event_at,event_count\r\n";

fn order_csv_line(o: &Order, out: &mut String) {
    use std::fmt::Write;
    let paid_at = o.paid_at.map(|t| t.to_rfc3339()).unwrap_or_default();
    let _ = write!(
        out,
        "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\r\n",
        o.order_id,
        o.show_id,
        csv::field(&o.channel),
        csv::field(&o.currency),
        o.status,
        o.tickets,
        o.gross_minor,
        o.refunded_tickets,
        o.refunded_minor,
        o.net_minor,
        o.created_at.to_rfc3339(),
        paid_at,
        o.first_event_at.to_rfc3339(),
        o.last_event_at.to_rfc3339(),
        o.event_count
    );
}

/// Every order matching the filter (no page limit), streamed.
fn orders_csv(state: AppState, reseller_id: Uuid, filter: OrderFilter) -> Response {
    csv::stream(
        "orders.csv",
        ORDER_CSV_HEADER.to_owned(),
        move |out| async move {
            let result: Result<(), sqlx::Error> = async {
                let mut tx = state.reads.tenant(reseller_id).await?;
                let sql = db_orders::list_sql(None);
                let rows = sqlx::query_as::<_, Order>(&sql)
                    .bind(reseller_id)
                    .bind(filter.show_id)
                    .bind(&filter.status)
                    .bind(filter.created_from)
                    .bind(filter.created_to)
                    .bind(filter.before.map(|(at, _)| at))
                    .bind(filter.before.map(|(_, id)| id))
                    .fetch(&mut *tx);
                csv::pump(rows, &out, order_csv_line).await?;
                crate::db::end_read(tx);
                Ok(())
            }
            .await;
            if let Err(error) = result {
                stream::fail(&out, "order CSV", error).await;
            }
        },
    )
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({
    "id": "0193a5c0-7d2e-7c1a-9e4b-3f1d2a6b8c94", "show_id": "0193a5c0-7d2e-7c1a-9e4b-3f1d2a6b8c92",
    "channel": "web", "currency": "IDR", "status": "paid", "tickets": 2, "gross_minor": 300000000,
    "refunded_tickets": 0, "refunded_minor": 0, "net_minor": 300000000, "created_at": "2026-11-25T07:58:00Z",
    "paid_at": "2026-11-25T08:00:00Z", "first_event_at": "2026-11-25T07:58:00Z", "last_event_at": "2026-11-25T08:00:00Z",
    "event_count": 2,
    "lines": [{"ticket_type_id": "0193a5c0-7d2e-7c1a-9e4b-3f1d2a6b8c93", "unit_price_minor": 150000000, "quantity": 2,
        "refunded_quantity": 0, "amount_minor": 300000000, "refunded_minor": 0}],
    "events": [{"event_id": "0193a5c0-7d2e-7c1a-9e4b-3f1d2a6b8c99", "type": "order.paid", "occurred_at": "2026-11-25T08:00:00Z",
        "received_at": "2026-11-25T08:00:01Z", "channel": "web", "currency": "IDR",
        "lines": [{"ticket_type_id": "0193a5c0-7d2e-7c1a-9e4b-3f1d2a6b8c93", "quantity": 2, "unit_price_minor": 150000000}]}]
}))]
pub struct OrderDetail {
    #[serde(flatten)]
    order: Order,
    lines: Vec<OrderLine>,
    /// The event history, oldest first.
    events: Vec<OrderEventRow>,
}

impl OrderDetail {
    /// `reseller_id`'s order with its lines and events; `None` when that
    /// reseller has no such order.
    pub async fn load(
        conn: &mut PgConnection,
        reseller_id: Uuid,
        order_id: Uuid,
    ) -> Result<Option<Self>, sqlx::Error> {
        let Some(order) = db_orders::find(conn, reseller_id, order_id).await? else {
            return Ok(None);
        };
        let lines = db_orders::lines(conn, reseller_id, order_id).await?;
        let events = db_orders::events(conn, reseller_id, order_id).await?;
        Ok(Some(Self {
            order,
            lines,
            events,
        }))
    }
}

/// `GET /v1/orders/{order_id}`.
#[utoipa::path(
    get,
    path = "/v1/orders/{order_id}",
    tag = "orders",
    operation_id = "get_order",
    summary = "One order with its lines and event history (oldest first).",
    params(
        ("order_id" = Uuid, Path, description = "The order.")
    ),
    responses(
        (status = 200, description = "The order.", body = OrderDetail)
    ),
    security(("api_key" = []))
)]
pub async fn get_order(
    State(state): State<AppState>,
    auth: AuthReseller,
    AppPath(order_id): AppPath<Uuid>,
) -> Result<Json<OrderDetail>, ApiError> {
    let mut tx = state.reads.tenant(auth.reseller_id).await?;
    let detail = OrderDetail::load(&mut tx, auth.reseller_id, order_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    crate::db::end_read(tx);
    Ok(Json(detail))
}
