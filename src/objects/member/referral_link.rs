//! The member's share link: the code the registry gave them, and the taps on it.

use super::repo::Repo;
use crate::domain::rules::Rules;
use crate::domain::time::date_key;
use crate::http::error::ApiError;
use crate::objects::seam::Sql;
use chrono::{DateTime, Duration, Utc};

/// Visitor rows older than this many days are dropped (the daily counts stay).
const VISITOR_DAYS_KEPT: i64 = 2;

pub fn link_code(repo: &Repo<impl Sql>) -> Result<Option<String>, ApiError> {
    let sql = &repo.sql;
    let code = sql.row::<(String,)>("SELECT code FROM referral_link WHERE k = 1", vec![])?;
    Ok(code.map(|(code,)| code))
}

/// Keeps the code the registry gave this member; the first one stays if two raced.
pub fn set_link(repo: &Repo<impl Sql>, code: &str, now: DateTime<Utc>) -> Result<String, ApiError> {
    repo.sql.run(
        "INSERT OR IGNORE INTO referral_link (k, code, created_ms) VALUES (1, ?, ?)",
        vec![code.into(), now.timestamp_millis().into()],
    )?;
    link_code(repo)?.ok_or(ApiError::Internal)
}

/// One tap on the link; `visitor` is the day's keyed hash of IP and user agent. Visitor
/// rows of past days are pruned only at a day's first visitor (the one tap that can start a
/// day's rows), not on every tap: a tap is one insert and one upsert.
pub fn click(
    repo: &Repo<impl Sql>,
    rules: &Rules,
    day: &str,
    visitor: &str,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let sql = &repo.sql;
    let new_visitor = sql.run(
        "INSERT OR IGNORE INTO link_visitors (day, visitor) VALUES (?, ?)",
        vec![day.into(), visitor.into()],
    )? > 0;
    let visitors_today = sql.row::<(i64,)>(
        "INSERT INTO link_days (day, clicks, visitors) VALUES (?, 1, ?)
         ON CONFLICT (day) DO UPDATE SET clicks = clicks + 1, visitors = visitors + excluded.visitors
         RETURNING visitors",
        vec![day.into(), new_visitor.into()],
    )?;
    if starts_a_day(new_visitor, visitors_today.map(|(visitors,)| visitors)) {
        let oldest_kept = rules.zone.date_of(now) - Duration::days(VISITOR_DAYS_KEPT);
        sql.run(
            "DELETE FROM link_visitors WHERE day < ?",
            vec![date_key(oldest_kept).into()],
        )?;
    }
    Ok(())
}

/// Whether this tap wrote the day's first visitor row (so older days' rows can go now).
fn starts_a_day(new_visitor: bool, visitors_today: Option<i64>) -> bool {
    new_visitor && visitors_today == Some(1)
}
