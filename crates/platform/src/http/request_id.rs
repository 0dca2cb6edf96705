//! Request ids. Every request gets one (the client's `X-Request-Id` when it is
//! sane, else a new UUIDv7), it is echoed on the response, recorded on the
//! request's tracing span so every log line carries it, and kept in a task
//! local so that error bodies and audit rows can quote it without threading
//! it through every function.

use std::time::Instant;

use axum::{
    extract::Request,
    http::{HeaderName, HeaderValue},
    middleware::Next,
    response::Response,
};
use tracing::Instrument;

/// The header carrying the id, in both directions.
pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being served by the current task, if any.
pub fn current() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// Longest client-supplied id we echo; longer ones are replaced.
const MAX_CLIENT_ID_LEN: usize = 128;

fn client_id(request: &Request) -> Option<String> {
    let value = request.headers().get(&X_REQUEST_ID)?.to_str().ok()?;
    let sane = !value.is_empty()
        && value.len() <= MAX_CLIENT_ID_LEN
        && value.bytes().all(|b| b.is_ascii_graphic());
    sane.then(|| value.to_owned())
}

pub(crate) async fn middleware(request: Request, next: Next) -> Response {
    let id = client_id(&request).unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        path = %request.uri().path(),
    );
    let started = Instant::now();
    let mut response = REQUEST_ID
        .scope(id.clone(), next.run(request).instrument(span.clone()))
        .await;
    let status = response.status().as_u16();
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    span.in_scope(|| tracing::info!(status, latency_ms, "request finished"));
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(X_REQUEST_ID.clone(), value);
    }
    response
}
