//! The directory's index of points_multiplier campaigns (member day): at `order.paid` the
//! worker asks for the multiplier campaigns whose window holds `paid_at` in one call, instead
//! of looking at every campaign. Marked by the head at each sync (idempotent); the window and
//! the ended flag are the directory's `campaigns` row, kept live by the head.

use super::protocol::MarkMultiplier;
use crate::domain::time::Instant;
use crate::http::error::ApiError;
use crate::objects::seam::Sql;

pub fn mark(sql: &impl Sql, campaign: &MarkMultiplier) -> Result<(), ApiError> {
    sql.run(
        "INSERT OR IGNORE INTO multiplier_campaigns (id) VALUES (?)",
        vec![campaign.id.as_str().into()],
    )?;
    Ok(())
}

/// Multiplier campaigns not ended whose window holds `at`, by id.
pub fn at(sql: &impl Sql, at: Instant) -> Result<Vec<String>, ApiError> {
    let at_ms = at.0.timestamp_millis();
    let ids: Vec<(String,)> = sql.rows(
        "SELECT c.id FROM campaigns c JOIN multiplier_campaigns m ON m.id = c.id
         WHERE c.ended = 0 AND c.starts_ms <= ? AND c.ends_ms > ? ORDER BY c.id LIMIT 100",
        vec![at_ms.into(), at_ms.into()],
    )?;
    Ok(ids.into_iter().map(|(id,)| id).collect())
}
