//! The service's memory, read from `/proc/<pid>/status`: `VmRSS` sampled
//! every 100 ms by default (the peak is reported) and `VmHWM` (the kernel's own
//! high-water mark) at the end.

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

/// Samples a process's resident set in the background.
#[derive(Debug)]
pub struct Sampler {
    pid: u32,
    peak_kb: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Sampler {
    pub fn start(pid: u32) -> Self {
        Self::start_every(pid, Duration::from_millis(100))
    }

    /// Samples every `period`.
    pub fn start_every(pid: u32, period: Duration) -> Self {
        let peak_kb = Arc::new(AtomicU64::new(0));
        let peak = peak_kb.clone();
        let task = tokio::spawn(async move {
            let mut every = tokio::time::interval(period);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                every.tick().await;
                if let Some(kb) = status_kb(pid, "VmRSS") {
                    peak.fetch_max(kb, Ordering::Relaxed);
                }
            }
        });
        Self { pid, peak_kb, task }
    }

    /// The highest sampled RSS so far, in kB.
    pub fn peak_kb(&self) -> u64 {
        self.peak_kb.load(Ordering::Relaxed)
    }

    /// Stops sampling; returns the sampled peak and `VmHWM`, in kB.
    pub fn stop(self) -> (u64, Option<u64>) {
        self.task.abort();
        if let Some(kb) = status_kb(self.pid, "VmRSS") {
            self.peak_kb.fetch_max(kb, Ordering::Relaxed);
        }
        (self.peak_kb(), status_kb(self.pid, "VmHWM"))
    }
}

/// A `kB` field of `/proc/<pid>/status`.
pub fn status_kb(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_status_kb(&status, field)
}

fn parse_status_kb(status: &str, field: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_kb_fields() {
        let status = "Name:\tloadgen\nVmHWM:\t  123456 kB\nVmRSS:\t   98765 kB\n";
        assert_eq!(parse_status_kb(status, "VmRSS"), Some(98765));
        assert_eq!(parse_status_kb(status, "VmHWM"), Some(123456));
        assert_eq!(parse_status_kb(status, "VmSwap"), None);
    }

    #[test]
    fn this_process_has_a_resident_set() {
        assert!(status_kb(std::process::id(), "VmRSS").is_some_and(|kb| kb > 0));
    }
}
