//! Database restarts: while senders push waves of events, PostgreSQL is
//! stopped with `pg_ctl stop -m immediate`, kept away for a while, and
//! started again (crash recovery included), the planned number of times;
//! a few fast shutdowns (what `pg_ctl stop` or a service manager's restart
//! does: sessions are terminated with an error, not cut) are mixed in.
//!
//! A probe measures what a client sees meanwhile: one new event per ingest
//! request (retried with the same id until acknowledged, like any sender)
//! and a reseller's order page, about ten times a second. While the
//! database is away every answer must be a 503 with `Retry-After` that
//! comes within the service's request timeout; once it is back, the service
//! must serve from the database again within 10 s: a probe request answered
//! 200, and no answer failing for the database's sake (anything but a 200
//! or the ingest gate's `overloaded` 503) after that bound.
//!
//! The probe's own ingest competes with the senders for the ingest slots, so
//! the moment it is acknowledged depends on load shedding as much as on the
//! database; it is reported too (`ingest_recover_max_s`), not bounded.

use std::{
    collections::BTreeMap,
    sync::atomic::{AtomicBool, Ordering},
    time::{Duration, Instant},
};

use super::{millis, ms, sleep_unless, Fixture, Plan, Sent, Verdict, Wave};
use crate::{
    send::{percentile, INGEST_PATH},
    workload::{Event, Rng},
};

/// The bound from the database's return to the first success.
const RECOVERY_LIMIT: Duration = Duration::from_secs(10);
/// How long the probe keeps trying after the database is back.
const RECOVERY_GIVE_UP: Duration = Duration::from_secs(40);
const PROBE_EVERY: Duration = Duration::from_millis(100);

/// One answer to a probe request.
#[derive(Debug, Clone)]
struct Answer {
    /// 0 for a transport error or a client-side timeout.
    status: u16,
    ms: f64,
    retry_after: bool,
    /// The problem's `code` of an error answer.
    code: Option<String>,
}

impl Answer {
    /// The ingest gate shed it: the service is up and busy, not failing.
    fn shed(&self) -> bool {
        self.status == 503 && self.code.as_deref() == Some("overloaded")
    }
}

/// How a probe saw one recovery, in time since the database was back.
#[derive(Debug, Clone, Copy)]
struct Recovery {
    /// The first probe request answered 200.
    first_served: Duration,
    /// The last answer that failed for another reason than load shedding.
    last_failed: Option<Duration>,
    /// The probe's ingest acknowledged.
    ingest: Duration,
}

impl Recovery {
    /// From the database's return until the service served from it and
    /// failed no more.
    fn took(&self) -> Duration {
        self.last_failed
            .map_or(self.first_served, |f| f.max(self.first_served))
    }
}

/// The probe's requests and what it saw.
struct Probe {
    events: Vec<Event>,
    bodies: Vec<Vec<u8>>,
    acked: Vec<bool>,
    /// The event being sent (retried until acknowledged).
    next: usize,
    /// Events sent at least once.
    attempted: usize,
    ingest_url: String,
    ingest_token: String,
    read_url: String,
    reseller_key: String,
    /// `ingest 503`, `read 503`... while the database was away.
    away: BTreeMap<String, u64>,
    away_max_ms: f64,
    /// Answers after the database was back, before the first success.
    recovering: BTreeMap<String, u64>,
    problems: Vec<String>,
}

impl Probe {
    fn new(fx: &Fixture, events: Vec<Event>) -> Result<Self, String> {
        let batches: Vec<Vec<u32>> = (0..events.len() as u32).map(|i| vec![i]).collect();
        let bodies = crate::send::encode(&events, &batches, false)?;
        let reseller = fx.catalog.resellers.first().ok_or("no reseller")?;
        Ok(Self {
            acked: vec![false; events.len()],
            events,
            bodies,
            next: 0,
            attempted: 0,
            ingest_url: format!("{}{INGEST_PATH}", fx.service.base_url),
            ingest_token: fx.service.ingest_token.clone(),
            read_url: format!("{}/v1/orders?limit=5", fx.service.base_url),
            reseller_key: reseller.api_key.clone(),
            away: BTreeMap::new(),
            away_max_ms: 0.0,
            recovering: BTreeMap::new(),
            problems: Vec::new(),
        })
    }

    /// Sends the current probe event; on a 200 it is acknowledged and the
    /// next one is due.
    async fn ingest(&mut self, client: &reqwest::Client) -> Option<Answer> {
        let body = self.bodies.get(self.next)?.clone();
        self.attempted = self.attempted.max(self.next + 1);
        let request = client
            .post(&self.ingest_url)
            .bearer_auth(&self.ingest_token)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        let answer = timed(request).await;
        if answer.status == 200 {
            self.acked[self.next] = true;
            self.next += 1;
        }
        Some(answer)
    }

    async fn read(&self, client: &reqwest::Client) -> Answer {
        timed(client.get(&self.read_url).bearer_auth(&self.reseller_key)).await
    }

    /// Both requests while the database is away.
    async fn while_away(&mut self, client: &reqwest::Client) {
        let ingest = self.ingest(client).await;
        let read = self.read(client).await;
        for (what, answer) in [("ingest", ingest), ("read", Some(read))] {
            let Some(answer) = answer else { continue };
            let answer = &answer;
            self.away_max_ms = self.away_max_ms.max(answer.ms);
            *self
                .away
                .entry(format!("{what}:{}", answer.status))
                .or_default() += 1;
            // A 200 is possible only for a request that was served before
            // the stop took effect.
            if answer.status != 200 && (answer.status != 503 || !answer.retry_after) {
                self.problems.push(format!(
                    "{what} answered {} ({}) after {:.0} ms while the database was away",
                    answer.status,
                    if answer.retry_after {
                        "with Retry-After"
                    } else {
                        "no Retry-After"
                    },
                    answer.ms
                ));
            }
        }
    }

    /// Sends the probe's ingest (and, until one is served, its read) until
    /// the ingest is acknowledged; says when, from `back`, the moment the
    /// database accepted connections again.
    async fn until_served(&mut self, client: &reqwest::Client, back: Instant) -> Option<Recovery> {
        let mut first_served: Option<Duration> = None;
        let mut last_failed: Option<Duration> = None;
        loop {
            let answer = self.ingest(client).await?;
            let at = back.elapsed();
            if answer.status == 200 {
                return Some(Recovery {
                    first_served: first_served.unwrap_or(at).min(at),
                    last_failed,
                    ingest: at,
                });
            }
            self.note_recovering("ingest", &answer);
            if !answer.shed() {
                last_failed = Some(at);
            }
            if first_served.is_none() {
                let read = self.read(client).await;
                let at = back.elapsed();
                if read.status == 200 {
                    first_served = Some(at);
                } else {
                    self.note_recovering("read", &read);
                    last_failed = Some(at);
                }
            }
            if at > RECOVERY_GIVE_UP {
                return None;
            }
            tokio::time::sleep(PROBE_EVERY / 2).await;
        }
    }

    fn note_recovering(&mut self, what: &str, answer: &Answer) {
        let code = answer.code.as_deref().unwrap_or("-");
        *self
            .recovering
            .entry(format!("{what}:{}:{code}", answer.status))
            .or_default() += 1;
        // A transport error (0) is counted as a failure in the recovery time
        // but is no protocol fault: a keep-alive connection can close under a
        // request the client then sends again, as any sender does.
        if !matches!(answer.status, 0 | 503) {
            self.problems.push(format!(
                "{what} answered {} ({code}) after {:.0} ms while the database recovered",
                answer.status, answer.ms
            ));
        }
    }

    /// The events the probe sent, with their acknowledgements.
    fn phase(self) -> (Vec<Event>, Vec<bool>) {
        let sent = self.attempted;
        let mut events = self.events;
        let mut acked = self.acked;
        events.truncate(sent);
        acked.truncate(sent);
        (events, acked)
    }
}

fn no_recovery() -> String {
    format!(
        "the service served no ingest within {} s of the database's return",
        RECOVERY_GIVE_UP.as_secs()
    )
}

async fn timed(request: reqwest::RequestBuilder) -> Answer {
    let started = Instant::now();
    match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .contains_key(reqwest::header::RETRY_AFTER);
            let body = response.bytes().await.unwrap_or_default();
            let code = (status >= 400)
                .then(|| serde_json::from_slice::<serde_json::Value>(&body).ok())
                .flatten()
                .and_then(|p| p.get("code").and_then(|c| c.as_str()).map(str::to_owned));
            Answer {
                status,
                ms: started.elapsed().as_secs_f64() * 1000.0,
                retry_after,
                code,
            }
        }
        Err(_) => Answer {
            status: 0,
            ms: started.elapsed().as_secs_f64() * 1000.0,
            retry_after: false,
            code: None,
        },
    }
}

pub async fn run(fx: &mut Fixture, plan: &Plan, rng: &mut Rng) -> Result<Verdict, String> {
    let mut v = Verdict::new("db-restart");
    let request_timeout = platform::http::HttpLimits::default().request_timeout;
    let probe_events = Wave::generate(
        &fx.catalog,
        plan.db_restarts * 150 + 100,
        1,
        0.0,
        rng.next_u64(),
    )?
    .events;
    let mut probe = Probe::new(fx, probe_events)?;
    let mut sent = Sent::default();
    // Which restarts are fast: spread evenly among the immediate ones.
    let total = plan.db_restarts + plan.db_fast_restarts;
    let fast: Vec<bool> = (0..total)
        .map(|i| plan.db_fast_restarts > 0 && (i + 1) % (total / plan.db_fast_restarts.max(1)) == 0)
        .collect();
    let (mut immediate_count, mut fast_count) = (0, 0);
    let mut restarts = 0;
    let mut recoveries: Vec<Recovery> = Vec::new();
    let mut timing = Rng::new(rng.next_u64());
    while restarts < total {
        let wave = Wave::generate(
            &fx.catalog,
            plan.db_wave_events,
            plan.db_batch,
            0.05,
            rng.next_u64(),
        )?;
        let done = AtomicBool::new(false);
        let (client, target) = (&fx.client, &fx.target);
        let sending = async {
            let outcome = wave
                .send(client, target, plan.db_senders, "db-restart")
                .await;
            done.store(true, Ordering::Release);
            outcome
        };
        let database = &mut fx.database;
        let probe = &mut probe;
        let recoveries = &mut recoveries;
        let restarting = async {
            let mut wave_restarts = 0;
            while restarts + wave_restarts < total {
                if sleep_unless(&done, millis(&mut timing, plan.db_up_ms)).await {
                    break;
                }
                if fast.get(restarts + wave_restarts).copied().unwrap_or(false) {
                    database.stop_fast().await?;
                    fast_count += 1;
                } else {
                    database.stop_immediate().await?;
                    immediate_count += 1;
                }
                let away = Instant::now();
                let down_for = millis(&mut timing, plan.db_down_ms);
                while away.elapsed() < down_for {
                    probe.while_away(client).await;
                    tokio::time::sleep(PROBE_EVERY).await;
                }
                let started = AtomicBool::new(false);
                let starting = async {
                    let result = database.restart().await;
                    started.store(true, Ordering::Release);
                    result
                };
                let probing = async {
                    while !started.load(Ordering::Acquire) {
                        probe.while_away(client).await;
                        sleep_unless(&started, PROBE_EVERY).await;
                    }
                };
                let (result, ()) = tokio::join!(starting, probing);
                result?;
                wave_restarts += 1;
                let Some(recovery) = probe.until_served(client, Instant::now()).await else {
                    return Err(no_recovery());
                };
                recoveries.push(recovery);
            }
            Ok::<usize, String>(wave_restarts)
        };
        let (outcome, restarted) = tokio::join!(sending, restarting);
        restarts += restarted?;
        sent.add(wave, outcome);
    }
    // The superuser connection of the checks did not survive the restarts.
    fx.admin = fx.database.connect().await?;
    // The probe's last event is acknowledged too before the checks.
    probe.until_served(&fx.client, Instant::now()).await;
    let away_answers: u64 = probe.away.values().sum();
    let away_503: u64 = probe
        .away
        .iter()
        .filter(|(k, _)| k.ends_with(":503"))
        .map(|(_, n)| n)
        .sum();
    let recovery_s: Vec<f64> = recoveries.iter().map(|r| r.took().as_secs_f64()).collect();
    let ingest_s: Vec<f64> = recoveries.iter().map(|r| r.ingest.as_secs_f64()).collect();
    let recover_max = percentile(&recovery_s, 100.0).unwrap_or(0.0);
    v.figure("restarts", immediate_count);
    v.figure("fast_restarts", fast_count);
    v.figure("away_answers", away_answers);
    v.figure("away_503", away_503);
    v.figure("away_max_ms", ms(probe.away_max_ms));
    v.figure(
        "recover_p50_s",
        format!("{:.2}", percentile(&recovery_s, 50.0).unwrap_or(0.0)),
    );
    v.figure("recover_max_s", format!("{recover_max:.2}"));
    v.figure(
        "ingest_recover_p50_s",
        format!("{:.2}", percentile(&ingest_s, 50.0).unwrap_or(0.0)),
    );
    v.figure(
        "ingest_recover_max_s",
        format!("{:.2}", percentile(&ingest_s, 100.0).unwrap_or(0.0)),
    );
    v.require(
        immediate_count >= plan.db_restarts && fast_count >= plan.db_fast_restarts,
        || format!("only {immediate_count} + {fast_count} of {total} restarts"),
    );
    v.require(away_answers > 0 && away_503 > 0, || {
        "no answer was observed while the database was away".to_owned()
    });
    v.require(
        probe.away_max_ms < request_timeout.as_secs_f64() * 1000.0 + 1000.0,
        || {
            format!(
                "a request took {:.0} ms while the database was away, beyond the {} s request timeout",
                probe.away_max_ms,
                request_timeout.as_secs()
            )
        },
    );
    v.require(recover_max < RECOVERY_LIMIT.as_secs_f64(), || {
        format!(
            "the service served from the database again only {recover_max:.1} s after it was back"
        )
    });
    v.require(fx.service.exited().is_none(), || {
        "the service exited".to_owned()
    });
    let mut problems = std::mem::take(&mut probe.problems);
    let dropped = problems.len().saturating_sub(5);
    problems.truncate(5);
    if dropped > 0 {
        problems.push(format!("... and {dropped} more probe answers like these"));
    }
    let recovering = format!("{:?}", probe.recovering);
    v.figure("recovering_answers", recovering.replace(' ', ""));
    sent.phases.push(probe.phase());
    fx.end_checks(&sent, &mut v).await?;
    v.figure("retries", sent.retries);
    v.figure("shed_503", sent.shed);
    v.figure("max_answer_ms", ms(sent.max_answer_ms));
    v.problems.extend(problems);
    if !v.problems.is_empty() {
        v.problems
            .push(format!("answers while recovering: {recovering}"));
    }
    Ok(v)
}
