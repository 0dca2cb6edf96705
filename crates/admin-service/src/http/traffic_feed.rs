//! `GET /internal/v1/traffic-designations?after=<cursor>&limit=`: every change
//! of a high-traffic mark in commit order, for the core services, in the style
//! of reseller-service's catalog feed: `next_cursor` is the position of the
//! last entry returned (or the `after` given when nothing is new), so a reader
//! keeps polling with it and never misses or repeats an entry.

use axum::{extract::State, Json};
use platform::{
    feed::{FeedPage, FeedQuery},
    http::extract::AppQuery,
};

use super::{
    auth::CoreCaller,
    schemas::{FeedParams, ProblemSchema},
};
use crate::{
    db::{self, traffic::Change},
    ApiError, AppState,
};

/// Reads the feed.
#[utoipa::path(
    get,
    path = "/internal/v1/traffic-designations",
    tag = "traffic",
    operation_id = "read_traffic_designations",
    summary = "Every change of a traffic mark, in commit order.",
    description = "A core service (`CORE_TOKENS`). Poll with `after` = the last `next_cursor`: it is the position of the last entry returned, or the `after` given when nothing is new, so a reader never misses or repeats a change.",
    params(FeedParams),
    security(("core_token" = [])),
    responses(
        (status = 200, description = "The changes after `after`.", body = FeedPage<Change>),
        (status = 404, description = "`CORE_TOKENS` is not configured on this deployment.", content_type = "application/problem+json", body = ProblemSchema),
        (status = 422, description = "`invalid_cursor`: `after` is not a position of this feed.", content_type = "application/problem+json", body = ProblemSchema),
    ),
)]
pub async fn read_traffic_designations(
    State(state): State<AppState>,
    _caller: CoreCaller,
    AppQuery(query): AppQuery<FeedQuery>,
) -> Result<Json<FeedPage<Change>>, ApiError> {
    let (after, limit) = query.position()?;
    let mut conn = state.db.acquire().await?;
    let changes = db::traffic::read_changes(&mut conn, after, limit).await?;
    Ok(Json(FeedPage::new(changes, |c| c.seq, query)))
}
