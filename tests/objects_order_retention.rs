//! Retention against real SQLite: an order keeps its line names and prescription id until
//! `RETENTION_DAYS` after its pickup deadline, then drops them from the row and from the
//! kept 202 answer (what replays and the order view show), and nothing else.
#![cfg(not(target_arch = "wasm32"))]

mod seam;

use pharmedge::objects::order::placement::{self, Decided};
use pharmedge::objects::order::{events, pickup, retention};
use pharmedge::objects::seam::Sql;
use seam::order::*;
use serde_json::Value;

const DAY: i64 = 86_400_000;
const RETENTION_DAYS: i64 = 180;

/// An order with a prescription, ready at T0 + 1 h (deadline: the default 7 days later).
fn ready_order() -> (seam::Sqlite, i64) {
    let db = order_db();
    placement::begin(&db, &place(T0)).unwrap();
    let decided = Decided {
        prescription_id: Some("rx-1".into()),
        ..decided()
    };
    placement::accept(&db, &place(T0), decided).unwrap();
    let rules = rules();
    let ready_ms = T0 + 3_600_000;
    events::event(
        &db,
        &settings(&rules),
        "ev-ready",
        &ready(ORDER, ready_ms),
        at(ready_ms).0,
    )
    .unwrap();
    (db, ready_ms + rules.deadline_days * DAY)
}

fn held(db: &seam::Sqlite) -> (Value, Option<String>, Value) {
    let (lines, prescription, response): (String, Option<String>, String) = db
        .row(
            "SELECT lines, prescription_id, response FROM order_row WHERE k = 1",
            vec![],
        )
        .unwrap()
        .unwrap();
    (
        serde_json::from_str(&lines).unwrap(),
        prescription,
        serde_json::from_str(&response).unwrap(),
    )
}

#[test]
fn names_and_the_prescription_stay_until_the_retention_after_the_deadline_then_go() {
    let (db, deadline_ms) = ready_order();
    let due = retention::due_ms(deadline_ms, RETENTION_DAYS);
    assert_eq!(due, deadline_ms + RETENTION_DAYS * DAY);

    // A moment before: nothing changes, the sweep says when to look again.
    assert_eq!(
        retention::sweep(&db, due - 1, RETENTION_DAYS).unwrap(),
        Some(due)
    );
    let (lines, prescription, response) = held(&db);
    assert_eq!(lines[0]["name"], "维生素C");
    assert_eq!(prescription.as_deref(), Some("rx-1"));
    assert_eq!(response["prescription_id"], "rx-1");

    // Due: names blanked, the prescription id gone, the rest of each line kept.
    assert_eq!(retention::sweep(&db, due, RETENTION_DAYS).unwrap(), None);
    let (lines, prescription, response) = held(&db);
    assert_eq!(lines[0]["name"], "");
    assert_eq!(lines[0]["sku"], "sku-1");
    assert_eq!(lines[0]["qty"], 2);
    assert_eq!(prescription, None);
    assert_eq!(response["lines"][0]["name"], "");
    assert_eq!(response["prescription_id"], Value::Null);
    assert_eq!(response["payable_fen"], 900);
    let view = pickup::view(&db, MEMBER).unwrap();
    assert_eq!(view.lines[0].name, "");
    assert_eq!(view.payable_fen, Some(900));

    // Again: nothing more to do.
    assert_eq!(
        retention::sweep(&db, due + DAY, RETENTION_DAYS).unwrap(),
        None
    );
    assert_eq!(held(&db).0, lines);
}

#[test]
fn an_order_without_a_deadline_has_nothing_due() {
    let db = order_db();
    placement::begin(&db, &place(T0)).unwrap();
    placement::accept(&db, &place(T0), decided()).unwrap();
    assert_eq!(
        retention::sweep(&db, T0 + 10_000 * DAY, RETENTION_DAYS).unwrap(),
        None
    );
    assert_eq!(held(&db).0[0]["name"], "维生素C");
}
