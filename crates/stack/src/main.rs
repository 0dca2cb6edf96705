//! `cargo run`: the whole stack in one process.
//!
//! ```text
//! stack [--data-dir DIR]        run PostgreSQL (embedded unless DATABASE_URL is set) and both services
//! stack demo [--data-dir DIR]   the same, filled with demo data, printing credentials and curl commands
//! stack setup-sql               print the SQL that creates the service roles and schemas
//! ```

mod demo;
mod launch;
mod secrets;

use std::{path::PathBuf, process::ExitCode};

use platform::{config::ProcessEnv, telemetry};

const USAGE: &str =
    "usage: stack [--data-dir DIR] | stack demo [--data-dir DIR] | stack setup-sql | stack --help";

enum Command {
    Run { data_dir: PathBuf, demo: bool },
    SetupSql,
    Help,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Command, String> {
    let mut data_dir = std::env::var_os("STACK_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(default_data_dir);
    let mut command = None;
    let mut demo = false;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--data-dir" => data_dir = args.next().ok_or("--data-dir needs a directory")?.into(),
            "setup-sql" => command = Some(Command::SetupSql),
            "demo" | "--demo" => demo = true,
            "-h" | "--help" => command = Some(Command::Help),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(command.unwrap_or(Command::Run { data_dir, demo }))
}

/// `.data/` at the root of the project this binary was built from, whatever
/// the current directory.
fn default_data_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../.data"))
}

fn main() -> ExitCode {
    let command = match parse_args(std::env::args().skip(1)) {
        Ok(command) => command,
        Err(error) => {
            eprintln!("stack: {error}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match command {
        Command::Help => {
            eprintln!("{USAGE}");
            ExitCode::SUCCESS
        }
        Command::SetupSql => {
            #[allow(clippy::print_stdout)] // the SQL is this command's output
            {
                println!("{}", launch::setup_sql_script());
            }
            ExitCode::SUCCESS
        }
        Command::Run { data_dir, demo } => {
            let log_format = match telemetry::LogFormat::from_env(&ProcessEnv) {
                Ok(format) => format,
                Err(error) => {
                    eprintln!("stack: {error}");
                    return ExitCode::from(2);
                }
            };
            telemetry::init(log_format);
            let runtime = match tokio::runtime::Runtime::new() {
                Ok(runtime) => runtime,
                Err(error) => {
                    eprintln!("stack: cannot start the async runtime: {error}");
                    return ExitCode::FAILURE;
                }
            };
            match runtime.block_on(launch::run(data_dir, demo)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("stack: {error}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
