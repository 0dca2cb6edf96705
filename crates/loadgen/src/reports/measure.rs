//! The timed reads of one size: the two sales reports and the order pages
//! through the service (client-side wall time of the whole response), and
//! the same reports computed by `GROUP BY` over the raw event log in SQL.

use std::time::Instant;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{catalog::clip, env::db_error, send::percentile};

/// Untimed calls before the timed ones.
pub const WARM_UPS: usize = 3;
/// Timed runs of each raw `GROUP BY` (after one untimed run).
pub const RAW_RUNS: usize = 3;
/// The time zone of the reports.
pub const TZ: &str = "Asia/Jakarta";
/// Rows per order page, and the page measured deep in the list.
pub const PAGE: u64 = 50;
pub const DEEP_PAGE: u64 = 10_000;

/// p50 and p99 of a sample, in ms.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Latency {
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

impl Latency {
    pub fn of(samples: &[f64]) -> Self {
        Self {
            p50_ms: percentile(samples, 50.0),
            p99_ms: percentile(samples, 99.0),
        }
    }
}

/// A GET with the reseller's key, timed `queries` times after the warm-ups;
/// every answer must be 200. Returns the latencies and the last body.
///
/// The body is read chunk by chunk into one buffer kept from request to
/// request: collecting each answer into a fresh buffer that doubles as it
/// grows (`Response::bytes`) cost the client about 2.5 ms of copies and page
/// faults per 4 MB report, inside the timed window and on the cores the
/// service shares.
pub async fn time_get(
    client: &reqwest::Client,
    url: &str,
    api_key: &str,
    queries: usize,
) -> Result<(Vec<f64>, String), String> {
    let mut samples = Vec::with_capacity(queries);
    let mut body = Vec::new();
    for i in 0..WARM_UPS + queries {
        let started = Instant::now();
        let mut response = client
            .get(url)
            .bearer_auth(api_key)
            .send()
            .await
            .map_err(|e| format!("GET {url}: {e}"))?;
        body.clear();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| format!("GET {url}: reading the answer: {e}"))?
        {
            body.extend_from_slice(&chunk);
        }
        // Timed to the last byte received; decoding it is the client's cost.
        let elapsed = started.elapsed().as_secs_f64() * 1000.0;
        if response.status() != reqwest::StatusCode::OK {
            return Err(format!(
                "GET {url} answered {}: {}",
                response.status(),
                clip(&String::from_utf8_lossy(&body))
            ));
        }
        if i >= WARM_UPS {
            samples.push(elapsed);
        }
    }
    Ok((samples, String::from_utf8_lossy(&body).into_owned()))
}

/// The two reports measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Daily30d,
    Hourly7dByTicketType,
}

impl Kind {
    pub fn days(self) -> i64 {
        match self {
            Self::Daily30d => 30,
            Self::Hourly7dByTicketType => 7,
        }
    }

    /// The path and query of the report ending at local midnight of `day`.
    pub fn path(self, day: NaiveDate) -> String {
        let from = day - chrono::Duration::days(self.days());
        match self {
            Self::Daily30d => {
                format!("/v1/reports/sales?from={from}&to={day}&granularity=day&tz={TZ}")
            }
            Self::Hourly7dByTicketType => format!(
                "/v1/reports/sales?from={from}&to={day}&granularity=hour&group_by=ticket_type&tz={TZ}"
            ),
        }
    }

    /// The same report by `GROUP BY` over the event log. Binds: $1
    /// reseller, $2 from, $3 to, $4 time zone.
    fn raw_sql(self) -> String {
        let (bucket, ticket_type, group) = match self {
            Self::Daily30d => ("date_trunc('day', e.occurred_at, $4)", "NULL::uuid", "1"),
            Self::Hourly7dByTicketType => (
                "date_trunc('hour', e.occurred_at, $4)",
                "(l->>'ticket_type_id')::uuid",
                "1, 2",
            ),
        };
        format!(
            "SELECT {bucket} AS b, {ticket_type} AS ticket_type_id, \
               count(DISTINCT e.order_id) FILTER (WHERE e.type = 'order.paid') AS paid_orders, \
               coalesce(sum((l->>'quantity')::bigint) FILTER (WHERE e.type = 'order.paid'), 0)::bigint, \
               coalesce(sum((l->>'quantity')::bigint * (l->>'unit_price_minor')::bigint) FILTER (WHERE e.type = 'order.paid'), 0)::bigint, \
               coalesce(sum((l->>'quantity')::bigint) FILTER (WHERE e.type = 'order.refunded'), 0)::bigint, \
               coalesce(sum((l->>'quantity')::bigint * (l->>'unit_price_minor')::bigint) FILTER (WHERE e.type = 'order.refunded'), 0)::bigint \
             FROM reseller.sale_events e CROSS JOIN LATERAL jsonb_array_elements(e.lines) AS l \
             WHERE e.reseller_id = $1 AND e.occurred_at >= $2 AND e.occurred_at < $3 \
               AND e.type IN ('order.paid', 'order.refunded') \
             GROUP BY {group} ORDER BY {group}"
        )
    }
}

/// Row count and the figures summed over the rows:
/// paid_orders, tickets_sold, gross_minor, refunded_tickets, refunded_minor.
pub type Sums = (usize, [i64; 5]);

type RawRow = (DateTime<Utc>, Option<Uuid>, i64, i64, i64, i64, i64);

/// Times the raw `GROUP BY` (p50 of `RAW_RUNS` after one untimed run) and
/// sums its rows.
pub async fn raw_group_by(
    conn: &mut PgConnection,
    kind: Kind,
    reseller_id: Uuid,
    day: NaiveDate,
) -> Result<(f64, Sums), String> {
    let (from, to): (DateTime<Utc>, DateTime<Utc>) = sqlx::query_as(
        "SELECT ($1::date - $2::int)::timestamp AT TIME ZONE $3, $1::date::timestamp AT TIME ZONE $3",
    )
    .bind(day)
    .bind(kind.days() as i32)
    .bind(TZ)
    .fetch_one(&mut *conn)
    .await
    .map_err(db_error)?;
    let sql = kind.raw_sql();
    let mut samples = Vec::new();
    let mut sums = (0, [0; 5]);
    for run in 0..=RAW_RUNS {
        let started = Instant::now();
        let rows: Vec<RawRow> = sqlx::query_as(&sql)
            .bind(reseller_id)
            .bind(from)
            .bind(to)
            .bind(TZ)
            .fetch_all(&mut *conn)
            .await
            .map_err(db_error)?;
        if run > 0 {
            samples.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        sums = (rows.len(), [0; 5]);
        for r in &rows {
            for (sum, v) in sums.1.iter_mut().zip([r.2, r.3, r.4, r.5, r.6]) {
                *sum += v;
            }
        }
    }
    let p50 = percentile(&samples, 50.0).ok_or("no raw GROUP BY run")?;
    Ok((p50, sums))
}

/// The rows of a report answer, summed like [`raw_group_by`].
pub fn report_sums(body: &str) -> Result<Sums, String> {
    let value: Value =
        serde_json::from_str(body).map_err(|e| format!("the report is not JSON: {e}"))?;
    let rows = value["rows"]
        .as_array()
        .ok_or("the report has no rows array")?;
    let mut sums = [0i64; 5];
    for row in rows {
        for (sum, field) in sums.iter_mut().zip([
            "paid_orders",
            "tickets_sold",
            "gross_minor",
            "refunded_tickets",
            "refunded_minor",
        ]) {
            *sum += row[field]
                .as_i64()
                .ok_or_else(|| format!("a report row has no {field}"))?;
        }
    }
    Ok((rows.len(), sums))
}

/// The cursor of `GET /v1/orders` that lists the rows after this one
/// (newest first): base64url without padding of the creation instant in
/// microseconds since the epoch (8 bytes, big-endian) and the order id.
pub fn order_cursor(created_at: DateTime<Utc>, order_id: Uuid) -> String {
    let mut bytes = created_at.timestamp_micros().to_be_bytes().to_vec();
    bytes.extend_from_slice(order_id.as_bytes());
    platform::pagination::base64url_encode(&bytes)
}

/// The cursor of page `page` (1-based) and the id of that page's first
/// order, or `None` when the list is too short for a full page there.
pub async fn deep_cursor(
    conn: &mut PgConnection,
    reseller_id: Uuid,
    page: u64,
) -> Result<Option<(String, Uuid)>, String> {
    let skip = (page - 1) * PAGE;
    let rows: Vec<(DateTime<Utc>, Uuid)> = sqlx::query_as(
        "SELECT created_at, order_id FROM reseller.orders WHERE reseller_id = $1 \
         ORDER BY created_at DESC, order_id DESC OFFSET $2 LIMIT $3",
    )
    .bind(reseller_id)
    .bind((skip - 1) as i64)
    .bind((PAGE + 1) as i64)
    .fetch_all(conn)
    .await
    .map_err(db_error)?;
    if rows.len() < (PAGE + 1) as usize {
        return Ok(None);
    }
    Ok(Some((order_cursor(rows[0].0, rows[0].1), rows[1].1)))
}

/// Checks a page answer: `PAGE` rows, the first one `first`.
pub fn check_page(body: &str, first: Option<Uuid>) -> Result<(), String> {
    let value: Value =
        serde_json::from_str(body).map_err(|e| format!("the order page is not JSON: {e}"))?;
    let data = value["data"]
        .as_array()
        .ok_or("the order page has no data array")?;
    if data.len() as u64 != PAGE {
        return Err(format!(
            "the order page has {} rows, not {PAGE}",
            data.len()
        ));
    }
    if let Some(first) = first {
        let got = data[0]["id"].as_str().unwrap_or_default();
        if got != first.to_string() {
            return Err(format!("the deep page starts at {got}, not at {first}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use platform::pagination::base64url_decode;

    #[test]
    fn cursors_are_micros_then_the_id() {
        let at = DateTime::from_timestamp_micros(1_790_000_000_123_456).expect("in range");
        let id = Uuid::from_u128(0x0102_0304_0506_0708_090a_0b0c_0d0e_0f10);
        let cursor = order_cursor(at, id);
        assert_eq!(cursor.len(), 32, "24 bytes, no padding");
        assert!(!cursor.contains(['=', '+', '/']));
        let bytes = base64url_decode(&cursor).expect("base64url");
        assert_eq!(bytes[..8], 1_790_000_000_123_456i64.to_be_bytes());
        assert_eq!(bytes[8..], *id.as_bytes());
        let epoch = DateTime::from_timestamp_micros(0).expect("in range");
        assert_eq!(order_cursor(epoch, Uuid::nil()), "A".repeat(32));
    }

    #[test]
    fn latencies_are_nearest_rank_percentiles() {
        let samples: Vec<f64> = (1..=100).map(f64::from).collect();
        let l = Latency::of(&samples);
        assert_eq!((l.p50_ms, l.p99_ms), (Some(50.0), Some(99.0)));
        let l = Latency::of(&[3.0, 1.0, 2.0]);
        assert_eq!((l.p50_ms, l.p99_ms), (Some(2.0), Some(3.0)));
        assert_eq!(Latency::of(&[]), Latency::default());
    }

    #[test]
    fn report_paths_end_at_local_midnight() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 25).expect("a date");
        assert_eq!(
            Kind::Daily30d.path(day),
            "/v1/reports/sales?from=2026-10-26&to=2026-11-25&granularity=day&tz=Asia/Jakarta"
        );
        assert!(Kind::Hourly7dByTicketType
            .path(day)
            .contains("from=2026-11-18&to=2026-11-25&granularity=hour&group_by=ticket_type"));
    }

    #[test]
    fn report_rows_are_summed() {
        let body = r#"{"rows":[{"paid_orders":2,"tickets_sold":3,"gross_minor":30,"refunded_tickets":0,"refunded_minor":0},
                       {"paid_orders":1,"tickets_sold":1,"gross_minor":10,"refunded_tickets":1,"refunded_minor":10}],"totals":[]}"#;
        assert_eq!(report_sums(body), Ok((2, [3, 4, 40, 1, 10])));
        assert!(report_sums("{}").is_err());
    }
}
