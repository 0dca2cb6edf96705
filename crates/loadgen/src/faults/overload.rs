//! Overload: many times more concurrent senders than the service's ingest
//! slots. The service must shed the excess at once with 503 and
//! `Retry-After`, keep its memory bounded, and keep serving other routes:
//! a reseller reads its sales report throughout. In the end every event is
//! stored exactly once.

use std::{
    sync::atomic::{AtomicBool, Ordering},
    time::Instant,
};

use chrono::{Duration as Days, Utc};

use super::{ms, Fixture, Plan, Sent, Verdict, Wave};
use crate::{
    memory::{status_kb, Sampler},
    send::percentile,
    workload::Rng,
};

/// Resident memory allowed besides what the service held before: each
/// ingest slot may buffer a body and its decoded copy (10 MiB each) and the
/// parsed events; everything else (shed requests, reads) is small.
const BASE_ALLOWANCE_MB: f64 = 64.0;
const PER_SLOT_MB: f64 = 24.0;
/// Reads must keep answering: this share of them 200...
const MIN_READ_SUCCESS: f64 = 0.99;
/// ...with a 99th percentile below this (generous: two cores are shared
/// with PostgreSQL and the senders).
const MAX_READ_P99_MS: f64 = 5000.0;

pub async fn run(fx: &mut Fixture, plan: &Plan, rng: &mut Rng) -> Result<Verdict, String> {
    let mut v = Verdict::new("overload");
    let senders = plan.overload_factor * fx.ingest_limit;
    let wave = Wave::generate(
        &fx.catalog,
        plan.overload_events,
        plan.overload_batch,
        0.05,
        rng.next_u64(),
    )?;
    let pid = fx.service.pid;
    let before_kb = status_kb(pid, "VmRSS").unwrap_or(0);
    let sampler = Sampler::start_every(pid, std::time::Duration::from_millis(50));
    let reseller = fx.catalog.resellers.first().ok_or("no reseller")?;
    let today = Utc::now().date_naive();
    let report_url = format!(
        "{}/v1/reports/sales?from={}&to={}&granularity=day&group_by=show",
        fx.service.base_url,
        today - Days::days(31),
        today + Days::days(1)
    );
    let done = AtomicBool::new(false);
    let (client, target) = (&fx.client, &fx.target);
    let sending = async {
        let outcome = wave.send(client, target, senders, "overload").await;
        done.store(true, Ordering::Release);
        outcome
    };
    let reading = async {
        let mut latencies = Vec::new();
        let mut failures: Vec<u16> = Vec::new();
        while !done.load(Ordering::Acquire) {
            let started = Instant::now();
            let status = match client
                .get(&report_url)
                .bearer_auth(&reseller.api_key)
                .send()
                .await
            {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let _ = response.bytes().await;
                    status
                }
                Err(_) => 0,
            };
            latencies.push(started.elapsed().as_secs_f64() * 1000.0);
            if status != 200 {
                failures.push(status);
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        (latencies, failures)
    };
    let (outcome, (latencies, failures)) = tokio::join!(sending, reading);
    let (peak_kb, _) = sampler.stop();
    let elapsed = outcome.elapsed;
    let mut sent = Sent::default();
    sent.add(wave, outcome);

    let reads = latencies.len();
    let success = if reads == 0 {
        0.0
    } else {
        (reads - failures.len()) as f64 / reads as f64
    };
    let read_p99 = percentile(&latencies, 99.0).unwrap_or(0.0);
    let peak_mb = peak_kb as f64 / 1024.0;
    let before_mb = before_kb as f64 / 1024.0;
    let allowed_mb = before_mb + BASE_ALLOWANCE_MB + PER_SLOT_MB * fx.ingest_limit as f64;
    v.figure("slots", fx.ingest_limit);
    v.figure("senders", senders);
    v.figure("shed_503", sent.shed);
    v.figure(
        "events_per_s",
        format!("{:.0}", crate::send::rate(sent.accepted, elapsed)),
    );
    v.figure("rss_before_mb", format!("{before_mb:.1}"));
    v.figure("rss_peak_mb", format!("{peak_mb:.1}"));
    v.figure("reads", reads);
    v.figure("read_ok", format!("{:.3}", success));
    v.figure("read_p99_ms", ms(read_p99));
    fx.end_checks(&sent, &mut v).await?;
    v.require(sent.shed > 0, || {
        format!(
            "{senders} senders on {} slots were never shed",
            fx.ingest_limit
        )
    });
    v.require(peak_mb <= allowed_mb, || {
        format!("peak RSS {peak_mb:.1} MB above the {allowed_mb:.1} MB allowed")
    });
    v.require(reads > 0 && success >= MIN_READ_SUCCESS, || {
        let mut statuses = failures.clone();
        statuses.sort_unstable();
        statuses.dedup();
        format!(
            "only {:.1}% of {reads} report reads answered 200 (others: {statuses:?})",
            success * 100.0
        )
    });
    v.require(read_p99 <= MAX_READ_P99_MS, || {
        format!("report reads p99 {read_p99:.0} ms above {MAX_READ_P99_MS:.0} ms")
    });
    Ok(v)
}
