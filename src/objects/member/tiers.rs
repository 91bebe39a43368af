//! The member's tier benefits over time (issue 13): the birth month the core tells
//! (`member.profile`, never a full date), the multiplier each paid order earned at (stored
//! with the order, so what was applied can be read back), the birthday-month spend bonus
//! (200 points once a business year, seed 004) and `tier.changed` to the core, once per
//! change, under an id derived from the event that caused it.

use super::ledger::{emit, grant};
use super::repo::Repo;
use crate::domain::events::MemberProfile;
use crate::domain::points::{EntryKind, Source};
use crate::domain::rules::Rules;
use crate::domain::tier::{self, Tier};
use crate::domain::tier_benefits::birthday_bonus;
use crate::domain::tier_multiplier::{business_month, CampaignMultiplier};
use crate::domain::time::Instant;
use crate::http::error::ApiError;
use crate::objects::schema::Module;
use crate::objects::seam::{Sql, SqlError};
use chrono::{DateTime, Utc};
use serde_json::json;

pub const MODULE: Module = Module {
    name: "tiers",
    migrations: &[&[
        "CREATE TABLE IF NOT EXISTS member_facts (k INTEGER PRIMARY KEY CHECK (k = 1), birth_month INTEGER)",
        "CREATE TABLE IF NOT EXISTS order_multipliers (
            order_id TEXT PRIMARY KEY,
            event_id TEXT NOT NULL,
            multiplier INTEGER NOT NULL,
            campaign TEXT
        )",
    ]],
    baseline: &[],
};

/// `member.profile`: the birth month (or none: forgotten).
pub fn set_profile(repo: &Repo<impl Sql>, profile: &MemberProfile) -> Result<(), ApiError> {
    repo.sql.run(
        "INSERT INTO member_facts (k, birth_month) VALUES (1, ?)
         ON CONFLICT (k) DO UPDATE SET birth_month = excluded.birth_month",
        vec![profile.birth_month.map(i64::from).into()],
    )?;
    Ok(())
}

pub fn birth_month(repo: &Repo<impl Sql>) -> Result<Option<u32>, SqlError> {
    let row: Option<(Option<i64>,)> = repo
        .sql
        .row("SELECT birth_month FROM member_facts WHERE k = 1", vec![])?;
    Ok(row
        .and_then(|(month,)| month)
        .and_then(|m| u32::try_from(m).ok()))
}

/// The multiplier an order's points were earned at, and the campaign that gave it (as
/// JSON), kept with the event that paid it.
pub fn record_multiplier(
    repo: &Repo<impl Sql>,
    order_id: &str,
    event_id: &str,
    multiplier: i64,
    campaign: Option<&CampaignMultiplier>,
) -> Result<(), ApiError> {
    let campaign = campaign
        .map(serde_json::to_string)
        .transpose()
        .map_err(|_| ApiError::Internal)?;
    repo.sql.run(
        "INSERT OR IGNORE INTO order_multipliers (order_id, event_id, multiplier, campaign) VALUES (?, ?, ?, ?)",
        vec![order_id.into(), event_id.into(), multiplier.into(), campaign.into()],
    )?;
    Ok(())
}

/// What an order's points were multiplied by: (multiplier, campaign), if it was paid here.
pub fn multiplier_of(
    repo: &Repo<impl Sql>,
    order_id: &str,
) -> Result<Option<(i64, Option<CampaignMultiplier>)>, ApiError> {
    let row: Option<(i64, Option<String>)> = repo.sql.row(
        "SELECT multiplier, campaign FROM order_multipliers WHERE order_id = ?",
        vec![order_id.into()],
    )?;
    row.map(|(multiplier, campaign)| {
        let campaign = campaign
            .map(|raw| serde_json::from_str(&raw))
            .transpose()
            .map_err(|_| ApiError::Internal)?;
        Ok((multiplier, campaign))
    })
    .transpose()
}

/// The ledger's source id of a year's birthday bonus (not a campaign id: those have no `:`).
pub fn birthday_source_id(year: i32) -> String {
    format!("birthday:{year}")
}

/// After a payment in the birth month: 200 points once the month's own spend (net of
/// refunds) reaches 199 yuan, once a business year (the ledger's source id is the year).
pub fn birthday_bonus_after_payment(
    repo: &Repo<impl Sql>,
    rules: &Rules,
    member_id: &str,
    paid_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let (year, month) = business_month(&rules.zone, paid_at);
    if birth_month(repo)? != Some(month) {
        return Ok(());
    }
    let spend_in_month = month_spend(repo, rules, (year, month))?;
    // `grant` is once per source + source id: a second time in the year grants nothing.
    let points = birthday_bonus(spend_in_month, false);
    grant(
        repo,
        rules,
        member_id,
        Source::Campaign,
        &birthday_source_id(year),
        points,
        now,
    )
}

/// After a refund of an order paid in the birth month: if that month's own spend (net of
/// refunds) fell below the bonus threshold, the year's birthday bonus is taken back, once
/// (the ledger's kind + source + id are unique). It is not granted again that year.
pub fn birthday_bonus_after_refund(
    repo: &Repo<impl Sql>,
    rules: &Rules,
    paid_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let (year, month) = business_month(&rules.zone, paid_at);
    if birth_month(repo)? != Some(month) {
        return Ok(());
    }
    let source_id = birthday_source_id(year);
    let granted: Option<(i64,)> = repo.sql.row(
        "SELECT amount FROM ledger WHERE kind = ? AND source = ? AND source_id = ?",
        vec![
            EntryKind::Earn.as_str().into(),
            Source::Campaign.as_str().into(),
            source_id.as_str().into(),
        ],
    )?;
    let Some((granted,)) = granted else {
        return Ok(());
    };
    if birthday_bonus(month_spend(repo, rules, (year, month))?, false) > 0 {
        return Ok(());
    }
    repo.debit(
        EntryKind::Clawback,
        Source::Campaign,
        &source_id,
        granted,
        now,
    )?;
    Ok(())
}

/// The member's own spend (net of refunds) in one business month.
fn month_spend(repo: &Repo<impl Sql>, rules: &Rules, month: (i32, u32)) -> Result<i64, ApiError> {
    Ok(repo
        .spends(None)?
        .iter()
        .filter(|spend| business_month(&rules.zone, spend.paid_at) == month)
        .map(|spend| spend.counted_fen)
        .sum())
}

/// The tier as of `at` from the paid orders recorded here.
pub fn tier_as_of(
    repo: &Repo<impl Sql>,
    rules: &Rules,
    at: DateTime<Utc>,
) -> Result<(Tier, i64), ApiError> {
    let spend = tier::spend_in_window(&repo.spends(None)?, at, &rules.tiers);
    Ok((Tier::for_spend(spend, &rules.tiers), spend))
}

/// `tier.changed` to the core when `before` and the tier now (as of `at`) differ. `cause` is
/// the order and the event that moved the spend: the same cause always gives the same id,
/// so a replayed core event cannot emit it twice (the outbox row is keyed by the id).
pub fn announce_change(
    repo: &Repo<impl Sql>,
    rules: &Rules,
    member_id: &str,
    before: Tier,
    at: DateTime<Utc>,
    cause: (&str, &str),
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let (after, spend_fen) = tier_as_of(repo, rules, at)?;
    if after == before {
        return Ok(());
    }
    let (order_id, event_id) = cause;
    emit(
        repo,
        format!("tier-{member_id}-{order_id}-{event_id}"),
        "tier.changed",
        now,
        json!({
            "member_id": member_id,
            "from": before,
            "to": after,
            "spend_fen": spend_fen,
            "upgrade": after > before,
            "order_id": order_id,
            "changed_at": Instant(at),
        }),
    )
}
