//! The outbox's runtime part: attempts over the network (the core, other objects) and the
//! object's alarm. What each attempt does to its row is `domain::delivery::settle`, written
//! by `drain`.

use super::drain::{self as rows};
use super::Destination;
use crate::config::Config;
use crate::core_link;
use crate::domain::alarm::{self, AlarmWrite};
use crate::domain::delivery::{self, Outcome};
use crate::domain::time::Instant;
use crate::http::error::ApiError;
use crate::http::request::wall_now;
use crate::objects::dead_letters::{self, DeadLetter};
use crate::objects::rpc;
use crate::objects::seam::durable::Durable;
use crate::objects::seam::{Sql, SqlError, Transact};
use std::rc::Rc;
use worker::{Env, State, Storage};

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

/// Makes sure the alarm fires by the time the earliest pending delivery (or unreported dead
/// letter) is due.
pub async fn ensure_alarm(storage: &Storage) -> Result<(), ApiError> {
    match rows::earliest(storage)? {
        Some(next_ms) => schedule_alarm(storage, next_ms).await,
        None => Ok(()),
    }
}

/// After a command committed rows to the outbox: arms the alarm as the retry path (before
/// the answer, so a 2xx still means the rows will be delivered even if the object dies now)
/// and delivers what is due right after the answer, in the same wake of the object. The
/// alarm then fires only if that delivery did not settle everything: an object woken again
/// by its alarm only to deliver stays open twice as long, and open objects are what a
/// runtime runs out of (README, "Capacity"). `other_work_pending` reads, from stored state,
/// whether other work of the object (a member's referral steps) waits on the same alarm; it
/// is asked right before each alarm write, with no await in between, so no other event of
/// the object interleaves (`domain::alarm` says what to write). Answers whether the outbox
/// was idle (nothing pending, no dead letter to report).
pub async fn deliver_after_answer(
    state: &State,
    db: &Durable,
    env: &Env,
    config: Rc<Config>,
    binding: &'static str,
    other_work_pending: impl Fn(&Durable) -> bool + 'static,
) -> Result<bool, ApiError> {
    let Some(next_ms) = rows::earliest(db)? else {
        return Ok(true);
    };
    let now_ms = wall_now().timestamp_millis();
    if next_ms > now_ms {
        schedule_alarm(&db.storage, next_ms).await?;
        return Ok(false);
    }
    let lease_end_ms = now_ms + delivery::lease_ms(config.core_timeout_ms);
    let before = alarm::before_delivery(lease_end_ms, other_work_pending(db));
    write_alarm(&db.storage, before).await?;
    let env = env.clone();
    let origin = Origin::of(binding, state);
    // The future outlives this call: its own handles.
    let db = Durable::new(state.storage());
    state.wait_until(async move {
        let settled = match deliver_due(&db, &env, &config, &origin).await {
            Ok((_, next_ms)) => {
                let after = alarm::after_delivery(next_ms, other_work_pending(&db));
                write_alarm(&db.storage, after).await
            }
            Err(error) => Err(error),
        };
        if let Err(error) = settled {
            worker::console_error!("delivery after the answer: {error:?} (the alarm retries)");
        }
    });
    Ok(false)
}

/// One write to the alarm, as `domain::alarm` decided it.
pub async fn write_alarm(storage: &Storage, write: AlarmWrite) -> Result<(), ApiError> {
    match write {
        AlarmWrite::Set(at_ms) => set_alarm(storage, at_ms).await,
        AlarmWrite::Earlier(at_ms) => schedule_alarm(storage, at_ms).await,
        AlarmWrite::Delete => storage.delete_alarm().await.map_err(alarm_failed),
        AlarmWrite::Keep => Ok(()),
    }
}

/// Logged, and 503 only when another attempt may succeed (as every storage failure).
fn alarm_failed(err: worker::Error) -> ApiError {
    SqlError::new("alarm", err.to_string()).into()
}

/// The latest alarm armed: the runtime refuses dates after 2189 ("This API doesn't support
/// dates after 2189"), and nothing this far ahead (a retention due centuries after a deadline
/// the core sent) needs waking for now.
const LATEST_ALARM_MS: i64 = 4_102_444_800_000; // 2100-01-01T00:00:00Z

async fn set_alarm(storage: &Storage, at_ms: i64) -> Result<(), ApiError> {
    if at_ms > LATEST_ALARM_MS {
        return Ok(());
    }
    let at = chrono::DateTime::from_timestamp_millis(at_ms).unwrap_or_default();
    storage.set_alarm(at).await.map_err(alarm_failed)
}

/// Moves the object's alarm earlier to `at_ms` if it is not already due by then.
pub async fn schedule_alarm(storage: &Storage, at_ms: i64) -> Result<(), ApiError> {
    let current = storage.get_alarm().await.map_err(alarm_failed)?;
    if current.is_none_or(|scheduled| scheduled > at_ms) {
        set_alarm(storage, at_ms).await?;
    }
    Ok(())
}

async fn attempt(env: &Env, config: &Config, due: &rows::Due) -> Outcome {
    match Destination::parse(&due.target) {
        Some(Destination::Core(target)) => {
            core_link::deliver(config, target, &due.key, &due.body).await
        }
        Some(Destination::Object { binding, name }) => {
            let Ok(command) = serde_json::from_str::<serde_json::Value>(&due.body) else {
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
        None => Outcome::Permanent(format!("unknown target {:?}", due.target)),
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
    let (delivered, next_ms) = deliver_due(storage, env, config, origin).await?;
    if let Some(next_ms) = next_ms {
        schedule_alarm(storage, next_ms).await?;
    }
    Ok(delivered)
}

/// One round: take what is due under a lease, attempt each, settle each as the policy says,
/// report new dead letters. Answers the keys delivered and when the next row is due.
pub async fn deliver_due(
    db: &impl Transact,
    env: &Env,
    config: &Config,
    origin: &Origin,
) -> Result<(Vec<String>, Option<i64>), ApiError> {
    let now_ms = wall_now().timestamp_millis();
    let due = rows::take_due(db, now_ms, delivery::lease_ms(config.core_timeout_ms))?;
    let mut delivered = Vec::new();
    for row in due {
        let outcome = attempt(env, config, &row).await;
        if outcome == Outcome::Delivered {
            delivered.push(row.key.clone());
        }
        let attempted_ms = wall_now().timestamp_millis();
        let settled =
            delivery::settle(&config.retry, &row.key, row.attempts, outcome, attempted_ms);
        rows::settle(db, &row.key, settled, attempted_ms)?;
    }
    // One read says when the outbox is next due and whether a dead row waits to be
    // reported now (the registry's list is read only then).
    let next = rows::next_due(db)?;
    if !next.report_due(now_ms) {
        return Ok((delivered, next.earliest()));
    }
    report_dead(db, env, origin, now_ms).await?;
    Ok((delivered, rows::earliest(db)?))
}

/// Tells the registry about dead rows it has not heard of; a failed report is tried again.
async fn report_dead(
    db: &impl Sql,
    env: &Env,
    origin: &Origin,
    now_ms: i64,
) -> Result<(), ApiError> {
    for row in rows::unreported(db, now_ms)? {
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
        let acknowledged = dead_letters::record(env, letter).await.is_ok();
        rows::reported(db, &row.key, acknowledged, now_ms)?;
    }
    Ok(())
}
