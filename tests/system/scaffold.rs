//! What every HTTP API here does whatever the route: problem+json for every
//! error, request ids, health and readiness.

use axum::{
    http::StatusCode,
    routing::{get, post},
    Router,
};
use platform::http::extract::AppJson;
use serde_json::{json, Value};
use test_support::{send, TestDatabase, TestRequest};

use crate::both_apps;

fn test_routes() -> Router {
    Router::new()
        .route(
            "/test/panic",
            get(|| async { panic!("deliberate test panic") as () }),
        )
        .route(
            "/test/echo",
            post(|AppJson(body): AppJson<Value>| async { AppJson(body) }),
        )
}

#[tokio::test]
async fn healthz_and_readyz_answer_200_on_a_migrated_database() {
    let db = TestDatabase::new().await;
    for (name, app) in both_apps(&db, Router::new).await {
        let health = send(&app, TestRequest::get("/healthz")).await;
        assert_eq!(health.status, StatusCode::OK, "{name}");
        let ready = send(&app, TestRequest::get("/readyz")).await;
        assert_eq!(ready.status, StatusCode::OK, "{name}: {}", ready.text());
        assert_eq!(ready.json()["status"], "ready");
    }
}

#[tokio::test]
async fn unknown_routes_are_404_problems() {
    let db = TestDatabase::new().await;
    for (_, app) in both_apps(&db, Router::new).await {
        send(&app, TestRequest::get("/no/such/route"))
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
    }
}

#[tokio::test]
async fn wrong_methods_are_405_problems_with_allow() {
    let db = TestDatabase::new().await;
    for (name, app) in both_apps(&db, Router::new).await {
        let response = send(&app, TestRequest::delete("/healthz")).await;
        response.assert_problem(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
        let allow = response.header("allow").unwrap_or_default();
        assert!(allow.contains("GET"), "{name}: Allow was {allow:?}");
    }
}

#[tokio::test]
async fn malformed_json_is_a_400_problem() {
    let db = TestDatabase::new().await;
    for (_, app) in both_apps(&db, test_routes).await {
        let response = send(
            &app,
            TestRequest::post("/test/echo")
                .header("content-type", "application/json")
                .raw_body("{\"unterminated\": "),
        )
        .await;
        response.assert_problem(StatusCode::BAD_REQUEST, "invalid_json");
    }
}

#[tokio::test]
async fn a_body_without_a_json_content_type_is_a_415_problem() {
    let db = TestDatabase::new().await;
    for (_, app) in both_apps(&db, test_routes).await {
        send(&app, TestRequest::post("/test/echo").raw_body("{}"))
            .await
            .assert_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    }
}

#[tokio::test]
async fn an_oversized_body_is_a_413_problem() {
    let db = TestDatabase::new().await;
    for (_, app) in both_apps(&db, test_routes).await {
        let big = json!({ "padding": "x".repeat(4096) });
        send(&app, TestRequest::post("/test/echo").json(&big))
            .await
            .assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
        // Just under the limit still works.
        let small = json!({ "padding": "x".repeat(100) });
        let echoed = send(&app, TestRequest::post("/test/echo").json(&small)).await;
        assert_eq!(echoed.status, StatusCode::OK);
        assert_eq!(echoed.json(), small);
    }
}

#[tokio::test]
async fn a_panicking_handler_answers_a_500_problem_without_details() {
    let db = TestDatabase::new().await;
    for (_, app) in both_apps(&db, test_routes).await {
        let response = send(&app, TestRequest::get("/test/panic")).await;
        let body = response.assert_problem(StatusCode::INTERNAL_SERVER_ERROR, "internal_error");
        assert!(
            !body.to_string().contains("deliberate"),
            "panic message leaked: {body}"
        );
    }
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_echoes_the_clients() {
    let db = TestDatabase::new().await;
    for (_, app) in both_apps(&db, Router::new).await {
        let generated = send(&app, TestRequest::get("/healthz")).await;
        let id = generated.header("x-request-id").expect("a generated id");
        assert!(uuid_like(id), "{id}");

        let echoed = send(
            &app,
            TestRequest::get("/missing").header("x-request-id", "client-id-42"),
        )
        .await;
        assert_eq!(echoed.header("x-request-id"), Some("client-id-42"));
        assert_eq!(echoed.json()["request_id"], "client-id-42");

        let oversized_id = "x".repeat(500);
        let replaced = send(
            &app,
            TestRequest::get("/healthz").header("x-request-id", &oversized_id),
        )
        .await;
        assert_ne!(replaced.header("x-request-id"), Some(oversized_id.as_str()));
    }
}

fn uuid_like(id: &str) -> bool {
    id.len() == 36 && id.chars().filter(|c| *c == '-').count() == 4
}
