//! One `loadgen ingest` run, start to finish: database and service, catalog,
//! the measured ingest, the naive and COPY baselines, verification, and the
//! report. Every resource is a guard, so an error or Ctrl-C on any step
//! still stops the service and the database.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use chrono::Utc;

use crate::{
    args::IngestArgs,
    baseline::{self, CopyOutcome},
    catalog,
    env::{Database, Service},
    memory::Sampler,
    report::{count_log_levels, Machine, Report},
    send::{self, percentile, Outcome, Target},
    verify,
    workload::{self, Spec},
};

/// Runs the benchmark; the report says whether verification passed.
#[allow(clippy::print_stderr)] // step-by-step progress for the person watching
pub async fn ingest(args: IngestArgs) -> Result<Report, String> {
    let started_at = Utc::now();
    let machine = Machine::read();
    let seed = args.seed.unwrap_or_else(clock_seed);

    eprintln!("loadgen: starting the database");
    let database = Database::start().await?;
    eprintln!("loadgen: database {}", database.description);
    let mut admin = database.connect().await?;
    let postgres_version: Option<String> = sqlx::query_scalar("SHOW server_version")
        .fetch_one(&mut admin)
        .await
        .ok();

    let mut service = Service::spawn(&database.reseller_url)?;
    let sampler = Sampler::start(service.pid);
    let client = reqwest::Client::builder()
        .timeout(send::REQUEST_TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .pool_max_idle_per_host(args.senders * 2)
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

    let catalog = catalog::create(&client, &service).await?;
    eprintln!(
        "loadgen: catalog of {} resellers, {} shows, {} ticket types",
        catalog.resellers.len(),
        catalog.shows().len(),
        catalog
            .shows()
            .iter()
            .map(|s| s.ticket_types.len())
            .sum::<usize>()
    );

    let now = Utc::now();
    let spec = Spec {
        events: args.events,
        hot_show: args.hot_show,
        duplicates: args.duplicates,
        batch_size: args.batch_size,
        seed,
    };
    let workload = workload::generate(&catalog, &spec, now);
    let bodies = send::encode(&workload.events, &workload.batches, args.gzip)?;
    let body_bytes: usize = bodies.iter().map(Vec::len).sum();
    eprintln!(
        "loadgen: {} events in {} batches ({} deliveries, {:.1} MB of bodies)",
        workload.events.len(),
        workload.batches.len(),
        workload.sends(),
        body_bytes as f64 / 1e6
    );
    let target = Target {
        url: format!("{}{}", service.base_url, send::INGEST_PATH),
        token: service.ingest_token.clone(),
        gzip: args.gzip,
        retry: send::Retry::default(),
    };
    let _ = sqlx::raw_sql("CHECKPOINT").execute(&mut admin).await;
    let ids = Arc::new(workload.events.iter().map(|e| e.event_id).collect());
    let outcome = send::run(
        &client,
        target.clone(),
        Arc::new(bodies),
        Arc::new(workload.batches.clone()),
        ids,
        args.senders,
        "ingest",
    )
    .await;
    let mut messages = Vec::new();
    if let Some(status) = service.exited() {
        return Err(format!(
            "reseller-service exited ({status}) during the run; its log:\n{}",
            service.log_tail(30)
        ));
    }

    let naive = if args.naive_sample > 0 {
        let (events, outcome) = baseline::naive(
            &client,
            target,
            &catalog,
            args.naive_sample,
            args.senders,
            seed ^ 0x5DEE_CE66,
            Utc::now(),
        )
        .await?;
        Some((events, outcome))
    } else {
        None
    };

    eprintln!("loadgen: verifying the event log");
    let mut phases: Vec<(&[workload::Event], &[bool])> = vec![(&workload.events, &outcome.acked)];
    if let Some((events, naive_outcome)) = &naive {
        phases.push((events, &naive_outcome.acked));
    }
    let gave_up = outcome.batches_failed + naive.as_ref().map_or(0, |(_, o)| o.batches_failed);
    let verification = verify::check(&mut admin, &phases, database.fresh, gave_up).await?;

    eprintln!("loadgen: COPY baseline");
    let copy = match baseline::copy(&mut admin, &workload.events).await {
        Ok(copy) => copy,
        Err(error) => CopyOutcome::Unavailable(error),
    };

    let service_log = service.log_path.clone();
    let peak_kb = sampler.peak_kb();
    let (_, hwm_kb) = sampler.stop();
    let database_description =
        crate::env::tear_down(service, admin, database, &mut messages).await?;

    messages.extend(outcome.failures.iter().cloned());
    messages.extend(outcome.anomalies.iter().cloned());
    if let Some((_, naive_outcome)) = &naive {
        messages.extend(naive_outcome.failures.iter().map(|f| format!("naive: {f}")));
        messages.extend(
            naive_outcome
                .anomalies
                .iter()
                .map(|f| format!("naive: {f}")),
        );
    }
    let naive_outcome = naive.as_ref().map(|(_, o)| o);
    Ok(build_report(
        &args,
        Facts {
            started_at,
            machine,
            database: database_description,
            postgres_version,
            seed,
            deliveries: workload.sends(),
            duplicate_deliveries: workload.duplicate_sends,
            service_log_levels: count_log_levels(
                &std::fs::read_to_string(&service_log).unwrap_or_default(),
            ),
            service_log,
        },
        &outcome,
        naive_outcome,
        copy,
        verification,
        (peak_kb, hwm_kb),
        messages,
    ))
}

/// What the report needs besides the outcomes.
struct Facts {
    started_at: chrono::DateTime<Utc>,
    machine: Machine,
    database: String,
    postgres_version: Option<String>,
    seed: u64,
    deliveries: usize,
    duplicate_deliveries: usize,
    service_log: std::path::PathBuf,
    service_log_levels: (u64, u64),
}

#[allow(clippy::too_many_arguments)]
fn build_report(
    args: &IngestArgs,
    facts: Facts,
    outcome: &Outcome,
    naive: Option<&Outcome>,
    copy: CopyOutcome,
    verification: verify::Verification,
    (peak_kb, hwm_kb): (u64, Option<u64>),
    messages: Vec<String>,
) -> Report {
    let events_per_s = outcome.events_per_s();
    let (copy_events_per_s, copy_elapsed_s, copy_unavailable, copy_columns) = match copy {
        CopyOutcome::Measured {
            rows,
            elapsed,
            columns,
        } => (
            Some(send::rate(rows, elapsed)),
            Some(elapsed.as_secs_f64()),
            None,
            columns,
        ),
        CopyOutcome::Unavailable(reason) => (None, None, Some(reason), Vec::new()),
    };
    let naive_events_per_s = naive.map(Outcome::events_per_s);
    let ratio = |base: Option<f64>| base.filter(|b| *b > 0.0).map(|b| events_per_s / b);
    let mut retry_causes = BTreeMap::new();
    for (code, n) in &outcome.retry_causes {
        let key = if *code == 0 {
            "transport".to_owned()
        } else {
            code.to_string()
        };
        retry_causes.insert(key, *n);
    }
    let mb = |kb: u64| kb as f64 / 1024.0;
    Report {
        started_at: facts.started_at,
        machine: facts.machine,
        database: facts.database,
        postgres_version: facts.postgres_version,
        events: args.events,
        senders: args.senders,
        batch_size: args.batch_size,
        hot_show: args.hot_show,
        duplicates_fraction: args.duplicates,
        gzip: args.gzip,
        seed: facts.seed,
        events_per_s,
        copy_events_per_s,
        copy_unavailable,
        copy_columns,
        naive_sample: args.naive_sample,
        naive_events_per_s,
        ratio_vs_copy: ratio(copy_events_per_s),
        ratio_vs_naive: ratio(naive_events_per_s),
        elapsed_s: outcome.elapsed.as_secs_f64(),
        copy_elapsed_s,
        p50_ms: percentile(&outcome.latencies_ms, 50.0),
        p99_ms: percentile(&outcome.latencies_ms, 99.0),
        max_ms: percentile(&outcome.latencies_ms, 100.0),
        p99_end_to_end_ms: percentile(&outcome.end_to_end_ms, 99.0),
        naive_p50_ms: naive.and_then(|o| percentile(&o.latencies_ms, 50.0)),
        naive_p99_ms: naive.and_then(|o| percentile(&o.latencies_ms, 99.0)),
        batches: outcome.batches,
        batches_ok: outcome.batches_ok,
        batches_given_up: outcome.batches_failed,
        deliveries: facts.deliveries,
        duplicate_deliveries: facts.duplicate_deliveries,
        retries: outcome.retries,
        naive_retries: naive.map_or(0, |o| o.retries),
        retry_causes,
        accepted: outcome.totals.accepted,
        duplicates_reported: outcome.totals.duplicates,
        conflicts: outcome.totals.conflicts,
        rejected: outcome.totals.rejected,
        not_accepted_codes: outcome.codes.clone(),
        response_anomalies: outcome.anomaly_count + naive.map_or(0, |o| o.anomaly_count),
        messages,
        acknowledged: verification.acknowledged,
        ingest_acknowledged: outcome.acked_count,
        stored: verification.stored,
        lost: verification.lost,
        duplicated: verification.duplicated,
        stored_unacknowledged: verification.stored_unacknowledged,
        table_rows: verification.table_rows,
        verified: verification.ok(),
        problems: verification.problems,
        service_peak_rss_mb: mb(peak_kb),
        service_hwm_mb: hwm_kb.map(mb),
        service_log: facts.service_log.display().to_string(),
        service_log_warnings: facts.service_log_levels.0,
        service_log_errors: facts.service_log_levels.1,
    }
}

/// A different workload every run unless `--seed` is given.
pub fn clock_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    nanos ^ (u64::from(std::process::id()) << 40)
}
