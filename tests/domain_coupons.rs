//! Coupon discounts: every template against Rx, mixed and boundary carts, plus a property
//! test (any cart: 0 <= discount <= eligible subtotal); coupon lifecycle transitions.

mod common;

use common::line;
use pharmedge::domain::coupon::*;
use pharmedge::domain::order_lines::{DrugClass, OrderLine};

const FIXED_990: CouponTerms = CouponTerms::Fixed { value_fen: 990 };
const MAN_199_JIAN_20: CouponTerms = CouponTerms::Threshold {
    value_fen: 2_000,
    min_spend_fen: 19_900,
};
const TWELVE_PERCENT_CAP_30: CouponTerms = CouponTerms::Percent {
    percent: 12,
    max_discount_fen: 3_000,
    min_spend_fen: 0,
};

#[test]
fn discount_table() {
    use DrugClass::*;
    type Case = (CouponTerms, Vec<OrderLine>, Result<i64, NotApplicable>);
    let cases: Vec<Case> = vec![
        // fixed: no threshold, never more than the eligible lines
        (FIXED_990, vec![line(Other, 1, 5_000)], Ok(990)),
        (FIXED_990, vec![line(Other, 1, 500)], Ok(500)),
        (
            FIXED_990,
            vec![line(Rx, 1, 5_000)],
            Err(NotApplicable::NoEligibleLines),
        ),
        (
            FIXED_990,
            vec![line(Special, 1, 5_000)],
            Err(NotApplicable::NoEligibleLines),
        ),
        (
            FIXED_990,
            vec![line(Rx, 1, 50_000), line(Health, 1, 300)],
            Ok(300),
        ),
        // threshold: counts only eligible lines; exactly at the threshold applies
        (MAN_199_JIAN_20, vec![line(OtcA, 1, 19_900)], Ok(2_000)),
        (
            MAN_199_JIAN_20,
            vec![line(OtcA, 1, 19_899)],
            Err(NotApplicable::BelowMinimumSpend {
                eligible_fen: 19_899,
                min_spend_fen: 19_900,
            }),
        ),
        (
            MAN_199_JIAN_20,
            vec![line(Rx, 1, 100_000), line(OtcB, 1, 10_000)],
            Err(NotApplicable::BelowMinimumSpend {
                eligible_fen: 10_000,
                min_spend_fen: 19_900,
            }),
        ),
        (
            MAN_199_JIAN_20,
            vec![line(Rx, 1, 100_000), line(OtcB, 2, 10_000)],
            Ok(2_000),
        ),
        // percent: floor to the fen, capped
        (
            TWELVE_PERCENT_CAP_30,
            vec![line(Health, 1, 10_000)],
            Ok(1_200),
        ),
        (TWELVE_PERCENT_CAP_30, vec![line(Health, 1, 999)], Ok(119)), // 119.88 -> 119
        (
            TWELVE_PERCENT_CAP_30,
            vec![line(Health, 1, 100_000)],
            Ok(3_000),
        ),
        (
            TWELVE_PERCENT_CAP_30,
            vec![line(Rx, 1, 100_000), line(Device, 1, 1_000)],
            Ok(120),
        ),
        (
            TWELVE_PERCENT_CAP_30,
            vec![line(Device, 1, 0)],
            Err(NotApplicable::NoEligibleLines),
        ),
        (
            CouponTerms::Percent {
                percent: 10,
                max_discount_fen: 5_000,
                min_spend_fen: 10_000,
            },
            vec![line(Other, 1, 9_999)],
            Err(NotApplicable::BelowMinimumSpend {
                eligible_fen: 9_999,
                min_spend_fen: 10_000,
            }),
        ),
    ];
    for (index, (terms, lines, expected)) in cases.into_iter().enumerate() {
        assert_eq!(
            terms.discount(&lines).map(|d| d.discount_fen),
            expected,
            "case {index}"
        );
    }
}

#[test]
fn any_cart_gets_between_zero_and_its_eligible_subtotal() {
    let classes = common::ALL_CLASSES;
    let mut rng = common::Lcg::new(42);
    for _ in 0..20_000 {
        let terms = match rng.below(3) {
            0 => CouponTerms::Fixed {
                value_fen: 1 + rng.below(100_000) as i64,
            },
            1 => {
                let value_fen = 1 + rng.below(50_000) as i64;
                CouponTerms::Threshold {
                    value_fen,
                    min_spend_fen: value_fen + 1 + rng.below(100_000) as i64,
                }
            }
            _ => CouponTerms::Percent {
                percent: 1 + rng.below(99) as i64,
                max_discount_fen: 1 + rng.below(100_000) as i64,
                min_spend_fen: rng.below(50_000) as i64,
            },
        };
        assert!(terms.validate().is_ok());
        let lines = rng.cart(&classes);
        let eligible = eligible_subtotal(&lines);
        match terms.discount(&lines) {
            Ok(discount) => {
                assert_eq!(discount.eligible_subtotal_fen, eligible);
                assert!(
                    discount.discount_fen >= 0 && discount.discount_fen <= eligible,
                    "{terms:?} {discount:?}"
                );
                assert!(eligible >= terms.min_spend_fen());
            }
            Err(NotApplicable::NoEligibleLines) => assert_eq!(eligible, 0),
            Err(NotApplicable::BelowMinimumSpend {
                eligible_fen,
                min_spend_fen,
            }) => assert!(eligible_fen < min_spend_fen),
        }
    }
}

#[test]
fn template_validation_names_the_field() {
    assert!(CouponTerms::Fixed { value_fen: 0 }
        .validate()
        .unwrap_err()
        .contains("value_fen"));
    assert!(CouponTerms::Threshold {
        value_fen: 2_000,
        min_spend_fen: 2_000
    }
    .validate()
    .unwrap_err()
    .contains("min_spend_fen"));
    assert!(CouponTerms::Percent {
        percent: 100,
        max_discount_fen: 1,
        min_spend_fen: 0
    }
    .validate()
    .unwrap_err()
    .contains("percent"));
    assert!(CouponTerms::Percent {
        percent: 10,
        max_discount_fen: 0,
        min_spend_fen: 0
    }
    .validate()
    .unwrap_err()
    .contains("max_discount_fen"));
}

#[test]
fn lifecycle_redeems_once_and_releases_once() {
    use CouponStatus::*;
    assert_eq!(lock(Available, None, "o1"), Transition::Apply);
    assert_eq!(lock(Locked, Some("o1"), "o1"), Transition::AlreadyDone);
    assert_eq!(lock(Locked, Some("o1"), "o2"), Transition::Refused);
    assert_eq!(lock(Redeemed, None, "o1"), Transition::Refused);
    assert_eq!(lock(Expired, None, "o1"), Transition::Refused);
    assert_eq!(redeem(Locked, Some("o1"), "o1", None), Transition::Apply);
    assert_eq!(redeem(Locked, Some("o1"), "o2", None), Transition::Refused);
    assert_eq!(
        redeem(Redeemed, None, "o1", Some("o1")),
        Transition::AlreadyDone
    );
    assert_eq!(
        redeem(Redeemed, None, "o2", Some("o1")),
        Transition::Refused
    );
    assert_eq!(release(Locked, Some("o1"), "o1"), Transition::Apply);
    assert_eq!(release(Available, None, "o1"), Transition::AlreadyDone);
    assert_eq!(release(Redeemed, None, "o1"), Transition::AlreadyDone);
    assert_eq!(release(Locked, Some("o2"), "o1"), Transition::AlreadyDone);
}
