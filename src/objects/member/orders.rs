//! The core's `order.paid` and `order.refunded` applied to the member: points earned and
//! taken back (decided by `domain::order_points`), the coupon redeemed, and the spend the
//! tier counts. Above the ledger and the coupons, below the event dispatch.

use super::coupons;
use super::ledger::grant;
use super::prescriptions;
use super::protocol::Reserved;
use super::repo::Repo;
use super::tiers;
use crate::domain::events::{OrderPaid, OrderRefunded};
use crate::domain::order_lines::OrderLine;
use crate::domain::order_points::{self, Clawback, OrderPoints, Payment, Refund};
use crate::domain::points::{EntryKind, Source};
use crate::domain::rules::Rules;
use crate::domain::tier::{self, Spend, Tier};
use crate::domain::tier_benefits::MemberPrices;
use crate::domain::tier_multiplier::{multiplier_for_order, Boost, CampaignMultiplier};
use crate::domain::tier_pricing::member_lines;
use crate::domain::time::from_unix_millis;
use crate::http::error::ApiError;
use crate::objects::seam::{FromRow, Row, Sql, SqlError};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidOrder {
    pub order_id: String,
    pub paid_ms: Option<i64>,
    pub amount_fen: Option<i64>,
    pub own_fen: Option<i64>,
    pub points_awarded: i64,
    pub refunded_fen: i64,
    pub points_clawed: i64,
}

impl FromRow for PaidOrder {
    fn from_row(mut row: Row) -> Result<Self, SqlError> {
        Ok(PaidOrder {
            order_id: row.get(0)?,
            paid_ms: row.get(1)?,
            amount_fen: row.get(2)?,
            own_fen: row.get(3)?,
            points_awarded: row.get(4)?,
            refunded_fen: row.get(5)?,
            points_clawed: row.get(6)?,
        })
    }
}

const PAID_ORDER_COLUMNS: &str =
    "order_id, paid_ms, amount_fen, own_fen, points_awarded, refunded_fen, points_clawed";

impl PaidOrder {
    /// The facts the domain reconciles.
    pub fn points(&self) -> OrderPoints {
        OrderPoints {
            paid: self.paid_ms.is_some(),
            amount_fen: self.amount_fen.unwrap_or(0),
            points_awarded: self.points_awarded,
            refunded_fen: self.refunded_fen,
            points_clawed: self.points_clawed,
        }
    }
}

impl<S: Sql> Repo<S> {
    pub fn paid_order(&self, order_id: &str) -> Result<Option<PaidOrder>, SqlError> {
        self.sql.row(
            &format!("SELECT {PAID_ORDER_COLUMNS} FROM paid_orders WHERE order_id = ?"),
            vec![order_id.into()],
        )
    }

    pub fn paid_orders(&self) -> Result<Vec<PaidOrder>, SqlError> {
        self.sql.rows(
            &format!("SELECT {PAID_ORDER_COLUMNS} FROM paid_orders WHERE paid_ms IS NOT NULL"),
            vec![],
        )
    }

    pub fn record_payment(
        &self,
        order_id: &str,
        paid_ms: i64,
        amount_fen: i64,
        own_fen: i64,
        points_awarded: i64,
    ) -> Result<(), SqlError> {
        self.sql.run(
            "INSERT INTO paid_orders (order_id, paid_ms, amount_fen, own_fen, points_awarded) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (order_id) DO UPDATE SET paid_ms = excluded.paid_ms, amount_fen = excluded.amount_fen, own_fen = excluded.own_fen, points_awarded = excluded.points_awarded",
            vec![order_id.into(), paid_ms.into(), amount_fen.into(), own_fen.into(), points_awarded.into()],
        )?;
        Ok(())
    }

    pub fn record_refund(
        &self,
        order_id: &str,
        refunded_total_fen: i64,
        points_clawed: i64,
    ) -> Result<(), SqlError> {
        self.sql.run(
            "INSERT INTO paid_orders (order_id, refunded_fen, points_clawed) VALUES (?, ?, ?)
             ON CONFLICT (order_id) DO UPDATE SET refunded_fen = excluded.refunded_fen, points_clawed = excluded.points_clawed",
            vec![order_id.into(), refunded_total_fen.into(), points_clawed.into()],
        )?;
        Ok(())
    }

    /// What each paid order counts towards the tier, after refunds (`excluding` one order).
    pub fn spends(&self, excluding: Option<&str>) -> Result<Vec<Spend>, SqlError> {
        Ok(self
            .paid_orders()?
            .into_iter()
            .filter(|order| Some(order.order_id.as_str()) != excluding)
            .filter_map(|order| {
                Some(Spend::after_refunds(
                    from_unix_millis(order.paid_ms?)?,
                    order.own_fen?,
                    order.refunded_fen,
                ))
            })
            .collect())
    }
}

/// `order.paid` without a campaign multiplier (see `paid_with`).
pub fn paid(
    repo: &Repo<impl Sql>,
    rules: &Rules,
    member_id: &str,
    paid: &OrderPaid,
    now: DateTime<Utc>,
) -> Result<bool, ApiError> {
    paid_with(repo, rules, member_id, "paid", paid, None, now)
}

/// `order.paid`: the order's points, once per order, at the multiplier of the member's tier
/// before it, the birthday month and the campaign open at `paid_at` (`tier_multiplier`),
/// kept with the event; its coupon redeemed, a refund heard of earlier applied, the birthday
/// bonus, and `tier.changed` if the spend crossed a threshold. `false` when the order was
/// paid before (nothing changed).
pub fn paid_with(
    repo: &Repo<impl Sql>,
    rules: &Rules,
    member_id: &str,
    event_id: &str,
    paid: &OrderPaid,
    campaign: Option<&CampaignMultiplier>,
    now: DateTime<Utc>,
) -> Result<bool, ApiError> {
    let order_id = paid.order_id.as_str();
    let known = repo.paid_order(order_id)?.map(|order| order.points());
    let spends_before = repo.spends(Some(order_id))?;
    let tier_before = order_points::tier_before(&spends_before, paid, &rules.tiers);
    let boost = Boost {
        campaign: campaign.cloned(),
        birth_month: tiers::birth_month(repo)?,
    };
    let multiplier = multiplier_for_order(
        tier_before,
        &rules.points,
        &boost,
        &rules.zone,
        paid.paid_at.0,
    );
    let Payment::Apply {
        points,
        own_fen,
        early_refund,
    } = order_points::on_paid_with(known.as_ref(), paid, multiplier, &rules.points)
    else {
        return Ok(false);
    };
    tiers::record_multiplier(repo, order_id, event_id, multiplier, campaign)?;
    repo.record_payment(
        order_id,
        paid.paid_at.0.timestamp_millis(),
        paid.amount_fen,
        own_fen,
        points,
    )?;
    grant(repo, rules, member_id, Source::Order, order_id, points, now)?;
    if let Some(coupon_id) = &paid.coupon_id {
        coupons::redeem(repo, coupon_id, order_id, now)?;
    }
    if let Some(early) = early_refund {
        claw(repo, order_id, &format!("{order_id}-early"), early, now)?;
    }
    tiers::birthday_bonus_after_payment(repo, rules, member_id, paid.paid_at.0, now)?;
    let cause = (order_id, "paid");
    tiers::announce_change(
        repo,
        rules,
        member_id,
        tier_before,
        paid.paid_at.0,
        cause,
        now,
    )?;
    Ok(true)
}

/// `order.refunded`: the refunded share of the order's points taken back (once per event),
/// or, before the payment is known, the refund remembered.
pub fn refunded(
    repo: &Repo<impl Sql>,
    event_id: &str,
    refunded: &OrderRefunded,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let order_id = refunded.order_id.as_str();
    let known = repo.paid_order(order_id)?.map(|order| order.points());
    match order_points::on_refund(known.as_ref(), refunded.amount_fen) {
        Refund::Remember { refunded_total_fen } => {
            Ok(repo.record_refund(order_id, refunded_total_fen, 0)?)
        }
        Refund::Claw(clawback) => claw(
            repo,
            order_id,
            &format!("{order_id}-{event_id}"),
            clawback,
            now,
        ),
    }
}

/// `order.refunded` (see `refunded`), and `tier.changed` if the refund took the member's
/// spend below a threshold.
pub fn refunded_with_tier(
    repo: &Repo<impl Sql>,
    rules: &Rules,
    member_id: &str,
    event_id: &str,
    refund: &OrderRefunded,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let (before, _) = tiers::tier_as_of(repo, rules, now)?;
    refunded(repo, event_id, refund, now)?;
    let paid_at = repo
        .paid_order(refund.order_id.as_str())?
        .and_then(|order| order.paid_ms)
        .and_then(from_unix_millis);
    if let Some(paid_at) = paid_at {
        tiers::birthday_bonus_after_refund(repo, rules, paid_at, now)?;
    }
    let cause = (refund.order_id.as_str(), event_id);
    tiers::announce_change(repo, rules, member_id, before, now, cause, now)
}

fn claw(
    repo: &Repo<impl Sql>,
    order_id: &str,
    entry_id: &str,
    clawback: Clawback,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    if clawback.points > 0 {
        repo.debit(
            EntryKind::Clawback,
            Source::Refund,
            entry_id,
            clawback.points,
            now,
        )?;
    }
    Ok(repo.record_refund(order_id, clawback.refunded_total_fen, clawback.clawed_total)?)
}

/// The member's tier as of `at`, from this object's own record of paid spend (the
/// pharmacy's side: never what a client or token says).
pub fn tier_at(repo: &Repo<impl Sql>, rules: &Rules, at: DateTime<Utc>) -> Result<Tier, ApiError> {
    let spend = tier::spend_in_window(&repo.spends(None)?, at, &rules.tiers);
    Ok(Tier::for_spend(spend, &rules.tiers))
}

/// Reserves for an order being placed (`prescriptions::reserve`) at the member's prices:
/// the lines are priced at the tier's member price first, so the coupon applies to the
/// member-priced subtotal. Answers the totals and the tier they were priced at.
pub fn reserve(
    repo: &Repo<impl Sql>,
    rules: &Rules,
    order_id: &str,
    lines: &[OrderLine],
    coupon_id: Option<&str>,
    prescription_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Reserved, ApiError> {
    let tier = tier_at(repo, rules, now)?;
    let priced = member_lines(lines, tier, &MemberPrices::default());
    let reserved =
        prescriptions::reserve(repo, order_id, &priced, coupon_id, prescription_id, now)?;
    Ok(Reserved {
        tier: Some(tier),
        ..reserved
    })
}
