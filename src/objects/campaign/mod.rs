//! One head object per campaign: the owner of its configuration, operator status, audit trail
//! and the refusals decided outside the stock. Units live in the stock shards
//! (`stock.rs`); the head pushes status, window and totals to them and sums their stats.

pub mod client;
pub mod directory;
pub mod protocol;
pub mod stock;

use crate::config::{DIRECTORY_NAME, DIRECTORY_OBJECT, STOCK_OBJECT};
use crate::domain::campaign::{self, CampaignConfig, SetStatus, MAX_STOCK};
use crate::domain::time::Instant;
use crate::http::error::ApiError;
use crate::objects::rpc::{self, call_object};
use crate::objects::sql::{atomically, create_schema, internal};
use directory::DirectoryCommand;
use protocol::*;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use worker::{durable_object, DurableObject, Env, Request, Response, SqlStorage, State};

const SCHEMA: &[&str] = &[
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
];

#[derive(Deserialize)]
struct HeadRow {
    config: String,
    set_status: String,
    create_key: Option<String>,
    body_hash: String,
    shards_synced: i64,
}

struct Head {
    config: CampaignConfig,
    set_status: SetStatus,
    create_key: Option<String>,
    body_hash: String,
    shards_synced: bool,
}

#[derive(Deserialize)]
struct AuditRow {
    at_ms: i64,
    actor: String,
    action: String,
    before: Option<String>,
    after: String,
}

#[derive(Deserialize)]
struct Count {
    reason: String,
    n: i64,
}

fn status_str(status: SetStatus) -> String {
    serde_json::to_value(status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn load(sql: &SqlStorage) -> Result<Option<Head>, ApiError> {
    let rows: Vec<HeadRow> = sql
        .exec("SELECT config, set_status, create_key, body_hash, shards_synced FROM campaign WHERE k = 1", None)
        .and_then(|cursor| cursor.to_array())
        .map_err(internal("campaign"))?;
    let Some(row) = rows.into_iter().next() else {
        return Ok(None);
    };
    Ok(Some(Head {
        config: serde_json::from_str(&row.config).map_err(|_| ApiError::Internal)?,
        set_status: serde_json::from_value(json!(row.set_status))
            .map_err(|_| ApiError::Internal)?,
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

fn mutable_view(head: &Head) -> Value {
    json!({ "status": head.set_status, "ends_at": head.config.ends_at, "stock": head.config.stock })
}

enum Created {
    New,
    Replay,
}

fn create(
    sql: &SqlStorage,
    config: CampaignConfig,
    actor: &str,
    key: Option<String>,
    body_hash: &str,
    now_ms: i64,
) -> Result<Created, ApiError> {
    if let Some(head) = load(sql)? {
        return match (&head.create_key, &key) {
            (Some(stored), Some(given)) if stored == given && head.body_hash == body_hash => {
                Ok(Created::Replay)
            }
            (Some(stored), Some(given)) if stored == given => Err(ApiError::IdempotencyKeyReused),
            _ => Err(ApiError::CampaignExists),
        };
    }
    let config_json = serde_json::to_value(&config).map_err(|_| ApiError::Internal)?;
    sql.exec(
        "INSERT INTO campaign (k, config, set_status, create_key, body_hash) VALUES (1, ?, 'active', ?, ?)",
        vec![config_json.to_string().into(), key.into(), body_hash.into()],
    )
    .map_err(internal("campaign create"))?;
    audit(sql, actor, "create", None, config_json, now_ms)?;
    Ok(Created::New)
}

fn patch(sql: &SqlStorage, patch: CampaignPatch, actor: &str, now_ms: i64) -> Result<(), ApiError> {
    let mut head = load(sql)?.ok_or(ApiError::CampaignNotFound)?;
    if patch.status.is_none() && patch.ends_at.is_none() && patch.add_stock.is_none() {
        return Err(ApiError::invalid("body: give status, ends_at or add_stock"));
    }
    let before = mutable_view(&head);
    if let Some(status) = patch.status {
        if !campaign::transition_allowed(head.set_status, status) {
            return Err(ApiError::InvalidTransition {
                detail: format!(
                    "{} -> {}: an ended campaign stays ended",
                    status_str(head.set_status),
                    status_str(status)
                ),
            });
        }
        head.set_status = status;
    }
    if let Some(ends_at) = patch.ends_at {
        if ends_at.0 <= head.config.starts_at.0 {
            return Err(ApiError::InvalidCampaign {
                detail: "ends_at: must be after starts_at".into(),
            });
        }
        head.config.ends_at = ends_at;
    }
    if let Some(add) = patch.add_stock {
        if add < 1 || head.config.stock + add > MAX_STOCK {
            return Err(ApiError::InvalidCampaign {
                detail: format!("add_stock: at least 1, total at most {MAX_STOCK}"),
            });
        }
        head.config.stock += add;
    }
    let after = mutable_view(&head);
    sql.exec(
        "UPDATE campaign SET config = ?, set_status = ?, shards_synced = 0 WHERE k = 1",
        vec![
            serde_json::to_string(&head.config)
                .map_err(|_| ApiError::Internal)?
                .into(),
            status_str(head.set_status).into(),
        ],
    )
    .map_err(internal("campaign patch"))?;
    audit(sql, actor, "update", Some(before), after, now_ms)
}

#[durable_object]
pub struct CampaignObject {
    state: State,
    env: Env,
}

impl CampaignObject {
    fn sql(&self) -> SqlStorage {
        self.state.storage().sql()
    }

    fn head(&self) -> Result<Head, ApiError> {
        load(&self.sql())?.ok_or(ApiError::CampaignNotFound)
    }

    /// Pushes status, window and each shard's share of the stock to the shards (idempotent),
    /// then re-indexes the campaign in the directory.
    async fn sync_shards(&self, head: &Head) -> Result<(), ApiError> {
        let shard_count = head.config.shard_count();
        for (index, total) in campaign::split_stock(head.config.stock, shard_count)
            .into_iter()
            .enumerate()
        {
            let state = ShardState {
                campaign_id: head.config.id.clone(),
                set_status: head.set_status,
                starts_at: head.config.starts_at,
                ends_at: head.config.ends_at,
                total,
            };
            let name = campaign::shard_name(&head.config.id, index as u32);
            let _: ShardStats = call_object(
                &self.env,
                STOCK_OBJECT,
                &name,
                &StockCommand::Sync { state },
            )
            .await?;
        }
        let index = DirectoryCommand::Index {
            id: head.config.id.clone(),
            starts_at: head.config.starts_at,
            ends_at: head.config.ends_at,
            ended: head.set_status == SetStatus::Ended,
        };
        let _: Value = call_object(&self.env, DIRECTORY_OBJECT, DIRECTORY_NAME, &index).await?;
        self.sql()
            .exec("UPDATE campaign SET shards_synced = 1 WHERE k = 1", None)
            .map_err(internal("synced"))?;
        Ok(())
    }

    /// The head, with its shards brought up to date if an earlier push did not finish.
    async fn synced_head(&self) -> Result<Head, ApiError> {
        let head = self.head()?;
        if !head.shards_synced {
            self.sync_shards(&head).await?;
        }
        Ok(head)
    }

    async fn stats(&self, head: &Head) -> Result<CampaignStats, ApiError> {
        let mut stats = CampaignStats {
            issued: 0,
            remaining: 0,
            claims_rejected: BTreeMap::new(),
        };
        for index in 0..head.config.shard_count() {
            let name = campaign::shard_name(&head.config.id, index);
            let shard: ShardStats =
                call_object(&self.env, STOCK_OBJECT, &name, &StockCommand::Stats).await?;
            stats.issued += shard.issued;
            stats.remaining += shard.remaining;
            for (reason, n) in shard.rejected {
                *stats.claims_rejected.entry(reason).or_default() += n;
            }
        }
        let own: Vec<Count> = self
            .sql()
            .exec("SELECT reason, n FROM rejected", None)
            .and_then(|cursor| cursor.to_array())
            .map_err(internal("rejected"))?;
        for count in own {
            *stats.claims_rejected.entry(count.reason).or_default() += count.n;
        }
        Ok(stats)
    }

    async fn admin_view(&self, head: &Head, now: Instant) -> Result<AdminCampaign, ApiError> {
        let rows: Vec<AuditRow> = self
            .sql()
            .exec(
                "SELECT at_ms, actor, action, before, after FROM audit ORDER BY id",
                None,
            )
            .and_then(|cursor| cursor.to_array())
            .map_err(internal("audit"))?;
        let parse = |raw: &str| serde_json::from_str(raw).unwrap_or(Value::Null);
        Ok(AdminCampaign {
            status: campaign::status_at(
                head.set_status,
                head.config.starts_at.0,
                head.config.ends_at.0,
                now.0,
            ),
            set_status: head.set_status,
            shard_count: head.config.shard_count(),
            stats: self.stats(head).await?,
            audit: rows
                .into_iter()
                .map(|row| AuditEntry {
                    at: Instant::from_millis(row.at_ms),
                    actor: row.actor,
                    action: row.action,
                    before: row.before.as_deref().map(parse),
                    after: parse(&row.after),
                })
                .collect(),
            config: head.config.clone(),
        })
    }

    async fn public_view(&self, head: &Head, now: Instant) -> Result<PublicCampaign, ApiError> {
        let stats = self.stats(head).await?;
        let config = &head.config;
        Ok(PublicCampaign {
            id: config.id.clone(),
            name: config.name.clone(),
            kind: config.kind,
            starts_at: config.starts_at,
            ends_at: config.ends_at,
            status: campaign::status_at(
                head.set_status,
                config.starts_at.0,
                config.ends_at.0,
                now.0,
            ),
            coupon: PublicCoupon::from_config(config),
            limits: config.limits.clone(),
            audience: config.audience.clone(),
            rules_text: config.rules_text.clone(),
            stock: StockView {
                total: config.stock,
                remaining: stats.remaining,
            },
        })
    }

    async fn handle(&self, command: CampaignCommand) -> Result<Value, ApiError> {
        match command {
            CampaignCommand::Create {
                config,
                actor,
                idempotency_key,
                body_hash,
                now,
            } => {
                let sql = self.sql();
                let now_ms = now.0.timestamp_millis();
                atomically(&self.state.storage(), move || {
                    create(&sql, *config, &actor, idempotency_key, &body_hash, now_ms)
                })?;
                let head = self.synced_head().await?;
                rpc::to_json(self.admin_view(&head, now).await)
            }
            CampaignCommand::Admin { now } => {
                let head = self.synced_head().await?;
                rpc::to_json(self.admin_view(&head, now).await)
            }
            CampaignCommand::Public { now } => {
                let head = self.synced_head().await?;
                rpc::to_json(self.public_view(&head, now).await)
            }
            CampaignCommand::Patch {
                patch: changes,
                actor,
                now,
            } => {
                let sql = self.sql();
                let now_ms = now.0.timestamp_millis();
                atomically(&self.state.storage(), move || {
                    patch(&sql, changes, &actor, now_ms)
                })?;
                let head = self.head()?;
                // The change is recorded; pause and end take effect on the next claim because
                // the shards have them before this answers.
                self.sync_shards(&head).await?;
                rpc::to_json(self.admin_view(&head, now).await)
            }
            CampaignCommand::Terms => {
                let head = self.synced_head().await?;
                let shard_count = head.config.shard_count();
                rpc::to_json(Ok(ClaimTerms {
                    config: head.config,
                    shard_count,
                }))
            }
            CampaignCommand::Rejected { reason } => {
                self.head()?;
                self.sql()
                    .exec(
                        "INSERT INTO rejected (reason, n) VALUES (?, 1) ON CONFLICT (reason) DO UPDATE SET n = n + 1",
                        vec![reason.into()],
                    )
                    .map_err(internal("rejected"))?;
                Ok(Value::Null)
            }
        }
    }
}

impl DurableObject for CampaignObject {
    fn new(state: State, env: Env) -> Self {
        create_schema(&state.storage(), SCHEMA);
        Self { state, env }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        let reply = match rpc::command::<CampaignCommand>(req).await {
            Ok(command) => self.handle(command).await,
            Err(error) => Err(error),
        };
        if let Err(error) = &reply {
            if error.status() >= 500 {
                worker::console_error!("campaign object failed: {}", error.code());
            }
        }
        rpc::reply(reply)
    }
}
