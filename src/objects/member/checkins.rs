//! Check-ins: the daily check-in (streak, cycle bonus, once a day however often it is
//! asked), the make-up of a missed day (for points, a few a month), and the month view the
//! calendar page shows. The rules are `domain::checkin`'s; points go through the ledger.

use super::ledger::{balance_of, emit, ensure_profile, grant_onto, prepare, prepare_lots, Award};
use super::protocol::{
    BonusAheadReply, CheckinReply, CheckinRulesReply, MakeupReply, MemberContext, MonthReply,
    NextCheckin,
};
use super::repo::Repo;
use crate::domain::checkin::{self, MakeupRefusal, MakeupRequest};
use crate::domain::points::{self, EntryKind, Source};
use crate::domain::rules::Rules;
use crate::domain::time::{date_key, from_unix_millis, parse_date, BusinessDate, YearMonth};
use crate::http::error::ApiError;
use crate::objects::seam::Sql;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;

pub use super::checkin_rows::{CheckinRow, RepeatDay};

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

/// What a command knows of the member's points tables before it reads them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// Whatever earlier commands wrote: read it.
    Unknown,
    /// Created empty by this very call (`Tables::ensure_noting_empty`), nothing written
    /// since: no day, no lot, no debt, no profile to read.
    Nothing,
}

pub fn checkin(
    repo: &Repo<impl Sql>,
    rules: &Rules,
    member: &MemberContext,
    now: DateTime<Utc>,
    stored: Stored,
) -> Result<CheckinReply, ApiError> {
    let today = rules.zone.date_of(now);
    let key = date_key(today);
    if stored == Stored::Nothing {
        return first_checkin(repo, rules, member, now, (today, &key), stored);
    }
    // A repeat is answered from the day's row (its check-in created the profile), in one
    // statement unless a lot has expired since.
    if let Some(day) = repo.repeat_day(&key)? {
        let expiry_due = day
            .earliest_expiry_ms
            .and_then(from_unix_millis)
            .is_some_and(|expires_at| points::has_expired(expires_at, now));
        let balance = if expiry_due {
            balance_of(&prepare_lots(repo, member, now)?)
        } else {
            day.open_points
        };
        return Ok(CheckinReply {
            date: BusinessDate(today),
            streak: day.streak,
            cycle_day: checkin::cycle_day(day.streak, rules.checkin.cycle_days),
            points_awarded: day.points,
            bonus_points: day.bonus,
            balance,
            already_checked_in: true,
        });
    }
    first_checkin(repo, rules, member, now, (today, &key), stored)
}

/// The day's first check-in: the streak from the latest run of days, the balance from the
/// open lots (a member whose tables this call created has neither, nor a debt).
fn first_checkin(
    repo: &Repo<impl Sql>,
    rules: &Rules,
    member: &MemberContext,
    now: DateTime<Utc>,
    (today, key): (NaiveDate, &str),
    stored: Stored,
) -> Result<CheckinReply, ApiError> {
    let (lots, days, debt) = match stored {
        Stored::Unknown => (
            prepare_lots(repo, member, now)?,
            repo.latest_run(key)?,
            None,
        ),
        Stored::Nothing => {
            ensure_profile(repo, member, now)?;
            (Vec::new(), Vec::new(), Some(0))
        }
    };
    let award = checkin::plan_checkin(today, &days, &rules.checkin).ok_or(ApiError::Internal)?;
    let member_id = member.member_id.as_str();
    repo.insert_checkin(
        key,
        award.streak,
        award.points_awarded,
        award.bonus_points,
        false,
        now.timestamp_millis(),
    )?;
    let granted = Award {
        source: Source::Checkin,
        source_id: key,
        amount: award.points_awarded + award.bonus_points,
        debt,
    };
    let balance = grant_onto(
        repo,
        rules,
        member_id,
        &granted,
        now,
        Some(balance_of(&lots)),
    )?;
    record_checkin(
        repo,
        member_id,
        key,
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
        balance,
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
    let date_of = |row: &CheckinRow| parse_date(&row.date).map(BusinessDate);
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
