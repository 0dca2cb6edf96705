//! JSON request bodies that must be objects. serde reads a struct also from
//! its sequence form, so `["a@b.co", "password", "viewer"]` would pass for
//! `{ "email", "password", "role" }` through the platform's extractors; the
//! document (and common sense) says a body is an object. These wrap
//! [`AppJson`] and [`CreateRequest`], keep their answers for every other
//! fault (415, 400 `invalid_json`, 413, 422 naming the field) and refuse any
//! other JSON value with 422.

use axum::{
    body::{Body, Bytes},
    extract::{FromRequest, Request},
};
use platform::{http::extract::AppJson, idempotency::CreateRequest, FieldError, Problem};
use serde::de::DeserializeOwned;

/// A JSON object body read as `T`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ObjectJson<T>(pub T);

/// A creating POST's JSON object body, with its Idempotency-Key.
#[derive(Debug)]
pub struct ObjectCreate<T>(pub CreateRequest<T>);

/// 422 unless `bytes` is a JSON object (or not JSON at all: the caller's
/// parser answers that).
pub fn require_object(bytes: &[u8]) -> Result<(), Problem> {
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(value) if !value.is_object() => Err(Problem::validation(vec![FieldError::new(
            "",
            "invalid",
            "the body must be a JSON object",
        )])),
        _ => Ok(()),
    }
}

/// The request's body, and the request again with the same body.
async fn buffered<S: Send + Sync>(
    request: Request,
    state: &S,
) -> Result<(Bytes, Request), Problem> {
    let (parts, body) = request.into_parts();
    let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), state)
        .await
        .map_err(|rejection| Problem::for_status(rejection.status()))?;
    let request = Request::from_parts(parts, Body::from(bytes.clone()));
    Ok((bytes, request))
}

impl<T, S> FromRequest<S> for ObjectJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Problem> {
        let (bytes, request) = buffered(request, state).await?;
        let AppJson(value) = AppJson::<T>::from_request(request, state).await?;
        require_object(&bytes)?;
        Ok(Self(value))
    }
}

impl<T, S> FromRequest<S> for ObjectCreate<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Problem> {
        let (bytes, request) = buffered(request, state).await?;
        let create = CreateRequest::<T>::from_request(request, state).await?;
        require_object(&bytes)?;
        Ok(Self(create))
    }
}

/// `Option<i64>` from a JSON number that is whole: `12` or `12.0` (JSON
/// Schema's `integer` admits both), not `12.5` or one out of range. For
/// `#[serde(default, deserialize_with = "whole_number")]`.
pub fn whole_number<'de, D>(deserializer: D) -> Result<Option<i64>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    use serde::{de::Error, Deserialize};
    let Some(number) = Option::<serde_json::Number>::deserialize(deserializer)? else {
        return Ok(None);
    };
    // 2^63 is the first f64 past i64::MAX.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    number
        .as_i64()
        .or_else(|| {
            number
                .as_f64()
                .filter(|f| f.fract() == 0.0 && (-LIMIT..LIMIT).contains(f))
                .map(|f| f as i64)
        })
        .map(Some)
        .ok_or_else(|| D::Error::custom(format!("{number} is not a whole number in range")))
}
