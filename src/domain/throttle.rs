//! Failure throttles (brute force on pickup codes), pure: a sliding window over the times of
//! recent failures.

/// At most `max_failures` failures within `window_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureWindow {
    pub max_failures: u32,
    pub window_ms: i64,
}

impl FailureWindow {
    /// `Err(retry_after_s)` when the failures in the window (`failure_times_ms`, any order)
    /// have reached the limit: the wait until the oldest of the last `max_failures` leaves it.
    pub fn check(&self, failure_times_ms: &[i64], now_ms: i64) -> Result<(), u32> {
        let mut recent: Vec<i64> = failure_times_ms
            .iter()
            .copied()
            .filter(|&at| at > now_ms - self.window_ms && at <= now_ms)
            .collect();
        if recent.len() < self.max_failures as usize {
            return Ok(());
        }
        recent.sort_unstable();
        let oldest_counted = recent[recent.len() - self.max_failures as usize];
        let wait_ms = oldest_counted + self.window_ms - now_ms;
        Err(((wait_ms + 999) / 1000).max(1) as u32)
    }

    /// Failures older than this can be forgotten.
    pub fn horizon_ms(&self, now_ms: i64) -> i64 {
        now_ms - self.window_ms
    }
}
