//! `loadgen`: a load generator and benchmark for reseller-service's ingest
//! endpoint. It plays the core order service (contract section 4) against a
//! real reseller-service process over a durable PostgreSQL, and measures the
//! same events written with COPY (the database's limit) and sent one per
//! request (the naive client).
//!
//! ```text
//! loadgen ingest --events N [--senders K] [--hot-show] [--batch-size B]
//!                [--duplicates F] [--naive-sample M] [--gzip] [--seed S] [--out FILE.json]
//! ```
//!
//! ```text
//! loadgen reports --events N[,M...] [--queries Q] [--csv-rows R] [--out FILE.json]
//! ```
//!
//! ```text
//! loadgen faults [--mode short|long] [--only NAME,...] [--seed S] [--out FILE.json]
//! ```
//!
//! `faults` runs the fault and load tests (issue #8) and prints one verdict
//! line per scenario.
//!
//! `reports` benchmarks the read side (sales reports, order pages, the CSV
//! export) over event logs of the given sizes, written directly with SQL.
//!
//! Exit codes: 0 verified, 1 failed (an error, or acknowledged events not
//! stored exactly once), 2 usage error.

mod args;
mod baseline;
mod catalog;
mod env;
mod faults;
mod memory;
mod report;
mod reports;
mod run;
mod send;
mod verify;
mod workload;

use std::process::ExitCode;

use args::Command;

fn main() -> ExitCode {
    let command = match args::parse(std::env::args().skip(1)) {
        Ok(command) => command,
        Err(error) => {
            eprintln!("loadgen: {error}\n\n{}", args::USAGE);
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("loadgen: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match command {
        Command::Help => {
            eprintln!("{}", args::USAGE);
            ExitCode::SUCCESS
        }
        Command::ServeReseller => runtime.block_on(env::serve_reseller()),
        Command::Ingest(args) => {
            let out = args.out.clone();
            // The run future is polled on this (main) thread, which spawns the
            // service child: its parent-death signal is tied to this thread.
            let result = runtime.block_on(async {
                tokio::select! {
                    result = run::ingest(args) => result,
                    _ = tokio::signal::ctrl_c() => Err("interrupted".to_owned()),
                }
            });
            finish(result, out.as_deref())
        }
        Command::Faults(args) => {
            let out = args.out.clone();
            // Polled on this (main) thread: the service children it respawns
            // get their parent-death signal tied to it.
            let result = runtime.block_on(async {
                tokio::select! {
                    result = faults::run(args) => result,
                    _ = tokio::signal::ctrl_c() => Err("interrupted".to_owned()),
                }
            });
            finish_faults(result, out.as_deref())
        }
        Command::Reports(args) => {
            let out = args.out.clone();
            let result = runtime.block_on(async {
                tokio::select! {
                    result = reports::run(args) => result,
                    _ = tokio::signal::ctrl_c() => Err("interrupted".to_owned()),
                }
            });
            finish_reports(result, out.as_deref())
        }
    }
}

#[allow(clippy::print_stdout)] // the table is this program's output
fn finish_reports(
    result: Result<reports::ReadReport, String>,
    out: Option<&std::path::Path>,
) -> ExitCode {
    let report = match result {
        Ok(report) => report,
        Err(error) => {
            eprintln!("loadgen: {error}");
            return ExitCode::FAILURE;
        }
    };
    print!("{}", report.table());
    if let Some(path) = out {
        if let Err(error) = report.write_json(path) {
            eprintln!("loadgen: {error}");
            return ExitCode::FAILURE;
        }
        eprintln!("loadgen: results written to {}", path.display());
    }
    if report.ok() {
        ExitCode::SUCCESS
    } else {
        eprintln!("loadgen: a consistency check or a report comparison FAILED");
        ExitCode::FAILURE
    }
}

fn finish_faults(
    result: Result<faults::FaultsReport, String>,
    out: Option<&std::path::Path>,
) -> ExitCode {
    let report = match result {
        Ok(report) => report,
        Err(error) => {
            eprintln!("loadgen faults: {error}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(path) = out {
        if let Err(error) = report.write_json(path) {
            eprintln!("loadgen faults: {error}");
            return ExitCode::FAILURE;
        }
        eprintln!("loadgen faults: results written to {}", path.display());
    }
    let failed: Vec<&str> = report
        .verdicts
        .iter()
        .filter(|v| !v.pass)
        .map(|v| v.scenario)
        .collect();
    eprintln!(
        "loadgen faults: {} of {} scenarios passed in {:.1} s (seed {})",
        report.verdicts.len() - failed.len(),
        report.verdicts.len(),
        report.elapsed_s,
        report.seed
    );
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!("loadgen faults: FAILED: {}", failed.join(", "));
        ExitCode::FAILURE
    }
}

#[allow(clippy::print_stdout)] // the table is this program's output
fn finish(result: Result<report::Report, String>, out: Option<&std::path::Path>) -> ExitCode {
    let report = match result {
        Ok(report) => report,
        Err(error) => {
            eprintln!("loadgen: {error}");
            return ExitCode::FAILURE;
        }
    };
    print!("{}", report.table());
    if let Some(path) = out {
        if let Err(error) = report.write_json(path) {
            eprintln!("loadgen: {error}");
            return ExitCode::FAILURE;
        }
        eprintln!("loadgen: results written to {}", path.display());
    }
    if report.verified {
        ExitCode::SUCCESS
    } else {
        eprintln!("loadgen: verification FAILED");
        ExitCode::FAILURE
    }
}
