//! Orders: compliance before totals, and totals in integer fen with the coupon's discount.

mod common;

use common::line;
use pharmedge::domain::coupon::{CouponTerms, NotApplicable};
use pharmedge::domain::order::*;
use pharmedge::domain::order_lines::DrugClass;

#[test]
fn special_drugs_are_refused_before_anything_else() {
    let lines = [
        line(DrugClass::Other, 1, 100),
        line(DrugClass::Special, 1, 100),
        line(DrugClass::Rx, 1, 100),
    ];
    assert_eq!(
        price(&lines, None, None),
        Err(OrderRefusal::RestrictedDrug { line: 1 })
    );
}

#[test]
fn rx_needs_a_prescription() {
    let lines = [line(DrugClass::Rx, 1, 5_000)];
    assert_eq!(
        price(&lines, None, None),
        Err(OrderRefusal::PrescriptionRequired)
    );
    assert_eq!(
        price(&lines, Some("  "), None),
        Err(OrderRefusal::PrescriptionRequired)
    );
    assert_eq!(
        price(&lines, Some("rx-77"), None).unwrap().payable_fen,
        5_000
    );
}

#[test]
fn totals_apply_the_coupon_to_eligible_lines_only() {
    let coupon = CouponTerms::Threshold {
        value_fen: 2_000,
        min_spend_fen: 19_900,
    };
    let lines = [
        line(DrugClass::Rx, 1, 30_000),
        line(DrugClass::OtcB, 2, 10_000),
    ];
    assert_eq!(
        price(&lines, Some("rx-1"), Some((&coupon, None))),
        Ok(Totals {
            subtotal_fen: 50_000,
            discount_fen: 2_000,
            payable_fen: 48_000
        })
    );
    let below = [
        line(DrugClass::Rx, 1, 30_000),
        line(DrugClass::OtcB, 1, 10_000),
    ];
    assert_eq!(
        price(&below, Some("rx-1"), Some((&coupon, None))),
        Err(OrderRefusal::CouponNotApplicable(
            NotApplicable::BelowMinimumSpend {
                eligible_fen: 10_000,
                min_spend_fen: 19_900
            }
        ))
    );
    assert_eq!(
        price(&[line(DrugClass::Other, 1, 500)], None, None)
            .unwrap()
            .discount_fen,
        0
    );
}

#[test]
fn invalid_lines_name_the_field() {
    assert_eq!(
        price(&[], None, None),
        Err(OrderRefusal::Invalid(
            "lines: between 1 and 100 lines".into()
        ))
    );
    match price(&[line(DrugClass::Other, 0, 100)], None, None) {
        Err(OrderRefusal::Invalid(detail)) => assert!(detail.contains("lines[0].qty")),
        other => panic!("{other:?}"),
    }
}

// --- the order's life

use OrderHappening as H;
use OrderStatus as S;

const ALL: [OrderStatus; 7] = [
    S::Accepted,
    S::Forwarded,
    S::Confirmed,
    S::Rejected,
    S::ReadyForPickup,
    S::PickedUp,
    S::Cancelled,
];

#[test]
fn the_order_moves_forward_through_the_core_events() {
    let mut status = S::Accepted;
    for (happening, expected) in [
        (H::Forwarded, S::Forwarded),
        (H::Confirmed, S::Confirmed),
        (H::ReadyForPickup, S::ReadyForPickup),
        (H::PickedUp, S::PickedUp),
    ] {
        status = next_status(status, happening).expect("allowed");
        assert_eq!(status, expected);
    }
}

#[test]
fn final_statuses_admit_nothing() {
    for status in ALL.into_iter().filter(|s| s.is_final()) {
        for happening in [
            H::Forwarded,
            H::Confirmed,
            H::Rejected,
            H::ReadyForPickup,
            H::Cancelled,
            H::PickedUp,
        ] {
            assert_eq!(
                next_status(status, happening),
                None,
                "{status:?} {happening:?}"
            );
        }
    }
}

#[test]
fn late_and_repeated_events_change_nothing() {
    // The core's confirmation may arrive after the delivery acknowledgement, or not at all.
    assert_eq!(next_status(S::Confirmed, H::Forwarded), None);
    assert_eq!(next_status(S::Confirmed, H::Confirmed), None);
    assert_eq!(next_status(S::ReadyForPickup, H::Confirmed), None);
    assert_eq!(next_status(S::ReadyForPickup, H::ReadyForPickup), None);
    // A picked-up order is not cancelled at the edge; a ready one can still be.
    assert_eq!(next_status(S::PickedUp, H::Cancelled), None);
    assert_eq!(
        next_status(S::ReadyForPickup, H::Cancelled),
        Some(S::Cancelled)
    );
    // Only a ready order is picked up.
    for status in [S::Accepted, S::Forwarded, S::Confirmed] {
        assert_eq!(next_status(status, H::PickedUp), None);
    }
}

#[test]
fn only_rejection_and_cancellation_give_the_coupon_back() {
    let releasing: Vec<OrderStatus> = ALL.into_iter().filter(|s| releases_coupon(*s)).collect();
    assert_eq!(releasing, vec![S::Rejected, S::Cancelled]);
}

#[test]
fn statuses_read_back_from_their_names() {
    for status in ALL {
        assert_eq!(OrderStatus::parse(status.as_str()), Some(status));
    }
    assert_eq!(OrderStatus::parse("placing"), None);
}

#[test]
fn rx_lines_are_spotted_anywhere_in_the_cart() {
    use pharmedge::domain::order_lines::has_rx;
    assert!(!has_rx(&[]));
    assert!(!has_rx(&[line(DrugClass::OtcA, 1, 100)]));
    assert!(has_rx(&[
        line(DrugClass::Other, 1, 100),
        line(DrugClass::Rx, 1, 100)
    ]));
}

#[test]
fn a_sku_is_1_to_64_characters_not_bytes_without_control_characters() {
    use pharmedge::domain::order_lines::validate_lines;
    let with_sku = |sku: String| {
        let mut one = line(DrugClass::OtcB, 1, 100);
        one.sku = sku;
        validate_lines(&[one])
    };
    assert_eq!(
        with_sku("药".repeat(64)),
        Ok(()),
        "64 CJK characters (192 bytes)"
    );
    assert!(with_sku("药".repeat(65)).is_err());
    assert!(with_sku(String::new()).is_err());
    assert!(with_sku("a\u{85}b".into()).is_err(), "C1 control character");
}

/// A campaign's `eligible_classes` limit what its coupon discounts and what counts toward its
/// threshold (found from outside: a health-only coupon discounted an OTC line).
#[test]
fn a_coupon_discounts_only_its_eligible_classes() {
    use pharmedge::domain::order::{accepted_lines, price};
    let line = |sku: &str, class: DrugClass, fen: i64| pharmedge::domain::order_lines::OrderLine {
        sku: sku.into(),
        name: sku.into(),
        qty: 1,
        unit_price_fen: fen,
        drug_class: class,
    };
    let health_only: &[DrugClass] = &[DrugClass::Health];
    let fixed = CouponTerms::Fixed { value_fen: 1_000 };
    let otc = [line("otc", DrugClass::OtcB, 2_590)];
    assert!(price(&otc, None, Some((&fixed, Some(health_only)))).is_err());
    assert_eq!(
        price(&otc, None, Some((&fixed, None)))
            .unwrap()
            .discount_fen,
        1_000
    );
    let threshold = CouponTerms::Threshold {
        value_fen: 2_000,
        min_spend_fen: 19_900,
    };
    let mixed = [
        line("otc", DrugClass::OtcB, 15_000),
        line("vc", DrugClass::Health, 9_000),
    ];
    // 240 yuan in the cart, but only 90 of it is health: below the threshold.
    assert!(price(&mixed, None, Some((&threshold, Some(health_only)))).is_err());
    let percent = CouponTerms::Percent {
        percent: 10,
        max_discount_fen: 100_000,
        min_spend_fen: 0,
    };
    let totals = price(&mixed, None, Some((&percent, Some(health_only)))).unwrap();
    assert_eq!(totals.discount_fen, 900, "10 % of the health line only");
    let priced: Vec<_> = mixed
        .iter()
        .map(|l| pharmedge::domain::catalog::PricedLine {
            line: l.clone(),
            catalog_version: 1,
        })
        .collect();
    let shares: Vec<i64> = accepted_lines(&priced, totals.discount_fen, Some(health_only))
        .iter()
        .map(|l| l.discount_fen)
        .collect();
    assert_eq!(
        shares,
        vec![0, 900],
        "the discount sits on the eligible line"
    );
}

#[test]
fn a_pharmacist_hands_over_rx_lines_and_whatever_took_a_prescription() {
    use pharmedge::domain::order_lines::needs_pharmacist;
    let otc = [line(DrugClass::OtcB, 1, 500)];
    let rx = [line(DrugClass::OtcB, 1, 500), line(DrugClass::Rx, 1, 900)];
    assert!(!needs_pharmacist(false, &otc));
    assert!(needs_pharmacist(false, &rx));
    // The core's ready lines said OTC, but the order took a prescription.
    assert!(needs_pharmacist(true, &otc));
    assert!(needs_pharmacist(true, &[]));
}
