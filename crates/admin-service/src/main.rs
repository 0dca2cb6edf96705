//! The admin-service binary: configuration from the environment, then
//! [`admin_service::run`] until SIGTERM or Ctrl-C.
//!
//! `admin-service create-admin --email <e-mail> [--role owner|support|viewer]`
//! creates an admin or resets one (password from `ADMIN_PASSWORD`, else the
//! first line of standard input), after applying the migrations.

use std::process::ExitCode;

use admin_service::{bootstrap, Config};
use domain::admin::AdminRole;
use platform::{config::ProcessEnv, server, telemetry};

#[tokio::main]
async fn main() -> ExitCode {
    platform::memory::tune_allocator();
    let config = match Config::from_env(&ProcessEnv) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("admin-service: {error}");
            return ExitCode::from(2);
        }
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("create-admin") {
        return create_admin(config, &args[1..]).await;
    }
    if let Some(other) = args.first() {
        eprintln!("admin-service: unknown argument {other:?}; usage: admin-service [create-admin --email <e-mail> [--role owner|support|viewer]]");
        return ExitCode::from(2);
    }
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

async fn create_admin(config: Config, args: &[String]) -> ExitCode {
    let mut email = None;
    let mut role = AdminRole::Owner;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        match (flag.as_str(), it.next()) {
            ("--email", Some(value)) => email = Some(value.clone()),
            ("--role", Some(value)) => match AdminRole::parse(value) {
                Some(r) => role = r,
                None => {
                    eprintln!("admin-service: --role must be owner, support or viewer");
                    return ExitCode::from(2);
                }
            },
            _ => {
                eprintln!("admin-service: usage: create-admin --email <e-mail> [--role owner|support|viewer]");
                return ExitCode::from(2);
            }
        }
    }
    let Some(email) = email else {
        eprintln!("admin-service: create-admin needs --email");
        return ExitCode::from(2);
    };
    let password = match std::env::var("ADMIN_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            let mut line = String::new();
            if std::io::stdin().read_line(&mut line).is_err() {
                eprintln!("admin-service: cannot read the password from standard input");
                return ExitCode::from(2);
            }
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    let state = admin_service::AppState::new(config);
    if let Err(error) = state.db.migrate(&admin_service::MIGRATOR).await {
        eprintln!("admin-service: cannot migrate the database: {error}");
        return ExitCode::FAILURE;
    }
    match bootstrap::create_or_reset(&state.db, &email, &password, role).await {
        Ok((admin, change)) => {
            let verb = match change {
                bootstrap::AdminChange::Created => "created",
                bootstrap::AdminChange::Reset => "reset",
            };
            eprintln!(
                "admin-service: admin {} {verb} with role {}",
                admin.email, admin.role
            );
            ExitCode::SUCCESS
        }
        Err(admin_service::ApiError::Client(problem)) => {
            for e in problem.errors() {
                eprintln!("admin-service: {}: {}", e.field, e.message);
            }
            eprintln!("admin-service: {}", problem.code());
            ExitCode::from(2)
        }
        Err(error) => {
            eprintln!("admin-service: {error}");
            ExitCode::FAILURE
        }
    }
}
