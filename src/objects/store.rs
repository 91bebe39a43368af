//! One Durable Object per store: the list of orders waiting at its counter, and the brute-
//! force throttles on pickup codes (per staff member and per store). Verifications pass
//! through here on their way to the order's object, which alone decides them.

use super::order::client as order_client;
use super::order::protocol::{Counter, OrderCommand, PresentedCode, VerifiedReply, WaitingPickup};
use super::rpc;
use super::schema::{Module, Tables};
use super::sql::{atomically, internal};
use crate::config::Config;
use crate::domain::ids::OrderId;
use crate::domain::pickup;
use crate::domain::time::Instant;
use crate::http::error::ApiError;
use serde::{Deserialize, Serialize};
use std::rc::Rc;
use worker::{durable_object, DurableObject, Env, Request, Response, SqlStorage, State};

pub mod protocol;
pub use protocol::StoreCommand;

/// The counter list and the code throttles.
const MODULE: Module = Module {
    name: "store",
    migrations: &[&[
        // `gone` rows stay as tombstones so that a late `ready` cannot bring an order back.
        "CREATE TABLE IF NOT EXISTS waiting (
        order_id TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        ready_ms INTEGER NOT NULL,
        deadline_ms INTEGER NOT NULL,
        line_count INTEGER NOT NULL,
        has_rx INTEGER NOT NULL
    )",
        "CREATE INDEX IF NOT EXISTS waiting_ready ON waiting (state, ready_ms)",
        "CREATE TABLE IF NOT EXISTS code_failures (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        staff_id TEXT NOT NULL,
        at_ms INTEGER NOT NULL
    )",
    ]],
};

const LIST_LIMIT: i64 = 500;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ListReply {
    pub pickups: Vec<WaitingPickup>,
}

#[derive(Deserialize)]
struct WaitingRow {
    order_id: String,
    ready_ms: i64,
    deadline_ms: i64,
    line_count: i64,
    has_rx: i64,
}

fn ready(sql: &SqlStorage, waiting: &WaitingPickup) -> Result<(), ApiError> {
    sql.exec(
        "INSERT INTO waiting (order_id, state, ready_ms, deadline_ms, line_count, has_rx) VALUES (?, 'ready', ?, ?, ?, ?)
         ON CONFLICT (order_id) DO UPDATE SET ready_ms = excluded.ready_ms, deadline_ms = excluded.deadline_ms,
           line_count = excluded.line_count, has_rx = excluded.has_rx WHERE state = 'ready'",
        vec![
            waiting.order_id.as_str().into(),
            waiting.ready_at.0.timestamp_millis().into(),
            waiting.pickup_deadline.0.timestamp_millis().into(),
            (waiting.line_count as i64).into(),
            i64::from(waiting.has_rx).into(),
        ],
    )
    .map_err(internal("store ready"))?;
    Ok(())
}

fn gone(sql: &SqlStorage, order_id: &str) -> Result<(), ApiError> {
    sql.exec(
        "INSERT INTO waiting (order_id, state, ready_ms, deadline_ms, line_count, has_rx) VALUES (?, 'gone', 0, 0, 0, 0)
         ON CONFLICT (order_id) DO UPDATE SET state = 'gone'",
        vec![order_id.into()],
    )
    .map_err(internal("store gone"))?;
    Ok(())
}

fn list(sql: &SqlStorage, now: Instant) -> Result<ListReply, ApiError> {
    let rows: Vec<WaitingRow> = sql
        .exec(
            "SELECT order_id, ready_ms, deadline_ms, line_count, has_rx FROM waiting WHERE state = 'ready' AND deadline_ms > ? ORDER BY ready_ms, order_id LIMIT ?",
            vec![now.0.timestamp_millis().into(), LIST_LIMIT.into()],
        )
        .and_then(|cursor| cursor.to_array())
        .map_err(internal("store list"))?;
    Ok(ListReply {
        pickups: rows
            .into_iter()
            .map(|row| WaitingPickup {
                order_id: row.order_id,
                ready_at: Instant::from_millis(row.ready_ms),
                pickup_deadline: Instant::from_millis(row.deadline_ms),
                line_count: row.line_count as usize,
                has_rx: row.has_rx != 0,
            })
            .collect(),
    })
}

#[derive(Deserialize)]
struct FailureRow {
    staff_id: String,
    at_ms: i64,
}

/// Refuses with `rate_limited` while this staff member, or the store as a whole, has typed
/// too many wrong codes recently.
fn gate(sql: &SqlStorage, config: &Config, staff_id: &str, now_ms: i64) -> Result<(), ApiError> {
    let rules = &config.rules.pickup;
    let horizon = rules
        .per_staff
        .horizon_ms(now_ms)
        .min(rules.per_store.horizon_ms(now_ms));
    sql.exec(
        "DELETE FROM code_failures WHERE at_ms <= ?",
        vec![horizon.into()],
    )
    .map_err(internal("store failures prune"))?;
    let failures: Vec<FailureRow> = sql
        .exec("SELECT staff_id, at_ms FROM code_failures", None)
        .and_then(|cursor| cursor.to_array())
        .map_err(internal("store failures"))?;
    let all: Vec<i64> = failures.iter().map(|row| row.at_ms).collect();
    let mine: Vec<i64> = failures
        .iter()
        .filter(|row| row.staff_id == staff_id)
        .map(|row| row.at_ms)
        .collect();
    pickup::counter_gate(rules, &mine, &all, now_ms)
        .map_err(|retry_after_s| ApiError::RateLimited { retry_after_s })
}

#[durable_object]
pub struct StoreObject {
    state: State,
    env: Env,
    tables: Tables,
}

impl StoreObject {
    async fn handle(&self, req: Request) -> Result<serde_json::Value, ApiError> {
        let command: StoreCommand = rpc::command(req).await?;
        let storage = self.state.storage();
        let sql = storage.sql();
        match command {
            StoreCommand::Ready(waiting) => atomically(&storage, move || ready(&sql, &waiting))
                .map(|()| serde_json::Value::Null),
            StoreCommand::Gone { order_id } => atomically(&storage, move || gone(&sql, &order_id))
                .map(|()| serde_json::Value::Null),
            StoreCommand::List { now } => list(&sql, now)
                .and_then(|reply| serde_json::to_value(reply).map_err(|_| ApiError::Internal)),
            StoreCommand::Verify {
                order_id,
                counter,
                code,
                now,
            } => self.verify(order_id, counter, code, now).await,
        }
    }

    async fn verify(
        &self,
        order_id: OrderId,
        counter: Counter,
        code: PresentedCode,
        now: Instant,
    ) -> Result<serde_json::Value, ApiError> {
        let config = Config::get(&self.env).map_err(|_| ApiError::Internal)?;
        let storage = self.state.storage();
        let now_ms = now.0.timestamp_millis();
        let staff_id = Rc::new(counter.staff_id.to_string());
        {
            let (sql, config, staff_id) = (storage.sql(), config.clone(), staff_id.clone());
            atomically(&storage, move || gate(&sql, &config, &staff_id, now_ms))?;
        }
        let command = OrderCommand::Verify { counter, code, now };
        let answer: Result<VerifiedReply, ApiError> =
            order_client::call(&self.env, order_id.as_str(), &command).await;
        let sql = storage.sql();
        match &answer {
            // A wrong code is a guess: it counts against the staff member and the store.
            Err(ApiError::InvalidCode) => atomically(&storage, move || {
                sql.exec(
                    "INSERT INTO code_failures (staff_id, at_ms) VALUES (?, ?)",
                    vec![staff_id.as_str().into(), now_ms.into()],
                )
                .map(|_| ())
                .map_err(internal("store failure"))
            })?,
            Ok(verified) => {
                let order_id = verified.order_id.clone();
                atomically(&storage, move || gone(&sql, &order_id))?
            }
            Err(_) => {}
        }
        answer.and_then(|reply| serde_json::to_value(reply).map_err(|_| ApiError::Internal))
    }
}

impl DurableObject for StoreObject {
    fn new(state: State, env: Env) -> Self {
        Self {
            state,
            env,
            tables: Tables::default(),
        }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        if let Err(error) = self.tables.ensure(&self.state.storage(), &[&MODULE]) {
            return rpc::reply::<()>(Err(error));
        }
        rpc::reply(self.handle(req).await)
    }
}
