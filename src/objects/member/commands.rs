//! A member command's transaction body: each command's module function, its reply checked
//! against the command's reply type. The object runs it inside one transaction; the
//! commands that span calls to other objects (claims, links) are the object's own.

use super::repo::Repo;
use super::{checkins, erasure, events, ledger, me, orders, prescriptions, protocol, referral};
use crate::domain::rules::Rules;
use crate::http::error::ApiError;
use crate::objects::protocol::answer;
use crate::objects::seam::Sql;
use protocol::*;

/// One command's transaction body: its module's function, held to the command's reply.
pub fn run(
    repo: &Repo<impl Sql>,
    rules: &Rules,
    held: me::Held,
    stored: checkins::Stored,
    command: MemberCommand,
) -> Result<serde_json::Value, ApiError> {
    match command {
        MemberCommand::Checkin(Checkin { member, now }) => {
            answer::<Checkin>(checkins::checkin(repo, rules, &member, now.0, stored))
        }
        MemberCommand::Makeup(Makeup { member, now, date }) => {
            answer::<Makeup>(checkins::makeup(repo, rules, &member, now.0, date.0))
        }
        MemberCommand::Month(GetMonth { member, now, month }) => {
            answer::<GetMonth>(checkins::month(repo, rules, &member, now.0, &month))
        }
        MemberCommand::Ledger(GetLedger {
            member,
            now,
            before_id,
            limit,
        }) => answer::<GetLedger>(ledger::page(repo, &member, now.0, before_id, limit)),
        MemberCommand::Summary(GetSummary { member, now }) => {
            answer::<GetSummary>(me::summary(repo, rules, &member, now.0, held))
        }
        MemberCommand::Event(ApplyEvent {
            member_id,
            event_id,
            event,
            now,
            multiplier,
        }) => answer::<ApplyEvent>(events::event_with(
            repo,
            rules,
            member_id.as_str(),
            &event_id,
            &event,
            multiplier.as_ref(),
            now.0,
        )),
        MemberCommand::Coupons(ListCoupons {
            member,
            now,
            status,
        }) => answer::<ListCoupons>(me::coupons(repo, &member, now.0, status, held)),
        MemberCommand::Reserve(Reserve {
            order_id,
            lines,
            coupon_id,
            prescription_id,
            now,
        }) => answer::<Reserve>(orders::reserve(
            repo,
            rules,
            order_id.as_str(),
            &lines,
            coupon_id.as_deref(),
            prescription_id.as_deref(),
            now.0,
        )),
        MemberCommand::ReleaseCoupon(ReleaseCoupon {
            coupon_id,
            prescription_id,
            order_id,
            now,
        }) => answer::<ReleaseCoupon>(prescriptions::release(
            repo,
            coupon_id.as_deref(),
            prescription_id.as_deref(),
            order_id.as_str(),
            now.0,
        )),
        MemberCommand::Click(Click {
            day, visitor, now, ..
        }) => answer::<Click>(referral::click(repo, rules, &day, &visitor, now.0)),
        MemberCommand::Invite(Invite {
            inviter,
            invitee,
            now,
        }) => answer::<Invite>(referral::invite(
            repo,
            rules,
            inviter.as_str(),
            invitee.as_str(),
            now.0,
        )),
        MemberCommand::ReferralReward(ReferralReward {
            inviter,
            invitee,
            stage,
            now,
        }) => answer::<ReferralReward>(referral::reward_inviter(
            repo,
            rules,
            inviter.as_str(),
            invitee.as_str(),
            stage,
            now.0,
        )),
        MemberCommand::ReferralClawback(ReferralClawback {
            inviter,
            invitee,
            stage,
            now,
        }) => answer::<ReferralClawback>(referral::clawback_inviter(
            repo,
            rules,
            inviter.as_str(),
            invitee.as_str(),
            stage,
            now.0,
        )),
        MemberCommand::Erase(Erase { event_id, now, .. }) => answer::<Erase>(erasure::erase(
            &repo.sql,
            &event_id,
            now.0.timestamp_millis(),
        )),
        MemberCommand::Erased(IsErased {}) => answer::<IsErased>(erasure::is_erased(&repo.sql)),
        MemberCommand::Footprint(GetFootprint {}) => {
            answer::<GetFootprint>(erasure::footprint(&repo.sql))
        }
        // Handled before the transaction: they span calls to other objects.
        MemberCommand::Claim(_) | MemberCommand::Link(_) | MemberCommand::ReferralSummary(_) => {
            Err(ApiError::Internal)
        }
    }
}
