//! A campaign's stock shard: the only place its units are counted. A claim takes one unit in
//! one synchronous transaction, so the sum issued can never exceed the stock, whatever the
//! interleaving. Taking is idempotent per claim id.

use super::protocol::{ShardState, ShardStats, StockCommand, TakeReply};
use crate::domain::campaign::{self, SetStatus, StockRefusal};
use crate::domain::time::from_unix_millis;
use crate::http::error::ApiError;
use crate::objects::rpc;
use crate::objects::schema::{Module, Tables};
use crate::objects::sql::internal;
use serde::Deserialize;
use worker::{durable_object, DurableObject, Env, Request, Response, SqlStorage, State};

/// Migration 2 adds the head's revision, so an older push never overwrites a newer one.
const MODULE: Module = Module {
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
};

#[derive(Deserialize)]
struct ShardRow {
    set_status: String,
    starts_ms: i64,
    ends_ms: i64,
    total: i64,
    remaining: i64,
    revision: i64,
}

#[derive(Deserialize)]
struct Count {
    reason: String,
    n: i64,
}

fn shard(sql: &SqlStorage) -> Result<Option<ShardRow>, ApiError> {
    let rows: Vec<ShardRow> = sql
        .exec(
            "SELECT set_status, starts_ms, ends_ms, total, remaining, revision FROM shard WHERE k = 1",
            None,
        )
        .and_then(|cursor| cursor.to_array())
        .map_err(internal("shard"))?;
    Ok(rows.into_iter().next())
}

/// Applies the head's state if it is newer than what the shard holds. The total only grows
/// (a frozen shard count makes every share grow with the stock), and units already issued
/// stay issued: remaining moves by exactly what the total moves.
fn sync(sql: &SqlStorage, state: &ShardState) -> Result<ShardStats, ApiError> {
    let held = shard(sql)?;
    if held
        .as_ref()
        .is_some_and(|row| row.revision >= state.revision)
    {
        return stats(sql);
    }
    let total = held.map_or(state.total, |row| state.total.max(row.total));
    sql.exec(
        "INSERT INTO shard (k, campaign_id, set_status, starts_ms, ends_ms, total, remaining, revision) VALUES (1, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (k) DO UPDATE SET set_status = excluded.set_status, starts_ms = excluded.starts_ms,
           ends_ms = excluded.ends_ms, remaining = remaining + (excluded.total - total), total = excluded.total,
           revision = excluded.revision",
        vec![
            state.campaign_id.as_str().into(),
            state.set_status.as_str().into(),
            state.starts_at.0.timestamp_millis().into(),
            state.ends_at.0.timestamp_millis().into(),
            total.into(),
            total.into(),
            state.revision.into(),
        ],
    )
    .map_err(internal("shard sync"))?;
    stats(sql)
}

fn take(sql: &SqlStorage, claim_id: &str, now_ms: i64) -> Result<TakeReply, ApiError> {
    let row = shard(sql)?.ok_or(ApiError::Unavailable)?;
    let already: Vec<serde_json::Value> = sql
        .exec(
            "SELECT claim_id FROM taken WHERE claim_id = ?",
            vec![claim_id.into()],
        )
        .and_then(|cursor| cursor.to_array())
        .map_err(internal("taken"))?;
    if !already.is_empty() {
        return Ok(TakeReply::Taken {
            remaining: row.remaining,
        });
    }
    let at = |ms| from_unix_millis(ms).unwrap_or_default();
    let status = campaign::status_at(
        SetStatus::from_stored(&row.set_status).unwrap_or(SetStatus::Ended),
        at(row.starts_ms),
        at(row.ends_ms),
        at(now_ms),
    );
    if let Err(refusal) = campaign::take_one(status, row.remaining) {
        if refusal == StockRefusal::SoldOut {
            // A sold-out answer may send the claim on to another shard; the member's object
            // counts the claim's final refusal once.
            return Ok(TakeReply::Refused { refusal });
        }
        sql.exec(
            "INSERT INTO rejected (reason, n) VALUES (?, 1) ON CONFLICT (reason) DO UPDATE SET n = n + 1",
            vec![refusal.reason().into()],
        )
        .map_err(internal("rejected"))?;
        return Ok(TakeReply::Refused { refusal });
    }
    sql.exec(
        "UPDATE shard SET remaining = remaining - 1 WHERE k = 1",
        None,
    )
    .map_err(internal("take"))?;
    sql.exec(
        "INSERT INTO taken (claim_id, at_ms) VALUES (?, ?)",
        vec![claim_id.into(), now_ms.into()],
    )
    .map_err(internal("taken insert"))?;
    Ok(TakeReply::Taken {
        remaining: row.remaining - 1,
    })
}

fn stats(sql: &SqlStorage) -> Result<ShardStats, ApiError> {
    let Some(row) = shard(sql)? else {
        return Ok(ShardStats::default());
    };
    let rejected: Vec<Count> = sql
        .exec("SELECT reason, n FROM rejected", None)
        .and_then(|cursor| cursor.to_array())
        .map_err(internal("rejected"))?;
    Ok(ShardStats {
        total: row.total,
        remaining: row.remaining,
        issued: row.total - row.remaining,
        rejected: rejected
            .into_iter()
            .map(|count| (count.reason, count.n))
            .collect(),
    })
}

fn run(sql: &SqlStorage, command: StockCommand) -> Result<serde_json::Value, ApiError> {
    let value = match command {
        StockCommand::Sync { state } => serde_json::to_value(sync(sql, &state)?),
        StockCommand::Take { claim_id, now } => {
            serde_json::to_value(take(sql, &claim_id, now.0.timestamp_millis())?)
        }
        StockCommand::Stats => serde_json::to_value(stats(sql)?),
    };
    value.map_err(|_| ApiError::Internal)
}

#[durable_object]
pub struct StockObject {
    state: State,
    tables: Tables,
}

impl DurableObject for StockObject {
    fn new(state: State, _env: Env) -> Self {
        Self {
            state,
            tables: Tables::default(),
        }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        if let Err(error) = self.tables.ensure(&self.state.storage(), &[&MODULE]) {
            return rpc::reply::<()>(Err(error));
        }
        rpc::serve_atomically(self.state.storage(), req, run).await
    }
}
