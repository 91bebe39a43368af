//! The head object's rows: configuration, operator status, revision, audit trail and the
//! Idempotency-Keys of its changes. Every function here runs inside one transaction.

use crate::domain::campaign::{CampaignConfig, SetStatus};
use crate::domain::campaign_patch::{apply_patch, etag, if_match_allows, CampaignPatch, Mutable};
use crate::http::error::ApiError;
use crate::objects::schema::Module;
use crate::objects::sql::internal;
use serde::Deserialize;
use serde_json::{json, Value};
use worker::SqlStorage;

/// Migration 1 is the head as it was before revisions (idempotent, for heads created then);
/// 2 adds the revision and the PATCH keys.
pub const MODULE: Module = Module {
    name: "campaign_head",
    migrations: &[
        &[
            "CREATE TABLE IF NOT EXISTS campaign (
                k INTEGER PRIMARY KEY CHECK (k = 1),
                config TEXT NOT NULL,
                set_status TEXT NOT NULL,
                create_key TEXT,
                body_hash TEXT NOT NULL,
                shards_synced INTEGER NOT NULL DEFAULT 0
            )",
            "CREATE TABLE IF NOT EXISTS audit (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                at_ms INTEGER NOT NULL,
                actor TEXT NOT NULL,
                action TEXT NOT NULL,
                before TEXT,
                after TEXT NOT NULL
            )",
            "CREATE TABLE IF NOT EXISTS rejected (reason TEXT PRIMARY KEY, n INTEGER NOT NULL)",
        ],
        &[
            "ALTER TABLE campaign ADD COLUMN revision INTEGER NOT NULL DEFAULT 1",
            // One row per PATCH Idempotency-Key: the change is recorded with the patch itself;
            // the answer is stored once it exists, and every repeat gets that one answer.
            "CREATE TABLE patch_keys (
                key TEXT PRIMARY KEY,
                body_hash TEXT NOT NULL,
                response TEXT
            )",
        ],
    ],
};

#[derive(Deserialize)]
struct HeadRow {
    config: String,
    set_status: String,
    create_key: Option<String>,
    body_hash: String,
    shards_synced: i64,
    revision: i64,
}

pub struct Head {
    pub state: Mutable,
    pub create_key: Option<String>,
    pub body_hash: String,
    pub shards_synced: bool,
}

impl Head {
    pub fn config(&self) -> &CampaignConfig {
        &self.state.config
    }
}

pub fn load(sql: &SqlStorage) -> Result<Option<Head>, ApiError> {
    let rows: Vec<HeadRow> = sql
        .exec(
            "SELECT config, set_status, create_key, body_hash, shards_synced, revision FROM campaign WHERE k = 1",
            None,
        )
        .and_then(|cursor| cursor.to_array())
        .map_err(internal("campaign"))?;
    let Some(row) = rows.into_iter().next() else {
        return Ok(None);
    };
    let config: CampaignConfig =
        serde_json::from_str(&row.config).map_err(|_| ApiError::Internal)?;
    Ok(Some(Head {
        state: Mutable {
            // Rows written before the shard count was frozen derive it as they always did.
            config: config.frozen(),
            set_status: SetStatus::from_stored(&row.set_status).ok_or(ApiError::Internal)?,
            revision: row.revision,
        },
        create_key: row.create_key,
        body_hash: row.body_hash,
        shards_synced: row.shards_synced != 0,
    }))
}

fn audit(
    sql: &SqlStorage,
    actor: &str,
    action: &str,
    before: Option<Value>,
    after: Value,
    now_ms: i64,
) -> Result<(), ApiError> {
    sql.exec(
        "INSERT INTO audit (at_ms, actor, action, before, after) VALUES (?, ?, ?, ?, ?)",
        vec![
            now_ms.into(),
            actor.into(),
            action.into(),
            before.map(|v| v.to_string()).into(),
            after.to_string().into(),
        ],
    )
    .map_err(internal("audit"))?;
    Ok(())
}

fn mutable_view(state: &Mutable) -> Value {
    json!({
        "status": state.set_status,
        "ends_at": state.config.ends_at,
        "stock": state.config.stock,
        "revision": state.revision,
    })
}

pub fn create(
    sql: &SqlStorage,
    config: CampaignConfig,
    actor: &str,
    key: Option<String>,
    body_hash: &str,
    now_ms: i64,
) -> Result<(), ApiError> {
    if let Some(head) = load(sql)? {
        return match (&head.create_key, &key) {
            (Some(stored), Some(given)) if stored == given && head.body_hash == body_hash => Ok(()),
            (Some(stored), Some(given)) if stored == given => Err(ApiError::IdempotencyKeyReused),
            _ => Err(ApiError::CampaignExists),
        };
    }
    let config_json = serde_json::to_value(config.frozen()).map_err(|_| ApiError::Internal)?;
    sql.exec(
        "INSERT INTO campaign (k, config, set_status, create_key, body_hash, revision) VALUES (1, ?, 'active', ?, ?, 1)",
        vec![config_json.to_string().into(), key.into(), body_hash.into()],
    )
    .map_err(internal("campaign create"))?;
    audit(sql, actor, "create", None, config_json, now_ms)
}

/// What a PATCH did.
pub enum Patched {
    /// Applied now.
    Applied,
    /// A repeat of an applied key: its stored answer, if the first call got that far.
    Replay(Option<Value>),
}

pub struct PatchInput<'a> {
    pub patch: &'a CampaignPatch,
    pub actor: &'a str,
    pub key: Option<&'a str>,
    pub body_hash: &'a str,
    pub if_match: Option<&'a str>,
    pub now_ms: i64,
}

/// The Idempotency-Key is looked at before If-Match, so a retried change that did apply gets
/// its first answer rather than 412 (its If-Match names the revision before it).
pub fn patch(sql: &SqlStorage, input: PatchInput) -> Result<Patched, ApiError> {
    let head = load(sql)?.ok_or(ApiError::CampaignNotFound)?;
    if let Some(key) = input.key {
        #[derive(Deserialize)]
        struct KeyRow {
            body_hash: String,
            response: Option<String>,
        }
        let rows: Vec<KeyRow> = sql
            .exec(
                "SELECT body_hash, response FROM patch_keys WHERE key = ?",
                vec![key.into()],
            )
            .and_then(|cursor| cursor.to_array())
            .map_err(internal("patch keys"))?;
        if let Some(row) = rows.into_iter().next() {
            if row.body_hash != input.body_hash {
                return Err(ApiError::IdempotencyKeyReused);
            }
            let stored: Option<Value> =
                row.response.and_then(|raw| serde_json::from_str(&raw).ok());
            if let Some(refusal) = stored.as_ref().and_then(|answer| answer.get("refused")) {
                return Err(serde_json::from_value(refusal.clone()).unwrap_or(ApiError::Internal));
            }
            return Ok(Patched::Replay(stored));
        }
    }
    let current_etag = etag(head.state.revision);
    if let Some(if_match) = input.if_match {
        if !if_match_allows(if_match, &current_etag) {
            return Err(ApiError::PreconditionFailed { current_etag });
        }
    }
    let next = apply_patch(&head.state, input.patch)?;
    sql.exec(
        "UPDATE campaign SET config = ?, set_status = ?, revision = ?, shards_synced = 0 WHERE k = 1",
        vec![
            serde_json::to_string(&next.config)
                .map_err(|_| ApiError::Internal)?
                .into(),
            next.set_status.as_str().into(),
            next.revision.into(),
        ],
    )
    .map_err(internal("campaign patch"))?;
    if let Some(key) = input.key {
        sql.exec(
            "INSERT INTO patch_keys (key, body_hash) VALUES (?, ?)",
            vec![key.into(), input.body_hash.into()],
        )
        .map_err(internal("patch key"))?;
    }
    audit(
        sql,
        input.actor,
        "update",
        Some(mutable_view(&head.state)),
        mutable_view(&next),
        input.now_ms,
    )?;
    Ok(Patched::Applied)
}

/// Keeps a keyed change's refusal as its answer (the first one wins).
pub fn remember_refusal(
    sql: &SqlStorage,
    key: &str,
    body_hash: &str,
    error: &ApiError,
) -> Result<(), ApiError> {
    let answer = json!({ "refused": error });
    sql.exec(
        "INSERT OR IGNORE INTO patch_keys (key, body_hash, response) VALUES (?, ?, ?)",
        vec![key.into(), body_hash.into(), answer.to_string().into()],
    )
    .map_err(internal("patch refusal"))?;
    Ok(())
}

/// Stores the answer of a keyed change unless one is stored already, and returns the stored one.
pub fn remember_answer(sql: &SqlStorage, key: &str, answer: &Value) -> Result<Value, ApiError> {
    sql.exec(
        "UPDATE patch_keys SET response = ? WHERE key = ? AND response IS NULL",
        vec![answer.to_string().into(), key.into()],
    )
    .map_err(internal("patch answer"))?;
    #[derive(Deserialize)]
    struct AnswerRow {
        response: Option<String>,
    }
    let rows: Vec<AnswerRow> = sql
        .exec(
            "SELECT response FROM patch_keys WHERE key = ?",
            vec![key.into()],
        )
        .and_then(|cursor| cursor.to_array())
        .map_err(internal("patch answer"))?;
    rows.into_iter()
        .next()
        .and_then(|row| row.response)
        .and_then(|raw| serde_json::from_str(&raw).ok())
        .ok_or(ApiError::Internal)
}

pub fn count_rejected(sql: &SqlStorage, reason: String) -> Result<(), ApiError> {
    sql.exec(
        "INSERT INTO rejected (reason, n) VALUES (?, 1) ON CONFLICT (reason) DO UPDATE SET n = n + 1",
        vec![reason.into()],
    )
    .map_err(internal("rejected"))?;
    Ok(())
}
