//! The inviter's figures (`GET /v1/referrals/me`): taps on the link, invitees by state, and
//! the net referral points.

use super::protocol::ReferralSummaryReply;
use super::referral_rows::InviteeState;
use super::repo::Repo;
use crate::domain::points::{EntryKind, Source};
use crate::domain::rules::Rules;
use crate::http::error::ApiError;
use crate::objects::seam::Sql;
use chrono::{DateTime, Utc};

pub fn summary(
    repo: &Repo<impl Sql>,
    rules: &Rules,
    code: String,
    now: DateTime<Utc>,
) -> Result<ReferralSummaryReply, ApiError> {
    let sql = &repo.sql;
    let today = rules.zone.day_key(now);
    let (clicks, unique_visitors) = sql
        .row::<(i64, i64)>(
            "SELECT COALESCE(SUM(clicks), 0), COALESCE(SUM(visitors), 0) FROM link_days",
            vec![],
        )?
        .ok_or(ApiError::Internal)?;
    let clicks_today = sql
        .row::<(i64,)>(
            "SELECT clicks FROM link_days WHERE day = ?",
            vec![today.into()],
        )?
        .map_or(0, |(n,)| n);
    let (bound, rewarded, refused) = sql
        .row::<(i64, i64, i64)>(
            "SELECT COALESCE(SUM(state = ?), 0),
                    COALESCE(SUM(state = ? AND verified_ms IS NOT NULL), 0),
                    COALESCE(SUM(state = ?), 0)
             FROM invitees",
            vec![
                InviteeState::Bound.into(),
                InviteeState::Bound.into(),
                InviteeState::Refused.into(),
            ],
        )?
        .ok_or(ApiError::Internal)?;
    let (points_earned,) = sql
        .row::<(i64,)>(
            "SELECT COALESCE(SUM(amount), 0) FROM ledger WHERE source = ? AND kind IN (?, ?)",
            vec![
                Source::Referral.as_str().into(),
                EntryKind::Earn.as_str().into(),
                EntryKind::Clawback.as_str().into(),
            ],
        )?
        .ok_or(ApiError::Internal)?;
    Ok(ReferralSummaryReply {
        code,
        clicks,
        unique_visitors,
        clicks_today,
        bound,
        rewarded,
        pending: bound - rewarded,
        refused,
        points_earned,
    })
}
