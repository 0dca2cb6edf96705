//! Tracing set-up. `LOG_FORMAT=json` writes one JSON object per line (for log
//! shippers), `pretty` writes human-readable lines; unset, it is `pretty` on a
//! terminal and `json` otherwise. Every line emitted while a request is being
//! served carries that request's `request_id` through the request span.

use std::io::IsTerminal;

use tracing_subscriber::{fmt, prelude::*, EnvFilter};

use crate::config::{optional, ConfigError, Env};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

impl LogFormat {
    /// Reads `LOG_FORMAT`.
    pub fn from_env(env: &impl Env) -> Result<Self, ConfigError> {
        match optional(env, "LOG_FORMAT").as_deref().map(str::trim) {
            None if std::io::stderr().is_terminal() => Ok(Self::Pretty),
            None => Ok(Self::Json),
            Some("json") => Ok(Self::Json),
            Some("pretty") => Ok(Self::Pretty),
            Some(_) => Err(ConfigError::new(
                "LOG_FORMAT",
                "expected `json` or `pretty`",
            )),
        }
    }
}

/// Installs the global subscriber. `RUST_LOG` refines the default `info`
/// filter. Calling it twice is harmless (the second call does nothing).
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let registry = tracing_subscriber::registry().with(filter);
    let _ = match format {
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .with_current_span(true)
                    .with_span_list(false)
                    .with_writer(std::io::stderr),
            )
            .try_init(),
        LogFormat::Pretty => registry
            .with(fmt::layer().with_writer(std::io::stderr))
            .try_init(),
    };
}
