//! The client of reseller-service's internal API (`INTERNAL_TOKEN`): the only
//! way admin-service reaches reseller data. Bodies are passed through as JSON
//! values: admin-service adds nothing to them but authorisation and audit.
//!
//! Errors map onto ours: a 404 is our 404; any other 4xx problem is the
//! client's and is passed on with its status, code and field errors; a 5xx, a
//! timeout or a refused connection is a 503 the client may retry.

use std::time::Duration;

use axum::http::StatusCode;
use platform::{FieldError, Problem};
use reqwest::Method;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::Value;

use crate::ApiError;

/// How long one call may take; below the service's own request timeout.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct ResellerApi {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

#[derive(Deserialize)]
struct UpstreamProblem {
    code: Option<String>,
    detail: Option<String>,
    #[serde(default)]
    errors: Vec<UpstreamFieldError>,
}

#[derive(Deserialize)]
struct UpstreamFieldError {
    field: String,
    code: String,
    message: String,
}

impl ResellerApi {
    pub fn new(base: String, token: Option<String>) -> Self {
        let http = reqwest::Client::builder()
            .timeout(CALL_TIMEOUT)
            .connect_timeout(Duration::from_secs(3))
            .build()
            .unwrap_or_default();
        Self { http, base, token }
    }

    /// `GET path?query`.
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, ApiError> {
        self.call(Method::GET, path, query, None::<&()>).await
    }

    /// `POST path` with a JSON body.
    pub async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl Serialize,
    ) -> Result<T, ApiError> {
        self.call(Method::POST, path, &[], Some(body)).await
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&impl Serialize>,
    ) -> Result<T, ApiError> {
        let token = self.token.as_deref().ok_or_else(|| {
            ApiError::Client(Problem::unavailable(
                "internal_api_disabled",
                "INTERNAL_TOKEN is not configured: admin-service cannot reach reseller-service.",
                60,
            ))
        })?;
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token)
            .query(query);
        if let Some(id) = platform::http::request_id::current() {
            request = request.header("x-request-id", id);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| ApiError::Upstream(e.to_string()))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| ApiError::Upstream(e.to_string()))?;
        if status.is_success() {
            return serde_json::from_slice(&bytes)
                .map_err(|e| ApiError::Upstream(format!("{path}: unexpected body: {e}")));
        }
        Err(upstream_error(status.as_u16(), &bytes, path))
    }
}

fn upstream_error(status: u16, body: &[u8], path: &str) -> ApiError {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    if status == StatusCode::NOT_FOUND {
        return ApiError::NotFound;
    }
    if status == StatusCode::UNAUTHORIZED {
        // Our token was refused: a deployment error, not the client's.
        return ApiError::Internal(format!(
            "{path}: INTERNAL_TOKEN refused by reseller-service"
        ));
    }
    if !status.is_client_error() {
        return ApiError::Upstream(format!("{path}: status {status}"));
    }
    let problem: UpstreamProblem = match serde_json::from_slice(body) {
        Ok(problem) => problem,
        Err(_) => return ApiError::Upstream(format!("{path}: {status} without a problem body")),
    };
    let code = problem.code.unwrap_or_else(|| "bad_request".to_owned());
    let detail = problem.detail.unwrap_or_default();
    let errors = problem
        .errors
        .into_iter()
        .map(|e| FieldError::new(e.field, e.code, e.message))
        .collect();
    ApiError::Client(Problem::new(status, code, detail).with_errors(errors))
}

/// Query pairs for the internal API, skipping absent values.
pub fn query_pairs<'a>(pairs: &[(&'a str, Option<String>)]) -> Vec<(&'a str, String)> {
    pairs
        .iter()
        .filter_map(|(k, v)| v.clone().map(|v| (*k, v)))
        .collect()
}

/// The `{ "before", "after" }` answer of every internal mutation.
#[derive(Debug, Deserialize)]
pub struct Change {
    pub before: Value,
    pub after: Value,
}
