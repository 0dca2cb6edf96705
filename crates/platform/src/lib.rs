//! What both services share, and nothing else: reading the environment,
//! telemetry, problem+json errors, the HTTP scaffold (request ids, timeouts,
//! panics, graceful shutdown), the database connection with per-schema
//! migrations, bearer-token sets, and the embedded PostgreSQL used by the
//! stack launcher and the test harness.
//!
//! Anything specific to one service lives in that service's crate.

pub mod config;
pub mod db;
pub mod embedded;
pub mod feed;
pub mod http;
pub mod idempotency;
pub mod memory;
pub mod metrics;
pub mod openapi;
pub mod pagination;
pub mod problem;
pub mod rate_limit;
pub mod server;
pub mod telemetry;
pub mod tokens;

pub use problem::{FieldError, Problem};
