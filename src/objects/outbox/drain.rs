//! The drain's transactions over the seam: take what is due under a lease, settle each
//! attempt as `domain::delivery::settle` decides, list the dead rows the registry has not
//! heard of, replay one. The attempts themselves (fetch, calls to objects) and the alarm are
//! the runtime's (`outbox.rs`); everything here runs natively against real SQLite.

use crate::domain::delivery::{RowState, Settle, BATCH, REPORT_RETRY_MS};
use crate::http::error::ApiError;
use crate::objects::seam::{FromRow, Row, Sql, SqlError, Transact};

crate::stored_names!(RowState {
    Pending => "pending",
    Dead => "dead",
});

/// A row due for an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub key: String,
    /// `Destination::encode`d.
    pub target: String,
    pub body: String,
    /// Failed attempts so far.
    pub attempts: u32,
}

impl FromRow for Due {
    fn from_row(mut row: Row) -> Result<Self, SqlError> {
        Ok(Due {
            key: row.get(0)?,
            target: row.get(1)?,
            body: row.get(2)?,
            attempts: row.get(3)?,
        })
    }
}

/// A dead row the dead-letter registry has not acknowledged yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreported {
    pub key: String,
    pub kind: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub first_attempt_ms: Option<i64>,
}

impl FromRow for Unreported {
    fn from_row(mut row: Row) -> Result<Self, SqlError> {
        Ok(Unreported {
            key: row.get(0)?,
            kind: row.get(1)?,
            attempts: row.get(2)?,
            last_error: row.get(3)?,
            first_attempt_ms: row.get(4)?,
        })
    }
}

/// When the outbox next has work: the earliest pending delivery, the earliest dead row to
/// report to the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NextDue {
    pub delivery_ms: Option<i64>,
    pub report_ms: Option<i64>,
}

impl NextDue {
    /// What the alarm must fire by.
    pub fn earliest(&self) -> Option<i64> {
        match (self.delivery_ms, self.report_ms) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether a dead row waits to be reported at `now_ms`.
    pub fn report_due(&self, now_ms: i64) -> bool {
        self.report_ms.is_some_and(|at| at <= now_ms)
    }
}

/// Both of `NextDue` in one statement (one text, prepared once per object, for every read
/// of when the outbox is due).
pub fn next_due(sql: &impl Sql) -> Result<NextDue, ApiError> {
    let row: Option<(Option<i64>, Option<i64>)> = sql.row(
        "SELECT MIN(CASE WHEN state = ? THEN next_attempt_ms END),
            MIN(CASE WHEN state = ? AND reported = 0 THEN next_attempt_ms END)
         FROM outbox",
        vec![RowState::Pending.into(), RowState::Dead.into()],
    )?;
    Ok(
        row.map_or_else(NextDue::default, |(delivery_ms, report_ms)| NextDue {
            delivery_ms,
            report_ms,
        }),
    )
}

/// When the earliest pending delivery (or unreported dead letter) is due, if any: what the
/// alarm must fire by.
pub fn earliest(sql: &impl Sql) -> Result<Option<i64>, ApiError> {
    Ok(next_due(sql)?.earliest())
}

/// The rows due at `now_ms` (oldest due first, at most a batch), each leased until
/// `now_ms + lease_ms` in the same transaction: a drain running beside this one skips them,
/// and if this object dies between sending and settling, the lease's end makes them due again.
pub fn take_due(db: &impl Transact, now_ms: i64, lease_ms: i64) -> Result<Vec<Due>, ApiError> {
    db.atomically(|| {
        let due: Vec<Due> = db.rows(
            "SELECT key, target, body, attempts FROM outbox WHERE state = ? AND next_attempt_ms <= ? ORDER BY next_attempt_ms, created_ms LIMIT ?",
            vec![RowState::Pending.into(), now_ms.into(), BATCH.into()],
        )?;
        for row in &due {
            db.run(
                "UPDATE outbox SET next_attempt_ms = ? WHERE key = ?",
                vec![(now_ms + lease_ms).into(), row.key.as_str().into()],
            )?;
        }
        Ok(due)
    })
}

/// Writes what an attempt of `key` at `attempted_ms` came to.
pub fn settle(
    sql: &impl Sql,
    key: &str,
    settled: Settle,
    attempted_ms: i64,
) -> Result<(), ApiError> {
    match settled {
        Settle::Delete => sql.run("DELETE FROM outbox WHERE key = ?", vec![key.into()]),
        Settle::Retry {
            attempts,
            next_ms,
            error,
        } => sql.run(
            "UPDATE outbox SET attempts = ?, next_attempt_ms = ?, last_error = ?, first_attempt_ms = COALESCE(first_attempt_ms, ?) WHERE key = ?",
            vec![attempts.into(), next_ms.into(), error.into(), attempted_ms.into(), key.into()],
        ),
        Settle::Dead { attempts, error } => sql.run(
            "UPDATE outbox SET state = ?, reported = 0, next_attempt_ms = ?, attempts = ?, last_error = ?, first_attempt_ms = COALESCE(first_attempt_ms, ?) WHERE key = ?",
            vec![RowState::Dead.into(), attempted_ms.into(), attempts.into(), error.into(), attempted_ms.into(), key.into()],
        ),
    }?;
    Ok(())
}

/// Dead rows due to be reported to the registry (at most a batch).
pub fn unreported(sql: &impl Sql, now_ms: i64) -> Result<Vec<Unreported>, ApiError> {
    Ok(sql.rows(
        "SELECT key, kind, attempts, last_error, first_attempt_ms FROM outbox WHERE state = ? AND reported = 0 AND next_attempt_ms <= ? LIMIT ?",
        vec![RowState::Dead.into(), now_ms.into(), BATCH.into()],
    )?)
}

/// The registry heard of the dead row `key`, or (`acknowledged` false) could not be told: it
/// is told again `REPORT_RETRY_MS` after `now_ms`. A row replayed meanwhile is left alone.
pub fn reported(
    sql: &impl Sql,
    key: &str,
    acknowledged: bool,
    now_ms: i64,
) -> Result<(), ApiError> {
    if acknowledged {
        sql.run(
            "UPDATE outbox SET reported = 1 WHERE key = ? AND state = ?",
            vec![key.into(), RowState::Dead.into()],
        )?;
    } else {
        sql.run(
            "UPDATE outbox SET next_attempt_ms = ? WHERE key = ? AND state = ?",
            vec![
                (now_ms + REPORT_RETRY_MS).into(),
                key.into(),
                RowState::Dead.into(),
            ],
        )?;
    }
    Ok(())
}

/// A dead row becomes pending again, due now with a fresh count of attempts. False when no
/// dead row had this key (replayed already, or never dead): a replay happens once.
pub fn replay(sql: &impl Sql, key: &str, now_ms: i64) -> Result<bool, ApiError> {
    let written = sql.run(
        "UPDATE outbox SET state = ?, attempts = 0, reported = 0, next_attempt_ms = ? WHERE key = ? AND state = ?",
        vec![
            RowState::Pending.into(),
            now_ms.into(),
            key.into(),
            RowState::Dead.into(),
        ],
    )?;
    Ok(written > 0)
}
