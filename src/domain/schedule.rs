//! Recurring campaigns (issue 13): a campaign with a `schedule` is open only during its
//! occurrences, each a business-time window with its own stock and per-member limits.
//!
//! An occurrence is named by the business date it starts on (`2026-11-25`): at most one starts
//! per day, so the date is a stable key for its stock shards, its limits and its stats. It
//! belongs to the campaign when it starts inside `starts_at..ends_at`, and ends at the earlier
//! of its own end and `ends_at`. Occurrences are computed, never stored: the stored fact is
//! the schedule ("derived values are not cached as facts").

use super::time::{date_key, BusinessZone};
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Every {
    Day,
    Week,
    Month,
}

/// As marketing writes it (API.md "Campaign engine additions").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    pub every: Every,
    /// 1 = Monday … 7 = Sunday; weekly schedules only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weekday: Option<u32>,
    /// 1-28 (every month has it); monthly schedules only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day_of_month: Option<u32>,
    /// `HH:MM`, business time.
    pub start_time: String,
    pub duration_minutes: i64,
    pub stock_per_occurrence: i64,
}

/// One occurrence: its key and its window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    /// The business date it starts on, `YYYY-MM-DD`.
    pub key: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// The campaign's own window, which bounds every occurrence.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// The most units one occurrence may hold (the same bound as a campaign's stock).
pub const MAX_STOCK_PER_OCCURRENCE: i64 = 1_000_000;

impl Schedule {
    /// Why the schedule cannot be used, as `field: reason`.
    pub fn validate(&self) -> Result<(), String> {
        match (self.every, self.weekday, self.day_of_month) {
            (Every::Day, None, None) => {}
            (Every::Week, Some(1..=7), None) => {}
            (Every::Month, None, Some(1..=28)) => {}
            (Every::Week, _, _) => {
                return Err(
                    "schedule.weekday: 1 (Monday) to 7 (Sunday), and no day_of_month".into(),
                )
            }
            (Every::Month, _, _) => {
                return Err("schedule.day_of_month: 1 to 28, and no weekday".into())
            }
            (Every::Day, _, _) => {
                return Err(
                    "schedule: a daily schedule takes neither weekday nor day_of_month".into(),
                )
            }
        }
        if self.start_time().is_none() {
            return Err("schedule.start_time: HH:MM, 00:00 to 23:59".into());
        }
        // An occurrence ends before the next can start: the shortest period is a day.
        if !(1..=24 * 60).contains(&self.duration_minutes) {
            return Err("schedule.duration_minutes: from 1 to 1440".into());
        }
        if !(1..=MAX_STOCK_PER_OCCURRENCE).contains(&self.stock_per_occurrence) {
            return Err("schedule.stock_per_occurrence: from 1 to 1000000".into());
        }
        Ok(())
    }

    fn start_time(&self) -> Option<NaiveTime> {
        let (hours, minutes) = self.start_time.split_once(':')?;
        let two_digits = |part: &str| part.len() == 2 && part.bytes().all(|b| b.is_ascii_digit());
        if !two_digits(hours) || !two_digits(minutes) {
            return None;
        }
        NaiveTime::from_hms_opt(hours.parse().ok()?, minutes.parse().ok()?, 0)
    }

    fn falls_on(&self, date: NaiveDate) -> bool {
        match self.every {
            Every::Day => true,
            Every::Week => Some(date.weekday().number_from_monday()) == self.weekday,
            Every::Month => Some(date.day()) == self.day_of_month,
        }
    }

    /// The occurrence starting on business day `date`, if the schedule has one that day and
    /// it starts inside the campaign's window.
    fn on(&self, zone: &BusinessZone, window: &Window, date: NaiveDate) -> Option<Occurrence> {
        if !self.falls_on(date) {
            return None;
        }
        let offset = self.start_time()? - NaiveTime::MIN;
        let starts_at = zone.start_of(date) + offset;
        if starts_at < window.starts_at || starts_at >= window.ends_at {
            return None;
        }
        let ends_at = (starts_at + Duration::minutes(self.duration_minutes)).min(window.ends_at);
        Some(Occurrence {
            key: date_key(date),
            starts_at,
            ends_at,
        })
    }

    /// The occurrence open at `now`, if any.
    pub fn open_at(
        &self,
        zone: &BusinessZone,
        window: &Window,
        now: DateTime<Utc>,
    ) -> Option<Occurrence> {
        let today = zone.date_of(now);
        // At most a day long, so only today's or yesterday's can still be open.
        [today.pred_opt()?, today]
            .into_iter()
            .filter_map(|date| self.on(zone, window, date))
            .find(|occurrence| occurrence.starts_at <= now && now < occurrence.ends_at)
    }

    /// The first occurrence that starts after `now`, if the window has one.
    pub fn next_after(
        &self,
        zone: &BusinessZone,
        window: &Window,
        now: DateTime<Utc>,
    ) -> Option<Occurrence> {
        let first = zone.date_of(now.max(window.starts_at));
        let last = zone.date_of(window.ends_at);
        // A monthly schedule recurs within 31 days; a longer search finds nothing new.
        (0..=62)
            .map_while(|days| first.checked_add_signed(Duration::days(days)))
            .take_while(|date| *date <= last)
            .filter_map(|date| self.on(zone, window, date))
            .find(|occurrence| occurrence.starts_at > now)
    }

    /// What a claim at `now` meets: the open occurrence, or the next one (or none left).
    pub fn at(&self, zone: &BusinessZone, window: &Window, now: DateTime<Utc>) -> Moment {
        match self.open_at(zone, window, now) {
            Some(open) => Moment::Open(open),
            None => match self.next_after(zone, window, now) {
                Some(next) => Moment::Between(next),
                None => Moment::Over,
            },
        }
    }
}

/// Where `now` falls in a schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Moment {
    Open(Occurrence),
    /// Closed now; this one is next.
    Between(Occurrence),
    /// No occurrence is left in the campaign's window.
    Over,
}
