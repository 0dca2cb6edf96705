//! `GET /internal/v1/reports/sales-overview` for admin-service
//! (`INTERNAL_TOKEN`): daily sales of every reseller, see
//! [`crate::report::overview`].

use axum::{extract::State, Json};
use platform::http::extract::AppQuery;

use super::auth::InternalCaller;
use crate::{
    db,
    report::overview::{Overview, OverviewQuery, OverviewSpec},
    ApiError, AppState,
};

/// `GET /internal/v1/reports/sales-overview?from=&to=&tz=&reseller_id=`.
#[utoipa::path(
    get,
    path = "/internal/v1/reports/sales-overview",
    tag = "internal",
    operation_id = "sales_overview",
    summary = "Daily sales of every reseller (or one), per currency.",
    description = "Rules beyond the schema (400 naming the field): `from` before `to`, at most 366 days apart, `tz` a zone the database knows, at most 50000 rows.",
    params(
        super::schemas::OverviewParams
    ),
    responses(
        (status = 200, description = "The overview.", body = crate::report::overview::Overview)
    ),
    security(("internal_token" = []))
)]
pub async fn sales_overview(
    State(state): State<AppState>,
    _caller: InternalCaller,
    AppQuery(q): AppQuery<OverviewQuery>,
) -> Result<Json<Overview>, ApiError> {
    let mut tx = db::platform(state.db.pool()).await?;
    let spec = OverviewSpec::parse(&mut tx, &q).await?;
    let overview = spec.overview(&mut tx).await?;
    tx.commit().await?;
    Ok(Json(overview))
}
