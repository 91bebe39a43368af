//! Points (积分): an append-only ledger of awards ("lots"), each expiring on its own date,
//! spent oldest first; a clawback larger than the balance becomes a debt settled from the
//! next awards, so the balance never goes below zero.

use super::order_lines::{DrugClass, OrderLine};
use super::rules::{EarnRate, PointsRules};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    Earn,
    Spend,
    Expire,
    Clawback,
    Adjust,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Earn => "earn",
            EntryKind::Spend => "spend",
            EntryKind::Expire => "expire",
            EntryKind::Clawback => "clawback",
            EntryKind::Adjust => "adjust",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Checkin,
    Makeup,
    Order,
    Referral,
    Campaign,
    Refund,
    Expiry,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Checkin => "checkin",
            Source::Makeup => "makeup",
            Source::Order => "order",
            Source::Referral => "referral",
            Source::Campaign => "campaign",
            Source::Refund => "refund",
            Source::Expiry => "expiry",
        }
    }
}

/// An award that still has points left to spend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lot {
    pub id: i64,
    pub remaining: i64,
    pub expires_at: DateTime<Utc>,
}

/// Lots whose expiry has come: (lot id, points that expire).
pub fn expired(lots: &[Lot], now: DateTime<Utc>) -> Vec<(i64, i64)> {
    lots.iter()
        .filter(|lot| lot.remaining > 0 && has_expired(lot.expires_at, now))
        .map(|lot| (lot.id, lot.remaining))
        .collect()
}

/// Whether a lot expiring at `expires_at` has expired by `now` (its last moment is not its own).
pub fn has_expired(expires_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    expires_at <= now
}

/// Takes `amount` points from the lots, soonest-expiring first (ties by id).
/// Returns what to take from each lot and the part that could not be covered.
pub fn take_oldest_first(lots: &[Lot], amount: i64) -> (Vec<(i64, i64)>, i64) {
    let mut ordered: Vec<&Lot> = lots.iter().filter(|lot| lot.remaining > 0).collect();
    ordered.sort_by_key(|lot| (lot.expires_at, lot.id));
    let mut left = amount.max(0);
    let mut takes = Vec::new();
    for lot in ordered {
        if left == 0 {
            break;
        }
        let take = lot.remaining.min(left);
        takes.push((lot.id, take));
        left -= take;
    }
    (takes, left)
}

/// How a new award of `amount` meets an outstanding `debt`: (points the new lot keeps,
/// debt settled by it).
pub fn settle_debt(amount: i64, debt: i64) -> (i64, i64) {
    let settled = amount.min(debt.max(0)).max(0);
    (amount - settled, settled)
}

impl PointsRules {
    /// Order points multiplier of a tier: gold earns `gold_multiplier` times, others once.
    pub fn multiplier_for(&self, tier: super::tier::Tier) -> i64 {
        match tier {
            super::tier::Tier::Gold => self.gold_multiplier,
            _ => 1,
        }
    }
}

fn earn(rate: EarnRate, base_fen: i64) -> i64 {
    base_fen / rate.per_fen * rate.points
}

pub fn rate_for(class: DrugClass, rules: &PointsRules) -> Option<EarnRate> {
    match class {
        DrugClass::Rx | DrugClass::Special => None,
        DrugClass::OtcA | DrugClass::OtcB => Some(rules.otc),
        DrugClass::Health => Some(rules.health),
        DrugClass::Device | DrugClass::Other => Some(rules.regular),
    }
}

/// Points for a paid order.
///
/// Rx (and special) lines earn nothing. The member's own payment (`amount_fen -
/// insurance_fen`) is the most that can earn: the points base of the order is
/// `min(non-Rx subtotal, own payment)`, so insurance money and coupon discounts never earn.
/// That base is spread over the earning lines pro rata to their totals (floored to fen); each
/// class then earns its rate on whole units of money (floored), and the sum is multiplied by
/// the tier multiplier.
pub fn order_points(
    lines: &[OrderLine],
    amount_fen: i64,
    insurance_fen: i64,
    multiplier: i64,
    rules: &PointsRules,
) -> i64 {
    let earning: Vec<(EarnRate, i64)> = lines
        .iter()
        .filter_map(|line| rate_for(line.drug_class, rules).map(|rate| (rate, line.total_fen())))
        .collect();
    let earning_total: i64 = earning.iter().map(|(_, total)| total).sum();
    let own_payment = (amount_fen - insurance_fen.max(0)).max(0);
    let base = earning_total.min(own_payment);
    if base <= 0 {
        return 0;
    }
    // Group by rate so that a class's whole units are counted over all its lines.
    let mut by_rate: Vec<(EarnRate, i64)> = Vec::new();
    for (rate, total) in earning {
        let share = (i128::from(total) * i128::from(base) / i128::from(earning_total)) as i64;
        match by_rate.iter_mut().find(|(known, _)| *known == rate) {
            Some((_, sum)) => *sum += share,
            None => by_rate.push((rate, share)),
        }
    }
    let points: i64 = by_rate.iter().map(|(rate, fen)| earn(*rate, *fen)).sum();
    points * multiplier.max(1)
}

/// How much of an order's points a refund takes back: the refunded share of the amount
/// (floored), all of them when the refund covers the whole amount.
pub fn clawback_for_refund(
    points_awarded: i64,
    amount_fen: i64,
    refunded_total_fen: i64,
    already_clawed: i64,
) -> i64 {
    if amount_fen <= 0 || points_awarded <= 0 {
        return 0;
    }
    let refunded = refunded_total_fen.clamp(0, amount_fen);
    let target =
        (i128::from(points_awarded) * i128::from(refunded) / i128::from(amount_fen)) as i64;
    (target - already_clawed).max(0)
}
