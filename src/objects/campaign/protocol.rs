//! Commands to a campaign's head object, its stock shards and the campaign directory, each
//! naming its reply (`protocol!`); the views they answer are in `views.rs`.

use crate::domain::campaign::{CampaignConfig, SetStatus, StockRefusal};
use crate::domain::ids::CampaignId;
use crate::domain::time::Instant;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use super::views::{AdminCampaign, ClaimTerms, NextOccurrence, PublicCampaign};
pub use crate::domain::campaign_patch::CampaignPatch;

crate::protocol! {
    /// Commands to a campaign's head object.
    pub enum CampaignCommand {
        Create(CreateCampaign) -> AdminCampaign,
        Admin(AdminView) -> AdminCampaign,
        Public(PublicView) -> PublicCampaign,
        Patch(PatchCampaign) -> AdminCampaign,
        /// The immutable terms a claim needs (cached by the worker).
        Terms(GetTerms) -> ClaimTerms,
        /// Counts a claim refused outside the stock shards (eligibility, limits, poster).
        Rejected(CountRejected) -> (),
        /// A scheduled campaign: the occurrence a claim at `now` is for, its shards ready.
        Occurrence(OccurrenceAt) -> OccurrenceReply,
        /// A scheduled campaign: readies the shards of occurrences opening soon (the cron).
        Warm(WarmOccurrences) -> Vec<String>,
        /// The status at a past instant, with the operator's status then (the audit trail):
        /// whether a member day multiplies an order paid at `at` and reported later.
        StatusAt(StatusAt) -> StatusThen,
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StatusAt {
    pub at: Instant,
}

/// The status at `at` and the campaign's live window (an extension made since counts).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StatusThen {
    pub status: crate::domain::campaign::Status,
    pub starts_at: Instant,
    pub ends_at: Instant,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OccurrenceAt {
    pub now: Instant,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WarmOccurrences {
    pub now: Instant,
    /// Occurrences opening within this many minutes get their shards now.
    pub lead_minutes: i64,
}

/// What a claim at a moment meets in a scheduled campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    rename_all = "snake_case",
    tag = "at",
    try_from = "OccurrenceReplyWire"
)]
pub enum OccurrenceReply {
    /// Not a scheduled campaign: claims go to the campaign's own shards.
    Unscheduled,
    /// This occurrence is open, and its shards hold the head's current state.
    Open {
        key: String,
        starts_at: Instant,
        ends_at: Instant,
    },
    /// No occurrence is open: why, and the next one if any.
    Closed {
        refusal: StockRefusal,
        next_occurrence: Option<NextOccurrence>,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreateCampaign {
    pub config: Box<CampaignConfig>,
    pub actor: String,
    pub idempotency_key: Option<String>,
    pub body_hash: String,
    pub now: Instant,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AdminView {
    pub now: Instant,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PublicView {
    pub now: Instant,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PatchCampaign {
    pub patch: CampaignPatch,
    pub actor: String,
    pub now: Instant,
    pub idempotency_key: Option<String>,
    pub body_hash: String,
    /// The request's If-Match, checked against the revision in the same transaction.
    pub if_match: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GetTerms {}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CountRejected {
    pub reason: String,
}

/// What a stock shard holds and enforces: the window, the operator's status and the units.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShardState {
    pub campaign_id: CampaignId,
    pub set_status: SetStatus,
    pub starts_at: Instant,
    pub ends_at: Instant,
    /// This shard's share of the campaign's total stock (absolute, so updates are idempotent).
    pub total: i64,
    /// The head's revision this state comes from: a shard ignores an older one, so a late
    /// update (a pause overtaken by a resume) never undoes a newer one.
    pub revision: i64,
}

crate::protocol! {
    /// Commands to one stock shard of a campaign.
    pub enum StockCommand {
        /// Sets the shard's state; creates it on first use. Ignores older revisions; never
        /// lowers the total.
        Sync(SyncShard) -> ShardStats,
        /// One unit for a claim id (again: the same unit).
        Take(TakeUnit) -> TakeReply,
        /// Gives back the unit a claim id took, if it took one (again: nothing more).
        Release(ReleaseUnit) -> Released,
        Stats(GetShardStats) -> ShardStats,
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SyncShard {
    pub state: ShardState,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TakeUnit {
    pub claim_id: String,
    pub now: Instant,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReleaseUnit {
    pub claim_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GetShardStats {}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TakeReply {
    Taken { remaining: i64 },
    Refused { refusal: StockRefusal },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Released {
    /// Whether a unit came back (false: the claim id held none here).
    pub released: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardStats {
    pub total: i64,
    pub remaining: i64,
    pub issued: i64,
    pub rejected: BTreeMap<String, i64>,
}

crate::protocol! {
    /// Commands to the one campaign directory.
    pub enum DirectoryCommand {
        Index(IndexCampaign) -> (),
        /// Ids of campaigns that are running or upcoming at `now`, soonest first.
        Listed(ListCampaigns) -> Vec<String>,
        /// Ids of every campaign, most recently created first, at most `limit` (the console).
        All(AllCampaigns) -> Vec<String>,
        /// Claims an Idempotency-Key for creating `campaign_id` with a body of `body_hash`.
        ReserveKey(ReserveCreateKey) -> (),
        /// Marks a campaign as a points multiplier (from its head, at each sync).
        MarkMultiplier(MarkMultiplier) -> (),
        /// Ids of the multiplier campaigns whose window holds `at`, not ended.
        MultipliersAt(MultipliersAt) -> Vec<String>,
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MarkMultiplier {
    pub id: CampaignId,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MultipliersAt {
    pub at: Instant,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IndexCampaign {
    pub id: CampaignId,
    pub starts_at: Instant,
    pub ends_at: Instant,
    pub ended: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ListCampaigns {
    pub now: Instant,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AllCampaigns {
    pub limit: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReserveCreateKey {
    pub key: String,
    pub body_hash: String,
    pub campaign_id: CampaignId,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum ReplyAt {
    Unscheduled,
    Open,
    Closed,
}

/// `OccurrenceReply` read as one struct (`objects::protocol::required`).
#[derive(Deserialize)]
struct OccurrenceReplyWire {
    at: ReplyAt,
    #[serde(default)]
    key: Option<String>,
    #[serde(default)]
    starts_at: Option<Instant>,
    #[serde(default)]
    ends_at: Option<Instant>,
    #[serde(default)]
    refusal: Option<StockRefusal>,
    #[serde(default)]
    next_occurrence: Option<super::views::NextOccurrence>,
}

impl TryFrom<OccurrenceReplyWire> for OccurrenceReply {
    type Error = String;

    fn try_from(wire: OccurrenceReplyWire) -> Result<Self, String> {
        use crate::objects::protocol::required;
        Ok(match wire.at {
            ReplyAt::Unscheduled => OccurrenceReply::Unscheduled,
            ReplyAt::Open => OccurrenceReply::Open {
                key: required(wire.key, "key")?,
                starts_at: required(wire.starts_at, "starts_at")?,
                ends_at: required(wire.ends_at, "ends_at")?,
            },
            ReplyAt::Closed => OccurrenceReply::Closed {
                refusal: required(wire.refusal, "refusal")?,
                next_occurrence: wire.next_occurrence,
            },
        })
    }
}
