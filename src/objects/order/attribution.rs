//! The attribution an order arrived with (issue 13): kept with the order and forwarded in the
//! core's `/orders` body, so the core can count conversion by channel, store and bucket.
//! Its own table, created only for orders that carry one (most orders need nothing more).

use crate::domain::attribution::Attribution;
use crate::http::error::ApiError;
use crate::objects::schema::Module;
use crate::objects::seam::Sql;

pub const MODULE: Module = Module {
    name: "order_attribution",
    migrations: &[&[
        "CREATE TABLE IF NOT EXISTS order_attribution (k INTEGER PRIMARY KEY CHECK (k = 1), body TEXT NOT NULL)",
    ]],
    baseline: &[],
};

/// Keeps the order's attribution (the first one stays: a replayed placement is the same).
pub fn keep(sql: &(impl Sql + ?Sized), attribution: &Attribution) -> Result<(), ApiError> {
    let body = serde_json::to_string(attribution).map_err(|_| ApiError::Internal)?;
    sql.run(
        "INSERT OR IGNORE INTO order_attribution (k, body) VALUES (1, ?)",
        vec![body.into()],
    )?;
    Ok(())
}

/// The attribution kept, if the order has one (its table exists only then).
pub fn kept(sql: &impl Sql) -> Result<Option<Attribution>, ApiError> {
    let row: Option<(String,)> =
        sql.row("SELECT body FROM order_attribution WHERE k = 1", vec![])?;
    row.map(|(body,)| serde_json::from_str(&body).map_err(|_| ApiError::Internal))
        .transpose()
}
