//! The order object's transactions after placement, run natively against real SQLite: the
//! core's events (transitions, once per event id), the delivery acknowledgement, the
//! member's view, and the verification at the counter (exactly once).
#![cfg(not(target_arch = "wasm32"))]

mod seam;

use pharmedge::http::error::ApiError;
use pharmedge::objects::order::placement::{self, Begin};
use pharmedge::objects::order::protocol::{OrderEvent, PresentedCode};
use pharmedge::objects::order::{events, pickup};
use pharmedge::objects::seam::Sql;
use seam::order::*;
use seam::Sqlite;

const READY_MS: i64 = T0 + 3_600_000;
const MINUTE: i64 = 60_000;

fn accepted() -> Sqlite {
    let db = order_db();
    assert!(matches!(
        placement::begin(&db, &place(T0)),
        Ok(Begin::Go { fresh: true })
    ));
    placement::accept(&db, &place(T0), decided()).unwrap();
    db.raw("DELETE FROM outbox");
    db
}

fn send(db: &Sqlite, event_id: &str, event: &OrderEvent, now_ms: i64) -> (bool, bool) {
    let rules = rules();
    let reply = events::event(db, &settings(&rules), event_id, event, at(now_ms).0).unwrap();
    (reply.accepted, reply.duplicate)
}

fn ready_order() -> Sqlite {
    let db = accepted();
    send(&db, "ev-ready", &ready(ORDER, READY_MS), READY_MS);
    assert_eq!(state(&db).as_deref(), Some("ready_for_pickup"));
    assert_eq!(outbox_keys(&db), vec!["store-ready-ord-1".to_string()]);
    db.raw("DELETE FROM outbox");
    db
}

fn qr_now(db: &Sqlite, now_ms: i64) -> PresentedCode {
    let rules = rules();
    let code = pickup::pickup_code(db, &settings(&rules), MEMBER, at(now_ms).0).unwrap();
    PresentedCode::Qr(code.qr)
}

fn verify_as(
    db: &Sqlite,
    staff: &str,
    code: &PresentedCode,
    now_ms: i64,
) -> Result<pharmedge::objects::order::protocol::VerifiedReply, ApiError> {
    let rules = rules();
    pickup::verify(db, &settings(&rules), &clerk(staff), code, at(now_ms).0).unwrap()
}

fn verifications(db: &Sqlite) -> Vec<(String, String)> {
    db.rows(
        "SELECT staff_id, outcome FROM verifications ORDER BY id",
        Vec::new(),
    )
    .unwrap()
}

#[test]
fn an_order_is_verified_once_and_a_second_verification_names_the_first() {
    let db = ready_order();
    let now_ms = READY_MS + 10 * MINUTE;
    let code = qr_now(&db, now_ms);
    let first = verify_as(&db, "clerk-1", &code, now_ms).expect("verified");
    assert_eq!(first.verified_by, "clerk-1");
    assert_eq!(first.verified_at, at(now_ms));
    assert_eq!(state(&db).as_deref(), Some("picked_up"));
    let queued = outbox(&db);
    let kinds: Vec<(&str, &str, &str)> = queued
        .iter()
        .map(|(key, target, kind, _)| (key.as_str(), target.as_str(), kind.as_str()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("pku-ord-1", "events", "pickup.verified"),
            (
                "store-gone-ord-1",
                "object:STORE:store-1",
                "store.pickup_gone"
            ),
        ]
    );

    // Another clerk, the same code a moment later: refused, naming who and when.
    let again = verify_as(&db, "clerk-2", &code, now_ms + 1_000).unwrap_err();
    match again {
        ApiError::AlreadyPickedUp {
            verified_at,
            verified_by,
        } => {
            assert_eq!(verified_by, "clerk-1");
            let when = chrono::DateTime::parse_from_rfc3339(&verified_at).unwrap();
            assert_eq!(when.timestamp_millis(), now_ms);
        }
        other => panic!("expected already_picked_up, got {other:?}"),
    }
    assert_eq!(state(&db).as_deref(), Some("picked_up"));
    assert_eq!(outbox(&db).len(), 2, "nothing queued twice");
    // Both attempts are on the audit trail.
    assert_eq!(
        verifications(&db),
        vec![
            ("clerk-1".into(), "verified".into()),
            ("clerk-2".into(), "already_picked_up".into()),
        ]
    );
}

#[test]
fn a_wrong_code_is_refused_recorded_and_counted_until_the_short_code_locks() {
    let db = ready_order();
    let now_ms = READY_MS + MINUTE;
    let wrong = PresentedCode::Short("000000".into());
    let max = rules().per_order.max_failures;
    for _ in 0..max {
        assert_eq!(
            verify_as(&db, "clerk-1", &wrong, now_ms).unwrap_err(),
            ApiError::InvalidCode
        );
    }
    // The refusals were committed: the next short code is throttled, the QR still works.
    assert!(matches!(
        verify_as(&db, "clerk-1", &wrong, now_ms).unwrap_err(),
        ApiError::RateLimited { .. }
    ));
    assert_eq!(state(&db).as_deref(), Some("ready_for_pickup"));
    let code = qr_now(&db, now_ms);
    assert!(verify_as(&db, "clerk-1", &code, now_ms).is_ok());
    assert_eq!(verifications(&db).len() as u32, max + 2);
}

#[test]
fn core_events_move_the_order_forward_and_illegal_ones_change_nothing() {
    let db = accepted();
    assert_eq!(
        send(&db, "ev-1", &OrderEvent::Confirmed(change(ORDER)), T0),
        (true, false)
    );
    assert_eq!(state(&db).as_deref(), Some("confirmed"));
    // The same event id again: a duplicate, applied once.
    assert_eq!(
        send(&db, "ev-1", &OrderEvent::Confirmed(change(ORDER)), T0),
        (true, true)
    );
    send(&db, "ev-2", &ready(ORDER, READY_MS), READY_MS);
    assert_eq!(state(&db).as_deref(), Some("ready_for_pickup"));
    assert_eq!(outbox_keys(&db), vec!["store-ready-ord-1".to_string()]);
    // Rejected after ready, confirmed again: not transitions of a ready order.
    let updated_at = pickup::view(&db, MEMBER).unwrap().updated_at;
    let mut rejected = change(ORDER);
    rejected.reason = Some("too late".into());
    for (id, event) in [
        ("ev-3", OrderEvent::Rejected(rejected)),
        ("ev-4", OrderEvent::Confirmed(change(ORDER))),
    ] {
        assert_eq!(send(&db, id, &event, READY_MS + MINUTE), (true, false));
        assert_eq!(state(&db).as_deref(), Some("ready_for_pickup"), "{id}");
    }
    assert_eq!(outbox(&db).len(), 1, "an illegal event queues nothing");
    // Nor touches the row at all.
    let view = pickup::view(&db, MEMBER).unwrap();
    assert_eq!((view.updated_at, view.reason), (updated_at, None));
    // Cancelled: final, gives the coupon back and takes the order off the counter list.
    let mut cancelled = change(ORDER);
    cancelled.reason = Some("out of stock".into());
    send(&db, "ev-5", &OrderEvent::Cancelled(cancelled), READY_MS);
    assert_eq!(state(&db).as_deref(), Some("cancelled"));
    assert_eq!(
        outbox_keys(&db),
        vec![
            "release-ord-1-cancelled".to_string(),
            "store-gone-ord-1".to_string(),
            "store-ready-ord-1".to_string(),
        ]
    );
    send(&db, "ev-6", &ready(ORDER, READY_MS), READY_MS);
    assert_eq!(state(&db).as_deref(), Some("cancelled"));
    let view = pickup::view(&db, MEMBER).unwrap();
    assert_eq!(view.reason.as_deref(), Some("out of stock"));
    // A cancelled order shows no code.
    let rules = rules();
    assert!(pickup::pickup_code(&db, &settings(&rules), MEMBER, at(READY_MS).0).is_err());
}

#[test]
fn an_event_for_a_placement_under_way_changes_nothing() {
    let db = order_db();
    assert!(matches!(
        placement::begin(&db, &place(T0)),
        Ok(Begin::Go { fresh: true })
    ));
    send(&db, "ev-1", &OrderEvent::Rejected(change(ORDER)), T0);
    assert_eq!(state(&db).as_deref(), Some("placing"));
    assert!(outbox(&db).is_empty());
    assert_eq!(
        pickup::view(&db, MEMBER).unwrap_err(),
        ApiError::OrderNotFound
    );
}

#[test]
fn an_order_known_only_from_the_core_is_created_by_its_event() {
    let db = order_db();
    send(&db, "ev-1", &ready("ord-app-7", READY_MS), READY_MS);
    assert_eq!(state(&db).as_deref(), Some("ready_for_pickup"));
    let view = pickup::view(&db, MEMBER).unwrap();
    assert_eq!(view.order_id, "ord-app-7");
    assert_eq!(view.status, "ready_for_pickup");
    assert!(view.pickup.is_some());
    assert_eq!(
        pickup::view(&db, "mem-2").unwrap_err(),
        ApiError::OrderNotFound
    );
}

#[test]
fn the_core_acknowledgement_forwards_an_accepted_order_only() {
    let db = accepted();
    events::forwarded(&db, &["release-other".into()], T0).unwrap();
    assert_eq!(state(&db).as_deref(), Some("accepted"));
    events::forwarded(&db, &[ORDER.into()], T0).unwrap();
    assert_eq!(state(&db).as_deref(), Some("forwarded"));
    send(&db, "ev-1", &OrderEvent::Confirmed(change(ORDER)), T0);
    events::forwarded(&db, &[ORDER.into()], T0).unwrap();
    assert_eq!(state(&db).as_deref(), Some("confirmed"));
}
