//! Tables created when first needed, with numbered migrations.
//!
//! Every table an object holds costs memory for as long as the object is open (SQLite keeps
//! the parsed schema of each connection), so an object creates only the tables of the
//! modules it has used. Each module of an object declares a [`Module`]: a name and its
//! migrations, numbered from 1. Before a command touches a module's tables, the object calls
//! [`Tables::ensure`] with the modules the command needs; missing migrations run in one
//! transaction and the module's version is recorded in `schema_versions`. Nothing runs on a
//! wake: the versions are read once per object instance, on first use.
//!
//! Rules for migrations: never edit a published one, append a new one. Migration 1 of a
//! module must be idempotent (`IF NOT EXISTS`), because objects created before this mechanism
//! hold the tables without a version record; every later migration runs exactly once.
//!
//! A module may also carry a baseline: its latest schema squashed, which a module that has
//! run none of its migrations gets instead of all of them (a new object: fewer statements,
//! and the tables stored as cheaply as SQLite allows, e.g. `WITHOUT ROWID`). When a
//! migration is appended, the baseline follows it; tests/objects_schema_baseline.rs checks
//! that both roads end with the same tables, columns, indexes and constraints.

pub use crate::domain::migrations::Module;
use crate::domain::migrations::{plan, VERSIONS_TABLE};
use crate::http::error::ApiError;
use crate::objects::seam::{log_error, Sql, SqlError, Transact, Value};
use std::cell::RefCell;
use std::collections::BTreeMap;

/// Kept among the versions (never a module's name, which plans ignore when unknown, older
/// builds too): this object held no table when its first were created.
pub const ALL_RECORDED: &str = "(all recorded)";

impl Tables {
    /// Creates or migrates the tables of `modules` if this object has not yet.
    pub fn ensure(&self, sql: &impl Transact, modules: &[&Module]) -> Result<(), ApiError> {
        self.ensure_noting(sql, modules, false).map(drop)
    }

    /// `ensure`, and on an object without version records (new, or from before them) first
    /// looks whether it holds any table at all. Answers true when it held none: the tables
    /// of `modules` were created in this call and hold no row until the caller writes (it
    /// must then write before anything else can run on the object, i.e. without an await in
    /// between). Such an object records [`ALL_RECORDED`] with the versions: every table it
    /// will ever hold comes from a version record (`all_recorded`).
    pub fn ensure_noting_empty(
        &self,
        sql: &impl Transact,
        modules: &[&Module],
    ) -> Result<bool, ApiError> {
        self.ensure_noting(sql, modules, true)
    }

    fn ensure_noting(
        &self,
        sql: &impl Transact,
        modules: &[&Module],
        note_empty: bool,
    ) -> Result<bool, ApiError> {
        let known = self.known(sql)?;
        let steps = plan(&known, modules).map_err(|err| {
            log_error(&format!("schema: {err:?}"));
            ApiError::Internal
        })?;
        if steps.is_empty() {
            return Ok(false);
        }
        let mut applied: Vec<(&'static str, u32)> =
            steps.iter().map(|s| (s.module, s.to_version)).collect();
        // A statement costs a crossing into the runtime and SQLite's parse: the versions
        // table is created only when the read found none, and all versions are one upsert.
        let versions_table_exists = *self.table_exists.borrow();
        let look_for_tables = note_empty && !versions_table_exists;
        let empty = sql.atomically(|| {
            // The runtime's own tables (`_cf_…`, e.g. an alarm's) are not the object's.
            let empty = look_for_tables
                && sql
                    .row::<(i64,)>(
                        "SELECT 1 FROM sqlite_master WHERE name NOT LIKE '\\_cf\\_%' ESCAPE '\\' LIMIT 1",
                        Vec::new(),
                    )?
                    .is_none();
            if !versions_table_exists {
                sql.run(VERSIONS_TABLE, Vec::new())?;
            }
            for step in &steps {
                for statement in &step.statements {
                    sql.run(statement, Vec::new())?;
                }
            }
            let mut recorded = applied.clone();
            if empty {
                recorded.push((ALL_RECORDED, 1));
            }
            let (upsert, values) = record_versions(&recorded);
            sql.run(&upsert, values)?;
            Ok::<bool, SqlError>(empty)
        })?;
        if empty {
            applied.push((ALL_RECORDED, 1));
        }
        *self.table_exists.borrow_mut() = true;
        let mut versions = self.versions.borrow_mut();
        let versions = versions.get_or_insert_with(BTreeMap::new);
        for (module, version) in applied {
            versions.insert(module.to_owned(), version);
        }
        Ok(empty)
    }

    /// Whether every table this object holds was created with a version record: it held
    /// no table when it first created some (`ensure_noting_empty`). Then a table absent from
    /// the records is absent, with no need to look it up by name (objects from before the
    /// records may hold tables without one).
    pub fn all_recorded(&self, sql: &impl Sql) -> Result<bool, ApiError> {
        Ok(self.known(sql)?.contains_key(ALL_RECORDED))
    }

    /// Whether this object holds no version record at all: new, or created before this
    /// mechanism (then it holds every table its code used to create in its constructor).
    pub fn unversioned(&self, sql: &impl Sql) -> Result<bool, ApiError> {
        Ok(self.known(sql)?.is_empty())
    }

    /// Whether this object has ever created `module`'s tables (reads need not create them).
    pub fn has(&self, sql: &impl Sql, module: &Module) -> Result<bool, ApiError> {
        Ok(self.known(sql)?.contains_key(module.name))
    }

    fn known(&self, sql: &impl Sql) -> Result<BTreeMap<String, u32>, ApiError> {
        if let Some(versions) = self.versions.borrow().as_ref() {
            return Ok(versions.clone());
        }
        let rows: Vec<(String, u32)> =
            match sql.rows("SELECT module, version FROM schema_versions", Vec::new()) {
                Ok(rows) => {
                    *self.table_exists.borrow_mut() = true;
                    rows
                }
                // A new object (or one from before this mechanism) has no record yet.
                Err(err) if err.message.contains("no such table") => Vec::new(),
                Err(err) => return Err(err.into()),
            };
        let versions: BTreeMap<String, u32> = rows.into_iter().collect();
        *self.versions.borrow_mut() = Some(versions.clone());
        Ok(versions)
    }
}

/// An object's view of its own schema: which module is at which version. Held by the object
/// instance; a failed migration leaves it unchanged, so the next command tries again.
#[derive(Default)]
pub struct Tables {
    versions: RefCell<Option<BTreeMap<String, u32>>>,
    /// Whether `schema_versions` is known to exist (read, or created, by this instance).
    table_exists: RefCell<bool>,
}

/// One statement recording every module's new version.
fn record_versions(applied: &[(&'static str, u32)]) -> (String, Vec<Value>) {
    let rows = vec!["(?, ?)"; applied.len()].join(", ");
    let upsert = format!(
        "INSERT INTO schema_versions (module, version) VALUES {rows}
         ON CONFLICT (module) DO UPDATE SET version = excluded.version"
    );
    let values = applied
        .iter()
        .flat_map(|(module, version)| [(*module).into(), (*version).into()])
        .collect();
    (upsert, values)
}
