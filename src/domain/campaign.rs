//! Campaigns: their configuration (validated once, at creation), their status over time,
//! who may claim, how often, and how stock is split across shards.

pub use super::campaign_gift::{check_gift, Gift};
pub use super::coupon_template::CouponTemplate;
use super::ids::{CampaignId, MemberId};
use super::tier::Tier;
use super::time::{BusinessZone, Instant};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignKind {
    Coupon,
    FlashSale,
    StorePoster,
    PointsExchange,
    PointsMultiplier,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    pub per_member: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_member_per_day: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Audience {
    /// Only members registered within this many days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_members_within_days: Option<i64>,
    /// Only members with no paid order yet.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub first_order_only: bool,
    /// Only these tiers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tiers: Option<Vec<Tier>>,
}

/// The full configuration a marketing operator submits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignConfig {
    pub id: CampaignId,
    pub name: String,
    pub kind: CampaignKind,
    pub starts_at: Instant,
    pub ends_at: Instant,
    pub stock: i64,
    pub coupon: CouponTemplate,
    pub limits: Limits,
    #[serde(default)]
    pub audience: Audience,
    pub rules_text: String,
    /// Stock shards (each a Durable Object). Derived from the stock when the operator leaves
    /// it out, and frozen at creation (`frozen`): a top-up never re-splits the stock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shards: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gift: Option<Gift>,
    /// Recurring occurrences inside the window (issue 13, `domain::schedule_campaign`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<super::schedule::Schedule>,
    /// Points a claim spends (`points_exchange` only; `exchange::check_config`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_points: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multiplier: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub combine: Option<super::tier_benefits::Combine>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigRefusal {
    /// 422 invalid_campaign
    Invalid(String),
    /// 422 non_compliant_reward
    NonCompliant(String),
}

pub const MAX_STOCK: i64 = 10_000_000;
pub const MAX_SHARDS: u32 = 64;
/// Stock above which a campaign is split when the operator does not say how.
pub const UNITS_PER_SHARD: i64 = 2_000;

fn invalid(detail: impl Into<String>) -> ConfigRefusal {
    ConfigRefusal::Invalid(detail.into())
}

impl CampaignConfig {
    pub fn validate(&self) -> Result<(), ConfigRefusal> {
        let name_len = self.name.chars().count();
        if name_len == 0 || name_len > 100 || self.name.chars().any(char::is_control) {
            return Err(invalid("name: 1 to 100 characters"));
        }
        if self.ends_at.0 <= self.starts_at.0 {
            return Err(invalid("ends_at: must be after starts_at"));
        }
        if self.ends_at.0 - self.starts_at.0 > Duration::days(366) {
            return Err(invalid("ends_at: a campaign runs at most 366 days"));
        }
        if !(1..=MAX_STOCK).contains(&self.stock) {
            return Err(invalid(format!("stock: from 1 to {MAX_STOCK}")));
        }
        self.coupon
            .terms
            .validate()
            .map_err(ConfigRefusal::Invalid)?;
        match (self.coupon.valid_days, self.coupon.valid_until) {
            (Some(days), None) if (1..=366).contains(&days) => {}
            // A coupon claimed at the last moment is still valid when it is issued.
            (None, Some(until)) if until.0 >= self.ends_at.0 => {}
            (Some(_), Some(_)) => {
                return Err(invalid("coupon: valid_days or valid_until, not both"))
            }
            (None, None) => {
                return Err(invalid(
                    "coupon.valid_days or coupon.valid_until is required",
                ))
            }
            (Some(_), None) => return Err(invalid("coupon.valid_days: from 1 to 366")),
            (None, Some(_)) => {
                return Err(invalid(
                    "coupon.valid_until: not before ends_at (a coupon claimed at the end must be valid when issued)",
                ))
            }
        }
        if !(1..=100).contains(&self.limits.per_member) {
            return Err(invalid("limits.per_member: from 1 to 100"));
        }
        if let Some(per_day) = self.limits.per_member_per_day {
            if per_day == 0 || per_day > self.limits.per_member {
                return Err(invalid("limits.per_member_per_day: from 1 to per_member"));
            }
        }
        if let Some(days) = self.audience.new_members_within_days {
            if !(1..=3650).contains(&days) {
                return Err(invalid("audience.new_members_within_days: from 1 to 3650"));
            }
        }
        if self.audience.tiers.as_ref().is_some_and(Vec::is_empty) {
            return Err(invalid(
                "audience.tiers: at least one tier, or leave it out",
            ));
        }
        let rules_len = self.rules_text.chars().count();
        if rules_len == 0 || rules_len > 4000 {
            return Err(invalid(
                "rules_text: 1 to 4000 characters (the published rules)",
            ));
        }
        if let Some(shards) = self.shards {
            if !(1..=MAX_SHARDS).contains(&shards) || i64::from(shards) > self.stock {
                return Err(invalid(format!(
                    "shards: from 1 to {MAX_SHARDS}, and not more than the stock"
                )));
            }
        }
        if let Some(classes) = &self.coupon.eligible_classes {
            if classes.is_empty() {
                return Err(invalid(
                    "coupon.eligible_classes: at least one class, or leave it out",
                ));
            }
            if classes
                .iter()
                .any(|class| !super::coupon::discountable(*class))
            {
                return Err(ConfigRefusal::NonCompliant(
                    "coupon.eligible_classes: a coupon may never discount rx or special lines"
                        .into(),
                ));
            }
        }
        super::tier_multiplier::validate(self)?;
        if self
            .gift
            .as_ref()
            .is_some_and(|gift| !super::ids::is_valid_id(&gift.sku))
        {
            return Err(ConfigRefusal::Invalid(
                "gift.sku: must match [A-Za-z0-9_-]{1,64}".into(),
            ));
        }
        super::schedule_campaign::check(self)?;
        super::exchange::check_config(self)?;
        Ok(())
    }

    /// The configuration as stored at creation: the shard count is fixed from then on, since
    /// units already placed in shards cannot be re-split.
    pub fn frozen(mut self) -> Self {
        self.shards = Some(self.shard_count());
        self
    }

    /// How many stock shards: as configured (frozen at creation), else one per
    /// `UNITS_PER_SHARD` units.
    pub fn shard_count(&self) -> u32 {
        self.shards.unwrap_or_else(|| {
            let needed = (self.stock + UNITS_PER_SHARD - 1) / UNITS_PER_SHARD;
            needed.clamp(1, i64::from(MAX_SHARDS)) as u32
        })
    }

    /// When a coupon claimed at `claimed_at` stops being valid.
    pub fn coupon_expiry(&self, claimed_at: DateTime<Utc>, zone: &BusinessZone) -> DateTime<Utc> {
        match (self.coupon.valid_days, self.coupon.valid_until) {
            (_, Some(until)) => until.0,
            (Some(days), None) => zone.valid_through(claimed_at, days),
            (None, None) => self.ends_at.0,
        }
    }
}

/// The status an operator sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SetStatus {
    Active,
    Paused,
    Ended,
}

impl SetStatus {
    /// The stored and published name (the serde name).
    pub fn as_str(self) -> &'static str {
        match self {
            SetStatus::Active => "active",
            SetStatus::Paused => "paused",
            SetStatus::Ended => "ended",
        }
    }

    pub fn from_stored(raw: &str) -> Option<Self> {
        [SetStatus::Active, SetStatus::Paused, SetStatus::Ended]
            .into_iter()
            .find(|status| status.as_str() == raw)
    }
}

/// The status a member sees: the operator's status within the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Scheduled,
    Active,
    Paused,
    Ended,
}

pub fn status_at(
    set: SetStatus,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Status {
    match set {
        SetStatus::Ended => Status::Ended,
        _ if now >= ends_at => Status::Ended,
        SetStatus::Paused => Status::Paused,
        SetStatus::Active if now < starts_at => Status::Scheduled,
        SetStatus::Active => Status::Active,
    }
}

/// Operator status changes: ended is final; the rest may go back and forth.
pub fn transition_allowed(from: SetStatus, to: SetStatus) -> bool {
    from != SetStatus::Ended || to == SetStatus::Ended
}

/// Why a claim is refused by the campaign itself (its window, status or stock).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StockRefusal {
    CampaignNotStarted,
    CampaignEnded,
    CampaignPaused,
    SoldOut,
}

impl StockRefusal {
    pub fn reason(self) -> &'static str {
        match self {
            StockRefusal::CampaignNotStarted => "campaign_not_started",
            StockRefusal::CampaignEnded => "campaign_ended",
            StockRefusal::CampaignPaused => "campaign_paused",
            StockRefusal::SoldOut => "sold_out",
        }
    }
}

/// A stock shard's decision: the window and status first, then the stock.
pub fn take_one(status: Status, remaining: i64) -> Result<(), StockRefusal> {
    match status {
        Status::Scheduled => Err(StockRefusal::CampaignNotStarted),
        Status::Ended => Err(StockRefusal::CampaignEnded),
        Status::Paused => Err(StockRefusal::CampaignPaused),
        Status::Active if remaining <= 0 => Err(StockRefusal::SoldOut),
        Status::Active => Ok(()),
    }
}

/// What the member's object knows about the member, for audience rules.
#[derive(Debug, Clone, Copy)]
pub struct MemberFacts {
    /// From the token's `reg` or the core's `member.registered`; `None` when neither said.
    pub registered_at: Option<DateTime<Utc>>,
    pub has_paid_order: bool,
    pub tier: Tier,
}

pub fn eligibility(
    audience: &Audience,
    member: &MemberFacts,
    now: DateTime<Utc>,
) -> Result<(), &'static str> {
    if let Some(days) = audience.new_members_within_days {
        // A member whose registration nobody reported is not new (API.md).
        let is_new = member
            .registered_at
            .is_some_and(|registered| now - registered <= Duration::days(days));
        if !is_new {
            return Err("not_a_new_member");
        }
    }
    if audience.first_order_only && member.has_paid_order {
        return Err("has_ordered_before");
    }
    if let Some(tiers) = &audience.tiers {
        if !tiers.contains(&member.tier) {
            return Err("tier_not_included");
        }
    }
    Ok(())
}

/// Per-member limits, counting claims already made and those in flight.
pub fn within_limits(
    limits: &Limits,
    claims_total: u32,
    claims_today: u32,
) -> Result<(), &'static str> {
    if claims_total >= limits.per_member {
        return Err("per_member");
    }
    if limits
        .per_member_per_day
        .is_some_and(|per_day| claims_today >= per_day)
    {
        return Err("per_member_per_day");
    }
    Ok(())
}

/// Splits `total` units over `shards` as evenly as possible (the first ones get the rest).
pub fn split_stock(total: i64, shards: u32) -> Vec<i64> {
    let shards = i64::from(shards.max(1));
    (0..shards)
        .map(|index| total / shards + i64::from(index < total % shards))
        .collect()
}

/// The order in which a member tries the shards: a stable start from the member id, then the
/// others in turn, so that claimants spread evenly and a dry shard sends them on.
pub fn shard_order(member_id: &MemberId, shards: u32) -> Vec<u32> {
    let shards = shards.max(1);
    let hash = member_id.as_str().bytes().fold(2166136261_u32, |acc, b| {
        (acc ^ u32::from(b)).wrapping_mul(16777619)
    });
    let start = hash % shards;
    (0..shards)
        .map(|offset| (start + offset) % shards)
        .collect()
}

/// Name of a campaign's stock shard object.
pub fn shard_name(campaign: &CampaignId, index: u32) -> String {
    format!("{campaign}#{index}")
}
