//! The member's side of a coupon claim: replay by Idempotency-Key, eligibility, the
//! per-member limits and the reservation counted against them (phase 1), then the coupon
//! issued into the wallet (phase 3). The saga between them, which takes a unit from a stock
//! shard, is `claim`'s.

use super::coupons;
use super::protocol::MemberContext;
use super::repo::Repo;
use crate::domain::campaign::{self, CampaignConfig, MemberFacts};
use crate::domain::ids::StoreId;
use crate::domain::rules::Rules;
use crate::domain::tier::{self, Tier};
use crate::domain::time::from_unix_millis;
use crate::http::error::ApiError;
use crate::objects::seam::{FromRow, Row, Sql, SqlError};
use chrono::{DateTime, Utc};
use serde_json::json;

// Referral rewards mint coupons too.
pub use super::coupons::{mint, NewCoupon};

// --- claims

const STALE_RESERVATION_MS: i64 = 120_000;

/// What the first phase of a claim decided.
pub enum Reserved {
    /// The same Idempotency-Key and body again: the first answer.
    Replay(serde_json::Value),
    /// The same Idempotency-Key and body as a claim refused for good: its first answer.
    Refused(ApiError),
    /// A unit may now be taken for this claim id.
    Go { claim_id: String },
}

struct ClaimRow {
    state: String,
    body_hash: String,
    response: Option<String>,
}

impl FromRow for ClaimRow {
    fn from_row(mut row: Row) -> Result<Self, SqlError> {
        Ok(ClaimRow {
            state: row.get(0)?,
            body_hash: row.get(1)?,
            response: row.get(2)?,
        })
    }
}

struct Counts {
    total: i64,
    today: i64,
    max_seq: Option<i64>,
}

impl FromRow for Counts {
    fn from_row(mut row: Row) -> Result<Self, SqlError> {
        Ok(Counts {
            total: row.get(0)?,
            today: row.get(1)?,
            max_seq: row.get(2)?,
        })
    }
}

fn member_facts(
    repo: &Repo<impl Sql>,
    rules: &Rules,
    now: DateTime<Utc>,
) -> Result<MemberFacts, ApiError> {
    let profile = repo.profile()?.ok_or(ApiError::Internal)?;
    let spends = repo.spends(None)?;
    Ok(MemberFacts {
        // Unknown registration is not new: no fallback to when the edge first saw the member.
        registered_at: profile.registered_at_ms.and_then(from_unix_millis),
        has_paid_order: !spends.is_empty(),
        tier: Tier::for_spend(
            tier::spend_in_window(&spends, now, &rules.tiers),
            &rules.tiers,
        ),
    })
}

/// Phase 1, in the member's transaction: replay, eligibility, per-member limits counted within
/// `scope` (the campaign, or one occurrence of a scheduled campaign, which has limits of its
/// own: `domain::schedule_campaign::scope`), then the reservation written at once. A claim in
/// the object decides with `reserve_pending` (it knows the claims in flight) and writes with
/// `record_pending` when its take is answered; this is both in one step, with none in flight.
#[allow(clippy::too_many_arguments)]
pub fn reserve_in(
    repo: &Repo<impl Sql>,
    rules: &Rules,
    member: &MemberContext,
    config: &CampaignConfig,
    scope: &str,
    idempotency_key: Option<&str>,
    body_hash: &str,
    now: DateTime<Utc>,
) -> Result<Reserved, ApiError> {
    let decided = reserve_pending(
        repo,
        rules,
        member,
        config,
        scope,
        idempotency_key,
        body_hash,
        now,
        &[],
    )?;
    match decided {
        Ok(pending) => {
            record_pending(repo, &pending)?;
            Ok(Reserved::Go {
                claim_id: pending.claim_id,
            })
        }
        Err(known) => Ok(known),
    }
}

/// A reservation decided but not written: the `pending` row of `claims`. A claim that holds
/// nothing else keeps it in the member object's memory while the unit is taken, and writes it
/// in the transaction after the take (with the coupon, or with the refusal): one commit less
/// per claim. Claims in flight in the same object count against the limits as the row would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub claim_id: String,
    pub scope: String,
    pub seq: i64,
    pub claim_date: String,
    pub idempotency_key: Option<String>,
    pub body_hash: String,
    pub created_ms: i64,
}

/// `reserve_in`'s decision without its write: `Err` is the answer already known for the key;
/// `in_flight` are this member's reservations not yet written (counted, their keys in progress).
#[allow(clippy::too_many_arguments)]
pub fn reserve_pending(
    repo: &Repo<impl Sql>,
    rules: &Rules,
    member: &MemberContext,
    config: &CampaignConfig,
    scope: &str,
    idempotency_key: Option<&str>,
    body_hash: &str,
    now: DateTime<Utc>,
    in_flight: &[Pending],
) -> Result<Result<Pending, Reserved>, ApiError> {
    if let Some(known) = known_key(repo, idempotency_key, body_hash)? {
        return Ok(Err(known));
    }
    // A key in flight answers as its row would (`known_key`): another body is a reuse.
    if let Some(flying) = in_flight.iter().find(|flying| {
        idempotency_key.is_some() && flying.idempotency_key.as_deref() == idempotency_key
    }) {
        return Err(match flying.body_hash == body_hash {
            true => ApiError::RequestInProgress,
            false => ApiError::IdempotencyKeyReused,
        });
    }
    // A reservation left by an object that died mid-claim stops counting after two minutes;
    // its claim id may then be reused, and taking it again is idempotent at the shard.
    repo.sql.run(
            "DELETE FROM claims WHERE (state = 'pending' AND created_ms < ?) OR (state = 'refused' AND created_ms < ?)",
            vec![
                (now.timestamp_millis() - STALE_RESERVATION_MS).into(),
                (now.timestamp_millis() - super::claim_refusals::KEEP_MS).into(),
            ],
        )?;
    let facts = member_facts(repo, rules, now)?;
    campaign::eligibility(&config.audience, &facts, now).map_err(|reason| {
        ApiError::NotEligible {
            reason: reason.into(),
        }
    })?;
    let today = rules.zone.day_key(now);
    let counts: Vec<Counts> = repo.sql.rows(
            // Refused claims keep their row (their key's answer) but count against no limit;
            // their seq is still taken, so claim ids stay unique.
            "SELECT COALESCE(SUM(state != 'refused'), 0) AS total, COALESCE(SUM(claim_date = ? AND state != 'refused'), 0) AS today, MAX(seq) AS max_seq FROM claims WHERE campaign_id = ?",
            vec![today.as_str().into(), scope.into()],
        )?;
    let counts = counts.first().ok_or(ApiError::Internal)?;
    let flying: Vec<&Pending> = in_flight.iter().filter(|p| p.scope == scope).collect();
    let flying_today = flying.iter().filter(|p| p.claim_date == today).count();
    campaign::within_limits(
        &config.limits,
        counts.total as u32 + flying.len() as u32,
        counts.today as u32 + flying_today as u32,
    )
    .map_err(|limit| ApiError::ClaimLimitReached {
        limit: limit.into(),
    })?;
    let last_seq = flying.iter().map(|p| p.seq).max().unwrap_or(0);
    let seq = counts.max_seq.unwrap_or(0).max(last_seq) + 1;
    Ok(Ok(Pending {
        claim_id: format!("{scope}.{}.{seq}", member.member_id),
        scope: scope.to_owned(),
        seq,
        claim_date: today,
        idempotency_key: idempotency_key.map(str::to_owned),
        body_hash: body_hash.to_owned(),
        created_ms: now.timestamp_millis(),
    }))
}

/// Writes a reservation: the `pending` row, counted against the limits until it is issued
/// or settled.
pub fn record_pending(repo: &Repo<impl Sql>, pending: &Pending) -> Result<(), ApiError> {
    repo.sql.run(
            "INSERT INTO claims (claim_id, campaign_id, seq, claim_date, state, idempotency_key, body_hash, created_ms) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)",
            vec![
                pending.claim_id.as_str().into(),
                pending.scope.as_str().into(),
                pending.seq.into(),
                pending.claim_date.as_str().into(),
                pending.idempotency_key.as_deref().into(),
                pending.body_hash.as_str().into(),
                pending.created_ms.into(),
            ],
        )?;
    Ok(())
}

/// A key seen before: its first answer (another body: 422; still in flight: 409).
fn known_key(
    repo: &Repo<impl Sql>,
    idempotency_key: Option<&str>,
    body_hash: &str,
) -> Result<Option<Reserved>, ApiError> {
    let Some(key) = idempotency_key else {
        return Ok(None);
    };
    let known: Vec<ClaimRow> = repo.sql.rows(
        "SELECT state, body_hash, response FROM claims WHERE idempotency_key = ?",
        vec![key.into()],
    )?;
    if let Some(row) = known.first() {
        if row.body_hash != body_hash {
            return Err(ApiError::IdempotencyKeyReused);
        }
        return match (row.state.as_str(), &row.response) {
            ("issued", Some(response)) => Ok(Some(Reserved::Replay(
                serde_json::from_str(response).map_err(|_| ApiError::Internal)?,
            ))),
            ("refused", Some(problem)) => Ok(Some(Reserved::Refused(
                super::claim_refusals::stored(problem),
            ))),
            _ => Err(ApiError::RequestInProgress),
        };
    }
    Ok(None)
}

/// A claim of a scheduled campaign between occurrences (issue 13): a key's first answer
/// still comes back; anything else is `closed` (not kept under the key).
pub fn replay_or(
    repo: &Repo<impl Sql>,
    idempotency_key: Option<&str>,
    body_hash: &str,
    closed: &ApiError,
) -> Result<serde_json::Value, ApiError> {
    match known_key(repo, idempotency_key, body_hash)? {
        Some(Reserved::Replay(answer)) => Ok(answer),
        Some(Reserved::Refused(first_answer)) => Err(first_answer),
        _ => Err(closed.clone()),
    }
}

/// Where a claim came from: the store of a signed poster, and the attribution its page sent.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClaimOrigin<'a> {
    pub store_id: Option<&'a StoreId>,
    pub attribution: Option<&'a crate::domain::attribution::Attribution>,
}

/// Phase 3 when a unit was taken: the coupon lands in the wallet and is reported to the core.
pub fn issue(
    repo: &Repo<impl Sql>,
    rules: &Rules,
    member: &MemberContext,
    config: &CampaignConfig,
    claim_id: &str,
    origin: ClaimOrigin,
    now: DateTime<Utc>,
) -> Result<serde_json::Value, ApiError> {
    let ClaimOrigin {
        store_id,
        attribution,
    } = origin;
    let new_coupon = NewCoupon {
        claim_id,
        campaign_id: config.id.as_str(),
        terms: &config.coupon.terms,
        eligible_classes: config.coupon.eligible_classes.as_deref(),
        expires: config.coupon_expiry(now, &rules.zone),
        store_id,
        attribution,
    };
    let coupon_id = mint(repo, member.member_id.as_str(), &new_coupon, now)?;
    let view = coupons::view(repo, &coupon_id)?.ok_or(ApiError::Internal)?;
    let response = json!({ "coupon": view });
    repo.sql.run(
        "UPDATE claims SET state = 'issued', response = ? WHERE claim_id = ?",
        vec![response.to_string().into(), claim_id.into()],
    )?;
    Ok(response)
}
