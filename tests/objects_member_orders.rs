//! `order.paid` and `order.refunded` applied to a member over the SQL seam against real
//! SQLite: points once per order, the refunded share clawed back once per refund event (and
//! never below zero: the rest is debt), a refund before its payment applied on payment.
#![cfg(not(target_arch = "wasm32"))]

mod common;
mod seam;

use chrono::{DateTime, Utc};
use common::line;
use pharmedge::domain::events::{OrderPaid, OrderRefunded};
use pharmedge::domain::ids::{MemberId, OrderId};
use pharmedge::domain::order_lines::DrugClass;
use pharmedge::domain::time::Instant;
use pharmedge::objects::member::repo::Repo;
use pharmedge::objects::member::{coupons, ledger, orders, prescriptions};
use seam::member::*;
use seam::Sqlite;

/// 200 yuan of regular goods: 10 points.
fn paid_event(order: &str, coupon: Option<&str>) -> OrderPaid {
    OrderPaid {
        order_id: OrderId::parse(order).unwrap(),
        member_id: MemberId::parse(MEMBER).unwrap(),
        paid_at: Instant(day(2)),
        amount_fen: 20_000,
        insurance_fen: 0,
        lines: vec![line(DrugClass::Other, 1, 20_000)],
        coupon_id: coupon.map(str::to_owned),
        first_order: true,
    }
}

fn pay(repo: &Repo<Sqlite>, event: &OrderPaid, now: DateTime<Utc>) -> bool {
    tx(repo, || {
        ledger::prepare(repo, &member(), now)?;
        orders::paid(repo, &rules(), MEMBER, event, now)
    })
    .unwrap()
}

fn refund(repo: &Repo<Sqlite>, event_id: &str, order: &str, amount_fen: i64, now: DateTime<Utc>) {
    let event = OrderRefunded {
        order_id: OrderId::parse(order).unwrap(),
        member_id: MemberId::parse(MEMBER).unwrap(),
        amount_fen,
    };
    // As the event dispatch does: an event id is applied once.
    tx(repo, || {
        ledger::prepare(repo, &member(), now)?;
        if !repo.first_sight_of_event(event_id, now.timestamp_millis())? {
            return Ok(());
        }
        orders::refunded(repo, event_id, &event, now)
    })
    .unwrap();
}

#[test]
fn an_order_earns_its_points_once_however_often_it_is_reported_paid() {
    let repo = member_db();
    assert!(pay(&repo, &paid_event("ord-1", None), day(2)));
    for _ in 0..3 {
        assert!(!pay(&repo, &paid_event("ord-1", None), day(3)));
    }
    assert_eq!(balance(&repo), 10);
    // 200 yuan crosses bronze (199): the core hears of the award and of the tier, once.
    assert_eq!(kinds(&repo), vec!["points.awarded", "tier.changed"]);
    // The spend counts towards the tier.
    let spends = repo.spends(None).unwrap();
    assert_eq!(spends.len(), 1);
    assert_eq!(spends[0].counted_fen, 20_000);
}

#[test]
fn refunds_claw_back_their_share_once_per_event_and_the_rest_becomes_debt() {
    let repo = member_db();
    pay(&repo, &paid_event("ord-1", None), day(2));
    refund(&repo, "evt-r1", "ord-1", 10_000, day(3));
    assert_eq!(balance(&repo), 5);
    // The same refund event again takes nothing more.
    refund(&repo, "evt-r1", "ord-1", 10_000, day(3));
    assert_eq!(balance(&repo), 5);
    // Spend the rest, then the second half is refunded: nothing left to take, debt.
    tx(&repo, || {
        repo.debit(
            pharmedge::domain::points::EntryKind::Spend,
            pharmedge::domain::points::Source::Makeup,
            "m-1",
            5,
            day(4),
        )
    })
    .unwrap();
    refund(&repo, "evt-r2", "ord-1", 10_000, day(5));
    assert_eq!((balance(&repo), debt(&repo)), (0, 5));
    let row = repo.paid_order("ord-1").unwrap().unwrap();
    assert_eq!((row.refunded_fen, row.points_clawed), (20_000, 10));
    // Refunded in full: the spend no longer counts.
    assert_eq!(repo.spends(None).unwrap()[0].counted_fen, 0);
}

#[test]
fn a_refund_heard_of_before_its_payment_is_applied_when_the_payment_arrives() {
    let repo = member_db();
    refund(&repo, "evt-r1", "ord-1", 5_000, day(2));
    assert_eq!(balance(&repo), 0);
    assert!(pay(&repo, &paid_event("ord-1", None), day(3)));
    // 10 points earned, a quarter refunded: 2 taken back (floored).
    assert_eq!(balance(&repo), 8);
    let row = repo.paid_order("ord-1").unwrap().unwrap();
    assert_eq!(
        (row.refunded_fen, row.points_clawed, row.points_awarded),
        (5_000, 2, 10)
    );
}

#[test]
fn an_order_paid_with_a_coupon_redeems_it() {
    let repo = member_db();
    let coupon = fixed_coupon(&repo, "c-1", day(1));
    tx(&repo, || {
        prescriptions::reserve(
            &repo,
            "ord-1",
            &[line(DrugClass::Other, 1, 20_000)],
            Some(&coupon),
            None,
            day(1),
        )
    })
    .unwrap();
    pay(&repo, &paid_event("ord-1", Some(&coupon)), day(2));
    assert_eq!(
        coupons::view(&repo, &coupon).unwrap().unwrap().status,
        "redeemed"
    );
}
