//! The memory of the order CSV export: `GET /v1/orders` with
//! `Accept: text/csv` streamed and discarded chunk by chunk until `rows`
//! data lines have arrived, while the service's `VmRSS` is sampled every
//! 50 ms. A streamed export keeps the peak near the idle RSS whatever the
//! number of rows.

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::{
    catalog::clip,
    env::Service,
    memory::{status_kb, Sampler},
};

/// What the export cost.
#[derive(Debug, Clone, Serialize)]
pub struct CsvResult {
    /// Data lines read (the header not counted).
    pub csv_rows: u64,
    pub csv_seconds: f64,
    pub csv_mb: f64,
    pub rss_before_mb: f64,
    pub csv_peak_rss_mb: f64,
    /// RSS half a second after the stream was dropped.
    pub rss_after_mb: Option<f64>,
    /// `(rows read, RSS MB)` at every tenth of the rows.
    pub rss_by_rows: Vec<(u64, f64)>,
    /// True when the reading stopped at `rows` before the end of the export.
    pub stopped_before_end: bool,
}

fn mb(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

/// Newlines in a chunk.
pub fn count_lines(chunk: &[u8]) -> u64 {
    chunk.iter().filter(|b| **b == b'\n').count() as u64
}

/// Streams the export until `rows` data lines (or its end).
pub async fn measure(
    client: &reqwest::Client,
    service: &Service,
    api_key: &str,
    rows: u64,
) -> Result<CsvResult, String> {
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rss_before = status_kb(service.pid, "VmRSS").ok_or("cannot read the service's VmRSS")?;
    let sampler = Sampler::start_every(service.pid, Duration::from_millis(50));
    let url = format!("{}/v1/orders", service.base_url);
    let started = Instant::now();
    let mut response = client
        .get(&url)
        .bearer_auth(api_key)
        .header(reqwest::header::ACCEPT, "text/csv")
        .timeout(Duration::from_secs(3600))
        .send()
        .await
        .map_err(|e| format!("GET {url} (CSV): {e}"))?;
    let status = response.status();
    if status != reqwest::StatusCode::OK {
        let body = response.text().await.unwrap_or_default();
        return Err(format!(
            "GET {url} (CSV) answered {status}: {}",
            clip(&body)
        ));
    }
    let step = (rows / 10).max(1);
    let mut next_mark = step;
    let (mut lines, mut bytes) = (0u64, 0u64);
    let mut rss_by_rows = Vec::new();
    let mut stopped_before_end = false;
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("GET {url} (CSV): reading the body: {e}"))?
    {
        lines += count_lines(&chunk);
        bytes += chunk.len() as u64;
        let data_rows = lines.saturating_sub(1);
        while data_rows >= next_mark && next_mark <= rows {
            if let Some(kb) = status_kb(service.pid, "VmRSS") {
                rss_by_rows.push((data_rows, mb(kb)));
            }
            next_mark += step;
        }
        if data_rows >= rows {
            stopped_before_end = true;
            break;
        }
    }
    let csv_seconds = started.elapsed().as_secs_f64();
    drop(response);
    let (peak_kb, _) = sampler.stop();
    tokio::time::sleep(Duration::from_millis(500)).await;
    Ok(CsvResult {
        csv_rows: lines.saturating_sub(1),
        csv_seconds,
        csv_mb: bytes as f64 / 1e6,
        rss_before_mb: mb(rss_before),
        csv_peak_rss_mb: mb(peak_kb.max(rss_before)),
        rss_after_mb: status_kb(service.pid, "VmRSS").map(mb),
        rss_by_rows,
        stopped_before_end,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_counted() {
        assert_eq!(count_lines(b""), 0);
        assert_eq!(count_lines(b"id,show_id\r\na,b\r\nc,"), 2);
    }
}
