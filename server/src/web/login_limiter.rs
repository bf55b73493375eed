//! Throttles password guessing: after a few failures for one account or from one address,
//! further attempts are refused for a while, whatever the password.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed per key inside `window` before attempts are refused.
const MAX_FAILURES: u32 = 5;

pub struct LoginLimiter {
    window: Duration,
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        Self::new(Duration::from_secs(60))
    }
}

impl LoginLimiter {
    pub fn new(window: Duration) -> Self {
        Self {
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Whether any of `keys` (account, address) is currently refused.
    pub fn is_throttled(&self, keys: &[String]) -> bool {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        failures.retain(|_, (_, since)| now.duration_since(*since) < self.window);
        keys.iter().any(|key| {
            failures
                .get(key)
                .is_some_and(|(count, _)| *count >= MAX_FAILURES)
        })
    }

    pub fn record_failure(&self, keys: &[String]) {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for key in keys {
            let entry = failures.entry(key.clone()).or_insert((0, now));
            entry.0 += 1;
            entry.1 = now;
        }
    }

    pub fn record_success(&self, keys: &[String]) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for key in keys {
            failures.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_failures_throttle_until_the_window_passes() {
        let limiter = LoginLimiter::new(Duration::from_millis(200));
        let keys = ["user:admin".to_owned(), "ip:10.0.0.1".to_owned()];
        for _ in 0..MAX_FAILURES {
            assert!(!limiter.is_throttled(&keys));
            limiter.record_failure(&keys);
        }
        assert!(limiter.is_throttled(&keys));
        // Another account from the same address is refused too.
        assert!(limiter.is_throttled(&["user:other".into(), "ip:10.0.0.1".into()]));
        std::thread::sleep(Duration::from_millis(250));
        assert!(!limiter.is_throttled(&keys));
    }

    #[test]
    fn success_clears_the_count() {
        let limiter = LoginLimiter::default();
        let keys = ["user:a".to_owned()];
        for _ in 0..MAX_FAILURES - 1 {
            limiter.record_failure(&keys);
        }
        limiter.record_success(&keys);
        limiter.record_failure(&keys);
        assert!(!limiter.is_throttled(&keys));
    }
}
