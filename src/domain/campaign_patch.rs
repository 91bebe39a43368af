//! An operator's change to a running campaign (PATCH): what may change, in what order the
//! checks run, and the revision that makes concurrent edits and late shard updates safe.

use super::campaign::{split_stock, transition_allowed, CampaignConfig, SetStatus, MAX_STOCK};
use super::time::Instant;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// The most units one top-up may add (API.md).
pub const MAX_ADD_STOCK: i64 = 10_000_000;

/// PATCH /v1/admin/campaigns/{id}
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignPatch {
    #[serde(default)]
    pub status: Option<SetStatus>,
    #[serde(default)]
    pub ends_at: Option<Instant>,
    #[serde(default)]
    pub add_stock: Option<i64>,
}

impl CampaignPatch {
    /// A top-up adds to what is there, so a blind retry would add twice: it needs an
    /// `Idempotency-Key` or an `If-Match` to be safe. Status and end changes set absolute
    /// values, so repeating them changes nothing.
    pub fn needs_precondition(&self) -> bool {
        self.add_stock.is_some()
    }
}

/// The part of a campaign an operator may change, and how many changes it has seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mutable {
    pub config: CampaignConfig,
    pub set_status: SetStatus,
    /// Starts at 1 on creation, +1 per applied change. The ETag, and the order in which
    /// stock shards accept updates (an older update never overwrites a newer one).
    pub revision: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatchRefusal {
    /// 400: nothing to change.
    Empty,
    /// 409 invalid_transition
    Transition(String),
    /// 422 invalid_campaign
    Invalid(String),
}

/// Applies a change at `now`, all of it or nothing. Only status, end and stock can change;
/// the shard count, coupon, limits and audience stay as created (the claim path caches
/// them). A campaign past its `ends_at` has ended too: a change to it must move `ends_at`
/// later (an extension), or it would answer 200 and change nothing anyone can see.
pub fn apply_patch(
    current: &Mutable,
    patch: &CampaignPatch,
    now: DateTime<Utc>,
) -> Result<Mutable, PatchRefusal> {
    if patch.status.is_none() && patch.ends_at.is_none() && patch.add_stock.is_none() {
        return Err(PatchRefusal::Empty);
    }
    let mut next = current.clone();
    if current.set_status == SetStatus::Ended && patch != &ended_noop() {
        return Err(PatchRefusal::Transition(
            "the campaign has ended: an ended campaign stays as it is".into(),
        ));
    }
    let extends = patch.ends_at.is_some_and(|ends_at| ends_at.0 > now);
    if current.config.ends_at.0 <= now && !extends && patch != &ended_noop() {
        return Err(PatchRefusal::Transition(
            "the campaign has ended (its ends_at has passed): move ends_at later to change it"
                .into(),
        ));
    }
    if let Some(status) = patch.status {
        if !transition_allowed(current.set_status, status) {
            return Err(PatchRefusal::Transition(format!(
                "{} -> {}: an ended campaign stays ended",
                current.set_status.as_str(),
                status.as_str()
            )));
        }
        next.set_status = status;
    }
    if let Some(ends_at) = patch.ends_at {
        let starts_at = current.config.starts_at.0;
        if ends_at.0 <= starts_at {
            return Err(PatchRefusal::Invalid(
                "ends_at: must be after starts_at".into(),
            ));
        }
        if ends_at.0 - starts_at > Duration::days(366) {
            return Err(PatchRefusal::Invalid(
                "ends_at: a campaign runs at most 366 days".into(),
            ));
        }
        if current
            .config
            .coupon
            .valid_until
            .is_some_and(|until| ends_at.0 > until.0)
        {
            return Err(PatchRefusal::Invalid(
                "ends_at: not after coupon.valid_until (a coupon claimed then would be expired)"
                    .into(),
            ));
        }
        next.config.ends_at = ends_at;
    }
    if let Some(add) = patch.add_stock {
        // Range first, so the sum below cannot overflow.
        let total = (1..=MAX_ADD_STOCK)
            .contains(&add)
            .then(|| current.config.stock.checked_add(add))
            .flatten()
            .filter(|total| *total <= MAX_STOCK);
        let Some(total) = total else {
            return Err(PatchRefusal::Invalid(format!(
                "add_stock: from 1 to {MAX_ADD_STOCK}, and the total stock at most {MAX_STOCK} (now {})",
                current.config.stock
            )));
        };
        next.config.stock = total;
    }
    next.revision = current.revision + 1;
    Ok(next)
}

/// Each stock shard's share of the stock after a change, by shard index. The shard count is
/// frozen at creation, so a top-up grows every share and never moves units between shards.
pub fn shard_shares(state: &Mutable) -> Vec<i64> {
    split_stock(state.config.stock, state.config.shard_count())
}

/// What a stock shard holds of its campaign's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeldShare {
    pub revision: i64,
    pub total: i64,
    pub remaining: i64,
}

/// A shard's new total and remaining after the head pushed `share` at `revision`, or `None`
/// to ignore the push (an older or the same revision: a late pause never undoes a resume).
/// The total never drops, and units already issued stay issued: remaining moves by exactly
/// what the total moves, so a shard never holds more than its share.
pub fn accept_share(held: Option<HeldShare>, revision: i64, share: i64) -> Option<HeldShare> {
    match held {
        None => Some(HeldShare {
            revision,
            total: share,
            remaining: share,
        }),
        Some(held) if held.revision >= revision => None,
        Some(held) => {
            let total = share.max(held.total);
            Some(HeldShare {
                revision,
                total,
                remaining: held.remaining + (total - held.total),
            })
        }
    }
}

fn ended_noop() -> CampaignPatch {
    CampaignPatch {
        status: Some(SetStatus::Ended),
        ends_at: None,
        add_stock: None,
    }
}

/// The campaign's entity tag for a revision (strong, quoted).
pub fn etag(revision: i64) -> String {
    format!("\"r{revision}\"")
}

/// RFC 9110 If-Match: `*`, or a list of entity tags compared strongly (a weak tag never
/// matches).
pub fn if_match_allows(header: &str, current_etag: &str) -> bool {
    header.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || (!candidate.starts_with("W/") && candidate == current_etag)
    })
}
