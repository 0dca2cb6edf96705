//! Reports by ticket type from the hourly rollup (`Source::HourlyByTicketType`):
//! the day rows of `sales_hours_by_ticket_type` are read (one per day,
//! ticket type and currency, each holding its 24 hours) and their hours
//! summed here into the report's buckets. The zone's offsets are whole
//! hours over the range (the source's condition), so every bucket starts on
//! an hour: PostgreSQL names the bucket starts of the range (its time-zone
//! rules), and each hour goes to the last start at or before it.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use sqlx::{postgres::PgRow, PgConnection, Row};
use uuid::Uuid;

use super::{CurrencyCode, Granularity, ReportRow, ReportSpec, Source};
use crate::db::ingest::{unpack_day, unpack_hour, RollupDelta};

/// One stored day of one ticket type and currency (read by position, the
/// columns of [`days`]: hundreds of rows per report).
#[derive(Debug)]
pub struct DayRow {
    day_start: DateTime<Utc>,
    ticket_type_id: Uuid,
    currency: CurrencyCode,
    show_id: Uuid,
    figures: Vec<u8>,
}

impl<'r> sqlx::FromRow<'r, PgRow> for DayRow {
    fn from_row(row: &'r PgRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            day_start: row.try_get(0)?,
            ticket_type_id: row.try_get(1)?,
            currency: row.try_get(2)?,
            show_id: row.try_get(3)?,
            figures: row.try_get(4)?,
        })
    }
}

impl DayRow {
    pub fn day_start(&self) -> DateTime<Utc> {
        self.day_start
    }
}

/// True when each report row is one stored hour (hourly by ticket type):
/// the rows can be made a stored day at a time, see [`day_rows`].
pub fn one_row_per_stored_hour(spec: &ReportSpec) -> bool {
    spec.source() == Source::HourlyByTicketType
        && spec.granularity == Granularity::Hour
        && spec.by_ticket_type
}

/// The stored days that overlap the report's range, ordered by day.
pub fn days<'c>(
    conn: &'c mut PgConnection,
    spec: &ReportSpec,
    reseller_id: Uuid,
) -> impl futures_util::Stream<Item = Result<DayRow, sqlx::Error>> + Send + 'c {
    sqlx::query_as(
        "SELECT day_start, ticket_type_id, currency, show_id, figures \
         FROM reseller.sales_hours_by_ticket_type \
         WHERE reseller_id = $1 AND day_start > $2 - interval '1 day' AND day_start < $3 \
           AND ($4::uuid IS NULL OR show_id = $4) AND ($5::uuid IS NULL OR ticket_type_id = $5) \
         ORDER BY day_start",
    )
    .bind(reseller_id)
    .bind(spec.from)
    .bind(spec.to)
    .bind(spec.show_id)
    .bind(spec.ticket_type_id)
    .fetch(conn)
}

/// With [`one_row_per_stored_hour`]: the report rows of `day`, the stored
/// rows of one `day_start`, in report order (hour, show when grouped by it,
/// ticket type, currency); `utc_offset_s` unset. Made as they are read, not
/// collected: a day of a large catalog has thousands.
pub fn day_rows<'a>(
    day: &'a mut [DayRow],
    spec: &'a ReportSpec,
) -> impl Iterator<Item = ReportRow> + Send + 'a {
    let by_show = spec.by_show;
    day.sort_unstable_by_key(|d| (by_show.then_some(d.show_id), d.ticket_type_id, d.currency));
    let day: &'a [DayRow] = day;
    let day_start = day.first().map(|d| d.day_start);
    (0..24)
        .filter_map(move |h| {
            let at = day_start? + Duration::hours(h as i64);
            (at >= spec.from && at < spec.to).then_some((h, at))
        })
        .flat_map(move |(h, at)| {
            day.iter().filter_map(move |d| {
                row(
                    Some(at),
                    by_show.then_some(d.show_id),
                    Some(d.ticket_type_id),
                    d.currency,
                    &unpack_hour(&d.figures, h),
                )
            })
        })
}

/// The report's rows, ordered by bucket, show (when grouped by it), ticket
/// type (when grouped by it) and currency; `utc_offset_s` unset.
pub async fn rows(
    conn: &mut PgConnection,
    spec: &ReportSpec,
    reseller_id: Uuid,
) -> Result<Vec<ReportRow>, sqlx::Error> {
    use futures_util::TryStreamExt;
    let mut days: Vec<DayRow> = days(&mut *conn, spec, reseller_id).try_collect().await?;
    if one_row_per_stored_hour(spec) {
        let mut rows = Vec::with_capacity(days.len() * 24);
        for day in days.chunk_by_mut(|a, b| a.day_start == b.day_start) {
            rows.extend(day_rows(day, spec));
        }
        return Ok(rows);
    }
    let (by_show, by_ticket_type) = (spec.by_show, spec.by_ticket_type);
    let keys = |d: &DayRow| {
        (
            by_show.then_some(d.show_id),
            by_ticket_type.then_some(d.ticket_type_id),
        )
    };
    let starts = bucket_starts(conn, spec).await?;
    type Key = (
        Option<DateTime<Utc>>,
        Option<Uuid>,
        Option<Uuid>,
        CurrencyCode,
    );
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
                .entry((bucket, show_id, ticket_type_id, d.currency))
                .or_default();
            sum.add(figures);
        }
    }
    Ok(sums
        .into_iter()
        .filter_map(|((bucket, show_id, tt, currency), f)| row(bucket, show_id, tt, currency, &f))
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
    currency: CurrencyCode,
    f: &RollupDelta,
) -> Option<ReportRow> {
    if is_empty(f) {
        return None;
    }
    Some(ReportRow {
        bucket_start,
        utc_offset_s: None,
        show_id,
        ticket_type_id,
        channel: None,
        currency,
        paid_orders: f.paid_orders,
        tickets_sold: f.tickets_sold,
        gross_minor: f.gross_minor,
        refunded_tickets: f.refunded_tickets,
        refunded_minor: f.refunded_minor,
    })
}
