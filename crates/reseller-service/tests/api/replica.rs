//! Reports and order reads against a real streaming replica: they are served
//! by it, writes never go to it, and when it goes away reads fall back to the
//! primary and `/readyz` says the replica is degraded.

use std::time::{Duration, Instant};

use axum::{http::StatusCode, Router};
use serde_json::{json, Value};
use sqlx::Connection;
use test_support::{private_cluster, send, tokens, TestRequest};
use uuid::Uuid;

use crate::helpers::{registration, show};

async fn call(app: &Router, request: TestRequest) -> test_support::TestResponse {
    send(app, request).await
}

async fn readyz(app: &Router) -> Value {
    let r = call(app, TestRequest::get("/readyz")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_use_the_replica_and_fall_back_to_the_primary_when_it_is_down() {
    let primary = private_cluster().await;
    let mut replica = tokio::task::block_in_place(|| primary.start_replica());

    let mut config = reseller_service::Config::from_env(&[
        (
            "DATABASE_URL",
            "postgres://placeholder@localhost/placeholder",
        ),
        ("LOG_FORMAT", "json"),
        ("INGEST_TOKENS", tokens::INGEST),
        ("INTERNAL_TOKEN", tokens::INTERNAL),
    ])
    .unwrap();
    config.database = primary.reseller_url();
    config.database_read = Some(replica.reseller_url());
    let state = reseller_service::AppState::new(config);
    state.db.migrate(&reseller_service::MIGRATOR).await.unwrap();
    let app = reseller_service::app(state);

    // Writes go to the primary (the standby would refuse them).
    let reg = call(
        &app,
        TestRequest::post("/v1/resellers").json(&registration("Replicated")),
    )
    .await
    .json();
    let (id, key) = (
        reg["reseller"]["id"].as_str().unwrap().to_owned(),
        reg["api_key"].as_str().unwrap().to_owned(),
    );
    call(
        &app,
        TestRequest::post(format!("/internal/v1/resellers/{id}/approve")).bearer(tokens::INTERNAL),
    )
    .await;
    let show_id = call(
        &app,
        TestRequest::post("/v1/shows").bearer(&key).json(&show("S")),
    )
    .await
    .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let tt = call(
        &app,
        TestRequest::post(format!("/v1/shows/{show_id}/ticket-types"))
            .bearer(&key)
            .json(&json!({ "name": "R", "unit_price_minor": 1000, "currency": "IDR", "capacity": 100 })),
    )
    .await
    .json()["id"]
    .as_str()
    .unwrap()
    .to_owned();
    let order = Uuid::new_v4();
    let occurred = (chrono::Utc::now() - chrono::Duration::hours(2)).to_rfc3339();
    let batch = json!({ "events": [{
        "event_id": Uuid::new_v4(), "type": "order.paid", "occurred_at": occurred, "reseller_id": id,
        "show_id": show_id, "order_id": order, "channel": "web", "currency": "IDR",
        "lines": [{ "ticket_type_id": tt, "quantity": 3, "unit_price_minor": 1000 }]
    }]});
    let ingested = call(
        &app,
        TestRequest::post("/internal/v1/sale-events/batch")
            .bearer(tokens::INGEST)
            .json(&batch),
    )
    .await;
    assert_eq!(ingested.json()["accepted"], 1, "{}", ingested.text());

    // The replica catches up and serves the order.
    let started = Instant::now();
    loop {
        let r = call(
            &app,
            TestRequest::get(format!("/v1/orders/{order}")).bearer(&key),
        )
        .await;
        if r.status == StatusCode::OK {
            assert_eq!(r.json()["tickets"], 3);
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the replica never caught up: {}",
            r.text()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut on_replica = sqlx::PgConnection::connect_with(&replica.superuser())
        .await
        .unwrap();
    let readers: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'reseller-service-reads'",
    )
    .fetch_one(&mut on_replica)
    .await
    .unwrap();
    assert!(readers > 0, "no read connection on the replica");
    let in_recovery: bool = sqlx::query_scalar("SELECT pg_is_in_recovery()")
        .fetch_one(&mut on_replica)
        .await
        .unwrap();
    assert!(in_recovery, "the replica is a standby");
    drop(on_replica);
    assert_eq!(readyz(&app).await["replica"], "ok");

    // The replica goes away: reads still answer, from the primary.
    tokio::task::block_in_place(|| replica.stop());
    let report = call(
        &app,
        TestRequest::get(format!(
            "/v1/reports/sales?from={}&to={}&granularity=none",
            (chrono::Utc::now() - chrono::Duration::days(1)).format("%Y-%m-%d"),
            (chrono::Utc::now() + chrono::Duration::days(1)).format("%Y-%m-%d")
        ))
        .bearer(&key),
    )
    .await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.text());
    assert_eq!(report.json()["totals"][0]["tickets_sold"], 3);
    let order_read = call(
        &app,
        TestRequest::get(format!("/v1/orders/{order}")).bearer(&key),
    )
    .await;
    assert_eq!(order_read.status, StatusCode::OK);
    assert_eq!(readyz(&app).await["replica"], "degraded");

    // It comes back.
    tokio::task::block_in_place(|| replica.start());
    let started = Instant::now();
    while readyz(&app).await["replica"] != "ok" {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the replica was never ok again"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
