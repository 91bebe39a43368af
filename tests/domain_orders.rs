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
        price(&lines, Some("rx-1"), Some(&coupon)),
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
        price(&below, Some("rx-1"), Some(&coupon)),
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
