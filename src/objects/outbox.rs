//! The transactional outbox every object uses: rows are written in the same transaction as
//! the state change they report, then drained by the object's alarm with exponential backoff.
//! A delivery the core refuses for good, or that runs out of attempts, stays as `dead` for an
//! operator to inspect and replay.

use super::sql::internal;
use crate::config::Config;
use crate::core_link::{self, Target};
use crate::domain::delivery::Outcome;
use crate::domain::events::OutboundEvent;
use crate::http::error::ApiError;
use crate::http::request::wall_now;
use serde::Deserialize;
use worker::{SqlStorage, Storage};

pub const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS outbox (
    key TEXT PRIMARY KEY,
    target TEXT NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    first_attempt_ms INTEGER,
    last_error TEXT
)";

const BATCH: i64 = 50;

/// Queues a delivery. The key is the idempotency key; queuing the same key twice is a no-op.
pub fn enqueue(
    sql: &SqlStorage,
    key: &str,
    target: Target,
    body: &str,
    now_ms: i64,
) -> Result<(), ApiError> {
    sql.exec(
        "INSERT OR IGNORE INTO outbox (key, target, body, next_attempt_ms, created_ms) VALUES (?, ?, ?, ?, ?)",
        vec![key.into(), target.as_str().into(), body.into(), now_ms.into(), now_ms.into()],
    )
    .map_err(internal("outbox enqueue"))?;
    Ok(())
}

pub fn enqueue_event(sql: &SqlStorage, event: &OutboundEvent, now_ms: i64) -> Result<(), ApiError> {
    let body = serde_json::to_string(event).map_err(|_| ApiError::Internal)?;
    enqueue(sql, &event.id, Target::Events, &body, now_ms)
}

#[derive(Deserialize)]
struct Due {
    key: String,
    target: String,
    body: String,
    attempts: i64,
}

#[derive(Deserialize)]
struct Earliest {
    next_ms: Option<f64>,
}

/// Makes sure the alarm fires by the time the earliest pending delivery is due.
pub async fn ensure_alarm(storage: &Storage) -> Result<(), ApiError> {
    let earliest: Vec<Earliest> = storage
        .sql()
        .exec(
            "SELECT MIN(next_attempt_ms) AS next_ms FROM outbox WHERE state = 'pending'",
            None,
        )
        .and_then(|cursor| cursor.to_array())
        .map_err(internal("outbox earliest"))?;
    let Some(next_ms) = earliest.first().and_then(|row| row.next_ms) else {
        return Ok(());
    };
    let current = storage.get_alarm().await.map_err(internal("get alarm"))?;
    if current.is_none_or(|scheduled| scheduled as f64 > next_ms) {
        let at = chrono::DateTime::from_timestamp_millis(next_ms as i64).unwrap_or_default();
        storage.set_alarm(at).await.map_err(internal("set alarm"))?;
    }
    Ok(())
}

fn jitter_unit(key: &str, attempts: u32) -> f64 {
    // Deterministic per delivery and attempt, spread over [0, 1).
    let hash = key.bytes().fold(
        u64::from(attempts).wrapping_add(1469598103934665603),
        |acc, b| (acc ^ u64::from(b)).wrapping_mul(1099511628211),
    );
    (hash % 10_000) as f64 / 10_000.0
}

/// Delivers what is due (the alarm handler), then schedules the next alarm.
pub async fn drain(storage: &Storage, config: &Config) -> Result<(), ApiError> {
    let sql = storage.sql();
    let now_ms = wall_now().timestamp_millis();
    let due: Vec<Due> = sql
        .exec(
            "SELECT key, target, body, attempts FROM outbox WHERE state = 'pending' AND next_attempt_ms <= ? ORDER BY next_attempt_ms, created_ms LIMIT ?",
            vec![now_ms.into(), BATCH.into()],
        )
        .and_then(|cursor| cursor.to_array())
        .map_err(internal("outbox due"))?;
    for delivery in due {
        let Some(target) = Target::parse(&delivery.target) else {
            continue;
        };
        let outcome = core_link::deliver(config, target, &delivery.key, &delivery.body).await;
        let attempts = delivery.attempts as u32 + 1;
        let attempted_ms = wall_now().timestamp_millis();
        let result = match outcome {
            Outcome::Delivered => sql.exec("DELETE FROM outbox WHERE key = ?", vec![delivery.key.clone().into()]),
            Outcome::Retry(error) if !config.retry.exhausted(attempts) => {
                let next_ms = attempted_ms + config.retry.delay_ms(attempts, jitter_unit(&delivery.key, attempts));
                sql.exec(
                    "UPDATE outbox SET attempts = ?, next_attempt_ms = ?, last_error = ?, first_attempt_ms = COALESCE(first_attempt_ms, ?) WHERE key = ?",
                    vec![i64::from(attempts).into(), next_ms.into(), error.into(), attempted_ms.into(), delivery.key.clone().into()],
                )
            }
            Outcome::Retry(error) | Outcome::Permanent(error) => sql.exec(
                "UPDATE outbox SET state = 'dead', attempts = ?, last_error = ?, first_attempt_ms = COALESCE(first_attempt_ms, ?) WHERE key = ?",
                vec![i64::from(attempts).into(), error.into(), attempted_ms.into(), delivery.key.clone().into()],
            ),
        };
        result.map_err(internal("outbox update"))?;
    }
    ensure_alarm(storage).await
}
