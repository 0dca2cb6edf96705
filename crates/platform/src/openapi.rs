//! The OpenAPI 3.1 document of a service, and what serves and checks it.
//!
//! Each service derives its operations and schemas from its handlers and
//! types with `utoipa`; [`finish`] then adds what every service shares, so
//! that no handler repeats it:
//!
//! - the `Problem` and `FieldError` schemas (contract section 3);
//! - the error responses every operation can give (400 for a bad query or
//!   body, 401/403 for a secured operation, 404 under a path parameter, 413
//!   and 415 for a body, 503 when the database is away), each
//!   `application/problem+json`, with `Retry-After` where it applies;
//! - the `X-Request-Id` header on every response;
//! - the standard routes: `/healthz`, `/readyz`, `/metrics`, `/openapi.json`
//!   and `/docs`.
//!
//! [`routes`] serves the document and a browsable page that needs nothing
//! from the internet. [`operations`], [`assert_committed`] and
//! [`dangling_refs`] are what the services' tests check the document with.

use std::{collections::BTreeSet, path::Path, sync::Arc};

use axum::{
    extract::State,
    http::Method,
    response::{Html, IntoResponse, Response},
    routing::get,
    Router,
};
use serde_json::{json, Map, Value};

pub use utoipa;

/// The browsable page: one self-contained HTML file, script included.
const DOCS_HTML: &str = include_str!("../assets/docs.html");

/// A bearer-token security scheme of a service.
#[derive(Debug, Clone, Copy)]
pub struct BearerScheme {
    /// The name operations refer to in `security`.
    pub name: &'static str,
    pub description: &'static str,
}

/// The security scheme `/metrics` uses.
pub const METRICS_SCHEME: BearerScheme = BearerScheme {
    name: "metrics_token",
    description: "`METRICS_TOKEN`, when it is set; without it `/metrics` is open.",
};

/// Completes a service's generated document with what every service shares.
pub fn finish(doc: utoipa::openapi::OpenApi, schemes: &[BearerScheme]) -> Value {
    let mut doc = match serde_json::to_value(&doc) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    doc.insert("openapi".into(), json!("3.1.0"));
    let paths = object(&mut doc, "paths");
    for (path, item) in standard_paths() {
        paths.insert(path, item);
    }
    let components = object(&mut doc, "components");
    let schemas = object(components, "schemas");
    schemas.insert("Problem".into(), problem_schema());
    schemas.insert("FieldError".into(), field_error_schema());
    let security = object(components, "securitySchemes");
    for scheme in schemes.iter().chain([&METRICS_SCHEME]) {
        security.insert(
            scheme.name.into(),
            json!({ "type": "http", "scheme": "bearer", "description": scheme.description }),
        );
    }
    for (path, item) in object(&mut doc, "paths").iter_mut() {
        {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for (method, operation) in item.iter_mut() {
                if METHODS.contains(&method.as_str()) {
                    if let Some(operation) = operation.as_object_mut() {
                        add_common_responses(path, operation);
                    }
                }
            }
        }
    }
    Value::Object(doc)
}

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The object under `key`, made empty first if it is missing or not one.
fn object<'a>(map: &'a mut Map<String, Value>, key: &str) -> &'a mut Map<String, Value> {
    let slot = map.entry(key.to_owned()).or_insert_with(|| json!({}));
    if !slot.is_object() {
        *slot = json!({});
    }
    match slot {
        Value::Object(inner) => inner,
        _ => unreachable!("made an object above"),
    }
}

fn problem_response(description: &str, retry_after: bool) -> Value {
    let mut headers = request_id_header();
    if retry_after {
        headers["Retry-After"] = json!({
            "description": "Seconds to wait before trying again.",
            "schema": { "type": "string" }
        });
    }
    json!({
        "description": description,
        "headers": headers,
        "content": {
            "application/problem+json": {
                "schema": { "$ref": "#/components/schemas/Problem" }
            }
        }
    })
}

fn request_id_header() -> Value {
    json!({
        "X-Request-Id": {
            "description": "The request's id: the client's own when it sent one, else a new one.",
            "schema": { "type": "string" }
        }
    })
}

fn add_common_responses(path: &str, operation: &mut Map<String, Value>) {
    let secured = operation
        .get("security")
        .and_then(Value::as_array)
        .is_some_and(|requirements| {
            requirements
                .iter()
                .any(|r| r.as_object().is_some_and(|r| !r.is_empty()))
        });
    let has_input = operation
        .get("parameters")
        .and_then(Value::as_array)
        .is_some_and(|p| p.iter().any(|p| p["in"] != "path"))
        || operation.get("requestBody").is_some();
    let has_body = operation.get("requestBody").is_some();
    let responses = object(operation, "responses");
    let mut add = |status: &str, description: &str, retry_after: bool| {
        responses
            .entry(status.to_owned())
            .or_insert_with(|| problem_response(description, retry_after));
    };
    if has_input {
        add(
            "400",
            "The query or body is invalid, or holds a parameter or field the operation does not take; `errors` lists each one.",
            false,
        );
    }
    if secured {
        add("401", "Missing or unknown credentials.", false);
        add("403", "The credentials do not allow this.", false);
    }
    if path.contains('{') {
        add(
            "404",
            "No such object for this caller, or a path segment that cannot be an id.",
            false,
        );
    }
    if has_body {
        add("413", "The body is larger than the service accepts.", false);
        add("415", "The body is not `application/json`.", false);
    }
    add(
        "503",
        "The database is unavailable or the request timed out; try again later.",
        true,
    );
    for response in responses.values_mut() {
        if let Some(response) = response.as_object_mut().filter(|r| !r.contains_key("$ref")) {
            let headers = object(response, "headers");
            if !headers.contains_key("X-Request-Id") {
                if let Some((name, header)) = request_id_header()
                    .as_object()
                    .and_then(|h| h.iter().next())
                {
                    headers.insert(name.clone(), header.clone());
                }
            }
        }
    }
}

fn problem_schema() -> Value {
    json!({
        "type": "object",
        "description": "An error, as RFC 9457 `application/problem+json`.",
        "required": ["type", "title", "status", "detail", "code", "request_id"],
        "properties": {
            "type": { "type": "string", "description": "A URI naming the kind of problem." },
            "title": { "type": "string" },
            "status": { "type": "integer", "minimum": 400, "maximum": 599 },
            "detail": { "type": "string", "description": "A sentence for a person." },
            "code": { "type": "string", "description": "Stable and machine-readable, e.g. `validation_failed`." },
            "request_id": { "type": ["string", "null"] },
            "errors": {
                "type": "array",
                "description": "For validation errors: each invalid field.",
                "items": { "$ref": "#/components/schemas/FieldError" }
            }
        },
        "example": {
            "type": "https://problems.example/validation_failed",
            "title": "Bad Request",
            "status": 400,
            "detail": "The request has invalid fields.",
            "code": "validation_failed",
            "request_id": "0193a5c0-7d2e-7c1a-9e4b-3f1d2a6b8c90",
            "errors": [{ "field": "name", "code": "required", "message": "is required" }]
        }
    })
}

fn field_error_schema() -> Value {
    json!({
        "type": "object",
        "required": ["field", "code", "message"],
        "properties": {
            "field": { "type": "string", "description": "Dotted path, e.g. `billing.address.country`." },
            "code": { "type": "string", "description": "Stable reason, e.g. `too_long`." },
            "message": { "type": "string" }
        }
    })
}

fn standard_paths() -> Vec<(String, Value)> {
    let ok = |description: &str, content_type: &str, schema: Value| {
        let mut content = Map::new();
        content.insert(content_type.to_owned(), json!({ "schema": schema }));
        json!({ "description": description, "content": content })
    };
    let status_schema = json!({
        "type": "object",
        "required": ["status"],
        "properties": { "status": { "type": "string" } },
        "additionalProperties": { "type": "string" }
    });
    vec![
        (
            "/healthz".into(),
            json!({ "get": {
                "tags": ["operations"],
                "operationId": "healthz",
                "summary": "Liveness: 200 while the process runs.",
                "security": [],
                "responses": { "200": ok("Alive.", "application/json", status_schema.clone()) }
            }}),
        ),
        (
            "/readyz".into(),
            json!({ "get": {
                "tags": ["operations"],
                "operationId": "readyz",
                "summary": "Readiness: 200 only when the database is reachable and migrated.",
                "description": "With a read replica configured, `replica` says `ok` or `degraded` (reads fell back to the primary).",
                "security": [],
                "responses": { "200": ok("Ready.", "application/json", status_schema) }
            }}),
        ),
        (
            "/metrics".into(),
            json!({ "get": {
                "tags": ["operations"],
                "operationId": "metrics",
                "summary": "Prometheus metrics in the text exposition format.",
                "security": [{ "metrics_token": [] }, {}],
                "responses": { "200": ok("The metrics.", "text/plain", json!({ "type": "string" })) }
            }}),
        ),
        (
            "/openapi.json".into(),
            json!({ "get": {
                "tags": ["operations"],
                "operationId": "openapi",
                "summary": "This document.",
                "security": [],
                "responses": { "200": ok("The OpenAPI 3.1 document.", "application/json", json!({ "type": "object" })) }
            }}),
        ),
        (
            "/docs".into(),
            json!({ "get": {
                "tags": ["operations"],
                "operationId": "docs",
                "summary": "A browsable page of this document; it loads nothing from the internet.",
                "security": [],
                "responses": { "200": ok("An HTML page.", "text/html", json!({ "type": "string" })) }
            }}),
        ),
    ]
}

/// `GET /openapi.json` and `GET /docs`.
pub fn routes(doc: Arc<Value>) -> Router {
    Router::new()
        .route("/openapi.json", get(serve_document))
        .route("/docs", get(|| async { Html(DOCS_HTML) }))
        .with_state(doc)
}

async fn serve_document(State(doc): State<Arc<Value>>) -> Response {
    axum::Json(doc.as_ref().clone()).into_response()
}

/// Every `(METHOD, path)` the document describes.
fn operations(doc: &Value) -> BTreeSet<(Method, String)> {
    let mut found = BTreeSet::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return found;
    };
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        for method in item.keys() {
            if METHODS.contains(&method.as_str()) {
                if let Ok(method) = Method::from_bytes(method.to_uppercase().as_bytes()) {
                    found.insert((method, path.clone()));
                }
            }
        }
    }
    found
}

/// Panics unless `doc` describes exactly the `routed` operations plus the
/// standard routes `finish` documents and every service serves: naming
/// what is routed but not documented and what is documented but not routed.
pub fn assert_describes_exactly(doc: &Value, routed: impl IntoIterator<Item = (Method, String)>) {
    let mut routed: BTreeSet<_> = routed.into_iter().collect();
    routed.extend(
        standard_paths()
            .into_iter()
            .map(|(path, _)| (Method::GET, path)),
    );
    let documented = operations(doc);
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(
        undocumented.is_empty() && unrouted.is_empty(),
        "routed but not documented: {undocumented:?}\ndocumented but not routed: {unrouted:?}"
    );
}

/// Every `$ref` in the document that names nothing in it.
pub fn dangling_refs(doc: &Value) -> Vec<String> {
    fn walk(root: &Value, value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(target)) = map.get("$ref") {
                    let pointer = target.trim_start_matches('#');
                    if !target.starts_with('#') || root.pointer(pointer).is_none() {
                        out.push(target.clone());
                    }
                }
                map.values().for_each(|v| walk(root, v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(root, v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(doc, doc, &mut out);
    out.sort();
    out.dedup();
    out
}

/// Panics unless `file` holds exactly `doc` (pretty-printed, newline at the
/// end). With `UPDATE_OPENAPI=1` it writes the file instead.
pub fn assert_committed(doc: &Value, file: &Path) {
    let mut rendered = serde_json::to_string_pretty(doc).expect("a JSON value renders");
    rendered.push('\n');
    if std::env::var_os("UPDATE_OPENAPI").is_some_and(|v| v == "1") {
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir).expect("create the document's directory");
        }
        std::fs::write(file, rendered).expect("write the document");
        return;
    }
    let committed = std::fs::read_to_string(file).unwrap_or_default();
    assert!(
        committed == rendered,
        "{} is stale: the code describes another API. Run \
         `UPDATE_OPENAPI=1 cargo test openapi` and commit the file.",
        file.display()
    );
}
