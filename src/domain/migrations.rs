//! Numbered schema migrations per module of a Durable Object, planned purely (the objects
//! run them; see `objects::schema`).

use std::collections::BTreeMap;

/// One module's tables: `migrations[n - 1]` brings the module from version `n - 1` to `n`.
pub struct Module {
    pub name: &'static str,
    pub migrations: &'static [&'static [&'static str]],
    /// The module's schema at its latest version, squashed, for an object that has run none
    /// of its migrations (empty: run them all). It may store the tables more cheaply
    /// (`WITHOUT ROWID`, no `AUTOINCREMENT`) but must hold the same tables, columns, indexes
    /// and constraints as the migrations (tests/objects_schema_baseline.rs). Every statement
    /// is idempotent (`IF NOT EXISTS`): an object from before the version records holds
    /// migration 1's tables without a record, and keeps them. So a baseline is only given to
    /// a module whose later migrations, if any, could not have been run by such an object.
    pub baseline: &'static [&'static str],
}

impl Module {
    pub const fn version(&self) -> u32 {
        self.migrations.len() as u32
    }
}

/// The record of which module is at which version. `WITHOUT ROWID`: one b-tree keyed by the
/// module, not a table and an index beside it (objects created before keep theirs: the same
/// columns and key, read and written by the same statements).
pub const VERSIONS_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_versions \
    (module TEXT PRIMARY KEY, version INTEGER NOT NULL) WITHOUT ROWID";

/// What to run for one module.
#[derive(Debug, PartialEq, Eq)]
pub struct Step {
    pub module: &'static str,
    pub statements: Vec<&'static str>,
    pub to_version: u32,
}

/// Why a plan cannot be made.
#[derive(Debug, PartialEq, Eq)]
pub enum PlanError {
    /// The stored version is newer than this code knows: a rollback of the code.
    NewerThanCode { module: &'static str, stored: u32 },
}

/// The migrations that bring `modules` from the `known` versions to this code's.
pub fn plan(known: &BTreeMap<String, u32>, modules: &[&Module]) -> Result<Vec<Step>, PlanError> {
    let mut steps = Vec::new();
    for module in modules {
        let stored = known.get(module.name).copied().unwrap_or(0);
        if stored > module.version() {
            return Err(PlanError::NewerThanCode {
                module: module.name,
                stored,
            });
        }
        if stored == module.version() || steps.iter().any(|s: &Step| s.module == module.name) {
            continue;
        }
        // A module never migrated here is created at its latest version in one go; one that
        // ran some migrations runs the rest, to the same end.
        let statements = if stored == 0 && !module.baseline.is_empty() {
            module.baseline.to_vec()
        } else {
            module.migrations[stored as usize..]
                .iter()
                .flat_map(|migration| migration.iter().copied())
                .collect()
        };
        steps.push(Step {
            module: module.name,
            statements,
            to_version: module.version(),
        });
    }
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Module = Module {
        name: "a",
        migrations: &[
            &["CREATE TABLE IF NOT EXISTS a1 (k)"],
            &["ALTER TABLE a1 ADD COLUMN v"],
        ],
        baseline: &[],
    };
    /// A with its migrations squashed.
    const A_SQUASHED: Module = Module {
        baseline: &["CREATE TABLE IF NOT EXISTS a1 (k, v)"],
        ..A
    };
    const B: Module = Module {
        name: "b",
        migrations: &[&[
            "CREATE TABLE IF NOT EXISTS b1 (k)",
            "CREATE INDEX b1k ON b1 (k)",
        ]],
        baseline: &[],
    };

    fn known(pairs: &[(&str, u32)]) -> BTreeMap<String, u32> {
        pairs.iter().map(|(m, v)| (m.to_string(), *v)).collect()
    }

    #[test]
    fn a_new_object_runs_every_migration_of_the_modules_asked_only() {
        let steps = plan(&known(&[]), &[&B]).unwrap();
        assert_eq!(
            steps,
            vec![Step {
                module: "b",
                statements: vec![
                    "CREATE TABLE IF NOT EXISTS b1 (k)",
                    "CREATE INDEX b1k ON b1 (k)"
                ],
                to_version: 1
            }]
        );
        let both = plan(&known(&[]), &[&A, &B]).unwrap();
        assert_eq!(
            both.iter().map(|s| s.module).collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert_eq!(both[0].statements.len(), 2);
        assert_eq!(both[0].to_version, 2);
    }

    #[test]
    fn an_older_module_runs_only_the_newer_migrations() {
        let steps = plan(&known(&[("a", 1)]), &[&A]).unwrap();
        assert_eq!(steps.len(), 1);
        assert_eq!(steps[0].statements, vec!["ALTER TABLE a1 ADD COLUMN v"]);
        assert_eq!(steps[0].to_version, 2);
    }

    #[test]
    fn a_current_module_runs_nothing_and_a_repeated_module_runs_once() {
        assert!(plan(&known(&[("a", 2), ("b", 1)]), &[&A, &B])
            .unwrap()
            .is_empty());
        assert_eq!(plan(&known(&[]), &[&B, &B]).unwrap().len(), 1);
    }

    #[test]
    fn a_new_module_runs_the_baseline_and_a_started_one_the_rest_of_its_migrations() {
        let fresh = plan(&known(&[]), &[&A_SQUASHED]).unwrap();
        assert_eq!(
            fresh[0].statements,
            vec!["CREATE TABLE IF NOT EXISTS a1 (k, v)"]
        );
        assert_eq!(fresh[0].to_version, 2);
        let started = plan(&known(&[("a", 1)]), &[&A_SQUASHED]).unwrap();
        assert_eq!(started[0].statements, vec!["ALTER TABLE a1 ADD COLUMN v"]);
        assert_eq!(started[0].to_version, 2);
        assert!(plan(&known(&[("a", 2)]), &[&A_SQUASHED])
            .unwrap()
            .is_empty());
    }

    #[test]
    fn a_version_newer_than_the_code_is_refused() {
        assert_eq!(
            plan(&known(&[("b", 2)]), &[&B]),
            Err(PlanError::NewerThanCode {
                module: "b",
                stored: 2
            })
        );
    }
}
