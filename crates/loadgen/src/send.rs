//! Sending batches the way the core order service does: K senders pull
//! pre-encoded batches from a shared queue and POST them; on 503, 429, other
//! 5xx, a connection error or a timeout the *same* body (same event ids) is
//! sent again with exponential back-off honouring `Retry-After`, for at most
//! 60 s per batch. A 200 acknowledges every event of the batch except those
//! its `results` report as `rejected` or `conflict`.

use std::{
    collections::BTreeMap,
    io::Write,
    sync::{
        atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
        Arc, Mutex, MutexGuard,
    },
    time::{Duration, Instant},
};

use flate2::{write::GzEncoder, Compression};
use serde::Deserialize;
use uuid::Uuid;

use crate::{catalog::clip, workload::Event};

pub const INGEST_PATH: &str = "/internal/v1/sale-events/batch";
/// How long one batch is retried before it is given up.
pub const GIVE_UP_AFTER: Duration = Duration::from_secs(60);
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// Longer than the service's own 30 s request timeout.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(35);
/// Failures and anomalies kept verbatim for the report.
const KEEP_MESSAGES: usize = 10;

/// Where and how batches go.
#[derive(Debug, Clone)]
pub struct Target {
    pub url: String,
    pub token: String,
    pub gzip: bool,
    pub retry: Retry,
}

/// How an unanswered batch is retried (same body, same event ids).
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// A batch not acknowledged by then is given up.
    pub give_up_after: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Self {
            first_backoff: FIRST_BACKOFF,
            max_backoff: MAX_BACKOFF,
            give_up_after: GIVE_UP_AFTER,
        }
    }
}

/// The request bodies, encoded before the clock starts so the loader's own
/// CPU stays out of the measurement (and a retry sends identical bytes).
pub fn encode(events: &[Event], batches: &[Vec<u32>], gzip: bool) -> Result<Vec<Vec<u8>>, String> {
    batches
        .iter()
        .map(|batch| {
            let mut body = Vec::with_capacity(batch.len() * 560 + 16);
            body.extend_from_slice(b"{\"events\":[");
            for (i, &e) in batch.iter().enumerate() {
                if i > 0 {
                    body.push(b',');
                }
                let event = events.get(e as usize).ok_or("batch refers to no event")?;
                serde_json::to_writer(&mut body, event).map_err(|e| e.to_string())?;
            }
            body.extend_from_slice(b"]}");
            if !gzip {
                return Ok(body);
            }
            let mut encoder =
                GzEncoder::new(Vec::with_capacity(body.len() / 4), Compression::fast());
            encoder
                .write_all(&body)
                .and_then(|()| encoder.finish())
                .map_err(|e| format!("gzip: {e}"))
        })
        .collect()
}

#[derive(Debug, Deserialize)]
struct BatchResponse {
    received: u64,
    accepted: u64,
    duplicates: u64,
    conflicts: u64,
    rejected: u64,
    #[serde(default)]
    results: Vec<ItemResult>,
}

#[derive(Debug, Deserialize)]
struct ItemResult {
    index: usize,
    event_id: Option<Uuid>,
    status: String,
    code: Option<String>,
}

/// Counts summed over the 200 responses.
#[derive(Debug, Clone, Copy, Default)]
pub struct Totals {
    pub received: u64,
    pub accepted: u64,
    pub duplicates: u64,
    pub conflicts: u64,
    pub rejected: u64,
}

#[derive(Debug, Default)]
struct Stats {
    totals: Totals,
    latencies_ms: Vec<f64>,
    end_to_end_ms: Vec<f64>,
    /// `status/code` of every event not accepted, e.g. `rejected/unknown_show`.
    codes: BTreeMap<String, u64>,
    /// Answers that made a batch be retried, by status (0: transport error).
    retry_causes: BTreeMap<u16, u64>,
    /// 429 and 503 answers without a `Retry-After` header.
    shed_without_retry_after: u64,
    /// The longest wait for any answer (of any status, or a transport error).
    max_answer_ms: f64,
    failures: Vec<String>,
    anomalies: Vec<String>,
    anomaly_count: u64,
}

struct Shared {
    target: Target,
    bodies: Arc<Vec<Vec<u8>>>,
    batches: Arc<Vec<Vec<u32>>>,
    ids: Arc<Vec<Uuid>>,
    next: AtomicUsize,
    acked: Vec<AtomicBool>,
    acked_count: AtomicU64,
    retries: AtomicU64,
    batches_ok: AtomicU64,
    batches_failed: AtomicU64,
    stats: Mutex<Stats>,
}

impl Shared {
    fn stats(&self) -> MutexGuard<'_, Stats> {
        self.stats
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn anomaly(&self, message: String) {
        let mut stats = self.stats();
        stats.anomaly_count += 1;
        if stats.anomalies.len() < KEEP_MESSAGES {
            stats.anomalies.push(message);
        }
    }

    fn failure(&self, message: String) {
        self.batches_failed.fetch_add(1, Ordering::Relaxed);
        let mut stats = self.stats();
        if stats.failures.len() < KEEP_MESSAGES {
            stats.failures.push(message);
        }
    }
}

/// What one sending phase did.
#[derive(Debug, Default)]
pub struct Outcome {
    pub elapsed: Duration,
    /// Per event index: acknowledged by a 200.
    pub acked: Vec<bool>,
    pub acked_count: u64,
    pub batches: usize,
    pub batches_ok: u64,
    pub batches_failed: u64,
    pub retries: u64,
    pub totals: Totals,
    pub latencies_ms: Vec<f64>,
    pub end_to_end_ms: Vec<f64>,
    pub codes: BTreeMap<String, u64>,
    pub retry_causes: BTreeMap<u16, u64>,
    pub shed_without_retry_after: u64,
    pub max_answer_ms: f64,
    pub failures: Vec<String>,
    pub anomalies: Vec<String>,
    pub anomaly_count: u64,
}

impl Outcome {
    /// Answers of `status` that made a batch be retried (0: transport errors).
    pub fn retried_on(&self, status: u16) -> u64 {
        self.retry_causes.get(&status).copied().unwrap_or(0)
    }

    /// Distinct acknowledged events per second of the phase.
    pub fn events_per_s(&self) -> f64 {
        rate(self.acked_count, self.elapsed)
    }
}

pub fn rate(count: u64, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 {
        count as f64 / secs
    } else {
        0.0
    }
}

/// Sends every batch with `senders` concurrent senders, printing progress
/// every second to stderr under `label`.
pub async fn run(
    client: &reqwest::Client,
    target: Target,
    bodies: Arc<Vec<Vec<u8>>>,
    batches: Arc<Vec<Vec<u32>>>,
    ids: Arc<Vec<Uuid>>,
    senders: usize,
    label: &'static str,
) -> Outcome {
    let shared = Arc::new(Shared {
        target,
        acked: (0..ids.len()).map(|_| AtomicBool::new(false)).collect(),
        bodies,
        batches,
        ids,
        next: AtomicUsize::new(0),
        acked_count: AtomicU64::new(0),
        retries: AtomicU64::new(0),
        batches_ok: AtomicU64::new(0),
        batches_failed: AtomicU64::new(0),
        stats: Mutex::new(Stats::default()),
    });
    let started = Instant::now();
    let progress = tokio::spawn(progress(shared.clone(), started, label));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..senders.max(1) {
        let shared = shared.clone();
        let client = client.clone();
        tasks.spawn(async move {
            loop {
                let i = shared.next.fetch_add(1, Ordering::Relaxed);
                if i >= shared.batches.len() {
                    break;
                }
                send_batch(&client, &shared, i).await;
            }
        });
    }
    while let Some(joined) = tasks.join_next().await {
        if let Err(error) = joined {
            shared.failure(format!("a sender task failed: {error}"));
        }
    }
    let elapsed = started.elapsed();
    progress.abort();
    let _ = progress.await;
    print_progress(&shared, started, label, 0, true);

    let stats = std::mem::take(&mut *shared.stats());
    Outcome {
        elapsed,
        acked: shared
            .acked
            .iter()
            .map(|a| a.load(Ordering::Relaxed))
            .collect(),
        acked_count: shared.acked_count.load(Ordering::Relaxed),
        batches: shared.batches.len(),
        batches_ok: shared.batches_ok.load(Ordering::Relaxed),
        batches_failed: shared.batches_failed.load(Ordering::Relaxed),
        retries: shared.retries.load(Ordering::Relaxed),
        totals: stats.totals,
        latencies_ms: stats.latencies_ms,
        end_to_end_ms: stats.end_to_end_ms,
        codes: stats.codes,
        retry_causes: stats.retry_causes,
        shed_without_retry_after: stats.shed_without_retry_after,
        max_answer_ms: stats.max_answer_ms,
        failures: stats.failures,
        anomalies: stats.anomalies,
        anomaly_count: stats.anomaly_count,
    }
}

async fn progress(shared: Arc<Shared>, started: Instant, label: &'static str) {
    let mut every = tokio::time::interval(Duration::from_secs(1));
    every.tick().await;
    let mut last = 0;
    loop {
        every.tick().await;
        last = print_progress(&shared, started, label, last, false);
    }
}

#[allow(clippy::print_stderr)] // progress is for the person watching
fn print_progress(shared: &Shared, started: Instant, label: &str, last: u64, done: bool) -> u64 {
    let acked = shared.acked_count.load(Ordering::Relaxed);
    let elapsed = started.elapsed();
    let total = shared.ids.len();
    let retries = shared.retries.load(Ordering::Relaxed);
    let failed = shared.batches_failed.load(Ordering::Relaxed);
    if done {
        eprintln!(
            "[{label}] done in {:.1}s: {acked}/{total} events acknowledged, {:.0} events/s, \
             {retries} retries, {failed} batches given up",
            elapsed.as_secs_f64(),
            rate(acked, elapsed),
        );
    } else {
        eprintln!(
            "[{label}] {:>6.1}s  acked {acked}/{total}  {:.0} events/s (last second {})  retries {retries}{}",
            elapsed.as_secs_f64(),
            rate(acked, elapsed),
            acked - last.min(acked),
            if failed > 0 { format!("  given up {failed}") } else { String::new() },
        );
    }
    acked
}

/// One batch until it is answered 200, refused for good, or given up.
async fn send_batch(client: &reqwest::Client, shared: &Shared, i: usize) {
    let (Some(body), Some(batch)) = (shared.bodies.get(i), shared.batches.get(i)) else {
        return;
    };
    let first = Instant::now();
    let policy = shared.target.retry;
    let mut backoff = policy.first_backoff;
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        let mut request = client
            .post(&shared.target.url)
            .bearer_auth(&shared.target.token)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.clone());
        if shared.target.gzip {
            request = request.header(reqwest::header::CONTENT_ENCODING, "gzip");
        }
        let sent = Instant::now();
        let (cause, retry_after) = match request.send().await {
            Ok(response) => {
                let status = response.status();
                let retry_after = response
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                if matches!(status.as_u16(), 429 | 503) && retry_after.is_none() {
                    shared.stats().shed_without_retry_after += 1;
                }
                let text = response.bytes().await;
                note_answer(shared, sent.elapsed());
                match (status.as_u16(), text) {
                    (200, Ok(bytes)) => {
                        let latency = sent.elapsed();
                        handle_ok(shared, i, batch, &bytes, latency, first.elapsed());
                        return;
                    }
                    (408 | 429 | 500..=599, _) | (200, Err(_)) => {
                        (format!("{status}"), retry_after)
                    }
                    (_, text) => {
                        let text = text
                            .map(|b| String::from_utf8_lossy(&b).into_owned())
                            .unwrap_or_default();
                        shared.failure(format!(
                            "batch {i} refused with {status} (not retried): {}",
                            clip(&text)
                        ));
                        return;
                    }
                }
            }
            Err(error) => {
                note_answer(shared, sent.elapsed());
                (transport_error(&error), None)
            }
        };
        {
            let code = cause
                .split_whitespace()
                .next()
                .and_then(|c| c.parse().ok())
                .unwrap_or(0);
            *shared.stats().retry_causes.entry(code).or_default() += 1;
        }
        let wait = retry_after.unwrap_or(backoff) + jitter(i, attempt, backoff);
        if first.elapsed() + wait > policy.give_up_after {
            shared.failure(format!(
                "batch {i} given up after {attempt} attempts in {:.0}s; last: {cause}",
                first.elapsed().as_secs_f64()
            ));
            return;
        }
        shared.retries.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(wait).await;
        backoff = (backoff * 2).min(policy.max_backoff);
    }
}

fn note_answer(shared: &Shared, waited: Duration) {
    let mut stats = shared.stats();
    stats.max_answer_ms = stats.max_answer_ms.max(waited.as_secs_f64() * 1000.0);
}

fn transport_error(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        format!("timeout: {error}")
    } else if error.is_connect() {
        format!("connection error: {error}")
    } else {
        format!("transport error: {error}")
    }
}

/// Up to a fifth of `backoff`, spread by batch and attempt so senders that
/// failed together do not retry together.
fn jitter(batch: usize, attempt: u32, backoff: Duration) -> Duration {
    let spread =
        (batch as u64).wrapping_mul(2_654_435_761) ^ u64::from(attempt).wrapping_mul(40_503);
    backoff / 5 * (spread % 100) as u32 / 100
}

fn handle_ok(
    shared: &Shared,
    i: usize,
    batch: &[u32],
    bytes: &[u8],
    latency: Duration,
    end_to_end: Duration,
) {
    let response: BatchResponse = match serde_json::from_slice(bytes) {
        Ok(r) => r,
        Err(error) => {
            shared.anomaly(format!(
                "batch {i}: a 200 whose body does not parse ({error})"
            ));
            shared.failure(format!(
                "batch {i}: unreadable 200 answer, nothing counted as acknowledged: {}",
                clip(&String::from_utf8_lossy(bytes))
            ));
            return;
        }
    };
    if response.received != batch.len() as u64 {
        shared.anomaly(format!(
            "batch {i}: received {} but {} events were sent",
            response.received,
            batch.len()
        ));
    }
    let sum = response.accepted + response.duplicates + response.conflicts + response.rejected;
    if sum != response.received {
        shared.anomaly(format!(
            "batch {i}: accepted + duplicates + conflicts + rejected = {sum} != received {}",
            response.received
        ));
    }
    let listed = response.results.len() as u64;
    if listed != response.received - response.accepted.min(response.received) {
        shared.anomaly(format!(
            "batch {i}: {listed} results listed for {} events not accepted",
            response.received.saturating_sub(response.accepted)
        ));
    }

    let mut not_acked = vec![false; batch.len()];
    let mut codes: Vec<String> = Vec::new();
    for item in &response.results {
        let Some(&event) = batch.get(item.index) else {
            shared.anomaly(format!(
                "batch {i}: result index {} out of range",
                item.index
            ));
            continue;
        };
        let expected = shared.ids.get(event as usize).copied();
        if item.event_id.is_some() && item.event_id != expected {
            shared.anomaly(format!(
                "batch {i}: result index {} names event {:?}, expected {:?}",
                item.index, item.event_id, expected
            ));
        }
        match item.status.as_str() {
            "rejected" | "conflict" => not_acked[item.index] = true,
            "duplicate" => {}
            other => shared.anomaly(format!("batch {i}: unknown result status `{other}`")),
        }
        if item.status != "duplicate" {
            codes.push(format!(
                "{}/{}",
                item.status,
                item.code.as_deref().unwrap_or("-")
            ));
        }
    }
    let mut newly = 0;
    for (&event, refused) in batch.iter().zip(&not_acked) {
        if *refused {
            continue;
        }
        if let Some(flag) = shared.acked.get(event as usize) {
            if !flag.swap(true, Ordering::Relaxed) {
                newly += 1;
            }
        }
    }
    shared.acked_count.fetch_add(newly, Ordering::Relaxed);
    shared.batches_ok.fetch_add(1, Ordering::Relaxed);
    let mut stats = shared.stats();
    stats.totals.received += response.received;
    stats.totals.accepted += response.accepted;
    stats.totals.duplicates += response.duplicates;
    stats.totals.conflicts += response.conflicts;
    stats.totals.rejected += response.rejected;
    stats.latencies_ms.push(latency.as_secs_f64() * 1000.0);
    stats.end_to_end_ms.push(end_to_end.as_secs_f64() * 1000.0);
    for code in codes {
        *stats.codes.entry(code).or_default() += 1;
    }
}

/// The `p`-th percentile (0 to 100, nearest rank) of unsorted values.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&values, 50.0), Some(50.0));
        assert_eq!(percentile(&values, 99.0), Some(99.0));
        assert_eq!(percentile(&values, 100.0), Some(100.0));
        assert_eq!(percentile(&[7.0], 99.0), Some(7.0));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn jitter_stays_below_a_fifth_of_the_backoff() {
        for batch in 0..50 {
            for attempt in 1..5 {
                assert!(
                    jitter(batch, attempt, Duration::from_secs(1)) < Duration::from_millis(200)
                );
            }
        }
    }

    #[test]
    fn the_body_is_a_json_events_array_and_gzip_round_trips() {
        use std::io::Read;
        let body = encode(&[], &[vec![]], false).unwrap();
        assert_eq!(body[0], b"{\"events\":[]}");
        let gz = encode(&[], &[vec![]], true).unwrap();
        let mut plain = String::new();
        flate2::read::GzDecoder::new(&gz[0][..])
            .read_to_string(&mut plain)
            .unwrap();
        assert_eq!(plain, "{\"events\":[]}");
        assert!(encode(&[], &[vec![3]], false).is_err());
    }
}
