//! The data of a `reports` run, written directly with SQL as the superuser:
//! sale events made with `generate_series` (the HTTP ingest is measured by
//! `loadgen ingest`; this benchmark measures reads), then the projections
//! derived from exactly those events the way the ingest does
//! (`reseller_service::ingest`): orders, the 15-minute rollups with their
//! paid-order counts, the hourly rollups, the paid-order keys and the ticket
//! types' `sold`.
//!
//! Order `k` (a global counter, so a larger size adds orders after the
//! previous ones) has an `order.created` event, an `order.paid` event 1 to
//! 10 minutes later and, when `k % 10 == 0`, an `order.refunded` of one
//! ticket of its first line a day later (never after the run's anchor
//! instant): 2.1 events per order. Its attributes come from
//! `hashint8extended(k, salt)`, so a run is reproducible from its seed.

use std::time::Instant;

use chrono::{DateTime, Utc};
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

use crate::{catalog::Reseller, env::db_error};

/// Orders per statement: about a million events.
pub const ORDERS_PER_CHUNK: u64 = 476_190;

/// Events of the first `orders` orders.
pub fn events_for_orders(orders: u64) -> u64 {
    2 * orders + orders.div_ceil(10)
}

/// The fewest orders whose events reach `events`.
pub fn orders_for_events(events: u64) -> u64 {
    let mut orders = (events * 10) / 21;
    while events_for_orders(orders) < events {
        orders += 1;
    }
    orders
}

/// The session's settings and the catalog as a temporary table.
pub async fn prepare(conn: &mut PgConnection, reseller: &Reseller) -> Result<(), String> {
    sqlx::raw_sql(
        "SET TIME ZONE 'UTC'; SET synchronous_commit = off; SET work_mem = '256MB'; \
         SET maintenance_work_mem = '1GB'; \
         CREATE TEMP TABLE lg_catalog (show_no int, tt_no int, show_id uuid, ticket_type_id uuid, \
           price bigint, PRIMARY KEY (show_no, tt_no))",
    )
    .execute(&mut *conn)
    .await
    .map_err(db_error)?;
    let mut rows = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (s, show) in reseller.shows.iter().enumerate() {
        for (t, tt) in show.ticket_types.iter().enumerate() {
            rows.0.push(s as i32);
            rows.1.push(t as i32);
            rows.2.push(show.id);
            rows.3.push(tt.id);
            rows.4.push(tt.unit_price_minor);
        }
    }
    sqlx::query(
        "INSERT INTO lg_catalog SELECT * FROM unnest($1::int[], $2::int[], $3::uuid[], $4::uuid[], $5::bigint[])",
    )
    .bind(rows.0)
    .bind(rows.1)
    .bind(rows.2)
    .bind(rows.3)
    .bind(rows.4)
    .execute(conn)
    .await
    .map_err(db_error)?;
    Ok(())
}

/// What one chunk needs besides its order range.
#[derive(Debug, Clone)]
pub struct Plan {
    pub reseller_id: Uuid,
    /// Every event is at or before this instant.
    pub anchor: DateTime<Utc>,
    pub salt: String,
    pub shows: i64,
    pub ticket_types: i64,
}

/// The chunk's events, as a temporary table `lg_events`. Binds: $1 first
/// order, $2 end (exclusive), $3 reseller, $4 anchor, $5 salt, $6 shows,
/// $7 ticket types per show.
const EVENTS_SQL: &str = "
CREATE TEMP TABLE lg_events ON COMMIT DROP AS
WITH o AS (
  SELECT k, md5($5 || ':' || k) AS h,
    ((hashint8extended(k, 1) & 9223372036854775807) % $6)::int AS show_no,
    (hashint8extended(k, 2) & 9223372036854775807) % 100 AS channel_pick,
    $4::timestamptz - interval '15 minutes'
      - ((hashint8extended(k, 3) & 9223372036854775807) % 31536000000000) * interval '1 microsecond' AS created_at,
    (60 + (hashint8extended(k, 4) & 9223372036854775807) % 540) * interval '1 second' AS pay_delay,
    ((hashint8extended(k, 5) & 9223372036854775807) % $7)::int AS tt1,
    ((hashint8extended(k, 6) & 9223372036854775807) % greatest($7 - 1, 1))::int + 1 AS tt_step,
    (hashint8extended(k, 7) & 9223372036854775807) % 100 < 40 AS two_lines,
    1 + (hashint8extended(k, 8) & 9223372036854775807) % 4 AS q1,
    1 + (hashint8extended(k, 9) & 9223372036854775807) % 4 AS q2,
    k % 10 = 0 AS refunded
  FROM generate_series($1::bigint, $2::bigint - 1) AS k
), d AS (
  SELECT o.k, o.h, c1.show_id,
    CASE WHEN o.channel_pick < 50 THEN 'web' WHEN o.channel_pick < 85 THEN 'app' ELSE 'partner_1' END AS channel,
    o.created_at, o.created_at + o.pay_delay AS paid_at,
    CASE WHEN o.refunded THEN least(o.created_at + o.pay_delay + interval '1 day', $4::timestamptz) END AS refunded_at,
    jsonb_build_array(jsonb_build_object('ticket_type_id', c1.ticket_type_id, 'quantity', o.q1, 'unit_price_minor', c1.price))
      || CASE WHEN o.two_lines AND $7 > 1 THEN
           jsonb_build_array(jsonb_build_object('ticket_type_id', c2.ticket_type_id, 'quantity', o.q2, 'unit_price_minor', c2.price))
         ELSE '[]'::jsonb END AS lines,
    jsonb_build_array(jsonb_build_object('ticket_type_id', c1.ticket_type_id, 'quantity', 1, 'unit_price_minor', c1.price)) AS refund_lines
  FROM o
  JOIN lg_catalog c1 ON c1.show_no = o.show_no AND c1.tt_no = o.tt1
  JOIN lg_catalog c2 ON c2.show_no = o.show_no AND c2.tt_no = (o.tt1 + o.tt_step) % $7
)
SELECT $3::uuid AS reseller_id, (left(d.h, 30) || x.suffix)::uuid AS event_id, x.type, x.occurred_at,
  d.show_id, (left(d.h, 30) || '00')::uuid AS order_id, d.channel, 'IDR'::text AS currency, x.lines,
  'cust-' || (d.k % 1000003) AS customer_ref
FROM d CROSS JOIN LATERAL (VALUES
    ('01', 'order.created', d.created_at, d.lines),
    ('02', 'order.paid', d.paid_at, d.lines),
    ('03', 'order.refunded', d.refunded_at, d.refund_lines)
  ) AS x(suffix, type, occurred_at, lines)
WHERE x.occurred_at IS NOT NULL";

/// The statements that follow, in order, each over `lg_events`.
const DERIVE_SQL: [(&str, &str); 8] = [
    (
        "insert events",
        "INSERT INTO reseller.sale_events (reseller_id, event_id, type, occurred_at, show_id, order_id, channel, \
           currency, lines, customer_ref, content_hash) \
         SELECT reseller_id, event_id, type, occurred_at, show_id, order_id, channel, currency, lines, customer_ref, \
           decode(md5(event_id::text) || md5(event_id::text), 'hex') \
         FROM lg_events ORDER BY event_id",
    ),
    (
        "lines",
        "CREATE TEMP TABLE lg_lines ON COMMIT DROP AS \
         SELECT e.reseller_id, e.order_id, e.event_id, e.type, e.show_id, e.channel, e.currency, \
           date_trunc('hour', e.occurred_at, 'UTC') \
             + floor(extract(minute FROM e.occurred_at AT TIME ZONE 'UTC') / 15) * interval '15 min' AS bucket_start, \
           (l->>'ticket_type_id')::uuid AS ticket_type_id, (l->>'quantity')::bigint AS quantity, \
           (l->>'unit_price_minor')::bigint AS unit_price_minor \
         FROM lg_events e CROSS JOIN LATERAL jsonb_array_elements(e.lines) AS l \
         WHERE e.type IN ('order.paid', 'order.refunded')",
    ),
    (
        "paid keys",
        "CREATE TEMP TABLE lg_new_paid (reseller_id uuid, order_id uuid, bucket_start timestamptz, ticket_type_id uuid) \
           ON COMMIT DROP; \
         WITH keys AS ( \
           SELECT reseller_id, order_id, bucket_start, ticket_type_id FROM lg_lines WHERE type = 'order.paid' \
           UNION \
           SELECT reseller_id, order_id, bucket_start, '00000000-0000-0000-0000-000000000000'::uuid \
           FROM lg_lines WHERE type = 'order.paid' \
         ), ins AS ( \
           INSERT INTO reseller.paid_order_buckets (reseller_id, order_id, bucket_start, ticket_type_id) \
           SELECT * FROM keys ORDER BY 1, 2, 3, 4 \
           ON CONFLICT DO NOTHING RETURNING reseller_id, order_id, bucket_start, ticket_type_id \
         ) INSERT INTO lg_new_paid SELECT * FROM ins; \
         CREATE TEMP TABLE lg_rep ON COMMIT DROP AS \
         SELECT DISTINCT ON (order_id, bucket_start) order_id, bucket_start, show_id, channel, currency \
         FROM lg_lines WHERE type = 'order.paid' ORDER BY order_id, bucket_start, event_id",
    ),
    (
        "ticket-type rollups",
        "CREATE TEMP TABLE lg_tt ON COMMIT DROP AS \
         WITH counts AS ( \
           SELECT n.reseller_id, n.bucket_start, r.show_id, n.ticket_type_id, r.channel, r.currency, \
             count(*) AS paid_orders \
           FROM lg_new_paid n JOIN lg_rep r USING (order_id, bucket_start) \
           WHERE n.ticket_type_id <> '00000000-0000-0000-0000-000000000000' \
           GROUP BY 1, 2, 3, 4, 5, 6 \
         ), figures AS ( \
           SELECT reseller_id, bucket_start, show_id, ticket_type_id, channel, currency, \
             coalesce(sum(quantity) FILTER (WHERE type = 'order.paid'), 0) AS tickets_sold, \
             coalesce(sum(quantity * unit_price_minor) FILTER (WHERE type = 'order.paid'), 0) AS gross_minor, \
             coalesce(sum(quantity) FILTER (WHERE type = 'order.refunded'), 0) AS refunded_tickets, \
             coalesce(sum(quantity * unit_price_minor) FILTER (WHERE type = 'order.refunded'), 0) AS refunded_minor \
           FROM lg_lines GROUP BY 1, 2, 3, 4, 5, 6 \
         ) \
         SELECT reseller_id, bucket_start, show_id, ticket_type_id, channel, currency, \
           coalesce(c.paid_orders, 0) AS paid_orders, coalesce(f.tickets_sold, 0) AS tickets_sold, \
           coalesce(f.gross_minor, 0) AS gross_minor, coalesce(f.refunded_tickets, 0) AS refunded_tickets, \
           coalesce(f.refunded_minor, 0) AS refunded_minor \
         FROM figures f FULL JOIN counts c USING (reseller_id, bucket_start, show_id, ticket_type_id, channel, currency); \
         INSERT INTO reseller.sales_rollup_15m AS r (reseller_id, bucket_start, show_id, ticket_type_id, channel, \
           currency, paid_orders, tickets_sold, gross_minor, refunded_tickets, refunded_minor) \
         SELECT * FROM lg_tt ORDER BY 1, 2, 3, 4, 5, 6 \
         ON CONFLICT (reseller_id, bucket_start, show_id, ticket_type_id, channel, currency) DO UPDATE SET \
           paid_orders = r.paid_orders + EXCLUDED.paid_orders, \
           tickets_sold = r.tickets_sold + EXCLUDED.tickets_sold, \
           gross_minor = r.gross_minor + EXCLUDED.gross_minor, \
           refunded_tickets = r.refunded_tickets + EXCLUDED.refunded_tickets, \
           refunded_minor = r.refunded_minor + EXCLUDED.refunded_minor",
    ),
    (
        "order rollups",
        "CREATE TEMP TABLE lg_oc ON COMMIT DROP AS \
         SELECT n.reseller_id, n.bucket_start, r.show_id, r.channel, r.currency, count(*) AS paid_orders \
         FROM lg_new_paid n JOIN lg_rep r USING (order_id, bucket_start) \
         WHERE n.ticket_type_id = '00000000-0000-0000-0000-000000000000' \
         GROUP BY 1, 2, 3, 4, 5; \
         INSERT INTO reseller.sales_orders_15m AS r (reseller_id, bucket_start, show_id, channel, currency, paid_orders) \
         SELECT * FROM lg_oc ORDER BY 1, 2, 3, 4, 5 \
         ON CONFLICT (reseller_id, bucket_start, show_id, channel, currency) DO UPDATE SET \
           paid_orders = r.paid_orders + EXCLUDED.paid_orders",
    ),
    (
        // The ingest adds the same deltas, per UTC hour, to the hourly
        // rollups (reseller_service::ingest::Hourly).
        "hourly rollups",
        "CREATE TEMP TABLE lg_hourly_show ON COMMIT DROP AS \
         SELECT reseller_id, hour_start, show_id, currency, sum(paid_orders) AS paid_orders, \
           sum(tickets_sold) AS tickets_sold, sum(gross_minor) AS gross_minor, \
           sum(refunded_tickets) AS refunded_tickets, sum(refunded_minor) AS refunded_minor \
         FROM (SELECT reseller_id, date_trunc('hour', bucket_start, 'UTC') AS hour_start, show_id, currency, \
                 0::bigint AS paid_orders, tickets_sold, gross_minor, refunded_tickets, refunded_minor FROM lg_tt \
               UNION ALL \
               SELECT reseller_id, date_trunc('hour', bucket_start, 'UTC'), show_id, currency, paid_orders, 0, 0, 0, 0 \
               FROM lg_oc) AS d \
         GROUP BY 1, 2, 3, 4; \
         INSERT INTO reseller.sales_hourly AS r (reseller_id, hour_start, currency, paid_orders, tickets_sold, \
           gross_minor, refunded_tickets, refunded_minor) \
         SELECT reseller_id, hour_start, currency, sum(paid_orders), sum(tickets_sold), sum(gross_minor), \
           sum(refunded_tickets), sum(refunded_minor) \
         FROM lg_hourly_show GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 \
         ON CONFLICT (reseller_id, hour_start, currency) DO UPDATE SET \
           paid_orders = r.paid_orders + EXCLUDED.paid_orders, tickets_sold = r.tickets_sold + EXCLUDED.tickets_sold, \
           gross_minor = r.gross_minor + EXCLUDED.gross_minor, \
           refunded_tickets = r.refunded_tickets + EXCLUDED.refunded_tickets, \
           refunded_minor = r.refunded_minor + EXCLUDED.refunded_minor; \
         INSERT INTO reseller.sales_hourly_by_show AS r (reseller_id, hour_start, show_id, currency, paid_orders, \
           tickets_sold, gross_minor, refunded_tickets, refunded_minor) \
         SELECT * FROM lg_hourly_show ORDER BY 1, 2, 3, 4 \
         ON CONFLICT (reseller_id, hour_start, show_id, currency) DO UPDATE SET \
           paid_orders = r.paid_orders + EXCLUDED.paid_orders, tickets_sold = r.tickets_sold + EXCLUDED.tickets_sold, \
           gross_minor = r.gross_minor + EXCLUDED.gross_minor, \
           refunded_tickets = r.refunded_tickets + EXCLUDED.refunded_tickets, \
           refunded_minor = r.refunded_minor + EXCLUDED.refunded_minor; \
         CREATE TEMP TABLE lg_tt_hours ON COMMIT DROP AS \
         SELECT reseller_id, date_trunc('day', bucket_start, 'UTC') AS day_start, ticket_type_id, currency, \
           show_id, extract(hour FROM bucket_start AT TIME ZONE 'UTC')::int AS n, \
           sum(paid_orders) AS paid_orders, sum(tickets_sold) AS tickets_sold, sum(gross_minor) AS gross_minor, \
           sum(refunded_tickets) AS refunded_tickets, sum(refunded_minor) AS refunded_minor \
         FROM lg_tt GROUP BY 1, 2, 3, 4, 5, 6; \
         ANALYZE lg_tt_hours; \
         INSERT INTO reseller.sales_hours_by_ticket_type AS r (reseller_id, day_start, ticket_type_id, currency, \
           show_id, figures) \
         SELECT k.reseller_id, k.day_start, k.ticket_type_id, k.currency, k.show_id, \
           string_agg(int8send(coalesce(f.v, 0)::bigint), ''::bytea ORDER BY h.n, f.i) \
         FROM (SELECT DISTINCT reseller_id, day_start, ticket_type_id, currency, show_id FROM lg_tt_hours) AS k \
         CROSS JOIN generate_series(0, 23) AS h(n) \
         LEFT JOIN lg_tt_hours c ON c.reseller_id = k.reseller_id AND c.day_start = k.day_start \
           AND c.ticket_type_id = k.ticket_type_id AND c.currency = k.currency AND c.n = h.n \
         CROSS JOIN LATERAL unnest(ARRAY[c.paid_orders, c.tickets_sold, c.gross_minor, c.refunded_tickets, \
           c.refunded_minor]) WITH ORDINALITY AS f(v, i) \
         GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4 \
         ON CONFLICT (reseller_id, day_start, ticket_type_id, currency) DO UPDATE SET figures = ( \
           SELECT string_agg(int8send(reseller.hour_figure(r.figures, x, y) \
             + reseller.hour_figure(EXCLUDED.figures, x, y)), ''::bytea ORDER BY x, y) \
           FROM generate_series(0, 23) AS x CROSS JOIN generate_series(0, 4) AS y)",
    ),
    (
        "sold",
        "UPDATE reseller.ticket_types t SET sold = t.sold + d.delta \
         FROM (SELECT reseller_id, ticket_type_id, \
                 sum(CASE WHEN type = 'order.paid' THEN quantity ELSE -quantity END) AS delta \
               FROM lg_lines GROUP BY 1, 2) AS d \
         WHERE t.reseller_id = d.reseller_id AND t.ticket_type_id = d.ticket_type_id AND d.delta <> 0",
    ),
    (
        "orders",
        "INSERT INTO reseller.orders AS o (reseller_id, order_id, first_event_at, first_event_id, show_id, channel, \
           currency, paid, cancelled, expired, tickets, gross_minor, refunded_tickets, refunded_minor, \
           created_event_at, paid_at, last_event_at, event_count, paid_buckets) \
         SELECT e.reseller_id, e.order_id, min(e.occurred_at), \
           (array_agg(e.event_id ORDER BY e.occurred_at, e.event_id))[1], \
           (array_agg(e.show_id ORDER BY e.occurred_at, e.event_id))[1], \
           (array_agg(e.channel ORDER BY e.occurred_at, e.event_id))[1], \
           (array_agg(e.currency ORDER BY e.occurred_at, e.event_id))[1], \
           bool_or(e.type = 'order.paid'), bool_or(e.type = 'order.cancelled'), bool_or(e.type = 'order.expired'), \
           coalesce(sum(s.q) FILTER (WHERE e.type = 'order.paid'), 0), \
           coalesce(sum(s.a) FILTER (WHERE e.type = 'order.paid'), 0), \
           coalesce(sum(s.q) FILTER (WHERE e.type = 'order.refunded'), 0), \
           coalesce(sum(s.a) FILTER (WHERE e.type = 'order.refunded'), 0), \
           min(e.occurred_at) FILTER (WHERE e.type = 'order.created'), \
           min(e.occurred_at) FILTER (WHERE e.type = 'order.paid'), \
           max(e.occurred_at), count(*)::int, \
           count(DISTINCT date_bin('15 minutes', e.occurred_at, TIMESTAMPTZ '2000-01-01 00:00:00+00')) \
             FILTER (WHERE e.type = 'order.paid')::int \
         FROM lg_events e CROSS JOIN LATERAL ( \
           SELECT sum((l->>'quantity')::bigint) AS q, \
             sum((l->>'quantity')::bigint * (l->>'unit_price_minor')::bigint) AS a \
           FROM jsonb_array_elements(e.lines) AS l) AS s \
         GROUP BY e.reseller_id, e.order_id ORDER BY e.reseller_id, e.order_id \
         ON CONFLICT (reseller_id, order_id) DO UPDATE SET \
           show_id = CASE WHEN (EXCLUDED.first_event_at, EXCLUDED.first_event_id) < (o.first_event_at, o.first_event_id) \
             THEN EXCLUDED.show_id ELSE o.show_id END, \
           channel = CASE WHEN (EXCLUDED.first_event_at, EXCLUDED.first_event_id) < (o.first_event_at, o.first_event_id) \
             THEN EXCLUDED.channel ELSE o.channel END, \
           currency = CASE WHEN (EXCLUDED.first_event_at, EXCLUDED.first_event_id) < (o.first_event_at, o.first_event_id) \
             THEN EXCLUDED.currency ELSE o.currency END, \
           first_event_id = CASE WHEN (EXCLUDED.first_event_at, EXCLUDED.first_event_id) < (o.first_event_at, o.first_event_id) \
             THEN EXCLUDED.first_event_id ELSE o.first_event_id END, \
           first_event_at = LEAST(o.first_event_at, EXCLUDED.first_event_at), \
           paid = o.paid OR EXCLUDED.paid, cancelled = o.cancelled OR EXCLUDED.cancelled, \
           expired = o.expired OR EXCLUDED.expired, \
           tickets = o.tickets + EXCLUDED.tickets, gross_minor = o.gross_minor + EXCLUDED.gross_minor, \
           refunded_tickets = o.refunded_tickets + EXCLUDED.refunded_tickets, \
           refunded_minor = o.refunded_minor + EXCLUDED.refunded_minor, \
           created_event_at = LEAST(o.created_event_at, EXCLUDED.created_event_at), \
           paid_at = LEAST(o.paid_at, EXCLUDED.paid_at), \
           last_event_at = GREATEST(o.last_event_at, EXCLUDED.last_event_at), \
           event_count = o.event_count + EXCLUDED.event_count, \
           paid_buckets = o.paid_buckets + EXCLUDED.paid_buckets",
    ),
];

/// Adds orders `from..to` (and their events) in chunks, one transaction
/// each; returns the events written.
#[allow(clippy::print_stderr)] // progress for the person watching
pub async fn add_orders(
    conn: &mut PgConnection,
    plan: &Plan,
    from: u64,
    to: u64,
) -> Result<u64, String> {
    let mut written = 0;
    let mut start = from;
    let started = Instant::now();
    while start < to {
        let end = (start + ORDERS_PER_CHUNK).min(to);
        let chunk_started = Instant::now();
        let mut tx = conn.begin().await.map_err(db_error)?;
        let events = sqlx::query(EVENTS_SQL)
            .bind(start as i64)
            .bind(end as i64)
            .bind(plan.reseller_id)
            .bind(plan.anchor)
            .bind(&plan.salt)
            .bind(plan.shows)
            .bind(plan.ticket_types)
            .execute(&mut *tx)
            .await
            .map_err(|e| format!("generating events: {}", db_error(e)))?
            .rows_affected();
        let mut steps = Vec::new();
        for (name, sql) in DERIVE_SQL {
            let step_started = Instant::now();
            sqlx::raw_sql(sql)
                .execute(&mut *tx)
                .await
                .map_err(|e| format!("{name}: {}", db_error(e)))?;
            steps.push(format!(
                "{name} {:.1}s",
                step_started.elapsed().as_secs_f64()
            ));
        }
        tx.commit().await.map_err(db_error)?;
        written += events;
        eprintln!(
            "loadgen:   orders {start}..{end}: {events} events in {:.1} s ({}); {:.0} s so far",
            chunk_started.elapsed().as_secs_f64(),
            steps.join(", "),
            started.elapsed().as_secs_f64()
        );
        start = end;
    }
    Ok(written)
}

/// Refreshes the planner's statistics and the visibility maps, as
/// autovacuum would after a load, then writes the load out (CHECKPOINT).
pub async fn vacuum_analyze(conn: &mut PgConnection) -> Result<(), String> {
    sqlx::raw_sql(
        "VACUUM (ANALYZE) reseller.sale_events, reseller.orders, reseller.sales_rollup_15m, \
         reseller.sales_orders_15m, reseller.paid_order_buckets, reseller.ticket_types, \
         reseller.sales_hourly, reseller.sales_hourly_by_show, reseller.sales_hours_by_ticket_type",
    )
    .execute(&mut *conn)
    .await
    .map_err(db_error)?;
    // The load dirtied gigabytes; flushed now, not by a timed checkpoint in
    // the middle of the timed requests.
    sqlx::raw_sql("CHECKPOINT")
        .execute(conn)
        .await
        .map_err(db_error)?;
    Ok(())
}

/// Figures of the reseller, from the projections and from the event log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    pub events: i64,
    pub orders: i64,
    pub rollup_rows: i64,
    pub hourly_rollup_rows: i64,
    pub problems: Vec<String>,
}

/// Counts and the sanity checks: the rollups, order counts, orders and
/// `sold` against sums over the event log.
pub async fn check(conn: &mut PgConnection, reseller_id: Uuid) -> Result<Totals, String> {
    let log: (i64, i64, i64, i64, i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE e.type = 'order.created'), \
           count(*) FILTER (WHERE e.type = 'order.paid'), \
           coalesce(sum(s.q) FILTER (WHERE e.type = 'order.paid'), 0)::bigint, \
           coalesce(sum(s.a) FILTER (WHERE e.type = 'order.paid'), 0)::bigint, \
           coalesce(sum(s.q) FILTER (WHERE e.type = 'order.refunded'), 0)::bigint, \
           coalesce(sum(s.a) FILTER (WHERE e.type = 'order.refunded'), 0)::bigint \
         FROM reseller.sale_events e CROSS JOIN LATERAL ( \
           SELECT sum((l->>'quantity')::bigint) AS q, \
             sum((l->>'quantity')::bigint * (l->>'unit_price_minor')::bigint) AS a \
           FROM jsonb_array_elements(e.lines) AS l) AS s \
         WHERE e.reseller_id = $1",
    )
    .bind(reseller_id)
    .fetch_one(&mut *conn)
    .await
    .map_err(db_error)?;
    let projected: (i64, i64, i64, i64, i64, i64, i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM reseller.orders WHERE reseller_id = $1), \
           (SELECT count(*) FROM reseller.sales_rollup_15m WHERE reseller_id = $1), \
           (SELECT coalesce(sum(paid_orders), 0)::bigint FROM reseller.sales_orders_15m WHERE reseller_id = $1), \
           r.tickets, r.gross, r.refunded_tickets, r.refunded, \
           (SELECT coalesce(sum(sold), 0)::bigint FROM reseller.ticket_types WHERE reseller_id = $1), \
           (SELECT coalesce(sum(gross_minor), 0)::bigint FROM reseller.orders WHERE reseller_id = $1) \
         FROM (SELECT coalesce(sum(tickets_sold), 0)::bigint AS tickets, coalesce(sum(gross_minor), 0)::bigint AS gross, \
                 coalesce(sum(refunded_tickets), 0)::bigint AS refunded_tickets, \
                 coalesce(sum(refunded_minor), 0)::bigint AS refunded \
               FROM reseller.sales_rollup_15m WHERE reseller_id = $1) AS r",
    )
    .bind(reseller_id)
    .fetch_one(&mut *conn)
    .await
    .map_err(db_error)?;
    // Each hourly table: its figures summed, and paid_orders.
    let mut hourly = Vec::new();
    for table in [
        "sales_hourly",
        "sales_hourly_by_show",
        "sales_hourly_by_ticket_type",
    ] {
        let sums: (i64, i64, i64, i64, i64, i64) = sqlx::query_as(&format!(
            "SELECT count(*), coalesce(sum(paid_orders), 0)::bigint, coalesce(sum(tickets_sold), 0)::bigint, \
               coalesce(sum(gross_minor), 0)::bigint, coalesce(sum(refunded_tickets), 0)::bigint, \
               coalesce(sum(refunded_minor), 0)::bigint \
             FROM reseller.{table} WHERE reseller_id = $1"
        ))
        .bind(reseller_id)
        .fetch_one(&mut *conn)
        .await
        .map_err(db_error)?;
        hourly.push((table, sums));
    }
    let tt_paid_orders: i64 = sqlx::query_scalar(
        "SELECT coalesce(sum(paid_orders), 0)::bigint FROM reseller.sales_rollup_15m WHERE reseller_id = $1",
    )
    .bind(reseller_id)
    .fetch_one(&mut *conn)
    .await
    .map_err(db_error)?;
    let (events, created, paid, tickets, gross, refunded_tickets, refunded) = log;
    let (
        orders,
        rollup_rows,
        paid_orders,
        r_tickets,
        r_gross,
        r_ref_tickets,
        r_refunded,
        sold,
        o_gross,
    ) = projected;
    let mut problems = Vec::new();
    let mut expect = |what: &str, projected: i64, from_log: i64| {
        if projected != from_log {
            problems.push(format!(
                "{what}: {projected} in the projections, {from_log} from the event log"
            ));
        }
    };
    expect("orders", orders, created);
    expect("paid orders (sales_orders_15m)", paid_orders, paid);
    expect("tickets sold (rollups)", r_tickets, tickets);
    expect("gross (rollups)", r_gross, gross);
    expect("gross (orders)", o_gross, gross);
    expect(
        "refunded tickets (rollups)",
        r_ref_tickets,
        refunded_tickets,
    );
    expect("refunded (rollups)", r_refunded, refunded);
    expect("sold (ticket types)", sold, tickets - refunded_tickets);
    for (table, (_, h_paid, h_tickets, h_gross, h_ref_tickets, h_refunded)) in &hourly {
        let paid_expected = if *table == "sales_hourly_by_ticket_type" {
            tt_paid_orders
        } else {
            paid
        };
        expect(&format!("paid orders ({table})"), *h_paid, paid_expected);
        expect(&format!("tickets sold ({table})"), *h_tickets, tickets);
        expect(&format!("gross ({table})"), *h_gross, gross);
        expect(
            &format!("refunded tickets ({table})"),
            *h_ref_tickets,
            refunded_tickets,
        );
        expect(&format!("refunded ({table})"), *h_refunded, refunded);
    }
    Ok(Totals {
        events,
        orders,
        rollup_rows,
        hourly_rollup_rows: hourly.last().map_or(0, |(_, sums)| sums.0),
        problems,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_and_events_agree() {
        assert_eq!(events_for_orders(0), 0);
        assert_eq!(events_for_orders(1), 3);
        assert_eq!(events_for_orders(10), 21);
        assert_eq!(events_for_orders(11), 24);
        for events in [1, 2, 3, 4, 21, 200_000, 1_000_000, 10_000_000] {
            let orders = orders_for_events(events);
            assert!(events_for_orders(orders) >= events);
            assert!(orders == 0 || events_for_orders(orders - 1) < events);
        }
        assert_eq!(orders_for_events(1_000_000), 476_191);
    }
}
