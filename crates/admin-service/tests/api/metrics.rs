//! admin-service's `GET /metrics`: requests by route and status, the pool,
//! and the age of the oldest refund request the core service has not settled.

use axum::http::StatusCode;
use domain::admin::AdminRole;
use serde_json::json;
use test_support::{tokens, TestRequest};

use crate::{audit::refundable, helpers::TestApp};

fn sample(text: &str, prefix: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no sample {prefix} in\n{text}"))
}

#[tokio::test]
async fn metrics_show_requests_the_pool_and_the_oldest_pending_refund() {
    let app = TestApp::spawn().await;
    let scrape = || async { app.call(TestRequest::get("/metrics")).await.text() };
    assert_eq!(
        sample(
            &scrape().await,
            "refund_requests_oldest_pending_age_seconds"
        ),
        0.0
    );

    let support = app.session(AdminRole::Support).await;
    let (_, ticket, order) = refundable(&app, "Metered").await;
    let created = app
        .call(
            TestRequest::post(format!("/v1/support-tickets/{ticket}/refunds"))
                .bearer(&support)
                .json(&json!({ "order_id": order, "reason": "moved" })),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let mut conn = app.db.superuser_connection().await;
    sqlx::query("UPDATE admin.refund_requests SET requested_at = now() - interval '90 seconds'")
        .execute(&mut conn)
        .await
        .unwrap();
    let text = scrape().await;
    let age = sample(&text, "refund_requests_oldest_pending_age_seconds");
    assert!((90.0..120.0).contains(&age), "{age}");
    let route = r#"method="POST",route="/v1/support-tickets/{ticket_id}/refunds",status="201""#;
    assert!(sample(&text, &format!("http_requests_total{{{route}}}")) >= 1.0);
    assert!(
        sample(
            &text,
            &format!("http_request_duration_seconds_count{{{route}}}")
        ) >= 1.0
    );
    assert!(sample(&text, r#"db_pool_connections{pool="primary",state="idle"}"#) >= 0.0);

    let id = created.json()["id"].as_str().unwrap().to_owned();
    app.call(
        TestRequest::post(format!("/internal/v1/refund-requests/{id}/complete"))
            .bearer(tokens::CORE),
    )
    .await;
    assert_eq!(
        sample(
            &scrape().await,
            "refund_requests_oldest_pending_age_seconds"
        ),
        0.0
    );
}
