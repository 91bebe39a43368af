//! The member's wallet over the SQL seam against real SQLite: a coupon locked to one order at
//! a time, released only by that order, redeemed once when the core says it was paid, and
//! an order's prescription reserved and given back with it.
#![cfg(not(target_arch = "wasm32"))]

mod common;
mod seam;

use chrono::{DateTime, Duration, Utc};
use common::line;
use pharmedge::domain::events::PrescriptionApproved;
use pharmedge::domain::order_lines::{DrugClass, OrderLine};
use pharmedge::domain::prescription::PrescribedItem;
use pharmedge::domain::time::Instant;
use pharmedge::http::error::ApiError;
use pharmedge::objects::member::coupons;
use pharmedge::objects::member::prescriptions;
use pharmedge::objects::member::protocol::{ReleaseReply, Reserved};
use pharmedge::objects::member::repo::Repo;
use seam::member::*;
use seam::Sqlite;

fn lines() -> Vec<OrderLine> {
    vec![line(DrugClass::OtcA, 2, 2_500)]
}

fn reserve(
    repo: &Repo<Sqlite>,
    order: &str,
    coupon: Option<&str>,
    rx: Option<&str>,
    lines: &[OrderLine],
    now: DateTime<Utc>,
) -> Result<Reserved, ApiError> {
    tx(repo, || {
        prescriptions::reserve(repo, order, lines, coupon, rx, now)
    })
}

fn release(
    repo: &Repo<Sqlite>,
    order: &str,
    coupon: Option<&str>,
    rx: Option<&str>,
    now: DateTime<Utc>,
) -> ReleaseReply {
    tx(repo, || {
        prescriptions::release(repo, coupon, rx, order, now)
    })
    .unwrap()
}

fn status(repo: &Repo<Sqlite>, coupon: &str) -> String {
    coupons::view(repo, coupon).unwrap().expect("held").status
}

#[test]
fn a_coupon_is_locked_to_one_order_and_a_retry_of_that_order_gets_the_same_totals() {
    let repo = member_db();
    let coupon = fixed_coupon(&repo, "c-1", day(1));
    let first = reserve(&repo, "ord-1", Some(&coupon), None, &lines(), day(2)).unwrap();
    assert_eq!(
        (
            first.totals.subtotal_fen,
            first.totals.discount_fen,
            first.totals.payable_fen
        ),
        (5_000, 1_000, 4_000)
    );
    assert_eq!(status(&repo, &coupon), "locked");
    let retry = reserve(&repo, "ord-1", Some(&coupon), None, &lines(), day(2)).unwrap();
    assert_eq!(retry.totals, first.totals);
    let other = reserve(&repo, "ord-2", Some(&coupon), None, &lines(), day(2)).unwrap_err();
    assert!(
        matches!(other, ApiError::CouponUnavailable { .. }),
        "{other:?}"
    );
    let unknown = reserve(&repo, "ord-3", Some("cpn-nope"), None, &lines(), day(2)).unwrap_err();
    assert!(matches!(unknown, ApiError::CouponUnavailable { .. }));
}

#[test]
fn only_the_locking_order_releases_a_coupon_and_only_once() {
    let repo = member_db();
    let coupon = fixed_coupon(&repo, "c-1", day(1));
    reserve(&repo, "ord-1", Some(&coupon), None, &lines(), day(2)).unwrap();
    assert!(!release(&repo, "ord-2", Some(&coupon), None, day(2)).released);
    assert_eq!(status(&repo, &coupon), "locked");
    assert!(release(&repo, "ord-1", Some(&coupon), None, day(2)).released);
    assert!(!release(&repo, "ord-1", Some(&coupon), None, day(2)).released);
    assert_eq!(status(&repo, &coupon), "available");
    // Free again for another order.
    reserve(&repo, "ord-2", Some(&coupon), None, &lines(), day(3)).unwrap();
}

#[test]
fn a_paid_order_redeems_its_coupon_once_and_nothing_gives_it_back() {
    let repo = member_db();
    let coupon = fixed_coupon(&repo, "c-1", day(1));
    reserve(&repo, "ord-1", Some(&coupon), None, &lines(), day(2)).unwrap();
    for _ in 0..3 {
        tx(&repo, || coupons::redeem(&repo, &coupon, "ord-1", day(3))).unwrap();
    }
    assert_eq!(status(&repo, &coupon), "redeemed");
    assert!(!release(&repo, "ord-1", Some(&coupon), None, day(3)).released);
    assert_eq!(status(&repo, &coupon), "redeemed");
    let again = reserve(&repo, "ord-2", Some(&coupon), None, &lines(), day(3)).unwrap_err();
    assert!(matches!(again, ApiError::CouponUnavailable { .. }));
    // Another order cannot redeem it either.
    tx(&repo, || coupons::redeem(&repo, &coupon, "ord-9", day(3))).unwrap();
    let listed = tx(&repo, || coupons::list(&repo, None, day(3))).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].status, "redeemed");
}

#[test]
fn a_coupon_past_its_time_expires_and_cannot_be_locked_and_one_released_late_expires() {
    let repo = member_db();
    let coupon = fixed_coupon(&repo, "c-1", day(1));
    let late = day(1) + Duration::days(31);
    let refused = reserve(&repo, "ord-1", Some(&coupon), None, &lines(), late).unwrap_err();
    assert!(matches!(refused, ApiError::CouponUnavailable { .. }));
    // The refusal rolled its transaction back; the list expires it.
    let listed = tx(&repo, || coupons::list(&repo, None, late)).unwrap();
    assert_eq!(listed[0].status, "expired");
    assert_eq!(status(&repo, &coupon), "expired");

    let other = fixed_coupon(&repo, "c-2", day(1));
    reserve(&repo, "ord-2", Some(&other), None, &lines(), day(2)).unwrap();
    assert!(release(&repo, "ord-2", Some(&other), None, late).released);
    assert_eq!(status(&repo, &other), "expired");
    let available = tx(&repo, || coupons::available_count(&repo, late)).unwrap();
    assert_eq!(available, 0);
}

#[test]
fn an_rx_order_takes_its_prescription_with_its_coupon_all_or_nothing() {
    let repo = member_db();
    let coupon = fixed_coupon(&repo, "c-1", day(1));
    let approved = PrescriptionApproved {
        prescription_id: "rx-1".into(),
        member_id: pharmedge::domain::ids::MemberId::parse(MEMBER).unwrap(),
        items: vec![PrescribedItem {
            sku: "sku-1".into(),
            qty: 2,
        }],
        approved_by: "doc-1".into(),
        expires_at: Instant(day(20)),
    };
    tx(&repo, || {
        prescriptions::approved(&repo, &approved, day(1).timestamp_millis())
    })
    .unwrap();
    let rx_lines = vec![
        line(DrugClass::Rx, 1, 3_000),
        line(DrugClass::OtcA, 2, 2_500),
    ];
    // Without the prescription: refused, nothing locked.
    let missing = reserve(&repo, "ord-1", Some(&coupon), None, &rx_lines, day(2)).unwrap_err();
    assert_eq!(missing, ApiError::PrescriptionRequired);
    assert_eq!(status(&repo, &coupon), "available");
    reserve(
        &repo,
        "ord-1",
        Some(&coupon),
        Some("rx-1"),
        &rx_lines,
        day(2),
    )
    .unwrap();
    // Used: another order cannot take it.
    assert!(reserve(&repo, "ord-2", None, Some("rx-1"), &rx_lines, day(2)).is_err());
    let back = release(&repo, "ord-1", Some(&coupon), Some("rx-1"), day(3));
    assert_eq!(
        back,
        ReleaseReply {
            released: true,
            prescription_returned: true
        }
    );
    assert_eq!(
        release(&repo, "ord-1", Some(&coupon), Some("rx-1"), day(3)),
        ReleaseReply {
            released: false,
            prescription_returned: false
        }
    );
    reserve(&repo, "ord-2", None, Some("rx-1"), &rx_lines, day(3)).unwrap();
}
