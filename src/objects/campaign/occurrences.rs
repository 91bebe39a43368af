//! A scheduled campaign's occurrences as the head keeps them (issue 13): which occurrences
//! have stock shards, and at which revision. An occurrence's shards are created on first
//! touch (a claim's, or the cron's a few minutes early) and hear every later change while
//! the occurrence is not over. Transactions over the SQL seam (tests/objects_campaign_schedule.rs).

use super::protocol::{NextOccurrence, OccurrenceReply, ShardState};
use super::views::{OccurrenceStats, StockView};
use crate::domain::campaign::{SetStatus, StockRefusal};
use crate::domain::campaign_patch::{shard_shares, Mutable};
use crate::domain::schedule::{Moment, Occurrence};
use crate::domain::schedule_campaign::{self as schedule, window};
use crate::domain::time::{BusinessZone, Instant};
use crate::http::error::ApiError;
use crate::objects::seam::Sql;
use chrono::{DateTime, Duration, Utc};

/// Migration 3 of the head (`head::MODULE`).
pub const MIGRATION: &[&str] = &[
    // One row per occurrence whose stock shards exist: the head's revision they last heard.
    "CREATE TABLE IF NOT EXISTS occurrences (key TEXT PRIMARY KEY, synced_revision INTEGER NOT NULL DEFAULT 0)",
];

/// How many recorded occurrences a change is pushed to and the admin view shows (newest first).
pub const RECENT: u32 = 8;

/// Records that `key`'s shards are wanted; whether they still need `revision`.
pub fn touch(sql: &impl Sql, key: &str, revision: i64) -> Result<bool, ApiError> {
    sql.run(
        "INSERT OR IGNORE INTO occurrences (key, synced_revision) VALUES (?, 0)",
        vec![key.into()],
    )?;
    let synced: Option<(i64,)> = sql.row(
        "SELECT synced_revision FROM occurrences WHERE key = ?",
        vec![key.into()],
    )?;
    Ok(synced.is_none_or(|(synced,)| synced < revision))
}

/// Marks `key`'s shards as holding `revision` (never backwards).
pub fn mark_synced(sql: &impl Sql, key: &str, revision: i64) -> Result<(), ApiError> {
    sql.run(
        "UPDATE occurrences SET synced_revision = MAX(synced_revision, ?) WHERE key = ?",
        vec![revision.into(), key.into()],
    )?;
    Ok(())
}

/// The recorded occurrences, newest first, with the revision their shards hold.
pub fn recorded(sql: &impl Sql) -> Result<Vec<(String, i64)>, ApiError> {
    Ok(sql.rows(
        "SELECT key, synced_revision FROM occurrences ORDER BY key DESC LIMIT ?",
        vec![RECENT.into()],
    )?)
}

/// The recorded occurrences that a change must reach: those not over at `now`.
pub fn live(
    sql: &impl Sql,
    head: &Mutable,
    zone: &BusinessZone,
    now: DateTime<Utc>,
) -> Result<Vec<Occurrence>, ApiError> {
    let Some(plan) = &head.config.schedule else {
        return Ok(Vec::new());
    };
    let window = window(&head.config);
    Ok(recorded(sql)?
        .into_iter()
        .filter_map(|(key, _)| schedule::occurrence(plan, zone, &window, &key))
        .filter(|occurrence| occurrence.ends_at > now)
        .collect())
}

/// What each of an occurrence's shards holds: the occurrence's window, the operator's
/// status and its share of the per-occurrence stock, at the head's revision.
pub fn shard_states(head: &Mutable, occurrence: &Occurrence) -> Vec<ShardState> {
    shard_shares(head)
        .into_iter()
        .map(|total| ShardState {
            campaign_id: head.config.id.clone(),
            set_status: head.set_status,
            starts_at: Instant(occurrence.starts_at),
            ends_at: Instant(occurrence.ends_at),
            total,
            revision: head.revision,
        })
        .collect()
}

fn fresh(head: &Mutable, occurrence: &Occurrence) -> NextOccurrence {
    NextOccurrence {
        starts_at: Instant(occurrence.starts_at),
        ends_at: Instant(occurrence.ends_at),
        stock: StockView {
            total: head.config.stock,
            remaining: head.config.stock,
        },
    }
}

/// What a claim at `now` meets. Ended (by the operator or after the last occurrence) comes
/// first; a paused campaign is paused even between occurrences.
pub fn claim_at(head: &Mutable, zone: &BusinessZone, now: DateTime<Utc>) -> OccurrenceReply {
    let Some(moment) = schedule::moment(&head.config, zone, now) else {
        return OccurrenceReply::Unscheduled;
    };
    let closed = |refusal, next_occurrence| OccurrenceReply::Closed {
        refusal,
        next_occurrence,
    };
    match (head.set_status, moment) {
        (SetStatus::Ended, _) | (_, Moment::Over) => closed(StockRefusal::CampaignEnded, None),
        (SetStatus::Paused, Moment::Between(next)) => {
            closed(StockRefusal::CampaignPaused, Some(fresh(head, &next)))
        }
        (_, Moment::Between(next)) => {
            closed(StockRefusal::CampaignNotStarted, Some(fresh(head, &next)))
        }
        // Open, even if paused: the occurrence's shards refuse (and count) a paused claim.
        (_, Moment::Open(open)) => OccurrenceReply::Open {
            key: open.key,
            starts_at: Instant(open.starts_at),
            ends_at: Instant(open.ends_at),
        },
    }
}

/// The occurrences whose shards the cron makes ready at `now`: the open one and any opening
/// within `lead`.
pub fn due(
    head: &Mutable,
    zone: &BusinessZone,
    now: DateTime<Utc>,
    lead: Duration,
) -> Vec<Occurrence> {
    let Some(plan) = &head.config.schedule else {
        return Vec::new();
    };
    if head.set_status == SetStatus::Ended {
        return Vec::new();
    }
    let window = window(&head.config);
    let open = plan.open_at(zone, &window, now);
    let next = plan
        .next_after(zone, &window, now)
        .filter(|next| next.starts_at - now <= lead);
    open.into_iter().chain(next).collect()
}

/// The occurrences the admin view shows: the recorded ones, plus the open and the next one;
/// newest first. `held` gives what an occurrence's shards hold (total, issued), by key, for
/// those that have shards; the others hold the current per-occurrence stock, untouched.
pub fn admin_list(
    head: &Mutable,
    zone: &BusinessZone,
    now: DateTime<Utc>,
    recorded: &[(String, i64)],
    held: impl Fn(&str) -> Option<(i64, i64)>,
) -> Vec<OccurrenceStats> {
    let Some(plan) = &head.config.schedule else {
        return Vec::new();
    };
    let window = window(&head.config);
    let mut shown: Vec<Occurrence> = recorded
        .iter()
        .filter_map(|(key, _)| schedule::occurrence(plan, zone, &window, key))
        .collect();
    let open = plan.open_at(zone, &window, now);
    let next = plan.next_after(zone, &window, now);
    for extra in open.iter().chain(next.iter()) {
        if !shown.iter().any(|known| known.key == extra.key) {
            shown.push(extra.clone());
        }
    }
    shown.sort_by(|a, b| b.key.cmp(&a.key));
    shown
        .into_iter()
        .map(|occurrence| {
            let state = if occurrence.ends_at <= now {
                "past"
            } else if occurrence.starts_at <= now {
                "open"
            } else {
                "next"
            };
            let (total, issued) = held(&occurrence.key).unwrap_or((head.config.stock, 0));
            let ready = recorded
                .iter()
                .any(|(key, synced)| *key == occurrence.key && *synced >= head.revision);
            OccurrenceStats {
                starts_at: Instant(occurrence.starts_at),
                ends_at: Instant(occurrence.ends_at),
                key: occurrence.key,
                state: state.into(),
                total,
                issued,
                remaining: (total - issued).max(0),
                ready,
            }
        })
        .collect()
}
