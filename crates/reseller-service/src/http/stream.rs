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

/// Ends a stream that failed: logged, and the body is cut off (the client
/// sees a truncated transfer, not a complete-looking answer).
pub async fn fail(out: &Sender, what: &str, error: sqlx::Error) {
    tracing::error!(%error, "{what} failed after the answer began");
    let _ = out
        .send(Err(std::io::Error::other("the answer failed")))
        .await;
}
