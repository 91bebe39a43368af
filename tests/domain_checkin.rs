//! Check-in rules: business day boundary, streaks, cycle bonuses, make-up rules.

use chrono::NaiveDate;
use pharmedge::domain::checkin::*;
use pharmedge::domain::rules::Rules;
use pharmedge::domain::time::parse_instant;

fn d(raw: &str) -> NaiveDate {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").unwrap()
}

fn desc(days: &[&str]) -> Vec<NaiveDate> {
    let mut parsed: Vec<NaiveDate> = days.iter().map(|raw| d(raw)).collect();
    parsed.sort_unstable_by(|a, b| b.cmp(a));
    parsed
}

#[test]
fn the_business_day_of_a_checkin_turns_at_16_00_utc() {
    let rules = Rules::default();
    let before = rules
        .zone
        .date_of(parse_instant("2026-05-31T15:59:59Z").unwrap());
    let after = rules
        .zone
        .date_of(parse_instant("2026-05-31T16:00:00Z").unwrap());
    assert_eq!(before, d("2026-05-31"));
    assert_eq!(after, d("2026-06-01"));
    // Two check-ins one second apart across the boundary are two days and a streak of 2.
    let first = plan_checkin(before, &[], &rules.checkin).unwrap();
    let second = plan_checkin(after, &[first.date], &rules.checkin).unwrap();
    assert_eq!((first.streak, second.streak), (1, 2));
    // One second before the boundary again: the same day, nothing new.
    assert!(plan_checkin(before, &[before], &rules.checkin).is_none());
}

#[test]
fn streak_bonuses_follow_the_seven_day_cycle() {
    let rules = Rules::default().checkin;
    let mut days: Vec<NaiveDate> = Vec::new();
    let mut awards = Vec::new();
    let mut day = d("2026-03-01");
    for _ in 0..15 {
        let award = plan_checkin(day, &days, &rules).unwrap();
        awards.push((
            award.streak,
            award.cycle_day,
            award.points_awarded,
            award.bonus_points,
        ));
        days.insert(0, day);
        day = day.succ_opt().unwrap();
    }
    let bonuses: Vec<i64> = awards.iter().map(|a| a.3).collect();
    assert_eq!(
        bonuses,
        vec![0, 0, 10, 0, 0, 0, 30, 0, 0, 10, 0, 0, 0, 30, 0]
    );
    assert!(awards.iter().all(|a| a.2 == 5));
    assert_eq!(
        awards[7],
        (8, 1, 5, 0),
        "day 8 restarts the cycle but the streak keeps counting"
    );
}

#[test]
fn a_gap_resets_the_streak() {
    let rules = Rules::default().checkin;
    let days = desc(&["2026-03-01", "2026-03-02", "2026-03-03"]);
    let award = plan_checkin(d("2026-03-05"), &days, &rules).unwrap();
    assert_eq!(award.streak, 1);
    assert_eq!(
        current_streak(d("2026-03-04"), &days),
        3,
        "alive until the day after ends"
    );
    assert_eq!(current_streak(d("2026-03-05"), &days), 0);
}

fn makeup_request<'a>(
    today: &str,
    date: &str,
    registered: &str,
    days: &'a [NaiveDate],
    used: u32,
    balance: i64,
) -> MakeupRequest<'a> {
    MakeupRequest {
        today: d(today),
        date: d(date),
        registered_on: d(registered),
        days_desc: days,
        makeups_used_this_month: used,
        balance,
    }
}

#[test]
fn makeup_rules_refuse_in_a_fixed_order() {
    let rules = Rules::default().checkin;
    let days = desc(&["2026-03-10"]);
    let cases = [
        (
            "2026-03-15",
            "2026-03-15",
            "2026-01-01",
            0,
            100,
            Err(MakeupRefusal::NotInPast),
        ),
        (
            "2026-03-15",
            "2026-03-16",
            "2026-01-01",
            0,
            100,
            Err(MakeupRefusal::NotInPast),
        ),
        (
            "2026-03-15",
            "2026-02-28",
            "2026-01-01",
            0,
            100,
            Err(MakeupRefusal::OtherMonth),
        ),
        (
            "2026-03-15",
            "2026-03-04",
            "2026-03-05",
            0,
            100,
            Err(MakeupRefusal::BeforeRegistration),
        ),
        (
            "2026-03-15",
            "2026-03-10",
            "2026-01-01",
            0,
            100,
            Err(MakeupRefusal::AlreadyCheckedIn),
        ),
        (
            "2026-03-15",
            "2026-03-11",
            "2026-01-01",
            2,
            100,
            Err(MakeupRefusal::LimitReached),
        ),
        (
            "2026-03-15",
            "2026-03-11",
            "2026-01-01",
            1,
            19,
            Err(MakeupRefusal::InsufficientPoints),
        ),
        ("2026-03-15", "2026-03-11", "2026-01-01", 1, 20, Ok(20)),
        ("2026-03-15", "2026-03-05", "2026-03-05", 0, 20, Ok(20)),
    ];
    for (today, date, registered, used, balance, expected) in cases {
        let request = makeup_request(today, date, registered, &days, used, balance);
        assert_eq!(
            plan_makeup(&request, &rules),
            expected,
            "{today} {date} {registered} {used} {balance}"
        );
    }
}

#[test]
fn a_makeup_repairs_the_streak() {
    // Checked in on 1, 2, 4, 5; today is the 5th. Making up the 3rd joins both runs.
    let before = desc(&["2026-03-01", "2026-03-02", "2026-03-04", "2026-03-05"]);
    assert_eq!(current_streak(d("2026-03-05"), &before), 2);
    let after = desc(&[
        "2026-03-01",
        "2026-03-02",
        "2026-03-03",
        "2026-03-04",
        "2026-03-05",
    ]);
    assert_eq!(current_streak(d("2026-03-05"), &after), 5);
    // And tomorrow's check-in continues the repaired run.
    let award = plan_checkin(d("2026-03-06"), &after, &Rules::default().checkin).unwrap();
    assert_eq!((award.streak, award.bonus_points), (6, 0));
}

#[test]
fn streak_ending_ignores_days_after_the_end() {
    let days = desc(&["2026-03-01", "2026-03-02", "2026-03-03"]);
    assert_eq!(streak_ending(d("2026-03-02"), days.iter().copied()), 2);
    assert_eq!(streak_ending(d("2026-02-28"), days.iter().copied()), 0);
}

#[test]
fn the_outlook_before_todays_checkin_promises_what_the_tap_gives() {
    let rules = Rules::default().checkin;
    // Checked in the two days before: today is day 3 of the run, the day-3 bonus.
    let days = desc(&["2026-03-01", "2026-03-02"]);
    let view = outlook(d("2026-03-03"), &days, &rules);
    let next = view.next_checkin.clone().unwrap();
    assert_eq!(
        Some(next.clone()),
        plan_checkin(d("2026-03-03"), &days, &rules)
    );
    assert_eq!(
        (next.streak, next.points_awarded, next.bonus_points),
        (3, 5, 10)
    );
    // One cycle ahead from today: day 3 (today) and day 7; day 10 is in the next cycle.
    let ahead: Vec<(NaiveDate, u32, i64)> = view
        .bonuses_ahead
        .iter()
        .map(|b| (b.date, b.streak, b.bonus_points))
        .collect();
    assert_eq!(
        ahead,
        vec![(d("2026-03-03"), 3, 10), (d("2026-03-07"), 7, 30)]
    );
}

#[test]
fn the_outlook_after_todays_checkin_starts_tomorrow() {
    let rules = Rules::default().checkin;
    let days = desc(&["2026-03-01", "2026-03-02", "2026-03-03"]);
    let view = outlook(d("2026-03-03"), &days, &rules);
    assert_eq!(view.next_checkin, None);
    let ahead: Vec<(NaiveDate, u32, i64)> = view
        .bonuses_ahead
        .iter()
        .map(|b| (b.date, b.streak, b.bonus_points))
        .collect();
    // Tomorrow is day 4; within seven days: day 7 (+30) and day 10 (cycle day 3, +10).
    assert_eq!(
        ahead,
        vec![(d("2026-03-07"), 7, 30), (d("2026-03-10"), 10, 10)]
    );
}

#[test]
fn the_outlook_after_a_gap_restarts_at_day_one() {
    let rules = Rules::default().checkin;
    let days = desc(&["2026-03-01"]);
    let view = outlook(d("2026-03-05"), &days, &rules);
    let next = view.next_checkin.unwrap();
    assert_eq!((next.streak, next.bonus_points), (1, 0));
    let ahead: Vec<(NaiveDate, u32)> = view
        .bonuses_ahead
        .iter()
        .map(|b| (b.date, b.streak))
        .collect();
    assert_eq!(ahead, vec![(d("2026-03-07"), 3), (d("2026-03-11"), 7)]);
}

#[test]
fn the_outlook_lists_nothing_when_there_are_no_bonuses() {
    let mut rules = Rules::default().checkin;
    rules.streak_bonuses.clear();
    let view = outlook(d("2026-03-05"), &[], &rules);
    assert!(view.bonuses_ahead.is_empty());
    assert_eq!(view.next_checkin.unwrap().points_awarded, 5);
}

#[test]
fn makeup_dates_are_the_missed_past_days_since_registration() {
    let rules = Rules::default().checkin;
    let days = desc(&["2026-03-02", "2026-03-04", "2026-03-06"]);
    let offered = |registered: &str, used: u32| {
        makeup_dates(d("2026-03-06"), d(registered), &days, used, &rules)
    };
    // Not today, not the checked-in days.
    assert_eq!(
        offered("2026-02-10", 0),
        vec![d("2026-03-01"), d("2026-03-03"), d("2026-03-05")]
    );
    // Not before registration.
    assert_eq!(
        offered("2026-03-03", 1),
        vec![d("2026-03-03"), d("2026-03-05")]
    );
    // None once the month's make-ups are used.
    assert!(offered("2026-02-10", rules.makeups_per_month).is_empty());
    // Every day offered is one the make-up rules accept.
    for date in offered("2026-02-10", 0) {
        let request = MakeupRequest {
            today: d("2026-03-06"),
            date,
            registered_on: d("2026-02-10"),
            days_desc: &days,
            makeups_used_this_month: 0,
            balance: rules.makeup_cost_points,
        };
        assert_eq!(plan_makeup(&request, &rules), Ok(rules.makeup_cost_points));
    }
    // On the 1st there is no past day of the month.
    assert!(makeup_dates(d("2026-04-01"), d("2026-01-01"), &[], 0, &rules).is_empty());
}
