//! Who may hand an order over, run natively against real SQLite: another store's wrong codes
//! do not lock the right store out of the typed code, and an order that took a prescription
//! needs a pharmacist whatever lines the core's ready event carries.
#![cfg(not(target_arch = "wasm32"))]

mod seam;

use pharmedge::domain::ids::{StaffId, StoreId};
use pharmedge::domain::order_lines::{DrugClass, OrderLine};
use pharmedge::http::error::ApiError;
use pharmedge::objects::order::placement::{self, Begin};
use pharmedge::objects::order::protocol::{Counter, OrderEvent, PresentedCode};
use pharmedge::objects::order::{events, pickup};
use seam::order::*;
use seam::Sqlite;

const READY_MS: i64 = T0 + 3_600_000;
const MINUTE: i64 = 60_000;

fn ready_order(prescription: Option<&str>, class: DrugClass) -> Sqlite {
    let db = order_db();
    let mut place = place(T0);
    place.prescription_id = prescription.map(String::from);
    let mut decided = decided();
    decided.prescription_id = prescription.map(String::from);
    decided.lines[0].line.drug_class = class;
    assert!(matches!(
        placement::begin(&db, &place),
        Ok(Begin::Go { fresh: true })
    ));
    placement::accept(&db, &place, decided).unwrap();
    // The core's ready event lists the goods as an OTC line, whatever was accepted.
    let rules = rules();
    let event = ready(ORDER, READY_MS);
    let OrderEvent::ReadyForPickup(mut ready) = event else {
        unreachable!()
    };
    ready.lines = vec![OrderLine {
        drug_class: DrugClass::OtcB,
        ..line()
    }];
    let event = OrderEvent::ReadyForPickup(ready);
    events::event(&db, &settings(&rules), "ev-ready", &event, at(READY_MS).0).unwrap();
    assert_eq!(state(&db).as_deref(), Some("ready_for_pickup"));
    db
}

fn counter(staff: &str, store: &str, is_pharmacist: bool) -> Counter {
    Counter {
        staff_id: StaffId::parse(staff).unwrap(),
        store_id: StoreId::parse(store).unwrap(),
        is_pharmacist,
    }
}

fn verify(
    db: &Sqlite,
    counter: &Counter,
    code: &PresentedCode,
    now_ms: i64,
) -> Result<(), ApiError> {
    let rules = rules();
    pickup::verify(db, &settings(&rules), counter, code, at(now_ms).0)
        .unwrap()
        .map(|_| ())
}

fn shown(db: &Sqlite, now_ms: i64) -> (PresentedCode, PresentedCode) {
    let rules = rules();
    let code = pickup::pickup_code(db, &settings(&rules), MEMBER, at(now_ms).0).unwrap();
    (
        PresentedCode::Qr(code.qr),
        PresentedCode::Short(code.short_code),
    )
}

#[test]
fn another_stores_wrong_codes_leave_the_right_store_its_typed_code() {
    let db = ready_order(None, DrugClass::OtcB);
    let now_ms = READY_MS + MINUTE;
    let wrong = PresentedCode::Short("000000".into());
    let elsewhere = counter("clerk-b", "store-2", false);
    for _ in 0..rules().per_order.max_failures * 3 {
        assert_eq!(
            verify(&db, &elsewhere, &wrong, now_ms),
            Err(ApiError::InvalidCode)
        );
    }
    // The right code typed at the wrong store is told so, and hands nothing over.
    let (_, typed) = shown(&db, now_ms);
    assert_eq!(
        verify(&db, &elsewhere, &typed, now_ms),
        Err(ApiError::WrongStore)
    );
    // The order's own store still has its whole budget: its clerk's right code verifies.
    assert_eq!(verify(&db, &clerk("clerk-1"), &typed, now_ms), Ok(()));
    assert_eq!(state(&db).as_deref(), Some("picked_up"));
}

#[test]
fn the_right_stores_wrong_codes_still_lock_the_typed_code() {
    let db = ready_order(None, DrugClass::OtcB);
    let now_ms = READY_MS + MINUTE;
    let wrong = PresentedCode::Short("000000".into());
    for _ in 0..rules().per_order.max_failures {
        assert_eq!(
            verify(&db, &clerk("clerk-1"), &wrong, now_ms),
            Err(ApiError::InvalidCode)
        );
    }
    let (_, typed) = shown(&db, now_ms);
    assert!(matches!(
        verify(&db, &clerk("clerk-2"), &typed, now_ms),
        Err(ApiError::RateLimited { .. })
    ));
}

#[test]
fn an_order_that_took_a_prescription_needs_a_pharmacist_whatever_the_ready_lines_say() {
    let db = ready_order(Some("rx-1"), DrugClass::Rx);
    let now_ms = READY_MS + MINUTE;
    let (qr, _) = shown(&db, now_ms);
    assert_eq!(
        verify(&db, &clerk("clerk-1"), &qr, now_ms),
        Err(ApiError::PharmacistRequired)
    );
    assert_eq!(state(&db).as_deref(), Some("ready_for_pickup"));
    // The store's waiting list was told it is an Rx order too.
    let waiting: Vec<(String,)> = pharmedge::objects::seam::Sql::rows(
        &db,
        "SELECT body FROM outbox WHERE key = 'store-ready-ord-1'",
        Vec::new(),
    )
    .unwrap();
    assert!(waiting[0].0.contains("\"has_rx\":true"), "{waiting:?}");
    let pharmacist = counter("pharm-1", STORE, true);
    assert_eq!(verify(&db, &pharmacist, &qr, now_ms), Ok(()));
}

#[test]
fn an_otc_order_without_a_prescription_is_handed_over_by_a_clerk() {
    let db = ready_order(None, DrugClass::OtcB);
    let now_ms = READY_MS + MINUTE;
    let (qr, _) = shown(&db, now_ms);
    assert_eq!(verify(&db, &clerk("clerk-1"), &qr, now_ms), Ok(()));
}
