//! The results of a `reports` run: a table for the terminal and the same
//! numbers as JSON.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::csv_export::CsvResult;
use crate::report::{thousands, Machine};

/// Two numbers, one per report.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct PerReport {
    pub daily_30d: Option<f64>,
    pub hourly_7d_by_ticket_type: Option<f64>,
}

/// The measurements of one size.
#[derive(Debug, Clone, Serialize)]
pub struct SizeResult {
    pub events: u64,
    pub orders: u64,
    /// Events of the reseller asked for on the command line.
    pub events_asked: u64,
    pub load_seconds: f64,
    pub vacuum_analyze_seconds: f64,
    pub rollup_rows: u64,
    /// Rows of the hourly rollup by ticket type.
    pub hourly_rollup_rows: u64,
    pub consistent: bool,
    pub consistency_problems: Vec<String>,
    pub daily_30d_rows: usize,
    pub daily_30d_p50_ms: Option<f64>,
    pub daily_30d_p99_ms: Option<f64>,
    pub hourly_7d_by_ticket_type_rows: usize,
    pub hourly_7d_by_ticket_type_p50_ms: Option<f64>,
    pub hourly_7d_by_ticket_type_p99_ms: Option<f64>,
    pub raw_group_by_ms: PerReport,
    /// raw_group_by_ms / report p50.
    pub ratio_vs_raw: PerReport,
    /// The report rows equal the raw `GROUP BY` (count and summed figures).
    pub raw_matches_report: bool,
    pub raw_mismatches: Vec<String>,
    pub orders_first_page_p50_ms: Option<f64>,
    pub orders_first_page_p99_ms: Option<f64>,
    pub orders_page_10000_p50_ms: Option<f64>,
    pub orders_page_10000_p99_ms: Option<f64>,
    /// Deep page p50 / first page p50.
    pub deep_vs_first_ratio: Option<f64>,
    pub deep_page_unavailable: Option<String>,
}

/// A whole run.
#[derive(Debug, Clone, Serialize)]
pub struct ReadReport {
    pub started_at: DateTime<Utc>,
    pub machine: Machine,
    pub database: String,
    pub postgres_version: Option<String>,
    pub queries: usize,
    pub warm_ups: usize,
    pub raw_runs: usize,
    pub report_day: String,
    pub time_zone: String,
    pub sizes: Vec<SizeResult>,
    /// p99 of the largest size / p99 of the smallest.
    pub p99_ratio_largest_vs_smallest: PerReport,
    pub csv: Option<CsvResult>,
    pub csv_size_events: Option<u64>,
    pub service_log: String,
    pub service_log_warnings: u64,
    pub service_log_errors: u64,
    pub notes: Vec<String>,
}

impl ReadReport {
    /// Every consistency check and raw comparison passed.
    pub fn ok(&self) -> bool {
        self.sizes
            .iter()
            .all(|s| s.consistent && s.raw_matches_report)
    }

    pub fn write_json(&self, path: &Path) -> Result<(), String> {
        crate::report::write_json(self, path)
    }

    /// The human table: one column per size.
    pub fn table(&self) -> String {
        let mut t = String::new();
        let mut line = |s: String| {
            t.push_str(&s);
            t.push('\n');
        };
        line(format!(
            "loadgen reports: {} timed requests each after {} warm-ups; raw GROUP BY: p50 of {}; reports up to {} in {}",
            self.queries, self.warm_ups, self.raw_runs, self.report_day, self.time_zone
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
        let ms = |v: Option<f64>| v.map_or("n/a".into(), |x| format!("{x:.2}"));
        let ratio = |v: Option<f64>| v.map_or("n/a".into(), |x| format!("{x:.1}x"));
        type Row<'a> = (&'a str, Box<dyn Fn(&SizeResult) -> String + 'a>);
        let rows: Vec<Row<'_>> = vec![
            ("events", Box::new(|s| thousands(s.events as f64))),
            ("orders", Box::new(|s| thousands(s.orders as f64))),
            (
                "rollup rows (15m x show x tt x channel)",
                Box::new(|s| thousands(s.rollup_rows as f64)),
            ),
            (
                "hourly rollup rows (hour x ticket type)",
                Box::new(|s| thousands(s.hourly_rollup_rows as f64)),
            ),
            (
                "load s (incl. VACUUM ANALYZE s)",
                Box::new(|s| format!("{:.0} ({:.0})", s.load_seconds, s.vacuum_analyze_seconds)),
            ),
            (
                "consistency (rollups = event log)",
                Box::new(|s| {
                    if s.consistent {
                        "OK".into()
                    } else {
                        "FAILED".into()
                    }
                }),
            ),
            (
                "daily 30d report p50 ms",
                Box::new(move |s| ms(s.daily_30d_p50_ms)),
            ),
            (
                "daily 30d report p99 ms",
                Box::new(move |s| ms(s.daily_30d_p99_ms)),
            ),
            (
                "  raw GROUP BY p50 ms",
                Box::new(move |s| ms(s.raw_group_by_ms.daily_30d)),
            ),
            (
                "  raw / report",
                Box::new(move |s| ratio(s.ratio_vs_raw.daily_30d)),
            ),
            (
                "hourly 7d by ticket type p50 ms",
                Box::new(move |s| ms(s.hourly_7d_by_ticket_type_p50_ms)),
            ),
            (
                "hourly 7d by ticket type p99 ms",
                Box::new(move |s| ms(s.hourly_7d_by_ticket_type_p99_ms)),
            ),
            (
                "  raw GROUP BY p50 ms",
                Box::new(move |s| ms(s.raw_group_by_ms.hourly_7d_by_ticket_type)),
            ),
            (
                "  raw / report",
                Box::new(move |s| ratio(s.ratio_vs_raw.hourly_7d_by_ticket_type)),
            ),
            (
                "report rows = raw GROUP BY rows",
                Box::new(|s| {
                    if s.raw_matches_report {
                        "yes".into()
                    } else {
                        "NO".into()
                    }
                }),
            ),
            (
                "orders first page p50 ms",
                Box::new(move |s| ms(s.orders_first_page_p50_ms)),
            ),
            (
                "orders first page p99 ms",
                Box::new(move |s| ms(s.orders_first_page_p99_ms)),
            ),
            (
                "orders page 10,001 p50 ms",
                Box::new(move |s| ms(s.orders_page_10000_p50_ms)),
            ),
            (
                "orders page 10,001 p99 ms",
                Box::new(move |s| ms(s.orders_page_10000_p99_ms)),
            ),
            (
                "  deep / first (p50)",
                Box::new(move |s| ratio(s.deep_vs_first_ratio)),
            ),
        ];
        let mut header = format!("  {:<42}", "");
        for s in &self.sizes {
            header.push_str(&format!(
                " {:>16}",
                format!("{} events", short(s.events_asked))
            ));
        }
        line(header);
        for (name, value) in &rows {
            let mut l = format!("  {name:<42}");
            for s in &self.sizes {
                l.push_str(&format!(" {:>16}", value(s)));
            }
            line(l);
        }
        if self.sizes.len() > 1 {
            line(format!(
                "  p99 largest / smallest size: daily 30d {}, hourly 7d by ticket type {}",
                ratio(self.p99_ratio_largest_vs_smallest.daily_30d),
                ratio(self.p99_ratio_largest_vs_smallest.hourly_7d_by_ticket_type),
            ));
        }
        for s in &self.sizes {
            for p in s.consistency_problems.iter().chain(&s.raw_mismatches) {
                line(format!(
                    "      problem at {} events: {p}",
                    thousands(s.events as f64)
                ));
            }
            if let Some(why) = &s.deep_page_unavailable {
                line(format!(
                    "      at {} events: {why}",
                    thousands(s.events as f64)
                ));
            }
        }
        line(String::new());
        match &self.csv {
            Some(c) => {
                line(format!(
                    "  CSV export (GET /v1/orders, Accept: text/csv) at {} events: {} rows, {:.1} MB in {:.1} s ({} rows/s){}",
                    thousands(self.csv_size_events.unwrap_or(0) as f64),
                    thousands(c.csv_rows as f64),
                    c.csv_mb,
                    c.csv_seconds,
                    thousands(c.csv_rows as f64 / c.csv_seconds.max(1e-9)),
                    if c.stopped_before_end { ", stopped there" } else { ", whole export" },
                ));
                line(format!(
                    "  service RSS: before {:.1} MB, peak while streaming {:.1} MB (+{:.1} MB), after {}",
                    c.rss_before_mb,
                    c.csv_peak_rss_mb,
                    c.csv_peak_rss_mb - c.rss_before_mb,
                    c.rss_after_mb.map_or("n/a".into(), |m| format!("{m:.1} MB")),
                ));
                let by_rows: Vec<String> = c
                    .rss_by_rows
                    .iter()
                    .map(|(rows, mb)| format!("{}: {mb:.1}", short(*rows)))
                    .collect();
                line(format!("  RSS MB by rows read: {}", by_rows.join(", ")));
            }
            None => line("  CSV export: not measured".into()),
        }
        line(format!(
            "  service log: {} warnings, {} errors ({})",
            self.service_log_warnings, self.service_log_errors, self.service_log
        ));
        for note in &self.notes {
            line(format!("      note: {note}"));
        }
        t
    }
}

/// `10000000` as `10M`, `200000` as `200k`.
pub fn short(n: u64) -> String {
    if n >= 1_000_000 && n % 100_000 == 0 {
        let m = n as f64 / 1e6;
        format!("{}M", trim(m))
    } else if n >= 1000 && n % 100 == 0 {
        format!("{}k", trim(n as f64 / 1e3))
    } else {
        thousands(n as f64)
    }
}

fn trim(x: f64) -> String {
    let s = format!("{x:.1}");
    s.strip_suffix(".0").map_or(s.clone(), str::to_owned)
}

/// `a / b` when both are known and `b` is positive.
pub fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_short() {
        assert_eq!(short(10_000_000), "10M");
        assert_eq!(short(1_500_000), "1.5M");
        assert_eq!(short(200_000), "200k");
        assert_eq!(short(1_234), "1,234");
    }

    #[test]
    fn ratios_need_both_sides() {
        assert_eq!(ratio(Some(3.0), Some(2.0)), Some(1.5));
        assert_eq!(ratio(Some(3.0), Some(0.0)), None);
        assert_eq!(ratio(None, Some(2.0)), None);
    }
}
