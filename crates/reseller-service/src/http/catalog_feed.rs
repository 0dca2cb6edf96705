//! `GET /internal/v1/catalog-changes?after=<cursor>&limit=`: every create and
//! change of a show or ticket type (capacity, price, status...), in commit
//! order, for the core services. `next_cursor` is the position of the last
//! entry returned (or the `after` given, when nothing is new), so a reader
//! keeps polling with it and never misses or repeats an entry.

use axum::{extract::State, Json};
use platform::{
    feed::{FeedPage, FeedQuery},
    http::extract::AppQuery,
};

use super::auth::CoreCaller;
use crate::{
    db::{self, catalog_feed::Change},
    ApiError, AppState,
};

/// Reads the feed.
#[utoipa::path(
    get,
    path = "/internal/v1/catalog-changes",
    tag = "feeds",
    operation_id = "read_catalog_changes",
    summary = "Every create and change of a show or ticket type, in commit order.",
    description = "Poll with `after=<next_cursor>`: no entry is missed or repeated.",
    params(
        super::schemas::FeedParams
    ),
    responses(
        (status = 200, description = "A page of the feed.", body = platform::feed::FeedPage<crate::db::catalog_feed::Change>)
    ),
    security(("core_token" = []))
)]
pub async fn read_catalog_changes(
    State(state): State<AppState>,
    _caller: CoreCaller,
    AppQuery(query): AppQuery<FeedQuery>,
) -> Result<Json<FeedPage<Change>>, ApiError> {
    let (after, limit) = query.position()?;
    let mut tx = db::platform(state.db.pool()).await?;
    let changes = db::catalog_feed::read(&mut tx, after, limit).await?;
    tx.commit().await?;
    Ok(Json(FeedPage::new(changes, |c| c.seq, query)))
}
