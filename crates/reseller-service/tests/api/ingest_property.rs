//! Property test of the ingest: random orders, their events shuffled, partly
//! delivered twice, in random batches from concurrent senders. Whatever the
//! arrival, the orders, stock and rollups equal a recomputation made here,
//! straight from the distinct events.

use std::collections::{BTreeMap, BTreeSet};

use axum::http::StatusCode;
use chrono::{DateTime, Duration, DurationRound, Utc};
use serde_json::{json, Value};
use test_support::{tokens, TestRequest};
use uuid::Uuid;

use crate::{
    helpers::{Rng, TestApp},
    ingest::{catalog, Catalog, BATCH},
};

#[derive(Clone)]
struct Ev {
    json: Value,
    reseller: String,
    show: String,
    order: String,
    kind: &'static str,
    at: DateTime<Utc>,
    lines: Vec<(String, i64, i64)>,
}

const PRICES: [i64; 2] = [150_000, 275_000];

fn make_event(
    c: &Catalog,
    order: &str,
    kind: &'static str,
    at: DateTime<Utc>,
    lines: Vec<(String, i64, i64)>,
    channel: &str,
) -> Ev {
    let json = json!({
        "event_id": Uuid::new_v4().to_string(),
        "type": kind,
        "occurred_at": at.to_rfc3339(),
        "reseller_id": c.reseller.id,
        "show_id": c.show_id,
        "order_id": order,
        "channel": channel,
        "currency": "IDR",
        "lines": lines.iter().map(|(t, q, p)| json!({ "ticket_type_id": t, "quantity": q, "unit_price_minor": p })).collect::<Vec<_>>(),
    });
    Ev {
        json,
        reseller: c.reseller.id.clone(),
        show: c.show_id.clone(),
        order: order.to_owned(),
        kind,
        at,
        lines,
    }
}

fn generate(rng: &mut Rng, catalogs: &[Catalog], orders: usize) -> Vec<Ev> {
    let start = (Utc::now() - Duration::days(4))
        .duration_trunc(Duration::minutes(15))
        .unwrap();
    let mut events = Vec::new();
    for _ in 0..orders {
        let c = &catalogs[rng.below(catalogs.len() as u64) as usize];
        let order = Uuid::new_v4().to_string();
        let channel = ["web", "app", "partner_1"][rng.below(3) as usize];
        // Some on exact bucket boundaries.
        let created_at = start
            + Duration::minutes(15 * rng.below(200) as i64)
            + Duration::seconds(if rng.chance(20) {
                0
            } else {
                rng.below(900) as i64
            });
        let mut lines = Vec::new();
        for (i, tt) in c.ticket_types.iter().enumerate() {
            if lines.is_empty() || rng.chance(40) {
                lines.push((tt.clone(), 1 + rng.below(4) as i64, PRICES[i]));
            }
        }
        events.push(make_event(
            c,
            &order,
            "order.created",
            created_at,
            lines.clone(),
            channel,
        ));
        match rng.below(10) {
            0 => events.push(make_event(
                c,
                &order,
                "order.expired",
                created_at + Duration::minutes(30),
                lines.clone(),
                channel,
            )),
            1 => events.push(make_event(
                c,
                &order,
                "order.cancelled",
                created_at + Duration::minutes(5),
                lines.clone(),
                channel,
            )),
            _ => {
                let paid_at = created_at + Duration::minutes(rng.below(40) as i64);
                events.push(make_event(
                    c,
                    &order,
                    "order.paid",
                    paid_at,
                    lines.clone(),
                    channel,
                ));
                if rng.chance(5) {
                    // A second payment event for the same order (another id).
                    events.push(make_event(
                        c,
                        &order,
                        "order.paid",
                        paid_at + Duration::minutes(1),
                        lines.clone(),
                        channel,
                    ));
                }
                if rng.chance(35) {
                    let refund: Vec<_> = lines
                        .iter()
                        .map(|(t, q, p)| (t.clone(), 1 + rng.below(*q as u64) as i64, *p))
                        .collect();
                    events.push(make_event(
                        c,
                        &order,
                        "order.refunded",
                        paid_at + Duration::hours(1 + rng.below(30) as i64),
                        refund,
                        channel,
                    ));
                }
            }
        }
    }
    events
}

type RollupRow = (i64, i64, i64, i64, i64);

struct Expected {
    rollups: BTreeMap<(String, DateTime<Utc>, String, String, String), RollupRow>,
    order_counts: BTreeMap<(String, DateTime<Utc>, String, String), i64>,
    orders: BTreeMap<String, (String, i64, i64, i64, i64)>,
    sold: BTreeMap<String, i64>,
}

fn bucket(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(Duration::minutes(15)).unwrap()
}

fn channel_of(e: &Ev) -> String {
    e.json["channel"].as_str().unwrap().to_owned()
}

/// What a person computes by hand from the distinct events.
fn recompute(events: &[Ev]) -> Expected {
    let mut rollups: BTreeMap<_, RollupRow> = BTreeMap::new();
    let mut paid_lines: BTreeSet<(String, String, DateTime<Utc>, String, String)> = BTreeSet::new();
    let mut paid_orders: BTreeSet<(String, String, DateTime<Utc>, String, String)> =
        BTreeSet::new();
    let mut sold: BTreeMap<String, i64> = BTreeMap::new();
    let mut per_order: BTreeMap<String, Vec<&Ev>> = BTreeMap::new();
    for e in events {
        per_order.entry(e.order.clone()).or_default().push(e);
        let b = bucket(e.at);
        for (tt, q, p) in &e.lines {
            let key = (
                e.reseller.clone(),
                b,
                e.show.clone(),
                tt.clone(),
                channel_of(e),
            );
            match e.kind {
                "order.paid" => {
                    let row = rollups.entry(key).or_default();
                    row.1 += q;
                    row.2 += q * p;
                    paid_lines.insert((
                        e.reseller.clone(),
                        e.order.clone(),
                        b,
                        tt.clone(),
                        channel_of(e),
                    ));
                    *sold.entry(tt.clone()).or_default() += q;
                }
                "order.refunded" => {
                    let row = rollups.entry(key).or_default();
                    row.3 += q;
                    row.4 += q * p;
                    *sold.entry(tt.clone()).or_default() -= q;
                }
                _ => {}
            }
        }
        if e.kind == "order.paid" {
            paid_orders.insert((
                e.reseller.clone(),
                e.order.clone(),
                b,
                e.show.clone(),
                channel_of(e),
            ));
        }
    }
    for (reseller, order, b, tt, channel) in &paid_lines {
        let show = per_order[order][0].show.clone();
        rollups
            .get_mut(&(reseller.clone(), *b, show, tt.clone(), channel.clone()))
            .unwrap()
            .0 += 1;
    }
    let mut order_counts = BTreeMap::new();
    for (reseller, _, b, show, channel) in paid_orders {
        *order_counts
            .entry((reseller, b, show, channel))
            .or_default() += 1;
    }
    let mut orders = BTreeMap::new();
    for (order, evs) in per_order {
        let sum = |kind: &str| -> (i64, i64) {
            evs.iter()
                .filter(|e| e.kind == kind)
                .flat_map(|e| e.lines.iter())
                .fold((0, 0), |(q, a), (_, lq, lp)| (q + lq, a + lq * lp))
        };
        let (tickets, gross) = sum("order.paid");
        let (refunded, refunded_minor) = sum("order.refunded");
        let has = |kind: &str| evs.iter().any(|e| e.kind == kind);
        let status = if has("order.paid") {
            if refunded > 0 && refunded >= tickets {
                "refunded"
            } else if refunded > 0 {
                "partially_refunded"
            } else {
                "paid"
            }
        } else if has("order.cancelled") {
            "cancelled"
        } else if has("order.expired") {
            "expired"
        } else {
            "created"
        };
        orders.insert(
            order,
            (status.to_owned(), tickets, gross, refunded, refunded_minor),
        );
    }
    Expected {
        rollups,
        order_counts,
        orders,
        sold,
    }
}

async fn run_seed(seed: u64) {
    let app = TestApp::spawn().await;
    let catalogs = vec![catalog(&app, "Prop A").await, catalog(&app, "Prop B").await];
    let mut rng = Rng(seed);
    let events = generate(&mut rng, &catalogs, 80);

    // Deliveries: every event once, some twice, shuffled (Fisher-Yates).
    let mut deliveries: Vec<Value> = events.iter().map(|e| e.json.clone()).collect();
    for e in &events {
        if rng.chance(30) {
            deliveries.push(e.json.clone());
        }
    }
    for i in (1..deliveries.len()).rev() {
        deliveries.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let mut batches = Vec::new();
    let mut rest = deliveries.as_slice();
    while !rest.is_empty() {
        let n = (1 + rng.below(40) as usize).min(rest.len());
        batches.push(rest[..n].to_vec());
        rest = &rest[n..];
    }

    // Three concurrent senders.
    let batches = std::sync::Arc::new(std::sync::Mutex::new(batches));
    let mut senders = Vec::new();
    for _ in 0..3 {
        let (router, batches) = (app.app.clone(), batches.clone());
        senders.push(tokio::spawn(async move {
            let mut totals = (0u64, 0u64);
            loop {
                let Some(batch) = batches.lock().unwrap().pop() else {
                    break;
                };
                let response = test_support::send(
                    &router,
                    TestRequest::post(BATCH)
                        .bearer(tokens::INGEST)
                        .json(&json!({ "events": batch })),
                )
                .await;
                assert_eq!(response.status, StatusCode::OK, "{}", response.text());
                let body = response.json();
                assert_eq!(body["rejected"], 0, "{body}");
                assert_eq!(body["conflicts"], 0, "{body}");
                totals.0 += body["accepted"].as_u64().unwrap();
                totals.1 += body["duplicates"].as_u64().unwrap();
            }
            totals
        }));
    }
    let (mut accepted, mut duplicates) = (0, 0);
    for s in senders {
        let (a, d) = s.await.unwrap();
        accepted += a;
        duplicates += d;
    }
    assert_eq!(
        accepted as usize,
        events.len(),
        "seed {seed}: every distinct event accepted once"
    );
    assert_eq!((accepted + duplicates) as usize, deliveries.len());

    let expected = recompute(&events);
    let mut conn = app.db.superuser_connection().await;
    type Row = (
        Uuid,
        DateTime<Utc>,
        Uuid,
        Uuid,
        String,
        i64,
        i64,
        i64,
        i64,
        i64,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT reseller_id, bucket_start, show_id, ticket_type_id, channel, paid_orders, tickets_sold, gross_minor, \
                refunded_tickets, refunded_minor FROM reseller.sales_rollup_15m",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let actual: BTreeMap<_, _> = rows
        .into_iter()
        .map(|r| {
            (
                (r.0.to_string(), r.1, r.2.to_string(), r.3.to_string(), r.4),
                (r.5, r.6, r.7, r.8, r.9),
            )
        })
        .collect();
    assert_eq!(actual, expected.rollups, "seed {seed}: ticket-type rollups");

    let rows: Vec<(Uuid, DateTime<Utc>, Uuid, String, i64)> =
        sqlx::query_as("SELECT reseller_id, bucket_start, show_id, channel, paid_orders FROM reseller.sales_orders_15m")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    let actual: BTreeMap<_, _> = rows
        .into_iter()
        .map(|r| ((r.0.to_string(), r.1, r.2.to_string(), r.3), r.4))
        .collect();
    assert_eq!(
        actual, expected.order_counts,
        "seed {seed}: paid-order counts"
    );

    // The hourly rollups are the same figures summed per UTC hour:
    // paid_orders per ticket type in the ticket-type table, per order in the
    // others.
    type Figures = (i64, i64, i64, i64, i64);
    let add = |into: &mut Figures, f: Figures| {
        into.0 += f.0;
        into.1 += f.1;
        into.2 += f.2;
        into.3 += f.3;
        into.4 += f.4;
    };
    let hour = |b: DateTime<Utc>| b.duration_trunc(Duration::hours(1)).unwrap();
    let mut by_tt: BTreeMap<(String, DateTime<Utc>, String, String), Figures> = BTreeMap::new();
    let mut by_show: BTreeMap<(String, DateTime<Utc>, String), Figures> = BTreeMap::new();
    let mut total: BTreeMap<(String, DateTime<Utc>), Figures> = BTreeMap::new();
    for ((r, b, show, tt, _), f) in &expected.rollups {
        add(
            by_tt
                .entry((r.clone(), hour(*b), tt.clone(), show.clone()))
                .or_default(),
            *f,
        );
        let figures = (0, f.1, f.2, f.3, f.4);
        add(
            by_show
                .entry((r.clone(), hour(*b), show.clone()))
                .or_default(),
            figures,
        );
        add(total.entry((r.clone(), hour(*b))).or_default(), figures);
    }
    for ((r, b, show, _), n) in &expected.order_counts {
        by_show
            .entry((r.clone(), hour(*b), show.clone()))
            .or_default()
            .0 += n;
        total.entry((r.clone(), hour(*b))).or_default().0 += n;
    }
    let figures = "paid_orders, tickets_sold, gross_minor, refunded_tickets, refunded_minor";
    type TtRow = (Uuid, DateTime<Utc>, Uuid, Uuid, i64, i64, i64, i64, i64);
    type ShowRow = (Uuid, DateTime<Utc>, Uuid, i64, i64, i64, i64, i64);
    type TotalRow = (Uuid, DateTime<Utc>, i64, i64, i64, i64, i64);
    let rows: Vec<TtRow> = sqlx::query_as(&format!(
        "SELECT reseller_id, hour_start, ticket_type_id, show_id, {figures} FROM reseller.sales_hourly_by_ticket_type"
    ))
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let actual: BTreeMap<_, _> = rows
        .into_iter()
        .map(|r| {
            (
                (r.0.to_string(), r.1, r.2.to_string(), r.3.to_string()),
                (r.4, r.5, r.6, r.7, r.8),
            )
        })
        .collect();
    assert_eq!(actual, by_tt, "seed {seed}: hourly rollups by ticket type");
    let rows: Vec<ShowRow> = sqlx::query_as(&format!(
        "SELECT reseller_id, hour_start, show_id, {figures} FROM reseller.sales_hourly_by_show"
    ))
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let actual: BTreeMap<_, _> = rows
        .into_iter()
        .map(|r| {
            (
                (r.0.to_string(), r.1, r.2.to_string()),
                (r.3, r.4, r.5, r.6, r.7),
            )
        })
        .collect();
    assert_eq!(actual, by_show, "seed {seed}: hourly rollups by show");
    let rows: Vec<TotalRow> = sqlx::query_as(&format!(
        "SELECT reseller_id, hour_start, {figures} FROM reseller.sales_hourly"
    ))
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let actual: BTreeMap<_, _> = rows
        .into_iter()
        .map(|r| ((r.0.to_string(), r.1), (r.2, r.3, r.4, r.5, r.6)))
        .collect();
    assert_eq!(actual, total, "seed {seed}: hourly rollups");

    let rows: Vec<(Uuid, String, i64, i64, i64, i64)> =
        sqlx::query_as("SELECT order_id, status, tickets, gross_minor, refunded_tickets, refunded_minor FROM reseller.orders")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    let actual: BTreeMap<_, _> = rows
        .into_iter()
        .map(|r| (r.0.to_string(), (r.1, r.2, r.3, r.4, r.5)))
        .collect();
    assert_eq!(actual, expected.orders, "seed {seed}: orders");

    let rows: Vec<(Uuid, i64)> =
        sqlx::query_as("SELECT ticket_type_id, sold FROM reseller.ticket_types")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    for (tt, sold) in rows {
        assert_eq!(
            sold,
            expected.sold.get(&tt.to_string()).copied().unwrap_or(0),
            "seed {seed}: sold of {tt}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollups_orders_and_stock_equal_a_recomputation_whatever_the_arrival() {
    for seed in [0x5EED_0001, 0xC0FF_EE02, 0xBADC_0DE3] {
        run_seed(seed).await;
    }
}
