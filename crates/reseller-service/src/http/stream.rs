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

/// The size from which a chunk is sent; chunks are allocated with a little
/// more room, so a row written whole never makes one grow.
pub const CHUNK_BYTES: usize = 60 * 1024;

/// Room for the row that crosses [`CHUNK_BYTES`].
const CHUNK_ROOM: usize = 4 * 1024;

/// Chunk buffers kept for reuse once sent (at most this many, 2 MiB).
/// Without them every chunk of a large answer was memory the allocator
/// had just given back to the system, faulted in afresh: page faults were
/// up to a sixth of the service's CPU for a 17,000-row report.
const SPARE_CHUNKS: usize = 32;

static SPARE: std::sync::Mutex<Vec<Vec<u8>>> = std::sync::Mutex::new(Vec::new());

/// An empty chunk, a spare one when there is one.
pub fn chunk() -> Vec<u8> {
    let spare = SPARE.lock().ok().and_then(|mut spare| spare.pop());
    spare.unwrap_or_else(|| Vec::with_capacity(CHUNK_BYTES + CHUNK_ROOM))
}

/// Whether `chunk` should be sent now.
pub fn is_full(chunk: &[u8]) -> bool {
    chunk.len() >= CHUNK_BYTES
}

/// A chunk being sent: its buffer goes back to [`SPARE`] once the body is
/// done with it.
struct Sent(Vec<u8>);

impl AsRef<[u8]> for Sent {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for Sent {
    fn drop(&mut self) {
        let mut buffer = std::mem::take(&mut self.0);
        if buffer.capacity() != CHUNK_BYTES + CHUNK_ROOM {
            return;
        }
        buffer.clear();
        if let Ok(mut spare) = SPARE.lock() {
            if spare.len() < SPARE_CHUNKS {
                spare.push(buffer);
            }
        }
    }
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

/// [`send`] of a buffer from [`chunk`], which is reused once sent.
pub async fn send_chunk(out: &Sender, chunk: Vec<u8>) -> bool {
    send_within(out, Bytes::from_owner(Sent(chunk)), SEND_TIMEOUT).await
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
    async fn a_sent_chunk_is_kept_for_reuse_once_the_body_dropped_it() {
        let (tx, mut rx) = mpsc::channel(1);
        let mut sent = chunk();
        sent.extend_from_slice(b"rows");
        let buffer = sent.as_ptr();
        assert!(send_chunk(&tx, sent).await);
        let received = rx.recv().await.unwrap().unwrap();
        assert_eq!(received, "rows");
        let spare = |spare: &Vec<Vec<u8>>| spare.iter().any(|b| b.as_ptr() == buffer);
        assert!(!spare(&SPARE.lock().unwrap()));
        drop(received);
        let spares = SPARE.lock().unwrap();
        assert!(spare(&spares));
        assert!(spares.iter().all(|b| b.is_empty()));
    }

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
