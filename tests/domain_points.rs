//! Points: order points by product class, Rx and insurance earn nothing, tier multiplier,
//! oldest-first spending, expiry, debt, refund clawback.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::line;
use pharmedge::domain::order_lines::{DrugClass, OrderLine};
use pharmedge::domain::points::*;
use pharmedge::domain::rules::Rules;
use pharmedge::domain::time::parse_instant;

fn at(raw: &str) -> DateTime<Utc> {
    parse_instant(raw).unwrap()
}

#[test]
fn order_points_by_class_table() {
    let rules = Rules::default().points;
    use DrugClass::*;
    // (lines, amount, insurance, multiplier, expected points)
    let cases: Vec<(Vec<OrderLine>, i64, i64, i64, i64)> = vec![
        // regular goods: 1 point per 20 yuan
        (vec![line(Other, 1, 4_000)], 4_000, 0, 1, 2),
        (vec![line(Other, 1, 3_999)], 3_999, 0, 1, 1),
        // OTC: 1 per 15 yuan
        (vec![line(OtcA, 2, 1_500)], 3_000, 0, 1, 2),
        (vec![line(OtcB, 1, 1_499)], 1_499, 0, 1, 0),
        // health products: 2 per 30 yuan
        (vec![line(Health, 1, 9_000)], 9_000, 0, 1, 6),
        // Rx earns nothing, alone or mixed
        (vec![line(Rx, 1, 100_000)], 100_000, 0, 1, 0),
        (
            vec![line(Rx, 1, 100_000), line(Other, 1, 2_000)],
            102_000,
            0,
            1,
            1,
        ),
        // insurance money never earns: own payment 1000 fen caps the base
        (vec![line(Other, 1, 10_000)], 10_000, 9_000, 1, 0),
        // insurance that covers the Rx part leaves the OTC part earning in full
        (
            vec![line(Rx, 1, 50_000), line(OtcA, 1, 3_000)],
            53_000,
            50_000,
            1,
            2,
        ),
        // a coupon discount lowers what was paid, and so the base
        (vec![line(Other, 1, 20_000)], 18_000, 0, 1, 9),
        // gold doubles
        (vec![line(Health, 1, 9_000)], 9_000, 0, 2, 12),
        // special-management lines earn nothing
        (vec![line(Special, 1, 10_000)], 10_000, 0, 1, 0),
    ];
    for (index, (lines, amount, insurance, multiplier, expected)) in cases.into_iter().enumerate() {
        assert_eq!(
            order_points(&lines, amount, insurance, multiplier, &rules),
            expected,
            "case {index}"
        );
    }
}

#[test]
fn order_points_never_exceed_what_the_own_payment_could_earn() {
    // A small deterministic generator: many random carts, one invariant.
    let rules = Rules::default().points;
    // Special drugs are never sold online, so they never reach the points rules.
    let classes: Vec<DrugClass> = common::ALL_CLASSES
        .into_iter()
        .filter(|class| *class != DrugClass::Special)
        .collect();
    let mut rng = common::Lcg::new(0x5eed);
    for _ in 0..5_000 {
        let lines = rng.cart(&classes);
        let subtotal: i64 = lines.iter().map(OrderLine::total_fen).sum();
        let amount = rng.below(subtotal as u64 + 1) as i64;
        let insurance = rng.below(amount as u64 + 1) as i64;
        let points = order_points(&lines, amount, insurance, 1, &rules);
        // The best rate is 2 points per 3000 fen = 1 per 1500 fen.
        assert!(points >= 0);
        assert!(
            points <= (amount - insurance) / 1_500,
            "{points} from own payment {}",
            amount - insurance
        );
        let rx_free: i64 = lines
            .iter()
            .filter(|l| l.drug_class != DrugClass::Rx)
            .map(OrderLine::total_fen)
            .sum();
        assert!(points <= rx_free / 1_500);
    }
}

#[test]
fn spending_takes_the_soonest_expiring_points_first() {
    let lots = vec![
        Lot {
            id: 1,
            remaining: 10,
            expires_at: at("2026-06-01T00:00:00Z"),
        },
        Lot {
            id: 2,
            remaining: 10,
            expires_at: at("2026-05-01T00:00:00Z"),
        },
        Lot {
            id: 3,
            remaining: 0,
            expires_at: at("2026-04-01T00:00:00Z"),
        },
        Lot {
            id: 4,
            remaining: 5,
            expires_at: at("2026-05-01T00:00:00Z"),
        },
    ];
    let (takes, shortfall) = take_oldest_first(&lots, 18);
    assert_eq!(takes, vec![(2, 10), (4, 5), (1, 3)]);
    assert_eq!(shortfall, 0);
    let (takes, shortfall) = take_oldest_first(&lots, 30);
    assert_eq!(takes.iter().map(|t| t.1).sum::<i64>(), 25);
    assert_eq!(shortfall, 5);
}

#[test]
fn lots_expire_on_their_own_date() {
    let now = at("2026-05-01T00:00:00Z");
    let lots = vec![
        Lot {
            id: 1,
            remaining: 7,
            expires_at: now,
        },
        Lot {
            id: 2,
            remaining: 3,
            expires_at: now + Duration::seconds(1),
        },
        Lot {
            id: 3,
            remaining: 0,
            expires_at: now - Duration::days(1),
        },
    ];
    assert_eq!(expired(&lots, now), vec![(1, 7)]);
}

#[test]
fn debt_is_settled_from_the_next_award() {
    assert_eq!(settle_debt(100, 30), (70, 30));
    assert_eq!(settle_debt(20, 30), (0, 20));
    assert_eq!(settle_debt(20, 0), (20, 0));
}

#[test]
fn refunds_claw_back_the_refunded_share_once() {
    assert_eq!(clawback_for_refund(10, 10_000, 10_000, 0), 10);
    assert_eq!(clawback_for_refund(10, 10_000, 5_000, 0), 5);
    // a second partial refund takes only the difference
    assert_eq!(clawback_for_refund(10, 10_000, 10_000, 5), 5);
    // refunds beyond the amount take no more than all
    assert_eq!(clawback_for_refund(10, 10_000, 20_000, 10), 0);
    assert_eq!(clawback_for_refund(0, 10_000, 10_000, 0), 0);
}
