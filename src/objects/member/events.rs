//! The core's events about this member, each applied once (by event id): registration and
//! real-name verification (the referral binding), payments and refunds (points, coupon,
//! the first-order reward), prescriptions approved and revoked. Built on Workers only until
//! the referral module is on the seam.

use super::protocol::{EventReply, MemberEvent};
use super::repo::Repo;
use super::{orders, prescriptions, referral};
use crate::domain::rules::Rules;
use crate::http::error::ApiError;
use chrono::{DateTime, Utc};

pub fn event(
    repo: &Repo<worker::SqlStorage>,
    rules: &Rules,
    member_id: &str,
    event_id: &str,
    event: &MemberEvent,
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
            referral::on_verified(repo, member_id, now)?;
        }
        MemberEvent::Paid(paid) => {
            if orders::paid(repo, rules, member_id, paid, now)? && paid.first_order {
                referral::on_first_order(
                    repo,
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
            orders::refunded(repo, event_id, refunded, now)?;
            referral::after_refund(repo, rules, member_id, now)?;
        }
        MemberEvent::PrescriptionApproved(approved) => {
            prescriptions::approved(repo, approved, now.timestamp_millis())?
        }
        MemberEvent::PrescriptionRevoked(revoked) => {
            prescriptions::revoked(repo, revoked, now.timestamp_millis())?
        }
    }
    Ok(EventReply {
        accepted: true,
        duplicate: false,
    })
}
