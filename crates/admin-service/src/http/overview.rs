//! `GET /v1/reports/sales-overview?from=YYYY-MM-DD&to=YYYY-MM-DD&tz=`: sales
//! across all resellers per day and per reseller, computed by reseller-service
//! from its rollups (same figures as the resellers' own report).

use axum::{extract::State, Json};
use platform::http::extract::AppQuery;
use serde::Deserialize;
use serde_json::Value;

use super::{
    auth::{Admin, AnyRole},
    schemas::SalesOverview,
};
use crate::{reseller_api::query_pairs, ApiError, AppState};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OverviewQuery {
    /// The first local day, `YYYY-MM-DD`.
    #[param(required = true, format = Date, pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    from: Option<String>,
    /// The day after the last, `YYYY-MM-DD`: after `from`, at most 366 days
    /// later.
    #[param(required = true, format = Date, pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    to: Option<String>,
    /// An IANA time-zone name (at most 64 characters) that PostgreSQL knows,
    /// e.g. `Asia/Jakarta`; UTC when absent.
    #[param(
        max_length = 64,
        pattern = r"^[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*$",
        example = "Asia/Jakarta"
    )]
    tz: Option<String>,
}

/// `GET /v1/reports/sales-overview`.
#[utoipa::path(
    get,
    path = "/v1/reports/sales-overview",
    tag = "resellers",
    operation_id = "sales_overview",
    summary = "Sales across all resellers per local day and reseller, with totals per currency.",
    description = "Any admin role (`viewer`, `support`, `owner`). Computed by reseller-service from its rollups: the same figures as the resellers' own report. 400 `invalid_query` when `to` is not after `from` (`reversed_range`), the range is longer than 366 days (`range_too_large`), `tz` is unknown (`unknown_timezone`), or the overview would have more than 50,000 rows (`too_many_rows`).",
    params(OverviewQuery),
    security(("admin_session" = [])),
    responses((status = 200, description = "The overview.", body = SalesOverview)),
)]
pub async fn sales_overview(
    State(state): State<AppState>,
    _admin: Admin<AnyRole>,
    AppQuery(q): AppQuery<OverviewQuery>,
) -> Result<Json<Value>, ApiError> {
    let query = query_pairs(&[("from", q.from), ("to", q.to), ("tz", q.tz)]);
    state
        .reseller
        .get("/internal/v1/reports/sales-overview", &query)
        .await
        .map(Json)
}
