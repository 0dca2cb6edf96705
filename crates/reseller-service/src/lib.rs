//! reseller-service: the resellers' API, the ingest of sale events from the
//! core order service, and the catalog feed for the core services.
//!
//! `run(config, listener, shutdown)` is the seam shared by `main`, the stack
//! launcher and the tests; `app(state)` is the router tests call in-process.

pub mod config;
pub mod db;
mod error;
pub mod http;
pub mod ingest;
pub mod reads;
pub mod report;

use std::{future::Future, net::IpAddr, sync::Arc, time::Duration};

use axum::Router;
use platform::{db::Database, rate_limit::KeyedLimiter, server};
use sqlx::migrate::Migrator;
use tokio::net::TcpListener;

pub use config::Config;
pub use error::ApiError;

/// The schema this service owns.
pub const SCHEMA: &str = "reseller";

/// The migrations of [`SCHEMA`], applied at start-up.
pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations/reseller");

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    pub db: Database,
    pub config: Arc<Config>,
    /// Registrations per client address.
    pub registrations: Arc<KeyedLimiter<IpAddr>>,
    /// Ingest transactions allowed at once; past them, 503.
    pub ingest_slots: Arc<tokio::sync::Semaphore>,
    /// Where report and order reads go (the replica, when there is one).
    pub reads: reads::Reads,
}

impl AppState {
    /// Builds the state; the pool connects lazily.
    pub fn new(config: Config) -> Self {
        let db = Database::connect_lazy(
            config.database.0.clone(),
            SCHEMA,
            "reseller-service",
            config.pool,
        );
        let registrations = Arc::new(KeyedLimiter::new(
            config.registration_burst,
            config.registration_interval,
            100_000,
        ));
        let ingest_slots = Arc::new(tokio::sync::Semaphore::new(config.ingest_max_concurrent));
        let replica = config.database_read.as_ref().map(|url| {
            Database::connect_lazy(
                url.0.clone(),
                SCHEMA,
                "reseller-service-reads",
                platform::db::PoolSettings {
                    // A dead replica must not hold reads up for long.
                    acquire_timeout: Duration::from_millis(800),
                    ..config.pool
                },
            )
        });
        let reads = reads::Reads::new(db.clone(), replica);
        Self {
            db,
            config: Arc::new(config),
            registrations,
            ingest_slots,
            reads,
        }
    }
}

/// The service's routes, without the standard layers (tests add routes of
/// their own before wrapping).
pub fn routes(state: AppState) -> Router {
    let reads = state.reads.clone();
    let replica: platform::db::ReadinessDetail = Arc::new(move || {
        let reads = reads.clone();
        Box::pin(async move {
            match reads.probe().await {
                None => None,
                Some(true) => Some(("replica", "ok")),
                Some(false) => Some(("replica", "degraded")),
            }
        })
    });
    let (primary, reads) = (state.db.clone(), state.reads.clone());
    let gauges: platform::metrics::Gauges = Arc::new(move || {
        let mut samples = platform::metrics::pool_gauges(primary.pool(), "primary");
        if let Some(replica) = reads.replica_pool() {
            samples.extend(platform::metrics::pool_gauges(replica, "replica"));
        }
        Box::pin(async move { samples })
    });
    Router::new()
        .merge(platform::db::health_routes_with(
            state.db.clone(),
            Some(replica),
        ))
        .merge(platform::metrics::routes(
            state.config.metrics_token.clone(),
            gauges,
        ))
        .merge(platform::openapi::routes(Arc::new(
            http::openapi::document(),
        )))
        .merge(http::router(state))
}

/// The complete application: routes wrapped in the standard layers.
pub fn app(state: AppState) -> Router {
    let limits = state.config.http;
    platform::http::standard_layers(routes(state), limits)
}

/// Serves the service on `listener` until `shutdown` completes.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    for warning in config.warnings() {
        tracing::warn!("{warning}");
    }
    let state = AppState::new(config);
    let migrations = state.db.spawn_migrations(&MIGRATOR);
    let housekeeping = tokio::spawn(housekeeping(state.clone()));
    tracing::info!(addr = %listener.local_addr()?, "reseller-service listening");
    let result = server::serve(
        listener,
        app(state.clone()),
        shutdown,
        server::DEFAULT_DRAIN,
    )
    .await;
    migrations.abort();
    housekeeping.abort();
    state.db.pool().close().await;
    tracing::info!("reseller-service stopped");
    result
}

/// Periodic clean-up: idempotency records past their 24 hours.
async fn housekeeping(state: AppState) {
    // The first run waits a period too: at start-up the tables may not be
    // migrated yet.
    let period = Duration::from_secs(600);
    let mut every = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    loop {
        every.tick().await;
        let purged = async {
            let mut tx = db::platform(state.db.pool()).await?;
            let n = platform::idempotency::purge_expired(&mut tx, db::idempotency::STORE).await?;
            tx.commit().await?;
            Ok::<u64, sqlx::Error>(n)
        };
        match purged.await {
            Ok(0) => {}
            Ok(n) => tracing::info!(purged = n, "expired idempotency records removed"),
            Err(error) => tracing::warn!(%error, "idempotency clean-up failed"),
        }
    }
}
