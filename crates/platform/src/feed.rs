//! Change feeds read by the core services (`?after=<cursor>&limit=`): entries
//! in commit order, each with its own `cursor`, and `next_cursor` the
//! position of the last entry returned (or the `after` given when nothing is
//! new), so a reader keeps polling with it and never misses or repeats an
//! entry. Positions are sequence numbers handed out in commit order by the
//! writing services; the cursor is their opaque encoding.

use serde::{Deserialize, Serialize};

use crate::{
    pagination::{base64url_decode, base64url_encode, PageQuery},
    FieldError, Problem,
};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FeedQuery {
    /// The `cursor` of the last entry read; absent to read from the start.
    #[param(pattern = "^[A-Za-z0-9_-]*$")]
    pub after: Option<String>,
    /// Page size: 1 to 500, 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

impl FeedQuery {
    /// The position to read after (0: from the start) and the page size.
    pub fn position(&self) -> Result<(i64, u32), Problem> {
        let limit = PageQuery {
            limit: self.limit,
            cursor: None,
        }
        .limit()?;
        let after = match self.after.as_deref().filter(|a| !a.is_empty()) {
            None => 0,
            Some(cursor) => decode(cursor).ok_or_else(|| {
                Problem::validation(vec![FieldError::new(
                    "after",
                    "invalid_cursor",
                    "is not a cursor returned by this feed",
                )])
            })?,
        };
        Ok((after, limit))
    }
}

fn encode(seq: i64) -> String {
    base64url_encode(&seq.to_be_bytes())
}

fn decode(cursor: &str) -> Option<i64> {
    let bytes: [u8; 8] = base64url_decode(cursor)?.try_into().ok()?;
    Some(i64::from_be_bytes(bytes)).filter(|seq| *seq >= 0)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FeedEntry<T> {
    /// Resume after this entry with `after=<cursor>`.
    cursor: String,
    #[serde(flatten)]
    change: T,
}

/// A page of a feed: changes in commit order, each with the cursor to resume
/// after it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FeedPage<T> {
    data: Vec<FeedEntry<T>>,
    next_cursor: Option<String>,
}

impl<T> FeedPage<T> {
    /// The page of `changes` (in position order) read for `query`.
    pub fn new(changes: Vec<T>, seq: impl Fn(&T) -> i64, query: FeedQuery) -> Self {
        let next_cursor = match changes.last() {
            Some(last) => Some(encode(seq(last))),
            None => query.after.filter(|a| !a.is_empty()),
        };
        let data = changes
            .into_iter()
            .map(|change| FeedEntry {
                cursor: encode(seq(&change)),
                change,
            })
            .collect();
        Self { data, next_cursor }
    }
}
