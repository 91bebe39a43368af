//! The head object's rows: configuration, operator status, revision, audit trail and the
//! Idempotency-Keys of its changes, as transactions over the SQL seam (tests/objects_campaign.rs).

use super::views::AuditEntry;
use crate::domain::campaign::{CampaignConfig, SetStatus};
use crate::domain::campaign_patch::{apply_patch, etag, if_match_allows, CampaignPatch, Mutable};
use crate::domain::time::Instant;
use crate::http::error::ApiError;
use crate::objects::schema::Module;
use crate::objects::seam::{FromRow, Row, Sql, SqlError, Transact};
use serde_json::{json, Value};

/// Migration 1 is the head as it was before revisions (idempotent, for heads created then);
/// 2 adds the revision and the PATCH keys; 3 the occurrences of a scheduled campaign.
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
        super::occurrences::MIGRATION,
    ],
    baseline: &[],
};

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

impl FromRow for Head {
    fn from_row(mut row: Row) -> Result<Self, SqlError> {
        let config: String = row.get(0)?;
        let config: CampaignConfig = serde_json::from_str(&config)
            .map_err(|err| SqlError::shape("campaign config", err.to_string()))?;
        Ok(Head {
            state: Mutable {
                // Rows written before the shard count was frozen derive it as they always did.
                config: config.frozen(),
                set_status: row.get(1)?,
                revision: row.get(5)?,
            },
            create_key: row.get(2)?,
            body_hash: row.get(3)?,
            shards_synced: row.get(4)?,
        })
    }
}

pub fn load(sql: &impl Sql) -> Result<Option<Head>, ApiError> {
    Ok(sql.row(
        "SELECT config, set_status, create_key, body_hash, shards_synced, revision FROM campaign WHERE k = 1",
        Vec::new(),
    )?)
}

fn audit(
    sql: &impl Sql,
    actor: &str,
    action: &str,
    before: Option<Value>,
    after: Value,
    now_ms: i64,
) -> Result<(), ApiError> {
    sql.run(
        "INSERT INTO audit (at_ms, actor, action, before, after) VALUES (?, ?, ?, ?, ?)",
        vec![
            now_ms.into(),
            actor.into(),
            action.into(),
            before.map(|v| v.to_string()).into(),
            after.to_string().into(),
        ],
    )?;
    Ok(())
}

/// The operator's status at `at_ms`: the one its last change at or before then set (a
/// campaign is active from its creation); changes made later do not reach back.
pub fn set_status_at(sql: &impl Sql, at_ms: i64) -> Result<SetStatus, ApiError> {
    let last: Option<(String,)> = sql.row(
        "SELECT after FROM audit WHERE action = 'update' AND at_ms <= ? ORDER BY at_ms DESC, id DESC LIMIT 1",
        vec![at_ms.into()],
    )?;
    let Some((after,)) = last else {
        return Ok(SetStatus::Active);
    };
    let after: Value = serde_json::from_str(&after).map_err(|_| ApiError::Internal)?;
    serde_json::from_value(after["status"].clone()).map_err(|_| ApiError::Internal)
}

/// The audit trail, oldest first.
pub fn audit_trail(sql: &impl Sql) -> Result<Vec<AuditEntry>, ApiError> {
    let rows: Vec<(i64, String, String, Option<String>, String)> = sql.rows(
        "SELECT at_ms, actor, action, before, after FROM audit ORDER BY id",
        Vec::new(),
    )?;
    let parse = |raw: &str| serde_json::from_str(raw).unwrap_or(Value::Null);
    Ok(rows
        .into_iter()
        .map(|(at_ms, actor, action, before, after)| AuditEntry {
            at: Instant::from_millis(at_ms),
            actor,
            action,
            before: before.as_deref().map(parse),
            after: parse(&after),
        })
        .collect())
}

fn mutable_view(state: &Mutable) -> Value {
    json!({
        "status": state.set_status,
        "ends_at": state.config.ends_at,
        "stock": state.config.stock,
        "revision": state.revision,
    })
}

/// Creates the campaign; a repeat with the same key and body changes nothing.
pub fn create(
    db: &impl Transact,
    config: CampaignConfig,
    actor: &str,
    key: Option<String>,
    body_hash: &str,
    now_ms: i64,
) -> Result<(), ApiError> {
    db.atomically(|| {
        if let Some(head) = load(db)? {
            return match (&head.create_key, &key) {
                (Some(stored), Some(given)) if stored == given && head.body_hash == body_hash => {
                    Ok(())
                }
                (Some(stored), Some(given)) if stored == given => {
                    Err(ApiError::IdempotencyKeyReused)
                }
                _ => Err(ApiError::CampaignExists),
            };
        }
        let config_json = serde_json::to_value(config.frozen()).map_err(|_| ApiError::Internal)?;
        db.run(
            "INSERT INTO campaign (k, config, set_status, create_key, body_hash, revision) VALUES (1, ?, ?, ?, ?, 1)",
            vec![
                config_json.to_string().into(),
                SetStatus::Active.into(),
                key.clone().into(),
                body_hash.into(),
            ],
        )?;
        audit(db, actor, "create", None, config_json, now_ms)
    })
}

/// What a PATCH did.
#[derive(Debug, PartialEq)]
pub enum Patched {
    /// Applied now: the shards must hear of it.
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

/// Applies an operator's change as `apply_patch` decides, in one transaction; a keyed change
/// refused for good keeps its refusal as the key's answer.
pub fn patch(db: &impl Transact, input: PatchInput) -> Result<Patched, ApiError> {
    let patched = db.atomically(|| apply(db, &input));
    if let (Err(error), Some(key)) = (&patched, input.key) {
        if error.is_final_refusal() {
            remember_refusal(db, key, input.body_hash, error)?;
        }
    }
    patched
}

/// The Idempotency-Key is looked at before If-Match, so a retried change that did apply gets
/// its first answer rather than 412 (its If-Match names the revision before it).
fn apply(sql: &impl Sql, input: &PatchInput) -> Result<Patched, ApiError> {
    let head = load(sql)?.ok_or(ApiError::CampaignNotFound)?;
    if let Some(key) = input.key {
        let known: Option<(String, Option<String>)> = sql.row(
            "SELECT body_hash, response FROM patch_keys WHERE key = ?",
            vec![key.into()],
        )?;
        if let Some((body_hash, response)) = known {
            if body_hash != input.body_hash {
                return Err(ApiError::IdempotencyKeyReused);
            }
            let stored: Option<Value> = response.and_then(|raw| serde_json::from_str(&raw).ok());
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
    let now = chrono::DateTime::from_timestamp_millis(input.now_ms).ok_or(ApiError::Internal)?;
    let mut next = apply_patch(&head.state, input.patch, now)?;
    crate::domain::schedule_campaign::after_patch(&mut next)?;
    sql.run(
        "UPDATE campaign SET config = ?, set_status = ?, revision = ?, shards_synced = 0 WHERE k = 1",
        vec![
            serde_json::to_string(&next.config)
                .map_err(|_| ApiError::Internal)?
                .into(),
            next.set_status.into(),
            next.revision.into(),
        ],
    )?;
    if let Some(key) = input.key {
        sql.run(
            "INSERT INTO patch_keys (key, body_hash) VALUES (?, ?)",
            vec![key.into(), input.body_hash.into()],
        )?;
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
fn remember_refusal(
    sql: &impl Sql,
    key: &str,
    body_hash: &str,
    error: &ApiError,
) -> Result<(), ApiError> {
    let answer = json!({ "refused": error });
    sql.run(
        "INSERT OR IGNORE INTO patch_keys (key, body_hash, response) VALUES (?, ?, ?)",
        vec![key.into(), body_hash.into(), answer.to_string().into()],
    )?;
    Ok(())
}

/// Stores the answer of a keyed change unless one is stored already, and returns the stored one.
pub fn remember_answer(db: &impl Transact, key: &str, answer: &Value) -> Result<Value, ApiError> {
    db.atomically(|| {
        db.run(
            "UPDATE patch_keys SET response = ? WHERE key = ? AND response IS NULL",
            vec![answer.to_string().into(), key.into()],
        )?;
        let stored: Option<(Option<String>,)> = db.row(
            "SELECT response FROM patch_keys WHERE key = ?",
            vec![key.into()],
        )?;
        stored
            .and_then(|(response,)| response)
            .and_then(|raw| serde_json::from_str(&raw).ok())
            .ok_or(ApiError::Internal)
    })
}

/// Marks the shards as told of `revision`, unless a newer change arrived meanwhile.
pub fn mark_synced(sql: &impl Sql, revision: i64) -> Result<(), ApiError> {
    sql.run(
        "UPDATE campaign SET shards_synced = 1 WHERE k = 1 AND revision = ?",
        vec![revision.into()],
    )?;
    Ok(())
}

pub fn count_rejected(sql: &impl Sql, reason: &str) -> Result<(), ApiError> {
    sql.run(
        "INSERT INTO rejected (reason, n) VALUES (?, 1) ON CONFLICT (reason) DO UPDATE SET n = n + 1",
        vec![reason.into()],
    )?;
    Ok(())
}

/// The refusals counted here (eligibility, limits, poster, sold out), by reason.
pub fn rejected(sql: &impl Sql) -> Result<Vec<(String, i64)>, ApiError> {
    Ok(sql.rows("SELECT reason, n FROM rejected", Vec::new())?)
}
