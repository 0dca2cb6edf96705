//! `GET /v1/reports/sales` (JSON, or CSV with `Accept: text/csv`) and
//! `GET /v1/reports/sales/chart.svg`, from the hourly or 15-minute rollups
//! (see `report`), on the read replica when there is one.

use axum::{
    extract::State,
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use platform::{http::extract::AppQuery, Problem};
use serde::Serialize;
use std::collections::BTreeMap;

use chrono::{DateTime, Offset, Utc};
use futures_util::TryStreamExt;

use super::{auth::AuthReseller, csv, stream};
use crate::{
    report::{
        self,
        chart::{self, ChartMeta, Series},
        hours,
        read::Repeats,
        Granularity, Mode, ReportQuery, ReportRow, ReportSpec, RowJson,
    },
    ApiError, AppState,
};

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"rows": [{"bucket_start": "2026-11-25T00:00:00+07:00", "currency": "IDR", "paid_orders": 3, "tickets_sold": 5, "gross_minor": 750000000, "refunded_tickets": 1, "refunded_minor": 150000000, "net_minor": 600000000}],
    "totals": [{"currency": "IDR", "paid_orders": 3, "tickets_sold": 5, "gross_minor": 750000000, "refunded_tickets": 1, "refunded_minor": 150000000, "net_minor": 600000000}]}))]
#[allow(dead_code)] // the schema of what `report::json::report_body` writes
pub struct SalesReport {
    rows: Vec<RowJson>,
    /// One per currency.
    totals: Vec<RowJson>,
}

/// `GET /v1/reports/sales`.
#[utoipa::path(
    get,
    path = "/v1/reports/sales",
    tag = "reports",
    operation_id = "sales_report",
    summary = "The sales report (contract section 5).",
    description = "Rules beyond the schema (400 naming the field): `from` before `to`; the range at most 31 days for `15m`, 93 for `hour`, 1100 for `day`, 7320 otherwise; `tz` a zone the database knows; a date or instant that exists. With `Accept: text/csv`, the same rows as CSV.",
    params(
        super::schemas::SalesReportParams
    ),
    responses(
        (status = 200, description = "The report.", content((SalesReport = "application/json"), (String = "text/csv", example = json!("bucket_start,currency,paid_orders,tickets_sold,gross_minor,refunded_tickets,refunded_minor,net_minor\r\n"))))
    ),
    security(("api_key" = []))
)]
pub async fn sales_report(
    State(state): State<AppState>,
    auth: AuthReseller,
    headers: HeaderMap,
    AppQuery(q): AppQuery<ReportQuery>,
) -> Result<Response, ApiError> {
    let mut tx = state.reads.tenant(auth.reseller_id).await?;
    let spec = ReportSpec::parse(&mut tx, &q).await?;
    if csv::wanted(&headers) {
        crate::db::end_read(tx);
        return Ok(report_csv(state, auth.reseller_id, spec));
    }
    if hours::one_row_per_stored_hour(&spec) {
        return Ok(report_json_by_day(tx, auth.reseller_id, spec).await?);
    }
    let (rows, totals) =
        report::read::rows_and_totals(&mut tx, &spec, auth.reseller_id, true).await?;
    crate::db::end_read(tx);
    let body = report::json::report_body(&rows, &totals);
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// A large report (hourly by ticket type: a row per hour and ticket type)
/// sent as it is read: the corrections, offsets and totals are read first
/// (an error there is still a problem answer), then the stored days stream
/// in order; once a day is complete (the next day's first row arrived) its
/// rows are written out in chunks of [`stream::CHUNK_BYTES`], so the client
/// reads while the database still sends. The chunks joined are
/// `report_body`'s bytes.
async fn report_json_by_day(
    mut tx: crate::db::Tx,
    reseller_id: uuid::Uuid,
    spec: ReportSpec,
) -> Result<Response, sqlx::Error> {
    let repeats = Repeats::read(&mut tx, &spec, reseller_id).await?;
    let totals = report::read::queried_totals(&mut tx, &spec, reseller_id).await?;
    let hours: Vec<DateTime<Utc>> =
        std::iter::successors(Some(spec.from), |h| Some(*h + chrono::Duration::hours(1)))
            .take_while(|h| *h < spec.to)
            .collect();
    let offsets = report::zone::offsets(&mut tx, &spec.tz, &hours).await?;
    Ok(stream::response(
        "application/json",
        move |out| async move {
            let result: Result<bool, sqlx::Error> = async {
                let mut days = std::pin::pin!(hours::days(&mut tx, &spec, reseller_id));
                let mut chunk = stream::chunk();
                let mut writer = report::json::Rows::start(&mut chunk);
                let mut day: Vec<hours::DayRow> = Vec::new();
                let from = spec.from.timestamp();
                loop {
                    let next = days.try_next().await?;
                    let day_done = match (&next, day.first()) {
                        (_, None) => false,
                        (None, Some(_)) => true,
                        (Some(d), Some(first)) => d.day_start() != first.day_start(),
                    };
                    if day_done {
                        // The day's rows, corrected and with their offsets
                        // (the range's hours are whole UTC hours from `from`).
                        for mut row in hours::day_rows(&mut day, &spec) {
                            repeats.correct_row(&mut row);
                            row.utc_offset_s = row.bucket_start.and_then(|b| {
                                let hour = usize::try_from((b.timestamp() - from) / 3600).ok()?;
                                offsets.get(hour).copied()
                            });
                            writer.write(&mut chunk, std::slice::from_ref(&row));
                            if stream::is_full(&chunk)
                                && !stream::send_chunk(
                                    &out,
                                    std::mem::replace(&mut chunk, stream::chunk()),
                                )
                                .await
                            {
                                return Ok(false);
                            }
                        }
                        day.clear();
                    }
                    match next {
                        Some(d) => day.push(d),
                        None => break,
                    }
                }
                writer.finish(&mut chunk, &totals);
                Ok(stream::send_chunk(&out, chunk).await)
            }
            .await;
            crate::db::end_read(tx);
            if let Err(error) = result {
                stream::fail(&out, "sales report", error).await;
            }
        },
    ))
}

fn report_csv(state: AppState, reseller_id: uuid::Uuid, spec: ReportSpec) -> Response {
    let header = spec.csv_header();
    csv::stream("sales-report.csv", header, move |out| async move {
        let result: Result<(), sqlx::Error> = async {
            let mut tx = state.reads.tenant(reseller_id).await?;
            let repeats = Repeats::read(&mut tx, &spec, reseller_id).await?;
            let (sql, binds) = spec.query(reseller_id, Mode::Stream);
            let rows = binds.bind(&sql).fetch(&mut *tx);
            let line = |row: &ReportRow, chunk: &mut String| {
                if repeats.is_empty() {
                    chunk.push_str(&spec.csv_line(row));
                } else {
                    let mut row = row.clone();
                    repeats.correct_row(&mut row);
                    chunk.push_str(&spec.csv_line(&row));
                }
            };
            csv::pump(rows, &out, line).await?;
            crate::db::end_read(tx);
            Ok(())
        }
        .await;
        if let Err(error) = result {
            stream::fail(&out, "sales report CSV", error).await;
        }
    })
}

/// `GET /v1/reports/sales/chart.svg`: gross and net over time, one pair of
/// lines per currency and group.
#[utoipa::path(
    get,
    path = "/v1/reports/sales/chart.svg",
    tag = "reports",
    operation_id = "sales_chart",
    summary = "Gross and net sales over time as an SVG chart.",
    description = "The report's query and rules; `granularity` cannot be `none`.",
    params(
        super::schemas::SalesChartParams
    ),
    responses(
        (status = 200, description = "The chart.", content((String = "image/svg+xml")))
    ),
    security(("api_key" = []))
)]
pub async fn sales_chart(
    State(state): State<AppState>,
    auth: AuthReseller,
    AppQuery(q): AppQuery<ReportQuery>,
) -> Result<Response, ApiError> {
    let mut tx = state.reads.tenant(auth.reseller_id).await?;
    let spec = ReportSpec::parse(&mut tx, &q).await?;
    let (rows, _) = report::read::rows_and_totals(&mut tx, &spec, auth.reseller_id, false).await?;
    crate::db::end_read(tx);
    if spec.granularity == Granularity::None {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "granularity: a chart needs a time axis, not none",
        )
        .into());
    }
    let mut lines: BTreeMap<String, (Series, Series)> = BTreeMap::new();
    for row in &rows {
        let mut group = Vec::new();
        if let Some(show) = row.show_id {
            group.push(format!("show {}", &show.to_string()[..8]));
        }
        if let Some(tt) = row.ticket_type_id {
            group.push(format!("ticket type {}", &tt.to_string()[..8]));
        }
        if let Some(channel) = &row.channel {
            group.push(channel.clone());
        }
        let suffix = if group.is_empty() {
            String::new()
        } else {
            format!(" · {}", group.join(" · "))
        };
        let key = format!("{}{suffix}", row.currency);
        let entry = lines.entry(key).or_insert_with(|| {
            let series = |what: &str| Series {
                label: format!("{} {what}{suffix}", row.currency),
                currency: row.currency.to_string(),
                points: Vec::new(),
            };
            (series("gross"), series("net"))
        });
        if let Some(at) = row.local_bucket() {
            entry.0.points.push((at, row.gross_minor));
            entry.1.points.push((at, row.net_minor()));
        }
    }
    let offset = rows
        .first()
        .and_then(|r| r.local_bucket())
        .map(|b| *b.offset())
        .unwrap_or(chrono::Utc.fix());
    let meta = ChartMeta {
        title: format!("Sales, {}, {}", spec.granularity.as_str(), spec.tz),
        from: spec.from.with_timezone(&offset),
        to: spec.to.with_timezone(&offset),
    };
    let series: Vec<Series> = lines
        .into_values()
        .flat_map(|(gross, net)| [gross, net])
        .collect();
    let svg = chart::render_svg(&meta, &series);
    Ok((
        [(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8")],
        svg,
    )
        .into_response())
}
