//! `loadgen faults`: the fault and load tests of issue #8. One embedded,
//! durable PostgreSQL and one reseller-service child process (this binary as
//! `__serve-reseller`), a catalog made over the public API, then five
//! scenarios in turn, each bounded in time and ending in one verdict line:
//!
//! - `kill9`: the service is SIGKILLed at random (seeded) moments while
//!   senders push events and retry unacknowledged batches with the same ids;
//! - `db-restart`: PostgreSQL is stopped with `pg_ctl stop -m immediate` and
//!   started again under load; the service must answer 503 promptly while it
//!   is away and serve again soon after it returns;
//! - `duplicate-storm`: the same batches sent 1 to 5 times by many senders;
//! - `overload`: ten times (or more) the ingest limit in concurrent senders,
//!   with a reseller reading its report meanwhile;
//! - `feed`: the catalog feed followed while resellers change ticket types.
//!
//! The ingest scenarios end with the same checks: every acknowledged event
//! is stored exactly once, and every projection equals its recomputation
//! from the event log (`verify::PROJECTIONS`).

mod db_restart;
mod feed;
mod kill9;
mod overload;
mod storm;

use std::{
    path::PathBuf,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{
    catalog::{self, Catalog},
    env::{Database, Service},
    report::{count_log_levels, Machine},
    send::{self, Outcome, Retry, Target},
    verify::{self, ProjectionCheck},
    workload::{self, Event, Rng, Spec},
};

/// The scenarios, in the order they run.
pub const SCENARIOS: [&str; 5] = ["kill9", "db-restart", "duplicate-storm", "overload", "feed"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// A few minutes in all, for CI.
    Short,
    /// More events, more faults, longer: run by hand.
    Long,
}

/// `loadgen faults` options.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultsArgs {
    pub mode: Mode,
    pub seed: Option<u64>,
    /// Scenario names to run (default: all, in [`SCENARIOS`] order).
    pub only: Vec<String>,
    pub out: Option<PathBuf>,
}

/// The sizes of one mode.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Plan {
    pub kills: usize,
    /// A kill comes this many milliseconds (uniform) after the service is ready.
    pub kill_after_ms: (i64, i64),
    pub kill9_wave_events: usize,
    pub kill9_batch: usize,
    pub kill9_senders: usize,

    /// Restarts after `pg_ctl stop -m immediate`...
    pub db_restarts: usize,
    /// ...and, in between, after a fast shutdown (sessions terminated with
    /// an error rather than cut).
    pub db_fast_restarts: usize,
    /// Load before each stop, and how long the database stays away.
    pub db_up_ms: (i64, i64),
    pub db_down_ms: (i64, i64),
    pub db_wave_events: usize,
    pub db_batch: usize,
    pub db_senders: usize,

    pub storm_events: usize,
    pub storm_batch: usize,
    pub storm_senders: usize,

    /// Senders per ingest slot.
    pub overload_factor: usize,
    pub overload_events: usize,
    pub overload_batch: usize,

    pub feed_writers: usize,
    pub feed_changes_per_writer: usize,
}

impl Plan {
    pub fn for_mode(mode: Mode) -> Self {
        match mode {
            Mode::Short => Self {
                kills: 20,
                kill_after_ms: (250, 1200),
                kill9_wave_events: 15_000,
                kill9_batch: 250,
                kill9_senders: 4,
                db_restarts: 10,
                db_fast_restarts: 3,
                db_up_ms: (1000, 2000),
                db_down_ms: (500, 1500),
                db_wave_events: 15_000,
                db_batch: 250,
                db_senders: 4,
                storm_events: 10_000,
                storm_batch: 200,
                storm_senders: 16,
                overload_factor: 10,
                overload_events: 15_000,
                overload_batch: 100,
                feed_writers: 8,
                feed_changes_per_writer: 40,
            },
            Mode::Long => Self {
                kills: 100,
                kill_after_ms: (250, 2500),
                kill9_wave_events: 60_000,
                kill9_batch: 500,
                kill9_senders: 6,
                db_restarts: 30,
                db_fast_restarts: 10,
                db_up_ms: (2000, 6000),
                db_down_ms: (500, 4000),
                db_wave_events: 60_000,
                db_batch: 500,
                db_senders: 6,
                storm_events: 60_000,
                storm_batch: 500,
                storm_senders: 32,
                overload_factor: 16,
                overload_events: 80_000,
                overload_batch: 100,
                feed_writers: 16,
                feed_changes_per_writer: 150,
            },
        }
    }
}

/// How batches are retried in the fault tests: soon and for long, since
/// the service or the database comes back within seconds.
pub const FAULT_RETRY: Retry = Retry {
    first_backoff: Duration::from_millis(50),
    max_backoff: Duration::from_secs(1),
    give_up_after: Duration::from_secs(120),
};

/// One scenario's result: a verdict line with its figures, and the same as
/// JSON.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub scenario: &'static str,
    pub pass: bool,
    /// In the order they are printed.
    #[serde(serialize_with = "figures_as_object")]
    pub figures: Vec<(&'static str, String)>,
    pub problems: Vec<String>,
    pub elapsed_s: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub projections: Option<Vec<ProjectionCheck>>,
}

fn figures_as_object<S: serde::Serializer>(
    figures: &[(&'static str, String)],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let map: Map<String, Value> = figures
        .iter()
        .map(|(k, v)| {
            let value = v
                .parse::<i64>()
                .map(Value::from)
                .or_else(|_| v.parse::<f64>().map(Value::from))
                .unwrap_or_else(|_| Value::from(v.clone()));
            ((*k).to_owned(), value)
        })
        .collect();
    map.serialize(serializer)
}

impl Verdict {
    pub fn new(scenario: &'static str) -> Self {
        Self {
            scenario,
            pass: true,
            figures: Vec::new(),
            problems: Vec::new(),
            elapsed_s: 0.0,
            projections: None,
        }
    }

    pub fn figure(&mut self, name: &'static str, value: impl ToString) {
        self.figures.push((name, value.to_string()));
    }

    /// Records `problem` unless `ok`.
    pub fn require(&mut self, ok: bool, problem: impl FnOnce() -> String) {
        if !ok {
            self.problems.push(problem());
        }
    }

    fn finish(mut self, started: Instant) -> Self {
        self.pass = self.problems.is_empty();
        self.elapsed_s = started.elapsed().as_secs_f64();
        self
    }

    /// `faults kill9: PASS kills=20 acked=... (41.2 s)`.
    pub fn line(&self) -> String {
        let mut line = format!(
            "faults {}: {}",
            self.scenario,
            if self.pass { "PASS" } else { "FAIL" }
        );
        for (name, value) in &self.figures {
            line.push_str(&format!(" {name}={value}"));
        }
        line.push_str(&format!(" ({:.1} s)", self.elapsed_s));
        line
    }

    /// A verdict for a scenario that could not run to its end.
    fn errored(scenario: &'static str, error: String, started: Instant) -> Self {
        let mut v = Self::new(scenario);
        v.problems.push(error);
        v.finish(started)
    }
}

/// Everything a `faults` run reports.
#[derive(Debug, Clone, Serialize)]
pub struct FaultsReport {
    pub started_at: DateTime<Utc>,
    pub mode: Mode,
    pub seed: u64,
    pub machine: Machine,
    pub postgres_version: Option<String>,
    pub ingest_max_concurrent: usize,
    pub plan: Plan,
    pub verdicts: Vec<Verdict>,
    pub passed: bool,
    pub elapsed_s: f64,
    pub service_log: String,
    pub service_log_warnings: u64,
    pub service_log_errors: u64,
}

impl FaultsReport {
    pub fn write_json(&self, path: &std::path::Path) -> Result<(), String> {
        crate::report::write_json(self, path)
    }
}

/// The database, the service and the catalog shared by the scenarios.
#[derive(Debug)]
pub struct Fixture {
    pub database: Database,
    pub service: Service,
    pub admin: PgConnection,
    pub client: reqwest::Client,
    pub catalog: Catalog,
    pub target: Target,
    pub ingest_limit: usize,
}

/// One wave of fresh events, encoded and ready to send.
#[derive(Debug)]
pub struct Wave {
    pub events: Vec<Event>,
    pub batches: Arc<Vec<Vec<u32>>>,
    pub bodies: Arc<Vec<Vec<u8>>>,
    pub ids: Arc<Vec<Uuid>>,
}

impl Wave {
    /// `events` cut into `batches` (indices; repeats allowed).
    pub fn new(events: Vec<Event>, batches: Vec<Vec<u32>>) -> Result<Self, String> {
        let bodies = send::encode(&events, &batches, false)?;
        let ids = events.iter().map(|e| e.event_id).collect();
        Ok(Self {
            events,
            batches: Arc::new(batches),
            bodies: Arc::new(bodies),
            ids: Arc::new(ids),
        })
    }

    /// Fresh orders' events over the fixture's catalog, 5% of them sent a
    /// second time in a later batch.
    pub fn generate(
        catalog: &Catalog,
        events: usize,
        batch_size: usize,
        duplicates: f64,
        seed: u64,
    ) -> Result<Self, String> {
        let spec = Spec {
            events,
            hot_show: false,
            duplicates,
            batch_size,
            seed,
        };
        let workload = workload::generate(catalog, &spec, Utc::now());
        Self::new(workload.events, workload.batches)
    }

    /// Sends every batch with `senders` senders until each is acknowledged
    /// (or given up).
    pub async fn send(
        &self,
        client: &reqwest::Client,
        target: &Target,
        senders: usize,
        label: &'static str,
    ) -> Outcome {
        send::run(
            client,
            target.clone(),
            self.bodies.clone(),
            self.batches.clone(),
            self.ids.clone(),
            senders,
            label,
        )
        .await
    }
}

/// Sums over the sending phases of one scenario.
#[derive(Debug, Default)]
pub struct Sent {
    pub phases: Vec<(Vec<Event>, Vec<bool>)>,
    pub deliveries: u64,
    pub accepted: u64,
    pub duplicates: u64,
    pub conflicts: u64,
    pub rejected: u64,
    pub retries: u64,
    pub gave_up: u64,
    pub anomalies: u64,
    pub transport_errors: u64,
    pub shed: u64,
    pub shed_without_retry_after: u64,
    /// Retries caused by answers other than 429/503/transport, as `500:3`.
    pub unexpected: Vec<String>,
    pub messages: Vec<String>,
    pub max_answer_ms: f64,
}

impl Sent {
    pub fn add(&mut self, wave: Wave, outcome: Outcome) {
        self.deliveries += wave.batches.iter().map(|b| b.len() as u64).sum::<u64>();
        self.accepted += outcome.totals.accepted;
        self.duplicates += outcome.totals.duplicates;
        self.conflicts += outcome.totals.conflicts;
        self.rejected += outcome.totals.rejected;
        self.retries += outcome.retries;
        self.gave_up += outcome.batches_failed;
        self.anomalies += outcome.anomaly_count;
        self.transport_errors += outcome.retried_on(0);
        self.shed += outcome.retried_on(503) + outcome.retried_on(429);
        self.shed_without_retry_after += outcome.shed_without_retry_after;
        for (code, n) in &outcome.retry_causes {
            if !matches!(code, 0 | 429 | 503) {
                self.unexpected.push(format!("{code}:{n}"));
            }
        }
        self.max_answer_ms = self.max_answer_ms.max(outcome.max_answer_ms);
        self.messages.extend(outcome.failures.iter().cloned());
        self.messages.extend(outcome.anomalies.iter().cloned());
        self.phases.push((wave.events, outcome.acked));
    }

    pub fn distinct_events(&self) -> u64 {
        self.phases.iter().map(|(e, _)| e.len() as u64).sum()
    }
}

impl Fixture {
    /// Starts the embedded database and the service; creates the catalog.
    #[allow(clippy::print_stderr)] // progress for the person watching
    pub async fn start(ingest_limit: usize) -> Result<Self, String> {
        eprintln!("loadgen faults: starting the embedded database");
        let database = Database::embedded().await?;
        eprintln!("loadgen faults: database {}", database.description);
        let admin = database.connect().await?;
        let mut service = Service::spawn_with(
            &database.reseller_url,
            vec![("INGEST_MAX_CONCURRENT".to_owned(), ingest_limit.to_string())],
        )?;
        let client = reqwest::Client::builder()
            .timeout(send::REQUEST_TIMEOUT)
            .connect_timeout(Duration::from_secs(2))
            .tcp_nodelay(true)
            .build()
            .map_err(|e| format!("building the HTTP client: {e}"))?;
        service.wait_ready(&client).await?;
        eprintln!(
            "loadgen faults: reseller-service ready at {} (pid {}, log {})",
            service.base_url,
            service.pid,
            service.log_path.display()
        );
        let catalog = catalog::create(&client, &service).await?;
        let target = Target {
            url: format!("{}{}", service.base_url, send::INGEST_PATH),
            token: service.ingest_token.clone(),
            gzip: false,
            retry: FAULT_RETRY,
        };
        Ok(Self {
            database,
            service,
            admin,
            client,
            catalog,
            target,
            ingest_limit,
        })
    }

    /// The end checks of an ingest scenario: stored exactly once, and the
    /// projections equal their recomputation. Adds figures and problems.
    pub async fn end_checks(&mut self, sent: &Sent, v: &mut Verdict) -> Result<(), String> {
        let phases: Vec<(&[Event], &[bool])> = sent
            .phases
            .iter()
            .map(|(e, a)| (e.as_slice(), a.as_slice()))
            .collect();
        let check = verify::check(&mut self.admin, &phases, false, sent.gave_up).await?;
        let distinct = sent.distinct_events();
        v.figure("acked", check.acknowledged);
        v.figure("stored", check.stored);
        v.figure("lost", check.lost);
        v.figure("duplicated", check.duplicated);
        v.problems.extend(check.problems.iter().cloned());
        v.require(check.acknowledged == distinct, || {
            format!(
                "{} of {distinct} events were never acknowledged",
                distinct - check.acknowledged.min(distinct)
            )
        });
        v.require(sent.gave_up == 0, || {
            format!("{} batches were given up", sent.gave_up)
        });
        v.require(sent.anomalies == 0, || {
            format!("{} malformed or inconsistent 200 answers", sent.anomalies)
        });
        v.require(sent.unexpected.is_empty(), || {
            format!(
                "answers that are neither 2xx nor 503/429: {}",
                sent.unexpected.join(", ")
            )
        });
        v.require(sent.shed_without_retry_after == 0, || {
            format!(
                "{} answers 503/429 without Retry-After",
                sent.shed_without_retry_after
            )
        });
        v.require(sent.conflicts == 0 && sent.rejected == 0, || {
            format!(
                "{} conflicts and {} rejections of events sent unchanged",
                sent.conflicts, sent.rejected
            )
        });
        v.problems
            .extend(sent.messages.iter().take(5).map(|m| format!("sender: {m}")));
        self.compare_projections(v).await
    }

    /// `rollups=equal orders=equal stock=equal`, or which rows differ.
    pub async fn compare_projections(&mut self, v: &mut Verdict) -> Result<(), String> {
        let checks = verify::compare_projections(&mut self.admin, verify::PROJECTIONS).await?;
        for group in ["rollups", "orders", "stock"] {
            let mut equal = true;
            for (c, check) in verify::PROJECTIONS.iter().zip(&checks) {
                if c.group != group || check.equal() {
                    continue;
                }
                equal = false;
                v.problems.push(format!(
                    "{}: {} rows differ from the recomputation ({} projected, {} recomputed), e.g. {}",
                    check.name,
                    check.differing_rows,
                    check.projection_rows,
                    check.recomputed_rows,
                    check.examples.join(" | ")
                ));
            }
            v.figure(group, if equal { "equal" } else { "DIFFER" });
        }
        v.projections = Some(checks);
        Ok(())
    }
}

/// Sleeps `wait`, or less if `done` turns true; says whether it did.
pub async fn sleep_unless(done: &AtomicBool, wait: Duration) -> bool {
    let until = Instant::now() + wait;
    loop {
        if done.load(Ordering::Acquire) {
            return true;
        }
        let now = Instant::now();
        if now >= until {
            return false;
        }
        tokio::time::sleep((until - now).min(Duration::from_millis(20))).await;
    }
}

/// A uniform duration in `range` milliseconds.
pub fn millis(rng: &mut Rng, (lo, hi): (i64, i64)) -> Duration {
    Duration::from_millis(rng.between(lo, hi).max(0) as u64)
}

/// The ingest limit the service runs with: `INGEST_MAX_CONCURRENT` when
/// set, else reseller-service's own default.
pub fn ingest_limit() -> Result<usize, String> {
    const URL: (&str, &str) = ("DATABASE_URL", "postgres://loadgen@localhost/loadgen");
    let config = match std::env::var("INGEST_MAX_CONCURRENT") {
        Ok(value) => reseller_service::Config::from_env(&[URL, ("INGEST_MAX_CONCURRENT", &value)]),
        Err(_) => reseller_service::Config::from_env(&[URL]),
    };
    config
        .map(|c| c.ingest_max_concurrent)
        .map_err(|e| e.to_string())
}

/// Milliseconds with one decimal.
pub fn ms(value: f64) -> String {
    format!("{value:.1}")
}

/// Runs the selected scenarios; the report says which passed.
#[allow(clippy::print_stderr, clippy::print_stdout)] // verdict lines are this command's output
pub async fn run(args: FaultsArgs) -> Result<FaultsReport, String> {
    let started = Instant::now();
    let started_at = Utc::now();
    let seed = args.seed.unwrap_or_else(crate::run::clock_seed);
    let plan = Plan::for_mode(args.mode);
    let selected: Vec<&'static str> = SCENARIOS
        .iter()
        .copied()
        .filter(|s| args.only.is_empty() || args.only.iter().any(|o| o == s))
        .collect();
    eprintln!(
        "loadgen faults: {:?} mode, seed {seed} (repeat with --seed {seed}), scenarios {}",
        args.mode,
        selected.join(", ")
    );
    let limit = ingest_limit()?;
    let mut fx = Fixture::start(limit).await?;
    let postgres_version: Option<String> = sqlx::query_scalar("SHOW server_version")
        .fetch_one(&mut fx.admin)
        .await
        .ok();
    let mut rng = Rng::new(seed);
    let mut verdicts = Vec::new();
    for scenario in selected {
        let scenario_seed = rng.next_u64();
        eprintln!("loadgen faults: scenario {scenario} (seed {scenario_seed})");
        let scenario_started = Instant::now();
        let mut srng = Rng::new(scenario_seed);
        let result = match scenario {
            "kill9" => kill9::run(&mut fx, &plan, &mut srng).await,
            "db-restart" => db_restart::run(&mut fx, &plan, &mut srng).await,
            "duplicate-storm" => storm::run(&mut fx, &plan, &mut srng).await,
            "overload" => overload::run(&mut fx, &plan, &mut srng).await,
            _ => feed::run(&mut fx, &plan, &mut srng).await,
        };
        let verdict = match result {
            Ok(v) => v.finish(scenario_started),
            Err(error) => Verdict::errored(scenario, error, scenario_started),
        };
        println!("{}", verdict.line());
        for problem in &verdict.problems {
            eprintln!("loadgen faults: {scenario}: {problem}");
        }
        verdicts.push(verdict);
        if let Some(status) = fx.service.exited() {
            return Err(format!(
                "reseller-service exited ({status}) and was not restarted; its log:\n{}",
                fx.service.log_tail(30)
            ));
        }
    }
    let service_log = fx.service.log_path.clone();
    let mut notes = Vec::new();
    crate::env::tear_down(fx.service, fx.admin, fx.database, &mut notes).await?;
    for note in notes {
        eprintln!("loadgen faults: {note}");
    }
    let (warnings, errors) =
        count_log_levels(&std::fs::read_to_string(&service_log).unwrap_or_default());
    Ok(FaultsReport {
        started_at,
        mode: args.mode,
        seed,
        machine: Machine::read(),
        postgres_version,
        ingest_max_concurrent: limit,
        plan,
        passed: verdicts.iter().all(|v| v.pass),
        verdicts,
        elapsed_s: started.elapsed().as_secs_f64(),
        service_log: service_log.display().to_string(),
        service_log_warnings: warnings,
        service_log_errors: errors,
    })
}
