//! The birthday bonus (seed 004) taken back when a refund brings the birth month's spend
//! below the threshold (found from outside: a full refund used to keep the 200 points).
#![cfg(not(target_arch = "wasm32"))]

mod common;
mod seam;

use chrono::{DateTime, Utc};
use common::line;
use pharmedge::domain::events::{MemberProfile, OrderPaid, OrderRefunded};
use pharmedge::domain::ids::{MemberId, OrderId};
use pharmedge::domain::order_lines::DrugClass;
use pharmedge::domain::time::Instant;
use pharmedge::objects::member::protocol::MemberEvent;
use pharmedge::objects::member::repo::Repo;
use pharmedge::objects::member::{events, ledger};
use pharmedge::objects::seam::Sql;
use seam::member::*;
use seam::Sqlite;

/// Every module an event may touch (the object's `ALL`).
fn member_db() -> Repo<Sqlite> {
    let repo = seam::member::member_db();
    pharmedge::objects::schema::Tables::default()
        .ensure(&repo.sql, &[&pharmedge::objects::member::referral::MODULE])
        .expect("migrations");
    repo
}

fn apply(repo: &Repo<Sqlite>, event_id: &str, event: &MemberEvent, now: DateTime<Utc>) {
    tx(repo, || {
        ledger::prepare(repo, &member(), now)?;
        events::event_with(repo, &rules(), MEMBER, event_id, event, None, now)
    })
    .unwrap();
}

fn paid(order: &str, amount_fen: i64, paid_at: DateTime<Utc>) -> MemberEvent {
    MemberEvent::Paid(OrderPaid {
        order_id: OrderId::parse(order).unwrap(),
        member_id: MemberId::parse(MEMBER).unwrap(),
        paid_at: Instant(paid_at),
        amount_fen,
        insurance_fen: 0,
        lines: vec![line(DrugClass::Other, 1, amount_fen)],
        coupon_id: None,
        first_order: false,
    })
}

fn refunded(order: &str, amount_fen: i64) -> MemberEvent {
    MemberEvent::Refunded(OrderRefunded {
        order_id: OrderId::parse(order).unwrap(),
        member_id: MemberId::parse(MEMBER).unwrap(),
        amount_fen,
    })
}

/// The birthday rows of the ledger: (kind, amount).
fn birthday_rows(repo: &Repo<Sqlite>) -> Vec<(String, i64)> {
    repo.sql
        .rows(
            "SELECT kind, amount FROM ledger WHERE source_id = 'birthday:2026' ORDER BY id",
            vec![],
        )
        .unwrap()
}

#[test]
fn a_refund_below_the_threshold_takes_the_birthday_bonus_back_once() {
    let repo = member_db();
    let profile = MemberEvent::Profile(MemberProfile {
        member_id: MemberId::parse(MEMBER).unwrap(),
        birth_month: Some(4), // day(n) is April 2026
    });
    apply(&repo, "profile", &profile, day(1));
    apply(&repo, "evt-paid", &paid("ord-1", 19_900, day(2)), day(2));
    assert_eq!(birthday_rows(&repo), vec![("earn".into(), 200)]);
    // A partial refund that keeps the month at 199 yuan or more changes nothing.
    apply(&repo, "evt-paid-2", &paid("ord-2", 5_000, day(3)), day(3));
    apply(&repo, "evt-ref-2", &refunded("ord-2", 5_000), day(4));
    assert_eq!(birthday_rows(&repo).len(), 1, "still 199 yuan in the month");
    // The full refund of the order that reached it: the bonus goes, once.
    apply(&repo, "evt-ref-1", &refunded("ord-1", 19_900), day(5));
    apply(&repo, "evt-ref-1b", &refunded("ord-1", 19_900), day(6));
    assert_eq!(
        birthday_rows(&repo),
        vec![("earn".into(), 200), ("clawback".into(), -200)]
    );
    // Paying 199 yuan again in the month does not grant it a second time this year.
    apply(&repo, "evt-paid-3", &paid("ord-3", 19_900, day(7)), day(7));
    assert_eq!(birthday_rows(&repo).len(), 2);
}

#[test]
fn a_refund_outside_the_birth_month_leaves_the_bonus() {
    let repo = member_db();
    let profile = MemberEvent::Profile(MemberProfile {
        member_id: MemberId::parse(MEMBER).unwrap(),
        birth_month: Some(4),
    });
    apply(&repo, "profile", &profile, day(1));
    apply(&repo, "evt-paid", &paid("ord-1", 19_900, day(2)), day(2));
    let may = day(2) + chrono::Duration::days(40);
    apply(&repo, "evt-paid-may", &paid("ord-may", 30_000, may), may);
    apply(&repo, "evt-ref-may", &refunded("ord-may", 30_000), may);
    assert_eq!(birthday_rows(&repo), vec![("earn".into(), 200)]);
}
