//! `loadgen reports`: the read side under growing event logs. One reseller
//! and its catalog are created over HTTP; for each size (increasing) the
//! missing events are written directly with SQL (see [`load`]), checked,
//! and the sales reports, the order pages and (at the largest size) the CSV
//! export are timed through a real reseller-service process.

mod csv_export;
mod load;
mod measure;
mod output;
mod setup;

use std::time::{Duration, Instant};

use chrono::{NaiveDate, SubsecRound, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

pub use output::ReadReport;

use crate::{
    args::ReportsArgs,
    env::{db_error, Database, Service},
    report::{count_log_levels, thousands, Machine},
};
use measure::{Kind, Latency};
use output::{ratio, PerReport, SizeResult};

/// Runs the benchmark.
#[allow(clippy::print_stderr)] // step-by-step progress for the person watching
pub async fn run(args: ReportsArgs) -> Result<ReadReport, String> {
    let started_at = Utc::now();
    let machine = Machine::read();
    let mut notes = Vec::new();

    eprintln!("loadgen: starting the database");
    let database = Database::start().await?;
    eprintln!("loadgen: database {}", database.description);
    let mut admin = database.connect().await?;
    let postgres_version: Option<String> = sqlx::query_scalar("SHOW server_version")
        .fetch_one(&mut admin)
        .await
        .ok();
    if database.fresh {
        // Fewer checkpoints (and full-page images) while loading millions
        // of rows; only on the run's own cluster.
        for sql in [
            "ALTER SYSTEM SET max_wal_size = '16GB'",
            "ALTER SYSTEM SET checkpoint_timeout = '30min'",
            "SELECT pg_reload_conf()",
        ] {
            sqlx::raw_sql(sql)
                .execute(&mut admin)
                .await
                .map_err(db_error)?;
        }
        notes.push("embedded cluster: max_wal_size 16GB, checkpoint_timeout 30min for the load; other settings default".into());
    }

    let mut service = Service::spawn(&database.reseller_url)?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .connect_timeout(Duration::from_secs(5))
        .tcp_nodelay(true)
        .build()
        .map_err(|e| format!("building the HTTP client: {e}"))?;
    service.wait_ready(&client).await?;
    eprintln!(
        "loadgen: reseller-service ready at {} (pid {}, log {})",
        service.base_url,
        service.pid,
        service.log_path.display()
    );
    let reseller = setup::create(&client, &service).await?;
    eprintln!(
        "loadgen: reseller {} with {} shows x {} ticket types",
        reseller.id,
        setup::SHOWS,
        setup::TICKET_TYPES
    );

    let anchor = Utc::now().trunc_subsecs(0);
    let plan = load::Plan {
        reseller_id: reseller.id,
        anchor,
        salt: format!("{:x}", clock_salt()),
        shows: setup::SHOWS as i64,
        ticket_types: setup::TICKET_TYPES as i64,
    };
    load::prepare(&mut admin, &reseller).await?;
    let day: NaiveDate = sqlx::query_scalar("SELECT ($1::timestamptz AT TIME ZONE $2)::date")
        .bind(anchor)
        .bind(measure::TZ)
        .fetch_one(&mut admin)
        .await
        .map_err(db_error)?;

    let mut sizes = Vec::new();
    let mut orders_so_far = 0u64;
    let csv_rows = args.csv_rows as u64;
    let count = args.sizes.len();
    for (i, &asked) in args.sizes.iter().enumerate() {
        let mut target = load::orders_for_events(asked as u64);
        if i + 1 == count && csv_rows > target {
            notes.push(format!(
                "the largest size was raised from {} to {} orders so the CSV export has {csv_rows} rows",
                thousands(target as f64),
                thousands(csv_rows as f64)
            ));
            target = csv_rows;
        }
        eprintln!(
            "loadgen: size {}: adding orders {orders_so_far}..{target} (~{} events)",
            thousands(asked as f64),
            thousands(
                (load::events_for_orders(target) - load::events_for_orders(orders_so_far)) as f64
            )
        );
        let load_started = Instant::now();
        load::add_orders(&mut admin, &plan, orders_so_far, target).await?;
        orders_so_far = orders_so_far.max(target);
        let vacuum_started = Instant::now();
        load::vacuum_analyze(&mut admin).await?;
        let vacuum_analyze_seconds = vacuum_started.elapsed().as_secs_f64();
        let load_seconds = load_started.elapsed().as_secs_f64();
        eprintln!("loadgen: loaded in {load_seconds:.0} s (VACUUM ANALYZE {vacuum_analyze_seconds:.0} s); checking");
        let totals = load::check(&mut admin, reseller.id).await?;
        if !totals.problems.is_empty() {
            eprintln!("loadgen: consistency FAILED: {:?}", totals.problems);
        }
        let result = measure_size(
            &client,
            &service,
            &mut admin,
            &reseller.api_key,
            reseller.id,
            day,
            args.queries,
            SizeFacts {
                asked: asked as u64,
                totals,
                load_seconds,
                vacuum_analyze_seconds,
            },
        )
        .await?;
        eprintln!(
            "loadgen: {} events: daily p50/p99 {:.2}/{:.2} ms, hourly p50/p99 {:.2}/{:.2} ms",
            thousands(result.events as f64),
            result.daily_30d_p50_ms.unwrap_or(f64::NAN),
            result.daily_30d_p99_ms.unwrap_or(f64::NAN),
            result.hourly_7d_by_ticket_type_p50_ms.unwrap_or(f64::NAN),
            result.hourly_7d_by_ticket_type_p99_ms.unwrap_or(f64::NAN),
        );
        // Kept in the log too, should a later size be interrupted.
        if let Ok(json) = serde_json::to_string(&result) {
            eprintln!("loadgen: size result: {json}");
        }
        sizes.push(result);
        if let Some(status) = service.exited() {
            return Err(format!(
                "reseller-service exited ({status}); its log:\n{}",
                service.log_tail(30)
            ));
        }
    }

    let csv = if csv_rows > 0 {
        eprintln!("loadgen: streaming {csv_rows} CSV rows");
        Some(csv_export::measure(&client, &service, &reseller.api_key, csv_rows).await?)
    } else {
        None
    };

    let service_log = service.log_path.clone();
    let database_description = crate::env::tear_down(service, admin, database, &mut notes).await?;

    let p99_ratio = |f: fn(&SizeResult) -> Option<f64>| match (sizes.first(), sizes.last()) {
        (Some(a), Some(b)) if sizes.len() > 1 => ratio(f(b), f(a)),
        _ => None,
    };
    let (warnings, errors) =
        count_log_levels(&std::fs::read_to_string(&service_log).unwrap_or_default());
    Ok(ReadReport {
        started_at,
        machine,
        database: database_description,
        postgres_version,
        queries: args.queries,
        warm_ups: measure::WARM_UPS,
        raw_runs: measure::RAW_RUNS,
        report_day: day.to_string(),
        time_zone: measure::TZ.into(),
        p99_ratio_largest_vs_smallest: PerReport {
            daily_30d: p99_ratio(|s| s.daily_30d_p99_ms),
            hourly_7d_by_ticket_type: p99_ratio(|s| s.hourly_7d_by_ticket_type_p99_ms),
        },
        csv_size_events: csv.as_ref().and(sizes.last().map(|s| s.events)),
        csv,
        sizes,
        service_log: service_log.display().to_string(),
        service_log_warnings: warnings,
        service_log_errors: errors,
        notes,
    })
}

/// What a size's measurement needs from its load.
struct SizeFacts {
    asked: u64,
    totals: load::Totals,
    load_seconds: f64,
    vacuum_analyze_seconds: f64,
}

#[allow(clippy::too_many_arguments, clippy::print_stderr)]
async fn measure_size(
    client: &reqwest::Client,
    service: &Service,
    admin: &mut PgConnection,
    api_key: &str,
    reseller_id: Uuid,
    day: NaiveDate,
    queries: usize,
    facts: SizeFacts,
) -> Result<SizeResult, String> {
    let url = |path: &str| format!("{}{path}", service.base_url);
    let mut mismatches = Vec::new();
    let mut latency = Vec::new();
    let mut raw = Vec::new();
    let mut rows = Vec::new();
    for kind in [Kind::Daily30d, Kind::Hourly7dByTicketType] {
        eprintln!("loadgen:   timing {kind:?}");
        let (samples, body) =
            measure::time_get(client, &url(&kind.path(day)), api_key, queries).await?;
        let report = measure::report_sums(&body)?;
        eprintln!("loadgen:   raw GROUP BY {kind:?}");
        let (raw_ms, raw_sums) = measure::raw_group_by(admin, kind, reseller_id, day).await?;
        if report != raw_sums {
            mismatches.push(format!(
                "{kind:?}: the report has (rows, [paid_orders, tickets, gross, refunded_tickets, refunded]) {report:?}, \
                 the raw GROUP BY {raw_sums:?}"
            ));
        }
        latency.push(Latency::of(&samples));
        raw.push(raw_ms);
        rows.push(report.0);
    }

    eprintln!("loadgen:   timing order pages");
    let (first, body) =
        measure::time_get(client, &url("/v1/orders?limit=50"), api_key, queries).await?;
    measure::check_page(&body, None)?;
    let first = Latency::of(&first);
    let (deep, deep_page_unavailable) =
        match measure::deep_cursor(admin, reseller_id, measure::DEEP_PAGE + 1).await? {
            Some((cursor, first_id)) => {
                let (samples, body) = measure::time_get(
                    client,
                    &url(&format!("/v1/orders?limit=50&cursor={cursor}")),
                    api_key,
                    queries,
                )
                .await?;
                measure::check_page(&body, Some(first_id))?;
                (Latency::of(&samples), None)
            }
            None => (
                Latency::default(),
                Some(format!(
                    "page 10,001 unavailable: {} orders, {} needed",
                    thousands(facts.totals.orders as f64),
                    thousands((measure::DEEP_PAGE * measure::PAGE + measure::PAGE) as f64)
                )),
            ),
        };

    let (daily, hourly) = (latency[0], latency[1]);
    Ok(SizeResult {
        events: facts.totals.events as u64,
        orders: facts.totals.orders as u64,
        events_asked: facts.asked,
        load_seconds: facts.load_seconds,
        vacuum_analyze_seconds: facts.vacuum_analyze_seconds,
        rollup_rows: facts.totals.rollup_rows as u64,
        hourly_rollup_rows: facts.totals.hourly_rollup_rows as u64,
        consistent: facts.totals.problems.is_empty(),
        consistency_problems: facts.totals.problems,
        daily_30d_rows: rows[0],
        daily_30d_p50_ms: daily.p50_ms,
        daily_30d_p99_ms: daily.p99_ms,
        hourly_7d_by_ticket_type_rows: rows[1],
        hourly_7d_by_ticket_type_p50_ms: hourly.p50_ms,
        hourly_7d_by_ticket_type_p99_ms: hourly.p99_ms,
        raw_group_by_ms: PerReport {
            daily_30d: Some(raw[0]),
            hourly_7d_by_ticket_type: Some(raw[1]),
        },
        ratio_vs_raw: PerReport {
            daily_30d: ratio(Some(raw[0]), daily.p50_ms),
            hourly_7d_by_ticket_type: ratio(Some(raw[1]), hourly.p50_ms),
        },
        raw_matches_report: mismatches.is_empty(),
        raw_mismatches: mismatches,
        orders_first_page_p50_ms: first.p50_ms,
        orders_first_page_p99_ms: first.p99_ms,
        orders_page_10000_p50_ms: deep.p50_ms,
        orders_page_10000_p99_ms: deep.p99_ms,
        deep_vs_first_ratio: ratio(deep.p50_ms, first.p50_ms),
        deep_page_unavailable,
    })
}

/// A different salt of the generated ids every run.
fn clock_salt() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    nanos ^ (u64::from(std::process::id()) << 40)
}
