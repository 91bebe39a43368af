//! Order points against the core's events: once per order, at the tier before the order,
//! refunds taking back their share (cumulative, capped), an early refund applied on payment.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::line;
use pharmedge::domain::events::OrderPaid;
use pharmedge::domain::ids::{MemberId, OrderId};
use pharmedge::domain::order_lines::DrugClass;
use pharmedge::domain::order_points::*;
use pharmedge::domain::rules::Rules;
use pharmedge::domain::tier::Spend;
use pharmedge::domain::time::{parse_instant, Instant};

fn at(raw: &str) -> DateTime<Utc> {
    parse_instant(raw).unwrap()
}

/// 200 yuan of regular goods: 10 points at 1x.
fn paid(amount_fen: i64) -> OrderPaid {
    OrderPaid {
        order_id: OrderId::parse("ord-1").unwrap(),
        member_id: MemberId::parse("m-1").unwrap(),
        paid_at: Instant(at("2026-04-01T02:00:00Z")),
        amount_fen,
        insurance_fen: 0,
        lines: vec![line(DrugClass::Other, 1, amount_fen)],
        coupon_id: None,
        first_order: false,
    }
}

fn apply(known: Option<&OrderPoints>, spends: &[Spend], amount_fen: i64) -> Payment {
    let rules = Rules::default();
    on_paid(
        known,
        &paid(amount_fen),
        spends,
        &rules.tiers,
        &rules.points,
    )
}

#[test]
fn a_payment_earns_once_and_a_second_one_changes_nothing() {
    assert_eq!(
        apply(None, &[], 20_000),
        Payment::Apply {
            points: 10,
            own_fen: 20_000,
            early_refund: None
        }
    );
    let known = OrderPoints {
        paid: true,
        amount_fen: 20_000,
        points_awarded: 10,
        ..OrderPoints::default()
    };
    assert_eq!(apply(Some(&known), &[], 20_000), Payment::AlreadyPaid);
}

#[test]
fn the_tier_before_the_order_sets_the_multiplier() {
    // 3,000 yuan spent within the window: gold, twice the points.
    let gold = [Spend::after_refunds(at("2026-03-01T00:00:00Z"), 300_000, 0)];
    assert!(matches!(
        apply(None, &gold, 20_000),
        Payment::Apply { points: 20, .. }
    ));
    // The same spend older than the window counts for nothing.
    let old = [Spend::after_refunds(
        at("2026-04-01T02:00:00Z") - Duration::days(400),
        300_000,
        0,
    )];
    assert!(matches!(
        apply(None, &old, 20_000),
        Payment::Apply { points: 10, .. }
    ));
}

#[test]
fn a_refund_before_the_payment_is_remembered_then_applied_on_it() {
    let first = on_refund(None, 5_000);
    assert_eq!(
        first,
        Refund::Remember {
            refunded_total_fen: 5_000
        }
    );
    let remembered = OrderPoints {
        refunded_fen: 5_000,
        ..OrderPoints::default()
    };
    assert_eq!(
        on_refund(Some(&remembered), 5_000),
        Refund::Remember {
            refunded_total_fen: 10_000
        }
    );
    // Half of 200 yuan refunded before the payment: half of its 10 points go on payment.
    let half = OrderPoints {
        refunded_fen: 10_000,
        ..OrderPoints::default()
    };
    assert_eq!(
        apply(Some(&half), &[], 20_000),
        Payment::Apply {
            points: 10,
            own_fen: 20_000,
            early_refund: Some(Clawback {
                refunded_total_fen: 10_000,
                points: 5,
                clawed_total: 5
            })
        }
    );
}

#[test]
fn partial_refunds_take_their_share_cumulatively_and_never_more_than_awarded() {
    let mut order = OrderPoints {
        paid: true,
        amount_fen: 20_000,
        points_awarded: 10,
        ..OrderPoints::default()
    };
    let mut taken = Vec::new();
    for refund in [3_000, 3_000, 3_000, 50_000] {
        let Refund::Claw(claw) = on_refund(Some(&order), refund) else {
            panic!("a paid order's refund claws");
        };
        taken.push(claw.points);
        order.refunded_fen = claw.refunded_total_fen;
        order.points_clawed = claw.clawed_total;
    }
    // 15 %, 30 %, 45 % (floored: 1, 3, 4), then all of it.
    assert_eq!(taken, vec![1, 2, 1, 6]);
    assert_eq!(order.points_clawed, 10);
    assert_eq!(order.refunded_fen, 20_000);
    // A refund after everything was taken back takes nothing.
    let Refund::Claw(after) = on_refund(Some(&order), 1_000) else {
        panic!("claws");
    };
    assert_eq!(after.points, 0);
    assert_eq!(after.clawed_total, 10);
}
