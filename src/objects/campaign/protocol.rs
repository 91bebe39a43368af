//! Commands to a campaign's head object and its stock shards, and the views they answer.

use crate::domain::campaign::{
    Audience, CampaignConfig, CampaignKind, Limits, SetStatus, Status, StockRefusal,
};
use crate::domain::coupon::TermsView;
use crate::domain::ids::CampaignId;
use crate::domain::time::Instant;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// PATCH /v1/admin/campaigns/{id}: the body type lives with the other request bodies.
pub use crate::http::bodies::CampaignPatch;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum CampaignCommand {
    Create {
        config: Box<CampaignConfig>,
        actor: String,
        idempotency_key: Option<String>,
        body_hash: String,
        now: Instant,
    },
    Admin {
        now: Instant,
    },
    Public {
        now: Instant,
    },
    Patch {
        patch: CampaignPatch,
        actor: String,
        now: Instant,
    },
    /// The immutable terms a claim needs (cached by the worker).
    Terms,
    /// Counts a claim refused outside the stock shards (eligibility, limits, poster).
    Rejected {
        reason: String,
    },
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
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum StockCommand {
    /// Sets the shard's state; creates it on first use. Never lowers the total.
    Sync {
        state: ShardState,
    },
    Take {
        claim_id: String,
        now: Instant,
    },
    Stats,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TakeReply {
    Taken { remaining: i64 },
    Refused { refusal: StockRefusal },
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ShardStats {
    pub total: i64,
    pub remaining: i64,
    pub issued: i64,
    pub rejected: BTreeMap<String, i64>,
}

/// The terms a member's object needs to decide and issue a claim.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClaimTerms {
    pub config: CampaignConfig,
    pub shard_count: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StockView {
    pub total: i64,
    pub remaining: i64,
}

/// The coupon terms as published, with their validity.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PublicCoupon {
    #[serde(flatten)]
    pub terms: TermsView,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_days: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<Instant>,
}

impl PublicCoupon {
    pub fn from_config(config: &CampaignConfig) -> Self {
        PublicCoupon {
            terms: config.coupon.terms.view(),
            valid_days: config.coupon.valid_days,
            valid_until: config.coupon.valid_until,
        }
    }
}

/// GET /v1/campaigns/{id}: the published rules.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PublicCampaign {
    pub id: CampaignId,
    pub name: String,
    pub kind: CampaignKind,
    pub starts_at: Instant,
    pub ends_at: Instant,
    pub status: Status,
    pub coupon: PublicCoupon,
    pub limits: Limits,
    pub audience: Audience,
    pub rules_text: String,
    pub stock: StockView,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: Instant,
    pub actor: String,
    pub action: String,
    pub before: Option<serde_json::Value>,
    pub after: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CampaignStats {
    pub issued: i64,
    pub remaining: i64,
    pub claims_rejected: BTreeMap<String, i64>,
}

/// The marketing view: the full config, status, live stats and the audit trail.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AdminCampaign {
    #[serde(flatten)]
    pub config: CampaignConfig,
    pub status: Status,
    pub set_status: SetStatus,
    pub shard_count: u32,
    pub stats: CampaignStats,
    pub audit: Vec<AuditEntry>,
}
