//! The inviter's side: the answer to an invitee (the caps, counted here, in the inviter's own
//! transaction, so concurrent invitees can never exceed them), and the inviter's rewards as
//! the invitee's object reports its stages. Decisions by `domain::referral_inviter`.

use super::protocol::InviteReply;
use super::referral_queue::{self, Parties};
use super::referral_rows;
use super::repo::Repo;
use crate::domain::referral::Stage;
use crate::domain::referral_inviter::{decide_inviter, InviterEvent, NotBound};
use crate::domain::rules::Rules;
use crate::domain::time::YearMonth;
use crate::http::error::ApiError;
use crate::objects::seam::Sql;
use chrono::{DateTime, Utc};

impl From<NotBound> for ApiError {
    fn from(_: NotBound) -> Self {
        ApiError::NotFound
    }
}

/// May `invitee` be bound to this inviter? The same invitee asking again gets the first
/// answer.
pub fn invite(
    repo: &Repo<impl Sql>,
    rules: &Rules,
    inviter: &str,
    invitee: &str,
    now: DateTime<Utc>,
) -> Result<InviteReply, ApiError> {
    repo.ensure_profile(inviter, None, now.timestamp_millis())?;
    let record = referral_rows::invitee(&repo.sql, invitee)?;
    let today = rules.zone.day_key(now);
    let month = YearMonth::of(rules.zone.date_of(now)).to_string();
    let (bound_today, bound_this_month) = match record {
        None => referral_rows::bound_counts(&repo.sql, &today, &month)?,
        Some(_) => (0, 0), // not counted: the first answer stands
    };
    let event = InviterEvent::Invite {
        bound_today,
        bound_this_month,
    };
    let step = decide_inviter(record, event, &rules.referral)?;
    if let Some(next) = step.next {
        let now_ms = now.timestamp_millis();
        referral_rows::insert_invitee(&repo.sql, invitee, next, &today, &month, now_ms)?;
    }
    let answer = step.next.or(record).ok_or(ApiError::Internal)?;
    Ok(InviteReply {
        refusal: answer.refusal(),
    })
}

/// The invitee's object reports a stage (`Reward`) or the first order's refund (`Clawback`):
/// the inviter's reward for it, or taking it back, once.
fn on_stage(
    repo: &Repo<impl Sql>,
    rules: &Rules,
    inviter: &str,
    invitee: &str,
    event: InviterEvent,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let record = referral_rows::invitee(&repo.sql, invitee)?;
    let step = decide_inviter(record, event, &rules.referral)?;
    if let Some(next) = step.next {
        referral_rows::save_invitee(&repo.sql, invitee, next, now.timestamp_millis())?;
    }
    let parties = Parties {
        invitee,
        inviter: Some(inviter),
        origin: None,
        now,
    };
    referral_queue::apply(repo, rules, &parties, &step.queue)
}

/// A stage the invitee reached: the inviter's reward for it, once.
pub fn reward_inviter(
    repo: &Repo<impl Sql>,
    rules: &Rules,
    inviter: &str,
    invitee: &str,
    stage: Stage,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    on_stage(
        repo,
        rules,
        inviter,
        invitee,
        InviterEvent::Reward(stage),
        now,
    )
}

/// The first order was refunded in time: its reward goes back, once. Points already spent
/// become debt, settled from the next award.
pub fn clawback_inviter(
    repo: &Repo<impl Sql>,
    rules: &Rules,
    inviter: &str,
    invitee: &str,
    stage: Stage,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    on_stage(
        repo,
        rules,
        inviter,
        invitee,
        InviterEvent::Clawback(stage),
        now,
    )
}
