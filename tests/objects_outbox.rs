//! The outbox drain over the seam, against real SQLite: what is due, the lease, the policy's
//! settlement of each attempt (`domain::delivery::settle`), dead letters and their replay.
//! The attempts themselves are scripted here as the outcomes the runtime would report.
#![cfg(not(target_arch = "wasm32"))]

mod seam;

use pharmedge::domain::delivery::{
    classify, is_due, lease_ms, settle, Outcome, RetryPolicy, RowState, Target, BATCH,
    REPORT_RETRY_MS,
};
use pharmedge::objects::outbox::drain::{self, Due};
use pharmedge::objects::outbox::{self, Destination};
use pharmedge::objects::schema::Tables;
use pharmedge::objects::seam::Sql;
use seam::Sqlite;

const T0: i64 = 1_795_485_600_000;
const LEASE: i64 = 15_000;
const POLICY: RetryPolicy = RetryPolicy {
    base_ms: 2_000,
    max_ms: 600_000,
    max_attempts: 3,
};

fn outbox_db() -> Sqlite {
    let db = Sqlite::open();
    Tables::default()
        .ensure(&db, &[&outbox::MODULE])
        .expect("migrations");
    db
}

fn queue(db: &Sqlite, key: &str, body: &str, at_ms: i64) {
    let events = Destination::Core(Target::Events);
    outbox::enqueue(db, key, &events, "checkin.recorded", body, at_ms).unwrap();
}

/// state, attempts, next_attempt_ms, last_error, reported
type RowView = (String, i64, i64, Option<String>, bool);

fn row(db: &Sqlite, key: &str) -> Option<RowView> {
    db.row(
        "SELECT state, attempts, next_attempt_ms, last_error, reported FROM outbox WHERE key = ?",
        vec![key.into()],
    )
    .unwrap()
}

fn first_attempt(db: &Sqlite, key: &str) -> Option<i64> {
    let row: Option<(Option<i64>,)> = db
        .row(
            "SELECT first_attempt_ms FROM outbox WHERE key = ?",
            vec![key.into()],
        )
        .unwrap();
    row.and_then(|(ms,)| ms)
}

/// One attempt of every due row at `now_ms`, each with `outcome`, as the runtime settles it.
fn attempt_all(db: &Sqlite, now_ms: i64, outcome: &Outcome) -> Vec<Due> {
    let due = drain::take_due(db, now_ms, LEASE).unwrap();
    for row in &due {
        let settled = settle(&POLICY, &row.key, row.attempts, outcome.clone(), now_ms);
        drain::settle(db, &row.key, settled, now_ms).unwrap();
    }
    due
}

fn keys(due: &[Due]) -> Vec<&str> {
    due.iter().map(|row| row.key.as_str()).collect()
}

#[test]
fn a_row_is_delivered_once_and_then_gone() {
    let db = outbox_db();
    queue(&db, "ev-1", r#"{"id":"ev-1"}"#, T0);
    assert_eq!(drain::earliest(&db).unwrap(), Some(T0));
    let due = attempt_all(&db, T0, &classify(204));
    assert_eq!(
        due,
        vec![Due {
            key: "ev-1".into(),
            target: "events".into(),
            body: r#"{"id":"ev-1"}"#.into(),
            attempts: 0,
        }]
    );
    assert_eq!(row(&db, "ev-1"), None);
    assert!(drain::take_due(&db, T0 + 10 * LEASE, LEASE)
        .unwrap()
        .is_empty());
    assert_eq!(drain::earliest(&db).unwrap(), None, "no alarm needed");
}

#[test]
fn queuing_a_key_twice_keeps_the_first_row() {
    let db = outbox_db();
    queue(&db, "ev-1", "first", T0);
    queue(&db, "ev-1", "second", T0 + 1);
    let due = drain::take_due(&db, T0 + 1, LEASE).unwrap();
    assert_eq!(keys(&due), ["ev-1"]);
    assert_eq!(due[0].body, "first");
}

#[test]
fn a_5xx_or_a_timeout_is_retried_with_backoff() {
    let db = outbox_db();
    queue(&db, "ev-1", "{}", T0);
    attempt_all(&db, T0, &classify(503));
    let (state, attempts, next_ms, error, _) = row(&db, "ev-1").unwrap();
    assert_eq!((state.as_str(), attempts), ("pending", 1));
    assert!((T0 + 1_500..=T0 + 2_000).contains(&next_ms), "{next_ms}");
    assert_eq!(error.as_deref(), Some("core answered 503"));
    assert_eq!(first_attempt(&db, "ev-1"), Some(T0));
    assert_eq!(drain::earliest(&db).unwrap(), Some(next_ms));
    assert!(
        drain::take_due(&db, next_ms - 1, LEASE).unwrap().is_empty(),
        "not before its backoff"
    );
    let timeout = Outcome::Retry("core timed out".into());
    let due = attempt_all(&db, next_ms, &timeout);
    assert_eq!(due[0].attempts, 1, "the count of failures so far");
    let (_, attempts, later_ms, error, _) = row(&db, "ev-1").unwrap();
    assert_eq!(attempts, 2);
    assert!(
        (next_ms + 3_000..=next_ms + 4_000).contains(&later_ms),
        "doubled: {later_ms}"
    );
    assert_eq!(error.as_deref(), Some("core timed out"));
    assert_eq!(
        first_attempt(&db, "ev-1"),
        Some(T0),
        "the first attempt is kept"
    );
}

#[test]
fn a_row_out_of_attempts_is_a_dead_letter_reported_once() {
    let db = outbox_db();
    queue(&db, "ev-1", "{}", T0);
    let mut now_ms = T0;
    for _ in 0..POLICY.max_attempts {
        assert_eq!(keys(&attempt_all(&db, now_ms, &classify(500))), ["ev-1"]);
        now_ms = row(&db, "ev-1").unwrap().2;
    }
    let (state, attempts, dead_ms, error, reported) = row(&db, "ev-1").unwrap();
    assert_eq!(
        (state.as_str(), attempts, error.as_deref(), reported),
        ("dead", 3, Some("core answered 500"), false)
    );
    assert!(
        drain::take_due(&db, now_ms + 10 * LEASE, LEASE)
            .unwrap()
            .is_empty(),
        "a dead row is never attempted again"
    );
    // The alarm must still fire to report it.
    assert_eq!(drain::earliest(&db).unwrap(), Some(dead_ms));
    let unreported = drain::unreported(&db, dead_ms).unwrap();
    assert_eq!(unreported.len(), 1);
    assert_eq!(unreported[0].attempts, 3);
    assert_eq!(unreported[0].first_attempt_ms, Some(T0));
    assert_eq!(unreported[0].kind, "checkin.recorded");
    // The registry could not be told: told again later, not before.
    drain::reported(&db, "ev-1", false, dead_ms).unwrap();
    assert!(drain::unreported(&db, dead_ms).unwrap().is_empty());
    let retry_ms = dead_ms + REPORT_RETRY_MS;
    assert_eq!(drain::earliest(&db).unwrap(), Some(retry_ms));
    assert_eq!(drain::unreported(&db, retry_ms).unwrap().len(), 1);
    drain::reported(&db, "ev-1", true, retry_ms).unwrap();
    assert!(drain::unreported(&db, retry_ms + 60_000)
        .unwrap()
        .is_empty());
    assert_eq!(drain::earliest(&db).unwrap(), None, "nothing left to do");
    assert!(row(&db, "ev-1").is_some(), "the dead row itself stays");
}

#[test]
fn a_refusal_for_good_is_dead_at_the_first_attempt() {
    let db = outbox_db();
    queue(&db, "ev-1", "{}", T0);
    attempt_all(&db, T0, &classify(422));
    let (state, attempts, _, error, _) = row(&db, "ev-1").unwrap();
    assert_eq!(
        (state.as_str(), attempts, error.as_deref()),
        ("dead", 1, Some("core answered 422"))
    );
}

#[test]
fn a_row_sent_but_not_settled_is_leased_then_sent_again() {
    let db = outbox_db();
    queue(&db, "ev-1", "{}", T0);
    // Taken and sent; the object dies before the row is deleted.
    assert_eq!(keys(&drain::take_due(&db, T0, LEASE).unwrap()), ["ev-1"]);
    assert!(
        drain::take_due(&db, T0 + LEASE - 1, LEASE)
            .unwrap()
            .is_empty(),
        "a drain beside it skips a leased row"
    );
    assert_eq!(drain::earliest(&db).unwrap(), Some(T0 + LEASE));
    let again = drain::take_due(&db, T0 + LEASE, LEASE).unwrap();
    assert_eq!(keys(&again), ["ev-1"], "never lost: sent again, same key");
    assert_eq!(again[0].attempts, 0, "the crash counted no attempt");
    drain::settle(
        &db,
        "ev-1",
        settle(&POLICY, "ev-1", 0, Outcome::Delivered, T0),
        T0,
    )
    .unwrap();
    assert_eq!(row(&db, "ev-1"), None);
    assert_eq!(
        lease_ms(10_000),
        LEASE,
        "the runtime's lease for a 10 s core timeout"
    );
}

#[test]
fn a_drain_takes_the_oldest_due_rows_a_batch_at_a_time() {
    let db = outbox_db();
    for index in 0..BATCH + 5 {
        queue(&db, &format!("ev-{index:03}"), "{}", T0 + index);
    }
    queue(&db, "later", "{}", T0 + 1_000_000);
    let first = drain::take_due(&db, T0 + 500, LEASE).unwrap();
    assert_eq!(first.len() as i64, BATCH);
    assert_eq!(first[0].key, "ev-000");
    assert_eq!(first.last().unwrap().key, format!("ev-{:03}", BATCH - 1));
    let second = drain::take_due(&db, T0 + 500, LEASE).unwrap();
    assert_eq!(second.len(), 5, "the rest, not the leased ones again");
    assert!(!keys(&second).contains(&"later"));
}

#[test]
fn a_dead_row_is_replayed_exactly_once() {
    let db = outbox_db();
    queue(&db, "ev-1", "{}", T0);
    attempt_all(&db, T0, &classify(400));
    drain::reported(&db, "ev-1", true, T0).unwrap();
    assert!(!drain::replay(&db, "ev-unknown", T0 + 5).unwrap());
    assert!(drain::replay(&db, "ev-1", T0 + 10).unwrap());
    assert_eq!(
        row(&db, "ev-1").unwrap(),
        (
            "pending".into(),
            0,
            T0 + 10,
            Some("core answered 400".into()),
            false
        )
    );
    assert!(
        !drain::replay(&db, "ev-1", T0 + 20).unwrap(),
        "a pending row is not replayed again"
    );
    assert_eq!(keys(&attempt_all(&db, T0 + 20, &classify(200))), ["ev-1"]);
    assert_eq!(row(&db, "ev-1"), None);
}

#[test]
fn the_drain_takes_exactly_the_rows_the_policy_calls_due() {
    let db = outbox_db();
    queue(&db, "due", "{}", T0);
    queue(&db, "future", "{}", T0 + 1);
    queue(&db, "leased", "{}", T0);
    queue(&db, "dead", "{}", T0);
    drain::take_due(&db, T0, LEASE).unwrap(); // leases all three due at T0
    db.raw("UPDATE outbox SET next_attempt_ms = 1795485600000 WHERE key = 'due'");
    drain::settle(
        &db,
        "dead",
        settle(&POLICY, "dead", 0, classify(404), T0),
        T0,
    )
    .unwrap();
    let rows: Vec<(String, RowState, i64)> = db
        .rows(
            "SELECT key, state, next_attempt_ms FROM outbox ORDER BY key",
            Vec::new(),
        )
        .unwrap();
    let expected: Vec<&str> = rows
        .iter()
        .filter(|(_, state, next_ms)| is_due(*state, *next_ms, T0 + 1))
        .map(|(key, _, _)| key.as_str())
        .collect();
    assert_eq!(expected, ["due", "future"]);
    let mut taken = drain::take_due(&db, T0 + 1, LEASE).unwrap();
    taken.sort_by(|a, b| a.key.cmp(&b.key));
    assert_eq!(keys(&taken), expected);
}

#[test]
fn one_read_says_when_the_next_delivery_and_the_next_report_are_due() {
    let db = outbox_db();
    assert_eq!(drain::next_due(&db).unwrap(), drain::NextDue::default());
    queue(&db, "ev-1", "{}", T0);
    queue(&db, "ev-2", "{}", T0 + 5_000);
    let next = drain::next_due(&db).unwrap();
    assert_eq!((next.delivery_ms, next.report_ms), (Some(T0), None));
    assert!(
        !next.report_due(T0 + 60_000),
        "no dead row: no registry read"
    );
    // ev-1 dies (refused for good): it waits to be reported from the attempt's time.
    attempt_all(&db, T0, &classify(400));
    let dead_ms = row(&db, "ev-1").unwrap().2;
    let next = drain::next_due(&db).unwrap();
    assert_eq!(next.report_ms, Some(dead_ms));
    assert!(next.report_due(dead_ms) && !next.report_due(dead_ms - 1));
    assert_eq!(next.earliest(), drain::earliest(&db).unwrap());
    assert_eq!(next.earliest(), Some(dead_ms.min(T0 + 5_000)));
    // Told: nothing to report; ev-2 still to deliver.
    drain::reported(&db, "ev-1", true, dead_ms).unwrap();
    let next = drain::next_due(&db).unwrap();
    assert_eq!((next.delivery_ms, next.report_ms), (Some(T0 + 5_000), None));
    assert!(!next.report_due(dead_ms + 60_000));
    assert_eq!(next.earliest(), Some(T0 + 5_000));
}
