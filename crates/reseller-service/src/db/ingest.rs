//! The SQL of the ingest: bulk catalog checks, the event log, the order
//! projection and the rollups, all set-based (`UNNEST` of arrays: one
//! statement per step, whatever the batch size).
//!
//! Every write is commutative (inserts that skip known keys, additive
//! upserts, merges), so concurrent batches need no lock beyond the rows they
//! write. Each table is written in sorted key order and the tables in one
//! fixed order (event log, paid-order keys, rollups, order counts, hourly
//! rollups, ticket types, orders, paid-order repeats), so two batches can wait on each other but
//! never in a cycle: no deadlock.

use std::{
    borrow::Cow,
    collections::{HashMap, HashSet},
};

use chrono::{DateTime, Utc};
use domain::sale_event::{OrderDelta, SaleEvent};
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

/// What the catalog says about the references of a batch.
#[derive(Debug, Default)]
pub struct CatalogRefs {
    pub resellers: HashSet<Uuid>,
    pub shows: HashSet<(Uuid, Uuid)>,
    /// ticket type -> (reseller, show, currency)
    pub ticket_types: HashMap<Uuid, (Uuid, Uuid, String)>,
}

pub async fn catalog_refs(
    conn: &mut PgConnection,
    resellers: &[Uuid],
    shows: &[(Uuid, Uuid)],
    ticket_types: &[(Uuid, Uuid)],
) -> Result<CatalogRefs, sqlx::Error> {
    let mut refs = CatalogRefs::default();
    let rows: Vec<(Uuid,)> =
        sqlx::query_as("SELECT reseller_id FROM reseller.resellers WHERE reseller_id = ANY($1)")
            .bind(resellers)
            .fetch_all(&mut *conn)
            .await?;
    refs.resellers = rows.into_iter().map(|(r,)| r).collect();
    let (r, s): (Vec<Uuid>, Vec<Uuid>) = shows.iter().copied().unzip();
    let rows: Vec<(Uuid, Uuid)> = sqlx::query_as(
        "SELECT s.reseller_id, s.show_id FROM reseller.shows s \
         JOIN unnest($1::uuid[], $2::uuid[]) AS k(reseller_id, show_id) USING (reseller_id, show_id)",
    )
    .bind(&r)
    .bind(&s)
    .fetch_all(&mut *conn)
    .await?;
    refs.shows = rows.into_iter().collect();
    let (r, t): (Vec<Uuid>, Vec<Uuid>) = ticket_types.iter().copied().unzip();
    let rows: Vec<(Uuid, Uuid, Uuid, String)> = sqlx::query_as(
        "SELECT t.reseller_id, t.show_id, t.ticket_type_id, t.currency FROM reseller.ticket_types t \
         JOIN unnest($1::uuid[], $2::uuid[]) AS k(reseller_id, ticket_type_id) USING (reseller_id, ticket_type_id)",
    )
    .bind(&r)
    .bind(&t)
    .fetch_all(&mut *conn)
    .await?;
    refs.ticket_types = rows
        .into_iter()
        .map(|(r, s, t, c)| (t, (r, s, c)))
        .collect();
    Ok(refs)
}

/// Content hashes of the events already stored among `event_ids`.
pub async fn stored_hashes(
    conn: &mut PgConnection,
    event_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<u8>>, sqlx::Error> {
    let rows: Vec<(Uuid, Vec<u8>)> = sqlx::query_as(
        "SELECT event_id, content_hash FROM reseller.sale_events WHERE event_id = ANY($1)",
    )
    .bind(event_ids)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().collect())
}

/// Inserts the events; returns the ids actually inserted (an id that
/// appeared meanwhile is left out). `ON CONFLICT` names no index on purpose:
/// with `(event_id)` alone, a concurrent insert of the same event could
/// surface on the primary key instead and fail the batch.
pub async fn insert_events(
    conn: &mut PgConnection,
    events: &[(&SaleEvent, Vec<u8>)],
) -> Result<Vec<Uuid>, sqlx::Error> {
    let n = events.len();
    let mut cols = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for (e, hash) in events {
        cols.0.push(e.reseller_id);
        cols.1.push(e.event_id);
        cols.2.push(e.kind.as_str());
        cols.3.push(e.occurred_at);
        cols.4.push(e.show_id);
        cols.5.push(e.order_id);
        cols.6.push(e.channel.as_str());
        cols.7.push(e.currency.as_str().to_owned());
        cols.8
            .push(serde_json::to_string(&e.lines).unwrap_or_else(|_| "[]".into()));
        cols.9.push(e.customer_ref.as_deref());
        cols.10.push(hash.as_slice());
    }
    sqlx::query_scalar(
        "INSERT INTO reseller.sale_events \
           (reseller_id, event_id, type, occurred_at, show_id, order_id, channel, currency, lines, customer_ref, content_hash) \
         SELECT r, e, t, o, s, ord, c, cur, l::jsonb, ref, h \
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[], $5::uuid[], $6::uuid[], $7::text[], \
                     $8::text[], $9::text[], $10::text[], $11::bytea[]) AS u(r, e, t, o, s, ord, c, cur, l, ref, h) \
         ON CONFLICT DO NOTHING RETURNING event_id",
    )
    .bind(cols.0)
    .bind(cols.1)
    .bind(cols.2)
    .bind(cols.3)
    .bind(cols.4)
    .bind(cols.5)
    .bind(cols.6)
    .bind(cols.7)
    .bind(cols.8)
    .bind(cols.9)
    .bind(cols.10)
    .fetch_all(conn)
    .await
}

/// A paid (order, 15-minute bucket, ticket type) key; the nil ticket type
/// stands for the order as a whole.
pub type PaidKey = (Uuid, Uuid, DateTime<Utc>, Uuid);

/// Records paid keys (sorted); returns those that are new.
pub async fn insert_paid_keys(
    conn: &mut PgConnection,
    keys: &[PaidKey],
) -> Result<Vec<PaidKey>, sqlx::Error> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query_as(
        "INSERT INTO reseller.paid_order_buckets (reseller_id, order_id, bucket_start, ticket_type_id) \
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::uuid[]) \
         ON CONFLICT DO NOTHING RETURNING reseller_id, order_id, bucket_start, ticket_type_id",
    )
    .bind(keys.iter().map(|k| k.0).collect::<Vec<_>>())
    .bind(keys.iter().map(|k| k.1).collect::<Vec<_>>())
    .bind(keys.iter().map(|k| k.2).collect::<Vec<_>>())
    .bind(keys.iter().map(|k| k.3).collect::<Vec<_>>())
    .fetch_all(conn)
    .await
}

/// Key of a ticket-type rollup row.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RollupKey {
    pub reseller_id: Uuid,
    pub bucket_start: DateTime<Utc>,
    pub show_id: Uuid,
    pub ticket_type_id: Uuid,
    pub channel: String,
    pub currency: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RollupDelta {
    pub paid_orders: i64,
    pub tickets_sold: i64,
    pub gross_minor: i64,
    pub refunded_tickets: i64,
    pub refunded_minor: i64,
}

impl RollupDelta {
    /// Adds `d` (money saturates rather than wrap).
    pub fn add(&mut self, d: &RollupDelta) {
        self.paid_orders += d.paid_orders;
        self.tickets_sold += d.tickets_sold;
        self.gross_minor = self.gross_minor.saturating_add(d.gross_minor);
        self.refunded_tickets += d.refunded_tickets;
        self.refunded_minor = self.refunded_minor.saturating_add(d.refunded_minor);
    }
}

/// Adds deltas to the ticket-type rollups, in key order.
pub async fn add_rollups(
    conn: &mut PgConnection,
    deltas: &[(RollupKey, RollupDelta)],
) -> Result<(), sqlx::Error> {
    if deltas.is_empty() {
        return Ok(());
    }
    let keys = deltas.iter().map(|(k, _)| k);
    let figure =
        |f: fn(&RollupDelta) -> i64| deltas.iter().map(|(_, d)| f(d)).collect::<Vec<i64>>();
    sqlx::query(
        "INSERT INTO reseller.sales_rollup_15m AS r \
           (reseller_id, bucket_start, show_id, ticket_type_id, channel, currency, \
            paid_orders, tickets_sold, gross_minor, refunded_tickets, refunded_minor) \
         SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], \
                              $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[]) \
         ON CONFLICT (reseller_id, bucket_start, show_id, ticket_type_id, channel, currency) DO UPDATE SET \
           paid_orders = r.paid_orders + EXCLUDED.paid_orders, \
           tickets_sold = r.tickets_sold + EXCLUDED.tickets_sold, \
           gross_minor = r.gross_minor + EXCLUDED.gross_minor, \
           refunded_tickets = r.refunded_tickets + EXCLUDED.refunded_tickets, \
           refunded_minor = r.refunded_minor + EXCLUDED.refunded_minor",
    )
    .bind(keys.clone().map(|k| k.reseller_id).collect::<Vec<_>>())
    .bind(keys.clone().map(|k| k.bucket_start).collect::<Vec<_>>())
    .bind(keys.clone().map(|k| k.show_id).collect::<Vec<_>>())
    .bind(keys.clone().map(|k| k.ticket_type_id).collect::<Vec<_>>())
    .bind(keys.clone().map(|k| k.channel.as_str()).collect::<Vec<_>>())
    .bind(keys.map(|k| k.currency.as_str()).collect::<Vec<_>>())
    .bind(figure(|d| d.paid_orders))
    .bind(figure(|d| d.tickets_sold))
    .bind(figure(|d| d.gross_minor))
    .bind(figure(|d| d.refunded_tickets))
    .bind(figure(|d| d.refunded_minor))
    .execute(conn)
    .await?;
    Ok(())
}

/// Key of an order-count rollup row.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrderCountKey {
    pub reseller_id: Uuid,
    pub bucket_start: DateTime<Utc>,
    pub show_id: Uuid,
    pub channel: String,
    pub currency: String,
}

/// Adds paid-order counts, in key order.
pub async fn add_order_counts(
    conn: &mut PgConnection,
    deltas: &[(OrderCountKey, i64)],
) -> Result<(), sqlx::Error> {
    if deltas.is_empty() {
        return Ok(());
    }
    let keys = deltas.iter().map(|(k, _)| k);
    sqlx::query(
        "INSERT INTO reseller.sales_orders_15m AS r (reseller_id, bucket_start, show_id, channel, currency, paid_orders) \
         SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::uuid[], $4::text[], $5::text[], $6::bigint[]) \
         ON CONFLICT (reseller_id, bucket_start, show_id, channel, currency) DO UPDATE SET \
           paid_orders = r.paid_orders + EXCLUDED.paid_orders",
    )
    .bind(keys.clone().map(|k| k.reseller_id).collect::<Vec<_>>())
    .bind(keys.clone().map(|k| k.bucket_start).collect::<Vec<_>>())
    .bind(keys.clone().map(|k| k.show_id).collect::<Vec<_>>())
    .bind(keys.clone().map(|k| k.channel.as_str()).collect::<Vec<_>>())
    .bind(keys.map(|k| k.currency.as_str()).collect::<Vec<_>>())
    .bind(deltas.iter().map(|(_, n)| *n).collect::<Vec<i64>>())
    .execute(conn)
    .await?;
    Ok(())
}

/// Key of a `sales_hourly` row: reseller, UTC hour, currency.
pub type HourlyKey = (Uuid, DateTime<Utc>, String);
/// Key of a `sales_hourly_by_show` row: reseller, UTC hour, show, currency.
pub type HourlyShowKey = (Uuid, DateTime<Utc>, Uuid, String);
/// A `sales_hours_by_ticket_type` row: reseller, UTC day, ticket type,
/// currency (its key, in order) and the ticket type's show.
pub type HourlyTicketTypeKey = (Uuid, DateTime<Utc>, Uuid, String, Uuid);

/// An additive upsert of an hourly table from `unnest` of the arrays of its
/// `columns` ($1...) followed by the five figure arrays; `key_columns` is
/// its primary key.
fn hourly_upsert(table: &str, columns: &str, key_columns: &str, types: &[&str]) -> String {
    let keys = types.len();
    let arrays: Vec<String> = types
        .iter()
        .enumerate()
        .map(|(i, ty)| format!("${}::{ty}[]", i + 1))
        .chain((1..=5).map(|i| format!("${}::bigint[]", keys + i)))
        .collect();
    format!(
        "INSERT INTO reseller.{table} AS r ({columns}, paid_orders, tickets_sold, gross_minor, \
           refunded_tickets, refunded_minor) \
         SELECT * FROM unnest({arrays}) \
         ON CONFLICT ({key_columns}) DO UPDATE SET \
           paid_orders = r.paid_orders + EXCLUDED.paid_orders, \
           tickets_sold = r.tickets_sold + EXCLUDED.tickets_sold, \
           gross_minor = r.gross_minor + EXCLUDED.gross_minor, \
           refunded_tickets = r.refunded_tickets + EXCLUDED.refunded_tickets, \
           refunded_minor = r.refunded_minor + EXCLUDED.refunded_minor",
        arrays = arrays.join(", ")
    )
}

fn bind_figures<'q, K>(
    query: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    deltas: &[(K, RollupDelta)],
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    let figure =
        |f: fn(&RollupDelta) -> i64| deltas.iter().map(|(_, d)| f(d)).collect::<Vec<i64>>();
    query
        .bind(figure(|d| d.paid_orders))
        .bind(figure(|d| d.tickets_sold))
        .bind(figure(|d| d.gross_minor))
        .bind(figure(|d| d.refunded_tickets))
        .bind(figure(|d| d.refunded_minor))
}

/// Adds deltas to the hourly rollups, each table in key order and the
/// tables in a fixed order (whole reseller, by show, by ticket type).
pub async fn add_hourly(
    conn: &mut PgConnection,
    total: &[(HourlyKey, RollupDelta)],
    by_show: &[(HourlyShowKey, RollupDelta)],
    by_ticket_type: &[(HourlyTicketTypeKey, DayHours)],
) -> Result<(), sqlx::Error> {
    if !total.is_empty() {
        let columns = "reseller_id, hour_start, currency";
        let sql = hourly_upsert(
            "sales_hourly",
            columns,
            columns,
            &["uuid", "timestamptz", "text"],
        );
        let query = sqlx::query(&sql)
            .bind(total.iter().map(|(k, _)| k.0).collect::<Vec<_>>())
            .bind(total.iter().map(|(k, _)| k.1).collect::<Vec<_>>())
            .bind(total.iter().map(|(k, _)| k.2.as_str()).collect::<Vec<_>>());
        bind_figures(query, total).execute(&mut *conn).await?;
    }
    if !by_show.is_empty() {
        let columns = "reseller_id, hour_start, show_id, currency";
        let sql = hourly_upsert(
            "sales_hourly_by_show",
            columns,
            columns,
            &["uuid", "timestamptz", "uuid", "text"],
        );
        let query = sqlx::query(&sql)
            .bind(by_show.iter().map(|(k, _)| k.0).collect::<Vec<_>>())
            .bind(by_show.iter().map(|(k, _)| k.1).collect::<Vec<_>>())
            .bind(by_show.iter().map(|(k, _)| k.2).collect::<Vec<_>>())
            .bind(
                by_show
                    .iter()
                    .map(|(k, _)| k.3.as_str())
                    .collect::<Vec<_>>(),
            );
        bind_figures(query, by_show).execute(&mut *conn).await?;
    }
    if !by_ticket_type.is_empty() {
        add_hours_by_ticket_type(conn, by_ticket_type).await?;
    }
    Ok(())
}

/// The 24 hourly deltas of one `sales_hours_by_ticket_type` row (index 0
/// is 00:00-01:00 UTC).
pub type DayHours = [RollupDelta; 24];

/// Bytes of a packed hour: 5 figures x 8.
const HOUR_BYTES: usize = 5 * 8;

/// Bytes of a packed day: 24 hours (see the migration).
pub const DAY_BYTES: usize = 24 * HOUR_BYTES;

/// `hours` packed as stored (hour-major, big-endian).
pub fn pack_day(hours: &DayHours) -> Vec<u8> {
    let mut out = Vec::with_capacity(DAY_BYTES);
    for h in hours {
        for v in [
            h.paid_orders,
            h.tickets_sold,
            h.gross_minor,
            h.refunded_tickets,
            h.refunded_minor,
        ] {
            out.extend_from_slice(&v.to_be_bytes());
        }
    }
    out
}

/// A stored day unpacked; a value of the wrong size reads as zeros (the
/// table's check constraint rules it out).
pub fn unpack_day(bytes: &[u8]) -> DayHours {
    std::array::from_fn(|h| unpack_hour(bytes, h))
}

/// Hour `h` (0..24) of a stored day, as [`unpack_day`] reads it.
pub fn unpack_hour(bytes: &[u8], h: usize) -> RollupDelta {
    let Some(hour) = bytes
        .get(h * HOUR_BYTES..(h + 1) * HOUR_BYTES)
        .filter(|_| bytes.len() == DAY_BYTES)
    else {
        return RollupDelta::default();
    };
    let value = |i: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&hour[i * 8..i * 8 + 8]);
        i64::from_be_bytes(b)
    };
    RollupDelta {
        paid_orders: value(0),
        tickets_sold: value(1),
        gross_minor: value(2),
        refunded_tickets: value(3),
        refunded_minor: value(4),
    }
}

/// Adds whole days of hourly deltas to `sales_hours_by_ticket_type`
/// (`rows` sorted by key). The figures are packed, so the service adds
/// them: (1) one insert of every row in key order, new rows with their
/// deltas as values and existing ones only locked (`DO UPDATE ... WHERE
/// false` locks without writing), which keeps the table's lock order;
/// (2) the locked rows are read, (3) and written back with the deltas
/// added. Nobody else can change a row between (1) and (3).
async fn add_hours_by_ticket_type(
    conn: &mut PgConnection,
    rows: &[(HourlyTicketTypeKey, DayHours)],
) -> Result<(), sqlx::Error> {
    type DayKey = (Uuid, DateTime<Utc>, Uuid, String);
    let packed: Vec<Vec<u8>> = rows.iter().map(|(_, hours)| pack_day(hours)).collect();
    let inserted: Vec<DayKey> = sqlx::query_as(
        "INSERT INTO reseller.sales_hours_by_ticket_type AS r \
           (reseller_id, day_start, ticket_type_id, currency, show_id, figures) \
         SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::uuid[], $4::text[], $5::uuid[], $6::bytea[]) \
         ON CONFLICT (reseller_id, day_start, ticket_type_id, currency) DO UPDATE \
           SET figures = r.figures WHERE false \
         RETURNING reseller_id, day_start, ticket_type_id, currency",
    )
    .bind(rows.iter().map(|(k, _)| k.0).collect::<Vec<_>>())
    .bind(rows.iter().map(|(k, _)| k.1).collect::<Vec<_>>())
    .bind(rows.iter().map(|(k, _)| k.2).collect::<Vec<_>>())
    .bind(rows.iter().map(|(k, _)| k.3.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|(k, _)| k.4).collect::<Vec<_>>())
    .bind(&packed)
    .fetch_all(&mut *conn)
    .await?;
    let inserted: HashSet<DayKey> = inserted.into_iter().collect();
    let existing: Vec<&(HourlyTicketTypeKey, DayHours)> = rows
        .iter()
        .filter(|(k, _)| !inserted.contains(&(k.0, k.1, k.2, k.3.clone())))
        .collect();
    if existing.is_empty() {
        return Ok(());
    }
    let (r, d, t, c) = (
        existing.iter().map(|(k, _)| k.0).collect::<Vec<_>>(),
        existing.iter().map(|(k, _)| k.1).collect::<Vec<_>>(),
        existing.iter().map(|(k, _)| k.2).collect::<Vec<_>>(),
        existing
            .iter()
            .map(|(k, _)| k.3.as_str())
            .collect::<Vec<_>>(),
    );
    #[derive(sqlx::FromRow)]
    struct Stored {
        reseller_id: Uuid,
        day_start: DateTime<Utc>,
        ticket_type_id: Uuid,
        currency: String,
        figures: Vec<u8>,
    }
    let stored: Vec<Stored> = sqlx::query_as(
        "SELECT s.reseller_id, s.day_start, s.ticket_type_id, s.currency, s.figures \
         FROM reseller.sales_hours_by_ticket_type s \
         JOIN unnest($1::uuid[], $2::timestamptz[], $3::uuid[], $4::text[]) AS k(reseller_id, day_start, ticket_type_id, currency) \
           USING (reseller_id, day_start, ticket_type_id, currency)",
    )
    .bind(&r)
    .bind(&d)
    .bind(&t)
    .bind(&c)
    .fetch_all(&mut *conn)
    .await?;
    let stored: HashMap<DayKey, Vec<u8>> = stored
        .into_iter()
        .map(|s| {
            (
                (s.reseller_id, s.day_start, s.ticket_type_id, s.currency),
                s.figures,
            )
        })
        .collect();
    let mut updated = Vec::with_capacity(existing.len());
    for (k, delta) in &existing {
        let mut hours = stored
            .get(&(k.0, k.1, k.2, k.3.clone()))
            .map(|f| unpack_day(f))
            .unwrap_or([RollupDelta::default(); 24]);
        for (hour, d) in hours.iter_mut().zip(delta.iter()) {
            hour.add(d);
        }
        updated.push(pack_day(&hours));
    }
    sqlx::query(
        "UPDATE reseller.sales_hours_by_ticket_type s SET figures = k.figures \
         FROM unnest($1::uuid[], $2::timestamptz[], $3::uuid[], $4::text[], $5::bytea[]) \
           AS k(reseller_id, day_start, ticket_type_id, currency, figures) \
         WHERE s.reseller_id = k.reseller_id AND s.day_start = k.day_start \
           AND s.ticket_type_id = k.ticket_type_id AND s.currency = k.currency",
    )
    .bind(&r)
    .bind(&d)
    .bind(&t)
    .bind(&c)
    .bind(&updated)
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves `sold` of ticket types by the given deltas; `deltas` sorted by key.
pub async fn add_sold(
    conn: &mut PgConnection,
    deltas: &[((Uuid, Uuid), i64)],
) -> Result<(), sqlx::Error> {
    if deltas.is_empty() {
        return Ok(());
    }
    let r: Vec<Uuid> = deltas.iter().map(|((r, _), _)| *r).collect();
    let t: Vec<Uuid> = deltas.iter().map(|((_, t), _)| *t).collect();
    let d: Vec<i64> = deltas.iter().map(|(_, d)| *d).collect();
    // Lock in key order first: an UPDATE ... FROM locks in join order.
    sqlx::query(
        "SELECT 1 FROM reseller.ticket_types t \
         JOIN unnest($1::uuid[], $2::uuid[]) AS k(reseller_id, ticket_type_id) USING (reseller_id, ticket_type_id) \
         ORDER BY t.reseller_id, t.ticket_type_id FOR UPDATE OF t",
    )
    .bind(&r)
    .bind(&t)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE reseller.ticket_types t SET sold = t.sold + k.delta \
         FROM unnest($1::uuid[], $2::uuid[], $3::bigint[]) AS k(reseller_id, ticket_type_id, delta) \
         WHERE t.reseller_id = k.reseller_id AND t.ticket_type_id = k.ticket_type_id",
    )
    .bind(r)
    .bind(t)
    .bind(d)
    .execute(conn)
    .await?;
    Ok(())
}

/// Merges order deltas into the projections (`orders` sorted by key); the
/// SET clause is `OrderDelta::merge` in SQL.
///
/// `new_paid_buckets` (one per order) counts the order's 15-minute buckets
/// with a paid event that this batch recorded first, and `new_paid_keys`
/// says whether it recorded any paid key of the order. Returns the orders
/// whose paid keys must be (re)listed in `paid_order_repeats`: those paid
/// in two buckets or more that got a new paid key.
pub async fn merge_orders(
    conn: &mut PgConnection,
    orders: &[((Uuid, Uuid), OrderDelta)],
    new_paid_buckets: &[i32],
    new_paid_keys: &[bool],
) -> Result<Vec<(Uuid, Uuid)>, sqlx::Error> {
    if orders.is_empty() {
        return Ok(Vec::new());
    }
    let deltas = orders.iter().map(|(_, d)| d);
    let figure = |f: fn(&OrderDelta) -> i64| orders.iter().map(|(_, d)| f(d)).collect::<Vec<i64>>();
    let flag = |f: fn(&OrderDelta) -> bool| orders.iter().map(|(_, d)| f(d)).collect::<Vec<bool>>();
    // The earliest event names the show, channel and currency.
    let earlier =
        "(EXCLUDED.first_event_at, EXCLUDED.first_event_id) < (o.first_event_at, o.first_event_id)";
    let merged: Vec<(Uuid, Uuid, i32)> = sqlx::query_as(&format!(
        "INSERT INTO reseller.orders AS o (reseller_id, order_id, first_event_at, first_event_id, show_id, channel, \
           currency, paid, cancelled, expired, tickets, gross_minor, refunded_tickets, refunded_minor, \
           created_event_at, paid_at, last_event_at, event_count, paid_buckets) \
         SELECT r, o, fa, fi, s, ch, cur, p, c, e, t, g, rt, rm, ca, pa, la, n, pb \
         FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::uuid[], $5::uuid[], $6::text[], \
           $7::text[], $8::bool[], $9::bool[], $10::bool[], $11::bigint[], $12::bigint[], $13::bigint[], \
           $14::bigint[], $15::timestamptz[], $16::timestamptz[], $17::timestamptz[], $18::int[], $19::int[]) \
           AS u(r, o, fa, fi, s, ch, cur, p, c, e, t, g, rt, rm, ca, pa, la, n, pb) \
         ON CONFLICT (reseller_id, order_id) DO UPDATE SET \
           show_id = CASE WHEN {earlier} THEN EXCLUDED.show_id ELSE o.show_id END, \
           channel = CASE WHEN {earlier} THEN EXCLUDED.channel ELSE o.channel END, \
           currency = CASE WHEN {earlier} THEN EXCLUDED.currency ELSE o.currency END, \
           first_event_id = CASE WHEN {earlier} THEN EXCLUDED.first_event_id ELSE o.first_event_id END, \
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
           paid_buckets = o.paid_buckets + EXCLUDED.paid_buckets \
         RETURNING reseller_id, order_id, paid_buckets"
    ))
    .bind(orders.iter().map(|((r, _), _)| *r).collect::<Vec<_>>())
    .bind(orders.iter().map(|((_, o), _)| *o).collect::<Vec<_>>())
    .bind(deltas.clone().map(|d| d.first_event_at).collect::<Vec<_>>())
    .bind(deltas.clone().map(|d| d.first_event_id).collect::<Vec<_>>())
    .bind(deltas.clone().map(|d| d.show_id).collect::<Vec<_>>())
    .bind(deltas.clone().map(|d| d.channel.as_str()).collect::<Vec<_>>())
    .bind(deltas.clone().map(|d| d.currency.as_str()).collect::<Vec<_>>())
    .bind(flag(|d| d.paid))
    .bind(flag(|d| d.cancelled))
    .bind(flag(|d| d.expired))
    .bind(figure(|d| d.tickets))
    .bind(figure(|d| d.gross_minor))
    .bind(figure(|d| d.refunded_tickets))
    .bind(figure(|d| d.refunded_minor))
    .bind(deltas.clone().map(|d| d.created_event_at).collect::<Vec<_>>())
    .bind(deltas.clone().map(|d| d.paid_at).collect::<Vec<_>>())
    .bind(deltas.clone().map(|d| d.last_event_at).collect::<Vec<_>>())
    .bind(deltas.map(|d| d.event_count).collect::<Vec<i32>>())
    .bind(new_paid_buckets)
    .fetch_all(conn)
    .await?;
    let new_key: std::collections::HashSet<(Uuid, Uuid)> = orders
        .iter()
        .zip(new_paid_keys)
        .filter(|(_, new)| **new)
        .map(|(k, _)| k.0)
        .collect();
    Ok(merged
        .into_iter()
        .filter(|(r, o, buckets): &(Uuid, Uuid, i32)| *buckets >= 2 && new_key.contains(&(*r, *o)))
        .map(|(r, o, _)| (r, o))
        .collect())
}

/// Lists in `paid_order_repeats` every paid key of `orders` (sorted), each
/// with the show, channel and currency of its earliest paid event in that
/// bucket; keys already listed are kept. Runs after `merge_orders`, whose
/// row lock on each order means the events of any other batch that counted
/// a bucket of the same order are committed and seen here.
pub async fn add_repeats(
    conn: &mut PgConnection,
    orders: &[(Uuid, Uuid)],
) -> Result<(), sqlx::Error> {
    if orders.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO reseller.paid_order_repeats \
           (reseller_id, order_id, bucket_start, ticket_type_id, show_id, channel, currency) \
         SELECT DISTINCT ON (e.reseller_id, e.order_id, k.bucket_start, k.ticket_type_id) \
           e.reseller_id, e.order_id, k.bucket_start, k.ticket_type_id, e.show_id, e.channel, e.currency \
         FROM unnest($1::uuid[], $2::uuid[]) AS o(reseller_id, order_id) \
         JOIN reseller.sale_events e \
           ON e.reseller_id = o.reseller_id AND e.order_id = o.order_id AND e.type = 'order.paid' \
         CROSS JOIN LATERAL ( \
           SELECT date_bin('15 minutes', e.occurred_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket_start, \
             t AS ticket_type_id \
           FROM unnest(ARRAY['00000000-0000-0000-0000-000000000000'::uuid] \
             || ARRAY(SELECT (l->>'ticket_type_id')::uuid FROM jsonb_array_elements(e.lines) AS l)) AS t \
         ) AS k \
         ORDER BY e.reseller_id, e.order_id, k.bucket_start, k.ticket_type_id, e.occurred_at, e.event_id \
         ON CONFLICT DO NOTHING",
    )
    .bind(orders.iter().map(|k| k.0).collect::<Vec<_>>())
    .bind(orders.iter().map(|k| k.1).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}

/// `raw` (JSON text) in a form `jsonb` accepts: `jsonb` cannot hold NUL
/// (`\u0000`), so NUL characters in strings and keys become U+FFFD. Any
/// other JSON is kept as it is.
pub fn storable_json(raw: &str) -> Cow<'_, str> {
    fn clean(value: serde_json::Value) -> serde_json::Value {
        use serde_json::Value;
        let text = |s: String| s.replace('\0', "\u{FFFD}");
        match value {
            Value::String(s) => Value::String(text(s)),
            Value::Array(items) => Value::Array(items.into_iter().map(clean).collect()),
            Value::Object(map) => {
                Value::Object(map.into_iter().map(|(k, v)| (text(k), clean(v))).collect())
            }
            other => other,
        }
    }
    if !raw.to_ascii_lowercase().contains("\\u0000") {
        return Cow::Borrowed(raw);
    }
    match serde_json::from_str::<serde_json::Value>(raw) {
        Ok(value) => Cow::Owned(clean(value).to_string()),
        Err(_) => Cow::Borrowed(raw),
    }
}

/// A rejected or conflicting event to keep.
#[derive(Debug, Clone)]
pub struct Quarantined<'a> {
    pub event_id: Option<Uuid>,
    pub reseller_id: Option<Uuid>,
    pub code: &'static str,
    pub message: &'a str,
    pub raw: &'a str,
}

/// Keeps rejected events. An event already open in quarantine is updated
/// (reason, raw, times seen) rather than duplicated; `entries` carries each
/// event id at most once.
pub async fn quarantine(
    conn: &mut PgConnection,
    entries: &[Quarantined<'_>],
) -> Result<(), sqlx::Error> {
    if entries.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = entries.iter().map(|_| Uuid::now_v7()).collect();
    let event_ids: Vec<Option<Uuid>> = entries.iter().map(|e| e.event_id).collect();
    let resellers: Vec<Option<Uuid>> = entries.iter().map(|e| e.reseller_id).collect();
    let codes: Vec<&str> = entries.iter().map(|e| e.code).collect();
    let messages: Vec<&str> = entries.iter().map(|e| e.message).collect();
    let storable: Vec<Cow<'_, str>> = entries.iter().map(|e| storable_json(e.raw)).collect();
    let raws: Vec<&str> = storable.iter().map(|r| r.as_ref()).collect();
    sqlx::query(
        "INSERT INTO reseller.ingest_quarantine AS q (quarantine_id, event_id, reseller_id, code, message, raw) \
         SELECT i, e, r, c, m, raw::jsonb FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[]) \
           AS u(i, e, r, c, m, raw) \
         ON CONFLICT (event_id) WHERE event_id IS NOT NULL AND status = 'open' DO UPDATE SET \
           code = EXCLUDED.code, message = EXCLUDED.message, raw = EXCLUDED.raw, reseller_id = EXCLUDED.reseller_id, \
           times_seen = q.times_seen + 1, last_seen_at = now()",
    )
    .bind(ids)
    .bind(event_ids)
    .bind(resellers)
    .bind(codes)
    .bind(messages)
    .bind(raws)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[schema(example = json!({
    "id": "0193a5c0-7d2e-7c1a-9e4b-3f1d2a6b8c97", "event_id": "0193a5c0-7d2e-7c1a-9e4b-3f1d2a6b8c99",
    "reseller_id": "0193a5c0-7d2e-7c1a-9e4b-3f1d2a6b8c90", "code": "unknown_show",
    "message": "show_id is not a show of this reseller", "event": {"event_id": "0193a5c0-7d2e-7c1a-9e4b-3f1d2a6b8c99", "type": "order.paid"},
    "status": "open", "times_seen": 1, "first_seen_at": "2026-11-25T08:00:01Z", "last_seen_at": "2026-11-25T08:00:01Z",
    "replayed_at": null
}))]
pub struct QuarantineEntry {
    #[serde(rename = "id")]
    pub quarantine_id: Uuid,
    pub event_id: Option<Uuid>,
    pub reseller_id: Option<Uuid>,
    pub code: String,
    pub message: String,
    /// The event as it was sent: any JSON value. Kept as text, never parsed
    /// into numbers: what was sent may hold one no `f64` can (say `1e400`),
    /// which `jsonb` stores but `serde_json::Value` refuses.
    #[serde(rename = "event")]
    #[schema(value_type = Value)]
    pub raw: sqlx::types::Json<Box<serde_json::value::RawValue>>,
    #[schema(value_type = crate::http::schemas::QuarantineStatus)]
    pub status: String,
    pub times_seen: i32,
    pub first_seen_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub replayed_at: Option<DateTime<Utc>>,
}

const QUARANTINE_COLUMNS: &str =
    "quarantine_id, event_id, reseller_id, code, message, raw, status, times_seen, first_seen_at, last_seen_at, replayed_at";

pub async fn list_quarantine(
    conn: &mut PgConnection,
    status: Option<&str>,
    after: Option<Uuid>,
    limit: u32,
) -> Result<Vec<QuarantineEntry>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {QUARANTINE_COLUMNS} FROM reseller.ingest_quarantine \
         WHERE ($1::text IS NULL OR status = $1) AND ($2::uuid IS NULL OR quarantine_id > $2) \
         ORDER BY quarantine_id LIMIT $3"
    ))
    .bind(status)
    .bind(after)
    .bind(i64::from(limit) + 1)
    .fetch_all(conn)
    .await
}

pub async fn find_quarantined(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<QuarantineEntry>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {QUARANTINE_COLUMNS} FROM reseller.ingest_quarantine WHERE quarantine_id = $1 FOR UPDATE"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub async fn mark_replayed(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<QuarantineEntry, sqlx::Error> {
    sqlx::query_as(&format!(
        "UPDATE reseller.ingest_quarantine SET status = 'replayed', replayed_at = now() \
         WHERE quarantine_id = $1 RETURNING {QUARANTINE_COLUMNS}"
    ))
    .bind(id)
    .fetch_one(conn)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packed_day_unpacks_to_itself() {
        let mut hours = [RollupDelta::default(); 24];
        for (h, hour) in hours.iter_mut().enumerate() {
            let h = h as i64;
            *hour = RollupDelta {
                paid_orders: h,
                tickets_sold: -h,
                gross_minor: i64::MAX - h,
                refunded_tickets: i64::MIN + h,
                refunded_minor: h << 40,
            };
        }
        let packed = pack_day(&hours);
        assert_eq!(packed.len(), DAY_BYTES);
        // Hour 1's tickets_sold (-1) is the 7th value, big-endian.
        assert_eq!(packed[48..56], (-1i64).to_be_bytes());
        assert_eq!(unpack_day(&packed), hours);
        assert_eq!(unpack_day(&packed[1..]), [RollupDelta::default(); 24]);
        assert_eq!(unpack_hour(&packed, 23), hours[23]);
        assert_eq!(unpack_hour(&packed, 24), RollupDelta::default());
    }
}
