//! The order object's tables and the SQL that reads and writes them.

use crate::domain::order::{Fulfilment, OrderStatus};
use crate::domain::order_lines::OrderLine;
use crate::http::error::ApiError;
use crate::objects::schema::Module;
use crate::objects::sql::internal;
use serde::Deserialize;
use worker::{SqlStorage, SqlStorageValue};

/// The order, its applied core events and its pickup verifications.
pub const MODULE: Module = Module {
    name: "order",
    migrations: &[&[
    // One row: this object is one order. Columns are null until known (an order the core
    // reports without it having been placed here has no totals).
    "CREATE TABLE IF NOT EXISTS order_row (
        k INTEGER PRIMARY KEY CHECK (k = 1),
        order_id TEXT NOT NULL,
        member_id TEXT,
        store_id TEXT,
        fulfilment TEXT,
        lines TEXT NOT NULL DEFAULT '[]',
        coupon_id TEXT,
        prescription_id TEXT,
        subtotal_fen INTEGER,
        discount_fen INTEGER,
        payable_fen INTEGER,
        status TEXT NOT NULL,
        body_hash TEXT,
        response TEXT,
        placed_ms INTEGER,
        updated_ms INTEGER NOT NULL,
        reason TEXT,
        ready_ms INTEGER,
        deadline_ms INTEGER,
        verified_ms INTEGER,
        verified_by TEXT
    )",
    "CREATE TABLE IF NOT EXISTS seen_events (id TEXT PRIMARY KEY, received_ms INTEGER NOT NULL)",
    // Every code presented at a counter, for the audit trail and the per-order throttle.
    "CREATE TABLE IF NOT EXISTS verifications (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at_ms INTEGER NOT NULL,
        staff_id TEXT NOT NULL,
        store_id TEXT NOT NULL,
        method TEXT NOT NULL,
        outcome TEXT NOT NULL
    )",
    ]],
};

/// Placement states before an order is `accepted`.
pub const PLACING: &str = "placing";
pub const ABANDONED: &str = "abandoned";
/// A placement refused for good: its refusal is the key's answer (`response`).
pub const REFUSED: &str = "refused";

#[derive(Debug, Clone, Deserialize)]
pub struct OrderRow {
    pub order_id: String,
    pub member_id: Option<String>,
    pub store_id: Option<String>,
    pub fulfilment: Option<String>,
    pub lines: String,
    pub coupon_id: Option<String>,
    #[serde(default)]
    pub prescription_id: Option<String>,
    pub subtotal_fen: Option<i64>,
    pub discount_fen: Option<i64>,
    pub payable_fen: Option<i64>,
    pub status: String,
    pub body_hash: Option<String>,
    pub response: Option<String>,
    pub placed_ms: Option<i64>,
    pub updated_ms: i64,
    pub reason: Option<String>,
    pub ready_ms: Option<i64>,
    pub deadline_ms: Option<i64>,
    pub verified_ms: Option<i64>,
    pub verified_by: Option<String>,
}

impl OrderRow {
    /// The status, when the order is past placement.
    pub fn order_status(&self) -> Option<OrderStatus> {
        OrderStatus::parse(&self.status)
    }

    pub fn lines(&self) -> Vec<OrderLine> {
        serde_json::from_str(&self.lines).unwrap_or_default()
    }

    pub fn fulfilment(&self) -> Option<Fulfilment> {
        self.fulfilment
            .as_deref()
            .and_then(|raw| serde_json::from_value(serde_json::Value::String(raw.into())).ok())
    }
}

pub struct Repo {
    pub sql: SqlStorage,
}

impl Repo {
    pub fn exec(
        &self,
        context: &str,
        query: &str,
        bindings: Vec<SqlStorageValue>,
    ) -> Result<(), ApiError> {
        self.sql.exec(query, bindings).map_err(internal(context))?;
        Ok(())
    }

    pub fn load(&self) -> Result<Option<OrderRow>, ApiError> {
        let rows: Vec<OrderRow> = self
            .sql
            .exec("SELECT * FROM order_row WHERE k = 1", None)
            .and_then(|cursor| cursor.to_array())
            .map_err(internal("order load"))?;
        Ok(rows.into_iter().next())
    }

    /// Records an event id; false when it was seen before.
    pub fn first_sight(&self, event_id: &str, now_ms: i64) -> Result<bool, ApiError> {
        let written = self
            .sql
            .exec(
                "INSERT OR IGNORE INTO seen_events (id, received_ms) VALUES (?, ?)",
                vec![event_id.into(), now_ms.into()],
            )
            .map_err(internal("seen events"))?
            .rows_written();
        Ok(written > 0)
    }

    pub fn set_status(
        &self,
        status: &str,
        reason: Option<&str>,
        now_ms: i64,
    ) -> Result<(), ApiError> {
        self.exec(
            "order status",
            "UPDATE order_row SET status = ?, reason = COALESCE(?, reason), updated_ms = ? WHERE k = 1",
            vec![status.into(), reason.into(), now_ms.into()],
        )
    }

    pub fn record_verification(
        &self,
        at_ms: i64,
        staff_id: &str,
        store_id: &str,
        method: &str,
        outcome: &str,
    ) -> Result<(), ApiError> {
        self.exec(
            "verification record",
            "INSERT INTO verifications (at_ms, staff_id, store_id, method, outcome) VALUES (?, ?, ?, ?, ?)",
            vec![at_ms.into(), staff_id.into(), store_id.into(), method.into(), outcome.into()],
        )
    }

    /// Times of wrong short codes typed for this order since `since_ms`.
    pub fn short_code_failures(&self, since_ms: i64) -> Result<Vec<i64>, ApiError> {
        #[derive(Deserialize)]
        struct At {
            at_ms: i64,
        }
        let rows: Vec<At> = self
            .sql
            .exec(
                "SELECT at_ms FROM verifications WHERE method = 'short' AND outcome = 'invalid_code' AND at_ms > ?",
                vec![since_ms.into()],
            )
            .and_then(|cursor| cursor.to_array())
            .map_err(internal("verification failures"))?;
        Ok(rows.into_iter().map(|row| row.at_ms).collect())
    }

    pub fn has_pending_delivery(&self, key: &str) -> Result<bool, ApiError> {
        #[derive(Deserialize)]
        struct Count {
            n: i64,
        }
        let rows: Vec<Count> = self
            .sql
            .exec(
                "SELECT COUNT(*) AS n FROM outbox WHERE key = ? AND state = 'pending'",
                vec![key.into()],
            )
            .and_then(|cursor| cursor.to_array())
            .map_err(internal("outbox lookup"))?;
        Ok(rows.first().is_some_and(|row| row.n > 0))
    }
}
