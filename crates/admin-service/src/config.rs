//! The whole configuration of admin-service, read from the environment in one
//! place (contract section 1). A bad value stops start-up naming the
//! variable; an unset token variable disables its routes with a warning.

use std::net::SocketAddr;

use platform::{
    config::{self, ConfigError, Env},
    db::{DatabaseUrl, PoolSettings},
    http::HttpLimits,
    telemetry::LogFormat,
    tokens::TokenSet,
};

/// Default listen address (`ADMIN_HTTP_ADDR`).
pub const DEFAULT_ADDR: &str = "127.0.0.1:8081";
/// Default `RESELLER_SERVICE_URL`.
pub const DEFAULT_RESELLER_URL: &str = "http://127.0.0.1:8080";

/// The first owner, created at start-up when no admin exists.
#[derive(Clone)]
pub struct BootstrapAdmin {
    pub email: String,
    pub password: String,
}

impl std::fmt::Debug for BootstrapAdmin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BootstrapAdmin")
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .finish()
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub http_addr: SocketAddr,
    pub database: DatabaseUrl,
    /// Bearer tokens of the refund and traffic feeds (`CORE_TOKENS`).
    pub core_tokens: Option<TokenSet>,
    /// The token presented to reseller-service (`INTERNAL_TOKEN`); only its
    /// first entry is used when sending.
    pub internal_token: Option<String>,
    pub metrics_token: Option<TokenSet>,
    pub bootstrap_admin: Option<BootstrapAdmin>,
    /// Where reseller-service is reached (`RESELLER_SERVICE_URL`).
    pub reseller_service_url: String,
    pub log_format: LogFormat,
    pub pool: PoolSettings,
    pub http: HttpLimits,
}

impl Config {
    pub fn from_env(env: &impl Env) -> Result<Self, ConfigError> {
        let database = DatabaseUrl::from_env(env, "DATABASE_URL")?.ok_or_else(|| {
            ConfigError::new(
                "DATABASE_URL",
                "is required (postgres://user:password@host/database)",
            )
        })?;
        let internal_token = config::token_set(env, "INTERNAL_TOKEN")?.and_then(|_| {
            config::optional(env, "INTERNAL_TOKEN").and_then(|raw| {
                raw.split(',')
                    .map(str::trim)
                    .find(|t| !t.is_empty())
                    .map(str::to_owned)
            })
        });
        let bootstrap_admin = match (
            config::optional(env, "ADMIN_BOOTSTRAP_EMAIL"),
            config::optional(env, "ADMIN_BOOTSTRAP_PASSWORD"),
        ) {
            (None, None) => None,
            (Some(email), Some(password)) => Some(BootstrapAdmin { email, password }),
            (Some(_), None) => {
                return Err(ConfigError::new(
                    "ADMIN_BOOTSTRAP_PASSWORD",
                    "is required when ADMIN_BOOTSTRAP_EMAIL is set",
                ))
            }
            (None, Some(_)) => {
                return Err(ConfigError::new(
                    "ADMIN_BOOTSTRAP_EMAIL",
                    "is required when ADMIN_BOOTSTRAP_PASSWORD is set",
                ))
            }
        };
        Ok(Self {
            http_addr: config::socket_addr(env, "ADMIN_HTTP_ADDR", DEFAULT_ADDR)?,
            database,
            core_tokens: config::token_set(env, "CORE_TOKENS")?,
            internal_token,
            metrics_token: config::token_set(env, "METRICS_TOKEN")?,
            bootstrap_admin,
            reseller_service_url: config::url(env, "RESELLER_SERVICE_URL", &["http", "https"])?
                .unwrap_or_else(|| DEFAULT_RESELLER_URL.to_owned())
                .trim_end_matches('/')
                .to_owned(),
            log_format: LogFormat::from_env(env)?,
            pool: PoolSettings {
                max_connections: config::parsed_or(env, "ADMIN_DB_MAX_CONNECTIONS", 8)?,
                ..PoolSettings::default()
            },
            http: HttpLimits::default(),
        })
    }

    /// Start-up warnings about route families that are disabled.
    pub fn warnings(&self) -> Vec<&'static str> {
        let mut warnings = Vec::new();
        if self.core_tokens.is_none() {
            warnings
                .push("CORE_TOKENS is unset: the refund-request and traffic feeds are disabled");
        }
        if self.internal_token.is_none() {
            warnings.push("INTERNAL_TOKEN is unset: admin-service cannot reach reseller-service");
        }
        warnings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bootstrap_email_without_password_names_the_missing_variable() {
        let err = Config::from_env(&[
            ("DATABASE_URL", "postgres://u@localhost/db"),
            ("ADMIN_BOOTSTRAP_EMAIL", "owner@example.com"),
        ])
        .unwrap_err();
        assert_eq!(err.variable, "ADMIN_BOOTSTRAP_PASSWORD");
    }

    #[test]
    fn reseller_url_must_be_http() {
        let err = Config::from_env(&[
            ("DATABASE_URL", "postgres://u@localhost/db"),
            ("RESELLER_SERVICE_URL", "ftp://x"),
        ])
        .unwrap_err();
        assert_eq!(err.variable, "RESELLER_SERVICE_URL");
    }

    #[test]
    fn defaults_apply_and_secrets_stay_out_of_debug_output() {
        let config = Config::from_env(&[
            ("DATABASE_URL", "postgres://u:dbsecret@localhost/db"),
            ("ADMIN_BOOTSTRAP_EMAIL", "owner@example.com"),
            ("ADMIN_BOOTSTRAP_PASSWORD", "pwsecret-pwsecret"),
            ("LOG_FORMAT", "pretty"),
        ])
        .unwrap();
        assert_eq!(config.http_addr.to_string(), DEFAULT_ADDR);
        assert_eq!(config.reseller_service_url, DEFAULT_RESELLER_URL);
        let debug = format!("{config:?}");
        assert!(!debug.contains("dbsecret") && !debug.contains("pwsecret"));
    }
}
