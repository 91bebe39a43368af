//! The campaign directory: one object that knows which campaigns exist (for the public list)
//! and which Idempotency-Key created which campaign (so a key is never reused for another).

use crate::domain::ids::CampaignId;
use crate::domain::time::Instant;
use crate::http::error::ApiError;
use crate::objects::rpc;
use crate::objects::schema::{Module, Tables};
use crate::objects::sql::internal;
use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Request, Response, SqlStorage, State};

const MODULE: Module = Module {
    name: "campaign_directory",
    migrations: &[&[
    "CREATE TABLE IF NOT EXISTS campaigns (id TEXT PRIMARY KEY, starts_ms INTEGER NOT NULL, ends_ms INTEGER NOT NULL, ended INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS create_keys (key TEXT PRIMARY KEY, body_hash TEXT NOT NULL, campaign_id TEXT NOT NULL)",
]],
};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum DirectoryCommand {
    Index {
        id: CampaignId,
        starts_at: Instant,
        ends_at: Instant,
        ended: bool,
    },
    /// Ids of campaigns that are running or upcoming at `now`, soonest first.
    Listed { now: Instant },
    /// Ids of every campaign, most recently created first, at most `limit` (the console).
    All { limit: u32 },
    /// Claims an Idempotency-Key for creating `campaign_id` with a body of `body_hash`.
    ReserveKey {
        key: String,
        body_hash: String,
        campaign_id: CampaignId,
    },
}

#[derive(Deserialize)]
struct Id {
    id: String,
}

#[derive(Deserialize)]
struct KeyRow {
    body_hash: String,
    campaign_id: String,
}

fn run(sql: &SqlStorage, command: DirectoryCommand) -> Result<serde_json::Value, ApiError> {
    match command {
        DirectoryCommand::Index {
            id,
            starts_at,
            ends_at,
            ended,
        } => {
            sql.exec(
                "INSERT INTO campaigns (id, starts_ms, ends_ms, ended) VALUES (?, ?, ?, ?)
                 ON CONFLICT (id) DO UPDATE SET starts_ms = excluded.starts_ms, ends_ms = excluded.ends_ms, ended = excluded.ended",
                vec![id.as_str().into(), starts_at.0.timestamp_millis().into(), ends_at.0.timestamp_millis().into(), i64::from(ended).into()],
            )
            .map_err(internal("directory index"))?;
            Ok(serde_json::Value::Null)
        }
        DirectoryCommand::Listed { now } => {
            let ids: Vec<Id> = sql
                .exec(
                    "SELECT id FROM campaigns WHERE ended = 0 AND ends_ms > ? ORDER BY starts_ms, id LIMIT 100",
                    vec![now.0.timestamp_millis().into()],
                )
                .and_then(|cursor| cursor.to_array())
                .map_err(internal("directory list"))?;
            Ok(serde_json::json!(ids
                .into_iter()
                .map(|row| row.id)
                .collect::<Vec<_>>()))
        }
        DirectoryCommand::All { limit } => {
            // The rowid follows creation order; re-indexing (a patch) keeps it.
            let ids: Vec<Id> = sql
                .exec(
                    "SELECT id FROM campaigns ORDER BY rowid DESC LIMIT ?",
                    vec![i64::from(limit).into()],
                )
                .and_then(|cursor| cursor.to_array())
                .map_err(internal("directory all"))?;
            Ok(serde_json::json!(ids
                .into_iter()
                .map(|row| row.id)
                .collect::<Vec<_>>()))
        }
        DirectoryCommand::ReserveKey {
            key,
            body_hash,
            campaign_id,
        } => {
            let known: Vec<KeyRow> = sql
                .exec(
                    "SELECT body_hash, campaign_id FROM create_keys WHERE key = ?",
                    vec![key.as_str().into()],
                )
                .and_then(|cursor| cursor.to_array())
                .map_err(internal("directory keys"))?;
            match known.first() {
                Some(row)
                    if row.body_hash == body_hash && row.campaign_id == campaign_id.as_str() =>
                {
                    Ok(serde_json::Value::Null)
                }
                Some(_) => Err(ApiError::IdempotencyKeyReused),
                None => {
                    sql.exec(
                        "INSERT INTO create_keys (key, body_hash, campaign_id) VALUES (?, ?, ?)",
                        vec![key.into(), body_hash.into(), campaign_id.as_str().into()],
                    )
                    .map_err(internal("directory reserve"))?;
                    Ok(serde_json::Value::Null)
                }
            }
        }
    }
}

#[durable_object]
pub struct DirectoryObject {
    state: State,
    tables: Tables,
}

impl DurableObject for DirectoryObject {
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
