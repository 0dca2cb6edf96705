//! The catalog change feed: every change once, in commit order, also when
//! transactions commit in another order than they began.

use std::{collections::BTreeSet, time::Duration};

use axum::http::StatusCode;
use serde_json::{json, Value};
use sqlx::Connection;
use test_support::{tokens, TestRequest};

use crate::helpers::TestApp;

async fn read_feed(app: &TestApp, after: Option<&str>) -> Value {
    let uri = match after {
        Some(cursor) => format!("/internal/v1/catalog-changes?after={cursor}&limit=500"),
        None => "/internal/v1/catalog-changes?limit=500".to_owned(),
    };
    let response = app.call(TestRequest::get(uri).bearer(tokens::CORE)).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    response.json()
}

#[tokio::test]
async fn creates_and_changes_of_shows_and_ticket_types_appear_in_the_feed() {
    let app = TestApp::spawn().await;
    let r = app.register("Feed").await;
    let show_id = app.create_show(&r, "Fed").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let tt_id = app.create_ticket_type(&r, &show_id, 100).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.call(
        TestRequest::patch(format!("/v1/shows/{show_id}/ticket-types/{tt_id}"))
            .bearer(&r.key)
            .json(&json!({ "capacity": 80, "unit_price_minor": 99 })),
    )
    .await;

    let page = read_feed(&app, None).await;
    let entries = page["data"].as_array().unwrap();
    let kinds: Vec<(String, String)> = entries
        .iter()
        .map(|e| {
            (
                e["entity"].as_str().unwrap().to_owned(),
                e["action"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("show".into(), "created".into()),
            ("ticket_type".into(), "created".into()),
            ("ticket_type".into(), "updated".into())
        ]
    );
    assert_eq!(entries[2]["data"]["capacity"], 80);
    assert_eq!(entries[2]["data"]["unit_price_minor"], 99);
    assert_eq!(entries[2]["reseller_id"], r.id.as_str());
    let next = page["next_cursor"].as_str().unwrap();
    assert_eq!(next, entries[2]["cursor"].as_str().unwrap());
    let after = read_feed(&app, Some(next)).await;
    assert!(after["data"].as_array().unwrap().is_empty());
    assert_eq!(
        after["next_cursor"], next,
        "an empty page keeps the reader's position"
    );

    app.call(TestRequest::get("/internal/v1/catalog-changes"))
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    app.call(TestRequest::get("/internal/v1/catalog-changes?after=@@").bearer(tokens::CORE))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
}

/// The case a plain bigserial cursor gets wrong: transaction A takes its
/// position first but commits last. The reader must not move past A's entry
/// before A commits, so B (which began later) waits, and both appear in
/// commit order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_that_commits_late_is_not_skipped_by_a_reader() {
    use reseller_service::db::catalog_feed::{append, Action, Entity};
    let app = TestApp::spawn().await;
    let r = app.register("Interleave").await;
    let show_id: uuid::Uuid = app.create_show(&r, "S").await["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let reseller_id: uuid::Uuid = r.id.parse().unwrap();
    let start = read_feed(&app, None).await["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut a = sqlx::PgConnection::connect_with(&app.db.reseller_url().0)
        .await
        .unwrap();
    let mut tx_a = a.begin().await.unwrap();
    sqlx::query("SELECT set_config('app.reseller_id', $1, true)")
        .bind(&r.id)
        .execute(&mut *tx_a)
        .await
        .unwrap();
    let seq_a = append(
        &mut tx_a,
        reseller_id,
        Entity::Show,
        Action::Updated,
        show_id,
        None,
        &json!({"by": "A"}),
    )
    .await
    .unwrap();

    let url = app.db.reseller_url().0;
    let writer_b = tokio::spawn(async move {
        let mut b = sqlx::PgConnection::connect_with(&url).await.unwrap();
        let mut tx_b = b.begin().await.unwrap();
        sqlx::query("SELECT set_config('app.reseller_id', $1, true)")
            .bind(reseller_id.to_string())
            .execute(&mut *tx_b)
            .await
            .unwrap();
        let seq_b = append(
            &mut tx_b,
            reseller_id,
            Entity::Show,
            Action::Updated,
            show_id,
            None,
            &json!({"by": "B"}),
        )
        .await
        .unwrap();
        tx_b.commit().await.unwrap();
        seq_b
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !writer_b.is_finished(),
        "B took a position while A's was uncommitted"
    );
    let meanwhile = read_feed(&app, Some(&start)).await;
    assert!(
        meanwhile["data"].as_array().unwrap().is_empty(),
        "the reader saw past an uncommitted entry"
    );

    tx_a.commit().await.unwrap();
    let seq_b = writer_b.await.unwrap();
    assert!(seq_a < seq_b);
    let after = read_feed(&app, Some(&start)).await;
    let by: Vec<&str> = after["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["data"]["by"].as_str().unwrap())
        .collect();
    assert_eq!(by, ["A", "B"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_following_the_feed_under_concurrent_writers_sees_every_change_exactly_once() {
    let app = TestApp::spawn().await;
    let mut writers = Vec::new();
    let mut targets = Vec::new();
    for w in 0..4 {
        let r = app.register(&format!("Writer {w}")).await;
        let show_id = app.create_show(&r, "S").await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let tt_id = app.create_ticket_type(&r, &show_id, 1000).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        targets.push((r, show_id, tt_id));
    }
    let start = read_feed(&app, None).await["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();

    const CHANGES_PER_WRITER: i64 = 25;
    for (r, show_id, tt_id) in targets.clone() {
        let router = app.app.clone();
        writers.push(tokio::spawn(async move {
            for n in 0..CHANGES_PER_WRITER {
                let response = test_support::send(
                    &router,
                    TestRequest::patch(format!("/v1/shows/{show_id}/ticket-types/{tt_id}"))
                        .bearer(&r.key)
                        .json(&json!({ "capacity": 500 + n })),
                )
                .await;
                assert_eq!(response.status, StatusCode::OK, "{}", response.text());
            }
        }));
    }

    let mut seen = Vec::new();
    let mut cursor = start;
    let mut writers_done = false;
    loop {
        let page = read_feed(&app, Some(&cursor)).await;
        for entry in page["data"].as_array().unwrap() {
            seen.push(entry["seq"].as_i64().unwrap());
        }
        cursor = page["next_cursor"].as_str().unwrap().to_owned();
        if writers_done && page["data"].as_array().unwrap().is_empty() {
            break;
        }
        if writers.iter().all(|w| w.is_finished()) {
            writers_done = true;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    for w in writers {
        w.await.unwrap();
    }

    let unique: BTreeSet<i64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "an entry was read twice");
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "entries out of order");
    let mut conn = app.db.superuser_connection().await;
    let committed: Vec<i64> = sqlx::query_scalar(
        "SELECT seq FROM reseller.catalog_changes WHERE entity = 'ticket_type' AND action = 'updated' ORDER BY seq",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(committed.len() as i64, 4 * CHANGES_PER_WRITER);
    assert_eq!(seen, committed, "the reader missed or invented entries");
}
