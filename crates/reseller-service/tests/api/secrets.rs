//! No plaintext API key anywhere it could leak: not in any table (a dump of
//! every table of the schema is searched), not in the captured logs.

use axum::http::StatusCode;
use serde_json::json;
use test_support::TestRequest;

use crate::helpers::{registration, TestApp};

#[tokio::test]
async fn issued_keys_appear_in_no_table_and_no_log_line() {
    let app = TestApp::spawn().await;
    let mut issued = Vec::new();
    // Registration with an Idempotency-Key stores its (sealed) response.
    let response = app
        .call(
            TestRequest::post("/v1/resellers")
                .header("idempotency-key", "secret-test")
                .json(&registration("Secretive")),
        )
        .await;
    assert_eq!(response.status, StatusCode::CREATED);
    let first = response.json()["api_key"].as_str().unwrap().to_owned();
    issued.push(first.clone());
    let created = app
        .call(
            TestRequest::post("/v1/api-keys")
                .bearer(&first)
                .header("idempotency-key", "k2")
                .json(&json!({ "name": "second" })),
        )
        .await
        .json();
    issued.push(created["api_key"].as_str().unwrap().to_owned());
    // Use every key, including a failing call, so they pass through the logs.
    for key in &issued {
        app.call(TestRequest::get("/v1/me").bearer(key)).await;
        app.call(TestRequest::get("/v1/shows/not-a-uuid").bearer(key))
            .await;
    }

    let mut conn = app.db.superuser_connection().await;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT tablename::text FROM pg_catalog.pg_tables WHERE schemaname = 'reseller'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let mut dump = String::new();
    for table in tables {
        let rows: Vec<String> =
            sqlx::query_scalar(&format!("SELECT t::text FROM reseller.{table} t"))
                .fetch_all(&mut conn)
                .await
                .unwrap();
        dump.push_str(&rows.join("\n"));
    }
    assert!(
        dump.contains("Secretive"),
        "the dump is not of this database"
    );
    let logs = test_support::logs::captured();
    assert!(!logs.is_empty(), "no logs were captured");
    for key in &issued {
        // Also the hex form, in case a bytea column held it.
        let hex: String = key.bytes().map(|b| format!("{b:02x}")).collect();
        assert!(
            !dump.contains(key.as_str()) && !dump.contains(&hex),
            "a key is stored in plaintext"
        );
        assert!(!logs.contains(key.as_str()), "a key reached the logs");
        // The part after the displayed prefix never appears either.
        assert!(!logs.contains(&key[10..]) && !dump.contains(&key[10..]));
    }
}
