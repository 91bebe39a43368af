//! A scheduled campaign as a whole (issue 13): how its `schedule` fits the campaign's own
//! fields, where each occurrence's stock lives, and what a top-up means.
//!
//! `stock` of a scheduled campaign is the stock of EACH occurrence, and must equal
//! `schedule.stock_per_occurrence` (the two numbers saying different things is refused: an
//! operator who wrote 500 and 5000 meant one of them, and we cannot tell which). A top-up
//! (`add_stock`) raises both: the occurrence open now and every later one hold the new stock;
//! occurrences already over keep theirs.

use super::campaign::{CampaignConfig, ConfigRefusal};
use super::campaign_patch::{Mutable, PatchRefusal};
use super::ids::CampaignId;
use super::schedule::{Moment, Occurrence, Schedule, Window, MAX_STOCK_PER_OCCURRENCE};
use super::time::{parse_date, BusinessZone};
use chrono::{DateTime, Utc};

/// The zone-free checks, called from `CampaignConfig::validate`.
pub fn check(config: &CampaignConfig) -> Result<(), ConfigRefusal> {
    let Some(schedule) = &config.schedule else {
        return Ok(());
    };
    schedule.validate().map_err(ConfigRefusal::Invalid)?;
    if config.stock != schedule.stock_per_occurrence {
        return Err(ConfigRefusal::Invalid(format!(
            "stock: a scheduled campaign's stock is the stock of each occurrence and must equal schedule.stock_per_occurrence ({} here, {} there)",
            config.stock, schedule.stock_per_occurrence
        )));
    }
    Ok(())
}

/// The check that needs business time: at least one occurrence starts inside the window.
pub fn check_in_zone(config: &CampaignConfig, zone: &BusinessZone) -> Result<(), ConfigRefusal> {
    let Some(schedule) = &config.schedule else {
        return Ok(());
    };
    let window = window(config);
    let first = schedule
        .open_at(zone, &window, window.starts_at)
        .or_else(|| schedule.next_after(zone, &window, window.starts_at));
    match first {
        Some(_) => Ok(()),
        None => Err(ConfigRefusal::Invalid(
            "schedule: no occurrence starts between starts_at and ends_at".into(),
        )),
    }
}

pub fn window(config: &CampaignConfig) -> Window {
    Window {
        starts_at: config.starts_at.0,
        ends_at: config.ends_at.0,
    }
}

/// Where `now` falls, for a scheduled campaign (`None`: not scheduled).
pub fn moment(config: &CampaignConfig, zone: &BusinessZone, now: DateTime<Utc>) -> Option<Moment> {
    let schedule = config.schedule.as_ref()?;
    Some(schedule.at(zone, &window(config), now))
}

/// The occurrence named `key` (its business start date), if the schedule has one that day
/// inside the campaign's current window.
pub fn occurrence(
    schedule: &Schedule,
    zone: &BusinessZone,
    window: &Window,
    key: &str,
) -> Option<Occurrence> {
    let date = parse_date(key)?;
    let start = zone.start_of(date);
    // The occurrence starting that day is the next one after the day's first instant
    // (or the one opening at its very first instant).
    let before = start - chrono::Duration::milliseconds(1);
    schedule
        .next_after(zone, window, before)
        .filter(|found| found.key == key)
}

/// The name under which one occurrence's claims are counted and its stock shards are named:
/// the campaign id alone when unscheduled, `{campaign}@{key}` for an occurrence.
pub fn scope(campaign: &CampaignId, occurrence: Option<&str>) -> String {
    match occurrence {
        Some(key) => format!("{campaign}@{key}"),
        None => campaign.as_str().to_owned(),
    }
}

/// A stock shard's object name within a scope (`{scope}#{index}`, as `campaign::shard_name`).
pub fn scoped_shard_name(scope: &str, index: u32) -> String {
    format!("{scope}#{index}")
}

/// Keeps a scheduled campaign's per-occurrence stock equal to its stock after a PATCH (a
/// top-up raises both), within the per-occurrence bound.
pub fn after_patch(next: &mut Mutable) -> Result<(), PatchRefusal> {
    let stock = next.config.stock;
    let Some(schedule) = next.config.schedule.as_mut() else {
        return Ok(());
    };
    if stock > MAX_STOCK_PER_OCCURRENCE {
        return Err(PatchRefusal::Invalid(format!(
            "add_stock: an occurrence holds at most {MAX_STOCK_PER_OCCURRENCE} units (now {})",
            schedule.stock_per_occurrence
        )));
    }
    schedule.stock_per_occurrence = stock;
    Ok(())
}

/// The status a member sees: between occurrences a running scheduled campaign is
/// `scheduled` (claims wait for the next), after its last one `ended`.
pub fn status(
    config: &CampaignConfig,
    set: super::campaign::SetStatus,
    zone: &BusinessZone,
    now: DateTime<Utc>,
) -> super::campaign::Status {
    use super::campaign::{status_at, Status};
    let status = status_at(set, config.starts_at.0, config.ends_at.0, now);
    match (status, moment(config, zone, now)) {
        (Status::Active, Some(Moment::Between(_))) => Status::Scheduled,
        (Status::Active, Some(Moment::Over)) => Status::Ended,
        _ => status,
    }
}
