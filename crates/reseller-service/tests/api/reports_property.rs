//! Property test of the sales report: random events (duplicated, shuffled),
//! random zones (two with daylight saving changes inside the data, one with
//! a 45-minute offset), granularities, groupings and filters. Every report
//! equals a recomputation made here from the accepted events, with chrono-tz
//! for the local calendar (independent of PostgreSQL's).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{
    DateTime, Datelike, Duration, DurationRound, NaiveDate, Offset, SecondsFormat, TimeZone,
    Timelike, Utc,
};
use chrono_tz::Tz;
use serde_json::{json, Value};
use test_support::TestRequest;
use uuid::Uuid;

use crate::{
    helpers::{Rng, TestApp},
    ingest::{catalog, post_batch},
};

#[derive(Clone)]
struct Line {
    ticket_type: String,
    quantity: i64,
    price: i64,
}

#[derive(Clone)]
struct Ev {
    id: Uuid,
    order: String,
    kind: &'static str,
    at: DateTime<Utc>,
    channel: String,
    currency: String,
    lines: Vec<Line>,
}

const ZONES: [&str; 4] = ["UTC", "America/New_York", "Europe/Berlin", "Asia/Kathmandu"];
const GRANULARITIES: [&str; 6] = ["15m", "hour", "day", "week", "month", "none"];

fn local_midnight(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    tz.from_local_datetime(&date.and_hms_opt(0, 0, 0).unwrap())
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

/// The report bucket of a 15-minute UTC bucket `b`, computed by hand.
fn bucket_of(b: DateTime<Utc>, tz: Tz, granularity: &str) -> Option<DateTime<Utc>> {
    let local = b.with_timezone(&tz);
    Some(match granularity {
        "15m" => b,
        "hour" => b - Duration::minutes(local.minute() as i64),
        "day" => local_midnight(tz, local.date_naive()),
        "week" => local_midnight(
            tz,
            local.date_naive() - Duration::days(local.weekday().num_days_from_monday() as i64),
        ),
        "month" => local_midnight(tz, local.date_naive().with_day(1).unwrap()),
        _ => return None,
    })
}

fn show_local(b: DateTime<Utc>, tz: Tz) -> String {
    b.with_timezone(&tz.offset_from_utc_datetime(&b.naive_utc()).fix())
        .to_rfc3339_opts(SecondsFormat::Secs, false)
}

type Key = (String, String, String, String, String);

#[derive(Default, Debug, PartialEq)]
struct Figures {
    orders: BTreeSet<String>,
    tickets_sold: i64,
    gross_minor: i64,
    refunded_tickets: i64,
    refunded_minor: i64,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_equal_a_recomputation_across_zones_granularities_and_groupings() {
    let app = TestApp::spawn().await;
    let c = catalog(&app, "Report property").await;
    let usd = app
        .call(
            TestRequest::post(format!("/v1/shows/{}/ticket-types", c.show_id))
                .bearer(&c.reseller.key)
                .json(&json!({ "name": "Dollar", "unit_price_minor": 2500, "currency": "USD", "capacity": 100000 })),
        )
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut rng = Rng(0xDA7E_5AFE);

    // Events from 2026-10-20 to 2026-11-08: across Berlin's (10-25) and New
    // York's (11-01) return to standard time.
    let start = DateTime::parse_from_rfc3339("2026-10-20T00:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let mut events = Vec::new();
    for _ in 0..150 {
        let order = Uuid::new_v4().to_string();
        let channel = rng.pick(&["web", "app", "partner_1"]).to_string();
        let dollars = rng.below(5) == 0;
        let lines: Vec<Line> = if dollars {
            vec![Line {
                ticket_type: usd.clone(),
                quantity: 1 + rng.below(3) as i64,
                price: 2500,
            }]
        } else {
            let mut lines = Vec::new();
            for t in &c.ticket_types {
                if rng.below(2) == 0 {
                    lines.push(Line {
                        ticket_type: t.clone(),
                        quantity: 1 + rng.below(4) as i64,
                        price: 150_000,
                    });
                }
            }
            lines
        };
        let lines = if lines.is_empty() {
            vec![Line {
                ticket_type: c.ticket_types[0].clone(),
                quantity: 1,
                price: 150_000,
            }]
        } else {
            lines
        };
        let currency = if dollars { "USD" } else { "IDR" }.to_owned();
        let created = start
            + Duration::minutes(rng.below(19 * 24 * 60) as i64)
            + Duration::seconds(rng.below(60) as i64);
        let ev = |kind, at, lines: Vec<Line>| Ev {
            id: Uuid::new_v4(),
            order: order.clone(),
            kind,
            at,
            channel: channel.clone(),
            currency: currency.clone(),
            lines,
        };
        events.push(ev("order.created", created, lines.clone()));
        if rng.below(5) > 0 {
            let paid = created + Duration::minutes(rng.below(20) as i64);
            events.push(ev("order.paid", paid, lines.clone()));
            // Some orders are paid again (a second payment of the same or
            // other lines): in the same 15 minutes, the same hour, the same
            // day or later. An order counts once per row and total.
            if rng.below(3) == 0 {
                let again = paid + Duration::minutes(*rng.pick(&[0, 5, 20, 50, 200, 1500, 3000]));
                let mut more = lines.clone();
                more.truncate(1 + rng.below(lines.len() as u64) as usize);
                events.push(ev("order.paid", again, more));
            }
            if rng.below(3) == 0 {
                let mut refund = Vec::new();
                for l in &lines {
                    refund.push(Line {
                        quantity: 1 + rng.below(l.quantity as u64) as i64,
                        ..l.clone()
                    });
                }
                events.push(ev(
                    "order.refunded",
                    paid + Duration::hours(rng.below(72) as i64),
                    refund,
                ));
            }
        }
    }
    // Orders paid every 15 minutes through both fall-back windows (the
    // repeated local hour) and around local midnights.
    let windows = [
        ("2026-10-25T00:00:00Z", 12), // Berlin: 02:00-03:00 local happens twice
        ("2026-11-01T04:30:00Z", 12), // New York: 01:00-02:00 local happens twice
        ("2026-10-28T03:00:00Z", 8),  // around midnight in New York
        ("2026-10-29T17:45:00Z", 6),  // around midnight in Kathmandu
    ];
    for (window_start, steps) in windows {
        let t0 = DateTime::parse_from_rfc3339(window_start)
            .unwrap()
            .with_timezone(&Utc);
        for step in 0..steps {
            let order = Uuid::new_v4().to_string();
            let at = t0 + Duration::minutes(15 * step) + Duration::minutes(7);
            let lines = vec![Line {
                ticket_type: c.ticket_types[step as usize % 2].clone(),
                quantity: 1,
                price: 150_000,
            }];
            for kind in ["order.created", "order.paid"] {
                events.push(Ev {
                    id: Uuid::new_v4(),
                    order: order.clone(),
                    kind,
                    at,
                    channel: "web".into(),
                    currency: "IDR".into(),
                    lines: lines.clone(),
                });
            }
        }
    }
    let json_of = |e: &Ev| {
        json!({
            "event_id": e.id.to_string(),
            "type": e.kind, "occurred_at": e.at.to_rfc3339(), "reseller_id": c.reseller.id, "show_id": c.show_id,
            "order_id": e.order, "channel": e.channel, "currency": e.currency,
            "lines": e.lines.iter().map(|l| json!({ "ticket_type_id": l.ticket_type, "quantity": l.quantity, "unit_price_minor": l.price })).collect::<Vec<_>>()
        })
    };
    let mut deliveries: Vec<Value> = events.iter().map(json_of).collect();
    for i in 0..deliveries.len() / 4 {
        deliveries.push(deliveries[i * 3 % deliveries.len()].clone());
    }
    for i in (1..deliveries.len()).rev() {
        deliveries.swap(i, rng.below(i as u64 + 1) as usize);
    }
    for chunk in deliveries.chunks(37) {
        let body = post_batch(&app, chunk).await.json();
        assert_eq!(body["rejected"], 0, "{body}");
    }

    // Every zone with every granularity, four times, with random groupings,
    // filters and bounds (about half of them on whole hours without a
    // channel, which the hourly rollups serve outside Kathmandu).
    for round in 0..4 * ZONES.len() * GRANULARITIES.len() {
        let zone = ZONES[round % ZONES.len()];
        let tz: Tz = zone.parse().unwrap();
        let granularity = GRANULARITIES[(round / ZONES.len()) % GRANULARITIES.len()];
        let by_show = rng.below(3) == 0;
        let by_tt = rng.below(2) == 0;
        let by_channel = rng.below(3) == 0;
        let show_filter = rng.below(4) == 0;
        let tt_filter = (rng.below(4) == 0).then(|| rng.pick(&c.ticket_types).clone());
        let channel_filter = (rng.below(5) == 0).then(|| rng.pick(&["web", "app"]).to_string());
        let (from, to, from_param, to_param) = if rng.below(2) == 0 {
            let d0 = NaiveDate::from_ymd_opt(2026, 10, 18 + rng.below(5) as u32).unwrap();
            let d1 = NaiveDate::from_ymd_opt(2026, 11, 1 + rng.below(12) as u32).unwrap();
            (
                local_midnight(tz, d0),
                local_midnight(tz, d1),
                d0.to_string(),
                d1.to_string(),
            )
        } else {
            let step = if rng.below(2) == 0 {
                Duration::hours(1)
            } else {
                Duration::minutes(15)
            };
            let f = (start + Duration::minutes(15 * rng.below(400) as i64))
                .duration_trunc(step)
                .unwrap();
            let t = (f + Duration::minutes(15 * (1 + rng.below(1800)) as i64))
                .duration_trunc(step)
                .unwrap()
                .max(f + step);
            (
                f,
                t,
                f.to_rfc3339().replace('+', "%2B"),
                t.to_rfc3339().replace('+', "%2B"),
            )
        };

        let mut expected: BTreeMap<Key, Figures> = BTreeMap::new();
        let mut totals: BTreeMap<String, Figures> = BTreeMap::new();
        for e in &events {
            if e.kind != "order.paid" && e.kind != "order.refunded" {
                continue;
            }
            let b = e.at.duration_trunc(Duration::minutes(15)).unwrap();
            if b < from || b >= to || channel_filter.as_ref().is_some_and(|ch| *ch != e.channel) {
                continue;
            }
            let bucket = bucket_of(b, tz, granularity)
                .map(|x| show_local(x, tz))
                .unwrap_or_default();
            for l in e
                .lines
                .iter()
                .filter(|l| tt_filter.as_ref().is_none_or(|t| *t == l.ticket_type))
            {
                let key = (
                    bucket.clone(),
                    if by_show {
                        c.show_id.clone()
                    } else {
                        String::new()
                    },
                    if by_tt {
                        l.ticket_type.clone()
                    } else {
                        String::new()
                    },
                    if by_channel {
                        e.channel.clone()
                    } else {
                        String::new()
                    },
                    e.currency.clone(),
                );
                for figures in [
                    expected.entry(key).or_default(),
                    totals.entry(e.currency.clone()).or_default(),
                ] {
                    if e.kind == "order.paid" {
                        figures.orders.insert(e.order.clone());
                        figures.tickets_sold += l.quantity;
                        figures.gross_minor += l.quantity * l.price;
                    } else {
                        figures.refunded_tickets += l.quantity;
                        figures.refunded_minor += l.quantity * l.price;
                    }
                }
            }
        }

        let mut query =
            format!("from={from_param}&to={to_param}&tz={zone}&granularity={granularity}");
        let groups: Vec<&str> = [
            (by_show, "show"),
            (by_tt, "ticket_type"),
            (by_channel, "channel"),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, g)| *g)
        .collect();
        if !groups.is_empty() {
            query.push_str(&format!("&group_by={}", groups.join(",")));
        }
        if show_filter {
            query.push_str(&format!("&show_id={}", c.show_id));
        }
        if let Some(t) = &tt_filter {
            query.push_str(&format!("&ticket_type_id={t}"));
        }
        if let Some(ch) = &channel_filter {
            query.push_str(&format!("&channel={ch}"));
        }
        let response = app
            .call(TestRequest::get(format!("/v1/reports/sales?{query}")).bearer(&c.reseller.key))
            .await;
        assert_eq!(
            response.status,
            axum::http::StatusCode::OK,
            "{query}: {}",
            response.text()
        );
        let report = response.json();
        let text = |v: &Value| v.as_str().unwrap_or("").to_owned();
        let mut actual: BTreeMap<Key, (i64, i64, i64, i64, i64, i64)> = BTreeMap::new();
        let mut previous_bucket: Option<DateTime<Utc>> = None;
        for row in report["rows"].as_array().unwrap() {
            if let Some(b) = row["bucket_start"].as_str() {
                let instant = DateTime::parse_from_rfc3339(b).unwrap().with_timezone(&Utc);
                assert!(
                    previous_bucket.is_none_or(|p| p <= instant),
                    "{query}: rows out of order"
                );
                previous_bucket = Some(instant);
            }
            let key = (
                text(&row["bucket_start"]),
                text(&row["show_id"]),
                text(&row["ticket_type_id"]),
                text(&row["channel"]),
                text(&row["currency"]),
            );
            let n = |k: &str| row[k].as_i64().unwrap();
            assert_eq!(n("net_minor"), n("gross_minor") - n("refunded_minor"));
            actual.insert(
                key,
                (
                    n("paid_orders"),
                    n("tickets_sold"),
                    n("gross_minor"),
                    n("refunded_tickets"),
                    n("refunded_minor"),
                    0,
                ),
            );
        }
        let expected: BTreeMap<Key, (i64, i64, i64, i64, i64, i64)> = expected
            .into_iter()
            .map(|(k, f)| {
                (
                    k,
                    (
                        f.orders.len() as i64,
                        f.tickets_sold,
                        f.gross_minor,
                        f.refunded_tickets,
                        f.refunded_minor,
                        0,
                    ),
                )
            })
            .collect();
        assert_eq!(actual, expected, "round {round}: {query}");
        let actual_totals: BTreeMap<String, (i64, i64, i64)> = report["totals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    text(&t["currency"]),
                    (
                        t["paid_orders"].as_i64().unwrap(),
                        t["gross_minor"].as_i64().unwrap(),
                        t["refunded_minor"].as_i64().unwrap(),
                    ),
                )
            })
            .collect();
        let expected_totals: BTreeMap<String, (i64, i64, i64)> = totals
            .into_iter()
            .map(|(cur, f)| {
                (
                    cur,
                    (f.orders.len() as i64, f.gross_minor, f.refunded_minor),
                )
            })
            .collect();
        assert_eq!(
            actual_totals, expected_totals,
            "round {round} totals: {query}"
        );

        // CSV agrees row for row.
        let csv = app
            .call(
                TestRequest::get(format!("/v1/reports/sales?{query}"))
                    .bearer(&c.reseller.key)
                    .header("accept", "text/csv"),
            )
            .await;
        let lines: Vec<&str> = csv
            .body
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| std::str::from_utf8(l).unwrap().trim_end())
            .collect();
        assert_eq!(
            lines.len(),
            1 + report["rows"].as_array().unwrap().len(),
            "{query}"
        );
        for (line, row) in lines[1..].iter().zip(report["rows"].as_array().unwrap()) {
            assert!(
                line.ends_with(&format!(",{}", row["net_minor"])),
                "{query}: {line} vs {row}"
            );
            if let Some(b) = row["bucket_start"].as_str() {
                assert!(line.starts_with(b), "{query}: {line} vs {row}");
            }
        }
    }
}
