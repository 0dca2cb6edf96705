//! The sales report and the order listings.

use axum::http::StatusCode;
use chrono::{Duration, DurationRound, Utc};
use serde_json::{json, Value};
use test_support::TestRequest;
use uuid::Uuid;

use crate::{
    helpers::TestApp,
    ingest::{catalog, event, post_batch},
};

fn at(e: &mut Value, when: chrono::DateTime<Utc>) {
    e["occurred_at"] = json!(when.to_rfc3339());
}

/// Parses a CSV body into rows of fields (no quoted fields are expected).
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    text.split("\r\n")
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect()
}

/// `uri` asked for as CSV: a 200 of `text/csv`, parsed.
async fn csv_of(app: &TestApp, key: &str, uri: &str) -> Vec<Vec<String>> {
    let csv = app
        .call(
            TestRequest::get(uri)
                .bearer(key)
                .header("accept", "text/csv"),
        )
        .await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.text());
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    csv_rows(&csv.text())
}

#[tokio::test]
async fn a_daily_report_sums_paid_and_refunded_lines_and_counts_orders_once() {
    let app = TestApp::spawn().await;
    let c = catalog(&app, "Report").await;
    let day = (Utc::now() - Duration::days(2))
        .duration_trunc(Duration::days(1))
        .unwrap();
    let order = Uuid::new_v4().to_string();
    let mut paid = event(&c, "order.paid", &order, 2);
    // Two ticket types in one order.
    paid["lines"] = json!([
        { "ticket_type_id": c.ticket_types[0], "quantity": 2, "unit_price_minor": 150000 },
        { "ticket_type_id": c.ticket_types[1], "quantity": 1, "unit_price_minor": 150000 }
    ]);
    at(&mut paid, day + Duration::hours(10));
    let mut refund = event(&c, "order.refunded", &order, 1);
    at(&mut refund, day + Duration::days(1) + Duration::hours(9));
    let body = post_batch(&app, &[refund, paid]).await.json();
    assert_eq!(body["accepted"], 2);

    let from = day.format("%Y-%m-%d");
    let to = (day + Duration::days(2)).format("%Y-%m-%d");
    let uri = format!("/v1/reports/sales?from={from}&to={to}&granularity=day");
    let report = app
        .call(TestRequest::get(&uri).bearer(&c.reseller.key))
        .await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.text());
    let report = report.json();
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{report}");
    assert_eq!(
        rows[0]["bucket_start"],
        format!("{}T00:00:00+00:00", day.format("%Y-%m-%d"))
    );
    assert_eq!(
        rows[0]["paid_orders"], 1,
        "an order with two ticket types is one order"
    );
    assert_eq!(rows[0]["tickets_sold"], 3);
    assert_eq!(rows[0]["gross_minor"], 450_000);
    assert_eq!(rows[1]["refunded_tickets"], 1);
    assert_eq!(rows[1]["net_minor"], -150_000);
    assert_eq!(
        report["totals"],
        json!([{
            "currency": "IDR", "paid_orders": 1, "tickets_sold": 3, "gross_minor": 450000,
            "refunded_tickets": 1, "refunded_minor": 150000, "net_minor": 300000
        }])
    );

    // Grouped by ticket type, the order shows in each of its ticket types.
    let by_tt = app
        .call(TestRequest::get(format!("{uri}&group_by=ticket_type")).bearer(&c.reseller.key))
        .await
        .json();
    let first_day: Vec<&Value> = by_tt["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["paid_orders"] == 1)
        .collect();
    assert_eq!(first_day.len(), 2);
    assert_eq!(by_tt["totals"][0]["paid_orders"], 1);

    // CSV: the same rows, with a header.
    let lines = csv_of(&app, &c.reseller.key, &uri).await;
    assert_eq!(
        lines[0],
        [
            "bucket_start",
            "currency",
            "paid_orders",
            "tickets_sold",
            "gross_minor",
            "refunded_tickets",
            "refunded_minor",
            "net_minor"
        ]
    );
    assert_eq!(lines.len(), 1 + rows.len());
    for (line, row) in lines[1..].iter().zip(rows) {
        assert_eq!(line[0], row["bucket_start"].as_str().unwrap());
        assert_eq!(line[4], row["gross_minor"].to_string());
        assert_eq!(line[7], row["net_minor"].to_string());
    }

    let svg = app
        .call(
            TestRequest::get(format!("/v1/reports/sales/chart.svg?from={from}&to={to}"))
                .bearer(&c.reseller.key),
        )
        .await;
    assert_eq!(svg.status, StatusCode::OK);
    assert!(svg
        .header("content-type")
        .unwrap()
        .starts_with("image/svg+xml"));
    assert!(svg.text().contains("<svg"));
}

#[tokio::test]
async fn bad_report_parameters_are_clear_400s() {
    let app = TestApp::spawn().await;
    let r = app.register("Params").await;
    let cases = [
        ("to=2026-11-02", "from", "required"),
        (
            "from=2026-11-01T10:07:00Z&to=2026-11-02",
            "from",
            "misaligned",
        ),
        // `from` is checked whole before `to` is read.
        ("from=2026-11-01T10:07:00Z", "from", "misaligned"),
        (
            "from=2026-11-01&to=2026-11-02T10:07:00Z",
            "to",
            "misaligned",
        ),
        (
            "from=2026-11-01&to=2026-11-02&tz=Mars/Olympus",
            "tz",
            "unknown_timezone",
        ),
        ("from=2026-11-02&to=2026-11-01", "to", "reversed_range"),
        (
            "from=2026-01-01&to=2026-03-01&granularity=15m",
            "to",
            "range_too_large",
        ),
        (
            "from=2026-11-01&to=2026-11-02&granularity=fortnight",
            "granularity",
            "invalid_choice",
        ),
        (
            "from=2026-11-01&to=2026-11-02&group_by=show,venue",
            "group_by",
            "invalid_choice",
        ),
        ("from=yesterday&to=2026-11-02", "from", "invalid"),
        (
            "from=2026-11-01&to=2026-11-02&channel=Web%20Shop",
            "channel",
            "invalid",
        ),
    ];
    for (query, field, code) in cases {
        let problem = app
            .call(TestRequest::get(format!("/v1/reports/sales?{query}")).bearer(&r.key))
            .await
            .assert_problem(StatusCode::BAD_REQUEST, "invalid_query");
        assert_eq!(problem["errors"][0]["field"], field, "{query}: {problem}");
        assert_eq!(problem["errors"][0]["code"], code, "{query}: {problem}");
    }
    let problem = app
        .call(
            TestRequest::get("/v1/reports/sales?from=2026-01-01&to=2026-03-01&granularity=15m")
                .bearer(&r.key),
        )
        .await
        .json();
    assert!(
        problem["detail"].as_str().unwrap().contains("31 days"),
        "the limit is named: {problem}"
    );
}

#[tokio::test]
async fn orders_are_listed_newest_first_filtered_paged_and_detailed() {
    let app = TestApp::spawn().await;
    let c = catalog(&app, "Orders").await;
    let other = catalog(&app, "Other tenant").await;
    let base = (Utc::now() - Duration::days(1))
        .duration_trunc(Duration::minutes(15))
        .unwrap();
    let mut events = Vec::new();
    let mut ids = Vec::new();
    for i in 0..7 {
        let order = Uuid::new_v4().to_string();
        let mut created = event(&c, "order.created", &order, 1);
        at(&mut created, base + Duration::minutes(i * 10));
        events.push(created);
        if i % 2 == 0 {
            let mut paid = event(&c, "order.paid", &order, 1);
            at(&mut paid, base + Duration::minutes(i * 10 + 3));
            events.push(paid);
        }
        ids.push(order);
    }
    events.reverse();
    assert_eq!(post_batch(&app, &events).await.json()["accepted"], 11);
    let foreign = Uuid::new_v4().to_string();
    post_batch(&app, &[event(&other, "order.created", &foreign, 1)]).await;

    let mut seen = Vec::new();
    let mut uri = "/v1/orders?limit=3".to_owned();
    loop {
        let page = app
            .call(TestRequest::get(&uri).bearer(&c.reseller.key))
            .await
            .json();
        for o in page["data"].as_array().unwrap() {
            seen.push(o["id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => uri = format!("/v1/orders?limit=3&cursor={cursor}"),
            None => break,
        }
    }
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(seen, newest_first);

    let paid = app
        .call(TestRequest::get("/v1/orders?status=paid").bearer(&c.reseller.key))
        .await
        .json();
    assert_eq!(paid["data"].as_array().unwrap().len(), 4);
    let window = app
        .call(
            TestRequest::get(format!(
                "/v1/orders?created_from={}&created_to={}",
                (base + Duration::minutes(10))
                    .to_rfc3339()
                    .replace('+', "%2B"),
                (base + Duration::minutes(30))
                    .to_rfc3339()
                    .replace('+', "%2B")
            ))
            .bearer(&c.reseller.key),
        )
        .await
        .json();
    assert_eq!(window["data"].as_array().unwrap().len(), 2, "{window}");

    let detail = app
        .call(TestRequest::get(format!("/v1/orders/{}", ids[0])).bearer(&c.reseller.key))
        .await
        .json();
    assert_eq!(detail["status"], "paid");
    let kinds: Vec<&str> = detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["order.created", "order.paid"],
        "history oldest first"
    );
    assert_eq!(detail["lines"][0]["quantity"], 1);

    app.call(TestRequest::get(format!("/v1/orders/{foreign}")).bearer(&c.reseller.key))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    app.call(TestRequest::get("/v1/orders?status=lost").bearer(&c.reseller.key))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

    let csv = app
        .call(
            TestRequest::get("/v1/orders")
                .bearer(&c.reseller.key)
                .header("accept", "text/csv"),
        )
        .await;
    let lines = csv_rows(&csv.text());
    assert_eq!(lines[0][0], "id");
    assert_eq!(lines.len(), 8);
    assert!(!csv.text().contains(&foreign));
}

/// The hourly rollups and the 15-minute ones give the same report: an
/// order paid in two 15-minute buckets of one hour, read by hour and by day
/// from the hourly rows (no channel) and from the 15-minute rows (by
/// channel, or from a quarter past), whole and by show and ticket type.
#[tokio::test]
async fn hourly_and_quarter_hour_rollups_give_the_same_report() {
    let app = TestApp::spawn().await;
    let c = catalog(&app, "Levels").await;
    let day = (Utc::now() - Duration::days(3))
        .duration_trunc(Duration::days(1))
        .unwrap();
    let twice = Uuid::new_v4().to_string();
    let once = Uuid::new_v4().to_string();
    let mut events = Vec::new();
    for (order, minutes, tt) in [
        (&twice, 5, 0),
        (&twice, 35, 1),
        (&once, 50, 0),
        (&once, 52, 0),
    ] {
        let mut e = event(&c, "order.paid", order, 1);
        e["lines"][0]["ticket_type_id"] = json!(c.ticket_types[tt]);
        at(
            &mut e,
            day + Duration::hours(10) + Duration::minutes(minutes),
        );
        events.push(e);
    }
    let mut refund = event(&c, "order.refunded", &once, 1);
    at(
        &mut refund,
        day + Duration::hours(11) + Duration::minutes(20),
    );
    events.push(refund);
    let body = post_batch(&app, &events).await.json();
    assert_eq!(body["accepted"], 5, "{body}");

    let get = |query: String| {
        let app = &app;
        let key = c.reseller.key.clone();
        async move {
            let r = app
                .call(TestRequest::get(format!("/v1/reports/sales?{query}")).bearer(&key))
                .await;
            assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.text());
            r.json()
        }
    };
    // Rows summed per bucket (and the given keys), whatever else splits them.
    let sums = |report: &Value, keys: &[&str]| {
        let mut out = std::collections::BTreeMap::new();
        for row in report["rows"].as_array().unwrap() {
            let key: Vec<String> = std::iter::once("bucket_start")
                .chain(keys.iter().copied())
                .map(|k| row[k].to_string())
                .collect();
            let e: &mut [i64; 5] = out.entry(key).or_default();
            for (sum, f) in e.iter_mut().zip([
                "paid_orders",
                "tickets_sold",
                "gross_minor",
                "refunded_tickets",
                "refunded_minor",
            ]) {
                *sum += row[f].as_i64().unwrap();
            }
        }
        out
    };
    let from = day.format("%Y-%m-%d");
    let to = (day + Duration::days(1)).format("%Y-%m-%d");
    let quarter_past = (day + Duration::minutes(15))
        .to_rfc3339()
        .replace('+', "%2B");
    for granularity in ["hour", "day"] {
        for (group, keys) in [
            ("", &[][..]),
            ("show", &["show_id"][..]),
            ("ticket_type", &["ticket_type_id"][..]),
        ] {
            let base = format!("tz=UTC&granularity={granularity}&group_by={group}");
            let hourly = get(format!("from={from}&to={to}&{base}")).await;
            let by_channel = get(format!("from={from}&to={to}&{base},channel")).await;
            let from_quarter_past = get(format!("from={quarter_past}&to={to}&{base}")).await;
            assert_eq!(sums(&hourly, keys), sums(&by_channel, keys), "{base}");
            assert_eq!(
                sums(&hourly, keys),
                sums(&from_quarter_past, keys),
                "{base}"
            );
            assert_eq!(hourly["totals"], by_channel["totals"], "{base}");
            assert_eq!(hourly["totals"], from_quarter_past["totals"], "{base}");
        }
    }
    // paid_orders counts orders with a paid event in the row: the order
    // paid at 10:05 and 10:35 counts once in the 10:00 hour (it is in two
    // 15-minute rows), the one paid twice at 10:50 and 10:52 once; the
    // totals count each order once.
    let hourly = get(format!("from={from}&to={to}&tz=UTC&granularity=hour")).await;
    assert_eq!(hourly["rows"][0]["paid_orders"], 2, "{hourly}");
    assert_eq!(hourly["totals"][0]["paid_orders"], 2, "{hourly}");
    let quarters = get(format!("from={from}&to={to}&tz=UTC&granularity=15m")).await;
    let per_quarter: Vec<i64> = quarters["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["paid_orders"].as_i64().unwrap())
        .collect();
    assert_eq!(per_quarter.iter().sum::<i64>(), 3, "{quarters}");
    assert_eq!(quarters["totals"][0]["paid_orders"], 2, "{quarters}");
    assert_eq!(hourly["totals"][0]["tickets_sold"], 4, "{hourly}");
    assert_eq!(hourly["totals"][0]["refunded_tickets"], 1, "{hourly}");
}

/// A report large enough to leave in several chunks (hourly by ticket type,
/// streamed one stored day at a time): every row arrives, in order, with
/// its local offset, the totals close it, and the CSV has the same rows.
#[tokio::test]
async fn a_large_hourly_report_by_ticket_type_arrives_whole_and_in_order() {
    let app = TestApp::spawn().await;
    let c = catalog(&app, "Large").await;
    let day = (Utc::now() - Duration::days(20))
        .duration_trunc(Duration::days(1))
        .unwrap();
    const HOURS: i64 = 14 * 24;
    let quantity = |h: i64, k: usize| 1 + (h + k as i64) % 3;
    let events: Vec<Value> = (0..HOURS)
        .map(|h| {
            let mut e = event(&c, "order.paid", &Uuid::new_v4().to_string(), 1);
            e["lines"] = json!(c
                .ticket_types
                .iter()
                .enumerate()
                .map(|(k, tt)| json!({ "ticket_type_id": tt, "quantity": quantity(h, k), "unit_price_minor": 150000 }))
                .collect::<Vec<_>>());
            at(&mut e, day + Duration::hours(h) + Duration::minutes(10));
            e
        })
        .collect();
    for batch in events.chunks(100) {
        let body = post_batch(&app, batch).await.json();
        assert_eq!(body["accepted"], batch.len(), "{body}");
    }

    let query = format!(
        "/v1/reports/sales?from={}&to={}&tz=Asia/Jakarta&granularity=hour&group_by=ticket_type",
        day.format("%Y-%m-%d"),
        (day + Duration::days(15)).format("%Y-%m-%d")
    );
    let r = app
        .call(TestRequest::get(&query).bearer(&c.reseller.key))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // Chunks are sent from 60 KiB: this answer spans three or more.
    assert!(r.text().len() > 2 * 60 * 1024, "{}", r.text().len());
    let report = r.json();
    let rows = report["rows"].as_array().unwrap();
    let mut tts = c.ticket_types.clone();
    tts.sort();
    assert_eq!(rows.len() as i64, HOURS * tts.len() as i64);
    for (i, row) in rows.iter().enumerate() {
        let (h, k) = (i as i64 / tts.len() as i64, i % tts.len());
        let at = (day + Duration::hours(h))
            .with_timezone(&chrono::FixedOffset::east_opt(7 * 3600).unwrap())
            .to_rfc3339();
        assert_eq!(row["bucket_start"], at, "row {i}: {row}");
        assert_eq!(row["ticket_type_id"], tts[k], "row {i}: {row}");
        let original = c.ticket_types.iter().position(|t| *t == tts[k]).unwrap();
        let q = quantity(h, original);
        assert_eq!(row["paid_orders"], 1, "row {i}: {row}");
        assert_eq!(row["tickets_sold"], q, "row {i}: {row}");
        assert_eq!(row["gross_minor"], q * 150000, "row {i}: {row}");
        assert_eq!(row["net_minor"], q * 150000, "row {i}: {row}");
    }
    let tickets: i64 = (0..HOURS)
        .flat_map(|h| (0..tts.len()).map(move |k| quantity(h, k)))
        .sum();
    assert_eq!(
        report["totals"][0]["paid_orders"], HOURS,
        "{}",
        report["totals"]
    );
    assert_eq!(report["totals"][0]["tickets_sold"], tickets);

    let lines = csv_of(&app, &c.reseller.key, &query).await;
    assert_eq!(lines.len(), rows.len() + 1);
    for (line, row) in lines[1..].iter().zip(rows) {
        for (name, field) in lines[0].iter().zip(line) {
            let json = match &row[name.as_str()] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            assert_eq!(*field, json, "{name}: {line:?} vs {row}");
        }
    }
}
