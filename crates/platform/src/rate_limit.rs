//! An in-process token bucket per key (a client address, an account). The
//! design keeps no shared store: limits are per process, which is what
//! protects that process. Memory is bounded: when the table is full, buckets
//! that have refilled completely (and so carry no state) are dropped first.

use std::{
    collections::HashMap,
    hash::Hash,
    sync::Mutex,
    time::{Duration, Instant},
};

#[derive(Debug)]
pub struct KeyedLimiter<K> {
    burst: f64,
    per_second: f64,
    max_keys: usize,
    buckets: Mutex<HashMap<K, (f64, Instant)>>,
}

impl<K: Hash + Eq + Clone> KeyedLimiter<K> {
    /// `burst` requests at once, refilled at one per `every`.
    pub fn new(burst: u32, every: Duration, max_keys: usize) -> Self {
        Self {
            burst: f64::from(burst),
            per_second: 1.0 / every.as_secs_f64(),
            max_keys,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `key`; `Err(wait)` says how long until one is
    /// available.
    pub fn check(&self, key: &K) -> Result<(), Duration> {
        self.check_at(key, Instant::now())
    }

    fn check_at(&self, key: &K, now: Instant) -> Result<(), Duration> {
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() >= self.max_keys && !buckets.contains_key(key) {
            let (burst, rate) = (self.burst, self.per_second);
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * rate < burst
            });
            if buckets.len() >= self.max_keys {
                return Err(Duration::from_secs(1));
            }
        }
        let (tokens, at) = buckets.entry(key.clone()).or_insert((self.burst, now));
        *tokens =
            (*tokens + now.duration_since(*at).as_secs_f64() * self.per_second).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - *tokens) / self.per_second))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_then_refused_then_refilled() {
        let limiter = KeyedLimiter::new(2, Duration::from_secs(10), 100);
        let t0 = Instant::now();
        assert!(limiter.check_at(&"a", t0).is_ok());
        assert!(limiter.check_at(&"a", t0).is_ok());
        let wait = limiter.check_at(&"a", t0).unwrap_err();
        assert!(wait > Duration::from_secs(9) && wait <= Duration::from_secs(10));
        // Another key is independent.
        assert!(limiter.check_at(&"b", t0).is_ok());
        assert!(limiter.check_at(&"a", t0 + Duration::from_secs(10)).is_ok());
    }

    #[test]
    fn the_table_is_bounded() {
        let limiter = KeyedLimiter::new(1, Duration::from_secs(60), 2);
        let t0 = Instant::now();
        assert!(limiter.check_at(&1, t0).is_ok());
        assert!(limiter.check_at(&2, t0).is_ok());
        // Both buckets are drained, so a third key cannot evict them.
        assert!(limiter.check_at(&3, t0).is_err());
        // Once they refill they carry no state and make room.
        assert!(limiter.check_at(&3, t0 + Duration::from_secs(61)).is_ok());
    }
}
