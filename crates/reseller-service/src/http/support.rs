//! Mechanics shared by the resource handlers: idempotent creates, versioned
//! updates (ETag / If-Match), keyset cursors on `(time, id)`, and the
//! client's address.

use axum::{
    extract::FromRequestParts,
    http::{header, request::Parts, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use chrono::{DateTime, Utc};
use platform::{
    idempotency::{self, IdempotencyKey},
    pagination::PageQuery,
    Problem,
};
use serde::Serialize;
use uuid::Uuid;

use crate::{
    db::{self, Tx},
    ApiError,
};

/// The Idempotency-Key handling of one create request.
#[derive(Debug)]
pub struct Idempotent<'a> {
    /// The reseller, or the nil UUID for public endpoints.
    pub scope: Uuid,
    pub key: Option<&'a IdempotencyKey>,
    pub fingerprint: &'a [u8],
}

impl Idempotent<'_> {
    fn inner(&self) -> idempotency::Idempotent<'_> {
        idempotency::Idempotent {
            store: db::idempotency::STORE,
            scope: self.scope,
            key: self.key,
            fingerprint: self.fingerprint,
        }
    }

    /// A response to send instead of doing the work again, if this key was
    /// used before; otherwise claims the key inside `tx`.
    /// A replayed 201 of a versioned resource carries its ETag again, as
    /// the first answer did.
    pub async fn begin(&self, tx: &mut Tx) -> Result<Option<Response>, ApiError> {
        let Some(replay) = self.inner().begin::<ApiError>(tx).await? else {
            return Ok(None);
        };
        if replay.status() != StatusCode::CREATED {
            return Ok(Some(replay));
        }
        let (parts, body) = replay.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX)
            .await
            .map_err(|e| ApiError::Internal(format!("replayed body: {e}")))?;
        let version = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|body| {
                // A resource, or a registration's `reseller`.
                body.get("version")
                    .or_else(|| body.get("reseller").and_then(|r| r.get("version")))
                    .and_then(serde_json::Value::as_i64)
            });
        let mut response = Response::from_parts(parts, axum::body::Body::from(bytes));
        if let Some(version) = version {
            set_etag(&mut response, version);
        }
        Ok(Some(response))
    }

    /// Builds the 201 (with an ETag when the resource is versioned) and
    /// stores it under the key, in `tx`.
    pub async fn finish(
        &self,
        tx: &mut Tx,
        body: &impl Serialize,
        version: Option<i64>,
    ) -> Result<Response, ApiError> {
        let mut response = self.inner().finish::<ApiError>(tx, body).await?;
        if let Some(version) = version {
            set_etag(&mut response, version);
        }
        Ok(response)
    }
}

/// A JSON body with its version as a strong ETag.
pub fn versioned(body: &impl Serialize, version: i64) -> Response {
    let mut response = Json(body).into_response();
    set_etag(&mut response, version);
    response
}

fn set_etag(response: &mut Response, version: i64) {
    if let Ok(value) = HeaderValue::from_str(&format!("\"{version}\"")) {
        response.headers_mut().insert(header::ETAG, value);
    }
}

/// The version a client based its update on (`If-Match: "<version>"`).
/// Absent or `*`: no precondition.
#[derive(Debug, Clone, Copy)]
pub struct IfMatch(pub Option<i64>);

impl IfMatch {
    /// 412 when the client's version is not the current one.
    pub fn check(self, current: i64) -> Result<(), ApiError> {
        match self.0 {
            Some(expected) if expected != current => Err(ApiError::VersionMismatch { current }),
            _ => Ok(()),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get(header::IF_MATCH) else {
            return Ok(Self(None));
        };
        let text = value.to_str().unwrap_or_default().trim();
        if text == "*" {
            return Ok(Self(None));
        }
        text.trim_start_matches("W/")
            .trim_matches('"')
            .parse()
            .map(|v| Self(Some(v)))
            .map_err(|_| {
                Problem::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_if_match",
                    "If-Match must be the ETag of the resource, e.g. \"3\".",
                )
                .into()
            })
    }
}

pub use platform::pagination::time_id_cursor;

/// The position a [`time_id_cursor`] holds; 400 when the cursor is not one.
pub fn time_id_position(page: &PageQuery) -> Result<Option<(DateTime<Utc>, Uuid)>, ApiError> {
    Ok(page.cursor_time_id()?)
}

pub use platform::http::extract::ClientAddr;

pub use platform::http::extract::whole_number;
