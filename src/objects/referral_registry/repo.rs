//! A registry instance's tables and its transactions over the seam.

use super::protocol::{Holdings, Owner, ReferralStats};
use crate::http::error::ApiError;
use crate::objects::schema::Module;
use crate::objects::seam::Sql;

/// Codes, devices, facts and tallies.
pub const MODULE: Module = Module {
    name: "registry",
    migrations: &[&[
    "CREATE TABLE IF NOT EXISTS codes (code TEXT PRIMARY KEY, member_id TEXT NOT NULL, created_ms INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS devices (device TEXT PRIMARY KEY, member_id TEXT NOT NULL, first_ms INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS facts (id TEXT PRIMARY KEY, label TEXT NOT NULL, at_ms INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS tallies (label TEXT PRIMARY KEY, count INTEGER NOT NULL)",
]],
    baseline: &[],
};

/// Facts are remembered this long to drop repeated deliveries; tallies are kept forever.
pub const FACT_MEMORY_MS: i64 = 30 * 86_400_000;

/// What a registry instance holds one owner of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    Code,
    Device,
}

impl Held {
    fn claim(self) -> &'static str {
        match self {
            Held::Code => {
                "INSERT OR IGNORE INTO codes (code, member_id, created_ms) VALUES (?, ?, ?)"
            }
            Held::Device => {
                "INSERT OR IGNORE INTO devices (device, member_id, first_ms) VALUES (?, ?, ?)"
            }
        }
    }

    fn owner(self) -> &'static str {
        match self {
            Held::Code => "SELECT member_id FROM codes WHERE code = ?",
            Held::Device => "SELECT member_id FROM devices WHERE device = ?",
        }
    }
}

/// Who holds `key`, if anyone.
pub fn owner(sql: &impl Sql, held: Held, key: &str) -> Result<Owner, ApiError> {
    let row: Option<(String,)> = sql.row(held.owner(), vec![key.into()])?;
    Ok(Owner {
        owner: row.map(|(member_id,)| member_id),
    })
}

/// First come, first owner: binds `key` to `member_id` unless taken; answers the owner.
pub fn claim(
    sql: &impl Sql,
    held: Held,
    key: &str,
    member_id: &str,
    now_ms: i64,
) -> Result<Owner, ApiError> {
    sql.run(
        held.claim(),
        vec![key.into(), member_id.into(), now_ms.into()],
    )?;
    owner(sql, held, key)
}

/// Counts `label` once for `fact_id`; facts older than `FACT_MEMORY_MS` are forgotten.
pub fn record(sql: &impl Sql, fact_id: &str, label: &str, now_ms: i64) -> Result<(), ApiError> {
    sql.run(
        "DELETE FROM facts WHERE at_ms < ?",
        vec![(now_ms - FACT_MEMORY_MS).into()],
    )?;
    let new = sql.run(
        "INSERT OR IGNORE INTO facts (id, label, at_ms) VALUES (?, ?, ?)",
        vec![fact_id.into(), label.into(), now_ms.into()],
    )? > 0;
    if new {
        sql.run(
            "INSERT INTO tallies (label, count) VALUES (?, 1) ON CONFLICT (label) DO UPDATE SET count = count + 1",
            vec![label.into()],
        )?;
    }
    Ok(())
}

/// The tallies, by kind.
pub fn stats(sql: &impl Sql) -> Result<ReferralStats, ApiError> {
    let rows: Vec<(String, i64)> = sql.rows("SELECT label, count FROM tallies", Vec::new())?;
    let mut stats = ReferralStats::default();
    for (label, count) in rows {
        match label.split_once('.') {
            Some(("refused", reason)) => {
                stats.refused.insert(reason.to_owned(), count);
            }
            Some(("reward", stage)) => {
                stats.rewards.insert(stage.to_owned(), count);
            }
            Some(("clawback", stage)) => {
                stats.clawbacks.insert(stage.to_owned(), count);
            }
            _ if label == "bound" => stats.bound = count,
            _ => {}
        }
    }
    Ok(stats)
}

/// The codes and devices this instance holds for `member_id`.
pub fn holdings(sql: &impl Sql, member_id: &str) -> Result<Holdings, ApiError> {
    let codes: Vec<(String,)> = sql.rows(
        "SELECT code FROM codes WHERE member_id = ? ORDER BY code",
        vec![member_id.into()],
    )?;
    let devices: Vec<(String,)> = sql.rows(
        "SELECT device FROM devices WHERE member_id = ? ORDER BY device",
        vec![member_id.into()],
    )?;
    Ok(Holdings {
        codes: codes.into_iter().map(|(code,)| code).collect(),
        devices: devices.into_iter().map(|(device,)| device).collect(),
    })
}

/// Erasure: drops every code and device of `member_id`; answers what was dropped. A code
/// freed this way is never given to anyone else in practice (codes derive from member ids).
pub fn forget(sql: &impl Sql, member_id: &str) -> Result<Holdings, ApiError> {
    let held = holdings(sql, member_id)?;
    sql.run(
        "DELETE FROM codes WHERE member_id = ?",
        vec![member_id.into()],
    )?;
    sql.run(
        "DELETE FROM devices WHERE member_id = ?",
        vec![member_id.into()],
    )?;
    Ok(held)
}
