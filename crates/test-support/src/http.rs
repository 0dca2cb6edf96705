//! Calling a router in-process, the way a client would over HTTP.

use axum::{
    body::Body,
    http::{header, HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode},
    Router,
};
use bytes::Bytes;
use serde_json::Value;
use tower::ServiceExt;

/// A request under construction.
#[derive(Debug)]
pub struct TestRequest {
    method: Method,
    uri: String,
    headers: HeaderMap,
    body: Bytes,
    peer: Option<std::net::SocketAddr>,
}

impl TestRequest {
    pub fn new(method: Method, uri: impl Into<String>) -> Self {
        Self {
            method,
            uri: uri.into(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
            peer: None,
        }
    }

    pub fn get(uri: impl Into<String>) -> Self {
        Self::new(Method::GET, uri)
    }

    pub fn post(uri: impl Into<String>) -> Self {
        Self::new(Method::POST, uri)
    }

    pub fn patch(uri: impl Into<String>) -> Self {
        Self::new(Method::PATCH, uri)
    }

    pub fn put(uri: impl Into<String>) -> Self {
        Self::new(Method::PUT, uri)
    }

    pub fn delete(uri: impl Into<String>) -> Self {
        Self::new(Method::DELETE, uri)
    }

    /// A JSON body with its content type.
    pub fn json(self, body: &Value) -> Self {
        self.header("content-type", "application/json")
            .raw_body(serde_json::to_vec(body).expect("serialise a JSON body"))
    }

    pub fn raw_body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.insert(
            HeaderName::from_bytes(name.as_bytes()).expect("header name"),
            HeaderValue::from_str(value).expect("header value"),
        );
        self
    }

    /// As if sent over a socket from `peer` (what `ConnectInfo` reports).
    pub fn from_peer(mut self, peer: std::net::SocketAddr) -> Self {
        self.peer = Some(peer);
        self
    }

    fn build(self) -> Request<Body> {
        let mut request = Request::builder()
            .method(self.method)
            .uri(self.uri)
            .body(Body::from(self.body))
            .expect("a valid request");
        *request.headers_mut() = self.headers;
        if let Some(peer) = self.peer {
            request
                .extensions_mut()
                .insert(axum::extract::ConnectInfo(peer));
        }
        request
    }
}

/// The answer, fully buffered.
#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl TestResponse {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a problem+json answer with this status and code, and returns
    /// its body.
    pub fn assert_problem(&self, status: StatusCode, code: &str) -> Value {
        assert_eq!(
            self.status,
            status,
            "unexpected status; body: {}",
            self.text()
        );
        assert_eq!(
            self.header(header::CONTENT_TYPE.as_str()),
            Some("application/problem+json"),
            "not problem+json: {}",
            self.text()
        );
        let body = self.json();
        assert_eq!(body["code"], code, "unexpected code in {body}");
        assert_eq!(body["status"], status.as_u16());
        for member in ["type", "title", "detail", "request_id"] {
            assert!(body[member].is_string(), "problem lacks `{member}`: {body}");
        }
        assert_eq!(
            body["request_id"].as_str(),
            self.header("x-request-id"),
            "request_id differs from X-Request-Id"
        );
        body
    }
}

/// Sends `request` to `app` in-process.
pub async fn send(app: &Router, request: TestRequest) -> TestResponse {
    let response = app
        .clone()
        .oneshot(request.build())
        .await
        .expect("the router never fails");
    let (parts, body) = response.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .expect("read the response body");
    TestResponse {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}
