//! What a tier gives (issue 13): member prices on eligible lines and how order points are
//! multiplied. Published as is (`GET /v1/tiers`), so members can read what they are promised.
//!
//! Compliance: prescription (Rx) and special-management drugs are never discounted by tier
//! and never earn; a member price is never below zero nor above the list price.

use super::order_lines::{DrugClass, OrderLine};
use super::tier::Tier;
use serde::{Deserialize, Serialize};

/// Per tier: the percent of the list price a member pays on eligible lines (95 = 9.5折).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberPrices {
    pub member: i64,
    pub bronze: i64,
    pub silver: i64,
    pub gold: i64,
}

impl Default for MemberPrices {
    /// The seed's programme: bronze 9.5折, silver 9折, gold 8.8折.
    fn default() -> Self {
        Self {
            member: 100,
            bronze: 95,
            silver: 90,
            gold: 88,
        }
    }
}

impl MemberPrices {
    pub fn percent_for(&self, tier: Tier) -> i64 {
        let percent = match tier {
            Tier::Member => self.member,
            Tier::Bronze => self.bronze,
            Tier::Silver => self.silver,
            Tier::Gold => self.gold,
        };
        percent.clamp(0, 100)
    }
}

/// Whether a tier's member price may apply to a line of this class.
pub fn member_priced(class: DrugClass) -> bool {
    !matches!(class, DrugClass::Rx | DrugClass::Special)
}

/// One line at the member's price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberPricedLine {
    pub sku: String,
    pub list_unit_price_fen: i64,
    /// What the member pays per unit; the list price on lines the tier does not discount.
    pub unit_price_fen: i64,
    /// `(list - member) * qty`.
    pub member_discount_fen: i64,
}

/// The member's unit price: `percent` of the list price, rounded half up to the fen.
pub fn member_unit_price(list_fen: i64, percent: i64) -> i64 {
    let list = list_fen.max(0);
    let scaled = (i128::from(list) * i128::from(percent.clamp(0, 100)) + 50) / 100;
    (scaled as i64).clamp(0, list)
}

/// Prices `lines` for a member of `tier`.
pub fn price_for_tier(
    lines: &[OrderLine],
    tier: Tier,
    prices: &MemberPrices,
) -> Vec<MemberPricedLine> {
    let percent = prices.percent_for(tier);
    lines
        .iter()
        .map(|line| {
            let unit = if member_priced(line.drug_class) {
                member_unit_price(line.unit_price_fen, percent)
            } else {
                line.unit_price_fen
            };
            MemberPricedLine {
                sku: line.sku.clone(),
                list_unit_price_fen: line.unit_price_fen,
                unit_price_fen: unit,
                member_discount_fen: (line.unit_price_fen - unit) * line.qty,
            }
        })
        .collect()
}

/// How a campaign's points multiplier meets the tier's (gold ×2).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Combine {
    /// The higher of the two applies (API.md's default): member day ×2 for gold is still ×2.
    #[default]
    Higher,
    /// Both apply: member day ×2 for gold is ×4.
    Product,
}

/// The multiplier on an order's points: the tier's, and every campaign multiplier in force
/// when the order was paid (member day, birthday month), combined as configured. Campaign
/// multipliers among themselves take the highest (two promotions never stack unbounded).
pub fn order_multiplier(
    tier_multiplier: i64,
    campaign_multipliers: &[i64],
    combine: Combine,
) -> i64 {
    let tier = tier_multiplier.max(1);
    let campaign = campaign_multipliers
        .iter()
        .copied()
        .max()
        .unwrap_or(1)
        .max(1);
    match combine {
        Combine::Higher => tier.max(campaign),
        Combine::Product => tier.saturating_mul(campaign),
    }
}

/// The birthday month's multiplier, and the lowest tier that has it (seed 004: bronze).
pub const BIRTHDAY_MULTIPLIER: i64 = 2;
pub const BIRTHDAY_MIN_TIER: Tier = Tier::Bronze;
/// Birthday month spend bonus (seed 004: 满199元 → 200 points, once a year).
pub const BIRTHDAY_SPEND_FEN: i64 = 19_900;
pub const BIRTHDAY_BONUS_POINTS: i64 = 200;

/// Birthday month (seed 004): bronze and above earn double points in their birth month.
pub fn birthday_multiplier(tier: Tier, birth_month: Option<u32>, paid_month: u32) -> i64 {
    if tier >= BIRTHDAY_MIN_TIER && birth_month == Some(paid_month) {
        BIRTHDAY_MULTIPLIER
    } else {
        1
    }
}

/// Birthday month spend bonus (seed 004: 满199元 in the birth month → 200 points, once a year):
/// the points to grant now, given the own spend in the birth month including this order and
/// whether this year's bonus was already granted.
pub fn birthday_bonus(spend_in_birth_month_fen: i64, granted_this_year: bool) -> i64 {
    if !granted_this_year && spend_in_birth_month_fen >= BIRTHDAY_SPEND_FEN {
        BIRTHDAY_BONUS_POINTS
    } else {
        0
    }
}
