//! What each member command does, as one synchronous transaction body: load, ask the
//! domain, store, queue outbox rows. Runs inside `sql::atomically`, so no `.await` here.

use super::ledger::{emit, grant, prepare};
use super::protocol::*;
use super::referral;
use super::repo::Repo;
use crate::domain::checkin::{self, MakeupRefusal, MakeupRequest};
use crate::domain::points::{self, EntryKind, Source};
use crate::domain::rules::Rules;
use crate::domain::tier::{self, Spend, Tier};
use crate::domain::time::{date_key, from_unix_millis, BusinessDate, Instant, YearMonth};
use crate::http::error::ApiError;
use crate::objects::seam::Sql;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::json;

/// Reports a check-in (or a make-up, with its cost) to the core; the id makes it once per day.
#[allow(clippy::too_many_arguments)]
fn record_checkin(
    repo: &Repo<impl Sql>,
    member_id: &str,
    date: &str,
    streak: u32,
    points_awarded: i64,
    bonus_points: i64,
    makeup_cost: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let mut data = json!({
        "member_id": member_id,
        "date": date,
        "streak": streak,
        "points_awarded": points_awarded,
        "bonus_points": bonus_points,
        "makeup": makeup_cost.is_some(),
    });
    if let Some(cost) = makeup_cost {
        data["cost_points"] = json!(cost);
    }
    emit(
        repo,
        format!("chk-{member_id}-{date}"),
        "checkin.recorded",
        now,
        data,
    )
}

pub fn checkin(
    repo: &Repo<impl Sql>,
    rules: &Rules,
    member: &MemberContext,
    now: DateTime<Utc>,
) -> Result<CheckinReply, ApiError> {
    prepare(repo, member, now)?;
    let today = rules.zone.date_of(now);
    let days = repo.days_desc()?;
    let Some(award) = checkin::plan_checkin(today, &days, &rules.checkin) else {
        let row = repo.checkin(&date_key(today))?.ok_or(ApiError::Internal)?;
        return Ok(CheckinReply {
            date: BusinessDate(today),
            streak: row.streak,
            cycle_day: checkin::cycle_day(row.streak, rules.checkin.cycle_days),
            points_awarded: row.points,
            bonus_points: row.bonus,
            balance: repo.balance()?,
            already_checked_in: true,
        });
    };
    let key = date_key(today);
    let member_id = member.member_id.as_str();
    repo.insert_checkin(
        &key,
        award.streak,
        award.points_awarded,
        award.bonus_points,
        false,
        now.timestamp_millis(),
    )?;
    grant(
        repo,
        rules,
        member_id,
        Source::Checkin,
        &key,
        award.points_awarded + award.bonus_points,
        now,
    )?;
    record_checkin(
        repo,
        member_id,
        &key,
        award.streak,
        award.points_awarded,
        award.bonus_points,
        None,
        now,
    )?;
    Ok(CheckinReply {
        date: BusinessDate(today),
        streak: award.streak,
        cycle_day: award.cycle_day,
        points_awarded: award.points_awarded,
        bonus_points: award.bonus_points,
        balance: repo.balance()?,
        already_checked_in: false,
    })
}

fn makeups_used(repo: &Repo<impl Sql>, month: YearMonth) -> Result<u32, ApiError> {
    Ok(repo
        .month_checkins(&month.to_string())?
        .iter()
        .filter(|row| row.makeup)
        .count() as u32)
}

pub fn makeup(
    repo: &Repo<impl Sql>,
    rules: &Rules,
    member: &MemberContext,
    now: DateTime<Utc>,
    date: NaiveDate,
) -> Result<MakeupReply, ApiError> {
    prepare(repo, member, now)?;
    let profile = repo.profile()?.ok_or(ApiError::Internal)?;
    let today = rules.zone.date_of(now);
    let days = repo.days_desc()?;
    let balance = repo.balance()?;
    let request = MakeupRequest {
        today,
        date,
        registered_on: rules.zone.date_of(profile.registered_at()),
        days_desc: &days,
        makeups_used_this_month: makeups_used(repo, YearMonth::of(today))?,
        balance,
    };
    let key = date_key(date);
    let cost = checkin::plan_makeup(&request, &rules.checkin).map_err(|refusal| {
        let not_allowed = |reason: &str, detail: &str| ApiError::MakeupNotAllowed {
            reason: reason.into(),
            detail: detail.into(),
        };
        match refusal {
            MakeupRefusal::NotInPast => {
                not_allowed("not_in_past", "only a past day can be made up")
            }
            MakeupRefusal::OtherMonth => not_allowed(
                "other_month",
                "only a day of the current month can be made up",
            ),
            MakeupRefusal::BeforeRegistration => {
                not_allowed("before_registration", "the day is before registration")
            }
            MakeupRefusal::AlreadyCheckedIn => ApiError::AlreadyCheckedIn { date: key.clone() },
            MakeupRefusal::LimitReached => ApiError::MakeupLimit {
                limit: rules.checkin.makeups_per_month,
            },
            MakeupRefusal::InsufficientPoints => ApiError::InsufficientPoints {
                balance,
                required: rules.checkin.makeup_cost_points,
            },
        }
    })?;
    let member_id = member.member_id.as_str();
    repo.debit(EntryKind::Spend, Source::Makeup, &key, cost, now)?;
    let streak_on_day = checkin::streak_ending(
        date,
        std::iter::once(date).chain(days.iter().copied().filter(|d| *d < date)),
    );
    repo.insert_checkin(&key, streak_on_day, 0, 0, true, now.timestamp_millis())?;
    let days = repo.days_desc()?;
    record_checkin(repo, member_id, &key, streak_on_day, 0, 0, Some(cost), now)?;
    Ok(MakeupReply {
        date: BusinessDate(date),
        cost_points: cost,
        streak: checkin::current_streak(today, &days),
        balance: repo.balance()?,
    })
}

pub fn month(
    repo: &Repo<impl Sql>,
    rules: &Rules,
    member: &MemberContext,
    now: DateTime<Utc>,
    month: &str,
) -> Result<MonthReply, ApiError> {
    prepare(repo, member, now)?;
    let today = rules.zone.date_of(now);
    let current = YearMonth::of(today);
    let month = match month {
        "" => current,
        raw => YearMonth::parse(raw).ok_or_else(|| ApiError::invalid("month: expected YYYY-MM"))?,
    };
    let rows = repo.month_checkins(&month.to_string())?;
    let date_of = |row: &super::repo::CheckinRow| {
        crate::domain::time::parse_date(&row.date).map(BusinessDate)
    };
    let used = rows.iter().filter(|row| row.makeup).count() as u32;
    let days = repo.days_desc()?;
    let outlook = checkin::outlook(today, &days, &rules.checkin);
    let makeup_dates = if month == current {
        let profile = repo.profile()?.ok_or(ApiError::Internal)?;
        let registered_on = rules.zone.date_of(profile.registered_at());
        checkin::makeup_dates(today, registered_on, &days, used, &rules.checkin)
    } else {
        Vec::new()
    };
    Ok(MonthReply {
        month: month.to_string(),
        days: rows.iter().filter_map(date_of).collect(),
        makeup_days: rows
            .iter()
            .filter(|row| row.makeup)
            .filter_map(date_of)
            .collect(),
        makeups_used: used,
        makeups_left: if month == current {
            rules.checkin.makeups_per_month.saturating_sub(used)
        } else {
            0
        },
        streak: checkin::current_streak(today, &days),
        checked_in_today: days.first() == Some(&today),
        today: BusinessDate(today),
        next_checkin: outlook.next_checkin.map(|award| NextCheckin {
            date: BusinessDate(award.date),
            streak: award.streak,
            points: award.points_awarded,
            bonus_points: award.bonus_points,
        }),
        bonuses_ahead: outlook
            .bonuses_ahead
            .into_iter()
            .map(|ahead| BonusAheadReply {
                date: BusinessDate(ahead.date),
                streak: ahead.streak,
                bonus_points: ahead.bonus_points,
            })
            .collect(),
        makeup_dates: makeup_dates.into_iter().map(BusinessDate).collect(),
        rules: CheckinRulesReply {
            base_points: rules.checkin.base_points,
            cycle_days: rules.checkin.cycle_days,
            makeup_cost_points: rules.checkin.makeup_cost_points,
            makeups_per_month: rules.checkin.makeups_per_month,
        },
    })
}

pub fn spends(repo: &Repo<impl Sql>, excluding: Option<&str>) -> Result<Vec<Spend>, ApiError> {
    Ok(repo
        .paid_orders()?
        .into_iter()
        .filter(|order| Some(order.order_id.as_str()) != excluding)
        .filter_map(|order| {
            Some(Spend::after_refunds(
                from_unix_millis(order.paid_ms?)?,
                order.own_fen?,
                order.refunded_fen,
            ))
        })
        .collect())
}

pub fn summary(
    repo: &Repo<impl Sql>,
    rules: &Rules,
    member: &MemberContext,
    now: DateTime<Utc>,
) -> Result<SummaryReply, ApiError> {
    prepare(repo, member, now)?;
    let profile = repo.profile()?.ok_or(ApiError::Internal)?;
    let today = rules.zone.date_of(now);
    let days = repo.days_desc()?;
    let spend = tier::spend_in_window(&spends(repo, None)?, now, &rules.tiers);
    // Group what expires in the next 30 days by expiry instant.
    let horizon = now + Duration::days(30);
    let mut expiring: Vec<Expiring> = Vec::new();
    for lot in repo
        .open_lots()?
        .into_iter()
        .filter(|lot| lot.expires_at <= horizon)
    {
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
            balance: repo.balance()?,
            debt: profile.points_debt,
            expiring,
        },
        checkin: CheckinSummary {
            streak: checkin::current_streak(today, &days),
            checked_in_today: days.first() == Some(&today),
        },
        coupons: CouponSummary {
            available: super::wallet::available_count(repo, now)?,
        },
    })
}

pub fn event(
    repo: &Repo<impl Sql>,
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
            referral::on_verified(repo, rules, member_id, now)?;
        }
        MemberEvent::Paid(paid) => {
            if order_paid(repo, rules, member_id, paid, now)? && paid.first_order {
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
            order_refunded(repo, event_id, refunded, now)?;
            referral::after_refund(repo, rules, member_id, now)?;
        }
        MemberEvent::PrescriptionApproved(approved) => {
            super::prescriptions::approved(repo, approved, now.timestamp_millis())?
        }
        MemberEvent::PrescriptionRevoked(revoked) => {
            super::prescriptions::revoked(repo, revoked, now.timestamp_millis())?
        }
    }
    Ok(EventReply {
        accepted: true,
        duplicate: false,
    })
}

/// Awards an order's points, once per order: `false` when it was already paid.
pub fn order_paid(
    repo: &Repo<impl Sql>,
    rules: &Rules,
    member_id: &str,
    paid: &crate::domain::events::OrderPaid,
    now: DateTime<Utc>,
) -> Result<bool, ApiError> {
    let order_id = paid.order_id.as_str();
    let known = repo.paid_order(order_id)?;
    if known.as_ref().is_some_and(|order| order.paid_ms.is_some()) {
        return Ok(false); // the same order paid twice under another event id changes nothing
    }
    // The tier multiplier is the member's tier before this order.
    let spend_before =
        tier::spend_in_window(&spends(repo, Some(order_id))?, paid.paid_at.0, &rules.tiers);
    let multiplier = rules
        .points
        .multiplier_for(Tier::for_spend(spend_before, &rules.tiers));
    let earned = points::order_points(
        &paid.lines,
        paid.amount_fen,
        paid.insurance_fen,
        multiplier,
        &rules.points,
    );
    let own_fen = tier::own_payment_fen(paid.amount_fen, paid.insurance_fen);
    repo.record_payment(
        order_id,
        paid.paid_at.0.timestamp_millis(),
        paid.amount_fen,
        own_fen,
        earned,
    )?;
    grant(repo, rules, member_id, Source::Order, order_id, earned, now)?;
    if let Some(coupon_id) = &paid.coupon_id {
        super::wallet::redeem(repo, coupon_id, order_id, now)?;
    }
    // A refund that arrived before the payment is applied now.
    if let Some(early) = known.filter(|order| order.refunded_fen > 0) {
        apply_refund(
            repo,
            order_id,
            &format!("{order_id}-early"),
            early.refunded_fen,
            0,
            now,
        )?;
    }
    Ok(true)
}

pub fn order_refunded(
    repo: &Repo<impl Sql>,
    event_id: &str,
    refunded: &crate::domain::events::OrderRefunded,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let order_id = refunded.order_id.as_str();
    let previous = repo.paid_order(order_id)?;
    let refunded_before = previous.as_ref().map_or(0, |order| order.refunded_fen);
    let refunded_total = refunded_before + refunded.amount_fen;
    match previous {
        Some(order) if order.paid_ms.is_some() => apply_refund(
            repo,
            order_id,
            &format!("{order_id}-{event_id}"),
            refunded_total,
            order.points_clawed,
            now,
        ),
        // Not paid yet as far as we know: remember it for when the payment arrives.
        _ => Ok(repo.record_refund(order_id, refunded_total, 0)?),
    }
}

fn apply_refund(
    repo: &Repo<impl Sql>,
    order_id: &str,
    entry_id: &str,
    refunded_total: i64,
    clawed_before: i64,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let order = repo.paid_order(order_id)?.ok_or(ApiError::Internal)?;
    let amount = order.amount_fen.unwrap_or(0);
    let refunded_total = refunded_total.min(amount);
    let claw =
        points::clawback_for_refund(order.points_awarded, amount, refunded_total, clawed_before);
    if claw > 0 {
        repo.debit(EntryKind::Clawback, Source::Refund, entry_id, claw, now)?;
    }
    Ok(repo.record_refund(order_id, refunded_total, clawed_before + claw)?)
}

pub fn coupons(
    repo: &Repo<impl Sql>,
    member: &MemberContext,
    now: DateTime<Utc>,
    status: Option<crate::domain::coupon::CouponStatus>,
) -> Result<CouponsReply, ApiError> {
    prepare(repo, member, now)?;
    Ok(CouponsReply {
        coupons: super::wallet::list(repo, status, now)?,
    })
}
