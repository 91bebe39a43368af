//! Delivery policy for the outbox: which answers are final, and when to try again.

/// Where a delivery goes on the core system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Orders,
    Events,
}

impl Target {
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Orders => "orders",
            Target::Events => "events",
        }
    }

    pub fn parse(raw: &str) -> Option<Target> {
        match raw {
            "orders" => Some(Target::Orders),
            "events" => Some(Target::Events),
            _ => None,
        }
    }
}

/// What to do after one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// 408, 429, 5xx, network errors and timeouts: try again later.
    Retry(String),
    /// Any other 4xx: the core will never accept it as is; dead-letter at once.
    Permanent(String),
}

pub fn classify(status: u16) -> Outcome {
    match status {
        200..=299 => Outcome::Delivered,
        408 | 429 | 500..=599 => Outcome::Retry(format!("core answered {status}")),
        _ => Outcome::Permanent(format!("core answered {status}")),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub base_ms: i64,
    pub max_ms: i64,
    /// After this many failed attempts a delivery is dead-lettered.
    pub max_attempts: u32,
}

impl RetryPolicy {
    /// Delay before attempt `attempts + 1`, exponential from `base_ms`, capped at `max_ms`,
    /// with a jitter of up to a quarter (`jitter_unit` in 0..1) so that a recovering core is
    /// not hit by every object at the same instant.
    pub fn delay_ms(&self, attempts: u32, jitter_unit: f64) -> i64 {
        let exponent = attempts.saturating_sub(1).min(30);
        let raw = self
            .base_ms
            .saturating_mul(1_i64 << exponent)
            .min(self.max_ms);
        let jitter = (raw as f64 * 0.25 * jitter_unit.clamp(0.0, 1.0)) as i64;
        (raw - jitter).max(1)
    }

    pub fn exhausted(&self, attempts: u32) -> bool {
        attempts >= self.max_attempts
    }
}
