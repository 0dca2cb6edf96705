//! `GET /metrics` after some traffic: requests by route and status, ingest
//! outcomes, batch sizes and transaction times, load shedding, and the pool.

use axum::http::StatusCode;
use platform::tokens::TokenSet;
use serde_json::json;
use test_support::{reseller_config, send, tokens, TestRequest};
use uuid::Uuid;

use crate::{
    helpers::TestApp,
    ingest::{catalog, event, post_batch},
};

/// The value of the first sample whose line starts with `prefix`.
fn sample(text: &str, prefix: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no sample {prefix} in\n{text}"))
}

#[tokio::test]
async fn metrics_count_requests_ingest_outcomes_shedding_and_the_pool() {
    let app = TestApp::spawn().await;
    let c = catalog(&app, "Metered").await;
    let order = Uuid::new_v4().to_string();
    let paid = event(&c, "order.paid", &order, 2);
    let mut wrong = event(&c, "order.paid", &Uuid::new_v4().to_string(), 1);
    wrong["currency"] = json!("USD");
    let response = post_batch(&app, &[paid.clone(), paid, wrong]).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());

    // A service with no ingest slot sheds every batch.
    let mut config = reseller_config(&app.db);
    config.ingest_max_concurrent = 0;
    let shedding = reseller_service::app(reseller_service::AppState::new(config));
    let shed = send(
        &shedding,
        TestRequest::post("/internal/v1/sale-events/batch")
            .bearer(tokens::INGEST)
            .json(&json!({ "events": [event(&c, "order.paid", &order, 1)] })),
    )
    .await;
    assert_eq!(shed.status, StatusCode::SERVICE_UNAVAILABLE);

    let scraped = app.call(TestRequest::get("/metrics")).await;
    assert_eq!(scraped.status, StatusCode::OK);
    assert!(scraped
        .header("content-type")
        .unwrap()
        .starts_with("text/plain"));
    let text = scraped.text();
    let batch_route = r#"method="POST",route="/internal/v1/sale-events/batch""#;
    assert!(
        sample(
            &text,
            &format!("http_requests_total{{{batch_route},status=\"200\"}}")
        ) >= 1.0
    );
    assert!(
        sample(
            &text,
            &format!("http_requests_total{{{batch_route},status=\"503\"}}")
        ) >= 1.0
    );
    assert!(
        sample(
            &text,
            &format!("http_request_duration_seconds_count{{{batch_route},status=\"200\"}}")
        ) >= 1.0
    );
    assert!(
        sample(
            &text,
            r#"http_requests_total{method="POST",route="/v1/shows",status="201"}"#
        ) >= 1.0
    );
    assert!(sample(&text, r#"ingest_events_total{outcome="accepted"}"#) >= 1.0);
    assert!(sample(&text, r#"ingest_events_total{outcome="duplicate"}"#) >= 1.0);
    assert!(sample(&text, r#"ingest_events_total{outcome="rejected"}"#) >= 1.0);
    assert!(text.contains(r#"ingest_events_total{outcome="conflict"}"#));
    assert!(sample(&text, r#"ingest_batch_size_bucket{le="10"}"#) >= 1.0);
    let tx_seconds = sample(&text, "ingest_transaction_seconds_sum");
    assert!(tx_seconds > 0.0 && tx_seconds < 60.0, "{tx_seconds}");
    assert!(sample(&text, "load_shed_total") >= 1.0);
    let idle = sample(&text, r#"db_pool_connections{pool="primary",state="idle"}"#);
    let in_use = sample(
        &text,
        r#"db_pool_connections{pool="primary",state="in_use"}"#,
    );
    assert!(idle + in_use >= 1.0, "the pool has connected");
    assert!(
        sample(
            &text,
            r#"db_pool_connections{pool="primary",state="waiting"}"#
        ) >= 0.0
    );
}

#[tokio::test]
async fn metrics_require_metrics_token_when_it_is_set() {
    let app = TestApp::spawn().await;
    let mut config = reseller_config(&app.db);
    config.metrics_token = Some(TokenSet::parse("metrics-token-0123456789").unwrap());
    let guarded = reseller_service::app(reseller_service::AppState::new(config));
    send(&guarded, TestRequest::get("/metrics"))
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    send(
        &guarded,
        TestRequest::get("/metrics").bearer("wrong-token-0123456789"),
    )
    .await
    .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    let ok = send(
        &guarded,
        TestRequest::get("/metrics").bearer("metrics-token-0123456789"),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK);
}
