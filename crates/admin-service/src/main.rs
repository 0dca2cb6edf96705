//! The admin-service binary: configuration from the environment, then
//! [`admin_service::run`] until SIGTERM or Ctrl-C.

use std::process::ExitCode;

use admin_service::Config;
use platform::{config::ProcessEnv, server, telemetry};

#[tokio::main]
async fn main() -> ExitCode {
    let config = match Config::from_env(&ProcessEnv) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("admin-service: {error}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(config.log_format);
    let listener = match tokio::net::TcpListener::bind(config.http_addr).await {
        Ok(listener) => listener,
        Err(error) => {
            tracing::error!(addr = %config.http_addr, %error, "cannot listen");
            return ExitCode::FAILURE;
        }
    };
    match admin_service::run(config, listener, server::shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "server failed");
            ExitCode::FAILURE
        }
    }
}
