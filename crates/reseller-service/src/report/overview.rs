//! The sales overview for admin-service: the daily sales report of every
//! reseller at once, one row per local day, reseller and currency, with the
//! same figures as each reseller's own `GET /v1/reports/sales?granularity=day`
//! (read from the same rollups, `paid_orders` from the order-level one, less
//! the orders paid in several buckets of a day counted more than once), and
//! totals per currency summed from the rows (each order once).
//!
//! Kept apart from the reseller's report: it reuses that report's parameter
//! checks ([`ReportSpec::parse`]) and nothing else, so either can change
//! shape without the other.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use platform::{FieldError, Problem};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{ReportQuery, ReportSpec};
use crate::ApiError;

/// The longest range, in days.
pub const MAX_DAYS: i64 = 366;
/// The most rows one answer carries (days x resellers x currencies).
pub const MAX_ROWS: usize = 50_000;

/// The query string as sent.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverviewQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub tz: Option<String>,
    pub reseller_id: Option<Uuid>,
}

/// A validated overview request: local midnights of `from` and `to` (to
/// exclusive) in `tz`.
#[derive(Debug, Clone)]
pub struct OverviewSpec {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub tz: String,
    pub reseller_id: Option<Uuid>,
}

fn invalid(field: &str, code: &'static str, message: impl Into<String>) -> ApiError {
    let message = message.into();
    Problem::new(
        StatusCode::BAD_REQUEST,
        "invalid_query",
        format!("{field}: {message}"),
    )
    .with_errors(vec![FieldError::new(field, code, message)])
    .into()
}

fn date(field: &str, raw: &Option<String>) -> Result<NaiveDate, ApiError> {
    let raw = raw.as_deref().map(str::trim).unwrap_or_default();
    if raw.is_empty() {
        return Err(invalid(field, "required", "is required: a YYYY-MM-DD date"));
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| invalid(field, "invalid", "must be a YYYY-MM-DD date"))
}

impl OverviewSpec {
    pub async fn parse(conn: &mut PgConnection, q: &OverviewQuery) -> Result<Self, ApiError> {
        let from = date("from", &q.from)?;
        let to = date("to", &q.to)?;
        if from >= to {
            return Err(invalid("to", "reversed_range", "must be after from"));
        }
        if (to - from).num_days() > MAX_DAYS {
            return Err(invalid(
                "to",
                "range_too_large",
                format!("the overview covers at most {MAX_DAYS} days"),
            ));
        }
        // The reseller's report checks the zone and finds local midnights.
        let spec = ReportSpec::parse(
            conn,
            &ReportQuery {
                from: Some(from.to_string()),
                to: Some(to.to_string()),
                tz: q.tz.clone(),
                granularity: Some("day".to_owned()),
                ..ReportQuery::default()
            },
        )
        .await?;
        Ok(Self {
            from: spec.from,
            to: spec.to,
            tz: spec.tz,
            reseller_id: q.reseller_id,
        })
    }

    /// The overview: its rows and totals, each order counted once per row
    /// and per total (see `report::read::Repeats`).
    pub async fn overview(&self, conn: &mut PgConnection) -> Result<Overview, ApiError> {
        let rows = self.rows(conn).await?;
        // The orders' paid keys (not per ticket type); `reseller` is the
        // parameter of the reseller filter.
        let filters = |reseller: &str| {
            format!(
                "bucket_start >= $1 AND bucket_start < $2 \
                 AND ({reseller}::uuid IS NULL OR reseller_id = {reseller}) \
                 AND ticket_type_id = '00000000-0000-0000-0000-000000000000'::uuid"
            )
        };
        let per_row: Vec<(NaiveDate, Uuid, String, i64)> = sqlx::query_as(&format!(
            "SELECT (date_trunc('day', bucket_start, $3) AT TIME ZONE $3)::date, reseller_id, currency, \
               (count(*) - count(DISTINCT order_id))::bigint \
             FROM reseller.paid_order_repeats WHERE {} GROUP BY 1, 2, 3",
            filters("$4")
        ))
        .bind(self.from)
        .bind(self.to)
        .bind(&self.tz)
        .bind(self.reseller_id)
        .fetch_all(&mut *conn)
        .await?;
        let per_row: BTreeMap<(NaiveDate, Uuid, String), i64> = per_row
            .into_iter()
            .map(|(d, r, c, n)| ((d, r, c), n))
            .collect();
        let per_total: Vec<(String, i64)> = sqlx::query_as(&format!(
            "SELECT currency, (count(*) - count(DISTINCT (reseller_id, order_id)))::bigint \
             FROM reseller.paid_order_repeats WHERE {} GROUP BY 1",
            filters("$3")
        ))
        .bind(self.from)
        .bind(self.to)
        .bind(self.reseller_id)
        .fetch_all(&mut *conn)
        .await?;
        // Totals from the rows as counted per 15-minute bucket, then each
        // row corrected on its own.
        let mut overview = Overview::from_rows(rows, &per_total.into_iter().collect());
        for row in &mut overview.rows {
            let key = (row.day, row.reseller_id, row.figures.currency.clone());
            if let Some(n) = per_row.get(&key) {
                row.figures.paid_orders -= n;
            }
        }
        Ok(overview)
    }

    /// The rows, ordered by day, reseller and currency; 400 when there are
    /// more than [`MAX_ROWS`].
    async fn rows(&self, conn: &mut PgConnection) -> Result<Vec<OverviewRow>, ApiError> {
        let filters =
            "bucket_start >= $1 AND bucket_start < $2 AND ($4::uuid IS NULL OR reseller_id = $4)";
        let sql = format!(
            "WITH t AS ( \
               SELECT date_trunc('day', bucket_start, $3) AS b, reseller_id, currency, \
                 sum(tickets_sold)::bigint AS tickets_sold, sum(gross_minor)::bigint AS gross_minor, \
                 sum(refunded_tickets)::bigint AS refunded_tickets, sum(refunded_minor)::bigint AS refunded_minor \
               FROM reseller.sales_rollup_15m WHERE {filters} GROUP BY 1, 2, 3), \
             o AS ( \
               SELECT date_trunc('day', bucket_start, $3) AS b, reseller_id, currency, \
                 sum(paid_orders)::bigint AS paid_orders \
               FROM reseller.sales_orders_15m WHERE {filters} GROUP BY 1, 2, 3) \
             SELECT (b AT TIME ZONE $3)::date AS day, reseller_id, currency, \
               coalesce(o.paid_orders, 0)::bigint AS paid_orders, coalesce(tickets_sold, 0)::bigint AS tickets_sold, \
               coalesce(gross_minor, 0)::bigint AS gross_minor, coalesce(refunded_tickets, 0)::bigint AS refunded_tickets, \
               coalesce(refunded_minor, 0)::bigint AS refunded_minor \
             FROM t FULL JOIN o USING (b, reseller_id, currency) \
             ORDER BY b, reseller_id, currency LIMIT $5"
        );
        let rows: Vec<OverviewRow> = sqlx::query_as(&sql)
            .bind(self.from)
            .bind(self.to)
            .bind(&self.tz)
            .bind(self.reseller_id)
            .bind(MAX_ROWS as i64 + 1)
            .fetch_all(conn)
            .await?;
        if rows.len() > MAX_ROWS {
            return Err(invalid(
                "to",
                "too_many_rows",
                format!(
                    "the overview has more than {MAX_ROWS} rows; narrow the range or filter by reseller_id"
                ),
            ));
        }
        Ok(rows)
    }
}

/// One local day of one reseller in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct OverviewRow {
    pub day: NaiveDate,
    pub reseller_id: Uuid,
    #[serde(flatten)]
    #[sqlx(flatten)]
    pub figures: Figures,
}

/// The figures of a row or a total, with their currency.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Figures {
    pub currency: String,
    pub paid_orders: i64,
    pub tickets_sold: i64,
    pub gross_minor: i64,
    pub refunded_tickets: i64,
    pub refunded_minor: i64,
    #[sqlx(skip)]
    pub net_minor: i64,
}

impl Figures {
    fn add(&mut self, other: &Self) {
        self.paid_orders = self.paid_orders.saturating_add(other.paid_orders);
        self.tickets_sold = self.tickets_sold.saturating_add(other.tickets_sold);
        self.gross_minor = self.gross_minor.saturating_add(other.gross_minor);
        self.refunded_tickets = self.refunded_tickets.saturating_add(other.refunded_tickets);
        self.refunded_minor = self.refunded_minor.saturating_add(other.refunded_minor);
        self.net_minor = self.gross_minor.saturating_sub(self.refunded_minor);
    }
}

/// The answer: `rows`, and `totals` with one entry per currency.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({
    "rows": [{"day": "2026-11-25", "reseller_id": "0193a5c0-7d2e-7c1a-9e4b-3f1d2a6b8c90", "currency": "IDR", "paid_orders": 3,
        "tickets_sold": 5, "gross_minor": 750000000, "refunded_tickets": 1, "refunded_minor": 150000000, "net_minor": 600000000}],
    "totals": [{"currency": "IDR", "paid_orders": 3, "tickets_sold": 5, "gross_minor": 750000000, "refunded_tickets": 1,
        "refunded_minor": 150000000, "net_minor": 600000000}]
}))]
pub struct Overview {
    pub rows: Vec<OverviewRow>,
    pub totals: Vec<Figures>,
}

impl Overview {
    /// The totals are the rows summed per currency, less `repeated`: per
    /// currency, the paid keys of orders paid in several 15-minute buckets
    /// minus the number of those orders (the rows count per bucket).
    pub fn from_rows(mut rows: Vec<OverviewRow>, repeated: &BTreeMap<String, i64>) -> Self {
        let mut totals: BTreeMap<String, Figures> = BTreeMap::new();
        for row in &mut rows {
            let f = &mut row.figures;
            f.net_minor = f.gross_minor.saturating_sub(f.refunded_minor);
            totals
                .entry(f.currency.clone())
                .or_insert_with(|| Figures {
                    currency: f.currency.clone(),
                    ..Figures::default()
                })
                .add(f);
        }
        for (currency, total) in &mut totals {
            total.paid_orders -= repeated.get(currency).copied().unwrap_or(0);
        }
        Self {
            rows,
            totals: totals.into_values().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(currency: &str, gross: i64, refunded: i64) -> OverviewRow {
        OverviewRow {
            day: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
            reseller_id: Uuid::nil(),
            figures: Figures {
                currency: currency.to_owned(),
                paid_orders: 1,
                tickets_sold: 2,
                gross_minor: gross,
                refunded_tickets: 1,
                refunded_minor: refunded,
                net_minor: 0,
            },
        }
    }

    #[test]
    fn totals_are_one_per_currency_summed_from_the_rows() {
        let repeated = BTreeMap::from([("IDR".to_owned(), 1)]);
        let o = Overview::from_rows(
            vec![row("IDR", 300, 100), row("EUR", 50, 0), row("IDR", 200, 0)],
            &repeated,
        );
        assert_eq!(o.rows[0].figures.net_minor, 200);
        let t: Vec<(&str, i64, i64, i64)> = o
            .totals
            .iter()
            .map(|t| {
                (
                    t.currency.as_str(),
                    t.paid_orders,
                    t.gross_minor,
                    t.net_minor,
                )
            })
            .collect();
        // The IDR rows hold one order twice (two days).
        assert_eq!(t, [("EUR", 1, 50, 50), ("IDR", 1, 500, 400)]);
    }
}
