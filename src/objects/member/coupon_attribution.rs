//! The attribution a claimed coupon arrived with (issue 13), kept with the coupon and
//! forwarded in `coupon.claimed`. Its own table, created only when a claim carries one.

use crate::domain::attribution::Attribution;
use crate::http::error::ApiError;
use crate::objects::schema::Module;
use crate::objects::seam::Sql;

pub const MODULE: Module = Module {
    name: "coupon_attribution",
    migrations: &[&[
        "CREATE TABLE IF NOT EXISTS coupon_attribution (coupon_id TEXT PRIMARY KEY, body TEXT NOT NULL)",
    ]],
    baseline: &[],
};

pub fn keep(sql: &impl Sql, coupon_id: &str, attribution: &Attribution) -> Result<(), ApiError> {
    let body = serde_json::to_string(attribution).map_err(|_| ApiError::Internal)?;
    sql.run(
        "INSERT OR IGNORE INTO coupon_attribution (coupon_id, body) VALUES (?, ?)",
        vec![coupon_id.into(), body.into()],
    )?;
    Ok(())
}

/// The attribution kept for `coupon_id`, if any.
pub fn kept(sql: &impl Sql, coupon_id: &str) -> Result<Option<Attribution>, ApiError> {
    let row: Option<(String,)> = sql.row(
        "SELECT body FROM coupon_attribution WHERE coupon_id = ?",
        vec![coupon_id.into()],
    )?;
    row.map(|(body,)| serde_json::from_str(&body).map_err(|_| ApiError::Internal))
        .transpose()
}
