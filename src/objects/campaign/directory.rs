//! The campaign directory: one object that knows which campaigns exist (for the public list)
//! and which Idempotency-Key created which campaign (so a key is never reused for another).
//! Transactions over the SQL seam; the object is `stock_object.rs`.

use super::protocol::{IndexCampaign, ReserveCreateKey};
use crate::domain::time::Instant;
use crate::http::error::ApiError;
use crate::objects::schema::Module;
use crate::objects::seam::{Sql, Transact};

#[cfg(target_arch = "wasm32")]
pub use super::stock_object::DirectoryObject;

pub const MODULE: Module = Module {
    name: "campaign_directory",
    migrations: &[&[
    "CREATE TABLE IF NOT EXISTS campaigns (id TEXT PRIMARY KEY, starts_ms INTEGER NOT NULL, ends_ms INTEGER NOT NULL, ended INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS create_keys (key TEXT PRIMARY KEY, body_hash TEXT NOT NULL, campaign_id TEXT NOT NULL)",
], &[
    // points_multiplier campaigns (`multipliers.rs`).
    "CREATE TABLE IF NOT EXISTS multiplier_campaigns (id TEXT PRIMARY KEY)",
]],
    baseline: &[],
};

pub fn index(sql: &impl Sql, campaign: &IndexCampaign) -> Result<(), ApiError> {
    sql.run(
        "INSERT INTO campaigns (id, starts_ms, ends_ms, ended) VALUES (?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET starts_ms = excluded.starts_ms, ends_ms = excluded.ends_ms, ended = excluded.ended",
        vec![
            campaign.id.as_str().into(),
            campaign.starts_at.0.timestamp_millis().into(),
            campaign.ends_at.0.timestamp_millis().into(),
            campaign.ended.into(),
        ],
    )?;
    Ok(())
}

/// Campaigns running or upcoming at `now`, soonest first.
pub fn listed(sql: &impl Sql, now: Instant) -> Result<Vec<String>, ApiError> {
    let ids: Vec<(String,)> = sql.rows(
        "SELECT id FROM campaigns WHERE ended = 0 AND ends_ms > ? ORDER BY starts_ms, id LIMIT 100",
        vec![now.0.timestamp_millis().into()],
    )?;
    Ok(ids.into_iter().map(|(id,)| id).collect())
}

/// Every campaign, most recently created first (the rowid follows creation order; re-indexing
/// after a patch keeps it).
pub fn all(sql: &impl Sql, limit: u32) -> Result<Vec<String>, ApiError> {
    let ids: Vec<(String,)> = sql.rows(
        "SELECT id FROM campaigns ORDER BY rowid DESC LIMIT ?",
        vec![limit.into()],
    )?;
    Ok(ids.into_iter().map(|(id,)| id).collect())
}

/// Claims an Idempotency-Key for one campaign's creation with one body.
pub fn reserve_key(db: &impl Transact, reserve: &ReserveCreateKey) -> Result<(), ApiError> {
    db.atomically(|| {
        let known: Option<(String, String)> = db.row(
            "SELECT body_hash, campaign_id FROM create_keys WHERE key = ?",
            vec![reserve.key.as_str().into()],
        )?;
        match known {
            Some((body_hash, campaign_id))
                if body_hash == reserve.body_hash
                    && campaign_id == reserve.campaign_id.as_str() =>
            {
                Ok(())
            }
            Some(_) => Err(ApiError::IdempotencyKeyReused),
            None => {
                db.run(
                    "INSERT INTO create_keys (key, body_hash, campaign_id) VALUES (?, ?, ?)",
                    vec![
                        reserve.key.as_str().into(),
                        reserve.body_hash.as_str().into(),
                        reserve.campaign_id.as_str().into(),
                    ],
                )?;
                Ok(())
            }
        }
    })
}
