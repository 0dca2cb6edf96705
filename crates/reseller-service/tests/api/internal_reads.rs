//! The internal reads admin-service relies on: one reseller's order, shows
//! across resellers, and the sales overview against each reseller's own
//! report.

use axum::http::StatusCode;
use chrono::{Duration, DurationRound, Utc};
use serde_json::{json, Value};
use test_support::{tokens, TestRequest, TestResponse};
use uuid::Uuid;

use crate::{
    helpers::TestApp,
    ingest::{catalog, event, post_batch},
};

async fn internal(app: &TestApp, request: TestRequest) -> TestResponse {
    app.call(request.bearer(tokens::INTERNAL)).await
}

#[tokio::test]
async fn internal_read_routes_refuse_a_missing_or_wrong_token() {
    let app = TestApp::spawn().await;
    let r = app.register("Key holder").await;
    app.assert_internal_only(&r, || {
        let id = Uuid::new_v4();
        vec![
            TestRequest::get(format!("/internal/v1/resellers/{}/orders/{id}", r.id)),
            TestRequest::get("/internal/v1/shows"),
            TestRequest::get(format!("/internal/v1/shows/{id}")),
            TestRequest::get("/internal/v1/reports/sales-overview?from=2026-11-01&to=2026-11-02"),
        ]
    })
    .await;
}

#[tokio::test]
async fn the_internal_order_detail_is_the_public_one_and_404_for_another_reseller() {
    let app = TestApp::spawn().await;
    let c = catalog(&app, "Orders").await;
    let other = app.register("Not the owner").await;
    let order = Uuid::new_v4().to_string();
    post_batch(
        &app,
        &[
            event(&c, "order.paid", &order, 3),
            event(&c, "order.refunded", &order, 1),
        ],
    )
    .await;
    let public = app
        .call(TestRequest::get(format!("/v1/orders/{order}")).bearer(&c.reseller.key))
        .await
        .json();
    let detail = internal(
        &app,
        TestRequest::get(format!(
            "/internal/v1/resellers/{}/orders/{order}",
            c.reseller.id
        )),
    )
    .await;
    assert_eq!(detail.status, StatusCode::OK, "{}", detail.text());
    let detail = detail.json();
    assert_eq!(detail, public);
    assert_eq!(detail["currency"], "IDR");
    assert_eq!(detail["gross_minor"], 450_000);
    assert_eq!(detail["refunded_minor"], 150_000);
    assert_eq!(detail["status"], "partially_refunded");
    assert_eq!(detail["events"].as_array().unwrap().len(), 2);
    assert_eq!(detail["lines"].as_array().unwrap().len(), 1);

    internal(
        &app,
        TestRequest::get(format!(
            "/internal/v1/resellers/{}/orders/{order}",
            other.id
        )),
    )
    .await
    .assert_problem(StatusCode::NOT_FOUND, "not_found");
    internal(
        &app,
        TestRequest::get(format!(
            "/internal/v1/resellers/{}/orders/{}",
            c.reseller.id,
            Uuid::new_v4()
        )),
    )
    .await
    .assert_problem(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn internal_shows_span_every_reseller() {
    let app = TestApp::spawn().await;
    let a = app.register("Shows A").await;
    let b = app.register("Shows B").await;
    let a_show = app.create_show(&a, "A's").await;
    let b_show = app.create_show(&b, "B's").await;
    let a_second = app.create_show(&a, "A's second").await;

    let mut seen = Vec::new();
    let mut uri = "/internal/v1/shows?limit=2".to_owned();
    loop {
        let page = internal(&app, TestRequest::get(&uri)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text());
        let page = page.json();
        seen.extend(page["data"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(cursor) => uri = format!("/internal/v1/shows?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, [a_show.clone(), b_show.clone(), a_second.clone()]);
    assert_eq!(seen[1]["reseller_id"], b.id.as_str());

    let only_a = internal(
        &app,
        TestRequest::get(format!("/internal/v1/shows?reseller_id={}", a.id)),
    )
    .await
    .json();
    assert_eq!(only_a["data"], json!([a_show, a_second]));

    let one = internal(
        &app,
        TestRequest::get(format!(
            "/internal/v1/shows/{}",
            b_show["id"].as_str().unwrap()
        )),
    )
    .await
    .json();
    assert_eq!(one, b_show);
    internal(
        &app,
        TestRequest::get(format!("/internal/v1/shows/{}", Uuid::new_v4())),
    )
    .await
    .assert_problem(StatusCode::NOT_FOUND, "not_found");
    internal(&app, TestRequest::get("/internal/v1/shows?status=sold_out"))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
}

#[tokio::test]
async fn the_sales_overview_equals_each_resellers_daily_report() {
    let app = TestApp::spawn().await;
    let a = catalog(&app, "Overview A").await;
    let b = catalog(&app, "Overview B").await;
    let day = (Utc::now() - Duration::days(3))
        .duration_trunc(Duration::days(1))
        .unwrap();
    let at = |e: &mut Value, offset: Duration| {
        e["occurred_at"] = json!((day + offset).to_rfc3339());
    };
    let mut events = Vec::new();
    for (c, hours) in [(&a, [1, 20, 30]), (&b, [5, 17, 40])] {
        for (n, h) in hours.into_iter().enumerate() {
            let order = Uuid::new_v4().to_string();
            let mut paid = event(c, "order.paid", &order, n as i64 + 1);
            if n == 1 {
                // Two ticket types in one order: one paid order.
                paid["lines"] = json!([
                    { "ticket_type_id": c.ticket_types[0], "quantity": 2, "unit_price_minor": 150000 },
                    { "ticket_type_id": c.ticket_types[1], "quantity": 1, "unit_price_minor": 150000 }
                ]);
            }
            at(&mut paid, Duration::hours(h));
            events.push(paid.clone());
            // Paid again: an hour earlier (the same local day) and, for the
            // first order of A, the next day too. One paid order per day
            // and in the totals.
            if n == 2 || (n == 0 && h == 1) {
                let mut again = paid.clone();
                again["event_id"] = json!(Uuid::new_v4());
                at(&mut again, Duration::hours(h - 1));
                events.push(again);
            }
            if n == 0 && h == 1 {
                let mut next_day = paid;
                next_day["event_id"] = json!(Uuid::new_v4());
                at(&mut next_day, Duration::hours(h + 24));
                events.push(next_day);
            }
            if n == 0 {
                let mut refund = event(c, "order.refunded", &order, 1);
                at(&mut refund, Duration::hours(h + 19));
                events.push(refund);
            }
        }
    }
    let result = post_batch(&app, &events).await.json();
    assert_eq!(result["accepted"], events.len(), "{result}");

    let from = day.format("%Y-%m-%d").to_string();
    let to = (day + Duration::days(3)).format("%Y-%m-%d").to_string();
    let tz = "Asia/Jakarta";
    let overview = internal(
        &app,
        TestRequest::get(format!(
            "/internal/v1/reports/sales-overview?from={from}&to={to}&tz={tz}"
        )),
    )
    .await;
    assert_eq!(overview.status, StatusCode::OK, "{}", overview.text());
    let overview = overview.json();
    let rows = overview["rows"].as_array().unwrap();
    let figures = [
        "currency",
        "paid_orders",
        "tickets_sold",
        "gross_minor",
        "refunded_tickets",
        "refunded_minor",
        "net_minor",
    ];
    let project = |row: &Value, day: &str| {
        let mut out = json!({ "day": day });
        for f in figures {
            out[f] = row[f].clone();
        }
        out
    };
    for c in [&a, &b] {
        let report = app
            .call(
                TestRequest::get(format!(
                    "/v1/reports/sales?from={from}&to={to}&tz={tz}&granularity=day"
                ))
                .bearer(&c.reseller.key),
            )
            .await
            .json();
        let expected: Vec<Value> = report["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| project(r, &r["bucket_start"].as_str().unwrap()[..10]))
            .collect();
        let got: Vec<Value> = rows
            .iter()
            .filter(|r| r["reseller_id"] == c.reseller.id.as_str())
            .map(|r| project(r, r["day"].as_str().unwrap()))
            .collect();
        assert!(expected.len() >= 2, "{report}");
        assert_eq!(got, expected);
    }
    // Ordered by day, then reseller.
    let keys: Vec<(String, String)> = rows
        .iter()
        .map(|r| {
            (
                r["day"].as_str().unwrap().to_owned(),
                r["reseller_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    // One total per currency, summed over resellers and days; each order
    // once (A's first order is in the rows of two days).
    let totals = overview["totals"].as_array().unwrap();
    assert_eq!(totals.len(), 1);
    for f in &figures[2..] {
        let sum: i64 = rows.iter().map(|r| r[f].as_i64().unwrap()).sum();
        assert_eq!(totals[0][f], sum, "{f}");
    }
    let paid_in_rows: i64 = rows
        .iter()
        .map(|r| r["paid_orders"].as_i64().unwrap())
        .sum();
    assert_eq!(paid_in_rows, 7, "{overview}");
    assert_eq!(totals[0]["currency"], "IDR");
    assert_eq!(totals[0]["paid_orders"], 6, "{overview}");

    // One reseller only.
    let only_b = internal(
        &app,
        TestRequest::get(format!(
            "/internal/v1/reports/sales-overview?from={from}&to={to}&tz={tz}&reseller_id={}",
            b.reseller.id
        )),
    )
    .await
    .json();
    assert!(only_b["rows"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["reseller_id"] == b.reseller.id.as_str()));
}

#[tokio::test]
async fn bad_overview_parameters_are_clear_400s() {
    let app = TestApp::spawn().await;
    let cases = [
        ("to=2026-11-02", "from", "required"),
        ("from=2026-11-01T00:00:00Z&to=2026-11-02", "from", "invalid"),
        ("from=2026-11-02&to=2026-11-02", "to", "reversed_range"),
        ("from=2025-11-01&to=2026-11-03", "to", "range_too_large"),
        (
            "from=2026-11-01&to=2026-11-02&tz=Mars/Olympus",
            "tz",
            "unknown_timezone",
        ),
    ];
    for (query, field, code) in cases {
        let body = internal(
            &app,
            TestRequest::get(format!("/internal/v1/reports/sales-overview?{query}")),
        )
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "invalid_query");
        assert_eq!(body["errors"][0]["field"], field, "{query}: {body}");
        assert_eq!(body["errors"][0]["code"], code, "{query}: {body}");
    }
    let year = internal(
        &app,
        TestRequest::get("/internal/v1/reports/sales-overview?from=2025-11-01&to=2026-11-02"),
    )
    .await;
    assert_eq!(year.status, StatusCode::OK, "{}", year.text());
    assert_eq!(year.json(), json!({ "rows": [], "totals": [] }));

    // A NUL reached PostgreSQL (which refuses it in text) and answered 500.
    for path in [
        "/internal/v1/reports/sales-overview?from=2026-11-01&to=2026-11-02&tz=UTC%00",
        "/internal/v1/resellers?q=be%00ta",
    ] {
        internal(&app, TestRequest::get(path))
            .await
            .assert_problem(StatusCode::BAD_REQUEST, "invalid_query");
    }
}
