//! The store object's transactions, run natively against real SQLite: the counter's waiting
//! list (ordering, tombstones, deadline, bound) and the wrong-code throttles (per staff, per
//! store, sliding window, what a verification's answer counts).
#![cfg(not(target_arch = "wasm32"))]

mod seam;

use pharmedge::domain::rules::PickupRules;
use pharmedge::domain::throttle::FailureWindow;
use pharmedge::domain::time::Instant;
use pharmedge::http::error::ApiError;
use pharmedge::objects::order::protocol::{VerifiedReply, WaitingPickup};
use pharmedge::objects::schema::Tables;
use pharmedge::objects::seam::Sql;
use pharmedge::objects::store::waiting::LIST_LIMIT;
use pharmedge::objects::store::{throttle, waiting, MODULES};
use seam::Sqlite;

/// 2026-11-24T02:00:00Z.
const T0: i64 = 1_795_485_600_000;
const HOUR: i64 = 3_600_000;
const MINUTE: i64 = 60_000;

fn store_db() -> Sqlite {
    let db = Sqlite::open();
    Tables::default().ensure(&db, MODULES).expect("migrations");
    db
}

fn pickup(order_id: &str, ready_ms: i64, deadline_ms: i64, line_count: usize) -> WaitingPickup {
    WaitingPickup {
        order_id: order_id.into(),
        ready_at: Instant::from_millis(ready_ms),
        pickup_deadline: Instant::from_millis(deadline_ms),
        line_count,
        has_rx: line_count % 2 == 1,
    }
}

/// The listed orders as (id, ready ms, deadline ms, lines, rx).
fn listed(db: &Sqlite, now_ms: i64) -> Vec<(String, i64, i64, usize, bool)> {
    waiting::list(db, Instant::from_millis(now_ms))
        .unwrap()
        .pickups
        .into_iter()
        .map(|p| {
            (
                p.order_id,
                p.ready_at.0.timestamp_millis(),
                p.pickup_deadline.0.timestamp_millis(),
                p.line_count,
                p.has_rx,
            )
        })
        .collect()
}

fn ids(db: &Sqlite, now_ms: i64) -> Vec<String> {
    listed(db, now_ms).into_iter().map(|row| row.0).collect()
}

#[test]
fn the_waiting_list_is_oldest_first_then_by_id_and_hides_orders_past_their_deadline() {
    let db = store_db();
    let day = 24 * HOUR;
    waiting::ready(&db, &pickup("ord-c", T0 + 2 * HOUR, T0 + day, 1)).unwrap();
    waiting::ready(&db, &pickup("ord-b", T0 + HOUR, T0 + day, 2)).unwrap();
    waiting::ready(&db, &pickup("ord-a", T0 + HOUR, T0 + day, 3)).unwrap();
    waiting::ready(&db, &pickup("ord-x", T0, T0 + 3 * HOUR, 4)).unwrap();
    assert_eq!(
        listed(&db, T0 + 2 * HOUR),
        vec![
            ("ord-x".into(), T0, T0 + 3 * HOUR, 4, false),
            ("ord-a".into(), T0 + HOUR, T0 + day, 3, true),
            ("ord-b".into(), T0 + HOUR, T0 + day, 2, false),
            ("ord-c".into(), T0 + 2 * HOUR, T0 + day, 1, true),
        ]
    );
    // At its deadline an order is no longer waiting.
    assert_eq!(ids(&db, T0 + 3 * HOUR), vec!["ord-a", "ord-b", "ord-c"]);
    assert!(ids(&db, T0 + day).is_empty());
}

#[test]
fn a_ready_order_is_updated_in_place_and_a_gone_one_never_comes_back() {
    let db = store_db();
    waiting::ready(&db, &pickup("ord-1", T0, T0 + HOUR, 1)).unwrap();
    waiting::ready(&db, &pickup("ord-2", T0 + 1, T0 + HOUR, 1)).unwrap();
    // A repeated `ready` (the outbox retries) updates the row, never duplicates it.
    waiting::ready(&db, &pickup("ord-1", T0 + 2, T0 + 2 * HOUR, 2)).unwrap();
    assert_eq!(
        listed(&db, T0),
        vec![
            ("ord-2".into(), T0 + 1, T0 + HOUR, 1, true),
            ("ord-1".into(), T0 + 2, T0 + 2 * HOUR, 2, false),
        ]
    );
    waiting::gone(&db, "ord-1").unwrap();
    assert_eq!(ids(&db, T0), vec!["ord-2"]);
    // A late `ready` after `gone` (delivered out of order) does not bring it back.
    waiting::ready(&db, &pickup("ord-1", T0 + 3, T0 + 3 * HOUR, 1)).unwrap();
    assert_eq!(ids(&db, T0), vec!["ord-2"]);
    // `gone` first, `ready` later: the tombstone still wins.
    waiting::gone(&db, "ord-3").unwrap();
    waiting::gone(&db, "ord-3").unwrap();
    waiting::ready(&db, &pickup("ord-3", T0, T0 + HOUR, 1)).unwrap();
    assert_eq!(ids(&db, T0), vec!["ord-2"]);
}

#[test]
fn the_waiting_list_is_bounded_and_keeps_the_oldest() {
    let db = store_db();
    let count = i64::from(LIST_LIMIT) + 3;
    // Made ready newest first, so the bound must come from the ordering, not the insertion.
    for n in (0..count).rev() {
        waiting::ready(&db, &pickup(&format!("ord-{n:04}"), T0 + n, T0 + HOUR, 1)).unwrap();
    }
    let listed = ids(&db, T0);
    assert_eq!(listed.len(), LIST_LIMIT as usize);
    assert_eq!(listed.first().map(String::as_str), Some("ord-0000"));
    assert_eq!(
        listed.last().cloned(),
        Some(format!("ord-{:04}", LIST_LIMIT - 1))
    );
}

fn rules() -> PickupRules {
    let mut rules = pharmedge::domain::rules::Rules::default().pickup;
    rules.per_staff = FailureWindow {
        max_failures: 3,
        window_ms: 10 * MINUTE,
    };
    rules.per_store = FailureWindow {
        max_failures: 5,
        window_ms: 30 * MINUTE,
    };
    rules
}

fn wrong_code(db: &Sqlite, staff_id: &str, now_ms: i64) {
    throttle::settle(db, staff_id, now_ms, &Err(ApiError::InvalidCode)).unwrap();
}

fn gate(db: &Sqlite, staff_id: &str, now_ms: i64) -> Result<(), ApiError> {
    throttle::gate(db, &rules(), staff_id, now_ms)
}

fn failures(db: &Sqlite) -> Vec<(String, i64)> {
    db.rows(
        "SELECT staff_id, at_ms FROM code_failures ORDER BY id",
        Vec::new(),
    )
    .unwrap()
}

#[test]
fn a_staff_member_is_locked_after_too_many_wrong_codes_until_the_window_passes() {
    let db = store_db();
    for n in 0..3 {
        assert_eq!(gate(&db, "staff-1", T0 + n * MINUTE), Ok(()));
        wrong_code(&db, "staff-1", T0 + n * MINUTE);
    }
    assert_eq!(failures(&db).len(), 3);
    // Locked until the oldest of the three leaves the ten-minute window: 7 minutes from now.
    assert_eq!(
        gate(&db, "staff-1", T0 + 3 * MINUTE),
        Err(ApiError::RateLimited { retry_after_s: 420 })
    );
    // Another staff member at the same store is not.
    assert_eq!(gate(&db, "staff-2", T0 + 3 * MINUTE), Ok(()));
    // One millisecond before the window passes: still locked, for a second.
    assert_eq!(
        gate(&db, "staff-1", T0 + 10 * MINUTE - 1),
        Err(ApiError::RateLimited { retry_after_s: 1 })
    );
    assert_eq!(gate(&db, "staff-1", T0 + 10 * MINUTE), Ok(()));
}

#[test]
fn the_store_is_locked_after_too_many_wrong_codes_whoever_typed_them() {
    let db = store_db();
    for n in 0..5 {
        wrong_code(&db, &format!("staff-{n}"), T0 + n * MINUTE);
    }
    // No one staff member reached their limit; the store did, for everyone, until the
    // oldest failure is thirty minutes old.
    let locked = Err(ApiError::RateLimited {
        retry_after_s: 26 * 60,
    });
    assert_eq!(gate(&db, "staff-9", T0 + 4 * MINUTE), locked);
    assert_eq!(
        gate(&db, "staff-0", T0 + 4 * MINUTE),
        Err(ApiError::RateLimited {
            retry_after_s: 26 * 60
        })
    );
    // Past the per-staff window the store's own window still holds.
    assert!(gate(&db, "staff-9", T0 + 20 * MINUTE).is_err());
    assert_eq!(gate(&db, "staff-9", T0 + 30 * MINUTE), Ok(()));
}

#[test]
fn failures_older_than_both_windows_are_forgotten_and_only_those() {
    let db = store_db();
    wrong_code(&db, "staff-1", T0);
    wrong_code(&db, "staff-2", T0 + 15 * MINUTE);
    // Past the staff window (10 min) but inside the store's (30 min): both kept.
    gate(&db, "staff-3", T0 + 20 * MINUTE).unwrap();
    assert_eq!(failures(&db).len(), 2);
    gate(&db, "staff-3", T0 + 30 * MINUTE).unwrap();
    assert_eq!(failures(&db), vec![("staff-2".into(), T0 + 15 * MINUTE)]);
}

#[test]
fn only_a_wrong_code_counts_and_a_verified_order_leaves_the_list() {
    let db = store_db();
    waiting::ready(&db, &pickup("ord-1", T0, T0 + HOUR, 1)).unwrap();
    waiting::ready(&db, &pickup("ord-2", T0, T0 + HOUR, 1)).unwrap();
    // Refusals that are not guesses (wrong store, already picked up, …) count for nothing.
    for refusal in [
        ApiError::WrongStore,
        ApiError::Internal,
        ApiError::Unavailable,
    ] {
        throttle::settle(&db, "staff-1", T0, &Err(refusal)).unwrap();
    }
    assert!(failures(&db).is_empty());
    assert_eq!(ids(&db, T0), vec!["ord-1", "ord-2"]);
    wrong_code(&db, "staff-1", T0);
    assert_eq!(failures(&db), vec![("staff-1".into(), T0)]);
    assert_eq!(ids(&db, T0), vec!["ord-1", "ord-2"]);
    let verified = VerifiedReply {
        order_id: "ord-1".into(),
        store_id: "store-1".into(),
        lines: Vec::new(),
        verified_at: Instant::from_millis(T0),
        verified_by: "staff-1".into(),
    };
    throttle::settle(&db, "staff-1", T0, &Ok(verified)).unwrap();
    assert_eq!(ids(&db, T0), vec!["ord-2"]);
    assert_eq!(failures(&db).len(), 1);
}
