//! Points exchange (积分兑换, issue 13): a member spends points on a campaign's unit. The
//! points and the unit move together or not at all: the claim saga holds the points before it
//! takes the unit and spends them with the coupon's issue (`claim_saga::Hold::Points`); this
//! module decides whether an exchange may happen at all, and whether a campaign may be one.
//!
//! Caps by tier (seed 002: a VIP may exchange goods worth up to 200 yuan, a regular member
//! 50): the face value of what a member exchanged in a business month, this one included,
//! stays within their tier's cap. A month, because a cap without a period is spent once and
//! never again, and the programme's other counters (make-ups) are monthly too.
use super::campaign::{CampaignConfig, CampaignKind, ConfigRefusal};
use super::coupon::CouponTerms;
use super::tier::Tier;
use serde::{Deserialize, Serialize};

/// Per tier: the most face value (fen) a member may exchange points for in a business month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeCaps {
    pub member: i64,
    pub bronze: i64,
    pub silver: i64,
    pub gold: i64,
}

impl Default for ExchangeCaps {
    /// Seed 002: regular members 50 yuan, the top tier 200; the tiers between, between.
    fn default() -> Self {
        Self {
            member: 5_000,
            bronze: 8_000,
            silver: 12_000,
            gold: 20_000,
        }
    }
}

impl ExchangeCaps {
    pub fn cap_for(&self, tier: Tier) -> i64 {
        match tier {
            Tier::Member => self.member,
            Tier::Bronze => self.bronze,
            Tier::Silver => self.silver,
            Tier::Gold => self.gold,
        }
        .max(0)
    }
}

/// Why an exchange cannot happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExchangeRefusal {
    /// 409 `insufficient_points`, with the balance and what is required.
    InsufficientPoints { balance: i64, required: i64 },
    /// 409 `exchange_cap_reached`: the tier's monthly cap would be exceeded.
    OverTierCap { cap_fen: i64, used_fen: i64 },
}

/// Whether a member of `tier` with `balance` points available (the balance less what other
/// exchanges in flight hold) may exchange `cost_points` for a unit
/// worth `face_value_fen`, having exchanged `used_this_month_fen` this business month.
pub fn may_exchange(
    tier: Tier,
    caps: &ExchangeCaps,
    balance: i64,
    cost_points: i64,
    face_value_fen: i64,
    used_this_month_fen: i64,
) -> Result<(), ExchangeRefusal> {
    let cap_fen = caps.cap_for(tier);
    let used_fen = used_this_month_fen.max(0);
    if used_fen.saturating_add(face_value_fen.max(0)) > cap_fen {
        return Err(ExchangeRefusal::OverTierCap { cap_fen, used_fen });
    }
    may_spend(balance, cost_points)
}

/// When the points are finally spent (the unit is taken): `available` is the balance less
/// what other exchanges in flight hold. Points may have gone meanwhile (a make-up, an expiry).
pub fn may_spend(available: i64, cost_points: i64) -> Result<(), ExchangeRefusal> {
    if available < cost_points {
        return Err(ExchangeRefusal::InsufficientPoints {
            balance: available.max(0),
            required: cost_points,
        });
    }
    Ok(())
}

/// What a coupon is worth against the cap: its face value, or the most a percent coupon
/// takes off.
pub fn face_value_fen(terms: &CouponTerms) -> i64 {
    match terms {
        CouponTerms::Fixed { value_fen } | CouponTerms::Threshold { value_fen, .. } => *value_fen,
        CouponTerms::Percent {
            max_discount_fen, ..
        } => *max_discount_fen,
    }
}

/// The most points one exchange may cost.
pub const MAX_COST_POINTS: i64 = 1_000_000;

/// A campaign's `cost_points`: required for `points_exchange`, refused for the other kinds,
/// positive and bounded; and a coupon no tier could ever take within its cap is refused too.
pub fn check_config(config: &CampaignConfig) -> Result<(), ConfigRefusal> {
    let invalid = |detail: String| Err(ConfigRefusal::Invalid(detail));
    match (config.kind, config.cost_points) {
        (CampaignKind::PointsExchange, None) => {
            invalid("cost_points: required for a points_exchange campaign".into())
        }
        (CampaignKind::PointsExchange, Some(cost)) if !(1..=MAX_COST_POINTS).contains(&cost) => {
            invalid(format!("cost_points: from 1 to {MAX_COST_POINTS}"))
        }
        (CampaignKind::PointsExchange, Some(_)) => {
            let caps = ExchangeCaps::default();
            let highest = [Tier::Member, Tier::Bronze, Tier::Silver, Tier::Gold]
                .map(|tier| caps.cap_for(tier))
                .into_iter()
                .max()
                .unwrap_or(0);
            let face = face_value_fen(&config.coupon.terms);
            if face > highest {
                return invalid(format!(
                    "coupon: worth {face} fen, more than any tier may exchange in a month ({highest} fen)"
                ));
            }
            Ok(())
        }
        (_, Some(_)) => invalid("cost_points: only for a points_exchange campaign".into()),
        (_, None) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_and_caps_both_hold() {
        let caps = ExchangeCaps::default();
        assert_eq!(
            may_exchange(Tier::Member, &caps, 500, 300, 1_000, 0),
            Ok(())
        );
        assert_eq!(
            may_exchange(Tier::Member, &caps, 299, 300, 1_000, 0),
            Err(ExchangeRefusal::InsufficientPoints {
                balance: 299,
                required: 300
            })
        );
        // 40 yuan used, a 20-yuan unit: over a regular member's 50, within gold's 200.
        assert_eq!(
            may_exchange(Tier::Member, &caps, 10_000, 300, 2_000, 4_000),
            Err(ExchangeRefusal::OverTierCap {
                cap_fen: 5_000,
                used_fen: 4_000
            })
        );
        assert_eq!(
            may_exchange(Tier::Gold, &caps, 10_000, 300, 2_000, 4_000),
            Ok(())
        );
        assert_eq!(
            may_exchange(Tier::Member, &caps, 10_000, 300, 1_000, 4_000),
            Ok(()),
            "exactly at the cap"
        );
    }
}
