//! The campaign's head Durable Object: runtime glue around its transactions (`head.rs`): it
//! pushes each change to the stock shards and the directory, and sums the shards' stats.

use super::client::{ask_directory, ask_shard};
use super::head::{self, Head, PatchInput, Patched};
use super::protocol::*;
use super::views::{status_now, AdminCampaign, CampaignStats, ClaimTerms, PublicCampaign};
use crate::domain::campaign::{SetStatus, Status};
use crate::domain::campaign_patch::shard_shares;
use crate::domain::schedule_campaign;
use crate::domain::time::Instant;
use crate::http::error::ApiError;
use crate::http::request::wall_now;
use crate::objects::outbox;
use crate::objects::protocol::answer;
use crate::objects::rpc;
use crate::objects::schema::Tables;
use crate::objects::seam::durable::Durable;
use chrono::{DateTime, Utc};
use worker::{durable_object, DurableObject, Env, Request, Response, State};

mod occurrence_glue;

/// How soon a change whose pushes to the shards did not all land is pushed again.
const RESYNC_MS: i64 = 2_000;

#[durable_object]
pub struct CampaignObject {
    state: State,
    env: Env,
    tables: Tables,
}

impl CampaignObject {
    fn db(&self) -> Durable {
        Durable::new(self.state.storage())
    }

    fn head(&self, db: &Durable) -> Result<Head, ApiError> {
        head::load(db)?.ok_or(ApiError::CampaignNotFound)
    }

    /// Pushes status, window and each shard's share of the stock to the shards (idempotent),
    /// then re-indexes the campaign in the directory. The revision orders concurrent pushes,
    /// and `accept_share` never lets a shard hold more than its share.
    async fn sync_shards(
        &self,
        db: &Durable,
        head: &Head,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let config = head.config();
        // A scheduled campaign's units live in its occurrences' shards only.
        let shares = match config.schedule {
            Some(_) => {
                self.sync_occurrences(db, head, now).await?;
                Vec::new()
            }
            None => shard_shares(&head.state),
        };
        for (index, total) in shares.into_iter().enumerate() {
            let state = ShardState {
                campaign_id: config.id.clone(),
                set_status: head.state.set_status,
                starts_at: config.starts_at,
                ends_at: config.ends_at,
                total,
                revision: head.state.revision,
            };
            ask_shard(&self.env, &config.id, index as u32, SyncShard { state }).await?;
        }
        let index = IndexCampaign {
            id: config.id.clone(),
            starts_at: config.starts_at,
            ends_at: config.ends_at,
            ended: head.state.set_status == SetStatus::Ended,
        };
        ask_directory(&self.env, index).await?;
        if config.kind == crate::domain::campaign::CampaignKind::PointsMultiplier {
            let id = config.id.clone();
            ask_directory(&self.env, MarkMultiplier { id }).await?;
        }
        // Only if no newer change arrived while the pushes were in flight.
        head::mark_synced(db, head.state.revision)
    }

    async fn resync_later(&self) -> Result<(), ApiError> {
        let at_ms = wall_now().timestamp_millis() + RESYNC_MS;
        outbox::schedule_alarm(&self.state.storage(), at_ms).await
    }

    /// The head, with its shards brought up to date if an earlier push did not finish.
    async fn synced_head(&self, db: &Durable, now: DateTime<Utc>) -> Result<Head, ApiError> {
        let head = self.head(db)?;
        if !head.shards_synced {
            self.sync_shards(db, &head, now).await?;
        }
        Ok(head)
    }

    async fn stats(&self, db: &Durable, head: &Head) -> Result<CampaignStats, ApiError> {
        let config = head.config();
        let mut shards = Vec::with_capacity(config.shard_count() as usize);
        for index in 0..config.shard_count() {
            shards.push(ask_shard(&self.env, &config.id, index, GetShardStats {}).await?);
        }
        Ok(CampaignStats::sum(
            config.stock,
            &shards,
            &head::rejected(db)?,
        ))
    }

    async fn admin_view(
        &self,
        db: &Durable,
        head: &Head,
        now: Instant,
    ) -> Result<AdminCampaign, ApiError> {
        let config = head.config();
        let (stats, occurrences) = match config.schedule {
            Some(_) => self.occurrence_stats(db, head, now).await?,
            None => (self.stats(db, head).await?, Vec::new()),
        };
        Ok(AdminCampaign {
            status: self.status(head, now)?,
            set_status: head.state.set_status,
            shard_count: config.shard_count(),
            revision: head.state.revision,
            stats,
            audit: head::audit_trail(db)?,
            config: config.clone(),
            occurrences,
        })
    }

    /// The status a member sees (between a scheduled campaign's occurrences: `scheduled`).
    fn status(&self, head: &Head, now: Instant) -> Result<Status, ApiError> {
        let (config, set) = (head.config(), head.state.set_status);
        Ok(match config.schedule {
            Some(_) => schedule_campaign::status(config, set, &self.zone()?, now.0),
            None => status_now(config, set, now),
        })
    }

    async fn public_view(&self, db: &Durable, now: Instant) -> Result<PublicCampaign, ApiError> {
        let head = self.synced_head(db, now.0).await?;
        if head.config().schedule.is_none() {
            let stats = self.stats(db, &head).await?;
            return Ok(PublicCampaign::new(
                head.config(),
                head.state.set_status,
                &stats,
                now,
            ));
        }
        let (stats, occurrences) = self.occurrence_stats(db, &head, now).await?;
        let mut view = PublicCampaign::new(head.config(), head.state.set_status, &stats, now);
        view.status = self.status(&head, now)?;
        // An ended campaign announces no occurrence, whatever its schedule says.
        if view.status != Status::Ended {
            view.next_occurrence = Self::next_occurrence(&occurrences);
        }
        if let Some(next) = &view.next_occurrence {
            view.stock = next.stock.clone();
        }
        Ok(view)
    }

    async fn handle(
        &self,
        db: &Durable,
        command: CampaignCommand,
    ) -> Result<serde_json::Value, ApiError> {
        match command {
            CampaignCommand::Create(create) => {
                let now = create.now;
                head::create(
                    db,
                    *create.config,
                    &create.actor,
                    create.idempotency_key,
                    &create.body_hash,
                    now.0.timestamp_millis(),
                )?;
                let head = self.synced_head(db, now.0).await?;
                answer::<CreateCampaign>(self.admin_view(db, &head, now).await)
            }
            CampaignCommand::Admin(AdminView { now }) => {
                let head = self.synced_head(db, now.0).await?;
                answer::<AdminView>(self.admin_view(db, &head, now).await)
            }
            CampaignCommand::Public(PublicView { now }) => {
                answer::<PublicView>(self.public_view(db, now).await)
            }
            CampaignCommand::Patch(change) => answer::<PatchCampaign>(self.patch(db, change).await),
            CampaignCommand::Terms(GetTerms {}) => {
                let head = self.synced_head(db, wall_now()).await?;
                let shard_count = head.config().shard_count();
                answer::<GetTerms>(Ok(ClaimTerms {
                    config: Box::new(head.state.config),
                    shard_count,
                }))
            }
            CampaignCommand::Rejected(CountRejected { reason }) => {
                self.head(db)?;
                answer::<CountRejected>(head::count_rejected(db, &reason))
            }
            CampaignCommand::Occurrence(OccurrenceAt { now }) => {
                answer::<OccurrenceAt>(self.occurrence_at(db, now).await)
            }
            CampaignCommand::Warm(WarmOccurrences { now, lead_minutes }) => {
                answer::<WarmOccurrences>(self.warm(db, now, lead_minutes).await)
            }
            CampaignCommand::StatusAt(StatusAt { at }) => {
                let mut head = self.head(db)?;
                head.state.set_status = head::set_status_at(db, at.0.timestamp_millis())?;
                let status = self.status(&head, at);
                answer::<StatusAt>(status.map(|status| StatusThen {
                    status,
                    starts_at: head.config().starts_at,
                    ends_at: head.config().ends_at,
                }))
            }
        }
    }

    async fn patch(&self, db: &Durable, change: PatchCampaign) -> Result<AdminCampaign, ApiError> {
        let PatchCampaign {
            patch,
            actor,
            now,
            idempotency_key,
            body_hash,
            if_match,
        } = change;
        let input = PatchInput {
            patch: &patch,
            actor: &actor,
            key: idempotency_key.as_deref(),
            body_hash: &body_hash,
            if_match: if_match.as_deref(),
            now_ms: now.0.timestamp_millis(),
        };
        if let Patched::Replay(Some(first_answer)) = head::patch(db, input)? {
            return read_answer(&first_answer);
        }
        // If the pushes below fail half-way, the alarm finishes them.
        self.resync_later().await?;
        // Pause and end take effect for every claim once this answers: the shards have
        // them first.
        let current = self.head(db)?;
        self.sync_shards(db, &current, now.0).await?;
        let view = self.admin_view(db, &current, now).await?;
        let Some(key) = idempotency_key else {
            return Ok(view);
        };
        let answer = serde_json::to_value(&view).map_err(|_| ApiError::Internal)?;
        let stored = head::remember_answer(db, &key, &answer)?;
        read_answer(&stored)
    }
}

impl CampaignObject {
    /// A command's text in, its reply out: for `fetch` and for `ask`.
    async fn command(&self, text: &str) -> Result<serde_json::Value, ApiError> {
        let db = self.db();
        let tables = self.tables.ensure(&db, &[&head::MODULE]);
        let reply = match (tables, rpc::decode::<CampaignCommand>(text)) {
            (Ok(()), Ok(command)) => self.handle(&db, command).await,
            (Err(error), _) | (_, Err(error)) => Err(error),
        };
        if let Err(error) = &reply {
            if error.status() >= 500 {
                worker::console_error!("campaign object failed: {}", error.code());
            }
        }
        reply
    }
}

// The object's commands by workerd's JS RPC (`rpc::call_object`).
rpc::answers_by_js_rpc!(CampaignObject);

/// A kept answer read back from its text: the worker reads the same type from text, so no
/// second decoder (over `serde_json::Value`) is compiled for the whole view.
fn read_answer(answer: &serde_json::Value) -> Result<AdminCampaign, ApiError> {
    serde_json::from_str(&answer.to_string()).map_err(|_| ApiError::Internal)
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
        match rpc::text(req).await {
            Ok(text) => rpc::reply(self.command(&text).await),
            Err(error) => rpc::reply::<()>(Err(error)),
        }
    }

    /// Finishes a change whose pushes to the shards did not all land (a pause must reach
    /// every shard even if the operator never looks again).
    async fn alarm(&self) -> worker::Result<Response> {
        let db = self.db();
        if !self.tables.has(&db, &head::MODULE).unwrap_or(false) {
            return Response::empty();
        }
        if let Ok(head) = self.head(&db) {
            if !head.shards_synced && self.sync_shards(&db, &head, wall_now()).await.is_err() {
                let _ = self.resync_later().await;
            }
        }
        Response::empty()
    }
}
