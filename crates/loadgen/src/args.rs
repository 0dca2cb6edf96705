//! The command line: a small hand-rolled parser (no clap), so a usage error
//! names the argument at fault and the binary exits with code 2.

use std::path::PathBuf;

use crate::faults::{FaultsArgs, Mode, SCENARIOS};

pub const USAGE: &str = "\
usage: loadgen ingest --events N [options]
       loadgen reports --events N[,M...] [--queries Q] [--csv-rows R] [--out FILE.json]
       loadgen faults [--mode short|long] [--only NAME[,NAME...]] [--seed S] [--out FILE.json]

Plays the core order service against reseller-service's ingest endpoint
(POST /internal/v1/sale-events/batch) and compares it with PostgreSQL's COPY
and with one event per request.

options:
  --events N            events to send (required, 1 to 100000000)
  --senders K           concurrent senders (default 4, at most 256)
  --hot-show            90% of the orders belong to one show
  --batch-size B        events per batch (default 1000, at most 5000)
  --duplicates F        share of events sent a second time in a later batch
                        (default 0.05, 0 to 1)
  --naive-sample M      events sent one per request for the naive baseline
                        (default min(2000, N/10); 0 skips it)
  --gzip                send batches with Content-Encoding: gzip
  --seed S              seed of the workload (default: from the clock)
  --out FILE.json       also write the results as JSON
  -h, --help            this text

reports: benchmarks the read side (sales report, order pages, CSV export)
over events written directly with SQL, for each size in increasing order.
  --events N[,M...]     event-log sizes (each 1 to 100000000)
  --queries Q           timed requests per measurement (default 200, 1 to 100000)
  --csv-rows R          CSV rows streamed at the largest size (default 1000000;
                        0 skips the CSV measurement)
  --out FILE.json       also write the results as JSON

faults: the fault and load tests (kill -9 of the service, immediate
restarts of PostgreSQL, duplicate storms, overload, the catalog feed under
concurrent writers) against a real reseller-service and an embedded
PostgreSQL (always embedded: the tool stops and starts it). One verdict line
per scenario; exit code 1 if any fails.
  --mode short|long     short: a few minutes (CI); long: by hand (default short)
  --only NAMES          comma list of kill9, db-restart, duplicate-storm,
                        overload, feed (default: all)
  --seed S              seed of the workloads and fault timings (default: clock)
  --out FILE.json       also write the verdicts as JSON

DATABASE_URL unset: an embedded PostgreSQL in a fresh temporary directory.
DATABASE_URL set: that server (its user must be able to create roles).";

/// The most events one run may ask for.
pub const MAX_EVENTS: usize = 100_000_000;
/// The contract's batch limit.
pub const MAX_BATCH: usize = 5_000;
pub const MAX_SENDERS: usize = 256;

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Ingest(IngestArgs),
    Reports(ReportsArgs),
    Faults(FaultsArgs),
    /// Internal: run reseller-service in this process (the child of a run).
    ServeReseller,
    Help,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IngestArgs {
    pub events: usize,
    pub senders: usize,
    pub hot_show: bool,
    pub batch_size: usize,
    pub duplicates: f64,
    pub naive_sample: usize,
    pub gzip: bool,
    pub seed: Option<u64>,
    pub out: Option<PathBuf>,
}

/// The `reports` subcommand.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportsArgs {
    /// Event-log sizes, increasing, without repeats.
    pub sizes: Vec<usize>,
    pub queries: usize,
    pub csv_rows: usize,
    pub out: Option<PathBuf>,
}

/// Parses the arguments after the program name.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut args = args.into_iter();
    let Some(command) = args.next() else {
        return Err("missing command".into());
    };
    match command.as_str() {
        "ingest" => parse_ingest(args).map(|a| a.map_or(Command::Help, Command::Ingest)),
        "reports" => parse_reports(args).map(|a| a.map_or(Command::Help, Command::Reports)),
        "faults" => parse_faults(args).map(|a| a.map_or(Command::Help, Command::Faults)),
        "__serve-reseller" => match args.next() {
            None => Ok(Command::ServeReseller),
            Some(extra) => Err(format!("unexpected argument `{extra}`")),
        },
        "-h" | "--help" | "help" => Ok(Command::Help),
        other => Err(format!("unknown command `{other}`")),
    }
}

/// `Ok(None)` for `--help`.
fn parse_ingest(args: impl Iterator<Item = String>) -> Result<Option<IngestArgs>, String> {
    let mut events = None;
    let mut senders = 4;
    let mut hot_show = false;
    let mut batch_size = 1000;
    let mut duplicates = 0.05;
    let mut naive_sample = None;
    let mut gzip = false;
    let mut seed = None;
    let mut out = None;

    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        // `--name=value` and `--name value` are both accepted.
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = |what: &str| -> Result<String, String> {
            match inline.clone() {
                Some(v) => Ok(v),
                None => args
                    .next()
                    .filter(|v| !v.starts_with("--"))
                    .ok_or_else(|| format!("{name} needs {what}")),
            }
        };
        match name.as_str() {
            "--events" => {
                events = Some(number(&name, &value("a number")?, 1, MAX_EVENTS)?);
            }
            "--senders" => senders = number(&name, &value("a number")?, 1, MAX_SENDERS)?,
            "--batch-size" => batch_size = number(&name, &value("a number")?, 1, MAX_BATCH)?,
            "--naive-sample" => {
                naive_sample = Some(number(&name, &value("a number")?, 0, 1_000_000)?);
            }
            "--duplicates" => duplicates = fraction(&name, &value("a fraction")?)?,
            "--seed" => {
                let raw = value("a number")?;
                seed = Some(
                    raw.parse::<u64>()
                        .map_err(|_| format!("{name}: `{raw}` is not a whole number"))?,
                );
            }
            "--out" => {
                let path = value("a file name")?;
                if path.is_empty() {
                    return Err("--out needs a file name".into());
                }
                out = Some(PathBuf::from(path));
            }
            "--hot-show" | "--gzip" | "-h" | "--help" if inline.is_some() => {
                return Err(format!("{name} takes no value"));
            }
            "--hot-show" => hot_show = true,
            "--gzip" => gzip = true,
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    let events = events.ok_or("--events N is required")?;
    Ok(Some(IngestArgs {
        events,
        senders,
        hot_show,
        batch_size,
        duplicates,
        naive_sample: naive_sample.unwrap_or_else(|| default_naive_sample(events)),
        gzip,
        seed,
        out,
    }))
}

/// `Ok(None)` for `--help`.
fn parse_reports(args: impl Iterator<Item = String>) -> Result<Option<ReportsArgs>, String> {
    let mut sizes = None;
    let mut queries = 200;
    let mut csv_rows = 1_000_000;
    let mut out = None;
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = |what: &str| -> Result<String, String> {
            match inline.clone() {
                Some(v) => Ok(v),
                None => args
                    .next()
                    .filter(|v| !v.starts_with("--"))
                    .ok_or_else(|| format!("{name} needs {what}")),
            }
        };
        match name.as_str() {
            "--events" => sizes = Some(size_list(&name, &value("a comma list of numbers")?)?),
            "--queries" => queries = number(&name, &value("a number")?, 1, 100_000)?,
            "--csv-rows" => csv_rows = number(&name, &value("a number")?, 0, MAX_EVENTS)?,
            "--out" => {
                let path = value("a file name")?;
                if path.is_empty() {
                    return Err("--out needs a file name".into());
                }
                out = Some(PathBuf::from(path));
            }
            "-h" | "--help" if inline.is_some() => return Err(format!("{name} takes no value")),
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    Ok(Some(ReportsArgs {
        sizes: sizes.ok_or("--events N[,M...] is required")?,
        queries,
        csv_rows,
        out,
    }))
}

/// `Ok(None)` for `--help`.
fn parse_faults(args: impl Iterator<Item = String>) -> Result<Option<FaultsArgs>, String> {
    let mut parsed = FaultsArgs {
        mode: Mode::Short,
        seed: None,
        only: Vec::new(),
        out: None,
    };
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        if matches!(name.as_str(), "-h" | "--help") {
            return match inline {
                None => Ok(None),
                Some(_) => Err(format!("{name} takes no value")),
            };
        }
        let value = match inline {
            Some(v) => v,
            None => args
                .next()
                .filter(|v| !v.starts_with("--"))
                .ok_or_else(|| format!("{name} needs a value"))?,
        };
        match name.as_str() {
            "--mode" => {
                parsed.mode = match value.as_str() {
                    "short" => Mode::Short,
                    "long" => Mode::Long,
                    other => return Err(format!("--mode is short or long, not `{other}`")),
                }
            }
            "--only" => {
                for scenario in value.split(',').map(str::trim) {
                    if !SCENARIOS.contains(&scenario) {
                        return Err(format!(
                            "--only: unknown scenario `{scenario}` (one of {})",
                            SCENARIOS.join(", ")
                        ));
                    }
                    parsed.only.push(scenario.to_owned());
                }
            }
            "--seed" => {
                parsed.seed = Some(
                    value
                        .parse::<u64>()
                        .map_err(|_| format!("{name}: `{value}` is not a whole number"))?,
                );
            }
            "--out" if !value.is_empty() => parsed.out = Some(PathBuf::from(value)),
            "--out" => return Err("--out needs a file name".into()),
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    Ok(Some(parsed))
}

/// `1000000,10_000_000`: sizes sorted increasing, repeats dropped.
pub fn size_list(name: &str, raw: &str) -> Result<Vec<usize>, String> {
    let mut sizes = raw
        .split(',')
        .map(|part| number(name, part.trim(), 1, MAX_EVENTS))
        .collect::<Result<Vec<_>, _>>()?;
    sizes.sort_unstable();
    sizes.dedup();
    Ok(sizes)
}

/// min(2000, N/10).
pub fn default_naive_sample(events: usize) -> usize {
    (events / 10).min(2000)
}

fn number(name: &str, raw: &str, min: usize, max: usize) -> Result<usize, String> {
    let cleaned: String = raw.chars().filter(|c| *c != '_').collect();
    let n: usize = cleaned
        .parse()
        .map_err(|_| format!("{name}: `{raw}` is not a whole number"))?;
    if n < min || n > max {
        return Err(format!("{name} must be between {min} and {max}, not {n}"));
    }
    Ok(n)
}

fn fraction(name: &str, raw: &str) -> Result<f64, String> {
    let f: f64 = raw
        .parse()
        .map_err(|_| format!("{name}: `{raw}` is not a number"))?;
    if !f.is_finite() || !(0.0..=1.0).contains(&f) {
        return Err(format!("{name} must be between 0 and 1, not {raw}"));
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(line: &str) -> Result<Command, String> {
        parse(line.split_whitespace().map(str::to_owned))
    }

    fn ingest(line: &str) -> IngestArgs {
        match parse_str(line) {
            Ok(Command::Ingest(a)) => a,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn defaults_apply() {
        let a = ingest("ingest --events 20000");
        assert_eq!(a.events, 20000);
        assert_eq!(a.senders, 4);
        assert_eq!(a.batch_size, 1000);
        assert!((a.duplicates - 0.05).abs() < 1e-12);
        assert_eq!(a.naive_sample, 2000);
        assert!(!a.hot_show && !a.gzip);
        assert_eq!(a.out, None);
        assert_eq!(ingest("ingest --events 500").naive_sample, 50);
    }

    #[test]
    fn every_option_is_read() {
        let a = ingest(
            "ingest --events=1_000_000 --senders 8 --hot-show --batch-size 5000 \
             --duplicates 0.1 --naive-sample 0 --gzip --seed 7 --out /tmp/x.json",
        );
        assert_eq!(a.events, 1_000_000);
        assert_eq!(a.senders, 8);
        assert!(a.hot_show && a.gzip);
        assert_eq!(a.batch_size, 5000);
        assert!((a.duplicates - 0.1).abs() < 1e-12);
        assert_eq!(a.naive_sample, 0);
        assert_eq!(a.seed, Some(7));
        assert_eq!(a.out, Some(PathBuf::from("/tmp/x.json")));
    }

    #[test]
    fn bad_input_is_a_usage_error() {
        for line in [
            "",
            "ingest",
            "ingest --events",
            "ingest --events --hot-show",
            "ingest --events 0",
            "ingest --events ten",
            "ingest --events 10 --batch-size 5001",
            "ingest --events 10 --senders 0",
            "ingest --events 10 --duplicates 1.5",
            "ingest --events 10 --duplicates NaN",
            "ingest --events 10 --frobnicate",
            "ingest --events 10 --hot-show=yes",
            "ingest --events 10 --out=",
            "egress --events 10",
            "__serve-reseller extra",
            "reports",
            "reports --events",
            "reports --events 10,",
            "reports --events 10,x",
            "reports --events 0,10",
            "reports --events 10 --queries 0",
            "reports --events 10 --frobnicate",
            "faults --mode medium",
            "faults --mode",
            "faults --only kill9,nap",
            "faults --seed x",
            "faults --out=",
            "faults --frobnicate 1",
        ] {
            assert!(parse_str(line).is_err(), "`{line}` was accepted");
        }
    }

    fn reports(line: &str) -> ReportsArgs {
        match parse_str(line) {
            Ok(Command::Reports(a)) => a,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn report_sizes_are_a_sorted_comma_list() {
        let a = reports("reports --events 10000000,1_000_000");
        assert_eq!(a.sizes, vec![1_000_000, 10_000_000]);
        assert_eq!((a.queries, a.csv_rows, a.out), (200, 1_000_000, None));
        let a = reports("reports --events=200000 --queries 20 --csv-rows 100000 --out /tmp/r.json");
        assert_eq!(a.sizes, vec![200_000]);
        assert_eq!((a.queries, a.csv_rows), (20, 100_000));
        assert_eq!(a.out, Some(PathBuf::from("/tmp/r.json")));
        assert_eq!(size_list("--events", "5, 3,5"), Ok(vec![3, 5]));
        assert_eq!(parse_str("reports --help"), Ok(Command::Help));
    }

    #[test]
    fn faults_options_are_read() {
        let Ok(Command::Faults(a)) = parse_str("faults") else {
            panic!("faults without options");
        };
        assert_eq!((a.mode, a.seed, a.out), (Mode::Short, None, None));
        assert!(a.only.is_empty());
        let Ok(Command::Faults(a)) =
            parse_str("faults --mode=long --only kill9,feed --seed 7 --out /tmp/f.json")
        else {
            panic!("faults with options");
        };
        assert_eq!(a.mode, Mode::Long);
        assert_eq!(a.only, vec!["kill9", "feed"]);
        assert_eq!(a.seed, Some(7));
        assert_eq!(a.out, Some(PathBuf::from("/tmp/f.json")));
        assert_eq!(parse_str("faults --help"), Ok(Command::Help));
    }

    #[test]
    fn help_and_the_hidden_subcommand() {
        assert_eq!(parse_str("--help"), Ok(Command::Help));
        assert_eq!(parse_str("ingest --help"), Ok(Command::Help));
        assert_eq!(parse_str("__serve-reseller"), Ok(Command::ServeReseller));
    }
}
