//! Reading a report: the rows (see [`ReportSpec::sql`] and [`hours::rows`]),
//! the totals, and the paid-order correction for orders paid in more than
//! one 15-minute bucket.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{finish_rows, hours, totals_of, CurrencyCode, Mode, ReportRow, ReportSpec, Source};

/// The rows of `spec` in order with their offsets, and with `with_totals`
/// its totals (else none).
pub async fn rows_and_totals(
    conn: &mut PgConnection,
    spec: &ReportSpec,
    reseller_id: Uuid,
    with_totals: bool,
) -> Result<(Vec<ReportRow>, Vec<ReportRow>), sqlx::Error> {
    let mut rows = if spec.source() == Source::HourlyByTicketType {
        hours::rows(conn, spec, reseller_id).await?
    } else {
        let (sql, binds) = spec.query(reseller_id, Mode::Collect);
        binds.bind(&sql).fetch_all(&mut *conn).await?
    };
    let repeats = Repeats::read(conn, spec, reseller_id).await?;
    let totals = if !with_totals {
        Vec::new()
    } else if spec.totals_from_rows() {
        // Summed before the rows' correction: the totals subtract their own.
        let mut totals = totals_of(&rows);
        repeats.correct_totals(&mut totals);
        totals
    } else {
        queried_totals(conn, spec, reseller_id).await?
    };
    repeats.correct_rows(&mut rows);
    // `hours::rows` gives them in order already.
    let sorted = spec.source() == Source::HourlyByTicketType;
    finish_rows(conn, spec, &mut rows, sorted).await?;
    Ok((rows, totals))
}

/// The totals of `spec` by their own query (see
/// [`ReportSpec::totals_from_rows`]), one per currency in order.
pub async fn queried_totals(
    conn: &mut PgConnection,
    spec: &ReportSpec,
    reseller_id: Uuid,
) -> Result<Vec<ReportRow>, sqlx::Error> {
    let totals_spec = spec.totals();
    let (sql, binds) = totals_spec.query(reseller_id, Mode::Collect);
    let mut totals = binds.bind(&sql).fetch_all(&mut *conn).await?;
    Repeats::read(conn, &totals_spec, reseller_id)
        .await?
        .correct_totals(&mut totals);
    totals.sort_unstable_by_key(|t| t.currency);
    Ok(totals)
}

/// The key of a report row (bucket, show, ticket type, channel, currency).
type RowKey = (
    Option<DateTime<Utc>>,
    Option<Uuid>,
    Option<Uuid>,
    Option<String>,
    CurrencyCode,
);

/// What the rollups count too many: the rollups count an order once per
/// 15-minute bucket it has a paid event in, so an order paid in several
/// buckets that one report row merges is counted once per bucket there.
/// `paid_order_repeats` lists the paid keys of such orders; per row, and per
/// total, the excess is the number of their keys in it minus the number of
/// distinct orders among them.
#[derive(Debug, Default)]
pub struct Repeats {
    rows: HashMap<RowKey, i64>,
    totals: HashMap<CurrencyCode, i64>,
}

#[derive(sqlx::FromRow)]
struct RepeatRow {
    bucket_start: Option<DateTime<Utc>>,
    show_id: Option<Uuid>,
    ticket_type_id: Option<Uuid>,
    channel: Option<String>,
    currency: CurrencyCode,
    order_id: Uuid,
}

impl Repeats {
    /// The excess of each row and total of `spec`.
    pub async fn read(
        conn: &mut PgConnection,
        spec: &ReportSpec,
        reseller_id: Uuid,
    ) -> Result<Self, sqlx::Error> {
        let (sql, binds) = spec.repeats_query(reseller_id);
        let keys: Vec<RepeatRow> = binds.bind_as(&sql).fetch_all(conn).await?;
        Ok(Self::of(keys))
    }

    fn of(keys: Vec<RepeatRow>) -> Self {
        let mut rows: HashMap<RowKey, (i64, HashSet<Uuid>)> = HashMap::new();
        let mut totals: HashMap<CurrencyCode, (i64, HashSet<Uuid>)> = HashMap::new();
        for k in keys {
            let total = totals.entry(k.currency).or_default();
            total.0 += 1;
            total.1.insert(k.order_id);
            let row = rows
                .entry((
                    k.bucket_start,
                    k.show_id,
                    k.ticket_type_id,
                    k.channel,
                    k.currency,
                ))
                .or_default();
            row.0 += 1;
            row.1.insert(k.order_id);
        }
        let excess = |(keys, orders): (i64, HashSet<Uuid>)| keys - orders.len() as i64;
        Self {
            rows: rows
                .into_iter()
                .map(|(k, v)| (k, excess(v)))
                .filter(|(_, n)| *n > 0)
                .collect(),
            totals: totals
                .into_iter()
                .map(|(k, v)| (k, excess(v)))
                .filter(|(_, n)| *n > 0)
                .collect(),
        }
    }

    /// True when nothing is to be corrected (no order of the report was paid
    /// in two of its buckets).
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty() && self.totals.is_empty()
    }

    /// Corrects one row (before `finish_rows`, or as streamed).
    pub fn correct_row(&self, row: &mut ReportRow) {
        if self.rows.is_empty() {
            return;
        }
        let key = (
            row.bucket_start,
            row.show_id,
            row.ticket_type_id,
            row.channel.clone(),
            row.currency,
        );
        if let Some(n) = self.rows.get(&key) {
            row.paid_orders -= n;
        }
    }

    pub fn correct_rows(&self, rows: &mut [ReportRow]) {
        for row in rows {
            self.correct_row(row);
        }
    }

    /// Corrects totals (one per currency).
    pub fn correct_totals(&self, totals: &mut [ReportRow]) {
        for t in totals {
            if let Some(n) = self.totals.get(&t.currency) {
                t.paid_orders -= n;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(order: u128, hour: u32, currency: &str) -> RepeatRow {
        RepeatRow {
            bucket_start: Some(
                DateTime::parse_from_rfc3339(&format!("2026-11-25T{hour:02}:00:00Z"))
                    .unwrap()
                    .with_timezone(&Utc),
            ),
            show_id: None,
            ticket_type_id: None,
            channel: None,
            currency: CurrencyCode::new(currency).unwrap(),
            order_id: Uuid::from_u128(order),
        }
    }

    #[test]
    fn the_excess_is_the_keys_of_a_row_minus_its_distinct_orders() {
        // Order 1: three buckets in hour 10, one in hour 11. Order 2: two
        // buckets in hour 11. Order 3 (EUR): one bucket in hours 10 and 12.
        let r = Repeats::of(vec![
            key(1, 10, "IDR"),
            key(1, 10, "IDR"),
            key(1, 10, "IDR"),
            key(1, 11, "IDR"),
            key(2, 11, "IDR"),
            key(2, 11, "IDR"),
            key(3, 10, "EUR"),
            key(3, 12, "EUR"),
        ]);
        let at = |h| key(0, h, "IDR").bucket_start;
        let (idr, eur) = (key(0, 0, "IDR").currency, key(0, 0, "EUR").currency);
        assert_eq!(r.rows.get(&(at(10), None, None, None, idr)), Some(&2));
        assert_eq!(r.rows.get(&(at(11), None, None, None, idr)), Some(&1));
        assert_eq!(r.rows.get(&(at(10), None, None, None, eur)), None);
        assert_eq!(r.totals.get(&idr), Some(&4));
        assert_eq!(r.totals.get(&eur), Some(&1));
    }
}
