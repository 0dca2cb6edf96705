//! The reseller-service binary: configuration from the environment, then
//! [`reseller_service::run`] until SIGTERM or Ctrl-C.

use std::process::ExitCode;

use platform::{config::ProcessEnv, server, telemetry};
use reseller_service::Config;

#[tokio::main]
async fn main() -> ExitCode {
    platform::memory::tune_allocator();
    let config = match Config::from_env(&ProcessEnv) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("reseller-service: {error}");
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
    match reseller_service::run(config, listener, server::shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "server failed");
            ExitCode::FAILURE
        }
    }
}
