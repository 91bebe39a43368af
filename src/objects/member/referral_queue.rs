//! What a referral step queues (`domain::referral_binding::Queued`), written in the step's
//! transaction: rewards and their clawback in the ledger and wallet, events for the core,
//! tallies for the program's figures, commands for the inviter's object. Every row is keyed,
//! so queuing it again is a no-op.

use super::coupons::{self, NewCoupon};
use super::ledger::{emit, grant};
use super::protocol::{MemberCommand, ReferralClawback, ReferralReward};
use super::repo::Repo;
use crate::config::{MEMBER_OBJECT, REFERRALS_OBJECT};
use crate::domain::coupon::CouponTerms;
use crate::domain::ids::MemberId;
use crate::domain::points::{EntryKind, Source};
use crate::domain::referral::{self, Refusal, RewardedData, Stage};
use crate::domain::referral_binding::{Queued, ToInviter};
use crate::domain::rules::Rules;
use crate::domain::time::Instant;
use crate::http::error::ApiError;
use crate::objects::outbox;
use crate::objects::referral_registry::{self, RecordFact, RegistryCommand};
use crate::objects::seam::Sql;
use chrono::{DateTime, Utc};
use serde_json::json;

/// Where a registration came from (the invitee's side only).
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    pub event_id: &'a str,
    pub code: Option<&'a str>,
    pub device: Option<&'a str>,
}

/// Who a step is about, and its business time.
#[derive(Debug, Clone, Copy)]
pub struct Parties<'a> {
    pub invitee: &'a str,
    pub inviter: Option<&'a str>,
    pub origin: Option<Origin<'a>>,
    pub now: DateTime<Utc>,
}

impl<'a> Parties<'a> {
    fn inviter(&self) -> Result<&'a str, ApiError> {
        self.inviter.ok_or(ApiError::Internal)
    }

    fn origin(&self) -> Result<Origin<'a>, ApiError> {
        self.origin.ok_or(ApiError::Internal)
    }
}

/// Writes what a step queued, in order.
pub fn apply(
    repo: &Repo<impl Sql>,
    rules: &Rules,
    parties: &Parties,
    queue: &[Queued],
) -> Result<(), ApiError> {
    for queued in queue {
        match *queued {
            Queued::ReportDevice => report_device(repo, parties)?,
            Queued::Refused(refusal) => refused(repo, parties, refusal)?,
            Queued::Bound => bound(repo, parties)?,
            Queued::Reward(stage) => reward(repo, rules, parties, stage)?,
            Queued::TakeBack { stage, points } => take_back(repo, parties, stage, points)?,
            Queued::Inviter(what, stage) => for_inviter(repo, parties, what, stage)?,
        }
    }
    Ok(())
}

/// Counts a fact in the program's tallies (through the outbox: exactly once, eventually).
fn tally(
    repo: &Repo<impl Sql>,
    fact_id: &str,
    label: String,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let command = RegistryCommand::Record(RecordFact {
        fact_id: fact_id.to_owned(),
        label,
        now_ms: now.timestamp_millis(),
    });
    outbox::enqueue_command(
        &repo.sql,
        &format!("tally-{fact_id}"),
        REFERRALS_OBJECT,
        referral_registry::STATS_NAME,
        "referral.tally",
        &command,
        now.timestamp_millis(),
    )
}

/// The registration's device, for the device registry (see `referral_flow`).
fn report_device(repo: &Repo<impl Sql>, parties: &Parties) -> Result<(), ApiError> {
    let origin = parties.origin()?;
    if let Some(device) = origin.device {
        repo.sql.run(
            "INSERT OR IGNORE INTO device_claims (event_id, device, now_ms) VALUES (?, ?, ?)",
            vec![
                origin.event_id.into(),
                device.into(),
                parties.now.timestamp_millis().into(),
            ],
        )?;
    }
    Ok(())
}

fn refused(repo: &Repo<impl Sql>, parties: &Parties, refusal: Refusal) -> Result<(), ApiError> {
    let origin = parties.origin()?;
    let now = parties.now;
    repo.sql.run(
        "INSERT OR IGNORE INTO referral_refusals (event_id, inviter_id, code, reason, at_ms) VALUES (?, ?, ?, ?, ?)",
        vec![origin.event_id.into(), parties.inviter.into(), origin.code.into(), refusal.into(), now.timestamp_millis().into()],
    )?;
    tally(
        repo,
        &format!("decision-{}-{}", parties.invitee, origin.event_id),
        referral_registry::label("refused", Some(refusal.as_str())),
        now,
    )
}

fn bound(repo: &Repo<impl Sql>, parties: &Parties) -> Result<(), ApiError> {
    let (origin, inviter, invitee, now) = (
        parties.origin()?,
        parties.inviter()?,
        parties.invitee,
        parties.now,
    );
    let mut data = json!({
        "inviter_id": inviter,
        "invitee_id": invitee,
        "code": origin.code.ok_or(ApiError::Internal)?,
        "bound_at": Instant(now),
    });
    if let Some(attribution) = super::referral_rows::kept_attribution(&repo.sql)? {
        data["attribution"] = json!(attribution);
    }
    emit(repo, format!("refb-{invitee}"), "referral.bound", now, data)?;
    tally(
        repo,
        &format!("decision-{invitee}-{}", origin.event_id),
        referral_registry::label("bound", None),
        now,
    )
}

/// A stage's reward (points and coupon) to whichever side it is for, once, reported to the
/// core and tallied. Runs in the recipient's object.
fn reward(
    repo: &Repo<impl Sql>,
    rules: &Rules,
    parties: &Parties,
    stage: Stage,
) -> Result<(), ApiError> {
    let (inviter, invitee, now) = (parties.inviter()?, parties.invitee, parties.now);
    let reward = referral::reward(stage, &rules.referral);
    let recipient = if reward.to_inviter { inviter } else { invitee };
    let source_id = referral::reward_source_id(invitee, stage);
    grant(
        repo,
        rules,
        recipient,
        Source::Referral,
        &source_id,
        reward.points,
        now,
    )?;
    let coupon_id = match reward.coupon_fen {
        Some(value_fen) => {
            let claim_id = format!("referral.{source_id}");
            let coupon = NewCoupon {
                claim_id: &claim_id,
                campaign_id: "referral",
                terms: &CouponTerms::Fixed { value_fen },
                eligible_classes: None,
                expires: rules
                    .zone
                    .valid_through(now, rules.referral.coupon_valid_days),
                store_id: None,
                attribution: None,
            };
            Some(coupons::mint(repo, recipient, &coupon, now)?)
        }
        None => None,
    };
    let data = RewardedData::new(inviter, invitee, stage, reward.points, coupon_id, false);
    announce(repo, &source_id, "", "reward", stage, data, now)
}

/// A stage's reward goes back: points already spent become debt, settled from the next award.
fn take_back(
    repo: &Repo<impl Sql>,
    parties: &Parties,
    stage: Stage,
    points: i64,
) -> Result<(), ApiError> {
    let (inviter, invitee, now) = (parties.inviter()?, parties.invitee, parties.now);
    let source_id = referral::reward_source_id(invitee, stage);
    if points > 0 {
        repo.debit(
            EntryKind::Clawback,
            Source::Referral,
            &source_id,
            points,
            now,
        )?;
    }
    let data = RewardedData::new(inviter, invitee, stage, points, None, true);
    announce(repo, &source_id, "-clawback", "clawback", stage, data, now)
}

/// `referral.rewarded` for the core and the registry's tally of it, keyed by the reward's
/// source (`suffix` tells a clawback's event from the reward's; `kind` names the tally).
fn announce(
    repo: &Repo<impl Sql>,
    source_id: &str,
    suffix: &str,
    kind: &str,
    stage: Stage,
    data: RewardedData,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    emit(
        repo,
        format!("ref-{source_id}{suffix}"),
        "referral.rewarded",
        now,
        serde_json::to_value(data).map_err(|_| ApiError::Internal)?,
    )?;
    tally(
        repo,
        &format!("{kind}-{source_id}"),
        referral_registry::label(kind, Some(stage.as_str())),
        now,
    )
}

/// Queues a command for the inviter's object (retried until it lands; keyed by invitee, stage
/// and kind, so queuing it again is a no-op).
fn for_inviter(
    repo: &Repo<impl Sql>,
    parties: &Parties,
    what: ToInviter,
    stage: Stage,
) -> Result<(), ApiError> {
    let inviter = parties.inviter()?;
    let id = |raw: &str| MemberId::parse(raw).map_err(|_| ApiError::Internal);
    let (inviter_id, invitee_id) = (id(inviter)?, id(parties.invitee)?);
    let now = Instant(parties.now);
    let source_id = referral::reward_source_id(parties.invitee, stage);
    let (command, key, kind) = match what {
        ToInviter::Reward => (
            MemberCommand::ReferralReward(ReferralReward {
                inviter: inviter_id,
                invitee: invitee_id,
                stage,
                now,
            }),
            format!("refcmd-{source_id}"),
            "referral.reward",
        ),
        ToInviter::Clawback => (
            MemberCommand::ReferralClawback(ReferralClawback {
                inviter: inviter_id,
                invitee: invitee_id,
                stage,
                now,
            }),
            format!("refcmd-{source_id}-clawback"),
            "referral.clawback",
        ),
    };
    outbox::enqueue_command(
        &repo.sql,
        &key,
        MEMBER_OBJECT,
        inviter,
        kind,
        &command,
        parties.now.timestamp_millis(),
    )
}
