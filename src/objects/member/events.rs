//! The core's events about this member, each applied once (by event id): registration and
//! real-name verification (the referral binding), payments and refunds (points, coupon,
//! the first-order reward), prescriptions approved and revoked.

use super::protocol::{EventReply, MemberEvent};
use super::repo::Repo;
use super::{orders, prescriptions, referral, tiers};
use crate::domain::rules::Rules;
use crate::domain::tier_multiplier::CampaignMultiplier;
use crate::http::error::ApiError;
use crate::objects::seam::Sql;
use chrono::{DateTime, Utc};

pub fn event(
    repo: &Repo<impl Sql>,
    rules: &Rules,
    member_id: &str,
    event_id: &str,
    event: &MemberEvent,
    now: DateTime<Utc>,
) -> Result<EventReply, ApiError> {
    event_with(repo, rules, member_id, event_id, event, None, now)
}

/// A core event, with the points_multiplier campaign the worker found open at an
/// `order.paid`'s `paid_at` (`None` for other events).
pub fn event_with(
    repo: &Repo<impl Sql>,
    rules: &Rules,
    member_id: &str,
    event_id: &str,
    event: &MemberEvent,
    multiplier: Option<&CampaignMultiplier>,
    now: DateTime<Utc>,
) -> Result<EventReply, ApiError> {
    repo.ensure_profile(member_id, None, now.timestamp_millis())?;
    if !repo.first_sight_of_event(event_id, now.timestamp_millis())? {
        return Ok(EventReply {
            accepted: true,
            duplicate: true,
        });
    }
    repo.expire_due(now)?;
    match event {
        MemberEvent::Registered(registration) => {
            referral::register(repo, rules, member_id, event_id, registration, now)?
        }
        MemberEvent::Verified(_) => {
            repo.set_verified()?;
            referral::on_verified(repo, rules, member_id, now)?;
        }
        MemberEvent::Paid(paid) => {
            let applied =
                orders::paid_with(repo, rules, member_id, event_id, paid, multiplier, now)?;
            if applied && paid.first_order {
                referral::on_first_order(
                    repo,
                    rules,
                    member_id,
                    paid.order_id.as_str(),
                    paid.paid_at.0,
                    paid.amount_fen,
                    now,
                )?;
            }
            referral::after_refund(repo, rules, member_id, now)?;
        }
        MemberEvent::Refunded(refunded) => {
            orders::refunded_with_tier(repo, rules, member_id, event_id, refunded, now)?;
            referral::after_refund(repo, rules, member_id, now)?;
        }
        MemberEvent::PrescriptionApproved(approved) => {
            prescriptions::approved(repo, approved, now.timestamp_millis())?
        }
        MemberEvent::PrescriptionRevoked(revoked) => {
            prescriptions::revoked(repo, revoked, now.timestamp_millis())?
        }
        MemberEvent::Profile(profile) => tiers::set_profile(repo, profile)?,
    }
    Ok(EventReply {
        accepted: true,
        duplicate: false,
    })
}
