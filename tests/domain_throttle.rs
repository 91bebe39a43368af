//! Failure throttles: a sliding window over the times of recent failures.

use pharmedge::domain::rules::Rules;
use pharmedge::domain::throttle::FailureWindow;

const WINDOW: FailureWindow = FailureWindow {
    max_failures: 3,
    window_ms: 60_000,
};

#[test]
fn below_the_limit_passes() {
    assert_eq!(WINDOW.check(&[], 100_000), Ok(()));
    assert_eq!(WINDOW.check(&[90_000, 95_000], 100_000), Ok(()));
}

#[test]
fn at_the_limit_waits_until_the_oldest_counted_failure_leaves_the_window() {
    // Failures at 50 s, 70 s, 90 s; at 100 s the one at 50 s leaves at 110 s.
    assert_eq!(WINDOW.check(&[90_000, 50_000, 70_000], 100_000), Err(10));
    // Older failures do not count.
    assert_eq!(WINDOW.check(&[10_000, 70_000, 90_000], 100_000), Ok(()));
    // Waits round up to whole seconds, at least one.
    assert_eq!(WINDOW.check(&[40_001, 41_000, 42_000], 100_000), Err(1));
}

#[test]
fn more_failures_than_the_limit_wait_for_the_newest_ones() {
    let failures = [41_000, 42_000, 80_000, 85_000, 90_000];
    // The last three (80, 85, 90 s) count: wait until 140 s.
    assert_eq!(WINDOW.check(&failures, 100_000), Err(40));
}

#[test]
fn pickup_throttles_default_and_parse_from_vars() {
    let rules = Rules::default();
    assert_eq!(rules.pickup.deadline_days, 7);
    assert_eq!(
        rules.pickup.per_order,
        FailureWindow {
            max_failures: 5,
            window_ms: 30 * 60_000
        }
    );
    let custom = Rules::from_vars(|name| match name {
        "PICKUP_FAILURES_PER_STAFF" => Some("3/1".into()),
        "PICKUP_DEADLINE_DAYS" => Some("3".into()),
        _ => None,
    })
    .unwrap();
    assert_eq!(
        custom.pickup.per_staff,
        FailureWindow {
            max_failures: 3,
            window_ms: 60_000
        }
    );
    assert_eq!(custom.pickup.deadline_days, 3);
    for bad in ["3", "0/10", "x/10", "3/0", "3/99999"] {
        let error =
            Rules::from_vars(|name| (name == "PICKUP_FAILURES_PER_STORE").then(|| bad.to_owned()))
                .unwrap_err();
        assert_eq!(error.var, "PICKUP_FAILURES_PER_STORE", "{bad}");
    }
}
