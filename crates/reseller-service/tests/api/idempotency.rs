//! Idempotency-Key on creates: same key and body replays the first answer;
//! same key and another body is 422.

use axum::http::StatusCode;
use serde_json::json;
use test_support::TestRequest;

use crate::helpers::{registration, show, TestApp};

#[tokio::test]
async fn a_replayed_create_returns_the_first_response_and_creates_once() {
    let app = TestApp::spawn().await;
    let r = app.register("Idem").await;
    let body = show("Once");
    let first = app
        .call(
            TestRequest::post("/v1/shows")
                .bearer(&r.key)
                .header("idempotency-key", "k-1")
                .json(&body),
        )
        .await;
    assert_eq!(first.status, StatusCode::CREATED);
    let again = app
        .call(
            TestRequest::post("/v1/shows")
                .bearer(&r.key)
                .header("idempotency-key", "k-1")
                .json(&body),
        )
        .await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.json(), first.json());
    // Fuzzer finding: the replay had lost the ETag the first answer had.
    assert_eq!(first.header("etag"), Some("\"1\""));
    assert_eq!(again.header("etag"), first.header("etag"));
    let list = app
        .call(TestRequest::get("/v1/shows").bearer(&r.key))
        .await
        .json();
    assert_eq!(list["data"].as_array().unwrap().len(), 1);

    // Same body, other key: a second show.
    let other = app
        .call(
            TestRequest::post("/v1/shows")
                .bearer(&r.key)
                .header("idempotency-key", "k-2")
                .json(&body),
        )
        .await;
    assert_ne!(other.json()["id"], first.json()["id"]);
}

#[tokio::test]
async fn reusing_a_key_with_another_body_is_422() {
    let app = TestApp::spawn().await;
    let r = app.register("Reuse").await;
    app.call(
        TestRequest::post("/v1/shows")
            .bearer(&r.key)
            .header("idempotency-key", "k")
            .json(&show("A")),
    )
    .await;
    app.call(
        TestRequest::post("/v1/shows")
            .bearer(&r.key)
            .header("idempotency-key", "k")
            .json(&show("B")),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused");
    // Another endpoint with the same key is another request too.
    app.call(
        TestRequest::post("/v1/api-keys")
            .bearer(&r.key)
            .header("idempotency-key", "k")
            .json(&json!({ "name": "x" })),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused");
}

#[tokio::test]
async fn keys_are_scoped_per_reseller() {
    let app = TestApp::spawn().await;
    let a = app.register("Scope A").await;
    let b = app.register("Scope B").await;
    let body = show("Same");
    let from_a = app
        .call(
            TestRequest::post("/v1/shows")
                .bearer(&a.key)
                .header("idempotency-key", "shared")
                .json(&body),
        )
        .await;
    let from_b = app
        .call(
            TestRequest::post("/v1/shows")
                .bearer(&b.key)
                .header("idempotency-key", "shared")
                .json(&body),
        )
        .await;
    assert_eq!(from_b.status, StatusCode::CREATED);
    assert!(from_b.header("idempotent-replayed").is_none());
    assert_ne!(from_a.json()["id"], from_b.json()["id"]);
}

#[tokio::test]
async fn a_replayed_registration_returns_the_same_account_and_key() {
    let app = TestApp::spawn().await;
    let body = registration("Retry Corp");
    let first = app
        .call(
            TestRequest::post("/v1/resellers")
                .header("idempotency-key", "reg-1")
                .json(&body),
        )
        .await;
    let again = app
        .call(
            TestRequest::post("/v1/resellers")
                .header("idempotency-key", "reg-1")
                .json(&body),
        )
        .await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.json(), first.json());
    assert_eq!(first.header("etag"), Some("\"1\""));
    assert_eq!(again.header("etag"), first.header("etag"));
    let mut conn = app.db.superuser_connection().await;
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM reseller.resellers")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(count, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_with_one_key_create_once() {
    let app = TestApp::spawn().await;
    let r = app.register("Race").await;
    let body = show("Raced");
    let mut handles = Vec::new();
    for _ in 0..8 {
        let app_router = app.app.clone();
        let (key, body) = (r.key.clone(), body.clone());
        handles.push(tokio::spawn(async move {
            test_support::send(
                &app_router,
                TestRequest::post("/v1/shows")
                    .bearer(&key)
                    .header("idempotency-key", "race")
                    .json(&body),
            )
            .await
        }));
    }
    let mut ids = std::collections::BTreeSet::new();
    for handle in handles {
        let response = handle.await.unwrap();
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
        ids.insert(response.json()["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(ids.len(), 1);
}

#[tokio::test]
async fn a_malformed_idempotency_key_is_400() {
    let app = TestApp::spawn().await;
    let r = app.register("Bad key").await;
    app.call(
        TestRequest::post("/v1/shows")
            .bearer(&r.key)
            .header("idempotency-key", &"x".repeat(300))
            .json(&show("S")),
    )
    .await
    .assert_problem(StatusCode::BAD_REQUEST, "invalid_idempotency_key");
}
