//! A campaign's stock shard: the only place its units are counted. A claim takes one unit in
//! one synchronous transaction, so the sum issued can never exceed the stock, whatever the
//! interleaving. Taking and releasing are idempotent per claim id: a claim id holds at most
//! one unit, and gives back at most the one it took. Transactions over the SQL seam
//! (tests/objects_campaign_stock.rs); the object is `stock_object.rs`.

use super::protocol::{Released, ShardState, ShardStats, TakeReply};
use crate::domain::campaign::{self, SetStatus, StockRefusal};
use crate::domain::campaign_patch::{accept_share, HeldShare};
use crate::domain::time::from_unix_millis;
use crate::http::error::ApiError;
use crate::objects::schema::Module;
use crate::objects::seam::{FromRow, Row, Sql, SqlError, Transact};

#[cfg(target_arch = "wasm32")]
pub use super::stock_object::StockObject;

/// Migration 2 adds the head's revision, so an older push never overwrites a newer one.
pub const MODULE: Module = Module {
    name: "stock_shard",
    migrations: &[
        &[
            "CREATE TABLE IF NOT EXISTS shard (
                k INTEGER PRIMARY KEY CHECK (k = 1),
                campaign_id TEXT NOT NULL,
                set_status TEXT NOT NULL,
                starts_ms INTEGER NOT NULL,
                ends_ms INTEGER NOT NULL,
                total INTEGER NOT NULL,
                remaining INTEGER NOT NULL CHECK (remaining >= 0)
            )",
            "CREATE TABLE IF NOT EXISTS taken (claim_id TEXT PRIMARY KEY, at_ms INTEGER NOT NULL)",
            "CREATE TABLE IF NOT EXISTS rejected (reason TEXT PRIMARY KEY, n INTEGER NOT NULL)",
        ],
        &["ALTER TABLE shard ADD COLUMN revision INTEGER NOT NULL DEFAULT 0"],
    ],
    baseline: &[],
};

/// The shard's one row.
#[derive(Debug, Clone, Copy)]
struct Shard {
    set_status: SetStatus,
    starts_ms: i64,
    ends_ms: i64,
    held: HeldShare,
}

impl FromRow for Shard {
    fn from_row(mut row: Row) -> Result<Self, SqlError> {
        Ok(Shard {
            set_status: row.get(0)?,
            starts_ms: row.get(1)?,
            ends_ms: row.get(2)?,
            held: HeldShare {
                total: row.get(3)?,
                remaining: row.get(4)?,
                revision: row.get(5)?,
            },
        })
    }
}

fn shard(sql: &impl Sql) -> Result<Option<Shard>, SqlError> {
    sql.row(
        "SELECT set_status, starts_ms, ends_ms, total, remaining, revision FROM shard WHERE k = 1",
        Vec::new(),
    )
}

/// Applies the head's state if it is newer than what the shard holds (`accept_share`
/// decides the total and what remains).
pub fn sync(db: &impl Transact, state: &ShardState) -> Result<ShardStats, ApiError> {
    db.atomically(|| {
        let held = shard(db)?.map(|row| row.held);
        if let Some(next) = accept_share(held, state.revision, state.total) {
            db.run(
                "INSERT INTO shard (k, campaign_id, set_status, starts_ms, ends_ms, total, remaining, revision) VALUES (1, ?, ?, ?, ?, ?, ?, ?)
                 ON CONFLICT (k) DO UPDATE SET set_status = excluded.set_status, starts_ms = excluded.starts_ms,
                   ends_ms = excluded.ends_ms, total = excluded.total, remaining = excluded.remaining,
                   revision = excluded.revision",
                vec![
                    state.campaign_id.as_str().into(),
                    state.set_status.into(),
                    state.starts_at.0.timestamp_millis().into(),
                    state.ends_at.0.timestamp_millis().into(),
                    next.total.into(),
                    next.remaining.into(),
                    next.revision.into(),
                ],
            )?;
        }
        stats(db)
    })
}

/// One unit for `claim_id`: the window and status first, then the stock. A claim id that
/// holds a unit here gets the same answer again, whatever happened since.
pub fn take(db: &impl Transact, claim_id: &str, now_ms: i64) -> Result<TakeReply, ApiError> {
    db.atomically(|| {
        let row = shard(db)?.ok_or(ApiError::Unavailable)?;
        let already: Option<(String,)> = db.row(
            "SELECT claim_id FROM taken WHERE claim_id = ?",
            vec![claim_id.into()],
        )?;
        if already.is_some() {
            return Ok(TakeReply::Taken {
                remaining: row.held.remaining,
            });
        }
        let at = |ms| from_unix_millis(ms).unwrap_or_default();
        let status = campaign::status_at(
            row.set_status,
            at(row.starts_ms),
            at(row.ends_ms),
            at(now_ms),
        );
        if let Err(refusal) = campaign::take_one(status, row.held.remaining) {
            // A sold-out answer may send the claim on to another shard; the member's object
            // counts the claim's final refusal once.
            if refusal != StockRefusal::SoldOut {
                count_rejected(db, refusal.reason())?;
            }
            return Ok(TakeReply::Refused { refusal });
        }
        db.run(
            "UPDATE shard SET remaining = remaining - 1 WHERE k = 1",
            Vec::new(),
        )?;
        db.run(
            "INSERT INTO taken (claim_id, at_ms) VALUES (?, ?)",
            vec![claim_id.into(), now_ms.into()],
        )?;
        Ok(TakeReply::Taken {
            remaining: row.held.remaining - 1,
        })
    })
}

/// Gives back the unit `claim_id` took here, once: the claim ended without a coupon.
pub fn release(db: &impl Transact, claim_id: &str) -> Result<Released, ApiError> {
    db.atomically(|| {
        let removed = db.run(
            "DELETE FROM taken WHERE claim_id = ?",
            vec![claim_id.into()],
        )?;
        if removed > 0 {
            db.run(
                "UPDATE shard SET remaining = remaining + 1 WHERE k = 1",
                Vec::new(),
            )?;
        }
        Ok(Released {
            released: removed > 0,
        })
    })
}

fn count_rejected(sql: &impl Sql, reason: &str) -> Result<(), SqlError> {
    sql.run(
        "INSERT INTO rejected (reason, n) VALUES (?, 1) ON CONFLICT (reason) DO UPDATE SET n = n + 1",
        vec![reason.into()],
    )?;
    Ok(())
}

pub fn stats(sql: &impl Sql) -> Result<ShardStats, ApiError> {
    let Some(row) = shard(sql)? else {
        return Ok(ShardStats::default());
    };
    let rejected: Vec<(String, i64)> = sql.rows("SELECT reason, n FROM rejected", Vec::new())?;
    Ok(ShardStats {
        total: row.held.total,
        remaining: row.held.remaining,
        issued: row.held.total - row.held.remaining,
        rejected: rejected.into_iter().collect(),
    })
}
