//! Daily check-in (签到): one per member per business day, streaks with cycle bonuses,
//! and make-up check-ins (补签) that repair a streak for a price.

use super::rules::CheckinRules;
use super::time::YearMonth;
use chrono::{Datelike, NaiveDate};

/// Length of the run of consecutive days ending at `end`, given the checked-in days in
/// descending order (they may start after `end`; those are skipped).
pub fn streak_ending(end: NaiveDate, days_desc: impl IntoIterator<Item = NaiveDate>) -> u32 {
    let mut expected = end;
    let mut streak = 0;
    for day in days_desc {
        if day > expected {
            continue;
        }
        if day < expected {
            break;
        }
        streak += 1;
        match expected.pred_opt() {
            Some(previous) => expected = previous,
            None => break,
        }
    }
    streak
}

/// The streak a member has today: the run ending today if checked in today, else the run
/// ending yesterday (still alive until today ends), else 0.
pub fn current_streak(today: NaiveDate, days_desc: &[NaiveDate]) -> u32 {
    let ending_today = streak_ending(today, days_desc.iter().copied());
    if ending_today > 0 {
        return ending_today;
    }
    today.pred_opt().map_or(0, |yesterday| {
        streak_ending(yesterday, days_desc.iter().copied())
    })
}

/// Day of the bonus cycle for a streak: 1..=cycle_days, restarting after the last day.
pub fn cycle_day(streak: u32, cycle_days: u32) -> u32 {
    if streak == 0 {
        return 0;
    }
    (streak - 1) % cycle_days.max(1) + 1
}

/// The bonus for reaching `streak` consecutive days.
pub fn streak_bonus(streak: u32, rules: &CheckinRules) -> i64 {
    let day = cycle_day(streak, rules.cycle_days);
    rules
        .streak_bonuses
        .iter()
        .filter(|(bonus_day, _)| *bonus_day == day)
        .map(|(_, points)| points)
        .sum()
}

/// What a new check-in earns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckinAward {
    pub date: NaiveDate,
    pub streak: u32,
    pub cycle_day: u32,
    pub points_awarded: i64,
    pub bonus_points: i64,
}

/// Decides today's check-in. `None` when today is already checked in (nothing changes).
pub fn plan_checkin(
    today: NaiveDate,
    days_desc: &[NaiveDate],
    rules: &CheckinRules,
) -> Option<CheckinAward> {
    if days_desc.contains(&today) {
        return None;
    }
    let previous_run = today.pred_opt().map_or(0, |yesterday| {
        streak_ending(yesterday, days_desc.iter().copied())
    });
    let streak = previous_run + 1;
    Some(CheckinAward {
        date: today,
        streak,
        cycle_day: cycle_day(streak, rules.cycle_days),
        points_awarded: rules.base_points,
        bonus_points: streak_bonus(streak, rules),
    })
}

/// Why a make-up check-in is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MakeupRefusal {
    /// 422: the date is today or later.
    NotInPast,
    /// 422: the date is in another month than today's.
    OtherMonth,
    /// 422: the date is before the member registered.
    BeforeRegistration,
    /// 409: the date is already checked in.
    AlreadyCheckedIn,
    /// 429: the month's make-ups are used up.
    LimitReached,
    /// 409: not enough points to pay for it.
    InsufficientPoints,
}

/// What the member asks for and what they have.
pub struct MakeupRequest<'a> {
    pub today: NaiveDate,
    pub date: NaiveDate,
    pub registered_on: NaiveDate,
    pub days_desc: &'a [NaiveDate],
    pub makeups_used_this_month: u32,
    pub balance: i64,
}

/// Decides a make-up check-in: the checks run in a fixed order (validity of the date, then
/// state, then limits, then payment) so a refusal always names the first rule broken.
pub fn plan_makeup(
    request: &MakeupRequest<'_>,
    rules: &CheckinRules,
) -> Result<i64, MakeupRefusal> {
    if request.date >= request.today {
        return Err(MakeupRefusal::NotInPast);
    }
    if YearMonth::of(request.date) != YearMonth::of(request.today) {
        return Err(MakeupRefusal::OtherMonth);
    }
    if request.date < request.registered_on {
        return Err(MakeupRefusal::BeforeRegistration);
    }
    if request.days_desc.contains(&request.date) {
        return Err(MakeupRefusal::AlreadyCheckedIn);
    }
    if request.makeups_used_this_month >= rules.makeups_per_month {
        return Err(MakeupRefusal::LimitReached);
    }
    if request.balance < rules.makeup_cost_points {
        return Err(MakeupRefusal::InsufficientPoints);
    }
    Ok(rules.makeup_cost_points)
}

/// A bonus day ahead: checking in every day from now on, `date` is day `streak` of the run
/// and earns `bonus_points` on top of the base points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BonusAhead {
    pub date: NaiveDate,
    pub streak: u32,
    pub bonus_points: i64,
}

/// What the check-in page shows ahead of time: today's award (`None` when already checked in)
/// and the bonus days of the next full cycle of daily check-ins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckinOutlook {
    pub next_checkin: Option<CheckinAward>,
    pub bonuses_ahead: Vec<BonusAhead>,
}

/// The outlook from `today` given the checked-in days (descending): the same rules as
/// `plan_checkin`, so the page promises exactly what a tap will give.
pub fn outlook(today: NaiveDate, days_desc: &[NaiveDate], rules: &CheckinRules) -> CheckinOutlook {
    let next_checkin = plan_checkin(today, days_desc, rules);
    // The first day still to check in, and the streak it would reach.
    let (first_day, first_streak) = match &next_checkin {
        Some(award) => (Some(today), award.streak),
        None => (
            today.succ_opt(),
            streak_ending(today, days_desc.iter().copied()) + 1,
        ),
    };
    let bonuses_ahead = first_day
        .into_iter()
        .flat_map(|first| first.iter_days().zip(first_streak..))
        .take(rules.cycle_days.max(1) as usize)
        .map(|(date, streak)| BonusAhead {
            date,
            streak,
            bonus_points: streak_bonus(streak, rules),
        })
        .filter(|ahead| ahead.bonus_points > 0)
        .collect();
    CheckinOutlook {
        next_checkin,
        bonuses_ahead,
    }
}

/// The days of this month a make-up would be accepted for now (points aside): past days since
/// registration not checked in, none once the month's make-ups are used. The same rules as
/// `plan_makeup`, so the page offers only what the API will accept.
pub fn makeup_dates(
    today: NaiveDate,
    registered_on: NaiveDate,
    days_desc: &[NaiveDate],
    makeups_used_this_month: u32,
    rules: &CheckinRules,
) -> Vec<NaiveDate> {
    let first_of_month = today.with_day(1).unwrap_or(today);
    first_of_month
        .iter_days()
        .take_while(|date| *date < today)
        .filter(|date| {
            let request = MakeupRequest {
                today,
                date: *date,
                registered_on,
                days_desc,
                makeups_used_this_month,
                balance: rules.makeup_cost_points,
            };
            plan_makeup(&request, rules).is_ok()
        })
        .collect()
}
