//! reseller-service: the resellers' API, the ingest of sale events from the
//! core order service, and the catalog feed for the core services.
//!
//! `run(config, listener, shutdown)` is the seam shared by `main`, the stack
//! launcher and the tests; `app(state)` is the router tests call in-process.

pub mod config;
mod error;

use std::{future::Future, sync::Arc};

use axum::Router;
use platform::{db::Database, http, server};
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
        Self {
            db,
            config: Arc::new(config),
        }
    }
}

/// The service's routes, without the standard layers (tests add routes of
/// their own before wrapping).
pub fn routes(state: AppState) -> Router {
    Router::new().merge(platform::db::health_routes(state.db.clone()))
}

/// The complete application: routes wrapped in the standard layers.
pub fn app(state: AppState) -> Router {
    let limits = state.config.http;
    http::standard_layers(routes(state), limits)
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
    tracing::info!(addr = %listener.local_addr()?, "reseller-service listening");
    let result = server::serve(
        listener,
        app(state.clone()),
        shutdown,
        server::DEFAULT_DRAIN,
    )
    .await;
    migrations.abort();
    state.db.pool().close().await;
    tracing::info!("reseller-service stopped");
    result
}
