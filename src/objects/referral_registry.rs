//! The referral registries: which member owns a share code, which member a device first
//! registered, and the program's tallies (bindings, refusals by reason, rewards). One class,
//! instances named by what they hold: `code-<first character>`, `device-<first hex digit>`,
//! and `stats`. Each command is one transaction, so a code or a device has exactly one
//! owner whatever the interleaving; tallies count each fact once by its id.

use super::rpc;
use super::schema::{Module, Tables};
use super::sql::internal;
use crate::config::REFERRALS_OBJECT;
use crate::http::error::ApiError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use worker::{durable_object, DurableObject, Env, Request, Response, SqlStorage, State};

/// Codes, devices, facts and tallies.
const MODULE: Module = Module {
    name: "registry",
    migrations: &[&[
    "CREATE TABLE IF NOT EXISTS codes (code TEXT PRIMARY KEY, member_id TEXT NOT NULL, created_ms INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS devices (device TEXT PRIMARY KEY, member_id TEXT NOT NULL, first_ms INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS facts (id TEXT PRIMARY KEY, label TEXT NOT NULL, at_ms INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS tallies (label TEXT PRIMARY KEY, count INTEGER NOT NULL)",
]],
};

/// Facts are remembered this long to drop repeated deliveries; tallies are kept forever.
const FACT_MEMORY_MS: i64 = 30 * 86_400_000;
/// The instance that keeps the tallies.
pub const STATS_NAME: &str = "stats";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum RegistryCommand {
    /// Gives `code` to `member_id` unless someone has it; answers the owner.
    ClaimCode {
        code: String,
        member_id: String,
        now_ms: i64,
    },
    LookupCode {
        code: String,
    },
    /// Records the first member a device registered; answers that member.
    ClaimDevice {
        device: String,
        member_id: String,
        now_ms: i64,
    },
    /// Counts `label` once for `fact_id` (sent through outboxes, so it may come twice).
    Record {
        fact_id: String,
        label: String,
        now_ms: i64,
    },
    Stats,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Owner {
    pub owner: Option<String>,
}

/// What marketing sees.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ReferralStats {
    pub bound: i64,
    /// Refused bindings by reason.
    pub refused: BTreeMap<String, i64>,
    /// Rewards granted by stage (`bound`, `verified`, `first_order`).
    pub rewards: BTreeMap<String, i64>,
    /// Rewards taken back by stage.
    pub clawbacks: BTreeMap<String, i64>,
}

/// Tally labels: `bound`, `refused.<reason>`, `reward.<stage>`, `clawback.<stage>`.
pub fn label(kind: &str, detail: Option<&str>) -> String {
    match detail {
        Some(detail) => format!("{kind}.{detail}"),
        None => kind.to_owned(),
    }
}

#[derive(Deserialize)]
struct OwnerRow {
    member_id: String,
}

#[derive(Deserialize)]
struct TallyRow {
    label: String,
    count: i64,
}

fn owner(sql: &SqlStorage, query: &str, key: &str) -> Result<Option<String>, ApiError> {
    let rows: Vec<OwnerRow> = sql
        .exec(query, vec![key.into()])
        .and_then(|cursor| cursor.to_array())
        .map_err(internal("registry owner"))?;
    Ok(rows.into_iter().next().map(|row| row.member_id))
}

fn exec(
    sql: &SqlStorage,
    query: &str,
    bindings: Vec<worker::SqlStorageValue>,
) -> Result<usize, ApiError> {
    sql.exec(query, bindings)
        .map(|cursor| {
            let _ = cursor.raw().count();
            cursor.rows_written()
        })
        .map_err(internal("registry write"))
}

/// First come, first owner: inserts `key` for `member_id` unless taken, answers the owner.
fn claim(
    sql: &SqlStorage,
    insert: &str,
    select: &str,
    key: &str,
    member_id: &str,
    now_ms: i64,
) -> Result<serde_json::Value, ApiError> {
    exec(
        sql,
        insert,
        vec![key.into(), member_id.into(), now_ms.into()],
    )?;
    rpc::to_json(Ok(Owner {
        owner: owner(sql, select, key)?,
    }))
}

fn run(sql: &SqlStorage, command: RegistryCommand) -> Result<serde_json::Value, ApiError> {
    match command {
        RegistryCommand::ClaimCode {
            code,
            member_id,
            now_ms,
        } => claim(
            sql,
            "INSERT OR IGNORE INTO codes (code, member_id, created_ms) VALUES (?, ?, ?)",
            "SELECT member_id FROM codes WHERE code = ?",
            &code,
            &member_id,
            now_ms,
        ),
        RegistryCommand::LookupCode { code } => {
            let owner = owner(sql, "SELECT member_id FROM codes WHERE code = ?", &code)?;
            rpc::to_json(Ok(Owner { owner }))
        }
        RegistryCommand::ClaimDevice {
            device,
            member_id,
            now_ms,
        } => claim(
            sql,
            "INSERT OR IGNORE INTO devices (device, member_id, first_ms) VALUES (?, ?, ?)",
            "SELECT member_id FROM devices WHERE device = ?",
            &device,
            &member_id,
            now_ms,
        ),
        RegistryCommand::Record {
            fact_id,
            label,
            now_ms,
        } => {
            exec(
                sql,
                "DELETE FROM facts WHERE at_ms < ?",
                vec![(now_ms - FACT_MEMORY_MS).into()],
            )?;
            let new = exec(
                sql,
                "INSERT OR IGNORE INTO facts (id, label, at_ms) VALUES (?, ?, ?)",
                vec![fact_id.into(), label.as_str().into(), now_ms.into()],
            )? > 0;
            if new {
                exec(
                    sql,
                    "INSERT INTO tallies (label, count) VALUES (?, 1) ON CONFLICT (label) DO UPDATE SET count = count + 1",
                    vec![label.into()],
                )?;
            }
            Ok(serde_json::Value::Null)
        }
        RegistryCommand::Stats => {
            let rows: Vec<TallyRow> = sql
                .exec("SELECT label, count FROM tallies", None)
                .and_then(|cursor| cursor.to_array())
                .map_err(internal("registry tallies"))?;
            let mut stats = ReferralStats::default();
            for row in rows {
                match row.label.split_once('.') {
                    Some(("refused", reason)) => {
                        stats.refused.insert(reason.to_owned(), row.count);
                    }
                    Some(("reward", stage)) => {
                        stats.rewards.insert(stage.to_owned(), row.count);
                    }
                    Some(("clawback", stage)) => {
                        stats.clawbacks.insert(stage.to_owned(), row.count);
                    }
                    _ if row.label == "bound" => stats.bound = row.count,
                    _ => {}
                }
            }
            rpc::to_json(Ok(stats))
        }
    }
}

/// The instance that holds `code`.
pub fn code_shard(code: &str) -> String {
    format!("code-{}", code.get(..1).unwrap_or("0"))
}

/// The instance that holds `device` (a hex hash).
pub fn device_shard(device: &str) -> String {
    format!("device-{}", device.get(..1).unwrap_or("0"))
}

async fn call<R: serde::de::DeserializeOwned>(
    env: &Env,
    name: &str,
    command: &RegistryCommand,
) -> Result<R, ApiError> {
    rpc::call_object(env, REFERRALS_OBJECT, name, command).await
}

async fn owner_at(
    env: &Env,
    name: &str,
    command: &RegistryCommand,
) -> Result<Option<String>, ApiError> {
    let reply: Owner = call(env, name, command).await?;
    Ok(reply.owner)
}

pub async fn claim_code(
    env: &Env,
    code: &str,
    member_id: &str,
    now_ms: i64,
) -> Result<Option<String>, ApiError> {
    let command = RegistryCommand::ClaimCode {
        code: code.to_owned(),
        member_id: member_id.to_owned(),
        now_ms,
    };
    owner_at(env, &code_shard(code), &command).await
}

pub async fn lookup_code(env: &Env, code: &str) -> Result<Option<String>, ApiError> {
    let command = RegistryCommand::LookupCode {
        code: code.to_owned(),
    };
    owner_at(env, &code_shard(code), &command).await
}

pub async fn claim_device(
    env: &Env,
    device: &str,
    member_id: &str,
    now_ms: i64,
) -> Result<Option<String>, ApiError> {
    let command = RegistryCommand::ClaimDevice {
        device: device.to_owned(),
        member_id: member_id.to_owned(),
        now_ms,
    };
    owner_at(env, &device_shard(device), &command).await
}

pub async fn stats(env: &Env) -> Result<ReferralStats, ApiError> {
    call(env, STATS_NAME, &RegistryCommand::Stats).await
}

#[durable_object]
pub struct ReferralRegistryObject {
    state: State,
    tables: Tables,
}

impl DurableObject for ReferralRegistryObject {
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
