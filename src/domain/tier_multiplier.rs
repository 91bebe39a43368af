//! Points multipliers (issue 13): `kind:"points_multiplier"` campaigns (member day ×2 on the
//! 15th) and the birthday month, and how they meet the tier's own multiplier.
//!
//! How they combine (published in `GET /v1/tiers`):
//! - the tier side is the higher of the tier's multiplier (gold ×2) and the birthday month
//!   (×2 for bronze and above): two tier benefits never stack with each other;
//! - the campaign side is the highest multiplier among the campaigns open at `paid_at`;
//! - the two sides combine as the campaign says: `higher` (the default) takes the higher,
//!   `product` multiplies them. Gold on member day: ×2 (higher) or ×4 (product).

use super::campaign::{CampaignConfig, CampaignKind, ConfigRefusal, Status};
use super::rules::PointsRules;
use super::schedule::Moment;
use super::tier::Tier;
use super::tier_benefits::{birthday_multiplier, order_multiplier, Combine};
use super::time::BusinessZone;
use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};

/// Campaign multipliers are bounded: ×2 to ×5.
pub const MIN_MULTIPLIER: i64 = 2;
pub const MAX_MULTIPLIER: i64 = 5;

/// The multiplier fields of a campaign config: required on `points_multiplier`, refused on
/// any other kind.
pub fn validate(config: &CampaignConfig) -> Result<(), ConfigRefusal> {
    let invalid = |detail: &str| Err(ConfigRefusal::Invalid(detail.into()));
    match (config.kind, config.multiplier) {
        (CampaignKind::PointsMultiplier, None) => {
            invalid("multiplier: required on a points_multiplier campaign")
        }
        (CampaignKind::PointsMultiplier, Some(m))
            if !(MIN_MULTIPLIER..=MAX_MULTIPLIER).contains(&m) =>
        {
            invalid("multiplier: from 2 to 5")
        }
        (CampaignKind::PointsMultiplier, Some(_)) => Ok(()),
        (_, Some(_)) => invalid("multiplier: only on a points_multiplier campaign"),
        (_, None) if config.combine.is_some() => {
            invalid("combine: only on a points_multiplier campaign")
        }
        (_, None) => Ok(()),
    }
}

/// Whether a points_multiplier campaign multiplies an order paid at `at`: `status` is the
/// campaign's status at `at` (the operator's status within the live window); a scheduled
/// one (member day: every month on the 15th) only during an occurrence.
pub fn multiplier_open_at(
    config: &CampaignConfig,
    status: Status,
    zone: &BusinessZone,
    at: DateTime<Utc>,
) -> bool {
    let in_occurrence = !matches!(
        super::schedule_campaign::moment(config, zone, at),
        Some(Moment::Between(_) | Moment::Over)
    );
    config.kind == CampaignKind::PointsMultiplier
        && config.multiplier.is_some()
        && status == Status::Active
        && config.starts_at.0 <= at
        && at < config.ends_at.0
        && in_occurrence
}

/// A campaign multiplier found open at an order's `paid_at`, passed with the order.paid event
/// to the member's object and stored with the order's points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignMultiplier {
    pub campaign_id: String,
    pub multiplier: i64,
    #[serde(default)]
    pub combine: Combine,
}

impl CampaignMultiplier {
    pub fn of(config: &CampaignConfig) -> Option<CampaignMultiplier> {
        Some(CampaignMultiplier {
            campaign_id: config.id.as_str().to_owned(),
            multiplier: config.multiplier?.clamp(1, MAX_MULTIPLIER),
            combine: config.combine.unwrap_or_default(),
        })
    }
}

/// Of several campaigns open at once the highest applies (then `product` over `higher`, then
/// the smallest id): promotions never stack among themselves.
pub fn strongest(found: Vec<CampaignMultiplier>) -> Option<CampaignMultiplier> {
    found.into_iter().max_by(|a, b| {
        (a.multiplier, a.combine == Combine::Product)
            .cmp(&(b.multiplier, b.combine == Combine::Product))
            .then(b.campaign_id.cmp(&a.campaign_id))
    })
}

/// What multiplies an order's points besides its tier.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Boost {
    pub campaign: Option<CampaignMultiplier>,
    pub birth_month: Option<u32>,
}

/// The business-time (year, month) of an instant.
pub fn business_month(zone: &BusinessZone, at: DateTime<Utc>) -> (i32, u32) {
    let date = zone.date_of(at);
    (date.year(), date.month())
}

/// The order's multiplier for a member of `tier` (before the order) paid at `paid_at`.
pub fn multiplier_for_order(
    tier: Tier,
    rules: &PointsRules,
    boost: &Boost,
    zone: &BusinessZone,
    paid_at: DateTime<Utc>,
) -> i64 {
    let (_, paid_month) = business_month(zone, paid_at);
    let tier_side =
        rules
            .multiplier_for(tier)
            .max(birthday_multiplier(tier, boost.birth_month, paid_month));
    match &boost.campaign {
        Some(campaign) => order_multiplier(tier_side, &[campaign.multiplier], campaign.combine),
        None => tier_side.max(1),
    }
}

/// A birth month as the core sends it: 1 to 12, nothing else.
pub fn valid_birth_month(month: u32) -> bool {
    (1..=12).contains(&month)
}
