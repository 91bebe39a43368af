//! The order object's placement transactions, run natively against real SQLite through the
//! SQL seam: the same migrations, statements and all-or-nothing rule as in production.
#![cfg(not(target_arch = "wasm32"))]

mod seam;

use pharmedge::domain::placement::PLACING_TIMEOUT_MS;
use pharmedge::http::error::ApiError;
use pharmedge::objects::order::placement::{self, Begin};
use pharmedge::objects::order::protocol::{ApplyEvent, OrderCommand, OrderEvent};
use pharmedge::objects::order::{needs, refusal, MODULES};
use pharmedge::objects::schema::Module;
use pharmedge::objects::schema::Tables;
use pharmedge::objects::seam::Sql;
use seam::order::*;
use seam::Sqlite;

/// Begin and accept, as the object does when the catalogue and the wallet agree.
fn placed(db: &Sqlite) -> serde_json::Value {
    assert!(matches!(
        placement::begin(db, &place(T0)),
        Ok(Begin::Go { fresh: true })
    ));
    placement::accept(db, &place(T0), decided()).expect("accepted")
}

#[test]
fn migrations_run_through_the_seam_once_and_are_recorded() {
    let db = order_db();
    let versions: Vec<(String, u32)> = db
        .rows(
            "SELECT module, version FROM schema_versions ORDER BY module",
            Vec::new(),
        )
        .unwrap();
    assert_eq!(
        versions,
        vec![
            ("order_events".into(), 1),
            ("order_pickups".into(), 1),
            ("order_row".into(), 1),
            ("outbox".into(), 1)
        ]
    );
    // A new instance of the object reads the record and runs nothing: a migration run
    // again would fail on this table, which only a fresh run could have dropped.
    db.raw("CREATE TRIGGER no_ddl BEFORE INSERT ON schema_versions BEGIN SELECT RAISE(ABORT, 'ran again'); END;");
    Tables::default()
        .ensure(&db, MODULES)
        .expect("nothing to run");
    assert_eq!(state(&db), None);
}

#[test]
fn a_placement_is_replayed_by_its_key_and_a_reused_key_is_refused() {
    let db = order_db();
    let first = placed(&db);
    assert_eq!(first["status"], "accepted");
    assert_eq!(first["payable_fen"], 900);
    assert_eq!(state(&db).as_deref(), Some("accepted"));

    // Same key, same body, even much later: the first answer, and nothing queued again.
    let later = place(T0 + 86_400_000);
    match placement::begin(&db, &later) {
        Ok(Begin::Replay(answer)) => assert_eq!(answer, first),
        other => panic!("expected the first answer, got {other:?}"),
    }
    assert_eq!(outbox(&db).len(), 1);

    // Same key, another body or another member: refused.
    let mut other_body = place(T0);
    other_body.body_hash = "body-2".into();
    assert_eq!(
        placement::begin(&db, &other_body).unwrap_err(),
        ApiError::IdempotencyKeyReused
    );
    let mut other_member = place(T0);
    other_member.member_id = pharmedge::domain::ids::MemberId::parse("mem-2").unwrap();
    assert_eq!(
        placement::begin(&db, &other_member).unwrap_err(),
        ApiError::IdempotencyKeyReused
    );
}

#[test]
fn a_placement_under_way_answers_in_progress_until_it_times_out() {
    let db = order_db();
    assert!(matches!(
        placement::begin(&db, &place(T0)),
        Ok(Begin::Go { fresh: true })
    ));
    assert_eq!(state(&db).as_deref(), Some("placing"));
    let soon = place(T0 + PLACING_TIMEOUT_MS - 1);
    assert_eq!(
        placement::begin(&db, &soon).unwrap_err(),
        ApiError::RequestInProgress
    );
    // Past the timeout the placement starts over.
    let late = place(T0 + PLACING_TIMEOUT_MS);
    assert!(matches!(
        placement::begin(&db, &late),
        Ok(Begin::Go { fresh: false })
    ));
}

#[test]
fn acceptance_queues_the_order_for_the_core_in_the_same_transaction() {
    let db = order_db();
    placed(&db);
    let rows = outbox(&db);
    assert_eq!(rows.len(), 1);
    let (key, target, kind, body) = &rows[0];
    assert_eq!(
        (key.as_str(), target.as_str(), kind.as_str()),
        (ORDER, "orders", "order")
    );
    let body: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(body["payable_fen"], 900);
    assert_eq!(body["discount_fen"], 100);
    assert_eq!(body["coupon_id"], "cpn-1");
    assert_eq!(body["catalog_versions"]["sku-1"], 3);
}

#[test]
fn an_acceptance_whose_outbox_row_fails_leaves_the_placement_under_way() {
    let db = order_db();
    assert!(matches!(
        placement::begin(&db, &place(T0)),
        Ok(Begin::Go { fresh: true })
    ));
    db.raw("CREATE TRIGGER full BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'storage overloaded'); END;");
    let error = placement::accept(&db, &place(T0), decided()).unwrap_err();
    // Transient: the client may retry, and the order was not accepted without its row.
    assert_eq!(error, ApiError::Unavailable);
    assert_eq!(state(&db).as_deref(), Some("placing"));
    let response: Option<(Option<String>,)> = db
        .row("SELECT response FROM order_row", Vec::new())
        .unwrap();
    assert_eq!(response, Some((None,)));
}

#[test]
fn an_acceptance_after_the_placement_was_given_up_is_refused() {
    let db = order_db();
    assert!(matches!(
        placement::begin(&db, &place(T0)),
        Ok(Begin::Go { fresh: true })
    ));
    placement::abandon(&db, T0 + 1).unwrap();
    assert_eq!(
        placement::accept(&db, &place(T0), decided()).unwrap_err(),
        ApiError::Unavailable
    );
    assert_eq!(state(&db).as_deref(), Some("abandoned"));
    assert!(!outbox_keys(&db).contains(&ORDER.to_string()));
}

#[test]
fn a_final_refusal_is_kept_for_its_key() {
    let db = order_db();
    assert!(matches!(
        placement::begin(&db, &place(T0)),
        Ok(Begin::Go { fresh: true })
    ));
    let refused = ApiError::PrescriptionRequired;
    assert!(refused.is_final_refusal());
    refusal::end(&db, &refused, true).unwrap();
    assert_eq!(state(&db).as_deref(), Some("refused"));
    // The same key and body, a day later: the same refusal, not a new attempt.
    assert_eq!(
        placement::begin(&db, &place(T0 + 86_400_000)).unwrap_err(),
        refused
    );
    assert!(outbox(&db).is_empty());
}

#[test]
fn a_refusal_without_a_key_or_a_failure_is_forgotten() {
    for (error, keyed) in [
        (ApiError::PrescriptionRequired, false),
        (ApiError::Unavailable, true),
    ] {
        let db = order_db();
        assert!(matches!(
            placement::begin(&db, &place(T0)),
            Ok(Begin::Go { fresh: true })
        ));
        refusal::end(&db, &error, keyed).unwrap();
        assert_eq!(state(&db), None, "{error:?} keyed {keyed}");
        // A forgotten refusal leaves no row: the next placement is fresh again.
        assert!(matches!(
            placement::begin(&db, &place(T0)),
            Ok(Begin::Go { fresh: true })
        ));
    }
}

#[test]
fn a_stuck_placement_is_abandoned_by_the_alarm_and_its_coupon_given_back() {
    let db = order_db();
    assert!(matches!(
        placement::begin(&db, &place(T0)),
        Ok(Begin::Go { fresh: true })
    ));
    assert_eq!(
        placement::sweep(&db, T0 + 1).unwrap(),
        Some(T0 + PLACING_TIMEOUT_MS)
    );
    assert_eq!(state(&db).as_deref(), Some("placing"));
    assert_eq!(
        placement::sweep(&db, T0 + PLACING_TIMEOUT_MS).unwrap(),
        None
    );
    assert_eq!(state(&db).as_deref(), Some("abandoned"));
    let rows = outbox(&db);
    assert_eq!(rows.len(), 1);
    let (key, target, kind, body) = &rows[0];
    assert_eq!(key, "release-ord-1-abandoned");
    assert_eq!(target, "object:MEMBER:mem-1");
    assert_eq!(kind, "coupon.release");
    let body: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(body["coupon_id"], "cpn-1");
    // While the release is queued a retry waits; once it is delivered it starts over.
    assert_eq!(
        placement::begin(&db, &place(T0 + PLACING_TIMEOUT_MS)).unwrap_err(),
        ApiError::RequestInProgress
    );
    db.raw("DELETE FROM outbox");
    assert!(matches!(
        placement::begin(&db, &place(T0 + PLACING_TIMEOUT_MS)),
        Ok(Begin::Go { fresh: false })
    ));
    // An accepted order is never swept.
    placement::accept(&db, &place(T0), decided()).unwrap();
    assert_eq!(placement::sweep(&db, i64::MAX / 2).unwrap(), None);
    assert_eq!(state(&db).as_deref(), Some("accepted"));
}

fn tables(db: &Sqlite) -> Vec<String> {
    let names: Vec<(String,)> = db
        .rows(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
            Vec::new(),
        )
        .unwrap();
    names.into_iter().map(|(name,)| name).collect()
}

#[test]
fn a_new_order_object_creates_only_the_tables_its_placement_touches() {
    let db = Sqlite::open();
    let schema = Tables::default();
    schema
        .ensure(&db, needs(&OrderCommand::Place(place(T0))))
        .unwrap();
    placed(&db);
    assert_eq!(tables(&db), ["order_row", "outbox", "schema_versions"]);
    // A core event adds its table, and only it.
    let event = OrderCommand::Event(ApplyEvent {
        event_id: "evt-1".into(),
        event: OrderEvent::Cancelled(change("ord_1")),
        now: at(T0),
    });
    schema.ensure(&db, needs(&event)).unwrap();
    assert_eq!(
        tables(&db),
        ["order_row", "outbox", "schema_versions", "seen_events"]
    );
}

/// The order's tables as first published: one module, every table in its migration 1.
const BEFORE_THE_SPLIT: Module = Module {
    name: "order",
    migrations: &[&[
        "CREATE TABLE IF NOT EXISTS order_row (k INTEGER PRIMARY KEY CHECK (k = 1), order_id TEXT NOT NULL, member_id TEXT, store_id TEXT, fulfilment TEXT, lines TEXT NOT NULL DEFAULT '[]', coupon_id TEXT, prescription_id TEXT, subtotal_fen INTEGER, discount_fen INTEGER, payable_fen INTEGER, status TEXT NOT NULL, body_hash TEXT, response TEXT, placed_ms INTEGER, updated_ms INTEGER NOT NULL, reason TEXT, ready_ms INTEGER, deadline_ms INTEGER, verified_ms INTEGER, verified_by TEXT)",
        "CREATE TABLE IF NOT EXISTS seen_events (id TEXT PRIMARY KEY, received_ms INTEGER NOT NULL)",
        "CREATE TABLE IF NOT EXISTS verifications (id INTEGER PRIMARY KEY AUTOINCREMENT, at_ms INTEGER NOT NULL, staff_id TEXT NOT NULL, store_id TEXT NOT NULL, method TEXT NOT NULL, outcome TEXT NOT NULL)",
    ]],
    baseline: &[],
};

#[test]
fn an_order_from_before_the_split_adopts_the_modules_and_keeps_its_rows() {
    let db = Sqlite::open();
    Tables::default()
        .ensure(
            &db,
            &[&BEFORE_THE_SPLIT, &pharmedge::objects::outbox::MODULE],
        )
        .unwrap();
    let first = placed(&db);
    db.raw("INSERT INTO seen_events (id, received_ms) VALUES ('evt-0', 1)");
    // Placement looks this module up to adopt before it asks whether an order is held.
    let after_deploy = Tables::default();
    assert!(after_deploy
        .has(&db, &pharmedge::objects::order::repo::LEGACY)
        .unwrap());
    assert!(!after_deploy
        .has(&db, &pharmedge::objects::order::repo::MODULE)
        .unwrap());
    // A new instance (a deploy) with every module of today's code.
    Tables::default().ensure(&db, MODULES).expect("adopted");
    let kept: Vec<(i64,)> = db
        .rows("SELECT COUNT(*) FROM seen_events", Vec::new())
        .unwrap();
    assert_eq!(kept, vec![(1,)]);
    // The same key and body replay the first answer: the row is intact.
    assert!(matches!(
        placement::begin(&db, &place(T0)),
        Ok(Begin::Replay(answer)) if answer == first
    ));
}
