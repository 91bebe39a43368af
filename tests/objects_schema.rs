//! Tables created when first needed (objects::schema): what a new object and a known one
//! run, counted statement by statement against real SQLite, and the versions recorded.
#![cfg(not(target_arch = "wasm32"))]

mod seam;

use pharmedge::objects::schema::{Module, Tables};
use pharmedge::objects::seam::{FromRow, Sql, SqlError, Transact, Value};
use seam::Sqlite;
use std::cell::RefCell;

const A: Module = Module {
    name: "a",
    migrations: &[
        &[
            "CREATE TABLE IF NOT EXISTS a1 (k TEXT PRIMARY KEY)",
            "CREATE INDEX IF NOT EXISTS a1_k ON a1 (k)",
        ],
        &["ALTER TABLE a1 ADD COLUMN v INTEGER"],
    ],
    baseline: &[],
};
const B: Module = Module {
    name: "b",
    migrations: &[&["CREATE TABLE IF NOT EXISTS b1 (k TEXT PRIMARY KEY)"]],
    baseline: &[],
};
/// B at version 2: a later migration, appended.
const B2: Module = Module {
    name: "b",
    migrations: &[
        &["CREATE TABLE IF NOT EXISTS b1 (k TEXT PRIMARY KEY)"],
        &["ALTER TABLE b1 ADD COLUMN v INTEGER"],
    ],
    baseline: &[],
};

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

fn versions(db: &Sqlite) -> Vec<(String, u32)> {
    db.rows(
        "SELECT module, version FROM schema_versions ORDER BY module",
        Vec::new(),
    )
    .unwrap()
}

#[test]
fn a_new_object_reads_once_then_creates_the_versions_table_its_modules_and_one_record() {
    let db = Sqlite::open();
    let counting = Counting::new(&db);
    let tables = Tables::default();
    tables.ensure(&counting, &[&A, &B]).unwrap();
    let ran = counting.taken();
    assert_eq!(ran.len(), 1 + 1 + 3 + 1 + 1, "{ran:#?}");
    assert!(ran[0].starts_with("SELECT module, version FROM schema_versions"));
    assert!(ran[1].contains("CREATE TABLE IF NOT EXISTS schema_versions"));
    assert!(ran[6].starts_with("INSERT INTO schema_versions") && ran[6].contains("(?, ?), (?, ?)"));
    assert_eq!(versions(&db), [("a".into(), 2), ("b".into(), 1)]);
    db.run("INSERT INTO a1 (k, v) VALUES ('x', 1)", Vec::new())
        .unwrap();

    // Known now: nothing runs, not even a read.
    tables.ensure(&counting, &[&A, &B]).unwrap();
    assert!(counting.taken().is_empty());
}

#[test]
fn a_known_object_adds_a_module_without_recreating_the_versions_table() {
    let db = Sqlite::open();
    Tables::default().ensure(&db, &[&A]).unwrap();
    // Another instance (the object woke again): one read, then only B's table and record.
    let counting = Counting::new(&db);
    let tables = Tables::default();
    tables.ensure(&counting, &[&A, &B]).unwrap();
    let ran = counting.taken();
    assert_eq!(ran.len(), 3, "{ran:#?}");
    assert!(ran[1].contains("CREATE TABLE IF NOT EXISTS b1"));
    assert!(!ran.iter().any(|s| s.contains("EXISTS schema_versions")));
    assert_eq!(versions(&db), [("a".into(), 2), ("b".into(), 1)]);

    // A later migration of B runs once, and records B's new version over the old.
    tables.ensure(&counting, &[&B2]).unwrap();
    let ran = counting.taken();
    assert_eq!(ran.len(), 2, "{ran:#?}");
    assert_eq!(versions(&db), [("a".into(), 2), ("b".into(), 2)]);
    db.run("INSERT INTO b1 (k, v) VALUES ('x', 1)", Vec::new())
        .unwrap();
    assert!(
        Tables::default().ensure(&db, &[&B]).is_err(),
        "a newer stored version is refused"
    );
}

#[test]
fn a_failed_migration_records_nothing_and_is_tried_again() {
    let db = Sqlite::open();
    const BROKEN: Module = Module {
        name: "broken",
        migrations: &[&["CREATE TABLE IF NOT EXISTS c1 (k)", "NOT SQL"]],
        baseline: &[],
    };
    let tables = Tables::default();
    assert!(tables.ensure(&db, &[&BROKEN]).is_err());
    // Rolled back whole: no table, no record; the next command creates both.
    assert!(db
        .rows::<(String,)>(
            "SELECT name FROM sqlite_master WHERE name = 'c1'",
            Vec::new()
        )
        .unwrap()
        .is_empty());
    tables.ensure(&db, &[&A]).unwrap();
    assert_eq!(versions(&db), [("a".into(), 2)]);
}
