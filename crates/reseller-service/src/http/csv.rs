//! `text/csv` answers (RFC 4180), streamed (see `stream`): rows go from
//! the database cursor to the client in chunks, so memory stays constant
//! however many rows there are, and a slow client slows the query rather
//! than filling memory.

use std::borrow::Cow;

use axum::{
    http::{header, HeaderMap, HeaderValue},
    response::Response,
};

use super::stream::{self, Sender};

/// Whether the client asked for CSV.
pub fn wanted(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| {
            accept.split(',').any(|t| {
                t.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .eq_ignore_ascii_case("text/csv")
            })
        })
}

/// A field, quoted when it holds a comma, quote, or line break.
pub fn field(value: &str) -> Cow<'_, str> {
    if value.contains([',', '"', '\r', '\n']) {
        Cow::Owned(format!("\"{}\"", value.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(value)
    }
}

/// Lines gathered into one chunk.
pub const LINES_PER_CHUNK: usize = 256;

/// A streamed CSV response whose body is produced by `produce`, which gets
/// the sending half (the header line is sent first).
pub fn stream<F, Fut>(filename: &str, header_line: String, produce: F) -> Response
where
    F: FnOnce(Sender) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let mut response = stream::response("text/csv; charset=utf-8", move |tx| async move {
        if stream::send(&tx, header_line).await {
            produce(tx).await;
        }
    });
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// Sends rows from a database stream as CSV chunks of [`LINES_PER_CHUNK`]
/// lines. `Ok(false)`: the client went away (or stopped reading) and the
/// caller should stop.
pub async fn pump<T, S>(
    mut rows: S,
    out: &Sender,
    mut line: impl FnMut(&T, &mut String),
) -> Result<bool, sqlx::Error>
where
    S: futures_util::Stream<Item = Result<T, sqlx::Error>> + Unpin,
{
    use futures_util::TryStreamExt;
    let mut chunk = String::new();
    let mut lines = 0;
    while let Some(row) = rows.try_next().await? {
        line(&row, &mut chunk);
        lines += 1;
        if lines == LINES_PER_CHUNK {
            if !stream::send(out, std::mem::take(&mut chunk)).await {
                return Ok(false);
            }
            lines = 0;
        }
    }
    Ok(chunk.is_empty() || stream::send(out, chunk).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_needed() {
        assert_eq!(field("web"), "web");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
    }

    #[test]
    fn accept_headers_are_read_loosely() {
        let mut h = HeaderMap::new();
        assert!(!wanted(&h));
        h.insert(
            header::ACCEPT,
            "application/json, text/csv;q=0.9".parse().unwrap(),
        );
        assert!(wanted(&h));
    }
}
