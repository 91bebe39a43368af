//! What the campaign objects answer: the published and the marketing views, their stats,
//! and the terms a claim needs.

use super::protocol::ShardStats;
use crate::domain::campaign::{Audience, CampaignConfig, CampaignKind, Limits, SetStatus, Status};
use crate::domain::coupon::TermsView;
use crate::domain::ids::CampaignId;
use crate::domain::time::Instant;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The terms a member's object needs to decide and issue a claim.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClaimTerms {
    /// Boxed: it rides in the member's `Claim` command, which would otherwise dwarf the rest.
    pub config: Box<CampaignConfig>,
    pub shard_count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockView {
    pub total: i64,
    pub remaining: i64,
}

/// The coupon terms as published, with their validity.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(from = "PublicCouponWire")]
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
    /// A scheduled campaign: the occurrence open now, else the next one (none once the last
    /// has started and closed). `stock` above is then this occurrence's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_occurrence: Option<NextOccurrence>,
    /// A points exchange's price in points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_points: Option<i64>,
    /// `points_multiplier` campaigns: the multiplier and how it meets gold ×2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multiplier: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub combine: Option<crate::domain::tier_benefits::Combine>,
}

/// One occurrence of a scheduled campaign, as a member sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NextOccurrence {
    pub starts_at: Instant,
    pub ends_at: Instant,
    pub stock: StockView,
}

/// One occurrence's stats, for marketing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OccurrenceStats {
    /// The business date it starts on.
    pub key: String,
    pub starts_at: Instant,
    pub ends_at: Instant,
    /// `past`, `open` or `next`.
    pub state: String,
    pub total: i64,
    pub issued: i64,
    pub remaining: i64,
    /// Whether its stock shards exist and hold the current revision (the cron warms them).
    pub ready: bool,
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

/// The marketing view: the full config, status, live stats and the audit trail. Written with
/// the config's keys inline; read by `Deserialize` below.
#[derive(Debug, Clone, Serialize)]
pub struct AdminCampaign {
    #[serde(flatten)]
    pub config: CampaignConfig,
    pub status: Status,
    pub set_status: SetStatus,
    pub shard_count: u32,
    /// Bumped by every change; the ETag is derived from it.
    pub revision: i64,
    pub stats: CampaignStats,
    pub audit: Vec<AuditEntry>,
    /// A scheduled campaign: the recent, open and next occurrences (`stats` is then the open
    /// or else the next occurrence's).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub occurrences: Vec<OccurrenceStats>,
}

/// `AdminCampaign`'s own keys, beside the config's.
#[derive(Deserialize)]
struct AdminParts {
    status: Status,
    set_status: SetStatus,
    shard_count: u32,
    revision: i64,
    stats: CampaignStats,
    audit: Vec<AuditEntry>,
    #[serde(default)]
    occurrences: Vec<OccurrenceStats>,
}

const ADMIN_KEYS: [&str; 7] = [
    "status",
    "set_status",
    "shard_count",
    "revision",
    "stats",
    "audit",
    "occurrences",
];

/// The view's keys and the config's, split and each read by its own type's decoder, instead of
/// `#[serde(flatten)]` (which buffers the map and compiles a deserializer over the buffer for
/// the config and every type in it). An admin read, so the text round trip costs nothing.
impl<'de> Deserialize<'de> for AdminCampaign {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        use serde_json::{Map, Value};
        let mut config = Map::<String, Value>::deserialize(d)?;
        let mut own = Map::new();
        for key in ADMIN_KEYS {
            if let Some(value) = config.remove(key) {
                own.insert(key.to_owned(), value);
            }
        }
        let read = |fields: Map<String, Value>| Value::Object(fields).to_string();
        let parts: AdminParts = serde_json::from_str(&read(own)).map_err(D::Error::custom)?;
        let config: CampaignConfig =
            serde_json::from_str(&read(config)).map_err(D::Error::custom)?;
        Ok(AdminCampaign {
            config,
            status: parts.status,
            set_status: parts.set_status,
            shard_count: parts.shard_count,
            revision: parts.revision,
            stats: parts.stats,
            audit: parts.audit,
            occurrences: parts.occurrences,
        })
    }
}

impl CampaignStats {
    /// Issued is counted by the shards; remaining is derived from the stock, never summed
    /// from shard shares (a share pushed late would show as missing stock). Refusals are
    /// counted where they were decided: the shards, and the head (`own`).
    pub fn sum(stock: i64, shards: &[ShardStats], own: &[(String, i64)]) -> CampaignStats {
        let mut stats = CampaignStats {
            issued: 0,
            remaining: 0,
            claims_rejected: BTreeMap::new(),
        };
        for shard in shards {
            stats.issued += shard.issued;
            for (reason, n) in &shard.rejected {
                *stats.claims_rejected.entry(reason.clone()).or_default() += n;
            }
        }
        for (reason, n) in own {
            *stats.claims_rejected.entry(reason.clone()).or_default() += n;
        }
        stats.remaining = (stock - stats.issued).max(0);
        stats
    }
}

/// A public campaign's `status` and `kind` read from its JSON (a relayed reply, as a `Value`),
/// without a decoder of the whole view: for the store entry page, which lists a few fields.
pub fn status_and_kind(view: &serde_json::Value) -> Option<(Status, CampaignKind)> {
    let status = match view["status"].as_str()? {
        "scheduled" => Status::Scheduled,
        "active" => Status::Active,
        "paused" => Status::Paused,
        "ended" => Status::Ended,
        _ => return None,
    };
    let kind = match view["kind"].as_str()? {
        "coupon" => CampaignKind::Coupon,
        "flash_sale" => CampaignKind::FlashSale,
        "store_poster" => CampaignKind::StorePoster,
        "points_exchange" => CampaignKind::PointsExchange,
        "points_multiplier" => CampaignKind::PointsMultiplier,
        _ => return None,
    };
    Some((status, kind))
}

impl PublicCampaign {
    pub fn new(
        config: &CampaignConfig,
        set_status: SetStatus,
        stats: &CampaignStats,
        now: Instant,
    ) -> Self {
        PublicCampaign {
            id: config.id.clone(),
            name: config.name.clone(),
            kind: config.kind,
            starts_at: config.starts_at,
            ends_at: config.ends_at,
            status: status_now(config, set_status, now),
            coupon: PublicCoupon::from_config(config),
            limits: config.limits.clone(),
            audience: config.audience.clone(),
            rules_text: config.rules_text.clone(),
            stock: StockView {
                total: config.stock,
                remaining: stats.remaining,
            },
            next_occurrence: None,
            cost_points: config.cost_points,
            multiplier: config.multiplier,
            combine: config
                .multiplier
                .map(|_| config.combine.unwrap_or_default()),
        }
    }
}

/// The status a member sees now.
pub fn status_now(config: &CampaignConfig, set_status: SetStatus, now: Instant) -> Status {
    crate::domain::campaign::status_at(set_status, config.starts_at.0, config.ends_at.0, now.0)
}

/// `PublicCoupon` read through explicit fields (no `#[serde(flatten)]` buffering).
#[derive(Deserialize)]
struct PublicCouponWire {
    #[serde(rename = "type")]
    coupon_type: String,
    #[serde(default)]
    value_fen: Option<i64>,
    #[serde(default)]
    percent: Option<i64>,
    min_spend_fen: i64,
    #[serde(default)]
    max_discount_fen: Option<i64>,
    #[serde(default)]
    valid_days: Option<i64>,
    #[serde(default)]
    valid_until: Option<Instant>,
}

impl From<PublicCouponWire> for PublicCoupon {
    fn from(wire: PublicCouponWire) -> Self {
        let terms = TermsView {
            coupon_type: wire.coupon_type,
            value_fen: wire.value_fen,
            percent: wire.percent,
            min_spend_fen: wire.min_spend_fen,
            max_discount_fen: wire.max_discount_fen,
        };
        PublicCoupon {
            terms,
            valid_days: wire.valid_days,
            valid_until: wire.valid_until,
        }
    }
}
