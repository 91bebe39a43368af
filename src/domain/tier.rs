//! Tiers (等级) by own paid spend over a rolling window (default 365 days).

use super::rules::TierRules;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Member,
    Bronze,
    Silver,
    Gold,
}

impl Tier {
    pub fn for_spend(spend_fen: i64, rules: &TierRules) -> Tier {
        if spend_fen >= rules.gold_fen {
            Tier::Gold
        } else if spend_fen >= rules.silver_fen {
            Tier::Silver
        } else if spend_fen >= rules.bronze_fen {
            Tier::Bronze
        } else {
            Tier::Member
        }
    }

    /// The next tier and the spend it needs, if any.
    pub fn next(self, rules: &TierRules) -> Option<(Tier, i64)> {
        match self {
            Tier::Member => Some((Tier::Bronze, rules.bronze_fen)),
            Tier::Bronze => Some((Tier::Silver, rules.silver_fen)),
            Tier::Silver => Some((Tier::Gold, rules.gold_fen)),
            Tier::Gold => None,
        }
    }
}

/// One paid order as the tier sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spend {
    pub paid_at: DateTime<Utc>,
    /// Own payment net of refunds, never negative.
    pub counted_fen: i64,
}

/// What a paid order adds to the member's own spend: the payment less what insurance paid.
pub fn own_payment_fen(amount_fen: i64, insurance_fen: i64) -> i64 {
    amount_fen - insurance_fen
}

impl Spend {
    /// An order's spend after refunds; a refund never makes it negative.
    pub fn after_refunds(paid_at: DateTime<Utc>, own_fen: i64, refunded_fen: i64) -> Spend {
        Spend {
            paid_at,
            counted_fen: (own_fen - refunded_fen).max(0),
        }
    }
}

/// Spend inside the window that ends at `as_of` (inclusive of `as_of`, exclusive of orders
/// paid exactly `window_days` ago).
pub fn spend_in_window(spends: &[Spend], as_of: DateTime<Utc>, rules: &TierRules) -> i64 {
    let window_start = as_of - Duration::days(rules.window_days);
    spends
        .iter()
        .filter(|spend| spend.paid_at > window_start && spend.paid_at <= as_of)
        .map(|spend| spend.counted_fen.max(0))
        .sum()
}

/// The tier summary shown to a member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TierStatus {
    pub name: Tier,
    pub spend_fen: i64,
    pub next: Option<Tier>,
    pub to_next_fen: i64,
}

pub fn status(spend_fen: i64, rules: &TierRules) -> TierStatus {
    let name = Tier::for_spend(spend_fen, rules);
    let (next, to_next_fen) = match name.next(rules) {
        Some((next, threshold)) => (Some(next), (threshold - spend_fen).max(0)),
        None => (None, 0),
    };
    TierStatus {
        name,
        spend_fen,
        next,
        to_next_fen,
    }
}
