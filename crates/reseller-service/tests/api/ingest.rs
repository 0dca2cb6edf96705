//! The ingest endpoint, status by status and code by code.

use std::io::Write;

use axum::http::StatusCode;
use chrono::{Duration, Utc};
use serde_json::{json, Value};
use test_support::{tokens, TestRequest, TestResponse};
use uuid::Uuid;

use crate::helpers::{Persona, TestApp};

pub const BATCH: &str = "/internal/v1/sale-events/batch";

/// A reseller with one show and two ticket types (IDR), ready for events.
pub struct Catalog {
    pub reseller: Persona,
    pub show_id: String,
    pub ticket_types: Vec<String>,
}

pub async fn catalog(app: &TestApp, name: &str) -> Catalog {
    let reseller = app.active_reseller(name).await;
    let show_id = app.create_show(&reseller, "Show").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut ticket_types = Vec::new();
    for _ in 0..2 {
        ticket_types.push(
            app.create_ticket_type(&reseller, &show_id, 100_000).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    Catalog {
        reseller,
        show_id,
        ticket_types,
    }
}

pub fn event(c: &Catalog, kind: &str, order_id: &str, quantity: i64) -> Value {
    json!({
        "event_id": Uuid::new_v4().to_string(),
        "type": kind,
        "occurred_at": (Utc::now() - Duration::hours(1)).to_rfc3339(),
        "reseller_id": c.reseller.id,
        "show_id": c.show_id,
        "order_id": order_id,
        "channel": "web",
        "currency": "IDR",
        "lines": [{ "ticket_type_id": c.ticket_types[0], "quantity": quantity, "unit_price_minor": 150000 }],
        "customer_ref": "cust-1"
    })
}

pub async fn post_batch(app: &TestApp, events: &[Value]) -> TestResponse {
    app.call(
        TestRequest::post(BATCH)
            .bearer(tokens::INGEST)
            .json(&json!({ "events": events })),
    )
    .await
}

fn counts(body: &Value) -> (u64, u64, u64, u64, u64) {
    let n = |k: &str| body[k].as_u64().unwrap();
    (
        n("received"),
        n("accepted"),
        n("duplicates"),
        n("conflicts"),
        n("rejected"),
    )
}

#[tokio::test]
async fn a_valid_batch_is_accepted_and_projected() {
    let app = TestApp::spawn().await;
    let c = catalog(&app, "Ingest").await;
    let order = Uuid::new_v4().to_string();
    let response = post_batch(
        &app,
        &[
            event(&c, "order.created", &order, 2),
            event(&c, "order.paid", &order, 2),
        ],
    )
    .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let body = response.json();
    assert_eq!(counts(&body), (2, 2, 0, 0, 0));
    assert_eq!(body["results"], json!([]));

    let tt = app
        .call(
            TestRequest::get(format!(
                "/v1/shows/{}/ticket-types/{}",
                c.show_id, c.ticket_types[0]
            ))
            .bearer(&c.reseller.key),
        )
        .await
        .json();
    assert_eq!(tt["sold"], 2);
    assert_eq!(tt["available"], 99_998);
    let mut conn = app.db.superuser_connection().await;
    let (status, gross): (String, i64) =
        sqlx::query_as("SELECT status, gross_minor FROM reseller.orders WHERE order_id = $1::uuid")
            .bind(&order)
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!((status.as_str(), gross), ("paid", 300_000));
}

#[tokio::test]
async fn the_endpoint_requires_an_ingest_token() {
    let app = TestApp::spawn().await;
    let body = json!({ "events": [{}] });
    app.call(TestRequest::post(BATCH).json(&body))
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    app.call(TestRequest::post(BATCH).bearer(tokens::CORE).json(&body))
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test]
async fn every_rejection_has_its_code_and_the_batch_still_commits() {
    let app = TestApp::spawn().await;
    let c = catalog(&app, "Codes").await;
    let other = catalog(&app, "Other").await;
    let order = Uuid::new_v4().to_string();
    let base = || event(&c, "order.paid", &order, 1);
    let with = |pointer: &str, value: Value| {
        let mut e = base();
        *e.pointer_mut(pointer).unwrap() = value;
        e
    };
    let mut missing = base();
    missing.as_object_mut().unwrap().remove("order_id");
    let cases: Vec<(Value, &str)> = vec![
        (missing, "invalid_event"),
        (with("/type", json!("order.shipped")), "invalid_type"),
        (with("/channel", json!("Web Shop")), "invalid_channel"),
        (with("/currency", json!("XYZ")), "invalid_currency"),
        (with("/lines", json!([])), "invalid_lines"),
        (with("/lines/0/quantity", json!(1001)), "invalid_quantity"),
        (
            with("/lines/0/unit_price_minor", json!(-5)),
            "invalid_price",
        ),
        (
            with("/customer_ref", json!("x".repeat(129))),
            "invalid_customer_ref",
        ),
        (
            with(
                "/occurred_at",
                json!((Utc::now() + Duration::minutes(10)).to_rfc3339()),
            ),
            "occurred_in_future",
        ),
        (
            with("/reseller_id", json!(Uuid::new_v4().to_string())),
            "unknown_reseller",
        ),
        (with("/show_id", json!(other.show_id)), "unknown_show"),
        (
            with("/lines/0/ticket_type_id", json!(other.ticket_types[0])),
            "unknown_ticket_type",
        ),
        (with("/currency", json!("USD")), "currency_mismatch"),
    ];
    let mut events: Vec<Value> = cases.iter().map(|(e, _)| e.clone()).collect();
    events.push(base());
    let response = post_batch(&app, &events).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let body = response.json();
    assert_eq!(counts(&body), (14, 1, 0, 0, 13));
    for (i, (e, code)) in cases.iter().enumerate() {
        let result = &body["results"][i];
        assert_eq!(result["index"], i, "{result}");
        assert_eq!(result["status"], "rejected");
        assert_eq!(result["code"], *code, "case {i}: {result}");
        assert_eq!(result["event_id"], e["event_id"]);
        assert!(result["message"].is_string());
    }
    // Every rejected event is kept, listable by an admin.
    let quarantine = app
        .call(
            TestRequest::get("/internal/v1/ingest/quarantine?status=open").bearer(tokens::INTERNAL),
        )
        .await
        .json();
    assert_eq!(quarantine["data"].as_array().unwrap().len(), 13);
    assert!(quarantine["data"][0]["event"].is_object());
}

#[tokio::test]
async fn duplicates_and_conflicts_inside_and_across_batches() {
    let app = TestApp::spawn().await;
    let c = catalog(&app, "Dups").await;
    let order = Uuid::new_v4().to_string();
    let paid = event(&c, "order.paid", &order, 2);
    let mut altered = paid.clone();
    altered["lines"][0]["quantity"] = json!(3);

    let first = post_batch(&app, &[paid.clone(), paid.clone(), altered.clone()])
        .await
        .json();
    assert_eq!(counts(&first), (3, 1, 1, 1, 0));
    assert_eq!(first["results"][0]["index"], 1);
    assert_eq!(first["results"][0]["status"], "duplicate");
    assert_eq!(first["results"][1]["status"], "conflict");
    assert_eq!(first["results"][1]["code"], "payload_mismatch");

    // Same instant written another way is the same content.
    let mut same_instant = paid.clone();
    let at = chrono::DateTime::parse_from_rfc3339(paid["occurred_at"].as_str().unwrap()).unwrap();
    same_instant["occurred_at"] = json!(at
        .with_timezone(&chrono::FixedOffset::east_opt(7 * 3600).unwrap())
        .to_rfc3339());
    let second = post_batch(&app, &[same_instant, altered]).await.json();
    assert_eq!(counts(&second), (2, 0, 1, 1, 0));

    let mut conn = app.db.superuser_connection().await;
    let (events, sold): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM reseller.sale_events), (SELECT sold FROM reseller.ticket_types WHERE ticket_type_id = $1::uuid)",
    )
    .bind(&c.ticket_types[0])
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        (events, sold),
        (1, 2),
        "a duplicate or conflict was applied"
    );
}

#[tokio::test]
async fn gzip_and_zstd_bodies_are_accepted_and_other_encodings_are_415() {
    let app = TestApp::spawn().await;
    let c = catalog(&app, "Encodings").await;
    let order = Uuid::new_v4().to_string();
    let plain =
        serde_json::to_vec(&json!({ "events": [event(&c, "order.created", &order, 1)] })).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&plain).unwrap();
    let gzip = gz.finish().unwrap();
    let zstd = ruzstd::encoding::compress_to_vec(
        &serde_json::to_vec(&json!({ "events": [event(&c, "order.paid", &order, 1)] })).unwrap()[..],
        ruzstd::encoding::CompressionLevel::Fastest,
    );
    for (encoding, body) in [("gzip", gzip), ("zstd", zstd)] {
        let response = app
            .call(
                TestRequest::post(BATCH)
                    .bearer(tokens::INGEST)
                    .header("content-type", "application/json")
                    .header("content-encoding", encoding)
                    .raw_body(body),
            )
            .await;
        assert_eq!(
            response.status,
            StatusCode::OK,
            "{encoding}: {}",
            response.text()
        );
        assert_eq!(response.json()["accepted"], 1, "{encoding}");
    }
    app.call(
        TestRequest::post(BATCH)
            .bearer(tokens::INGEST)
            .header("content-type", "application/json")
            .header("content-encoding", "br")
            .raw_body(plain.clone()),
    )
    .await
    .assert_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_encoding");
    app.call(
        TestRequest::post(BATCH)
            .bearer(tokens::INGEST)
            .header("content-type", "text/plain")
            .raw_body(plain),
    )
    .await
    .assert_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
}

#[tokio::test]
async fn malformed_batches_are_400() {
    let app = TestApp::spawn().await;
    let send = |body: &'static str| {
        TestRequest::post(BATCH)
            .bearer(tokens::INGEST)
            .header("content-type", "application/json")
            .raw_body(body)
    };
    for body in [
        "not json",
        "{}",
        r#"{"events": {}}"#,
        r#"{"events": []}"#,
        "[]",
        // Fuzzer finding: the batch in serde's sequence form was read.
        "[[[[1846]], {}, []]]",
    ] {
        app.call(send(body))
            .await
            .assert_problem(StatusCode::BAD_REQUEST, "invalid_batch");
    }
}

#[tokio::test]
async fn more_than_5000_events_is_413_and_5000_is_accepted() {
    let app = TestApp::spawn().await;
    let c = catalog(&app, "Limit").await;
    let events: Vec<Value> = (0..5001)
        .map(|_| event(&c, "order.created", &Uuid::new_v4().to_string(), 1))
        .collect();
    post_batch(&app, &events)
        .await
        .assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    let response = post_batch(&app, &events[..5000]).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.json()["accepted"], 5000);
}

#[tokio::test]
async fn bodies_over_10_mib_are_413_before_and_after_decompression() {
    let app = TestApp::spawn().await;
    let big = format!(
        r#"{{"events": [{{"padding": "{}"}}]}}"#,
        "x".repeat(10 * 1024 * 1024)
    );
    app.call(
        TestRequest::post(BATCH)
            .bearer(tokens::INGEST)
            .header("content-type", "application/json")
            .raw_body(big.clone()),
    )
    .await
    .assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    // A small gzip body that inflates past the limit (a zip bomb).
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(big.as_bytes()).unwrap();
    let bomb = gz.finish().unwrap();
    assert!(bomb.len() < 1024 * 1024);
    app.call(
        TestRequest::post(BATCH)
            .bearer(tokens::INGEST)
            .header("content-type", "application/json")
            .header("content-encoding", "gzip")
            .raw_body(bomb),
    )
    .await
    .assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
}

#[tokio::test]
async fn when_every_slot_is_busy_the_batch_is_shed_with_503_and_nothing_is_committed() {
    test_support::logs::capture();
    let db = test_support::TestDatabase::new().await;
    let mut config = test_support::reseller_config(&db);
    config.registration_burst = 100;
    config.ingest_max_concurrent = 2;
    let state = reseller_service::AppState::new(config);
    state.db.migrate(&reseller_service::MIGRATOR).await.unwrap();
    let app = TestApp {
        app: reseller_service::app(state.clone()),
        db,
    };
    let c = catalog(&app, "Shed").await;
    let held = state
        .ingest_slots
        .clone()
        .acquire_many_owned(2)
        .await
        .unwrap();
    let order = Uuid::new_v4().to_string();
    let batch = [event(&c, "order.paid", &order, 1)];
    let shed = post_batch(&app, &batch).await;
    shed.assert_problem(StatusCode::SERVICE_UNAVAILABLE, "overloaded");
    assert_eq!(shed.header("retry-after"), Some("1"));
    let mut conn = app.db.superuser_connection().await;
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM reseller.sale_events")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(stored, 0);
    drop(held);
    let retried = post_batch(&app, &batch).await;
    assert_eq!(retried.status, StatusCode::OK);
    assert_eq!(retried.json()["accepted"], 1);
}

#[tokio::test]
async fn a_quarantined_event_is_replayed_once_after_its_cause_is_fixed() {
    let app = TestApp::spawn().await;
    let c = catalog(&app, "Replay").await;
    let order = Uuid::new_v4().to_string();
    let mut usd = event(&c, "order.paid", &order, 2);
    usd["currency"] = json!("USD");
    let body = post_batch(&app, std::slice::from_ref(&usd)).await.json();
    assert_eq!(body["results"][0]["code"], "currency_mismatch");
    // Sent again by the core service: still one entry, seen twice.
    post_batch(&app, std::slice::from_ref(&usd)).await;
    let list = app
        .call(TestRequest::get("/internal/v1/ingest/quarantine").bearer(tokens::INTERNAL))
        .await
        .json();
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    assert_eq!(list["data"][0]["times_seen"], 2);
    let id = list["data"][0]["id"].as_str().unwrap().to_owned();
    let replay = format!("/internal/v1/ingest/quarantine/{id}/replay");

    let still = app
        .call(TestRequest::post(&replay).bearer(tokens::INTERNAL))
        .await
        .json();
    assert_eq!(still["status"], "rejected");
    assert_eq!(still["entry"]["status"], "open");

    // The cause is fixed: the ticket type was meant to be priced in USD.
    app.call(
        TestRequest::patch(format!(
            "/v1/shows/{}/ticket-types/{}",
            c.show_id, c.ticket_types[0]
        ))
        .bearer(&c.reseller.key)
        .json(&json!({ "currency": "USD" })),
    )
    .await;
    let done = app
        .call(TestRequest::post(&replay).bearer(tokens::INTERNAL))
        .await
        .json();
    assert_eq!(done["status"], "accepted", "{done}");
    assert_eq!(done["entry"]["status"], "replayed");
    app.call(TestRequest::post(&replay).bearer(tokens::INTERNAL))
        .await
        .assert_problem(StatusCode::CONFLICT, "already_replayed");
    // The core service's own retry of it is now a duplicate.
    let again = post_batch(&app, &[usd]).await.json();
    assert_eq!(counts(&again), (1, 0, 1, 0, 0));
    let mut conn = app.db.superuser_connection().await;
    let sold: i64 = sqlx::query_scalar(
        "SELECT sold FROM reseller.ticket_types WHERE ticket_type_id = $1::uuid",
    )
    .bind(&c.ticket_types[0])
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(sold, 2, "applied exactly once");
}

#[tokio::test]
async fn the_stored_order_status_follows_the_domain_precedence_for_every_combination() {
    use domain::sale_event::{order_status, OrderFacts};
    let app = TestApp::spawn().await;
    let c = catalog(&app, "Status").await;
    let mut conn = app.db.superuser_connection().await;
    for bits in 0..8u8 {
        for (tickets, refunded) in [(0, 0), (3, 0), (3, 1), (3, 3), (3, 4), (0, 2)] {
            let facts = OrderFacts {
                paid: bits & 1 != 0,
                cancelled: bits & 2 != 0,
                expired: bits & 4 != 0,
                tickets_paid: tickets,
                tickets_refunded: refunded,
            };
            let status: String = sqlx::query_scalar(
                "INSERT INTO reseller.orders (reseller_id, order_id, show_id, channel, currency, tickets, gross_minor, \
                   refunded_tickets, refunded_minor, paid_at, first_event_at, last_event_at, event_count, paid, cancelled, \
                   expired, first_event_id) \
                 VALUES ($1::uuid, gen_random_uuid(), $2::uuid, 'web', 'IDR', $3, 0, $4, 0, NULL, now(), now(), 1, $5, $6, $7, \
                   gen_random_uuid()) RETURNING status",
            )
            .bind(&c.reseller.id)
            .bind(&c.show_id)
            .bind(tickets)
            .bind(refunded)
            .bind(facts.paid)
            .bind(facts.cancelled)
            .bind(facts.expired)
            .fetch_one(&mut conn)
            .await
            .unwrap();
            assert_eq!(status, order_status(facts), "{facts:?}");
        }
    }
}

/// Regression: the same batches sent at once by many senders once surfaced a
/// unique violation on the event log's primary key as a 500.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_duplicate_storm_from_concurrent_senders_stores_each_event_once() {
    let app = TestApp::spawn().await;
    let c = catalog(&app, "Storm").await;
    let mut distinct = 0;
    for _round in 0..10 {
        let batch: Vec<Value> = (0..300)
            .map(|_| event(&c, "order.paid", &Uuid::new_v4().to_string(), 1))
            .collect();
        distinct += batch.len();
        let mut senders = Vec::new();
        for _ in 0..6 {
            let (router, batch) = (app.app.clone(), batch.clone());
            senders.push(tokio::spawn(async move {
                test_support::send(
                    &router,
                    TestRequest::post(BATCH)
                        .bearer(tokens::INGEST)
                        .json(&json!({ "events": batch })),
                )
                .await
            }));
        }
        let mut accepted = 0;
        for s in senders {
            let response = s.await.unwrap();
            match response.status {
                StatusCode::OK => accepted += response.json()["accepted"].as_u64().unwrap(),
                // Shed by the ingest slots: the sender retries later.
                StatusCode::SERVICE_UNAVAILABLE => {}
                other => panic!("{other}: {}", response.text()),
            }
        }
        assert!(accepted <= 300, "an event was accepted twice");
    }
    // Whatever was shed is sent again, once the storm is over.
    let mut conn = app.db.superuser_connection().await;
    let stored: i64 =
        sqlx::query_scalar("SELECT count(DISTINCT event_id) FROM reseller.sale_events")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM reseller.sale_events")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(stored, rows);
    assert!(stored as usize <= distinct);
}

/// Fuzzer finding: NUL in an event answered 500 (PostgreSQL `text` and
/// `jsonb` cannot hold it). A NUL in `customer_ref` is now a rejection, and
/// an event kept in quarantine has its NULs replaced by U+FFFD.
#[tokio::test]
async fn events_with_nul_characters_are_rejected_and_quarantined_not_a_500() {
    let app = TestApp::spawn().await;
    let c = catalog(&app, "Nul").await;
    let mut with_nul_ref = event(&c, "order.created", &Uuid::new_v4().to_string(), 1);
    with_nul_ref["customer_ref"] = json!("cust\u{0}1");
    let garbage = json!({ "k\u{0}": ["a\u{0}b", { "\u{0}": "\u{0}" }] });
    let response = post_batch(&app, &[with_nul_ref, garbage]).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let body = response.json();
    assert_eq!(counts(&body), (2, 0, 0, 0, 2));
    assert_eq!(body["results"][0]["code"], "invalid_customer_ref");

    let quarantine = app
        .call(
            TestRequest::get("/internal/v1/ingest/quarantine?status=open").bearer(tokens::INTERNAL),
        )
        .await
        .json();
    let kept: Vec<&Value> = quarantine["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| &q["event"])
        .collect();
    assert!(kept.contains(&&json!({ "k\u{FFFD}": ["a\u{FFFD}b", { "\u{FFFD}": "\u{FFFD}" }] })));
    assert!(kept
        .iter()
        .any(|e| e["customer_ref"] == json!("cust\u{FFFD}1")));
}

/// Fuzzer finding: an event holding a number no `f64` can (`1e400`) is
/// rejected and kept, and `jsonb` keeps it exactly; reading it back into a
/// `serde_json::Value` failed, so the quarantine list answered 500 and the
/// entry could never be replayed. The event now travels as JSON text.
#[tokio::test]
async fn an_event_with_a_number_beyond_f64_is_listed_and_replayed_not_a_500() {
    let app = TestApp::spawn().await;
    let body = format!(
        r#"{{"events":[{{"event_id":"{}","quantity":1e400}}]}}"#,
        Uuid::new_v4()
    );
    let response = app
        .call(
            TestRequest::post(BATCH)
                .bearer(tokens::INGEST)
                .header("content-type", "application/json")
                .raw_body(body),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    assert_eq!(response.json()["rejected"], 1);

    let list = app
        .call(TestRequest::get("/internal/v1/ingest/quarantine").bearer(tokens::INTERNAL))
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text());
    // PostgreSQL writes the number out in full: 1 and 400 zeros.
    let huge = format!(r#""quantity": 1{}"#, "0".repeat(400));
    assert!(list.text().contains(&huge), "{}", list.text());
    let id = list.text().split(r#""id":""#).nth(1).unwrap()[..36].to_owned();

    let replay = app
        .call(
            TestRequest::post(format!("/internal/v1/ingest/quarantine/{id}/replay"))
                .bearer(tokens::INTERNAL),
        )
        .await;
    assert_eq!(replay.status, StatusCode::OK, "{}", replay.text());
    assert!(
        replay.text().contains(r#""status":"rejected""#),
        "{}",
        replay.text()
    );
    assert!(replay.text().contains(&huge));
}

/// Fuzzer finding: serde reads a struct from its sequence form, so an event
/// written as an array of its fields in order was accepted. An event is an
/// object; the array is rejected (and quarantined) like any invalid event.
#[tokio::test]
async fn an_event_in_sequence_form_is_rejected() {
    let app = TestApp::spawn().await;
    let c = catalog(&app, "Sequence").await;
    let object = event(&c, "order.paid", &Uuid::new_v4().to_string(), 1);
    let fields = [
        "event_id",
        "type",
        "occurred_at",
        "reseller_id",
        "show_id",
        "order_id",
        "channel",
        "currency",
        "lines",
        "customer_ref",
    ];
    let sequence: Vec<Value> = fields.iter().map(|f| object[*f].clone()).collect();
    let response = post_batch(&app, &[Value::Array(sequence)]).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let body = response.json();
    assert_eq!(counts(&body), (1, 0, 0, 0, 1), "{body}");
    assert_eq!(
        body["results"][0]["message"],
        "an event must be a JSON object"
    );
    // The same event as an object is accepted.
    let body = post_batch(&app, &[object]).await.json();
    assert_eq!(counts(&body), (1, 1, 0, 0, 0), "{body}");
}
