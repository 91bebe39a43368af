//! The registry's tables and its transactions over the seam (each command is one).

use super::protocol::{Begun, DeadLetter, ReplayRecord, ReplayRequest};
use crate::domain::time::Instant;
use crate::http::error::ApiError;
use crate::objects::schema::Module;
use crate::objects::seam::{FromRow, Row, Sql, SqlError};

/// The index of dead deliveries, and the audit of replays (who, when, what) with the
/// Idempotency-Key each was asked with.
pub const MODULE: Module = Module {
    name: "dead_letters",
    migrations: &[&[
        "CREATE TABLE IF NOT EXISTS dead_letters (
            id TEXT PRIMARY KEY,
            letter TEXT NOT NULL,
            dead_ms INTEGER NOT NULL,
            replaying INTEGER NOT NULL DEFAULT 0
        )",
        "CREATE TABLE IF NOT EXISTS replays (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            idem_key TEXT UNIQUE,
            letter_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            delivery_key TEXT NOT NULL,
            actor TEXT NOT NULL,
            at_ms INTEGER NOT NULL
        )",
    ]],
    baseline: &[],
};

impl FromRow for ReplayRecord {
    fn from_row(mut row: Row) -> Result<Self, SqlError> {
        Ok(ReplayRecord {
            id: row.get(0)?,
            kind: row.get(1)?,
            actor: row.get(2)?,
            at: Instant::from_millis(row.get(3)?),
            key: row.get(4)?,
        })
    }
}

fn letters(
    sql: &impl Sql,
    query: &str,
    key: crate::objects::seam::Value,
) -> Result<Vec<DeadLetter>, ApiError> {
    let rows: Vec<(String,)> = sql.rows(query, vec![key])?;
    rows.iter()
        .map(|(letter,)| {
            serde_json::from_str(letter)
                .map_err(|_| SqlError::shape("dead letter", "unreadable letter".into()).into())
        })
        .collect()
}

/// A delivery died. A new death replaces the row and clears `replaying`, so an `end_replay`
/// racing with it cannot forget it.
pub fn record(sql: &impl Sql, letter: &DeadLetter, now_ms: i64) -> Result<(), ApiError> {
    let text = serde_json::to_string(letter).map_err(|_| ApiError::Internal)?;
    sql.run(
        "INSERT OR REPLACE INTO dead_letters (id, letter, dead_ms, replaying) VALUES (?, ?, ?, 0)",
        vec![letter.id.as_str().into(), text.into(), now_ms.into()],
    )?;
    Ok(())
}

/// The letters not being replayed, oldest death first.
pub fn list(sql: &impl Sql, limit: i64) -> Result<Vec<DeadLetter>, ApiError> {
    letters(
        sql,
        "SELECT letter FROM dead_letters WHERE replaying = 0 ORDER BY dead_ms, id LIMIT ?",
        limit.into(),
    )
}

/// The latest replays, newest first.
pub fn replays(sql: &impl Sql, limit: i64) -> Result<Vec<ReplayRecord>, ApiError> {
    Ok(sql.rows(
        "SELECT letter_id, kind, actor, at_ms, delivery_key FROM replays ORDER BY seq DESC LIMIT ?",
        vec![limit.into()],
    )?)
}

/// A key that replayed this letter already repeats; a key that replayed another letter is
/// refused; otherwise the letter is marked as being replayed and handed out.
pub fn begin_replay(sql: &impl Sql, request: &ReplayRequest) -> Result<Begun, ApiError> {
    if let Some(key) = &request.idempotency_key {
        let seen: Option<(String,)> = sql.row(
            "SELECT letter_id FROM replays WHERE idem_key = ?",
            vec![key.as_str().into()],
        )?;
        if let Some((letter_id,)) = seen {
            return match letter_id == request.id {
                true => Ok(Begun::Repeat),
                false => Err(ApiError::IdempotencyKeyReused),
            };
        }
    }
    let found = letters(
        sql,
        "SELECT letter FROM dead_letters WHERE id = ?",
        request.id.as_str().into(),
    )?;
    let letter = found.into_iter().next().ok_or(ApiError::NotFound)?;
    sql.run(
        "UPDATE dead_letters SET replaying = 1 WHERE id = ?",
        vec![request.id.as_str().into()],
    )?;
    Ok(Begun::Start { letter })
}

/// The origin took the letter back: forget it (unless it died again meanwhile) and audit
/// the replay once per key.
pub fn end_replay(
    sql: &impl Sql,
    request: &ReplayRequest,
    letter: &DeadLetter,
    now_ms: i64,
) -> Result<(), ApiError> {
    sql.run(
        "DELETE FROM dead_letters WHERE id = ? AND replaying = 1",
        vec![request.id.as_str().into()],
    )?;
    sql.run(
        "INSERT OR IGNORE INTO replays (idem_key, letter_id, kind, delivery_key, actor, at_ms) VALUES (?, ?, ?, ?, ?, ?)",
        vec![
            request.idempotency_key.clone().into(),
            request.id.as_str().into(),
            letter.kind.as_str().into(),
            letter.key.as_str().into(),
            request.actor.as_str().into(),
            now_ms.into(),
        ],
    )?;
    Ok(())
}

/// The origin could not be reached: the letter is listed again.
pub fn abort_replay(sql: &impl Sql, id: &str) -> Result<(), ApiError> {
    sql.run(
        "UPDATE dead_letters SET replaying = 0 WHERE id = ?",
        vec![id.into()],
    )?;
    Ok(())
}
