//! The transactional outbox every object uses: rows are written in the same transaction as
//! the state change they report, then drained by the object's alarm with exponential backoff.
//!
//! A row goes either to the core system (`/orders`, `/events`, signed) or to another Durable
//! Object (a command that must follow a change here, such as giving a coupon back when an
//! order is cancelled). A delivery refused for good, or out of attempts, stays here as
//! `dead` and is reported to the dead-letter registry, from where an operator replays it.

use super::dead_letters::{self, DeadLetter};
use super::rpc;
use super::sql::internal;
use crate::config::Config;
use crate::core_link;
use crate::domain::delivery::Outcome;
use crate::domain::time::Instant;
use crate::http::error::ApiError;
use crate::http::request::wall_now;
use serde::Deserialize;
use std::rc::Rc;
use worker::{Env, SqlStorage, State, Storage};

pub mod queue;
mod replay;
pub use queue::{enqueue, enqueue_command, enqueue_event, Destination, MODULE};
pub use replay::{serve_replay, ReplayCommand, ReplayReply};

/// Where an object's replay requests arrive (see `serve_replay`).
pub const REPLAY_PATH: &str = "/outbox/replay";

const BATCH: i64 = 50;
/// Added to the core's timeout for how long a delivery in progress holds its row.
const LEASE_MARGIN_MS: i64 = 5_000;
/// How soon a dead letter whose report to the registry failed is reported again.
const REPORT_RETRY_MS: i64 = 5_000;

/// Which object an outbox belongs to, so that its dead letters can be replayed.
#[derive(Debug, Clone)]
pub struct Origin {
    pub binding: &'static str,
    /// The object's id (hex), from `state.id()`.
    pub object_id: String,
}

impl Origin {
    /// The object behind `state`, bound as `binding`.
    pub fn of(binding: &'static str, state: &worker::State) -> Self {
        Origin {
            binding,
            object_id: state.id().to_string(),
        }
    }
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

/// Makes sure the alarm fires by the time the earliest pending delivery (or unreported dead
/// letter) is due.
pub async fn ensure_alarm(storage: &Storage) -> Result<(), ApiError> {
    match earliest(storage)? {
        Some(next_ms) => schedule_alarm(storage, next_ms).await,
        None => Ok(()),
    }
}

/// When the earliest pending delivery (or unreported dead letter) is due, if any.
fn earliest(storage: &Storage) -> Result<Option<i64>, ApiError> {
    let earliest: Vec<Earliest> = storage
        .sql()
        .exec(
            "SELECT MIN(next_attempt_ms) AS next_ms FROM outbox WHERE state = 'pending' OR (state = 'dead' AND reported = 0)",
            None,
        )
        .and_then(|cursor| cursor.to_array())
        .map_err(internal("outbox earliest"))?;
    Ok(earliest
        .first()
        .and_then(|row| row.next_ms)
        .map(|ms| ms as i64))
}

/// How long a delivery in progress holds its row: the core's timeout and a margin.
fn lease_ms(config: &Config) -> i64 {
    config.core_timeout_ms.max(1) + LEASE_MARGIN_MS
}

/// After a command committed rows to the outbox: arms the alarm as the retry path (before
/// the answer, so a 2xx still means the rows will be delivered even if the object dies now)
/// and delivers what is due right after the answer, in the same wake of the object. The
/// alarm then fires only if that delivery did not settle everything: an object woken again
/// by its alarm only to deliver stays open twice as long, and open objects are what a
/// runtime runs out of (README, "Capacity"). `outbox_owns_alarm`: nothing but the outbox
/// uses this object's alarm, so it may be removed once the outbox is settled.
pub async fn deliver_after_answer(
    state: &State,
    env: &Env,
    config: Rc<Config>,
    origin: Origin,
    outbox_owns_alarm: bool,
) -> Result<(), ApiError> {
    let storage = state.storage();
    let Some(next_ms) = earliest(&storage)? else {
        return Ok(());
    };
    let now_ms = wall_now().timestamp_millis();
    if next_ms > now_ms {
        return schedule_alarm(&storage, next_ms).await;
    }
    schedule_alarm(&storage, now_ms + lease_ms(&config)).await?;
    let env = env.clone();
    state.wait_until(async move {
        let settled = match drain(&storage, &env, &config, &origin).await {
            Ok(_) if outbox_owns_alarm => settle_alarm(&storage).await,
            Ok(_) => Ok(()),
            Err(error) => Err(error),
        };
        if let Err(error) = settled {
            worker::console_error!("delivery after the answer: {error:?} (the alarm retries)");
        }
    });
    Ok(())
}

/// Sets the alarm exactly to the outbox's next due time, or removes it when nothing is due.
async fn settle_alarm(storage: &Storage) -> Result<(), ApiError> {
    match earliest(storage)? {
        Some(next_ms) => {
            let at = chrono::DateTime::from_timestamp_millis(next_ms).unwrap_or_default();
            storage.set_alarm(at).await.map_err(internal("set alarm"))
        }
        None => storage
            .delete_alarm()
            .await
            .map_err(internal("delete alarm")),
    }
}

/// Moves the object's alarm earlier to `at_ms` if it is not already due by then.
pub async fn schedule_alarm(storage: &Storage, at_ms: i64) -> Result<(), ApiError> {
    let current = storage.get_alarm().await.map_err(internal("get alarm"))?;
    if current.is_none_or(|scheduled| scheduled > at_ms) {
        let at = chrono::DateTime::from_timestamp_millis(at_ms).unwrap_or_default();
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

async fn attempt(env: &Env, config: &Config, delivery: &Due) -> Outcome {
    match Destination::parse(&delivery.target) {
        Some(Destination::Core(target)) => {
            core_link::deliver(config, target, &delivery.key, &delivery.body).await
        }
        Some(Destination::Object { binding, name }) => {
            let Ok(command) = serde_json::from_str::<serde_json::Value>(&delivery.body) else {
                return Outcome::Permanent("unreadable command".into());
            };
            match rpc::call_object::<_, serde_json::Value>(env, &binding, &name, &command).await {
                Ok(_) => Outcome::Delivered,
                Err(error @ (ApiError::Unavailable | ApiError::Internal)) => {
                    Outcome::Retry(format!("{binding} object answered {}", error.code()))
                }
                Err(error) => {
                    Outcome::Permanent(format!("{binding} object refused: {}", error.code()))
                }
            }
        }
        None => Outcome::Permanent(format!("unknown target {:?}", delivery.target)),
    }
}

/// Delivers what is due (the alarm handler), reports new dead letters, then schedules the
/// next alarm. Returns the keys delivered in this run.
pub async fn drain(
    storage: &Storage,
    env: &Env,
    config: &Config,
    origin: &Origin,
) -> Result<Vec<String>, ApiError> {
    let sql = storage.sql();
    let now_ms = wall_now().timestamp_millis();
    let due: Vec<Due> = sql
        .exec(
            "SELECT key, target, body, attempts FROM outbox WHERE state = 'pending' AND next_attempt_ms <= ? ORDER BY next_attempt_ms, created_ms LIMIT ?",
            vec![now_ms.into(), BATCH.into()],
        )
        .and_then(|cursor| cursor.to_array())
        .map_err(internal("outbox due"))?;
    // Leased before the first await: a drain running beside this one (the alarm and a
    // delivery right after an answer) skips these rows; if this object dies mid-delivery,
    // the alarm takes them up again when the lease ends.
    let lease_end_ms = now_ms + lease_ms(config);
    for delivery in &due {
        sql.exec(
            "UPDATE outbox SET next_attempt_ms = ? WHERE key = ?",
            vec![lease_end_ms.into(), delivery.key.clone().into()],
        )
        .map_err(internal("outbox lease"))?;
    }
    let mut delivered = Vec::new();
    for delivery in due {
        let outcome = attempt(env, config, &delivery).await;
        let attempts = delivery.attempts as u32 + 1;
        let attempted_ms = wall_now().timestamp_millis();
        let result = match outcome {
            Outcome::Delivered => {
                delivered.push(delivery.key.clone());
                sql.exec("DELETE FROM outbox WHERE key = ?", vec![delivery.key.clone().into()])
            }
            Outcome::Retry(error) if !config.retry.exhausted(attempts) => {
                let next_ms = attempted_ms + config.retry.delay_ms(attempts, jitter_unit(&delivery.key, attempts));
                sql.exec(
                    "UPDATE outbox SET attempts = ?, next_attempt_ms = ?, last_error = ?, first_attempt_ms = COALESCE(first_attempt_ms, ?) WHERE key = ?",
                    vec![i64::from(attempts).into(), next_ms.into(), error.into(), attempted_ms.into(), delivery.key.clone().into()],
                )
            }
            Outcome::Retry(error) | Outcome::Permanent(error) => sql.exec(
                "UPDATE outbox SET state = 'dead', reported = 0, next_attempt_ms = ?, attempts = ?, last_error = ?, first_attempt_ms = COALESCE(first_attempt_ms, ?) WHERE key = ?",
                vec![attempted_ms.into(), i64::from(attempts).into(), error.into(), attempted_ms.into(), delivery.key.clone().into()],
            ),
        };
        result.map_err(internal("outbox update"))?;
    }
    report_dead(&sql, env, origin, now_ms).await?;
    ensure_alarm(storage).await?;
    Ok(delivered)
}

#[derive(Deserialize)]
struct DeadRow {
    key: String,
    kind: String,
    attempts: i64,
    last_error: Option<String>,
    first_attempt_ms: Option<i64>,
}

/// Tells the registry about dead rows it has not heard of; a failed report is tried again.
async fn report_dead(
    sql: &SqlStorage,
    env: &Env,
    origin: &Origin,
    now_ms: i64,
) -> Result<(), ApiError> {
    let dead: Vec<DeadRow> = sql
        .exec(
            "SELECT key, kind, attempts, last_error, first_attempt_ms FROM outbox WHERE state = 'dead' AND reported = 0 AND next_attempt_ms <= ? LIMIT ?",
            vec![now_ms.into(), BATCH.into()],
        )
        .and_then(|cursor| cursor.to_array())
        .map_err(internal("outbox dead"))?;
    for row in dead {
        let letter = DeadLetter {
            id: dead_letters::letter_id(&origin.object_id, &row.key),
            kind: row.kind,
            attempts: row.attempts,
            last_error: row.last_error.unwrap_or_default(),
            first_attempt_at: Instant::from_millis(row.first_attempt_ms.unwrap_or(now_ms)),
            key: row.key.clone(),
            origin_binding: origin.binding.to_owned(),
            origin_id: origin.object_id.clone(),
        };
        let update = match dead_letters::record(env, letter).await {
            Ok(()) => sql.exec(
                "UPDATE outbox SET reported = 1 WHERE key = ? AND state = 'dead'",
                vec![row.key.into()],
            ),
            Err(_) => sql.exec(
                "UPDATE outbox SET next_attempt_ms = ? WHERE key = ? AND state = 'dead'",
                vec![(now_ms + REPORT_RETRY_MS).into(), row.key.into()],
            ),
        };
        update.map_err(internal("outbox reported"))?;
    }
    Ok(())
}
