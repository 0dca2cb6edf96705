//! `GET /v1/reports/sales-overview?from=YYYY-MM-DD&to=YYYY-MM-DD&tz=`: sales
//! across all resellers per day and per reseller, computed by reseller-service
//! from its rollups (same figures as the resellers' own report).

use axum::{extract::State, Json};
use platform::http::extract::AppQuery;
use serde::Deserialize;
use serde_json::Value;

use super::auth::{Admin, AnyRole};
use crate::{reseller_api::query_pairs, ApiError, AppState};

#[derive(Debug, Deserialize)]
pub struct OverviewQuery {
    from: Option<String>,
    to: Option<String>,
    tz: Option<String>,
}

/// `GET /v1/reports/sales-overview`.
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
