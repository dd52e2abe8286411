//! Rate limits: a token bucket per source address (every request) and per platform (its
//! authenticated requests). A request over the limit gets `429` with `Retry-After`, and
//! changes nothing.
//!
//! The buckets live in memory, per service node; behind a load balancer the source address
//! is the balancer's, so a deployment there limits addresses at the edge and sets the
//! per-address limit to 0 (off) here.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::Refusal;
use crate::metrics::Metrics;

/// How many distinct keys are tracked before idle, full buckets are forgotten.
const PRUNE_ABOVE: usize = 10_000;

/// Requests per second allowed to one key, with a burst of twice that.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    per_second: u32,
}

impl Rate {
    /// `per_second` requests a second; 0 turns the limit off.
    pub const fn per_second(per_second: u32) -> Self {
        Self { per_second }
    }

    /// Whether the limit is on.
    pub const fn is_on(self) -> bool {
        self.per_second > 0
    }

    fn burst(self) -> f64 {
        2.0 * f64::from(self.per_second)
    }
}

/// Token buckets of one kind of key.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    rate: Rate,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl RateLimiter {
    pub(crate) fn new(rate: Rate) -> Self {
        Self {
            rate,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// A limiter of the same rate whose buckets are its own.
    pub(crate) fn apart(&self) -> Self {
        Self::new(self.rate)
    }

    /// Whether the limit is on (its rate is not 0).
    pub(crate) fn is_on(&self) -> bool {
        self.rate.is_on()
    }

    /// Admits a request of `key` now, or refuses it (counted in `metrics`) with the time
    /// until it would be admitted.
    pub(crate) fn admit(&self, key: &str, metrics: &Metrics) -> Result<(), Refusal> {
        self.check(key, Instant::now()).map_err(|wait| {
            metrics.rate_limited();
            tracing::info!(target: "netid::security", event = "rate_limited");
            Refusal::RateLimited {
                retry_after_seconds: wait.as_secs().saturating_add(1),
            }
        })
    }

    /// Takes one token of `key` at `now`; when none is left, how long until one is.
    pub(crate) fn check(&self, key: &str, now: Instant) -> Result<(), Duration> {
        if !self.rate.is_on() {
            return Ok(());
        }
        let rate = f64::from(self.rate.per_second);
        let burst = self.rate.burst();
        // A poisoned lock means a panic mid-update; the buckets are still numbers.
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() > PRUNE_ABOVE {
            buckets.retain(|_, bucket| {
                bucket.tokens + now.saturating_duration_since(bucket.updated).as_secs_f64() * rate
                    < burst
            });
        }
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket {
            tokens: burst,
            updated: now,
        });
        let refilled = now.saturating_duration_since(bucket.updated).as_secs_f64() * rate;
        bucket.tokens = (bucket.tokens + refilled).min(burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / rate))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_gets_its_burst_then_one_request_per_interval() {
        let limiter = RateLimiter::new(Rate::per_second(10));
        let start = Instant::now();
        for _ in 0..20 {
            assert_eq!(limiter.check("198.51.100.7", start), Ok(()));
        }
        let wait = limiter.check("198.51.100.7", start).unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_millis(100),
            "{wait:?}"
        );
        // Another key has its own bucket.
        assert_eq!(limiter.check("198.51.100.8", start), Ok(()));
        // A tenth of a second later one token is back, and only one.
        let later = start + Duration::from_millis(100);
        assert_eq!(limiter.check("198.51.100.7", later), Ok(()));
        assert!(limiter.check("198.51.100.7", later).is_err());
        // After a long pause the bucket is full again, not fuller.
        let much_later = later + Duration::from_secs(60);
        for _ in 0..20 {
            assert_eq!(limiter.check("198.51.100.7", much_later), Ok(()));
        }
        assert!(limiter.check("198.51.100.7", much_later).is_err());
    }

    #[test]
    fn a_rate_of_zero_is_off() {
        let limiter = RateLimiter::new(Rate::per_second(0));
        let now = Instant::now();
        for _ in 0..10_000 {
            assert_eq!(limiter.check("198.51.100.7", now), Ok(()));
        }
    }
}
