//! The dead-letter registry: one object that lists every delivery that gave up, whichever
//! object's outbox it lives in, and replays it there on an operator's request. The rows
//! themselves stay in their own outbox (the owner of the change); this is the index.

use super::outbox::{ReplayCommand, ReplayReply, REPLAY_PATH};
use super::rpc;
use super::schema::{Module, Tables};
use super::sql::internal;
use crate::config::{DEAD_LETTERS_NAME, DEAD_LETTERS_OBJECT};
use crate::domain::time::Instant;
use crate::http::error::ApiError;
use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Request, Response, SqlStorage, State};

/// The index of dead deliveries, and the audit of replays (who, when, what) with the
/// Idempotency-Key each was asked with.
const MODULE: Module = Module {
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
};

/// One replay in the audit trail.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReplayRecord {
    pub id: String,
    pub kind: String,
    pub actor: String,
    pub at: Instant,
    /// The delivery's Idempotency-Key (what the core dedupes on).
    pub key: String,
}

/// Who asks for a replay, and with which Idempotency-Key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReplayRequest {
    pub id: String,
    pub actor: String,
    pub idempotency_key: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
enum Begun {
    /// This key already replayed this letter: answer as the first time.
    Repeat,
    Start {
        letter: DeadLetter,
    },
}

/// One dead delivery, as the operator sees it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeadLetter {
    pub id: String,
    /// `order`, or the event type (`pickup.verified`), or the command kind.
    pub kind: String,
    pub attempts: i64,
    pub last_error: String,
    pub first_attempt_at: Instant,
    /// The delivery's Idempotency-Key.
    pub key: String,
    pub origin_binding: String,
    pub origin_id: String,
}

/// A stable id for a dead row: the same row dying again keeps its id.
pub fn letter_id(origin_id: &str, key: &str) -> String {
    crate::domain::ids::digest_id("dl", &[origin_id, key], 16)
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum DeadLetterCommand {
    Record {
        letter: DeadLetter,
        now_ms: i64,
    },
    List {
        limit: i64,
    },
    /// The latest replays, newest first.
    Replays {
        limit: i64,
    },
    /// A repeat of a key that replayed, or marks the letter as being replayed and returns it.
    BeginReplay {
        request: ReplayRequest,
    },
    /// Forgets a replayed letter (unless it died again meanwhile) and audits the replay.
    EndReplay {
        request: ReplayRequest,
        letter: Box<DeadLetter>,
        now_ms: i64,
    },
    /// The origin could not be reached: the letter is listed again.
    AbortReplay {
        id: String,
    },
}

#[derive(Deserialize)]
struct LetterRow {
    letter: String,
}

fn letters(
    sql: &SqlStorage,
    query: &str,
    bindings: Vec<worker::SqlStorageValue>,
) -> Result<Vec<DeadLetter>, ApiError> {
    let rows: Vec<LetterRow> = sql
        .exec(query, bindings)
        .and_then(|cursor| cursor.to_array())
        .map_err(internal("dead letters"))?;
    rows.iter()
        .map(|row| serde_json::from_str(&row.letter).map_err(|_| ApiError::Internal))
        .collect()
}

fn run(sql: &SqlStorage, command: DeadLetterCommand) -> Result<serde_json::Value, ApiError> {
    match command {
        DeadLetterCommand::Record { letter, now_ms } => {
            let text = serde_json::to_string(&letter).map_err(|_| ApiError::Internal)?;
            // A new death replaces the row and clears `replaying`, so an EndReplay racing
            // with it cannot forget it.
            sql.exec(
                "INSERT OR REPLACE INTO dead_letters (id, letter, dead_ms, replaying) VALUES (?, ?, ?, 0)",
                vec![letter.id.into(), text.into(), now_ms.into()],
            )
            .map_err(internal("dead letter record"))?;
            Ok(serde_json::Value::Null)
        }
        DeadLetterCommand::List { limit } => {
            let listed = letters(
                sql,
                "SELECT letter FROM dead_letters WHERE replaying = 0 ORDER BY dead_ms, id LIMIT ?",
                vec![limit.into()],
            )?;
            serde_json::to_value(listed).map_err(|_| ApiError::Internal)
        }
        DeadLetterCommand::Replays { limit } => {
            #[derive(Deserialize)]
            struct Row {
                letter_id: String,
                kind: String,
                actor: String,
                at_ms: i64,
                delivery_key: String,
            }
            let rows: Vec<Row> = sql
                .exec(
                    "SELECT letter_id, kind, actor, at_ms, delivery_key FROM replays ORDER BY seq DESC LIMIT ?",
                    vec![limit.into()],
                )
                .and_then(|cursor| cursor.to_array())
                .map_err(internal("replays"))?;
            let records: Vec<ReplayRecord> = rows
                .into_iter()
                .map(|row| ReplayRecord {
                    id: row.letter_id,
                    kind: row.kind,
                    actor: row.actor,
                    at: Instant::from_millis(row.at_ms),
                    key: row.delivery_key,
                })
                .collect();
            serde_json::to_value(records).map_err(|_| ApiError::Internal)
        }
        DeadLetterCommand::BeginReplay { request } => {
            if let Some(key) = &request.idempotency_key {
                #[derive(Deserialize)]
                struct KeyRow {
                    letter_id: String,
                }
                let rows: Vec<KeyRow> = sql
                    .exec(
                        "SELECT letter_id FROM replays WHERE idem_key = ?",
                        vec![key.as_str().into()],
                    )
                    .and_then(|cursor| cursor.to_array())
                    .map_err(internal("replay keys"))?;
                if let Some(row) = rows.into_iter().next() {
                    return if row.letter_id == request.id {
                        serde_json::to_value(Begun::Repeat).map_err(|_| ApiError::Internal)
                    } else {
                        Err(ApiError::IdempotencyKeyReused)
                    };
                }
            }
            let found = letters(
                sql,
                "SELECT letter FROM dead_letters WHERE id = ?",
                vec![request.id.as_str().into()],
            )?;
            let letter = found.into_iter().next().ok_or(ApiError::NotFound)?;
            sql.exec(
                "UPDATE dead_letters SET replaying = 1 WHERE id = ?",
                vec![request.id.into()],
            )
            .map_err(internal("dead letter replay"))?;
            serde_json::to_value(Begun::Start { letter }).map_err(|_| ApiError::Internal)
        }
        DeadLetterCommand::EndReplay {
            request,
            letter,
            now_ms,
        } => {
            sql.exec(
                "DELETE FROM dead_letters WHERE id = ? AND replaying = 1",
                vec![request.id.as_str().into()],
            )
            .map_err(internal("dead letter forget"))?;
            // A concurrent repeat of the same key is audited once.
            sql.exec(
                "INSERT OR IGNORE INTO replays (idem_key, letter_id, kind, delivery_key, actor, at_ms) VALUES (?, ?, ?, ?, ?, ?)",
                vec![
                    request.idempotency_key.into(),
                    request.id.into(),
                    letter.kind.into(),
                    letter.key.into(),
                    request.actor.into(),
                    now_ms.into(),
                ],
            )
            .map_err(internal("replay audit"))?;
            Ok(serde_json::Value::Null)
        }
        DeadLetterCommand::AbortReplay { id } => {
            sql.exec(
                "UPDATE dead_letters SET replaying = 0 WHERE id = ?",
                vec![id.into()],
            )
            .map_err(internal("dead letter abort"))?;
            Ok(serde_json::Value::Null)
        }
    }
}

async fn call<R: serde::de::DeserializeOwned>(
    env: &Env,
    command: &DeadLetterCommand,
) -> Result<R, ApiError> {
    rpc::call_object(env, DEAD_LETTERS_OBJECT, DEAD_LETTERS_NAME, command).await
}

/// From an outbox: a delivery died.
pub async fn record(env: &Env, letter: DeadLetter) -> Result<(), ApiError> {
    let now_ms = crate::http::request::wall_now().timestamp_millis();
    call::<serde_json::Value>(env, &DeadLetterCommand::Record { letter, now_ms })
        .await
        .map(|_| ())
}

pub async fn list(env: &Env, limit: i64) -> Result<Vec<DeadLetter>, ApiError> {
    call(env, &DeadLetterCommand::List { limit }).await
}

pub async fn replays(env: &Env, limit: i64) -> Result<Vec<ReplayRecord>, ApiError> {
    call(env, &DeadLetterCommand::Replays { limit }).await
}

/// Sends the delivery back to its outbox for a fresh round of attempts, once per
/// Idempotency-Key. `NotFound` when the registry has no such letter.
pub async fn replay(env: &Env, request: ReplayRequest) -> Result<(), ApiError> {
    let begun: Begun = call(
        env,
        &DeadLetterCommand::BeginReplay {
            request: request.clone(),
        },
    )
    .await?;
    let Begun::Start { letter } = begun else {
        return Ok(());
    };
    if let Err(error) = send_back(env, &letter).await {
        let abort = DeadLetterCommand::AbortReplay {
            id: request.id.clone(),
        };
        let _: Result<serde_json::Value, ApiError> = call(env, &abort).await;
        return Err(error);
    }
    let now_ms = crate::http::request::wall_now().timestamp_millis();
    let end = DeadLetterCommand::EndReplay {
        request,
        letter: Box::new(letter),
        now_ms,
    };
    call::<serde_json::Value>(env, &end).await.map(|_| ())
}

async fn send_back(env: &Env, letter: &DeadLetter) -> Result<(), ApiError> {
    let unavailable = |err: worker::Error| {
        worker::console_error!("dead letter origin unavailable: {err}");
        ApiError::Unavailable
    };
    let namespace = env
        .durable_object(&letter.origin_binding)
        .map_err(unavailable)?;
    let stub = namespace
        .id_from_string(&letter.origin_id)
        .and_then(|object_id| object_id.get_stub())
        .map_err(unavailable)?;
    let command = ReplayCommand {
        key: letter.key.clone(),
    };
    let reply: ReplayReply = rpc::call_path(&stub, REPLAY_PATH, &command).await?;
    if !reply.replayed {
        worker::console_warn!("dead letter {} was no longer dead at its origin", letter.id);
    }
    Ok(())
}

#[durable_object]
pub struct DeadLetterObject {
    state: State,
    tables: Tables,
}

impl DurableObject for DeadLetterObject {
    fn new(state: State, _env: Env) -> Self {
        Self {
            state,
            tables: Tables::default(),
        }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        if let Err(error) = self.tables.ensure(&self.state.storage(), &[&MODULE]) {
            return rpc::reply::<()>(Err(error));
        }
        rpc::serve_atomically(self.state.storage(), req, run).await
    }
}
