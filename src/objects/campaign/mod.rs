//! One head object per campaign: the owner of its configuration, operator status, audit trail
//! and the refusals decided outside the stock. Units live in the stock shards
//! (`stock.rs`); the head pushes status, window and totals to them and sums their stats.

pub mod client;
pub mod directory;
mod head;
pub mod protocol;
pub mod stock;

use crate::config::{DIRECTORY_NAME, DIRECTORY_OBJECT, STOCK_OBJECT};
use crate::domain::campaign::{self, SetStatus};
use crate::domain::time::Instant;
use crate::http::error::ApiError;
use crate::objects::outbox;
use crate::objects::rpc::{self, call_object};
use crate::objects::schema::Tables;
use crate::objects::sql::{atomically, internal};
use directory::DirectoryCommand;
use head::{Head, PatchInput, Patched};
use protocol::*;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use worker::{durable_object, DurableObject, Env, Request, Response, SqlStorage, State};

/// How soon a change whose pushes to the shards did not all land is pushed again.
const RESYNC_MS: i64 = 2_000;

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

#[durable_object]
pub struct CampaignObject {
    state: State,
    env: Env,
    tables: Tables,
}

impl CampaignObject {
    fn sql(&self) -> SqlStorage {
        self.state.storage().sql()
    }

    fn head(&self) -> Result<Head, ApiError> {
        head::load(&self.sql())?.ok_or(ApiError::CampaignNotFound)
    }

    /// Pushes status, window and each shard's share of the stock to the shards (idempotent),
    /// then re-indexes the campaign in the directory.
    /// With the shard count frozen, each shard's share only grows with the stock, and the
    /// revision orders concurrent pushes, so a shard never holds more than its share.
    async fn sync_shards(&self, head: &Head) -> Result<(), ApiError> {
        let config = head.config();
        for (index, total) in campaign::split_stock(config.stock, config.shard_count())
            .into_iter()
            .enumerate()
        {
            let state = ShardState {
                campaign_id: config.id.clone(),
                set_status: head.state.set_status,
                starts_at: config.starts_at,
                ends_at: config.ends_at,
                total,
                revision: head.state.revision,
            };
            let name = campaign::shard_name(&config.id, index as u32);
            let _: ShardStats = call_object(
                &self.env,
                STOCK_OBJECT,
                &name,
                &StockCommand::Sync { state },
            )
            .await?;
        }
        let index = DirectoryCommand::Index {
            id: config.id.clone(),
            starts_at: config.starts_at,
            ends_at: config.ends_at,
            ended: head.state.set_status == SetStatus::Ended,
        };
        let _: Value = call_object(&self.env, DIRECTORY_OBJECT, DIRECTORY_NAME, &index).await?;
        // Only if no newer change arrived while the pushes were in flight.
        self.sql()
            .exec(
                "UPDATE campaign SET shards_synced = 1 WHERE k = 1 AND revision = ?",
                vec![head.state.revision.into()],
            )
            .map_err(internal("synced"))?;
        Ok(())
    }

    async fn resync_later(&self) -> Result<(), ApiError> {
        let at_ms = crate::http::request::wall_now().timestamp_millis() + RESYNC_MS;
        outbox::schedule_alarm(&self.state.storage(), at_ms).await
    }

    /// The head, with its shards brought up to date if an earlier push did not finish.
    async fn synced_head(&self) -> Result<Head, ApiError> {
        let head = self.head()?;
        if !head.shards_synced {
            self.sync_shards(&head).await?;
        }
        Ok(head)
    }

    /// Issued is counted by the shards; remaining is derived from the stock, never summed
    /// from shard shares (a share pushed late would show as missing stock).
    async fn stats(&self, head: &Head) -> Result<CampaignStats, ApiError> {
        let config = head.config();
        let mut stats = CampaignStats {
            issued: 0,
            remaining: 0,
            claims_rejected: BTreeMap::new(),
        };
        for index in 0..config.shard_count() {
            let name = campaign::shard_name(&config.id, index);
            let shard: ShardStats =
                call_object(&self.env, STOCK_OBJECT, &name, &StockCommand::Stats).await?;
            stats.issued += shard.issued;
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
        stats.remaining = (config.stock - stats.issued).max(0);
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
        let config = head.config();
        Ok(AdminCampaign {
            status: campaign::status_at(
                head.state.set_status,
                config.starts_at.0,
                config.ends_at.0,
                now.0,
            ),
            set_status: head.state.set_status,
            shard_count: config.shard_count(),
            revision: head.state.revision,
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
            config: config.clone(),
        })
    }

    async fn public_view(&self, head: &Head, now: Instant) -> Result<PublicCampaign, ApiError> {
        let stats = self.stats(head).await?;
        let config = head.config();
        Ok(PublicCampaign {
            id: config.id.clone(),
            name: config.name.clone(),
            kind: config.kind,
            starts_at: config.starts_at,
            ends_at: config.ends_at,
            status: campaign::status_at(
                head.state.set_status,
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
                    head::create(&sql, *config, &actor, idempotency_key, &body_hash, now_ms)
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
                idempotency_key,
                body_hash,
                if_match,
            } => {
                let sql = self.sql();
                let (key, hash) = (idempotency_key.clone(), body_hash.clone());
                let patched = atomically(&self.state.storage(), move || {
                    head::patch(
                        &sql,
                        PatchInput {
                            patch: &changes,
                            actor: &actor,
                            key: key.as_deref(),
                            body_hash: &hash,
                            if_match: if_match.as_deref(),
                            now_ms: now.0.timestamp_millis(),
                        },
                    )
                });
                let patched = match (patched, &idempotency_key) {
                    (Err(error), Some(key)) if error.is_final_refusal() => {
                        head::remember_refusal(&self.sql(), key, &body_hash, &error)?;
                        return Err(error);
                    }
                    (result, _) => result?,
                };
                if let Patched::Replay(Some(first_answer)) = patched {
                    return Ok(first_answer);
                }
                // If the pushes below fail half-way, the alarm finishes them.
                self.resync_later().await?;
                // Pause and end take effect for every claim once this answers: the shards
                // have them first.
                let current = self.head()?;
                self.sync_shards(&current).await?;
                let answer = rpc::to_json(self.admin_view(&current, now).await)?;
                match idempotency_key {
                    Some(key) => head::remember_answer(&self.sql(), &key, &answer),
                    None => Ok(answer),
                }
            }
            CampaignCommand::Terms => {
                let head = self.synced_head().await?;
                let shard_count = head.config().shard_count();
                rpc::to_json(Ok(ClaimTerms {
                    config: head.state.config,
                    shard_count,
                }))
            }
            CampaignCommand::Rejected { reason } => {
                self.head()?;
                head::count_rejected(&self.sql(), reason)?;
                Ok(Value::Null)
            }
        }
    }
}

impl DurableObject for CampaignObject {
    fn new(state: State, env: Env) -> Self {
        Self {
            state,
            env,
            tables: Tables::default(),
        }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        let tables = self.tables.ensure(&self.state.storage(), &[&head::MODULE]);
        let reply = match (tables, rpc::command::<CampaignCommand>(req).await) {
            (Ok(()), Ok(command)) => self.handle(command).await,
            (Err(error), _) | (_, Err(error)) => Err(error),
        };
        if let Err(error) = &reply {
            if error.status() >= 500 {
                worker::console_error!("campaign object failed: {}", error.code());
            }
        }
        rpc::reply(reply)
    }

    /// Finishes a change whose pushes to the shards did not all land (a pause must reach
    /// every shard even if the operator never looks again).
    async fn alarm(&self) -> worker::Result<Response> {
        let storage = self.state.storage();
        if !self.tables.has(&storage, &head::MODULE).unwrap_or(false) {
            return Response::empty();
        }
        if let Ok(head) = self.head() {
            if !head.shards_synced && self.sync_shards(&head).await.is_err() {
                let _ = self.resync_later().await;
            }
        }
        Response::empty()
    }
}
