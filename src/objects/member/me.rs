//! What the member's own pages read: the summary (`GET /v1/me`: tier, points, streak,
//! coupons) and the coupon list. Reads over every layer below; writes only what `prepare`
//! brings up to now.

use super::coupons;
use super::ledger::{balance_of, prepare, prepare_lots};
use super::protocol::{
    AbReply, CheckinSummary, CouponSummary, CouponsReply, Expiring, MemberContext, PointsSummary,
    SummaryReply,
};
use super::repo::Repo;
use crate::domain::attribution::{bucket, MEMBER_EXPERIMENT};
use crate::domain::checkin;
use crate::domain::coupon::CouponStatus;
use crate::domain::rules::Rules;
use crate::domain::tier;
use crate::domain::time::{date_key, Instant};
use crate::http::error::ApiError;
use crate::objects::seam::Sql;
use chrono::{DateTime, Duration, Utc};

/// Which modules' tables this member holds. Reads do not create tables: a module never used
/// has none, and nothing in it (a member who only checks in has no wallet and no orders).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Held {
    /// Coupons and claims (`coupons::MODULE`).
    pub wallet: bool,
    /// Paid orders and seen events (`repo::EVENTS`).
    pub orders: bool,
}

pub fn summary(
    repo: &Repo<impl Sql>,
    rules: &Rules,
    member: &MemberContext,
    now: DateTime<Utc>,
    held: Held,
) -> Result<SummaryReply, ApiError> {
    // The lots left open after the expiry answer the balance and what expires next; the
    // latest run of days the streak: no second read of either.
    let lots = prepare_lots(repo, member, now)?;
    let profile = repo.profile()?.ok_or(ApiError::Internal)?;
    let today = rules.zone.date_of(now);
    let days = repo.latest_run(&date_key(today))?;
    let spends = if held.orders {
        repo.spends(None)?
    } else {
        Vec::new()
    };
    let spend = tier::spend_in_window(&spends, now, &rules.tiers);
    // Group what expires in the next 30 days by expiry instant.
    let horizon = now + Duration::days(30);
    let mut expiring: Vec<Expiring> = Vec::new();
    for lot in lots.iter().filter(|lot| lot.expires_at <= horizon) {
        match expiring.last_mut() {
            Some(last) if last.expires_at.0 == lot.expires_at => last.amount += lot.remaining,
            _ => expiring.push(Expiring {
                amount: lot.remaining,
                expires_at: Instant(lot.expires_at),
            }),
        }
    }
    Ok(SummaryReply {
        member_id: member.member_id.clone(),
        tier: tier::status(spend, &rules.tiers).into(),
        points: PointsSummary {
            balance: balance_of(&lots),
            debt: profile.points_debt,
            expiring,
        },
        checkin: CheckinSummary {
            streak: checkin::current_streak(today, &days),
            checked_in_today: days.first() == Some(&today),
        },
        coupons: CouponSummary {
            available: if held.wallet {
                coupons::available_count(repo, now)?
            } else {
                0
            },
        },
        ab: AbReply {
            experiment: bucket(member.member_id.as_str(), MEMBER_EXPERIMENT),
        },
    })
}

pub fn coupons(
    repo: &Repo<impl Sql>,
    member: &MemberContext,
    now: DateTime<Utc>,
    status: Option<CouponStatus>,
    held: Held,
) -> Result<CouponsReply, ApiError> {
    prepare(repo, member, now)?;
    Ok(CouponsReply {
        coupons: if held.wallet {
            coupons::list(repo, status, now)?
        } else {
            Vec::new()
        },
    })
}
