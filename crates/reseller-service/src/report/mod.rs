//! The sales report: parameters, their validation, and the SQL over the
//! rollups.
//!
//! Time zones are PostgreSQL's own IANA database: buckets are
//! `date_trunc(field, instant, tz)`, which follows local days, weeks and
//! months across daylight-saving changes (a local day may have 23 or 25
//! hours), and zones with 30- or 45-minute offsets, since every local
//! boundary is also a 15-minute UTC boundary.
//!
//! Where the rows come from ([`Source`]): the hourly rollups whenever they
//! can give the same answer, that is when the report needs no channel, is
//! not by 15 minutes, starts and ends on whole UTC hours and its zone's
//! offsets over the range are whole hours ([`zone::whole_hours`]); the
//! narrowest hourly table that has the dimensions asked for (grouping and
//! filters); else the 15-minute rollups. So a report reads at most one row
//! per hour (or 15 minutes) and key asked for, whatever the number of
//! events, and each row's figures are sums of the same 15-minute figures.

pub mod chart;
pub mod code;
pub mod hours;
pub mod json;
pub mod overview;
pub mod read;
pub mod zone;

use std::{
    collections::{BTreeMap, HashSet},
    sync::Mutex,
};

use axum::http::StatusCode;
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, SecondsFormat, Timelike, Utc};
use platform::{FieldError, Problem};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::ApiError;
pub use code::CurrencyCode;

/// The query string as sent.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub tz: Option<String>,
    pub granularity: Option<String>,
    pub group_by: Option<String>,
    pub show_id: Option<Uuid>,
    pub ticket_type_id: Option<Uuid>,
    pub channel: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    Minutes15,
    Hour,
    Day,
    Week,
    Month,
    None,
}

impl Granularity {
    fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "15m" => Self::Minutes15,
            "hour" => Self::Hour,
            "day" => Self::Day,
            "week" => Self::Week,
            "month" => Self::Month,
            "none" => Self::None,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Minutes15 => "15m",
            Self::Hour => "hour",
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
            Self::None => "none",
        }
    }

    /// The longest range a report of this granularity may cover.
    pub fn max_range_days(self) -> i64 {
        match self {
            Self::Minutes15 => 31,
            Self::Hour => 93,
            Self::Day => 1100,
            Self::Week | Self::Month | Self::None => 7320,
        }
    }

    /// The SQL expression of a row's bucket over the instant column `at`
    /// ($4 is the time zone), or none for `none`.
    fn bucket_sql(self, source: Source) -> Option<String> {
        let at = source.instant_column();
        Some(match (self, source) {
            (Self::Minutes15, _) => at.to_owned(),
            // A clean zone's local hours are UTC hours (see `zone`).
            (Self::Hour, Source::Hourly | Source::HourlyByShow | Source::HourlyByTicketType) => {
                at.to_owned()
            }
            // Not date_trunc('hour', ..., tz): on a fall-back day it maps both
            // occurrences of the repeated local hour to one instant. Every
            // offset is a multiple of 15 minutes, so a local hour starts
            // this many minutes before the 15-minute bucket.
            (Self::Hour, Source::Quarter) => format!(
                "({at} - make_interval(mins => extract(minute FROM {at} AT TIME ZONE $4)::int))"
            ),
            (Self::Day, _) => format!("date_trunc('day', {at}, $4)"),
            (Self::Week, _) => format!("date_trunc('week', {at}, $4)"),
            (Self::Month, _) => format!("date_trunc('month', {at}, $4)"),
            (Self::None, _) => return None,
        })
    }
}

/// The rollup a report reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `sales_hourly`: per hour and currency.
    Hourly,
    /// `sales_hourly_by_show`: per hour, show and currency.
    HourlyByShow,
    /// `sales_hours_by_ticket_type`: per UTC day (24 hours in a row),
    /// ticket type (and show) and currency; paid_orders per ticket type.
    /// Read and summed by [`hours::rows`].
    HourlyByTicketType,
    /// `sales_rollup_15m` with `sales_orders_15m`: every dimension, by 15
    /// minutes.
    Quarter,
}

impl Source {
    fn instant_column(self) -> &'static str {
        match self {
            Self::Quarter => "bucket_start",
            _ => "hour_start",
        }
    }

    fn table(self) -> &'static str {
        match self {
            Self::Hourly => "reseller.sales_hourly",
            Self::HourlyByShow => "reseller.sales_hourly_by_show",
            // Read by `hours::rows`, never by the SQL of `ReportSpec::sql`.
            Self::HourlyByTicketType => "reseller.sales_hours_by_ticket_type",
            Self::Quarter => "reseller.sales_rollup_15m",
        }
    }
}

/// A validated report request.
#[derive(Debug, Clone)]
pub struct ReportSpec {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub tz: String,
    pub granularity: Granularity,
    pub by_show: bool,
    pub by_ticket_type: bool,
    pub by_channel: bool,
    pub show_id: Option<Uuid>,
    pub ticket_type_id: Option<Uuid>,
    pub channel: Option<String>,
    /// `from` and `to` are whole UTC hours and the zone's offsets over the
    /// range are whole hours: hourly rows give the same buckets.
    pub whole_hours: bool,
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

/// Time-zone names PostgreSQL knows, checked once each.
static KNOWN_ZONES: Mutex<Option<HashSet<String>>> = Mutex::new(None);

async fn check_zone(conn: &mut PgConnection, tz: &str) -> Result<(), ApiError> {
    let known = |zones: &Option<HashSet<String>>| zones.as_ref().is_some_and(|z| z.contains(tz));
    if known(&KNOWN_ZONES.lock().unwrap_or_else(|p| p.into_inner())) {
        return Ok(());
    }
    let exists: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT FROM pg_catalog.pg_timezone_names WHERE name = $1)",
    )
    .bind(tz)
    .fetch_one(conn)
    .await?;
    if !exists {
        return Err(invalid(
            "tz",
            "unknown_timezone",
            "is not an IANA time zone name, e.g. Asia/Jakarta",
        ));
    }
    KNOWN_ZONES
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get_or_insert_with(HashSet::new)
        .insert(tz.to_owned());
    Ok(())
}

/// A bound as given: an instant, or a date to be taken as local midnight.
enum Bound {
    Instant(DateTime<Utc>),
    Date(NaiveDate),
}

fn parse_bound(field: &str, raw: &Option<String>) -> Result<Bound, ApiError> {
    let raw = raw
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .ok_or_else(|| {
            invalid(
                field,
                "required",
                "is required: an RFC 3339 instant or a YYYY-MM-DD date in tz",
            )
        })?;
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        Ok(Bound::Instant(at.with_timezone(&Utc)))
    } else if let Ok(date) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        Ok(Bound::Date(date))
    } else {
        Err(invalid(
            field,
            "invalid",
            "must be an RFC 3339 instant or a YYYY-MM-DD date",
        ))
    }
}

/// `from` and `to` as instants: dates are local midnights in `tz`, both
/// asked of the database in one round trip. Checked in order: `from` as
/// given, then `to`, then the instants the dates turned into.
async fn bounds(
    conn: &mut PgConnection,
    q: &ReportQuery,
    tz: &str,
) -> Result<(DateTime<Utc>, DateTime<Utc>), ApiError> {
    let from = parse_bound("from", &q.from)?;
    if let Bound::Instant(at) = from {
        aligned("from", at)?;
    }
    let to = parse_bound("to", &q.to)?;
    if let Bound::Instant(at) = to {
        aligned("to", at)?;
    }
    let date = |b: &Bound| match b {
        Bound::Date(d) => Some(*d),
        Bound::Instant(_) => None,
    };
    let midnights: (Option<DateTime<Utc>>, Option<DateTime<Utc>>) =
        if date(&from).is_some() || date(&to).is_some() {
            sqlx::query_as(
            "SELECT ($1::date)::timestamp AT TIME ZONE $3, ($2::date)::timestamp AT TIME ZONE $3",
        )
        .bind(date(&from))
        .bind(date(&to))
        .bind(tz)
        .fetch_one(conn)
        .await?
        } else {
            (None, None)
        };
    let instant = |field: &str, b: Bound, midnight: Option<DateTime<Utc>>| match b {
        Bound::Instant(at) => Ok(at),
        Bound::Date(_) => {
            let at = midnight
                .ok_or_else(|| invalid(field, "invalid", "is a date without a midnight in tz"))?;
            aligned(field, at)
        }
    };
    Ok((
        instant("from", from, midnights.0)?,
        instant("to", to, midnights.1)?,
    ))
}

/// `at` if it falls on a 15-minute boundary.
fn aligned(field: &str, at: DateTime<Utc>) -> Result<DateTime<Utc>, ApiError> {
    if at.minute() % 15 != 0 || at.second() != 0 || at.nanosecond() != 0 {
        return Err(invalid(
            field,
            "misaligned",
            "must fall on a 15-minute boundary (e.g. 10:00, 10:15, 10:30)",
        ));
    }
    Ok(at)
}

impl ReportSpec {
    pub async fn parse(conn: &mut PgConnection, q: &ReportQuery) -> Result<Self, ApiError> {
        let tz =
            q.tz.as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .unwrap_or("UTC")
                .to_owned();
        if tz.len() > 64 {
            return Err(invalid(
                "tz",
                "unknown_timezone",
                "is not an IANA time zone name",
            ));
        }
        check_zone(conn, &tz).await?;
        let granularity = match q.granularity.as_deref() {
            None | Some("") => Granularity::Day,
            Some(raw) => Granularity::parse(raw).ok_or_else(|| {
                invalid(
                    "granularity",
                    "invalid_choice",
                    "must be one of 15m, hour, day, week, month, none",
                )
            })?,
        };
        let (mut by_show, mut by_ticket_type, mut by_channel) = (false, false, false);
        for key in q
            .group_by
            .as_deref()
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
        {
            match key {
                "show" => by_show = true,
                "ticket_type" => by_ticket_type = true,
                "channel" => by_channel = true,
                _ => {
                    return Err(invalid(
                        "group_by",
                        "invalid_choice",
                        "is a comma list of show, ticket_type, channel",
                    ))
                }
            }
        }
        if let Some(channel) = &q.channel {
            let ok = (1..=32).contains(&channel.len())
                && channel
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !ok {
                return Err(invalid(
                    "channel",
                    "invalid",
                    "is 1 to 32 characters of [a-z0-9_]",
                ));
            }
        }
        let (from, to) = bounds(conn, q, &tz).await?;
        if from >= to {
            return Err(invalid("to", "reversed_range", "must be after from"));
        }
        let limit = granularity.max_range_days();
        if to - from > Duration::days(limit) {
            return Err(invalid(
                "to",
                "range_too_large",
                format!(
                    "a {} report covers at most {limit} days",
                    granularity.as_str()
                ),
            ));
        }
        let on_the_hour = |t: DateTime<Utc>| t.minute() == 0;
        let whole_hours =
            on_the_hour(from) && on_the_hour(to) && zone::whole_hours(conn, &tz, from, to).await?;
        Ok(Self {
            from,
            to,
            tz,
            granularity,
            by_show,
            by_ticket_type,
            by_channel,
            show_id: q.show_id,
            ticket_type_id: q.ticket_type_id,
            channel: q.channel.clone(),
            whole_hours,
        })
    }

    /// The same request, totalled per currency over the whole range.
    pub fn totals(&self) -> Self {
        Self {
            granularity: Granularity::None,
            by_show: false,
            by_ticket_type: false,
            by_channel: false,
            ..self.clone()
        }
    }

    /// The table the rows come from: the narrowest hourly table with every
    /// dimension the grouping and the filters need, when hourly rows give
    /// the same buckets; else the 15-minute rollups.
    pub fn source(&self) -> Source {
        let needs_show = self.by_show || self.show_id.is_some();
        let needs_ticket_type = self.by_ticket_type || self.ticket_type_id.is_some();
        let needs_channel = self.by_channel || self.channel.is_some();
        if !self.whole_hours || needs_channel || self.granularity == Granularity::Minutes15 {
            Source::Quarter
        } else if needs_ticket_type {
            Source::HourlyByTicketType
        } else if needs_show {
            Source::HourlyByShow
        } else {
            Source::Hourly
        }
    }

    /// True when the totals are the sums of the rows per currency: always,
    /// except when rows are split by ticket type without a ticket-type
    /// filter (an order with lines of two ticket types is then counted in
    /// two rows but once in the total).
    pub fn totals_from_rows(&self) -> bool {
        !self.by_ticket_type || self.ticket_type_id.is_some()
    }

    /// The report's SQL. Binds: $1 reseller, $2 from, $3 to, $4 tz,
    /// $5 show filter, $6 ticket type filter, $7 channel filter.
    /// With `Mode::Collect`, `utc_offset_s` is NULL and the rows may come
    /// unordered: [`finish_rows`] sets the offsets and the order.
    ///
    /// Tickets and amounts are sums of ticket-type rollups. `paid_orders`
    /// counts orders (an order with lines of two ticket types is one
    /// order) unless rows are split or filtered by ticket type.
    pub fn sql(&self, mode: Mode) -> String {
        // Rows by ticket type from the hourly rollup are summed by
        // `hours::rows`; in SQL (the CSV, streamed) they come from the
        // 15-minute rows, which give the same figures.
        let source = match self.source() {
            Source::HourlyByTicketType => Source::Quarter,
            source => source,
        };
        let bucket = self.granularity.bucket_sql(source);
        let mut keys: Vec<&str> = Vec::new();
        if bucket.is_some() {
            keys.push("b");
        }
        if self.by_show {
            keys.push("show_id");
        }
        if self.by_channel {
            keys.push("channel");
        }
        let order_keys = keys.clone();
        if self.by_ticket_type {
            keys.push("ticket_type_id");
        }
        keys.push("currency");
        let per_ticket_type = self.by_ticket_type || self.ticket_type_id.is_some();
        let select_keys = |keys: &[&str]| {
            keys.iter()
                .map(|k| match (*k, &bucket) {
                    ("b", Some(expr)) => format!("{expr} AS b"),
                    (k, _) => k.to_owned(),
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let group = |keys: &[&str]| keys.join(", ");
        let offset = if bucket.is_some() && mode == Mode::Stream {
            "extract(epoch FROM (b AT TIME ZONE $4) - (b AT TIME ZONE 'UTC'))::int"
        } else {
            "NULL::int"
        };
        let bucket_col = if bucket.is_some() {
            "b"
        } else {
            "NULL::timestamptz"
        };
        let col = |name: &str, present: bool, ty: &str| {
            if present {
                name.to_owned()
            } else {
                format!("NULL::{ty}")
            }
        };
        let head = format!(
            "{bucket_col} AS bucket_start, {offset} AS utc_offset_s, {} AS show_id, {} AS ticket_type_id, {} AS channel, currency",
            col("show_id", self.by_show, "uuid"),
            col("ticket_type_id", self.by_ticket_type, "uuid"),
            col("channel", self.by_channel, "text"),
        );
        // Sorting in the database costs more than the scan of an hourly
        // report's rows; `finish_rows` sorts them instead, except by
        // channel, whose order follows the database's collation.
        let order_by = if mode == Mode::Stream || self.by_channel {
            format!(" ORDER BY {}", keys.join(", "))
        } else {
            String::new()
        };
        let figures = "sum(tickets_sold)::bigint AS tickets_sold, \
               sum(gross_minor)::bigint AS gross_minor, sum(refunded_tickets)::bigint AS refunded_tickets, \
               sum(refunded_minor)::bigint AS refunded_minor";
        if source != Source::Quarter {
            let at = source.instant_column();
            let mut filters = format!("reseller_id = $1 AND {at} >= $2 AND {at} < $3");
            if self.show_id.is_some() {
                filters.push_str(" AND show_id = $5");
            }
            if self.ticket_type_id.is_some() {
                filters.push_str(" AND ticket_type_id = $6");
            }
            // By hour and by every key of the table: each row is one row
            // of the report, nothing to add up.
            let one_row_each = self.granularity == Granularity::Hour
                && match source {
                    Source::HourlyByShow => self.by_show,
                    _ => true,
                };
            if one_row_each {
                return format!(
                    "WITH t AS (SELECT {sel}, paid_orders, tickets_sold, gross_minor, refunded_tickets, refunded_minor \
                       FROM {table} WHERE {filters}) \
                     SELECT {head}, paid_orders, tickets_sold, gross_minor, refunded_tickets, refunded_minor \
                     FROM t{order_by}",
                    sel = select_keys(&keys),
                    table = source.table(),
                );
            }
            return format!(
                "WITH t AS (SELECT {sel}, sum(paid_orders)::bigint AS paid_orders, {figures} \
                   FROM {table} WHERE {filters} GROUP BY {grp}) \
                 SELECT {head}, paid_orders, tickets_sold, gross_minor, refunded_tickets, refunded_minor \
                 FROM t{order_by}",
                sel = select_keys(&keys),
                table = source.table(),
                grp = group(&keys),
            );
        }
        let filters = "reseller_id = $1 AND bucket_start >= $2 AND bucket_start < $3 \
             AND ($5::uuid IS NULL OR show_id = $5) AND ($7::text IS NULL OR channel = $7)";
        let tickets = format!(
            "SELECT {sel}, sum(paid_orders)::bigint AS tt_paid_orders, {figures} \
             FROM {table} WHERE {filters} AND ($6::uuid IS NULL OR ticket_type_id = $6) \
             GROUP BY {grp}",
            sel = select_keys(&keys),
            table = source.table(),
            grp = group(&keys),
        );
        if per_ticket_type {
            format!(
                "WITH t AS ({tickets}) SELECT {head}, tt_paid_orders AS paid_orders, tickets_sold, gross_minor, \
                   refunded_tickets, refunded_minor FROM t{order_by}"
            )
        } else {
            let mut okeys = order_keys;
            okeys.push("currency");
            let orders = format!(
                "SELECT {sel}, sum(paid_orders)::bigint AS paid_orders FROM reseller.sales_orders_15m \
                 WHERE {filters} GROUP BY {grp}",
                sel = select_keys(&okeys),
                grp = group(&okeys),
            );
            format!(
                "WITH t AS ({tickets}), o AS ({orders}) \
                 SELECT {head}, coalesce(o.paid_orders, 0)::bigint AS paid_orders, coalesce(tickets_sold, 0)::bigint AS tickets_sold, \
                   coalesce(gross_minor, 0)::bigint AS gross_minor, coalesce(refunded_tickets, 0)::bigint AS refunded_tickets, \
                   coalesce(refunded_minor, 0)::bigint AS refunded_minor \
                 FROM t FULL JOIN o USING ({using}){order_by}",
                using = okeys.join(", "),
            )
        }
    }

    /// The paid keys of orders paid in several 15-minute buckets
    /// (`paid_order_repeats`) that fall in this report, each with the keys
    /// of its report row (see [`read::Repeats`]). Same binds as
    /// [`ReportSpec::sql`].
    pub fn repeats_query(&self, reseller_id: Uuid) -> (String, ReportBinds) {
        let nil = "'00000000-0000-0000-0000-000000000000'::uuid";
        let bucket = self
            .granularity
            .bucket_sql(Source::Quarter)
            .unwrap_or_else(|| "NULL::timestamptz".to_owned());
        let col = |name: &str, present: bool, ty: &str| {
            if present {
                name.to_owned()
            } else {
                format!("NULL::{ty}")
            }
        };
        let keys = if self.by_ticket_type || self.ticket_type_id.is_some() {
            format!("ticket_type_id <> {nil} AND ($6::uuid IS NULL OR ticket_type_id = $6)")
        } else {
            format!("ticket_type_id = {nil}")
        };
        let sql = format!(
            "SELECT {bucket} AS bucket_start, {show} AS show_id, {tt} AS ticket_type_id, {channel} AS channel, \
               currency, order_id \
             FROM reseller.paid_order_repeats \
             WHERE reseller_id = $1 AND bucket_start >= $2 AND bucket_start < $3 \
               AND ($5::uuid IS NULL OR show_id = $5) AND ($7::text IS NULL OR channel = $7) AND {keys}",
            show = col("show_id", self.by_show, "uuid"),
            tt = col("ticket_type_id", self.by_ticket_type, "uuid"),
            channel = col("channel", self.by_channel, "text"),
        );
        let (_, binds) = self.query(reseller_id, Mode::Collect);
        (sql, binds)
    }

    /// The query (see [`ReportSpec::sql`]) with its binds.
    pub fn query(&self, reseller_id: Uuid, mode: Mode) -> (String, ReportBinds) {
        (
            self.sql(mode),
            ReportBinds {
                reseller_id,
                from: self.from,
                to: self.to,
                tz: self.tz.clone(),
                show_id: self.show_id,
                ticket_type_id: self.ticket_type_id,
                channel: self.channel.clone(),
            },
        )
    }
}

/// How the rows are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Streamed in order, each with its offset (CSV).
    Stream,
    /// Read whole, then finished by [`finish_rows`].
    Collect,
}

/// Orders rows read with `Mode::Collect` (bucket, show, ticket type,
/// currency; by channel the database already did) and sets their
/// `utc_offset_s`, asking the database once for the offsets of all their
/// buckets. `sorted`: the rows are in that order already.
pub async fn finish_rows(
    conn: &mut PgConnection,
    spec: &ReportSpec,
    rows: &mut [ReportRow],
    sorted: bool,
) -> Result<(), sqlx::Error> {
    if !spec.by_channel && !sorted {
        rows.sort_unstable_by(|a, b| {
            (a.bucket_start, a.show_id, a.ticket_type_id, &a.currency).cmp(&(
                b.bucket_start,
                b.show_id,
                b.ticket_type_id,
                &b.currency,
            ))
        });
    }
    let mut buckets: Vec<DateTime<Utc>> = rows.iter().filter_map(|r| r.bucket_start).collect();
    buckets.dedup();
    buckets.sort_unstable();
    buckets.dedup();
    let offsets = zone::offsets(conn, &spec.tz, &buckets).await?;
    // Rows are in bucket order: each looks up where the previous one was.
    let mut at = 0;
    for row in rows {
        row.utc_offset_s = row.bucket_start.and_then(|b| {
            if buckets.get(at) != Some(&b) {
                at = buckets.partition_point(|x| *x < b);
            }
            (buckets.get(at) == Some(&b)).then(|| offsets[at])
        });
    }
    Ok(())
}

/// The totals of `rows` per currency (see [`ReportSpec::totals_from_rows`]).
pub fn totals_of(rows: &[ReportRow]) -> Vec<ReportRow> {
    let mut totals: BTreeMap<CurrencyCode, ReportRow> = BTreeMap::new();
    for r in rows {
        let t = totals.entry(r.currency).or_insert_with(|| ReportRow {
            bucket_start: None,
            utc_offset_s: None,
            show_id: None,
            ticket_type_id: None,
            channel: None,
            currency: r.currency,
            paid_orders: 0,
            tickets_sold: 0,
            gross_minor: 0,
            refunded_tickets: 0,
            refunded_minor: 0,
        });
        t.paid_orders += r.paid_orders;
        t.tickets_sold += r.tickets_sold;
        t.gross_minor += r.gross_minor;
        t.refunded_tickets += r.refunded_tickets;
        t.refunded_minor += r.refunded_minor;
    }
    totals.into_values().collect()
}

/// The bind values of [`ReportSpec::sql`], in order.
#[derive(Debug, Clone)]
pub struct ReportBinds {
    pub reseller_id: Uuid,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub tz: String,
    pub show_id: Option<Uuid>,
    pub ticket_type_id: Option<Uuid>,
    pub channel: Option<String>,
}

impl ReportBinds {
    pub fn bind<'q>(
        &'q self,
        sql: &'q str,
    ) -> sqlx::query::QueryAs<'q, sqlx::Postgres, ReportRow, sqlx::postgres::PgArguments> {
        self.bind_as(sql)
    }

    /// The binds on a query of other rows.
    pub fn bind_as<'q, T>(
        &'q self,
        sql: &'q str,
    ) -> sqlx::query::QueryAs<'q, sqlx::Postgres, T, sqlx::postgres::PgArguments>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
    {
        sqlx::query_as(sql)
            .bind(self.reseller_id)
            .bind(self.from)
            .bind(self.to)
            .bind(&self.tz)
            .bind(self.show_id)
            .bind(self.ticket_type_id)
            .bind(&self.channel)
    }
}

/// One row of the report (or one total, with no bucket and no keys).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReportRow {
    pub bucket_start: Option<DateTime<Utc>>,
    pub utc_offset_s: Option<i32>,
    pub show_id: Option<Uuid>,
    pub ticket_type_id: Option<Uuid>,
    pub channel: Option<String>,
    pub currency: CurrencyCode,
    pub paid_orders: i64,
    pub tickets_sold: i64,
    pub gross_minor: i64,
    pub refunded_tickets: i64,
    pub refunded_minor: i64,
}

impl ReportRow {
    /// The bucket with the offset of the report's zone at that instant.
    pub fn local_bucket(&self) -> Option<DateTime<FixedOffset>> {
        let offset = FixedOffset::east_opt(self.utc_offset_s.unwrap_or(0))?;
        self.bucket_start.map(|b| b.with_timezone(&offset))
    }

    pub fn net_minor(&self) -> i64 {
        self.gross_minor - self.refunded_minor
    }
}

/// A row as answered in JSON: keys not asked for are absent.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RowJson {
    /// RFC 3339 with the offset of `tz` at that instant; absent with
    /// `granularity=none` and in totals.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime, value_type = String)]
    pub bucket_start: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub show_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket_type_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    pub currency: String,
    pub paid_orders: i64,
    pub tickets_sold: i64,
    pub gross_minor: i64,
    pub refunded_tickets: i64,
    pub refunded_minor: i64,
    pub net_minor: i64,
}

impl From<&ReportRow> for RowJson {
    fn from(r: &ReportRow) -> Self {
        Self {
            bucket_start: r
                .local_bucket()
                .map(|b| b.to_rfc3339_opts(SecondsFormat::Secs, false)),
            show_id: r.show_id,
            ticket_type_id: r.ticket_type_id,
            channel: r.channel.clone(),
            currency: r.currency.to_string(),
            paid_orders: r.paid_orders,
            tickets_sold: r.tickets_sold,
            gross_minor: r.gross_minor,
            refunded_tickets: r.refunded_tickets,
            refunded_minor: r.refunded_minor,
            net_minor: r.net_minor(),
        }
    }
}

impl ReportSpec {
    /// The CSV header line, the same columns as the JSON rows.
    pub fn csv_header(&self) -> String {
        let mut cols: Vec<&str> = Vec::new();
        if self.granularity != Granularity::None {
            cols.push("bucket_start");
        }
        if self.by_show {
            cols.push("show_id");
        }
        if self.by_ticket_type {
            cols.push("ticket_type_id");
        }
        if self.by_channel {
            cols.push("channel");
        }
        cols.extend([
            "currency",
            "paid_orders",
            "tickets_sold",
            "gross_minor",
            "refunded_tickets",
            "refunded_minor",
            "net_minor",
        ]);
        cols.join(",") + "\r\n"
    }

    /// One row as a CSV line.
    pub fn csv_line(&self, r: &ReportRow) -> String {
        let j = RowJson::from(r);
        let mut fields: Vec<String> = Vec::new();
        if self.granularity != Granularity::None {
            fields.push(j.bucket_start.unwrap_or_default());
        }
        if self.by_show {
            fields.push(j.show_id.map(|u| u.to_string()).unwrap_or_default());
        }
        if self.by_ticket_type {
            fields.push(j.ticket_type_id.map(|u| u.to_string()).unwrap_or_default());
        }
        if self.by_channel {
            fields.push(crate::http::csv::field(j.channel.as_deref().unwrap_or("")).into_owned());
        }
        fields.push(crate::http::csv::field(&j.currency).into_owned());
        for n in [
            j.paid_orders,
            j.tickets_sold,
            j.gross_minor,
            j.refunded_tickets,
            j.refunded_minor,
            j.net_minor,
        ] {
            fields.push(n.to_string());
        }
        fields.join(",") + "\r\n"
    }
}
