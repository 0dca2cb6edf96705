//! The results: a table for the person at the terminal (stdout) and the same
//! numbers as JSON (`--out`).

use std::{collections::BTreeMap, path::Path};

use chrono::{DateTime, Utc};
use serde::Serialize;

/// The machine the numbers were measured on.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub nproc: usize,
    pub cpu_model: String,
    pub mem_total_mb: Option<f64>,
}

impl Machine {
    pub fn read() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        Self {
            nproc: std::thread::available_parallelism().map_or(1, usize::from),
            cpu_model: cpu_model(&cpuinfo).unwrap_or_else(|| "unknown".into()),
            mem_total_mb: meminfo
                .lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|rest| rest.split_whitespace().next()?.parse::<f64>().ok())
                .map(|kb| kb / 1024.0),
        }
    }
}

fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == "model name").then(|| value.trim().to_owned())
    })
}

/// Everything a run reports. Rates are events per second; `None` when not
/// measured.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub started_at: DateTime<Utc>,
    pub machine: Machine,
    pub database: String,
    pub postgres_version: Option<String>,

    pub events: usize,
    pub senders: usize,
    pub batch_size: usize,
    pub hot_show: bool,
    pub duplicates_fraction: f64,
    pub gzip: bool,
    pub seed: u64,

    pub events_per_s: f64,
    pub copy_events_per_s: Option<f64>,
    pub copy_unavailable: Option<String>,
    /// The columns the COPY baseline filled.
    pub copy_columns: Vec<String>,
    pub naive_sample: usize,
    pub naive_events_per_s: Option<f64>,
    pub ratio_vs_copy: Option<f64>,
    pub ratio_vs_naive: Option<f64>,

    pub elapsed_s: f64,
    pub copy_elapsed_s: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
    pub p99_end_to_end_ms: Option<f64>,
    pub naive_p50_ms: Option<f64>,
    pub naive_p99_ms: Option<f64>,

    pub batches: usize,
    pub batches_ok: u64,
    pub batches_given_up: u64,
    pub deliveries: usize,
    pub duplicate_deliveries: usize,
    /// Retries of the ingest phase (`naive_retries`: of the naive one).
    pub retries: u64,
    pub naive_retries: u64,
    pub retry_causes: BTreeMap<String, u64>,
    pub accepted: u64,
    pub duplicates_reported: u64,
    pub conflicts: u64,
    pub rejected: u64,
    pub not_accepted_codes: BTreeMap<String, u64>,
    pub response_anomalies: u64,
    pub messages: Vec<String>,

    /// Distinct events acknowledged, ingest and naive phases together.
    pub acknowledged: u64,
    pub ingest_acknowledged: u64,
    pub stored: u64,
    pub lost: u64,
    pub duplicated: u64,
    pub stored_unacknowledged: u64,
    pub table_rows: u64,
    pub verified: bool,
    pub problems: Vec<String>,

    pub service_peak_rss_mb: f64,
    pub service_hwm_mb: Option<f64>,
    pub service_log: String,
    pub service_log_warnings: u64,
    pub service_log_errors: u64,
}

impl Report {
    pub fn write_json(&self, path: &Path) -> Result<(), String> {
        write_json(self, path)
    }

    /// The human table.
    pub fn table(&self) -> String {
        let mut t = String::new();
        let mut line = |s: String| {
            t.push_str(&s);
            t.push('\n');
        };
        line(format!(
            "loadgen ingest: {} events, {} senders, batches of {}, hot show: {}, duplicates {:.1}%, gzip: {}, seed {}",
            thousands(self.events as f64),
            self.senders,
            self.batch_size,
            yes_no(self.hot_show),
            self.duplicates_fraction * 100.0,
            yes_no(self.gzip),
            self.seed,
        ));
        line(format!(
            "machine: {} x {}, {} MB; PostgreSQL {} ({})",
            self.machine.nproc,
            self.machine.cpu_model,
            self.machine
                .mem_total_mb
                .map_or("?".into(), |m| format!("{m:.0}")),
            self.postgres_version.as_deref().unwrap_or("?"),
            self.database,
        ));
        line(format!("started: {}", self.started_at.to_rfc3339()));
        line(String::new());
        line(format!(
            "  {:<40} {:>12}  {:>14}",
            "path", "events/s", "ingest / path"
        ));
        line(format!(
            "  {:<40} {:>12}  {:>14}",
            "ingest endpoint (batches)",
            thousands(self.events_per_s),
            "1.00"
        ));
        line(format!(
            "  {:<40} {:>12}  {:>14}",
            "COPY into a copy of the event log",
            opt(self.copy_events_per_s, thousands),
            opt(self.ratio_vs_copy, |r| format!("{r:.2}")),
        ));
        if let Some(reason) = &self.copy_unavailable {
            line(format!("      COPY unavailable: {reason}"));
        }
        line(format!(
            "  {:<40} {:>12}  {:>14}",
            format!("naive: 1 event per request ({})", self.naive_sample),
            opt(self.naive_events_per_s, thousands),
            opt(self.ratio_vs_naive, |r| format!("{r:.1}x")),
        ));
        line(String::new());
        let ms = |v: Option<f64>| opt(v, |x| format!("{x:.1} ms"));
        line(format!(
            "  batch latency     p50 {}   p99 {}   max {}   p99 with retries {}",
            ms(self.p50_ms),
            ms(self.p99_ms),
            ms(self.max_ms),
            ms(self.p99_end_to_end_ms)
        ));
        line(format!(
            "  sending           {} deliveries ({} repeats) in {} batches over {:.1} s; {} retries{}; {} batches given up; naive: {} retries",
            thousands(self.deliveries as f64),
            thousands(self.duplicate_deliveries as f64),
            self.batches,
            self.elapsed_s,
            self.retries,
            if self.retry_causes.is_empty() {
                String::new()
            } else {
                format!(" {:?}", self.retry_causes)
            },
            self.batches_given_up,
            self.naive_retries,
        ));
        line(format!(
            "  answers           accepted {}  duplicates {}  conflicts {}  rejected {}{}",
            self.accepted,
            self.duplicates_reported,
            self.conflicts,
            self.rejected,
            if self.response_anomalies > 0 {
                format!("  ANOMALIES {}", self.response_anomalies)
            } else {
                String::new()
            }
        ));
        if !self.not_accepted_codes.is_empty() {
            line(format!("  not accepted      {:?}", self.not_accepted_codes));
        }
        line(format!(
            "  verification      acknowledged {}  stored {}  lost {}  duplicated {}  stored unacknowledged {}  table rows {}  => {}",
            self.acknowledged,
            self.stored,
            self.lost,
            self.duplicated,
            self.stored_unacknowledged,
            self.table_rows,
            if self.verified { "OK" } else { "FAILED" },
        ));
        for problem in &self.problems {
            line(format!("      problem: {problem}"));
        }
        line(format!(
            "  service memory    peak RSS {:.1} MB (VmHWM {})",
            self.service_peak_rss_mb,
            opt(self.service_hwm_mb, |m| format!("{m:.1} MB")),
        ));
        line(format!(
            "  service log       {} warnings, {} errors ({})",
            self.service_log_warnings, self.service_log_errors, self.service_log
        ));
        for message in &self.messages {
            line(format!("      note: {message}"));
        }
        t
    }
}

/// Counts `"level":"WARN"` and `"level":"ERROR"` lines of a JSON log.
pub fn count_log_levels(log: &str) -> (u64, u64) {
    log.lines().fold((0, 0), |(w, e), line| {
        if line.contains("\"level\":\"WARN\"") {
            (w + 1, e)
        } else if line.contains("\"level\":\"ERROR\"") {
            (w, e + 1)
        } else {
            (w, e)
        }
    })
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn opt(value: Option<f64>, show: impl Fn(f64) -> String) -> String {
    value.map_or_else(|| "n/a".into(), show)
}

/// `12345.6` as `12,346`.
pub fn thousands(value: f64) -> String {
    let rounded = value.round();
    if !rounded.is_finite() {
        return "n/a".into();
    }
    let digits = format!("{}", rounded.abs() as u64);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if rounded < 0.0 {
        out.insert(0, '-');
    }
    out
}

/// Writes any result as pretty JSON, for `--out`.
pub fn write_json(value: &impl serde::Serialize, path: &Path) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    std::fs::write(path, text + "\n").map_err(|e| format!("writing {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0.4), "0");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(12345.6), "12,346");
        assert_eq!(thousands(1_000_000.0), "1,000,000");
        assert_eq!(thousands(f64::NAN), "n/a");
    }

    #[test]
    fn log_levels_are_counted() {
        let log =
            "{\"level\":\"WARN\",\"x\":1}\n{\"level\":\"ERROR\"}\n{\"level\":\"WARN\"}\nplain\n";
        assert_eq!(count_log_levels(log), (2, 1));
    }

    #[test]
    fn the_cpu_model_is_read() {
        let info = "processor\t: 0\nmodel name\t: AMD EPYC 7B13\nflags\t: fpu\n";
        assert_eq!(cpu_model(info).as_deref(), Some("AMD EPYC 7B13"));
        assert_eq!(cpu_model(""), None);
    }
}
