//! Typed reads of environment variables. Every service reads its whole
//! configuration in its own `config.rs` through these helpers, so a bad value
//! stops start-up with a message that names the variable.

use std::{net::SocketAddr, str::FromStr};

use crate::tokens::TokenSet;

/// A configuration variable that is set but unusable.
#[derive(Debug, thiserror::Error)]
#[error("invalid value for {variable}: {reason}")]
pub struct ConfigError {
    /// The environment variable at fault.
    pub variable: &'static str,
    /// Why its value was refused (never the value itself: it may be a secret).
    pub reason: String,
}

impl ConfigError {
    pub fn new(variable: &'static str, reason: impl Into<String>) -> Self {
        Self {
            variable,
            reason: reason.into(),
        }
    }
}

/// Where configuration comes from; the process environment in production, a
/// map in tests.
pub trait Env {
    fn get(&self, name: &str) -> Option<String>;
}

/// The real process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl<const N: usize> Env for [(&str, &str); N] {
    fn get(&self, name: &str) -> Option<String> {
        self.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
    }
}

/// A variable's value, with empty strings treated as unset.
pub fn optional(env: &impl Env, variable: &'static str) -> Option<String> {
    env.get(variable).filter(|v| !v.trim().is_empty())
}

/// Parses a variable with `FromStr`, or returns `default` when it is unset.
pub fn parsed_or<T>(env: &impl Env, variable: &'static str, default: T) -> Result<T, ConfigError>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    match optional(env, variable) {
        None => Ok(default),
        Some(raw) => raw
            .trim()
            .parse()
            .map_err(|e: T::Err| ConfigError::new(variable, e.to_string())),
    }
}

/// A listen address such as `127.0.0.1:8080`.
pub fn socket_addr(
    env: &impl Env,
    variable: &'static str,
    default: &str,
) -> Result<SocketAddr, ConfigError> {
    let default = default.parse().map_err(|_| {
        ConfigError::new(
            variable,
            format!("built-in default {default} is not an address"),
        )
    })?;
    parsed_or(env, variable, default)
}

/// A comma-separated list of bearer tokens. Unset means "this family of
/// routes is disabled", which the caller reports as a start-up warning.
pub fn token_set(env: &impl Env, variable: &'static str) -> Result<Option<TokenSet>, ConfigError> {
    optional(env, variable)
        .map(|raw| TokenSet::parse(&raw).map_err(|reason| ConfigError::new(variable, reason)))
        .transpose()
}

/// A URL such as `postgres://...` or `http://...`: checked for a scheme only;
/// the consumer validates the rest when it connects.
pub fn url(
    env: &impl Env,
    variable: &'static str,
    schemes: &[&str],
) -> Result<Option<String>, ConfigError> {
    let Some(raw) = optional(env, variable) else {
        return Ok(None);
    };
    let raw = raw.trim().to_owned();
    let scheme_ok = schemes.iter().any(|s| {
        raw.strip_prefix(s)
            .is_some_and(|rest| rest.starts_with("://"))
    });
    if scheme_ok {
        Ok(Some(raw))
    } else {
        Err(ConfigError::new(
            variable,
            format!(
                "expected a URL starting with {}://",
                schemes.join(":// or ")
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_address_names_the_variable() {
        let env = [("RESELLER_HTTP_ADDR", "not-an-address")];
        let err = socket_addr(&env, "RESELLER_HTTP_ADDR", "127.0.0.1:8080").unwrap_err();
        assert_eq!(err.variable, "RESELLER_HTTP_ADDR");
        assert!(err.to_string().contains("RESELLER_HTTP_ADDR"));
    }

    #[test]
    fn unset_and_empty_addresses_fall_back_to_the_default() {
        let env = [("RESELLER_HTTP_ADDR", " ")];
        let addr = socket_addr(&env, "RESELLER_HTTP_ADDR", "127.0.0.1:8080").unwrap();
        assert_eq!(addr.port(), 8080);
    }

    #[test]
    fn urls_must_carry_an_accepted_scheme() {
        let env = [("DATABASE_URL", "localhost:5432/db")];
        assert!(url(&env, "DATABASE_URL", &["postgres", "postgresql"]).is_err());
        let env = [("DATABASE_URL", "postgresql://u@h/db")];
        assert!(url(&env, "DATABASE_URL", &["postgres", "postgresql"])
            .unwrap()
            .is_some());
    }
}
