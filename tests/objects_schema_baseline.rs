//! Squashed baselines (objects::schema): a new object creates a module's tables from its
//! baseline, an existing one got them from the numbered migrations, an object from before
//! the version records holds migration 1's tables without a record. All three must end with
//! the same tables, columns, indexes and constraints (read from `sqlite_master` and the
//! `PRAGMA`s), differing only in how SQLite stores them, and behave the same.
#![cfg(not(target_arch = "wasm32"))]

mod seam;

use pharmedge::objects::member::repo::{Repo, POINTS};
use pharmedge::objects::member::{checkins, ledger};
use pharmedge::objects::outbox;
use pharmedge::objects::schema::{Module, Tables};
use pharmedge::objects::seam::{Sql, Transact};
use seam::member::{day, member, rules};
use seam::Sqlite;

/// The versions table as the first objects created it (a table and a key index).
const OLD_VERSIONS_TABLE: &str =
    "CREATE TABLE IF NOT EXISTS schema_versions (module TEXT PRIMARY KEY, version INTEGER NOT NULL)";

/// A column: name, declared type, NOT NULL (left out for a key column: implied by a
/// `WITHOUT ROWID` table's key), default, place in the primary key.
type Column = (String, String, Option<bool>, Option<String>, i64);
/// An index: name, unique, origin (`c` created, `u` UNIQUE, `pk`), its key columns, and for
/// a created index its definition (the partial index's WHERE).
type Index = (String, bool, String, Vec<String>, Option<String>);

/// What a table holds and enforces.
#[derive(Debug, PartialEq)]
struct Table {
    name: String,
    columns: Vec<Column>,
    indexes: Vec<Index>,
    checks: Vec<String>,
}

/// How SQLite stores a table: what a baseline may change.
#[derive(Debug, PartialEq)]
struct Storage {
    table: String,
    without_rowid: bool,
    autoincrement: bool,
}

fn one_line(sql: &str) -> String {
    sql.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The object's own tables (SQLite's `sqlite_*` left out), what they hold and how stored.
fn schema(db: &Sqlite) -> (Vec<Table>, Vec<Storage>) {
    let c = &db.connection;
    let mut tables: Vec<(String, String)> = c
        .prepare(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    tables.sort();
    let mut described = Vec::new();
    let mut stored = Vec::new();
    for (name, sql) in tables {
        let sql = one_line(&sql);
        let without_rowid = sql.ends_with("WITHOUT ROWID");
        let columns = c
            .prepare(&format!("PRAGMA table_xinfo({name})"))
            .unwrap()
            .query_map([], |r| {
                let pk: i64 = r.get(5)?;
                let notnull: bool = r.get(3)?;
                Ok((
                    r.get(1)?,
                    r.get(2)?,
                    (pk == 0).then_some(notnull),
                    r.get(4)?,
                    pk,
                ))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let mut indexes: Vec<Index> = c
            .prepare(&format!("PRAGMA index_list({name})"))
            .unwrap()
            .query_map([], |r| Ok((r.get(1)?, r.get(2)?, r.get(3)?, vec![], None)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        for (index, _, _, keys, definition) in &mut indexes {
            *keys = c
                .prepare(&format!("PRAGMA index_info({index})"))
                .unwrap()
                .query_map([], |r| r.get::<_, String>(2))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            // A key index has no text (and a `WITHOUT ROWID` table's key, no row).
            *definition = c
                .prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?")
                .unwrap()
                .query_map([index.as_str()], |r| r.get::<_, Option<String>>(0))
                .unwrap()
                .map(Result::unwrap)
                .next()
                .flatten()
                .map(|sql| one_line(&sql));
        }
        indexes.sort();
        let checks = sql
            .match_indices("CHECK (")
            .map(|(at, _)| {
                let rest = &sql[at..];
                rest[..rest.find(')').unwrap() + 1].to_owned()
            })
            .collect();
        stored.push(Storage {
            table: name.clone(),
            without_rowid,
            autoincrement: sql.contains("AUTOINCREMENT"),
        });
        described.push(Table {
            name,
            columns,
            indexes,
            checks,
        });
    }
    (described, stored)
}

fn versions(db: &Sqlite) -> Vec<(String, u32)> {
    db.rows(
        "SELECT module, version FROM schema_versions ORDER BY module",
        Vec::new(),
    )
    .unwrap()
}

/// A new object today: the baselines.
fn by_baseline(modules: &[&Module]) -> Sqlite {
    let db = Sqlite::open();
    Tables::default().ensure(&db, modules).unwrap();
    db
}

/// An object that lived through every version: each migration run by its own deploy (a
/// new instance), under the versions table as it was first created.
fn by_history(modules: &[&'static Module]) -> Sqlite {
    let db = Sqlite::open();
    db.raw(OLD_VERSIONS_TABLE);
    for module in modules {
        let history: &'static [&'static [&'static str]] = module.migrations;
        for version in 1..=history.len() {
            let then = Module {
                name: module.name,
                migrations: &history[..version],
                baseline: &[],
            };
            Tables::default().ensure(&db, &[&then]).unwrap();
        }
    }
    db
}

/// An object from before the version records: migration 1's tables, no record, then a
/// command of today's code.
fn from_before_the_records(modules: &[&Module], legacy: &[&str]) -> Sqlite {
    let db = Sqlite::open();
    for statement in legacy {
        db.raw(statement);
    }
    Tables::default().ensure(&db, modules).unwrap();
    db
}

const CHECK_IN: &[&Module] = &[&POINTS, &outbox::MODULE];

#[test]
fn a_new_members_tables_are_the_migrated_ones_in_fewer_b_trees() {
    let (new_tables, new_storage) = schema(&by_baseline(CHECK_IN));
    let old = by_history(CHECK_IN);
    let (old_tables, old_storage) = schema(&old);
    assert_eq!(new_tables, old_tables);
    // The points tables and the outbox, and the version records.
    let names: Vec<&str> = new_tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        ["checkins", "ledger", "outbox", "profile", "schema_versions"]
    );
    let ledger = &new_tables[1];
    assert!(ledger
        .indexes
        .iter()
        .any(|(_, unique, origin, keys, _)| *unique
            && origin == "u"
            && keys == &["kind", "source", "source_id"]));
    assert!(ledger
        .indexes
        .iter()
        .any(|(name, _, _, _, sql)| name == "ledger_open_lots"
            && sql
                .as_deref()
                .is_some_and(|s| s.ends_with("WHERE remaining > 0"))));
    assert_eq!(new_tables[3].checks, ["CHECK (k = 1)"]);

    // What differs is only how they are stored.
    let stored = |storage: &[Storage], table: &str| {
        let s = storage.iter().find(|s| s.table == table).unwrap();
        (s.without_rowid, s.autoincrement)
    };
    assert_eq!(stored(&new_storage, "checkins"), (true, false));
    assert_eq!(stored(&old_storage, "checkins"), (false, false));
    assert_eq!(stored(&new_storage, "ledger"), (false, false));
    assert_eq!(stored(&old_storage, "ledger"), (false, true));
    assert_eq!(stored(&new_storage, "schema_versions"), (true, false));
    assert_eq!(stored(&old_storage, "schema_versions"), (false, false));
    for table in ["outbox", "profile"] {
        assert_eq!(stored(&new_storage, table), stored(&old_storage, table));
    }
    let b_trees = |db: &Sqlite| -> i64 {
        db.connection
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE rootpage > 0",
                [],
                |r| r.get(0),
            )
            .unwrap()
    };
    // Versions 1 (was 2), profile 1, check-ins 1 (2), ledger 2 (+ sqlite_sequence), its
    // open-lots index 1, outbox 2.
    assert_eq!(b_trees(&by_baseline(CHECK_IN)), 8);
    assert_eq!(b_trees(&old), 11);
    assert_eq!(versions(&old), [("outbox".into(), 1), ("points".into(), 1)]);
}

#[test]
fn an_object_from_before_the_records_keeps_its_tables_and_finishes_the_missing_ones() {
    // Half of the points tables (the object died, or its code then had no ledger yet).
    let legacy = &POINTS.migrations[0][..2];
    let db = from_before_the_records(CHECK_IN, legacy);
    let (tables, storage) = schema(&db);
    assert_eq!(tables, schema(&by_history(CHECK_IN)).0);
    // Its own check-ins table is kept as it was; the missing ones come from the baseline.
    let checkins = storage.iter().find(|s| s.table == "checkins").unwrap();
    assert!(!checkins.without_rowid);
    let ledger = storage.iter().find(|s| s.table == "ledger").unwrap();
    assert!(!ledger.autoincrement);
    assert_eq!(versions(&db), [("outbox".into(), 1), ("points".into(), 1)]);
    // Known now: a new instance runs nothing.
    assert!(Tables::default().ensure(&db, CHECK_IN).is_ok());
}

/// The same check-ins, grants and ledger pages on a new member's tables and a migrated one's.
#[test]
fn a_new_and_a_migrated_member_answer_the_same() {
    let new = Repo::new(by_baseline(CHECK_IN));
    let old = Repo::new(by_history(CHECK_IN));
    let answers = |repo: &Repo<Sqlite>| {
        let mut seen = Vec::new();
        for n in [1, 2, 2, 3, 5, 6, 7, 8, 9] {
            let reply = repo
                .sql
                .atomically(|| {
                    checkins::checkin(repo, &rules(), &member(), day(n), checkins::Stored::Unknown)
                })
                .unwrap();
            seen.push(format!("{reply:?}"));
        }
        let first = ledger::page(repo, &member(), day(9), None, 3).unwrap();
        let cursor = first.next_cursor.as_deref().map(|id| id.parse().unwrap());
        assert!(cursor.is_some(), "three pages of grants");
        let next = ledger::page(repo, &member(), day(9), cursor, 3).unwrap();
        seen.push(format!("{first:?} {next:?}"));
        let queued: Vec<(String, String)> = repo
            .sql
            .rows("SELECT key, body FROM outbox ORDER BY key", Vec::new())
            .unwrap();
        seen.push(format!("{queued:?}"));
        seen
    };
    assert_eq!(answers(&new), answers(&old));
    // The same constraints refuse the same rows.
    for statement in [
        "INSERT INTO profile (k, member_id, first_seen_ms) VALUES (2, 'x', 1)",
        "INSERT INTO checkins (date, streak, points, bonus, makeup, created_ms) \
         VALUES ('2026-04-01', 1, 5, 0, 0, 1)",
        "INSERT INTO ledger (amount, kind, source, source_id, created_ms) \
         VALUES (5, 'earn', 'checkin', '2026-04-01', 1)",
        "INSERT INTO ledger (kind, source, source_id, created_ms) VALUES ('earn', 'x', 'y', 1)",
    ] {
        assert!(new.sql.run(statement, Vec::new()).is_err(), "{statement}");
        assert!(old.sql.run(statement, Vec::new()).is_err(), "{statement}");
    }
}

/// A module with a later migration: a new object runs the baseline, one at version 1 the
/// rest, and one whose migration failed half way tries again and finishes.
#[test]
fn a_half_migrated_object_finishes_to_the_baselines_schema() {
    const V2: Module = Module {
        name: "m",
        migrations: &[
            &["CREATE TABLE IF NOT EXISTS m1 (k TEXT PRIMARY KEY, a INTEGER NOT NULL)"],
            &[
                "ALTER TABLE m1 ADD COLUMN b INTEGER NOT NULL DEFAULT 0",
                "CREATE INDEX IF NOT EXISTS m1_b ON m1 (b)",
            ],
        ],
        baseline: &[
            "CREATE TABLE IF NOT EXISTS m1 (k TEXT PRIMARY KEY, a INTEGER NOT NULL, \
             b INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID",
            "CREATE INDEX IF NOT EXISTS m1_b ON m1 (b)",
        ],
    };
    /// Version 2 as a deploy that failed after its first statement.
    const BROKEN: Module = Module {
        migrations: &[
            V2.migrations[0],
            &[
                "ALTER TABLE m1 ADD COLUMN b INTEGER NOT NULL DEFAULT 0",
                "NOT SQL",
            ],
        ],
        ..V2
    };
    let fresh = by_baseline(&[&V2]);
    assert_eq!(versions(&fresh), [("m".into(), 2)]);

    let half = Sqlite::open();
    half.raw(OLD_VERSIONS_TABLE);
    let v1 = Module {
        name: V2.name,
        migrations: &V2.migrations[..1],
        baseline: &[],
    };
    Tables::default().ensure(&half, &[&v1]).unwrap();
    half.run("INSERT INTO m1 (k, a) VALUES ('kept', 7)", Vec::new())
        .unwrap();
    assert!(Tables::default().ensure(&half, &[&BROKEN]).is_err());
    assert_eq!(versions(&half), [("m".into(), 1)], "rolled back whole");
    Tables::default().ensure(&half, &[&V2]).unwrap();
    assert_eq!(versions(&half), [("m".into(), 2)]);
    assert_eq!(schema(&half).0, schema(&fresh).0);
    let kept: Vec<(String, i64, i64)> = half.rows("SELECT k, a, b FROM m1", Vec::new()).unwrap();
    assert_eq!(kept, [("kept".to_owned(), 7, 0)]);
}

/// Every module of every object: where it has a baseline, a new object's tables are the
/// migrated ones (a baseline added later is checked here without a test of its own).
#[test]
fn every_baseline_ends_where_its_migrations_do() {
    use pharmedge::objects::{
        campaign, catalog, dead_letters, member, order, referral_registry, store,
    };
    let modules: &[&'static Module] = &[
        &POINTS,
        &member::repo::EVENTS,
        &member::coupons::MODULE,
        &member::referral::MODULE,
        &member::tiers::MODULE,
        &member::exchange::MODULE,
        &member::prescriptions::MODULE,
        &member::coupon_attribution::MODULE,
        &member::erasure::MODULE,
        &outbox::MODULE,
        &order::repo::MODULE,
        &order::repo::EVENTS,
        &order::repo::PICKUPS,
        &order::attribution::MODULE,
        &campaign::head::MODULE,
        &campaign::stock::MODULE,
        &campaign::directory::MODULE,
        &catalog::repo::MODULE,
        &dead_letters::repo::MODULE,
        &referral_registry::repo::MODULE,
        &store::repo::MODULE,
    ];
    let mut squashed = 0;
    for module in modules {
        let new = by_baseline(&[module]);
        let old = by_history(&[module]);
        assert_eq!(schema(&new).0, schema(&old).0, "{}", module.name);
        assert_eq!(versions(&new), versions(&old), "{}", module.name);
        squashed += usize::from(!module.baseline.is_empty());
    }
    assert!(squashed >= 1);
}
