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

/// Rows leased, reported and scanned at most this many per drain.
pub const BATCH: i64 = 50;
/// Added to the core's timeout for how long a delivery in progress holds its row.
pub const LEASE_MARGIN_MS: i64 = 5_000;
/// How soon a dead letter whose report to the registry failed is reported again.
pub const REPORT_RETRY_MS: i64 = 5_000;

/// Where an outbox row stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowState {
    /// Waiting for its next attempt (or leased by a delivery in progress).
    Pending,
    /// Gave up: kept for an operator, reported to the dead-letter registry.
    Dead,
}

/// How long a delivery in progress holds its row: the core's timeout and a margin. Past it,
/// a row whose delivery died with its object (sent, not yet deleted) is taken up again:
/// at least once, deduplicated downstream by the row's key.
pub fn lease_ms(core_timeout_ms: i64) -> i64 {
    core_timeout_ms.max(1) + LEASE_MARGIN_MS
}

/// Whether a row is due for an attempt at `now_ms` (a leased row is not, until its lease ends).
pub fn is_due(state: RowState, next_attempt_ms: i64, now_ms: i64) -> bool {
    state == RowState::Pending && next_attempt_ms <= now_ms
}

/// What an attempt does to its row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settle {
    /// Delivered: the row goes.
    Delete,
    /// Try again at `next_ms`, counting `attempts`.
    Retry {
        attempts: u32,
        next_ms: i64,
        error: String,
    },
    /// Refused for good, or out of attempts: a dead letter, to be reported.
    Dead { attempts: u32, error: String },
}

/// The drain policy for one attempt of the row `key` that had failed `attempts_before` times:
/// delivered rows go, a retryable failure backs off exponentially (with a jitter fixed by the
/// key and the attempt) until the policy's limit, anything else is dead at once.
pub fn settle(
    policy: &RetryPolicy,
    key: &str,
    attempts_before: u32,
    outcome: Outcome,
    attempted_ms: i64,
) -> Settle {
    let attempts = attempts_before.saturating_add(1);
    match outcome {
        Outcome::Delivered => Settle::Delete,
        Outcome::Retry(error) if !policy.exhausted(attempts) => Settle::Retry {
            attempts,
            next_ms: attempted_ms + policy.delay_ms(attempts, jitter_unit(key, attempts)),
            error,
        },
        Outcome::Retry(error) | Outcome::Permanent(error) => Settle::Dead { attempts, error },
    }
}

/// Deterministic per delivery and attempt, spread over [0, 1).
pub fn jitter_unit(key: &str, attempts: u32) -> f64 {
    let hash = key.bytes().fold(
        u64::from(attempts).wrapping_add(1469598103934665603),
        |acc, b| (acc ^ u64::from(b)).wrapping_mul(1099511628211),
    );
    (hash % 10_000) as f64 / 10_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: RetryPolicy = RetryPolicy {
        base_ms: 2_000,
        max_ms: 600_000,
        max_attempts: 3,
    };

    #[test]
    fn answers_are_classified_once() {
        assert_eq!(classify(204), Outcome::Delivered);
        for status in [408, 429, 500, 503, 599] {
            assert!(matches!(classify(status), Outcome::Retry(_)), "{status}");
        }
        for status in [400, 401, 404, 409, 422, 302] {
            assert!(
                matches!(classify(status), Outcome::Permanent(_)),
                "{status}"
            );
        }
    }

    #[test]
    fn a_delivered_row_goes_and_a_refused_one_is_dead_at_once() {
        assert_eq!(
            settle(&POLICY, "k", 0, Outcome::Delivered, 10),
            Settle::Delete
        );
        assert_eq!(
            settle(
                &POLICY,
                "k",
                0,
                Outcome::Permanent("core answered 422".into()),
                10
            ),
            Settle::Dead {
                attempts: 1,
                error: "core answered 422".into()
            }
        );
    }

    #[test]
    fn retries_back_off_within_a_quarter_and_stop_at_the_limit() {
        let retry = |before| settle(&POLICY, "k", before, Outcome::Retry("503".into()), 1_000);
        let Settle::Retry {
            attempts, next_ms, ..
        } = retry(0)
        else {
            panic!("first failure retries");
        };
        assert_eq!(attempts, 1);
        assert!(
            (1_000 + 1_500..=1_000 + 2_000).contains(&next_ms),
            "{next_ms}"
        );
        let Settle::Retry { next_ms, .. } = retry(1) else {
            panic!("second failure retries");
        };
        assert!(
            (1_000 + 3_000..=1_000 + 4_000).contains(&next_ms),
            "{next_ms}"
        );
        assert_eq!(
            retry(2),
            Settle::Dead {
                attempts: 3,
                error: "503".into()
            }
        );
    }

    #[test]
    fn delays_are_capped_and_jitter_is_fixed_by_key_and_attempt() {
        assert_eq!(POLICY.delay_ms(40, 0.0), 600_000);
        assert_eq!(jitter_unit("k", 3), jitter_unit("k", 3));
        assert_ne!(jitter_unit("k", 3), jitter_unit("k", 4));
        assert!((0.0..1.0).contains(&jitter_unit("abc", 1)));
    }

    #[test]
    fn a_row_is_due_when_pending_and_its_time_has_come() {
        assert!(is_due(RowState::Pending, 10, 10));
        assert!(!is_due(RowState::Pending, 11, 10));
        assert!(!is_due(RowState::Dead, 0, 10));
        assert_eq!(lease_ms(10_000), 15_000);
        assert_eq!(lease_ms(0), 5_001);
    }
}
