//! `GET /internal/v1/traffic-designations?after=<cursor>&limit=`: every change
//! of a high-traffic mark in commit order, for the core services, in the style
//! of reseller-service's catalog feed: `next_cursor` is the position of the
//! last entry returned (or the `after` given when nothing is new), so a reader
//! keeps polling with it and never misses or repeats an entry.

use axum::{extract::State, Json};
use platform::{
    http::extract::AppQuery,
    pagination::{base64url_decode, base64url_encode, PageQuery},
};
use serde::{Deserialize, Serialize};

use super::auth::CoreCaller;
use crate::{
    db::{self, traffic::Change},
    ApiError, AppState,
};

#[derive(Debug, Deserialize)]
pub struct FeedQuery {
    after: Option<String>,
    limit: Option<u32>,
}

#[derive(Debug, Serialize)]
pub struct FeedEntry {
    /// Resume after this entry with `after=<cursor>`.
    cursor: String,
    #[serde(flatten)]
    change: Change,
}

#[derive(Debug, Serialize)]
pub struct FeedPage {
    data: Vec<FeedEntry>,
    next_cursor: Option<String>,
}

fn encode(seq: i64) -> String {
    base64url_encode(&seq.to_be_bytes())
}

fn decode(cursor: &str) -> Option<i64> {
    let bytes: [u8; 8] = base64url_decode(cursor)?.try_into().ok()?;
    Some(i64::from_be_bytes(bytes)).filter(|seq| *seq >= 0)
}

/// Reads the feed.
pub async fn read_traffic_designations(
    State(state): State<AppState>,
    _caller: CoreCaller,
    AppQuery(query): AppQuery<FeedQuery>,
) -> Result<Json<FeedPage>, ApiError> {
    let limit = PageQuery {
        limit: query.limit,
        cursor: None,
    }
    .limit()?;
    let after = match query.after.as_deref().filter(|a| !a.is_empty()) {
        None => 0,
        Some(cursor) => decode(cursor).ok_or_else(|| {
            ApiError::invalid(
                "after",
                "invalid_cursor",
                "is not a cursor returned by this feed",
            )
        })?,
    };
    let mut conn = state.db.acquire().await?;
    let changes = db::traffic::read_changes(&mut conn, after, limit).await?;
    let next_cursor = match changes.last() {
        Some(last) => Some(encode(last.seq)),
        None => query.after.filter(|a| !a.is_empty()),
    };
    let data = changes
        .into_iter()
        .map(|change| FeedEntry {
            cursor: encode(change.seq),
            change,
        })
        .collect();
    Ok(Json(FeedPage { data, next_cursor }))
}
