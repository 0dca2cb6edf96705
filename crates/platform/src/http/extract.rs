//! Extractors whose rejections are problem+json: the framework's own `Json`,
//! `Query` and `Path` answer plain text. Field paths in validation errors come
//! from `serde_path_to_error`, so a client learns which field was wrong.

use axum::{
    body::Bytes,
    extract::{rejection::PathRejection, FromRequest, FromRequestParts, Path, Query, Request},
    http::{header, request::Parts, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use serde::{de::DeserializeOwned, Serialize};

use crate::problem::{FieldError, Problem};

/// A JSON request or response body.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppJson<T>(pub T);

impl<T, S> FromRequest<S> for AppJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Problem> {
        if !is_json(request.headers()) {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Send the body as application/json.",
            ));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| Problem::for_status(rejection.status()))?;
        parse_json(&bytes).map(AppJson)
    }
}

impl<T: Serialize> IntoResponse for AppJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json"
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
        .unwrap_or(false)
}

/// Whether JSON text is an object, by its first character: serde also reads
/// a struct from its sequence form (`[..]`), which no body or sale event of
/// ours is.
pub fn is_json_object(bytes: &[u8]) -> bool {
    bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// Parses a JSON object: 400 `invalid_json` when it is not JSON, 422
/// `validation_failed` naming the field when it does not fit `T`, and 422
/// when it is JSON but not an object (serde would otherwise read a struct
/// from its sequence form too, so `["a", 1]` could pass for `{ "x", "y" }`;
/// every body of these APIs is an object).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    if !is_json_object(bytes) {
        if let Err(error) = serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
            return Err(json_problem(".", error));
        }
        return Err(Problem::validation(vec![FieldError::new(
            "",
            "invalid_type",
            "the body must be a JSON object",
        )]));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        json_problem(&path, e.into_inner())
    })?;
    deserializer.end().map_err(|e| json_problem(".", e))?;
    Ok(value)
}

/// `Option<i64>` from a JSON number that is whole: `12` or `12.0` (JSON
/// Schema's `integer` admits both, so a client generating from the document
/// may send either), not `12.5` nor one out of range. For
/// `#[serde(default, deserialize_with = "platform::http::extract::whole_number")]`.
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

fn json_problem(path: &str, error: serde_json::Error) -> Problem {
    use serde_json::error::Category;
    match error.classify() {
        Category::Data => {
            let message = strip_position(&error.to_string());
            Problem::validation(vec![field_error(path, message)])
        }
        Category::Syntax | Category::Eof | Category::Io => Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("The body is not valid JSON: {error}"),
        ),
    }
}

/// Turns serde's message into a field error: `missing field `x`` becomes
/// field `x` with code `required`, `unknown field `y`` code `unknown_field`.
fn field_error(path: &str, message: String) -> FieldError {
    let join = |name: &str| {
        if path == "." || path.is_empty() {
            name.to_owned()
        } else {
            format!("{path}.{name}")
        }
    };
    if let Some(name) = quoted(&message, "missing field ") {
        FieldError::new(join(name), "required", "is required")
    } else if let Some(name) = quoted(&message, "unknown field ") {
        let name = name.to_owned();
        // The path of an unknown field already ends with its name.
        let field = if path == "." { name } else { path.to_owned() };
        FieldError::new(field, "unknown_field", "is not a field of this object")
    } else {
        let field = if path == "." {
            String::new()
        } else {
            path.to_owned()
        };
        FieldError::new(field, "invalid", message)
    }
}

/// `name` of serde's "<prefix>`name`..." message (anchored: a value quoted
/// later in a message cannot pass for a field name).
fn quoted<'m>(message: &'m str, prefix: &str) -> Option<&'m str> {
    message
        .strip_prefix(prefix)?
        .strip_prefix('`')?
        .split('`')
        .next()
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// A query string; a bad one answers 400 `invalid_query`, and so does one
/// carrying a NUL character (`%00`), which no text column can store.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for AppQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        if parts.uri.query().is_some_and(has_encoded_nul) {
            return Err(Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                "a query parameter contains a NUL character (%00)",
            ));
        }
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| AppQuery(value))
            .map_err(|rejection| query_problem(&rejection.body_text()))
    }
}

/// 400 `invalid_query`; a parameter the operation does not take (query
/// structs deny unknown fields, as bodies do, so a misspelt `limt` is not
/// silently ignored) is named in `errors` with code `unknown_parameter`.
fn query_problem(text: &str) -> Problem {
    // axum's words and the parameter's path come before serde's message.
    let serde_message = text.find("unknown field `").map_or(text, |at| &text[at..]);
    match quoted(serde_message, "unknown field ") {
        Some(name) => {
            let expected = serde_message
                .split_once(", expected ")
                .map(|(_, list)| list);
            let takes = match expected {
                Some(list) => format!("; this operation takes {list}"),
                None => "; this operation takes no query parameters".into(),
            };
            Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                format!("Unknown query parameter `{name}`{takes}"),
            )
            .with_errors(vec![FieldError::new(
                name,
                "unknown_parameter",
                "is not a parameter of this operation",
            )])
        }
        None => Problem::new(StatusCode::BAD_REQUEST, "invalid_query", text),
    }
}

/// `%00` is the only way a NUL reaches a decoded query value.
fn has_encoded_nul(query: &str) -> bool {
    query.as_bytes().windows(3).any(|w| w == b"%00")
}

/// Path parameters. A segment that cannot be what the route expects (say,
/// `/v1/shows/None` where a UUID belongs) names no resource, so it answers
/// 404 `not_found` like an id that exists nowhere, with the reason in
/// `detail`.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppPath<T>(pub T);

impl<T, S> FromRequestParts<S> for AppPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(AppPath(value)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => Err(Problem::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("No resource at this path: {}", e.body_text()),
            )),
            // A route whose pattern does not match its extractor: our bug.
            Err(rejection) => {
                tracing::error!(error = %rejection.body_text(), "path extractor does not fit its route");
                Err(Problem::internal())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        inner: Inner,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        count: u8,
    }

    #[test]
    fn syntax_errors_are_400_invalid_json() {
        let problem = parse_json::<Body>(br#"["a", {"count": 1}]"#).unwrap_err();
        assert_eq!(problem.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let problem = parse_json::<Body>(b"[not json").unwrap_err();
        assert_eq!(problem.status(), StatusCode::BAD_REQUEST);
        let problem = parse_json::<Body>(b"{not json").unwrap_err();
        assert_eq!(problem.status(), StatusCode::BAD_REQUEST);
        assert_eq!(problem.code(), "invalid_json");
    }

    #[test]
    fn trailing_garbage_is_invalid_json() {
        let problem = parse_json::<Inner>(br#"{"count":1} x"#).unwrap_err();
        assert_eq!(problem.code(), "invalid_json");
    }

    #[test]
    fn a_missing_field_is_named_with_its_path() {
        let problem = parse_json::<Body>(br#"{"name":"a","inner":{}}"#).unwrap_err();
        assert_eq!(problem.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem.errors()[0].field, "inner.count");
        assert_eq!(problem.errors()[0].code, "required");
    }

    #[test]
    fn a_wrong_type_is_named_with_its_path() {
        let problem = parse_json::<Body>(br#"{"name":"a","inner":{"count":300}}"#).unwrap_err();
        assert_eq!(problem.errors()[0].field, "inner.count");
        assert_eq!(problem.errors()[0].code, "invalid");
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Search {
        q: String,
    }

    async fn query(uri: &str) -> Result<Search, Problem> {
        let (mut parts, ()) = axum::http::Request::get(uri).body(()).unwrap().into_parts();
        AppQuery::<Search>::from_request_parts(&mut parts, &())
            .await
            .map(|AppQuery(search)| search)
    }

    #[tokio::test]
    async fn a_nul_in_the_query_is_400_not_a_database_error() {
        let problem = query("/x?q=a%00b").await.unwrap_err();
        assert_eq!(problem.status(), StatusCode::BAD_REQUEST);
        assert_eq!(problem.code(), "invalid_query");
        // An escaped percent sign followed by "00" is ordinary text.
        assert_eq!(query("/x?q=%2500").await.unwrap().q, "%00");
        assert_eq!(query("/x?q=caf%C3%A9").await.unwrap().q, "café");
    }

    #[tokio::test]
    async fn an_unknown_query_parameter_is_400_naming_it() {
        let problem = query("/x?q=a&limt=5").await.unwrap_err();
        assert_eq!(problem.status(), StatusCode::BAD_REQUEST);
        assert_eq!(problem.code(), "invalid_query");
        assert_eq!(problem.errors()[0].field, "limt");
        assert_eq!(problem.errors()[0].code, "unknown_parameter");
        // A parameter without a name is unknown too.
        let problem = query("/x?q=a&=").await.unwrap_err();
        assert_eq!(problem.errors()[0].field, "");
        assert_eq!(problem.errors()[0].code, "unknown_parameter");
    }

    #[test]
    fn unknown_fields_are_refused() {
        let problem = parse_json::<Body>(br#"{"name":"a","inner":{"count":1},"x":1}"#).unwrap_err();
        assert_eq!(problem.errors()[0].field, "x");
        assert_eq!(problem.errors()[0].code, "unknown_field");
    }
}

/// The bearer token of a request, if any.
pub fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The client's IP address, when the request came over a socket.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}
