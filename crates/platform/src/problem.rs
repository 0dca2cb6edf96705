//! RFC 9457 problem details, the only error format any of our HTTP APIs
//! speaks. Each service keeps its own `ApiError` enum and maps it to a
//! [`Problem`] in one `match`; this type only knows how to render.
//!
//! The `request_id` is filled in when the response is built, from the request
//! currently being served (see [`crate::http::request_id`]), so no handler has
//! to thread it through.

use std::borrow::Cow;

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Serialize;

use crate::http::request_id;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One invalid field of a request.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldError {
    /// Dotted path of the field, e.g. `billing.address.country`.
    pub field: String,
    /// Stable machine-readable reason, e.g. `too_long`.
    pub code: Cow<'static, str>,
    /// A sentence for a person.
    pub message: String,
}

impl FieldError {
    pub fn new(
        field: impl Into<String>,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        }
    }
}

/// A problem+json response body, with the status and headers that go with it.
/// Boxed, so that `Result<T, Problem>` stays small on the happy path.
#[derive(Debug, Clone)]
pub struct Problem(Box<ProblemBody>);

#[derive(Debug, Clone, Serialize)]
struct ProblemBody {
    #[serde(rename = "type")]
    type_uri: String,
    title: Cow<'static, str>,
    status: u16,
    detail: String,
    code: Cow<'static, str>,
    request_id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<FieldError>,
    #[serde(skip)]
    retry_after_secs: Option<u64>,
    #[serde(skip)]
    allow: Option<HeaderValue>,
}

impl Problem {
    /// A problem with a stable `code` and a human `detail`. The title is the
    /// status's canonical reason phrase.
    pub fn new(
        status: StatusCode,
        code: impl Into<Cow<'static, str>>,
        detail: impl Into<String>,
    ) -> Self {
        let code = code.into();
        Self(Box::new(ProblemBody {
            type_uri: format!("urn:ticketing:problem:{code}"),
            title: Cow::Borrowed(status.canonical_reason().unwrap_or("Error")),
            status: status.as_u16(),
            detail: detail.into(),
            code,
            request_id: None,
            errors: Vec::new(),
            retry_after_secs: None,
            allow: None,
        }))
    }

    /// The generic problem for a status, used where a layer or the framework
    /// produced an error without a body of ours.
    pub fn for_status(status: StatusCode) -> Self {
        let (code, detail) = match status {
            StatusCode::NOT_FOUND => ("not_found", "No resource at this path."),
            StatusCode::METHOD_NOT_ALLOWED => (
                "method_not_allowed",
                "This path does not support this method; see the Allow header.",
            ),
            StatusCode::PAYLOAD_TOO_LARGE => (
                "payload_too_large",
                "The request body is larger than this endpoint accepts.",
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => (
                "unsupported_media_type",
                "The request body's media type or encoding is not supported.",
            ),
            StatusCode::REQUEST_TIMEOUT => ("request_timeout", "The request took too long."),
            StatusCode::UNAUTHORIZED => ("unauthorized", "Missing or invalid credentials."),
            StatusCode::FORBIDDEN => ("forbidden", "Not allowed."),
            StatusCode::SERVICE_UNAVAILABLE => (
                "service_unavailable",
                "The service is temporarily unavailable; retry later.",
            ),
            s if s.is_server_error() => ("internal_error", "An unexpected error occurred."),
            _ => ("bad_request", "The request could not be processed."),
        };
        Self::new(status, code, detail)
    }

    /// 500 with no detail about the cause: the cause belongs in the log.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "An unexpected error occurred. It has been logged; quote the request_id when reporting it.",
        )
    }

    /// 503 with `Retry-After`, for overload and a missing database.
    pub fn unavailable(
        code: impl Into<Cow<'static, str>>,
        detail: impl Into<String>,
        retry_after_secs: u64,
    ) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, code, detail).retry_after(retry_after_secs)
    }

    /// 422 `validation_failed` carrying the offending fields.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            many => format!("{} fields are invalid.", many.len()),
        };
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            detail,
        )
        .with_errors(errors)
    }

    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.0.errors = errors;
        self
    }

    pub fn retry_after(mut self, secs: u64) -> Self {
        self.0.retry_after_secs = Some(secs);
        self
    }

    pub(crate) fn allow(mut self, allow: Option<HeaderValue>) -> Self {
        self.0.allow = allow;
        self
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    pub fn code(&self) -> &str {
        &self.0.code
    }

    pub fn errors(&self) -> &[FieldError] {
        &self.0.errors
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut problem = *self.0;
        problem.request_id = request_id::current();
        let body = match serde_json::to_vec(&problem) {
            Ok(body) => body,
            Err(_) => {
                br#"{"type":"about:blank","title":"Internal Server Error","status":500}"#.to_vec()
            }
        };
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(secs) = problem.retry_after_secs {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if let Some(allow) = problem.allow {
            headers.insert(header::ALLOW, allow);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_the_rfc_9457_members_and_our_code() {
        let problem = Problem::validation(vec![FieldError::new("name", "required", "is required")]);
        let json = serde_json::to_value(&*problem.0).unwrap();
        assert_eq!(json["type"], "urn:ticketing:problem:validation_failed");
        assert_eq!(json["title"], "Unprocessable Entity");
        assert_eq!(json["status"], 422);
        assert_eq!(json["code"], "validation_failed");
        assert_eq!(json["detail"], "name: is required");
        assert_eq!(json["errors"][0]["field"], "name");
        assert!(json.get("retry_after_secs").is_none());
    }

    #[test]
    fn unavailable_sets_retry_after() {
        let response = Problem::unavailable("overloaded", "busy", 2).into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "2");
        assert_eq!(response.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
    }
}
