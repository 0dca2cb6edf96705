//! After the run: are exactly the acknowledged events in the event log, once
//! each? Counted as the superuser (or the `DATABASE_URL` user, with the
//! platform scope so row-level security shows every reseller's rows).

use sqlx::PgConnection;
use uuid::Uuid;

use crate::{env::db_error, workload::Event};

const IDS_PER_QUERY: usize = 20_000;

#[derive(Debug, Clone, Default)]
pub struct Verification {
    /// Distinct events acknowledged by a 200.
    pub acknowledged: u64,
    /// Of those, how many are in `reseller.sale_events`.
    pub stored: u64,
    pub lost: u64,
    /// Rows beyond one per event id, over every event sent.
    pub duplicated: u64,
    /// Rows of events sent but never acknowledged (rejected, conflicting, or
    /// in a batch given up after it was committed).
    pub stored_unacknowledged: u64,
    /// All rows of the table.
    pub table_rows: u64,
    /// Rows of events this run never sent (only meaningful on a fresh
    /// database).
    pub foreign_rows: u64,
    pub problems: Vec<String>,
}

impl Verification {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Checks the events of every sending phase: `(events, acknowledged flags)`.
/// `fresh`: the database was created by this run; `gave_up`: batches not
/// answered 200, whose events may have been committed anyway.
pub async fn check(
    conn: &mut PgConnection,
    phases: &[(&[Event], &[bool])],
    fresh: bool,
    gave_up: u64,
) -> Result<Verification, String> {
    sqlx::query("SELECT set_config('app.scope', 'platform', false)")
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    let mut acked = Vec::new();
    let mut unacked = Vec::new();
    for (events, flags) in phases {
        for (event, flag) in events.iter().zip(flags.iter()) {
            if *flag {
                acked.push(event.event_id);
            } else {
                unacked.push(event.event_id);
            }
        }
    }
    let (acked_rows, acked_distinct) = count(conn, &acked).await?;
    let (unacked_rows, unacked_distinct) = count(conn, &unacked).await?;
    let table_rows: i64 = sqlx::query_scalar("SELECT count(*) FROM reseller.sale_events")
        .fetch_one(&mut *conn)
        .await
        .map_err(db_error)?;
    let table_rows = table_rows.max(0) as u64;

    let mut v = Verification {
        acknowledged: acked.len() as u64,
        stored: acked_distinct,
        lost: (acked.len() as u64).saturating_sub(acked_distinct),
        duplicated: (acked_rows - acked_distinct) + (unacked_rows - unacked_distinct),
        stored_unacknowledged: unacked_distinct,
        table_rows,
        foreign_rows: table_rows.saturating_sub(acked_rows + unacked_rows),
        problems: Vec::new(),
    };
    if v.lost > 0 {
        v.problems
            .push(format!("{} acknowledged events are not stored", v.lost));
    }
    if v.duplicated > 0 {
        v.problems
            .push(format!("{} events are stored more than once", v.duplicated));
    }
    if v.stored_unacknowledged > 0 && gave_up == 0 {
        v.problems.push(format!(
            "{} events reported rejected or conflicting are stored",
            v.stored_unacknowledged
        ));
    }
    if fresh && v.foreign_rows > 0 {
        v.problems.push(format!(
            "{} rows in a fresh database belong to no event sent",
            v.foreign_rows
        ));
    }
    Ok(v)
}

/// Rows and distinct event ids among `ids`.
async fn count(conn: &mut PgConnection, ids: &[Uuid]) -> Result<(u64, u64), String> {
    let mut rows = 0;
    let mut distinct = 0;
    for chunk in ids.chunks(IDS_PER_QUERY) {
        let (r, d): (i64, i64) = sqlx::query_as(
            "SELECT count(*), count(DISTINCT event_id) FROM reseller.sale_events \
             WHERE event_id = ANY($1)",
        )
        .bind(chunk)
        .fetch_one(&mut *conn)
        .await
        .map_err(db_error)?;
        rows += r.max(0) as u64;
        distinct += d.max(0) as u64;
    }
    Ok((rows, distinct))
}

/// A projection the ingest maintains, and the same rows recomputed from
/// `reseller.sale_events` with a `GROUP BY`: the two must be equal as
/// multisets of rows (same columns, same types, in the same order). A new
/// projection (say an hourly rollup) is one more entry in [`PROJECTIONS`].
#[derive(Debug, Clone, Copy)]
pub struct Comparison {
    pub name: &'static str,
    /// What a verdict calls it: `rollups`, `orders` or `stock`.
    pub group: &'static str,
    pub projection: &'static str,
    pub recomputation: &'static str,
}

/// The 15-minute UTC bucket of an event, as `domain::sale_event::bucket_15m`.
macro_rules! bucket_15m {
    ($at:literal) => {
        concat!(
            "date_bin('15 minutes', ",
            $at,
            ", TIMESTAMPTZ '2000-01-01 00:00:00+00')"
        )
    };
}

/// The paid and refunded lines of every stored event, one row each.
macro_rules! money_lines {
    () => {
        concat!(
            "SELECT e.reseller_id, e.order_id, e.type, e.show_id, e.channel, e.currency, ",
            bucket_15m!("e.occurred_at"),
            " AS bucket_start, (x->>'ticket_type_id')::uuid AS ticket_type_id, \
             (x->>'quantity')::bigint AS quantity, (x->>'unit_price_minor')::bigint AS unit_price_minor \
             FROM reseller.sale_events e CROSS JOIN LATERAL jsonb_array_elements(e.lines) AS x \
             WHERE e.type IN ('order.paid', 'order.refunded')"
        )
    };
}

/// Money sums of the paid and refunded lines grouped by `$keys` (columns of
/// the lines, `$by` their positions), as `t`, `g`, `rt`, `rm`.
macro_rules! hourly_money {
    ($keys:literal, $by:literal) => {
        concat!(
            "SELECT ",
            $keys,
            ", coalesce(sum(quantity) FILTER (WHERE type = 'order.paid'), 0)::bigint AS t, \
             coalesce(sum(quantity * unit_price_minor) FILTER (WHERE type = 'order.paid'), 0)::bigint AS g, \
             coalesce(sum(quantity) FILTER (WHERE type = 'order.refunded'), 0)::bigint AS rt, \
             coalesce(sum(quantity * unit_price_minor) FILTER (WHERE type = 'order.refunded'), 0)::bigint AS rm \
             FROM (",
            money_lines!(),
            ") AS l GROUP BY ",
            $by
        )
    };
}

/// Orders with an `order.paid` event per 15-minute bucket, show and channel
/// (as `sales_orders_15m`), summed by `$keys` over column `b` (the bucket).
macro_rules! hourly_paid_orders {
    ($keys:literal, $by:literal) => {
        concat!(
            "SELECT ",
            $keys,
            ", sum(n) AS paid FROM (SELECT reseller_id, ",
            bucket_15m!("occurred_at"),
            " AS b, show_id, channel, currency, count(DISTINCT order_id) AS n \
             FROM reseller.sale_events WHERE type = 'order.paid' GROUP BY 1, 2, 3, 4, 5) AS k GROUP BY ",
            $by
        )
    };
}

pub const PROJECTIONS: &[Comparison] = &[
    Comparison {
        name: "sales_rollup_15m",
        group: "rollups",
        projection: "SELECT reseller_id, bucket_start, show_id, ticket_type_id, channel, currency, \
             paid_orders, tickets_sold, gross_minor, refunded_tickets, refunded_minor \
             FROM reseller.sales_rollup_15m \
             WHERE (paid_orders, tickets_sold, gross_minor, refunded_tickets, refunded_minor) <> (0, 0, 0, 0, 0)",
        recomputation: concat!(
            "SELECT reseller_id, bucket_start, show_id, ticket_type_id, channel, currency, \
             count(DISTINCT order_id) FILTER (WHERE type = 'order.paid'), \
             coalesce(sum(quantity) FILTER (WHERE type = 'order.paid'), 0)::bigint, \
             coalesce(sum(quantity * unit_price_minor) FILTER (WHERE type = 'order.paid'), 0)::bigint, \
             coalesce(sum(quantity) FILTER (WHERE type = 'order.refunded'), 0)::bigint, \
             coalesce(sum(quantity * unit_price_minor) FILTER (WHERE type = 'order.refunded'), 0)::bigint \
             FROM (",
            money_lines!(),
            ") AS l GROUP BY 1, 2, 3, 4, 5, 6"
        ),
    },
    Comparison {
        name: "sales_orders_15m",
        group: "rollups",
        projection: "SELECT reseller_id, bucket_start, show_id, channel, currency, paid_orders \
             FROM reseller.sales_orders_15m WHERE paid_orders <> 0",
        recomputation: concat!(
            "SELECT reseller_id, ",
            bucket_15m!("occurred_at"),
            ", show_id, channel, currency, count(DISTINCT order_id) \
             FROM reseller.sale_events WHERE type = 'order.paid' GROUP BY 1, 2, 3, 4, 5"
        ),
    },
    Comparison {
        name: "sales_hourly",
        group: "rollups",
        projection: "SELECT reseller_id, hour_start, currency, paid_orders, tickets_sold, gross_minor, \
             refunded_tickets, refunded_minor FROM reseller.sales_hourly \
             WHERE (paid_orders, tickets_sold, gross_minor, refunded_tickets, refunded_minor) <> (0, 0, 0, 0, 0)",
        recomputation: concat!(
            "SELECT m.reseller_id, m.hour_start, m.currency, coalesce(p.paid, 0)::bigint, m.t, m.g, m.rt, m.rm FROM (",
            hourly_money!("reseller_id, date_trunc('hour', bucket_start, 'UTC') AS hour_start, currency", "1, 2, 3"),
            ") AS m LEFT JOIN (",
            hourly_paid_orders!("reseller_id, date_trunc('hour', b, 'UTC') AS hour_start, currency", "1, 2, 3"),
            ") AS p USING (reseller_id, hour_start, currency)"
        ),
    },
    Comparison {
        name: "sales_hourly_by_show",
        group: "rollups",
        projection: "SELECT reseller_id, hour_start, show_id, currency, paid_orders, tickets_sold, gross_minor, \
             refunded_tickets, refunded_minor FROM reseller.sales_hourly_by_show \
             WHERE (paid_orders, tickets_sold, gross_minor, refunded_tickets, refunded_minor) <> (0, 0, 0, 0, 0)",
        recomputation: concat!(
            "SELECT m.reseller_id, m.hour_start, m.show_id, m.currency, coalesce(p.paid, 0)::bigint, m.t, m.g, m.rt, m.rm FROM (",
            hourly_money!("reseller_id, date_trunc('hour', bucket_start, 'UTC') AS hour_start, show_id, currency", "1, 2, 3, 4"),
            ") AS m LEFT JOIN (",
            hourly_paid_orders!("reseller_id, date_trunc('hour', b, 'UTC') AS hour_start, show_id, currency", "1, 2, 3, 4"),
            ") AS p USING (reseller_id, hour_start, show_id, currency)"
        ),
    },
    Comparison {
        name: "sales_hourly_by_ticket_type",
        group: "rollups",
        projection: "SELECT reseller_id, hour_start, ticket_type_id, currency, show_id, paid_orders, tickets_sold, \
             gross_minor, refunded_tickets, refunded_minor FROM reseller.sales_hourly_by_ticket_type \
             WHERE (paid_orders, tickets_sold, gross_minor, refunded_tickets, refunded_minor) <> (0, 0, 0, 0, 0)",
        recomputation: concat!(
            "SELECT reseller_id, date_trunc('hour', bucket_start, 'UTC'), ticket_type_id, currency, show_id, \
             sum(paid)::bigint, sum(t)::bigint, sum(g)::bigint, sum(rt)::bigint, sum(rm)::bigint FROM ( \
             SELECT reseller_id, bucket_start, show_id, ticket_type_id, channel, currency, \
             count(DISTINCT order_id) FILTER (WHERE type = 'order.paid') AS paid, \
             coalesce(sum(quantity) FILTER (WHERE type = 'order.paid'), 0) AS t, \
             coalesce(sum(quantity * unit_price_minor) FILTER (WHERE type = 'order.paid'), 0) AS g, \
             coalesce(sum(quantity) FILTER (WHERE type = 'order.refunded'), 0) AS rt, \
             coalesce(sum(quantity * unit_price_minor) FILTER (WHERE type = 'order.refunded'), 0) AS rm \
             FROM (",
            money_lines!(),
            ") AS l GROUP BY 1, 2, 3, 4, 5, 6) AS q GROUP BY 1, 2, 3, 4, 5"
        ),
    },
    Comparison {
        name: "orders",
        group: "orders",
        projection: "SELECT reseller_id, order_id, show_id, channel, currency, status, tickets, gross_minor, \
             refunded_tickets, refunded_minor, created_at, paid_at, first_event_at, last_event_at, event_count \
             FROM reseller.orders",
        recomputation: "SELECT reseller_id, order_id, show_id, channel, currency, \
             CASE WHEN paid AND refunded_tickets > 0 AND refunded_tickets >= tickets THEN 'refunded' \
               WHEN paid AND refunded_tickets > 0 THEN 'partially_refunded' \
               WHEN paid THEN 'paid' WHEN cancelled THEN 'cancelled' WHEN expired THEN 'expired' \
               ELSE 'created' END, \
             tickets, gross_minor, refunded_tickets, refunded_minor, created_at, paid_at, first_event_at, \
             last_event_at, event_count \
             FROM (SELECT e.reseller_id, e.order_id, \
               (array_agg(e.show_id ORDER BY e.occurred_at, e.event_id))[1] AS show_id, \
               (array_agg(e.channel ORDER BY e.occurred_at, e.event_id))[1] AS channel, \
               (array_agg(e.currency ORDER BY e.occurred_at, e.event_id))[1] AS currency, \
               bool_or(e.type = 'order.paid') AS paid, bool_or(e.type = 'order.cancelled') AS cancelled, \
               bool_or(e.type = 'order.expired') AS expired, \
               coalesce(sum(s.q) FILTER (WHERE e.type = 'order.paid'), 0)::bigint AS tickets, \
               coalesce(sum(s.a) FILTER (WHERE e.type = 'order.paid'), 0)::bigint AS gross_minor, \
               coalesce(sum(s.q) FILTER (WHERE e.type = 'order.refunded'), 0)::bigint AS refunded_tickets, \
               coalesce(sum(s.a) FILTER (WHERE e.type = 'order.refunded'), 0)::bigint AS refunded_minor, \
               coalesce(min(e.occurred_at) FILTER (WHERE e.type = 'order.created'), min(e.occurred_at)) AS created_at, \
               min(e.occurred_at) FILTER (WHERE e.type = 'order.paid') AS paid_at, \
               min(e.occurred_at) AS first_event_at, max(e.occurred_at) AS last_event_at, \
               count(*)::int AS event_count \
             FROM reseller.sale_events e CROSS JOIN LATERAL ( \
               SELECT sum((x->>'quantity')::bigint) AS q, \
                 sum((x->>'quantity')::bigint * (x->>'unit_price_minor')::bigint) AS a \
               FROM jsonb_array_elements(e.lines) AS x) AS s \
             GROUP BY e.reseller_id, e.order_id) AS o",
    },
    Comparison {
        name: "ticket_types.sold",
        group: "stock",
        projection: "SELECT reseller_id, ticket_type_id, sold FROM reseller.ticket_types",
        recomputation: concat!(
            "SELECT t.reseller_id, t.ticket_type_id, coalesce(d.sold, 0)::bigint \
             FROM reseller.ticket_types t LEFT JOIN ( \
               SELECT reseller_id, ticket_type_id, \
                 sum(CASE WHEN type = 'order.paid' THEN quantity ELSE -quantity END) AS sold \
               FROM (",
            money_lines!(),
            ") AS l GROUP BY 1, 2) AS d USING (reseller_id, ticket_type_id)"
        ),
    },
];

/// How one projection compared with its recomputation.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ProjectionCheck {
    pub name: &'static str,
    pub projection_rows: i64,
    pub recomputed_rows: i64,
    /// Rows in one and not the other (counted both ways).
    pub differing_rows: i64,
    /// A few of them, as text, for the report.
    pub examples: Vec<String>,
}

impl ProjectionCheck {
    pub fn equal(&self) -> bool {
        self.differing_rows == 0
    }
}

/// Compares every entry of `comparisons` (as the superuser, who sees every
/// reseller's rows).
pub async fn compare_projections(
    conn: &mut PgConnection,
    comparisons: &[Comparison],
) -> Result<Vec<ProjectionCheck>, String> {
    let mut checks = Vec::new();
    for c in comparisons {
        let diff = format!(
            "WITH p AS ({}), r AS ({}), \
             d AS ((SELECT 'projection' AS side, x::text AS row FROM (TABLE p EXCEPT ALL TABLE r) AS x) \
                   UNION ALL (SELECT 'recomputed', y::text FROM (TABLE r EXCEPT ALL TABLE p) AS y)) \
             SELECT (SELECT count(*) FROM p), (SELECT count(*) FROM r), (SELECT count(*) FROM d), \
               coalesce((SELECT array_agg(side || ': ' || row) FROM (SELECT * FROM d ORDER BY row LIMIT 4) AS x), \
                 '{{}}'::text[])",
            c.projection, c.recomputation
        );
        let (projection_rows, recomputed_rows, differing_rows, examples): (
            i64,
            i64,
            i64,
            Vec<String>,
        ) = sqlx::query_as(&diff)
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| format!("comparing {}: {}", c.name, db_error(e)))?;
        checks.push(ProjectionCheck {
            name: c.name,
            projection_rows,
            recomputed_rows,
            differing_rows,
            examples,
        });
    }
    Ok(checks)
}
