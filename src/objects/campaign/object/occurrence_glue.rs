//! The head object's side of a scheduled campaign (issue 13): each occurrence's stock shards
//! (`{campaign}@{key}#{index}`) are created on first touch, by a claim or by the cron a few
//! minutes early, and hear every change while the occurrence is not over; its stats are its
//! shards'. The decisions are `occurrences.rs`'s (native tests); this is the runtime glue.

use super::super::client::ask_scoped_shard;
use super::super::head::{self, Head};
use super::super::occurrences::{self, admin_list, claim_at, due, live, shard_states};
use super::super::protocol::{
    GetShardStats, NextOccurrence, OccurrenceReply, ShardStats, SyncShard,
};
use super::super::views::{CampaignStats, OccurrenceStats, StockView};
use super::CampaignObject;
use crate::config::Config;
use crate::domain::schedule::Occurrence;
use crate::domain::schedule_campaign::scope;
use crate::domain::time::{BusinessZone, Instant};
use crate::http::error::ApiError;
use crate::objects::seam::durable::Durable;
use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeMap;

impl CampaignObject {
    pub(super) fn zone(&self) -> Result<BusinessZone, ApiError> {
        let config = Config::get(&self.env).map_err(|_| ApiError::Internal)?;
        Ok(config.rules.zone)
    }

    /// Pushes the head's state to one occurrence's shards, then records that they hold it.
    async fn push_occurrence(
        &self,
        db: &Durable,
        head: &Head,
        occurrence: &Occurrence,
    ) -> Result<(), ApiError> {
        let name = scope(&head.config().id, Some(&occurrence.key));
        for (index, state) in shard_states(&head.state, occurrence)
            .into_iter()
            .enumerate()
        {
            ask_scoped_shard(&self.env, &name, index as u32, SyncShard { state }).await?;
        }
        occurrences::mark_synced(db, &occurrence.key, head.state.revision)
    }

    /// Brings the shards of `occurrence` to the head's revision if they are behind (or new).
    async fn ready(
        &self,
        db: &Durable,
        head: &Head,
        occurrence: &Occurrence,
    ) -> Result<(), ApiError> {
        if occurrences::touch(db, &occurrence.key, head.state.revision)? {
            self.push_occurrence(db, head, occurrence).await?;
        }
        Ok(())
    }

    /// A change reaches every occurrence whose shards exist and that is not over.
    pub(super) async fn sync_occurrences(
        &self,
        db: &Durable,
        head: &Head,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        for occurrence in live(db, &head.state, &self.zone()?, now)? {
            self.push_occurrence(db, head, &occurrence).await?;
        }
        Ok(())
    }

    /// What a claim at `now` meets; the open occurrence's shards are ready when this answers.
    pub(super) async fn occurrence_at(
        &self,
        db: &Durable,
        now: Instant,
    ) -> Result<OccurrenceReply, ApiError> {
        let head = self.synced_head(db, now.0).await?;
        let zone = self.zone()?;
        let reply = claim_at(&head.state, &zone, now.0);
        if let OccurrenceReply::Open {
            key,
            starts_at,
            ends_at,
        } = &reply
        {
            let occurrence = Occurrence {
                key: key.clone(),
                starts_at: starts_at.0,
                ends_at: ends_at.0,
            };
            self.ready(db, &head, &occurrence).await?;
        }
        if let OccurrenceReply::Closed { refusal, .. } = &reply {
            // Refused here rather than by a shard: counted here, once.
            head::count_rejected(db, refusal.reason())?;
        }
        Ok(reply)
    }

    /// The cron: readies the open occurrence and any opening within `lead_minutes`.
    pub(super) async fn warm(
        &self,
        db: &Durable,
        now: Instant,
        lead_minutes: i64,
    ) -> Result<Vec<String>, ApiError> {
        let head = self.synced_head(db, now.0).await?;
        let lead = Duration::minutes(lead_minutes.clamp(0, 24 * 60));
        let mut warmed = Vec::new();
        for occurrence in due(&head.state, &self.zone()?, now.0, lead) {
            self.ready(db, &head, &occurrence).await?;
            warmed.push(occurrence.key);
        }
        Ok(warmed)
    }

    /// The shards' stats of each recorded occurrence, by key.
    async fn held(
        &self,
        db: &Durable,
        head: &Head,
    ) -> Result<BTreeMap<String, ShardStats>, ApiError> {
        let mut held = BTreeMap::new();
        for (key, _) in occurrences::recorded(db)? {
            let name = scope(&head.config().id, Some(&key));
            let mut sum = ShardStats::default();
            for index in 0..head.config().shard_count() {
                let shard = ask_scoped_shard(&self.env, &name, index, GetShardStats {}).await?;
                sum.total += shard.total;
                sum.issued += shard.issued;
                for (reason, n) in shard.rejected {
                    *sum.rejected.entry(reason).or_default() += n;
                }
            }
            held.insert(key, sum);
        }
        Ok(held)
    }

    /// A scheduled campaign's stats: each shown occurrence's, and as the campaign's the open
    /// (else the next) occurrence's issued and remaining, with every refusal counted.
    pub(super) async fn occurrence_stats(
        &self,
        db: &Durable,
        head: &Head,
        now: Instant,
    ) -> Result<(CampaignStats, Vec<OccurrenceStats>), ApiError> {
        let held = self.held(db, head).await?;
        let recorded = occurrences::recorded(db)?;
        let list = admin_list(&head.state, &self.zone()?, now.0, &recorded, |key| {
            held.get(key)
                .filter(|stats| stats.total > 0)
                .map(|stats| (stats.total, stats.issued))
        });
        let current = list
            .iter()
            .rev()
            .find(|occurrence| occurrence.state != "past");
        let mut stats = CampaignStats {
            issued: current.map_or(0, |occurrence| occurrence.issued),
            remaining: current.map_or(0, |occurrence| occurrence.remaining),
            claims_rejected: BTreeMap::new(),
        };
        let own = head::rejected(db)?;
        let counted = held.values().flat_map(|stats| stats.rejected.iter());
        for (reason, n) in own.iter().map(|(r, n)| (r, n)).chain(counted) {
            *stats.claims_rejected.entry(reason.clone()).or_default() += n;
        }
        Ok((stats, list))
    }

    /// The public view's occurrence: the open one, else the next.
    pub(super) fn next_occurrence(list: &[OccurrenceStats]) -> Option<NextOccurrence> {
        list.iter()
            .rev()
            .find(|occurrence| occurrence.state != "past")
            .map(|occurrence| NextOccurrence {
                starts_at: occurrence.starts_at,
                ends_at: occurrence.ends_at,
                stock: StockView {
                    total: occurrence.total,
                    remaining: occurrence.remaining,
                },
            })
    }
}
