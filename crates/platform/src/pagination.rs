//! Keyset pagination: `limit` (default 50, at most 500) and an opaque
//! `cursor`, answered as `{ "data": [...], "next_cursor": ... }`. A cursor is
//! the position of the last row of a page, base64url-encoded; a page deep in
//! a list costs the same as the first because the query seeks to it by index.

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::{problem::FieldError, Problem};

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 500;

/// The paging part of a list's query string.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// Page size: 1 to 500, 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page; absent for the first page.
    #[param(pattern = "^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
}

impl PageQuery {
    /// The validated page size.
    pub fn limit(&self) -> Result<u32, Problem> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            Some(_) => Err(invalid(
                "limit",
                "out_of_range",
                format!("must be between 1 and {MAX_LIMIT}"),
            )),
        }
    }

    /// The decoded cursor bytes, if any.
    pub fn cursor_bytes(&self) -> Result<Option<Vec<u8>>, Problem> {
        match self.cursor.as_deref() {
            None | Some("") => Ok(None),
            Some(raw) => base64url_decode(raw).map(Some).ok_or_else(|| {
                invalid(
                    "cursor",
                    "invalid_cursor",
                    "is not a cursor returned by this list".into(),
                )
            }),
        }
    }

    /// A cursor holding a UUID (lists ordered by a time-ordered id).
    pub fn cursor_uuid(&self) -> Result<Option<uuid::Uuid>, Problem> {
        self.cursor_bytes()?
            .map(|bytes| {
                uuid::Uuid::from_slice(&bytes).map_err(|_| {
                    invalid(
                        "cursor",
                        "invalid_cursor",
                        "is not a cursor returned by this list".into(),
                    )
                })
            })
            .transpose()
    }

    /// A cursor holding a `(time, id)` position ([`time_id_cursor`]).
    pub fn cursor_time_id(
        &self,
    ) -> Result<Option<(chrono::DateTime<chrono::Utc>, uuid::Uuid)>, Problem> {
        self.cursor_bytes()?
            .map(|bytes| {
                decode_time_id(&bytes).ok_or_else(|| {
                    invalid(
                        "cursor",
                        "invalid_cursor",
                        "is not a cursor returned by this list".into(),
                    )
                })
            })
            .transpose()
    }
}

fn invalid(field: &str, code: &'static str, message: String) -> Problem {
    Problem::new(
        StatusCode::BAD_REQUEST,
        "invalid_query",
        format!("{field}: {message}"),
    )
    .with_errors(vec![FieldError::new(field, code, message)])
}

/// A page of a list (contract section 3).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub data: Vec<T>,
    /// `null` on the last page.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows fetched in list order: the
    /// extra row only tells whether another page exists.
    pub fn from_rows(mut rows: Vec<T>, limit: u32, cursor_of: impl Fn(&T) -> Vec<u8>) -> Self {
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_cursor = if more {
            rows.last().map(|last| base64url_encode(&cursor_of(last)))
        } else {
            None
        };
        Self {
            data: rows,
            next_cursor,
        }
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The cursor of a list ordered by `(time, id)`: the row's position, as
/// microseconds since the epoch and the id.
pub fn time_id_cursor(at: chrono::DateTime<chrono::Utc>, id: uuid::Uuid) -> Vec<u8> {
    let mut bytes = at.timestamp_micros().to_be_bytes().to_vec();
    bytes.extend_from_slice(id.as_bytes());
    bytes
}

/// The position a [`time_id_cursor`] holds, if `bytes` is one.
pub fn decode_time_id(bytes: &[u8]) -> Option<(chrono::DateTime<chrono::Utc>, uuid::Uuid)> {
    if bytes.len() != 24 {
        return None;
    }
    let micros = i64::from_be_bytes(bytes.get(..8)?.try_into().ok()?);
    let id = uuid::Uuid::from_slice(bytes.get(8..24)?).ok()?;
    Some((chrono::DateTime::from_timestamp_micros(micros)?, id))
}

/// Base64url without padding.
pub fn base64url_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

pub fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    if text.len() % 4 == 1 || text.len() > 4096 {
        return None;
    }
    let values: Option<Vec<u32>> = text
        .bytes()
        .map(|c| B64.iter().position(|b| *b == c).map(|p| p as u32))
        .collect();
    let values = values?;
    let mut out = Vec::with_capacity(values.len() * 3 / 4);
    for chunk in values.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, v)| acc | (v << (18 - 6 * i)));
        for i in 0..chunk.len() - 1 {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_round_trips_every_length() {
        for len in 0..40u8 {
            let bytes: Vec<u8> = (0..len)
                .map(|i| i.wrapping_mul(37).wrapping_add(250))
                .collect();
            let text = base64url_encode(&bytes);
            assert!(!text.contains('=') && !text.contains('+') && !text.contains('/'));
            assert_eq!(base64url_decode(&text).unwrap(), bytes);
        }
        assert_eq!(base64url_encode(b"hello"), "aGVsbG8");
        assert!(base64url_decode("a").is_none());
        assert!(base64url_decode("ab!d").is_none());
    }

    #[test]
    fn time_id_cursors_round_trip() {
        let at = chrono::DateTime::from_timestamp_micros(1_790_000_000_123_456).unwrap();
        let id = uuid::Uuid::from_u128(42);
        let bytes = time_id_cursor(at, id);
        assert_eq!(decode_time_id(&bytes), Some((at, id)));
        assert_eq!(decode_time_id(&bytes[..10]), None);
    }

    #[test]
    fn limits_are_bounded() {
        let q = |limit| PageQuery {
            limit,
            cursor: None,
        };
        assert_eq!(q(None).limit().unwrap(), 50);
        assert_eq!(q(Some(500)).limit().unwrap(), 500);
        assert!(q(Some(0)).limit().is_err());
        assert!(q(Some(501)).limit().is_err());
    }

    #[test]
    fn pages_know_whether_more_rows_follow() {
        let page = Page::from_rows(vec![1u8, 2, 3], 2, |n| vec![*n]);
        assert_eq!(page.data, [1, 2]);
        assert_eq!(
            page.next_cursor.as_deref(),
            Some(base64url_encode(&[2]).as_str())
        );
        let last = Page::from_rows(vec![1u8, 2], 2, |n| vec![*n]);
        assert!(last.next_cursor.is_none());
    }
}
