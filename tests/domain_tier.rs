//! Tiers by own spend over a rolling 365 days.

use chrono::Duration;
use pharmedge::domain::rules::Rules;
use pharmedge::domain::tier::*;
use pharmedge::domain::time::parse_instant;

#[test]
fn thresholds_are_inclusive() {
    let rules = Rules::default().tiers;
    let cases = [
        (0, Tier::Member),
        (19_899, Tier::Member),
        (19_900, Tier::Bronze),
        (99_900, Tier::Silver),
        (299_899, Tier::Silver),
        (299_900, Tier::Gold),
    ];
    for (spend, tier) in cases {
        assert_eq!(Tier::for_spend(spend, &rules), tier, "{spend}");
    }
}

#[test]
fn status_names_the_next_tier_and_the_gap() {
    let rules = Rules::default().tiers;
    let status = status(50_000, &rules);
    assert_eq!(
        (status.name, status.next, status.to_next_fen),
        (Tier::Bronze, Some(Tier::Silver), 49_900)
    );
    let top = pharmedge::domain::tier::status(400_000, &rules);
    assert_eq!((top.next, top.to_next_fen), (None, 0));
}

#[test]
fn spend_older_than_the_window_does_not_count() {
    let rules = Rules::default().tiers;
    let now = parse_instant("2026-06-01T00:00:00Z").unwrap();
    let spends = [
        Spend {
            paid_at: now - Duration::days(365),
            counted_fen: 100_000,
        },
        Spend {
            paid_at: now - Duration::days(364),
            counted_fen: 20_000,
        },
        Spend {
            paid_at: now,
            counted_fen: 5_000,
        },
        Spend {
            paid_at: now + Duration::days(1),
            counted_fen: 7_000,
        },
    ];
    assert_eq!(spend_in_window(&spends, now, &rules), 25_000);
}

#[test]
fn own_spend_excludes_insurance_and_refunds_never_go_below_zero() {
    use chrono::{TimeZone, Utc};
    use pharmedge::domain::tier::{own_payment_fen, Spend};
    assert_eq!(own_payment_fen(10_000, 3_000), 7_000);
    let paid_at = Utc.with_ymd_and_hms(2026, 6, 3, 10, 0, 0).unwrap();
    assert_eq!(
        Spend::after_refunds(paid_at, 7_000, 2_000).counted_fen,
        5_000
    );
    assert_eq!(Spend::after_refunds(paid_at, 7_000, 9_000).counted_fen, 0);
}
