//! The whole configuration of reseller-service, read from the environment in
//! one place (contract section 1). A bad value stops start-up naming the
//! variable; an unset token variable disables its routes with a warning.

use std::{net::SocketAddr, time::Duration};

use platform::{
    config::{self, ConfigError, Env},
    db::{DatabaseUrl, PoolSettings},
    http::HttpLimits,
    telemetry::LogFormat,
    tokens::TokenSet,
};

/// Default listen address (`RESELLER_HTTP_ADDR`).
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";

#[derive(Debug, Clone)]
pub struct Config {
    pub http_addr: SocketAddr,
    /// The primary (`DATABASE_URL`), required by the binary.
    pub database: DatabaseUrl,
    /// A read replica for reports and order listings (`DATABASE_READ_URL`).
    pub database_read: Option<DatabaseUrl>,
    /// Bearer tokens of the ingest endpoint (`INGEST_TOKENS`).
    pub ingest_tokens: Option<TokenSet>,
    /// Bearer tokens of the feeds read by the core services (`CORE_TOKENS`).
    pub core_tokens: Option<TokenSet>,
    /// The token admin-service presents (`INTERNAL_TOKEN`).
    pub internal_token: Option<TokenSet>,
    /// Protects `/metrics` when set (`METRICS_TOKEN`).
    pub metrics_token: Option<TokenSet>,
    pub log_format: LogFormat,
    pub pool: PoolSettings,
    pub http: HttpLimits,
    /// Registrations one client address may make at once...
    pub registration_burst: u32,
    /// ...and how often it earns another.
    pub registration_interval: Duration,
    /// Ingest batches processed at once (`INGEST_MAX_CONCURRENT`); more are
    /// shed with 503.
    pub ingest_max_concurrent: usize,
}

impl Config {
    pub fn from_env(env: &impl Env) -> Result<Self, ConfigError> {
        let database = DatabaseUrl::from_env(env, "DATABASE_URL")?.ok_or_else(|| {
            ConfigError::new(
                "DATABASE_URL",
                "is required (postgres://user:password@host/database)",
            )
        })?;
        Ok(Self {
            http_addr: config::socket_addr(env, "RESELLER_HTTP_ADDR", DEFAULT_ADDR)?,
            database,
            database_read: DatabaseUrl::from_env(env, "DATABASE_READ_URL")?,
            ingest_tokens: config::token_set(env, "INGEST_TOKENS")?,
            core_tokens: config::token_set(env, "CORE_TOKENS")?,
            internal_token: config::token_set(env, "INTERNAL_TOKEN")?,
            metrics_token: config::token_set(env, "METRICS_TOKEN")?,
            log_format: LogFormat::from_env(env)?,
            pool: PoolSettings {
                max_connections: config::parsed_or(env, "RESELLER_DB_MAX_CONNECTIONS", 16)?,
                ..PoolSettings::default()
            },
            http: HttpLimits::default(),
            registration_burst: 10,
            registration_interval: Duration::from_secs(60),
            ingest_max_concurrent: match config::parsed_or(env, "INGEST_MAX_CONCURRENT", 4)? {
                0 => {
                    return Err(ConfigError::new(
                        "INGEST_MAX_CONCURRENT",
                        "must be at least 1",
                    ))
                }
                n => n,
            },
        })
    }

    /// Start-up warnings about route families that are disabled.
    pub fn warnings(&self) -> Vec<&'static str> {
        let mut warnings = Vec::new();
        if self.ingest_tokens.is_none() {
            warnings.push("INGEST_TOKENS is unset: the sale-event ingest endpoint is disabled");
        }
        if self.core_tokens.is_none() {
            warnings.push("CORE_TOKENS is unset: the catalog-changes feed is disabled");
        }
        if self.internal_token.is_none() {
            warnings
                .push("INTERNAL_TOKEN is unset: the internal API for admin-service is disabled");
        }
        warnings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_url_is_required_and_named() {
        let err = Config::from_env(&[("LOG_FORMAT", "json")]).unwrap_err();
        assert_eq!(err.variable, "DATABASE_URL");
    }

    #[test]
    fn a_bad_token_list_names_its_variable() {
        let err = Config::from_env(&[
            ("DATABASE_URL", "postgres://u@localhost/db"),
            ("INGEST_TOKENS", "short"),
        ])
        .unwrap_err();
        assert_eq!(err.variable, "INGEST_TOKENS");
    }

    #[test]
    fn ingest_concurrency_must_be_positive() {
        let err = Config::from_env(&[
            ("DATABASE_URL", "postgres://u@localhost/db"),
            ("INGEST_MAX_CONCURRENT", "0"),
        ])
        .unwrap_err();
        assert_eq!(err.variable, "INGEST_MAX_CONCURRENT");
    }

    #[test]
    fn defaults_apply_and_unset_tokens_warn() {
        let config = Config::from_env(&[
            ("DATABASE_URL", "postgres://u:secret@localhost/db"),
            ("LOG_FORMAT", "json"),
        ])
        .unwrap();
        assert_eq!(config.http_addr.to_string(), DEFAULT_ADDR);
        assert_eq!(config.warnings().len(), 3);
        assert!(!format!("{config:?}").contains("secret"));
    }
}
