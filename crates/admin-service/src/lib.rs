//! admin-service: the platform admins' API (moderation, support queue, forced
//! refunds, high-traffic marks, audit log) and the feeds read by the core services.
//!
//! `run(config, listener, shutdown)` is the seam shared by `main`, the stack
//! launcher and the tests; `app(state)` is the router tests call in-process.
//! Reseller data is reached only through reseller-service's internal HTTP API
//! ([`reseller_api`]), never through its tables.

pub mod audit;
pub mod bootstrap;
pub mod config;
pub mod db;
mod error;
pub mod http;
pub mod password;
pub mod relay;
pub mod reseller_api;

use std::{future::Future, sync::Arc};

use axum::Router;
use platform::{db::Database, server};
use sqlx::migrate::Migrator;
use tokio::net::TcpListener;

pub use config::Config;
pub use error::ApiError;

/// The schema this service owns.
pub const SCHEMA: &str = "admin";

/// The migrations of [`SCHEMA`], applied at start-up.
pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations/admin");

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    pub db: Database,
    pub config: Arc<Config>,
    pub reseller: reseller_api::ResellerApi,
    pub relay: relay::RelayHandle,
}

impl AppState {
    /// Builds the state; the pool connects lazily.
    pub fn new(config: Config) -> Self {
        let db = Database::connect_lazy(
            config.database.0.clone(),
            SCHEMA,
            "admin-service",
            config.pool,
        );
        let reseller = reseller_api::ResellerApi::new(
            config.reseller_service_url.clone(),
            config.internal_token.clone(),
        );
        Self {
            db,
            config: Arc::new(config),
            reseller,
            relay: relay::RelayHandle::default(),
        }
    }
}

/// The service's routes, without the standard layers.
pub fn routes(state: AppState) -> Router {
    let db = state.db.clone();
    let gauges: platform::metrics::Gauges = Arc::new(move || {
        let db = db.clone();
        Box::pin(async move {
            let mut samples = platform::metrics::pool_gauges(db.pool(), "primary");
            samples.push(platform::metrics::GaugeSample {
                name: "refund_requests_oldest_pending_age_seconds",
                help: "Age of the oldest forced refund the core order service has not settled (0: none).",
                labels: Vec::new(),
                value: oldest_pending_refund(&db).await,
            });
            samples
        })
    });
    Router::new()
        .merge(http::router(state.clone()))
        .merge(platform::db::health_routes(state.db.clone()))
        .merge(platform::metrics::routes(
            state.config.metrics_token.clone(),
            gauges,
        ))
        .merge(platform::openapi::routes(Arc::new(
            http::openapi::document(),
        )))
}

/// The age of the oldest pending refund request; NaN when the database
/// cannot say (Prometheus shows the gap rather than a wrong zero).
async fn oldest_pending_refund(db: &Database) -> f64 {
    if !db.is_migrated() {
        return f64::NAN;
    }
    let age = async {
        let mut conn = db.acquire().await?;
        db::refunds::oldest_pending_age_seconds(&mut conn).await
    };
    match tokio::time::timeout(std::time::Duration::from_secs(2), age).await {
        Ok(Ok(age)) => age.unwrap_or(0.0),
        _ => f64::NAN,
    }
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
    let startup = tokio::spawn(bootstrap::after_migrations(state.clone(), migrations));
    let housekeeping = tokio::spawn(housekeeping(state.db.clone()));
    let relay = tokio::spawn(relay::run(
        state.relay.clone(),
        state.db.clone(),
        state.reseller.clone(),
    ));
    tracing::info!(addr = %listener.local_addr()?, "admin-service listening");
    let result = server::serve(
        listener,
        app(state.clone()),
        shutdown,
        server::DEFAULT_DRAIN,
    )
    .await;
    startup.abort();
    housekeeping.abort();
    relay.abort();
    state.db.pool().close().await;
    tracing::info!("admin-service stopped");
    result
}

/// Removes what has expired: ended sessions and idempotency records past
/// their 24 hours.
pub async fn purge_expired(db: &Database) -> Result<(u64, u64), sqlx::Error> {
    let mut conn = db.acquire().await?;
    let sessions = db::sessions::purge_ended(&mut conn).await?;
    let keys = platform::idempotency::purge_expired(&mut conn, db::IDEMPOTENCY).await?;
    Ok((sessions, keys))
}

/// Runs [`purge_expired`] every 10 minutes (the first run waits a period:
/// at start-up the tables may not be migrated yet).
async fn housekeeping(db: Database) {
    let period = std::time::Duration::from_secs(600);
    let mut every = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    loop {
        every.tick().await;
        match purge_expired(&db).await {
            Ok((0, 0)) => {}
            Ok((sessions, keys)) => tracing::info!(
                sessions,
                keys,
                "expired sessions and idempotency records removed"
            ),
            Err(error) => tracing::warn!(%error, "clean-up failed"),
        }
    }
}
