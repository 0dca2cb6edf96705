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

use chrono::Offset;

use super::{auth::AuthReseller, csv};
use crate::{
    report::{
        self,
        chart::{self, ChartMeta, Series},
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

/// The report's rows, and with `with_totals` its totals (see
/// `report::read`).
async fn spec_and_rows(
    state: &AppState,
    auth: &AuthReseller,
    q: &ReportQuery,
    with_totals: bool,
) -> Result<(ReportSpec, Vec<ReportRow>, Vec<ReportRow>), ApiError> {
    let mut tx = state.reads.tenant(auth.reseller_id).await?;
    let spec = ReportSpec::parse(&mut tx, q).await?;
    let (rows, totals) =
        report::read::rows_and_totals(&mut tx, &spec, auth.reseller_id, with_totals).await?;
    tx.commit().await?;
    Ok((spec, rows, totals))
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
    if csv::wanted(&headers) {
        let mut tx = state.reads.tenant(auth.reseller_id).await?;
        let spec = ReportSpec::parse(&mut tx, &q).await?;
        tx.commit().await?;
        return Ok(report_csv(state, auth.reseller_id, spec));
    }
    let (_, rows, totals) = spec_and_rows(&state, &auth, &q, true).await?;
    let body = report::json::report_body(&rows, &totals);
    // Freeing thousands of rows takes a while: not on the answer's path.
    if rows.len() > 1_000 {
        tokio::task::spawn_blocking(move || drop(rows));
    }
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
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
            if csv::pump(rows, &out, line).await? {
                tx.commit().await?;
            }
            Ok(())
        }
        .await;
        if let Err(error) = result {
            csv::fail(&out, "sales report", error).await;
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
    let (spec, rows, _) = spec_and_rows(&state, &auth, &q, false).await?;
    if spec.granularity == Granularity::None {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "granularity: a chart needs a time axis, not none",
        )
        .into());
    }
    let mut lines: BTreeMap<String, (String, Series, Series)> = BTreeMap::new();
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
                currency: row.currency.clone(),
                points: Vec::new(),
            };
            (row.currency.clone(), series("gross"), series("net"))
        });
        if let Some(at) = row.local_bucket() {
            entry.1.points.push((at, row.gross_minor));
            entry.2.points.push((at, row.net_minor()));
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
        .flat_map(|(_, gross, net)| [gross, net])
        .collect();
    let svg = chart::render_svg(&meta, &series);
    Ok((
        [(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8")],
        svg,
    )
        .into_response())
}
