//! Recurring campaign schedules: which occurrence is open, which is next, and their keys.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::Lcg;
use pharmedge::domain::schedule::{Every, Moment, Occurrence, Schedule, Window};
use pharmedge::domain::time::{parse_instant, BusinessZone};

fn at(raw: &str) -> DateTime<Utc> {
    parse_instant(raw).unwrap()
}

fn schedule(
    every: Every,
    weekday: Option<u32>,
    day: Option<u32>,
    start: &str,
    minutes: i64,
) -> Schedule {
    Schedule {
        every,
        weekday,
        day_of_month: day,
        start_time: start.into(),
        duration_minutes: minutes,
        stock_per_occurrence: 500,
    }
}

fn window(from: &str, to: &str) -> Window {
    Window {
        starts_at: at(from),
        ends_at: at(to),
    }
}

#[test]
fn wednesday_at_eight_opens_at_eight_not_a_second_before() {
    let zone = BusinessZone::shanghai();
    // Wednesdays 20:00-22:00 business time (+08:00): 12:00-14:00 UTC.
    let wednesdays = schedule(Every::Week, Some(3), None, "20:00", 120);
    let whole_season = window("2026-11-01T00:00:00Z", "2027-01-01T00:00:00Z");
    let first = Occurrence {
        key: "2026-11-25".into(),
        starts_at: at("2026-11-25T12:00:00Z"),
        ends_at: at("2026-11-25T14:00:00Z"),
    };
    assert_eq!(
        wednesdays.at(&zone, &whole_season, at("2026-11-25T11:59:59Z")),
        Moment::Between(first.clone())
    );
    assert_eq!(
        wednesdays.at(&zone, &whole_season, at("2026-11-25T12:00:00Z")),
        Moment::Open(first.clone())
    );
    assert_eq!(
        wednesdays.at(&zone, &whole_season, at("2026-11-25T13:59:59Z")),
        Moment::Open(first)
    );
    let Moment::Between(next) = wednesdays.at(&zone, &whole_season, at("2026-11-25T14:00:00Z"))
    else {
        panic!("closed after 22:00");
    };
    assert_eq!(
        next.key, "2026-12-02",
        "next Wednesday is its own occurrence"
    );
    assert_eq!(
        wednesdays.at(&zone, &whole_season, at("2026-12-30T14:00:00Z")),
        Moment::Over
    );
}

#[test]
fn an_occurrence_past_midnight_keeps_the_key_of_the_day_it_started() {
    let zone = BusinessZone::shanghai();
    let nightly = schedule(Every::Day, None, None, "23:00", 120);
    let season = window("2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z");
    // 00:30 business time on the 25th is 16:30 UTC on the 24th.
    let Moment::Open(open) = nightly.at(&zone, &season, at("2026-11-24T16:30:00Z")) else {
        panic!("open past midnight");
    };
    assert_eq!(open.key, "2026-11-24");
    assert_eq!(open.ends_at, at("2026-11-24T17:00:00Z"));
}

#[test]
fn the_campaign_window_bounds_occurrences() {
    let zone = BusinessZone::shanghai();
    let member_day = schedule(Every::Month, None, Some(15), "00:00", 1440);
    // Starts mid-occurrence on the 15th: that one is not offered; ends mid-occurrence: clipped.
    let season = window("2026-11-15T02:00:00Z", "2027-01-15T04:00:00Z");
    assert_eq!(
        member_day.open_at(&zone, &season, at("2026-11-15T03:00:00Z")),
        None
    );
    let next = member_day
        .next_after(&zone, &season, at("2026-11-15T03:00:00Z"))
        .unwrap();
    assert_eq!(next.key, "2026-12-15");
    assert_eq!(next.starts_at, at("2026-12-14T16:00:00Z"));
    let last = member_day
        .open_at(&zone, &season, at("2027-01-15T01:00:00Z"))
        .unwrap();
    assert_eq!(last.key, "2027-01-15");
    assert_eq!(
        last.ends_at,
        at("2027-01-15T04:00:00Z"),
        "clipped to ends_at"
    );
    assert_eq!(
        member_day.at(&zone, &season, at("2027-01-15T04:00:00Z")),
        Moment::Over
    );
}

#[test]
fn refuses_schedules_that_cannot_recur() {
    let good = schedule(Every::Week, Some(3), None, "20:00", 120);
    assert_eq!(good.validate(), Ok(()));
    for (bad, field) in [
        (
            schedule(Every::Week, None, None, "20:00", 120),
            "schedule.weekday",
        ),
        (
            schedule(Every::Week, Some(8), None, "20:00", 120),
            "schedule.weekday",
        ),
        (
            schedule(Every::Month, None, Some(29), "20:00", 120),
            "schedule.day_of_month",
        ),
        (
            schedule(Every::Month, Some(1), Some(15), "20:00", 120),
            "schedule.day_of_month",
        ),
        (
            schedule(Every::Day, Some(1), None, "20:00", 120),
            "schedule:",
        ),
        (
            schedule(Every::Day, None, None, "8:00", 120),
            "schedule.start_time",
        ),
        (
            schedule(Every::Day, None, None, "24:00", 120),
            "schedule.start_time",
        ),
        (
            schedule(Every::Day, None, None, "20:0x", 120),
            "schedule.start_time",
        ),
        (
            schedule(Every::Day, None, None, "20:00", 0),
            "schedule.duration_minutes",
        ),
        (
            schedule(Every::Day, None, None, "20:00", 1441),
            "schedule.duration_minutes",
        ),
    ] {
        let err = bad.validate().unwrap_err();
        assert!(err.starts_with(field), "{bad:?}: {err}");
    }
    let mut no_stock = good.clone();
    no_stock.stock_per_occurrence = 0;
    assert!(no_stock
        .validate()
        .unwrap_err()
        .starts_with("schedule.stock_per_occurrence"));
}

/// Every occurrence of `schedule` in `window`, computed independently of the code under test:
/// walk the business days (+08:00) and apply the definition.
fn brute_force(schedule: &Schedule, window: &Window) -> Vec<Occurrence> {
    use chrono::{Datelike, NaiveTime};
    let local = |instant: DateTime<Utc>| (instant + Duration::hours(8)).date_naive();
    let (hours, minutes) = schedule.start_time.split_once(':').unwrap();
    let time =
        NaiveTime::from_hms_opt(hours.parse().unwrap(), minutes.parse().unwrap(), 0).unwrap();
    let mut found = Vec::new();
    let mut date = local(window.starts_at);
    while date <= local(window.ends_at) {
        let matches = match schedule.every {
            Every::Day => true,
            Every::Week => Some(date.weekday().number_from_monday()) == schedule.weekday,
            Every::Month => Some(date.day()) == schedule.day_of_month,
        };
        let starts_at = date.and_time(time).and_utc() - Duration::hours(8);
        if matches && starts_at >= window.starts_at && starts_at < window.ends_at {
            found.push(Occurrence {
                key: date.format("%Y-%m-%d").to_string(),
                starts_at,
                ends_at: (starts_at + Duration::minutes(schedule.duration_minutes))
                    .min(window.ends_at),
            });
        }
        date += Duration::days(1);
    }
    found
}

#[test]
fn randomized_schedules_agree_with_a_minute_by_minute_walk() {
    let zone = BusinessZone::shanghai();
    let mut rng = Lcg::new(20261124);
    for round in 0..60 {
        let every = [Every::Day, Every::Week, Every::Month][rng.below(3) as usize];
        let weekday = (every == Every::Week).then(|| 1 + rng.below(7) as u32);
        let day = (every == Every::Month).then(|| 1 + rng.below(28) as u32);
        let start = format!("{:02}:{:02}", rng.below(24), rng.below(4) * 15);
        let minutes = [1, 30, 120, 600, 1440][rng.below(5) as usize];
        let s = schedule(every, weekday, day, &start, minutes);
        let from = at("2026-11-01T00:00:00Z") + Duration::minutes(rng.below(60 * 24 * 20) as i64);
        let to = from + Duration::minutes(60 * 24 * (1 + rng.below(70) as i64));
        let w = Window {
            starts_at: from,
            ends_at: to,
        };
        // The chain of "next" from before the window is exactly the definition's list.
        let mut chain = Vec::new();
        let mut cursor = from - Duration::seconds(1);
        while let Some(next) = s.next_after(&zone, &w, cursor) {
            cursor = next.starts_at;
            chain.push(next);
            assert!(chain.len() <= 80, "round {round}: runaway");
        }
        assert_eq!(
            chain,
            brute_force(&s, &w),
            "round {round}: {s:?} in {from}..{to}"
        );
        // Walk the window in 15-minute steps (every start is on a quarter hour) and check that
        // what is open and what is next agree with each other and with the definition.
        let mut now = from - Duration::minutes(15);
        let mut expected_next: Option<Occurrence> = s.next_after(&zone, &w, now);
        while now < to + Duration::minutes(15) {
            match s.at(&zone, &w, now) {
                Moment::Open(open) => {
                    assert!(
                        open.starts_at <= now && now < open.ends_at,
                        "round {round}: {open:?} at {now}"
                    );
                    assert!(
                        open.starts_at >= from && open.ends_at <= to,
                        "round {round}: outside the window"
                    );
                    let local_start = open.starts_at + Duration::hours(8);
                    assert_eq!(open.key, local_start.format("%Y-%m-%d").to_string());
                    assert_eq!(
                        local_start.format("%H:%M").to_string(),
                        start,
                        "round {round}"
                    );
                }
                Moment::Between(next) => {
                    assert!(next.starts_at > now, "round {round}");
                    assert_eq!(
                        s.open_at(&zone, &w, next.starts_at).as_ref(),
                        Some(&next),
                        "round {round}"
                    );
                    if let Some(expected) = &expected_next {
                        assert!(
                            next.starts_at >= expected.starts_at,
                            "round {round}: next went back"
                        );
                    }
                    expected_next = Some(next);
                }
                Moment::Over => assert!(s.next_after(&zone, &w, now).is_none(), "round {round}"),
            }
            now += Duration::minutes(15);
        }
    }
}
