//! A member's points against the core's order events: `order.paid` earns an order's points
//! once per order, whatever event id it comes under; `order.refunded` takes back the refunded
//! share of them (cumulative over partial refunds, never more than awarded), and a refund
//! that arrives before its payment is remembered and applied when the payment does.

use super::events::OrderPaid;
use super::points::{clawback_for_refund, order_points};
use super::rules::{PointsRules, TierRules};
use super::tier::{self, own_payment_fen, Spend, Tier};

/// What the member's object knows of one order's payment and refunds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OrderPoints {
    /// The payment was applied (else only refunds have been heard of).
    pub paid: bool,
    pub amount_fen: i64,
    pub points_awarded: i64,
    /// Refunded so far, all refund events together.
    pub refunded_fen: i64,
    /// Points taken back so far.
    pub points_clawed: i64,
}

/// What a refund takes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clawback {
    /// Refunded so far, capped at the order's amount.
    pub refunded_total_fen: i64,
    /// Points to take now (0: nothing to debit).
    pub points: i64,
    /// Points taken back so far, these included.
    pub clawed_total: i64,
}

/// What an `order.paid` event does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payment {
    /// The order was paid before (under another event id): nothing changes.
    AlreadyPaid,
    Apply {
        /// Points the order earns (0: nothing to grant).
        points: i64,
        /// The member's own payment, what counts towards the tier.
        own_fen: i64,
        /// A refund heard of before the payment, applied now.
        early_refund: Option<Clawback>,
    },
}

/// What an `order.refunded` event does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refund {
    /// The payment is not known yet: keep the refunded total for when it arrives.
    Remember {
        refunded_total_fen: i64,
    },
    Claw(Clawback),
}

/// `order.paid`: the order's points at the tier the member had before it (`spends_before`:
/// the other orders), once.
pub fn on_paid(
    known: Option<&OrderPoints>,
    paid: &OrderPaid,
    spends_before: &[Spend],
    tiers: &TierRules,
    rules: &PointsRules,
) -> Payment {
    let tier = tier_before(spends_before, paid, tiers);
    on_paid_with(known, paid, rules.multiplier_for(tier), rules)
}

/// The member's tier before this order: the other orders' spend as of its `paid_at`.
pub fn tier_before(spends_before: &[Spend], paid: &OrderPaid, tiers: &TierRules) -> Tier {
    Tier::for_spend(
        tier::spend_in_window(spends_before, paid.paid_at.0, tiers),
        tiers,
    )
}

/// `order.paid` at a multiplier decided beforehand (the tier's, a campaign's, the birthday
/// month's: `tier_multiplier::multiplier_for_order`), once.
pub fn on_paid_with(
    known: Option<&OrderPoints>,
    paid: &OrderPaid,
    multiplier: i64,
    rules: &PointsRules,
) -> Payment {
    if known.is_some_and(|order| order.paid) {
        return Payment::AlreadyPaid;
    }
    let points = order_points(
        &paid.lines,
        paid.amount_fen,
        paid.insurance_fen,
        multiplier,
        rules,
    );
    let early_refund = known.filter(|order| order.refunded_fen > 0).map(|early| {
        let now_paid = OrderPoints {
            paid: true,
            amount_fen: paid.amount_fen,
            points_awarded: points,
            refunded_fen: early.refunded_fen,
            points_clawed: 0,
        };
        clawback(&now_paid, early.refunded_fen)
    });
    Payment::Apply {
        points,
        own_fen: own_payment_fen(paid.amount_fen, paid.insurance_fen),
        early_refund,
    }
}

/// `order.refunded` of `amount_fen` more.
pub fn on_refund(known: Option<&OrderPoints>, amount_fen: i64) -> Refund {
    let refunded_total_fen = known.map_or(0, |order| order.refunded_fen) + amount_fen;
    match known {
        Some(order) if order.paid => Refund::Claw(clawback(order, refunded_total_fen)),
        _ => Refund::Remember { refunded_total_fen },
    }
}

/// The share of a paid order's points that `refunded_total_fen` takes back, less what was
/// taken before.
pub fn clawback(order: &OrderPoints, refunded_total_fen: i64) -> Clawback {
    let refunded_total_fen = refunded_total_fen.min(order.amount_fen);
    let points = clawback_for_refund(
        order.points_awarded,
        order.amount_fen,
        refunded_total_fen,
        order.points_clawed,
    );
    Clawback {
        refunded_total_fen,
        points,
        clawed_total: order.points_clawed + points,
    }
}
