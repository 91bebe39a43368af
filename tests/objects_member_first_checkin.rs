//! A new member's first check-in (`Tables::ensure_noting_empty` + `checkins::Stored`): a
//! member object that held no table when this call created its tables reads nothing back
//! (no day, lot, run or profile can be there) and answers, stores and queues exactly what
//! the full path does; an object from before the version records, or one that exists, is
//! never taken for empty. Such an object also records that all its tables are recorded, so
//! absent tables need no lookup by name (`Tables::all_recorded`).
#![cfg(not(target_arch = "wasm32"))]

mod seam;

use chrono::{DateTime, Utc};
use pharmedge::objects::member::checkins::{self, Stored};
use pharmedge::objects::member::protocol::CheckinReply;
use pharmedge::objects::member::referral_invitee::steps_pending;
use pharmedge::objects::member::repo::{Repo, POINTS};
use pharmedge::objects::outbox;
use pharmedge::objects::schema::{Module, Tables, ALL_RECORDED};
use pharmedge::objects::seam::{FromRow, Sql, SqlError, Transact, Value};
use seam::member::*;
use seam::Sqlite;
use std::cell::RefCell;

/// What a check-in needs (`member::needs`).
const CHECKIN: &[&Module] = &[&POINTS, &outbox::MODULE];

/// The seam, recording each statement it is given.
struct Counting<'a> {
    db: &'a Sqlite,
    statements: RefCell<Vec<String>>,
}

impl<'a> Counting<'a> {
    fn new(db: &'a Sqlite) -> Self {
        Counting {
            db,
            statements: RefCell::new(Vec::new()),
        }
    }

    fn taken(&self) -> Vec<String> {
        std::mem::take(&mut *self.statements.borrow_mut())
    }
}

impl Sql for Counting<'_> {
    fn run(&self, query: &str, bindings: Vec<Value>) -> Result<usize, SqlError> {
        self.statements.borrow_mut().push(query.to_owned());
        self.db.run(query, bindings)
    }

    fn rows<T: FromRow>(&self, query: &str, bindings: Vec<Value>) -> Result<Vec<T>, SqlError> {
        self.statements.borrow_mut().push(query.to_owned());
        self.db.rows(query, bindings)
    }
}

impl Transact for Counting<'_> {
    fn atomically<T, E: From<SqlError>>(
        &self,
        work: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E> {
        self.db.atomically(work)
    }
}

/// A check-in as the member object runs it: its tables ensured, then the command with what
/// the ensure said.
fn object_checkin(repo: &Repo<impl Transact>, tables: &Tables, now: DateTime<Utc>) -> CheckinReply {
    let stored = match tables.ensure_noting_empty(&repo.sql, CHECKIN).unwrap() {
        true => Stored::Nothing,
        false => Stored::Unknown,
    };
    repo.sql
        .atomically(|| checkins::checkin(repo, &rules(), &registered(day(1)), now, stored))
        .unwrap()
}

/// Everything a member's points tables and outbox hold, in a stable order.
fn contents(db: &Sqlite) -> Vec<String> {
    let mut all = Vec::new();
    for query in [
        "SELECT json_array(member_id, registered_at_ms, first_seen_ms, points_debt) FROM profile",
        "SELECT json_array(date, streak, points, bonus, makeup, created_ms) FROM checkins ORDER BY date",
        "SELECT json_array(id, amount, kind, source, source_id, created_ms, expires_ms, remaining) FROM ledger ORDER BY id",
        "SELECT json_array(key, target, kind, body, state, attempts, next_attempt_ms, created_ms) FROM outbox ORDER BY key",
    ] {
        let rows: Vec<(String,)> = db.rows(query, Vec::new()).unwrap();
        all.extend(rows.into_iter().map(|(row,)| row));
    }
    all
}

fn versions(db: &Sqlite) -> Vec<(String, u32)> {
    db.rows(
        "SELECT module, version FROM schema_versions ORDER BY module",
        Vec::new(),
    )
    .unwrap()
}

#[test]
fn a_new_members_first_check_in_reads_nothing_back_and_stores_what_the_full_path_does() {
    let new_db = Sqlite::open();
    let counting = Counting::new(&new_db);
    let new = Repo::new(counting);
    let new_reply = object_checkin(&new, &Tables::default(), day(1));
    let ran = new.sql.taken();
    // The versions read, the look for any table, then only writes.
    assert!(ran[0].starts_with("SELECT module, version FROM schema_versions"));
    assert!(ran[1].contains("FROM sqlite_master"));
    let reads: Vec<_> = ran[2..]
        .iter()
        .filter(|s| s.trim_start().starts_with("SELECT"))
        .collect();
    assert!(reads.is_empty(), "{reads:#?}");

    // The same check-in by the full path (every read made) on another new object.
    let full = Repo::new(Sqlite::open());
    Tables::default().ensure(&full.sql, CHECKIN).unwrap();
    let full_reply = full
        .sql
        .atomically(|| {
            checkins::checkin(
                &full,
                &rules(),
                &registered(day(1)),
                day(1),
                Stored::Unknown,
            )
        })
        .unwrap();
    let text = |reply: &CheckinReply| serde_json::to_string(reply).unwrap();
    assert_eq!(text(&new_reply), text(&full_reply));
    assert_eq!(
        (new_reply.streak, new_reply.balance),
        (1, new_reply.points_awarded + new_reply.bonus_points)
    );
    assert_eq!(contents(&new_db), contents(&full.sql));

    // The next day's check-in on the same instance reads again: a streak of two.
    let next = object_checkin(&new, &Tables::default(), day(2));
    assert_eq!((next.streak, next.already_checked_in), (2, false));
    assert_eq!(
        next.balance,
        new_reply.balance + next.points_awarded + next.bonus_points
    );
}

#[test]
fn a_new_object_is_noted_empty_once_and_records_that_every_table_has_a_record() {
    let db = Sqlite::open();
    // A table of the runtime's own (an alarm's) is not one of the object's.
    db.raw("CREATE TABLE _cf_METADATA (key INTEGER PRIMARY KEY, value BLOB)");
    let tables = Tables::default();
    assert!(tables.ensure_noting_empty(&db, CHECKIN).unwrap());
    assert!(tables.all_recorded(&db).unwrap());
    assert!(versions(&db).contains(&(ALL_RECORDED.to_owned(), 1)));
    // Known now, and written to: never empty again, in this instance or the next.
    assert!(!tables.ensure_noting_empty(&db, CHECKIN).unwrap());
    let next = Tables::default();
    assert!(!next.ensure_noting_empty(&db, CHECKIN).unwrap());
    assert!(next.all_recorded(&db).unwrap());
    // The record is no module: a module added later is planned as before.
    assert!(!next
        .ensure_noting_empty(&db, &[&pharmedge::objects::member::repo::EVENTS])
        .unwrap());
    assert!(versions(&db).iter().any(|(module, _)| module == "events"));

    // An object created by `ensure` (no look) claims nothing.
    let plain = Sqlite::open();
    Tables::default().ensure(&plain, CHECKIN).unwrap();
    assert!(!Tables::default().all_recorded(&plain).unwrap());
}

#[test]
fn an_object_from_before_the_records_is_not_taken_for_empty() {
    // Day 1 checked in by a build before the version records: its tables, no record.
    let repo = Repo::new(Sqlite::open());
    let first = object_checkin(&repo, &Tables::default(), day(1));
    assert_eq!(first.streak, 1);
    repo.sql.raw("DROP TABLE schema_versions");
    let before = contents(&repo.sql);

    let tables = Tables::default();
    let reply = object_checkin(&repo, &tables, day(2));
    assert_eq!((reply.streak, reply.already_checked_in), (2, false));
    assert_eq!(
        reply.balance,
        first.balance + reply.points_awarded + reply.bonus_points
    );
    assert!(!tables.all_recorded(&repo.sql).unwrap());
    // Its day-1 rows kept, day 2 added.
    let after = contents(&repo.sql);
    assert!(
        before.iter().all(|row| after.contains(row)),
        "{before:#?}\n{after:#?}"
    );
    // Tables it may hold without a record are still looked up by name.
    repo.sql.raw(
        "CREATE TABLE device_claims (device TEXT PRIMARY KEY); INSERT INTO device_claims VALUES ('dev-1');
         CREATE TABLE binding (k INTEGER PRIMARY KEY, state TEXT);",
    );
    assert_eq!(
        steps_pending(&repo.sql, false, tables.all_recorded(&repo.sql).unwrap()),
        Ok(true)
    );
}

#[test]
fn a_member_whose_tables_all_have_records_looks_no_referral_table_up() {
    let db = Sqlite::open();
    let tables = Tables::default();
    assert!(tables.ensure_noting_empty(&db, CHECKIN).unwrap());
    let counting = Counting::new(&db);
    assert_eq!(
        steps_pending(&counting, false, tables.all_recorded(&db).unwrap()),
        Ok(false)
    );
    assert!(counting.taken().is_empty());
    // Not all recorded: looked up (and found absent).
    assert_eq!(steps_pending(&counting, false, false), Ok(false));
    assert_eq!(counting.taken().len(), 1);
}
