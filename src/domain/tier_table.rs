//! The tier programme as published (`GET /v1/tiers`, CR-3 transparency): built from the very
//! rules and constants the writes use (tier thresholds, member prices, multipliers, birthday
//! rules, exchange caps, earn rates), never from a copy.

use super::exchange::ExchangeCaps;
use super::order_lines::DrugClass;
use super::points::rate_for;
use super::rules::{EarnRate, Rules};
use super::tier::Tier;
use super::tier_benefits::{
    member_priced, MemberPrices, BIRTHDAY_BONUS_POINTS, BIRTHDAY_MIN_TIER, BIRTHDAY_MULTIPLIER,
    BIRTHDAY_SPEND_FEN,
};
use super::tier_multiplier::{MAX_MULTIPLIER, MIN_MULTIPLIER};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TierRow {
    pub name: Tier,
    /// Own paid spend (net of refunds and insurance) over the window that reaches this tier.
    pub threshold_fen: i64,
    /// Percent of the list price paid on eligible lines (95 = 9.5折).
    pub member_price_percent: i64,
    /// The tier's own multiplier on order points (gold ×2).
    pub points_multiplier: i64,
    pub birthday_double_points: bool,
    /// The face value a member may exchange points for per business month.
    pub exchange_cap_fen: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EarnRateView {
    pub points: i64,
    pub per_fen: i64,
}

impl From<EarnRate> for EarnRateView {
    fn from(rate: EarnRate) -> Self {
        EarnRateView {
            points: rate.points,
            per_fen: rate.per_fen,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TierTable {
    pub window_days: i64,
    pub tiers: Vec<TierRow>,
    pub member_prices: MemberPriceRules,
    pub earn: EarnRules,
    pub multipliers: MultiplierRules,
    pub birthday: BirthdayRules,
    pub upgrade_gift: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberPriceRules {
    /// Drug classes the member price applies to (never Rx, never special).
    pub eligible_classes: Vec<DrugClass>,
    pub rounding: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EarnRules {
    pub regular: EarnRateView,
    pub otc: EarnRateView,
    pub health: EarnRateView,
    pub never_earn: Vec<DrugClass>,
    pub basis: &'static str,
    pub points_valid_days: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MultiplierRules {
    pub campaign_min: i64,
    pub campaign_max: i64,
    pub default_combine: &'static str,
    pub combination: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BirthdayRules {
    pub multiplier: i64,
    pub from_tier: Tier,
    pub spend_fen: i64,
    pub bonus_points: i64,
    pub bonus_per: &'static str,
}

const ALL_TIERS: [Tier; 4] = [Tier::Member, Tier::Bronze, Tier::Silver, Tier::Gold];
const ALL_CLASSES: [DrugClass; 7] = [
    DrugClass::Rx,
    DrugClass::OtcA,
    DrugClass::OtcB,
    DrugClass::Health,
    DrugClass::Device,
    DrugClass::Other,
    DrugClass::Special,
];

/// The published table for `rules` (the worker's configured rules).
pub fn table(rules: &Rules) -> TierTable {
    let prices = MemberPrices::default();
    let caps = ExchangeCaps::default();
    let threshold = |tier: Tier| match tier {
        Tier::Member => 0,
        Tier::Bronze => rules.tiers.bronze_fen,
        Tier::Silver => rules.tiers.silver_fen,
        Tier::Gold => rules.tiers.gold_fen,
    };
    TierTable {
        window_days: rules.tiers.window_days,
        tiers: ALL_TIERS
            .iter()
            .map(|&tier| TierRow {
                name: tier,
                threshold_fen: threshold(tier),
                member_price_percent: prices.percent_for(tier),
                points_multiplier: rules.points.multiplier_for(tier),
                birthday_double_points: tier >= BIRTHDAY_MIN_TIER,
                exchange_cap_fen: caps.cap_for(tier),
            })
            .collect(),
        member_prices: MemberPriceRules {
            eligible_classes: ALL_CLASSES.into_iter().filter(|c| member_priced(*c)).collect(),
            rounding: "half up to the fen; never below zero; the coupon applies to the member-priced subtotal",
        },
        earn: EarnRules {
            regular: rules.points.regular.into(),
            otc: rules.points.otc.into(),
            health: rules.points.health.into(),
            never_earn: ALL_CLASSES
                .into_iter()
                .filter(|c| rate_for(*c, &rules.points).is_none())
                .collect(),
            basis: "own payment (net of insurance), shared over the earning lines by class",
            points_valid_days: rules.points.ttl_days,
        },
        multipliers: MultiplierRules {
            campaign_min: MIN_MULTIPLIER,
            campaign_max: MAX_MULTIPLIER,
            default_combine: "higher",
            combination: "tier side = the higher of the tier's multiplier (gold x2) and the birthday month (x2); campaign side = the highest open campaign at paid_at (member day x2); higher (default): the higher of the two sides; product: their product",
        },
        birthday: BirthdayRules {
            multiplier: BIRTHDAY_MULTIPLIER,
            from_tier: BIRTHDAY_MIN_TIER,
            spend_fen: BIRTHDAY_SPEND_FEN,
            bonus_points: BIRTHDAY_BONUS_POINTS,
            bonus_per: "business year, on own spend in the birth month",
        },
        upgrade_gift: "reaching a new tier is reported to the core (tier.changed), which ships the upgrade gift",
    }
}
