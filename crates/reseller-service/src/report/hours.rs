//! Reports by ticket type from the hourly rollup (`Source::HourlyByTicketType`):
//! the day rows of `sales_hours_by_ticket_type` are read (one per day,
//! ticket type and currency, each holding its 24 hours) and their hours
//! summed here into the report's buckets. The zone's offsets are whole
//! hours over the range (the source's condition), so every bucket starts on
//! an hour: PostgreSQL names the bucket starts of the range (its time-zone
//! rules), and each hour goes to the last start at or before it.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{Granularity, ReportRow, ReportSpec};
use crate::db::ingest::{unpack_day, RollupDelta};

#[derive(sqlx::FromRow)]
struct DayRow {
    day_start: DateTime<Utc>,
    ticket_type_id: Uuid,
    currency: String,
    show_id: Uuid,
    figures: Vec<u8>,
}

/// The report's rows, ordered by bucket, show (when grouped by it), ticket
/// type (when grouped by it) and currency; `utc_offset_s` unset.
pub async fn rows(
    conn: &mut PgConnection,
    spec: &ReportSpec,
    reseller_id: Uuid,
) -> Result<Vec<ReportRow>, sqlx::Error> {
    let mut days: Vec<DayRow> = sqlx::query_as(
        "SELECT day_start, ticket_type_id, currency, show_id, figures \
         FROM reseller.sales_hours_by_ticket_type \
         WHERE reseller_id = $1 AND day_start > $2 - interval '1 day' AND day_start < $3 \
           AND ($4::uuid IS NULL OR show_id = $4) AND ($5::uuid IS NULL OR ticket_type_id = $5)",
    )
    .bind(reseller_id)
    .bind(spec.from)
    .bind(spec.to)
    .bind(spec.show_id)
    .bind(spec.ticket_type_id)
    .fetch_all(&mut *conn)
    .await?;
    let (by_show, by_ticket_type) = (spec.by_show, spec.by_ticket_type);
    let keys = |d: &DayRow| {
        (
            by_show.then_some(d.show_id),
            by_ticket_type.then_some(d.ticket_type_id),
        )
    };
    if spec.granularity == Granularity::Hour && by_ticket_type {
        // One report row per stored hour: emitted in order, nothing to add.
        days.sort_unstable_by(|a, b| {
            (a.day_start, keys(a), &a.currency).cmp(&(b.day_start, keys(b), &b.currency))
        });
        let mut rows = Vec::with_capacity(days.len() * 24);
        for day in days.chunk_by(|a, b| a.day_start == b.day_start) {
            let hours: Vec<_> = day.iter().map(|d| unpack_day(&d.figures)).collect();
            for h in 0..24 {
                let at = day[0].day_start + Duration::hours(h as i64);
                if at < spec.from || at >= spec.to {
                    continue;
                }
                for (d, figures) in day.iter().zip(&hours) {
                    let (show_id, ticket_type_id) = keys(d);
                    if let Some(row) =
                        row(Some(at), show_id, ticket_type_id, &d.currency, &figures[h])
                    {
                        rows.push(row);
                    }
                }
            }
        }
        return Ok(rows);
    }
    let starts = bucket_starts(conn, spec).await?;
    type Key = (Option<DateTime<Utc>>, Option<Uuid>, Option<Uuid>, String);
    let mut sums: BTreeMap<Key, RollupDelta> = BTreeMap::new();
    for d in &days {
        let (show_id, ticket_type_id) = keys(d);
        for (h, figures) in unpack_day(&d.figures).iter().enumerate() {
            let at = d.day_start + Duration::hours(h as i64);
            if at < spec.from || at >= spec.to || is_empty(figures) {
                continue;
            }
            let bucket = match &starts {
                // An hour is its own bucket (the zone's offsets are whole hours).
                None if spec.granularity == Granularity::Hour => Some(at),
                None => None,
                Some(starts) => {
                    let i = starts.partition_point(|s| *s <= at);
                    Some(if i == 0 { at } else { starts[i - 1] })
                }
            };
            let sum = sums
                .entry((bucket, show_id, ticket_type_id, d.currency.clone()))
                .or_default();
            sum.add(figures);
        }
    }
    Ok(sums
        .into_iter()
        .filter_map(|((bucket, show_id, tt, currency), f)| row(bucket, show_id, tt, &currency, &f))
        .collect())
}

/// The bucket starts of the range; none for `none`, and for `hour`, whose
/// buckets are the hours themselves (no query).
async fn bucket_starts(
    conn: &mut PgConnection,
    spec: &ReportSpec,
) -> Result<Option<Vec<DateTime<Utc>>>, sqlx::Error> {
    let field = match spec.granularity {
        Granularity::None | Granularity::Minutes15 | Granularity::Hour => return Ok(None),
        Granularity::Day => "day",
        Granularity::Week => "week",
        Granularity::Month => "month",
    };
    let starts: Vec<DateTime<Utc>> = sqlx::query_scalar(
        "SELECT DISTINCT date_trunc($1, h, $2) AS b \
         FROM generate_series($3::timestamptz, $4::timestamptz - interval '1 hour', interval '1 hour') AS h \
         ORDER BY b",
    )
    .bind(field)
    .bind(&spec.tz)
    .bind(spec.from)
    .bind(spec.to)
    .fetch_all(conn)
    .await?;
    Ok(Some(starts))
}

fn is_empty(f: &RollupDelta) -> bool {
    *f == RollupDelta::default()
}

/// A report row, or none for an hour without sales (no stored row before).
fn row(
    bucket_start: Option<DateTime<Utc>>,
    show_id: Option<Uuid>,
    ticket_type_id: Option<Uuid>,
    currency: &str,
    f: &RollupDelta,
) -> Option<ReportRow> {
    (!is_empty(f)).then(|| ReportRow {
        bucket_start,
        utc_offset_s: None,
        show_id,
        ticket_type_id,
        channel: None,
        currency: currency.to_owned(),
        paid_orders: f.paid_orders,
        tickets_sold: f.tickets_sold,
        gross_minor: f.gross_minor,
        refunded_tickets: f.refunded_tickets,
        refunded_minor: f.refunded_minor,
    })
}
