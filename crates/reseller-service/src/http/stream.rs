//! Answers streamed as they are made: a producer task sends chunks through
//! a small bounded channel that the response body reads, so memory stays
//! bounded whatever the size, a slow client slows the producer, and the
//! client reads the first chunks while the next are made.

use axum::{
    body::{Body, Bytes},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use tokio::sync::mpsc;

/// Chunks waiting to be sent.
const BUFFERED_CHUNKS: usize = 16;

/// The size from which a chunk is sent. Chunks are allocated with a little
/// more room (a row written whole never makes one grow) and stay below the
/// allocator's mmap threshold (128 KiB), so freed chunks are mostly reused:
/// with a chunk per stored day (~500 KB each) page faults on fresh mappings
/// were a sixth of the service's CPU for a large report.
pub const CHUNK_BYTES: usize = 60 * 1024;

/// Room for the row or line that crosses [`CHUNK_BYTES`].
const CHUNK_ROOM: usize = 4 * 1024;

/// An empty chunk.
pub fn chunk() -> Vec<u8> {
    Vec::with_capacity(CHUNK_BYTES + CHUNK_ROOM)
}

/// Whether `chunk` should be sent now.
pub fn is_full(chunk: &[u8]) -> bool {
    chunk.len() >= CHUNK_BYTES
}

/// How long a chunk may wait for room in the channel: a client that stops
/// reading but keeps its connection open gives back the database
/// connection (and its transaction) the producer holds after this.
const SEND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The sending half: the producer task pushes formatted chunks; a send that
/// fails means the client went away and the producer should stop.
pub type Sender = mpsc::Sender<Result<Bytes, std::io::Error>>;

/// A 200 of `content_type` whose body is what `produce`, run as its own
/// task, sends. An `Err` cuts the body off.
pub fn response<F, Fut>(content_type: &'static str, produce: F) -> Response
where
    F: FnOnce(Sender) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = mpsc::channel(BUFFERED_CHUNKS);
    tokio::spawn(produce(tx));
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    let mut response = (StatusCode::OK, Body::from_stream(body)).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// Sends one chunk; false when the client went away or stopped reading for
/// [`SEND_TIMEOUT`], and the producer should stop.
pub async fn send(out: &Sender, chunk: impl Into<Bytes>) -> bool {
    send_within(out, chunk.into(), SEND_TIMEOUT).await
}

async fn send_within(out: &Sender, chunk: Bytes, limit: std::time::Duration) -> bool {
    matches!(
        tokio::time::timeout(limit, out.send(Ok(chunk))).await,
        Ok(Ok(()))
    )
}

/// Ends a stream that failed: logged, and the body is cut off (the client
/// sees a truncated transfer, not a complete-looking answer).
pub async fn fail(out: &Sender, what: &str, error: sqlx::Error) {
    tracing::error!(%error, "{what} failed after the answer began");
    let _ = out
        .send(Err(std::io::Error::other("the answer failed")))
        .await;
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_send_gives_up_on_a_client_that_stops_reading_or_left() {
        let (tx, mut rx) = mpsc::channel(1);
        assert!(send_within(&tx, Bytes::from_static(b"a"), Duration::from_millis(50)).await);
        // The channel is full and nobody reads: the producer is let go.
        assert!(!send_within(&tx, Bytes::from_static(b"b"), Duration::from_millis(50)).await);
        assert_eq!(rx.recv().await.unwrap().unwrap(), "a");
        drop(rx);
        assert!(!send(&tx, "c").await);
    }
}
