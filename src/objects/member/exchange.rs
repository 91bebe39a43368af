//! The member's side of a points exchange (积分兑换): the points a claim holds while its unit
//! is being taken, spent in the same transaction as the coupon's issue, dropped when the claim
//! ends without one. What may be exchanged is `domain::exchange`'s to decide, the order of the
//! steps `domain::claim_saga`'s (`Hold::Points`); this only loads, asks and stores.
//!
//! A hold is a `held` row whose claim is still `pending` in the wallet's `claims`: a
//! reservation that goes stale (the object died mid-claim) or is settled stops holding with
//! it. What the member may spend is the balance less the other holds, so concurrent exchanges
//! of one member, which interleave across the saga's awaits, cannot all pass the check.

use super::repo::Repo;
use crate::domain::campaign::CampaignConfig;
use crate::domain::claim_saga::Hold;
use crate::domain::exchange::{self, ExchangeCaps};
use crate::domain::points::{EntryKind, Source};
use crate::domain::rules::Rules;
use crate::domain::tier::{self, Tier};
use crate::domain::time::YearMonth;
use crate::http::error::ApiError;
use crate::objects::schema::Module;
use crate::objects::seam::Sql;
use chrono::{DateTime, Utc};

/// The exchanges of the member: holds in flight and this month's spends (for the tier cap).
/// Created with the member's first exchange.
pub const MODULE: Module = Module {
    name: "exchange",
    migrations: &[&["CREATE TABLE IF NOT EXISTS exchanges (
        claim_id TEXT PRIMARY KEY,
        campaign_id TEXT NOT NULL,
        cost_points INTEGER NOT NULL,
        face_fen INTEGER NOT NULL,
        month TEXT NOT NULL,
        state TEXT NOT NULL,
        created_ms INTEGER NOT NULL
    )"]],
    baseline: &[],
};

/// An exchange row's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExchangeState {
    /// The points are held while the claim takes its unit.
    Held,
    /// The points were spent and the coupon issued.
    Spent,
}

crate::stored_names!(ExchangeState {
    Held => "held",
    Spent => "spent",
});

/// What a claim on `config` holds from the start: the points, for an exchange.
pub fn holds(config: &CampaignConfig) -> Vec<Hold> {
    config
        .cost_points
        .map(|cost| Hold::Points { cost })
        .into_iter()
        .collect()
}

fn month_of(rules: &Rules, now: DateTime<Utc>) -> String {
    YearMonth::of(rules.zone.date_of(now)).to_string()
}

/// Points held by exchanges in flight, other than `claim_id`'s.
fn held_by_others(repo: &Repo<impl Sql>, claim_id: &str) -> Result<i64, ApiError> {
    let held: Option<(i64,)> = repo.sql.row(
        "SELECT COALESCE(SUM(e.cost_points), 0) FROM exchanges e JOIN claims c ON c.claim_id = e.claim_id
         WHERE e.state = ? AND c.state = 'pending' AND e.claim_id != ?",
        vec![ExchangeState::Held.into(), claim_id.into()],
    )?;
    Ok(held.map_or(0, |(points,)| points))
}

/// Face value exchanged in `month`: spent, or held by a claim in flight (other than
/// `claim_id`'s).
fn used_in_month(repo: &Repo<impl Sql>, month: &str, claim_id: &str) -> Result<i64, ApiError> {
    let used: Option<(i64,)> = repo.sql.row(
        "SELECT COALESCE(SUM(e.face_fen), 0) FROM exchanges e LEFT JOIN claims c ON c.claim_id = e.claim_id
         WHERE e.month = ? AND e.claim_id != ? AND (e.state = ? OR c.state = 'pending')",
        vec![month.into(), claim_id.into(), ExchangeState::Spent.into()],
    )?;
    Ok(used.map_or(0, |(fen,)| fen))
}

fn tier_now(repo: &Repo<impl Sql>, rules: &Rules, now: DateTime<Utc>) -> Result<Tier, ApiError> {
    let spends = repo.spends(None)?;
    let spend = tier::spend_in_window(&spends, now, &rules.tiers);
    Ok(Tier::for_spend(spend, &rules.tiers))
}

fn write(
    repo: &Repo<impl Sql>,
    config: &CampaignConfig,
    claim_id: &str,
    cost: i64,
    month: &str,
    state: ExchangeState,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    repo.sql.run(
        "INSERT OR REPLACE INTO exchanges (claim_id, campaign_id, cost_points, face_fen, month, state, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
        vec![
            claim_id.into(),
            config.id.as_str().into(),
            cost.into(),
            exchange::face_value_fen(&config.coupon.terms).into(),
            month.into(),
            state.into(),
            now.timestamp_millis().into(),
        ],
    )?;
    Ok(())
}

/// In the claim's first transaction, after its reservation: the member's points (the balance
/// the make-up check uses, less the other holds) and the tier's monthly cap decide; the points
/// are then held under the claim id. A refusal rolls the reservation back with it.
pub fn hold(
    repo: &Repo<impl Sql>,
    rules: &Rules,
    config: &CampaignConfig,
    claim_id: &str,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let Some(cost) = config.cost_points else {
        return Ok(());
    };
    let month = month_of(rules, now);
    // Holds whose claim is no longer pending, and spends of past months, count for nothing.
    repo.sql.run(
        "DELETE FROM exchanges WHERE (state = ? AND claim_id NOT IN (SELECT claim_id FROM claims WHERE state = 'pending')) OR month < ?",
        vec![ExchangeState::Held.into(), month.as_str().into()],
    )?;
    let available = available(repo, claim_id)?;
    exchange::may_exchange(
        tier_now(repo, rules, now)?,
        &ExchangeCaps::default(),
        available,
        cost,
        exchange::face_value_fen(&config.coupon.terms),
        used_in_month(repo, &month, claim_id)?,
    )?;
    write(
        repo,
        config,
        claim_id,
        cost,
        &month,
        ExchangeState::Held,
        now,
    )
}

/// In the transaction, once the unit is taken: the points are spent (ledger `spend`,
/// source `campaign`, the claim id `<campaign>.<member>.<n>` as its reference) and the hold
/// becomes the spend. Points that went meanwhile (a make-up, an expiry) refuse the issue, and
/// the saga gives the unit back. Spent already (a repeated issue): nothing more.
pub fn spend(
    repo: &Repo<impl Sql>,
    rules: &Rules,
    config: &CampaignConfig,
    claim_id: &str,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let Some(cost) = config.cost_points else {
        return Ok(());
    };
    let state: Option<(ExchangeState, String)> = repo.sql.row(
        "SELECT state, month FROM exchanges WHERE claim_id = ?",
        vec![claim_id.into()],
    )?;
    let month = match state {
        Some((ExchangeState::Spent, _)) => return Ok(()),
        Some((ExchangeState::Held, month)) => month,
        None => month_of(rules, now),
    };
    let available = available(repo, claim_id)?;
    exchange::may_spend(available, cost)?;
    repo.debit(EntryKind::Spend, Source::Campaign, claim_id, cost, now)?;
    write(
        repo,
        config,
        claim_id,
        cost,
        &month,
        ExchangeState::Spent,
        now,
    )
}

/// The claim ends without a coupon: its points are no longer held (nothing was debited).
pub fn drop_hold(repo: &Repo<impl Sql>, claim_id: &str) -> Result<(), ApiError> {
    repo.sql.run(
        "DELETE FROM exchanges WHERE claim_id = ? AND state = ?",
        vec![claim_id.into(), ExchangeState::Held.into()],
    )?;
    Ok(())
}

/// What the member may spend now: the balance less the points other exchanges in flight hold.
fn available(repo: &Repo<impl Sql>, claim_id: &str) -> Result<i64, ApiError> {
    Ok(repo.balance()? - held_by_others(repo, claim_id)?)
}
