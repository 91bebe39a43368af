//! The order object's tables, its row as typed values, and the SQL that reads and writes them.

use crate::domain::order::Fulfilment;
use crate::domain::order_lines::{needs_pharmacist, OrderLine};
use crate::domain::placement::OrderState;
use crate::objects::schema::Module;
use crate::objects::seam::{FromRow, FromValue, Row, Sql, SqlError, Value};

// The tables of an order, each module created when first needed (`super::needs`): a
// placement creates the row and the outbox only; core events add `seen_events`, a counter
// `verifications`. They were first published as one module, "order" (all three tables in
// its migration 1); objects that hold it hold every table, and adopt these modules on their
// next command at no cost (each migration 1 here is `IF NOT EXISTS`).

/// The module the tables were first published under; only ever looked up, never planned.
pub const LEGACY: Module = Module {
    name: "order",
    migrations: &[],
    baseline: &[],
};

/// The order's row.
pub const MODULE: Module = Module {
    name: "order_row",
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
    ]],
    baseline: &[],
};

/// The core events applied to this order, each once.
pub const EVENTS: Module = Module {
    name: "order_events",
    migrations: &[&[
        "CREATE TABLE IF NOT EXISTS seen_events (id TEXT PRIMARY KEY, received_ms INTEGER NOT NULL)",
    ]],
    baseline: &[],
};

/// Every code presented at a counter, for the audit trail and the per-order throttle.
pub const PICKUPS: Module = Module {
    name: "order_pickups",
    migrations: &[&["CREATE TABLE IF NOT EXISTS verifications (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at_ms INTEGER NOT NULL,
        staff_id TEXT NOT NULL,
        store_id TEXT NOT NULL,
        method TEXT NOT NULL,
        outcome TEXT NOT NULL
    )"]],
    baseline: &[],
};

/// The order's row, its columns in the order [`OrderRow::from_row`] reads them.
const LOAD: &str = "SELECT order_id, member_id, store_id, fulfilment, lines, coupon_id, \
    prescription_id, subtotal_fen, discount_fen, payable_fen, status, body_hash, response, \
    placed_ms, updated_ms, reason, ready_ms, deadline_ms, verified_ms, verified_by \
    FROM order_row WHERE k = 1";

#[derive(Debug, Clone)]
pub struct OrderRow {
    pub order_id: String,
    pub member_id: Option<String>,
    pub store_id: Option<String>,
    pub fulfilment: Option<Fulfilment>,
    pub lines: String,
    pub coupon_id: Option<String>,
    pub prescription_id: Option<String>,
    pub subtotal_fen: Option<i64>,
    pub discount_fen: Option<i64>,
    pub payable_fen: Option<i64>,
    pub state: OrderState,
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

impl FromRow for OrderRow {
    fn from_row(mut row: Row) -> Result<Self, SqlError> {
        Ok(OrderRow {
            order_id: row.get(0)?,
            member_id: row.get(1)?,
            store_id: row.get(2)?,
            fulfilment: row.get(3)?,
            lines: row.get(4)?,
            coupon_id: row.get(5)?,
            prescription_id: row.get(6)?,
            subtotal_fen: row.get(7)?,
            discount_fen: row.get(8)?,
            payable_fen: row.get(9)?,
            state: row.get(10)?,
            body_hash: row.get(11)?,
            response: row.get(12)?,
            placed_ms: row.get(13)?,
            updated_ms: row.get(14)?,
            reason: row.get(15)?,
            ready_ms: row.get(16)?,
            deadline_ms: row.get(17)?,
            verified_ms: row.get(18)?,
            verified_by: row.get(19)?,
        })
    }
}

/// The one mapping of a state to and from its stored name.
impl FromValue for OrderState {
    fn from_value(value: Value) -> Result<Self, Value> {
        let name = String::from_value(value)?;
        OrderState::parse(&name).ok_or(Value::Text(name))
    }
}

impl From<OrderState> for Value {
    fn from(state: OrderState) -> Self {
        Value::from(state.as_str())
    }
}

crate::stored_names!(Fulfilment { Pickup => "pickup", Delivery => "delivery" });

impl OrderRow {
    pub fn lines(&self) -> Vec<OrderLine> {
        serde_json::from_str(&self.lines).unwrap_or_default()
    }

    /// Whether the goods need a pharmacist at the counter (`order_lines::needs_pharmacist`).
    pub fn is_rx(&self, lines: &[OrderLine]) -> bool {
        needs_pharmacist(self.prescription_id.is_some(), lines)
    }
}

/// The order's statements, over any database the seam names.
pub struct Repo<'a, S: ?Sized> {
    pub sql: &'a S,
}

impl<'a, S: Sql + ?Sized> Repo<'a, S> {
    pub fn new(sql: &'a S) -> Self {
        Repo { sql }
    }

    pub fn load(&self) -> Result<Option<OrderRow>, SqlError> {
        self.sql.row(LOAD, Vec::new())
    }

    /// Records an event id; false when it was seen before.
    pub fn first_sight(&self, event_id: &str, now_ms: i64) -> Result<bool, SqlError> {
        let written = self.sql.run(
            "INSERT OR IGNORE INTO seen_events (id, received_ms) VALUES (?, ?)",
            vec![event_id.into(), now_ms.into()],
        )?;
        Ok(written > 0)
    }

    pub fn set_state(
        &self,
        state: OrderState,
        reason: Option<&str>,
        now_ms: i64,
    ) -> Result<(), SqlError> {
        self.sql.run(
            "UPDATE order_row SET status = ?, reason = COALESCE(?, reason), updated_ms = ? WHERE k = 1",
            vec![state.into(), reason.into(), now_ms.into()],
        )?;
        Ok(())
    }

    pub fn record_verification(
        &self,
        at_ms: i64,
        staff_id: &str,
        store_id: &str,
        method: &str,
        outcome: &str,
    ) -> Result<(), SqlError> {
        self.sql.run(
            "INSERT INTO verifications (at_ms, staff_id, store_id, method, outcome) VALUES (?, ?, ?, ?, ?)",
            vec![at_ms.into(), staff_id.into(), store_id.into(), method.into(), outcome.into()],
        )?;
        Ok(())
    }

    /// Times of wrong short codes typed for this order at its own store (`store_id`) since
    /// `since_ms`. Another store's counter can never hand the goods over, so its guesses
    /// (throttled by its own store's gate) must not spend the budget of the store that can.
    pub fn short_code_failures(&self, store_id: &str, since_ms: i64) -> Result<Vec<i64>, SqlError> {
        let rows: Vec<(i64,)> = self.sql.rows(
            "SELECT at_ms FROM verifications WHERE method = 'short' AND outcome = 'invalid_code' AND store_id = ? AND at_ms > ?",
            vec![store_id.into(), since_ms.into()],
        )?;
        Ok(rows.into_iter().map(|(at_ms,)| at_ms).collect())
    }

    pub fn has_pending_delivery(&self, key: &str) -> Result<bool, SqlError> {
        let count: Option<(i64,)> = self.sql.row(
            "SELECT COUNT(*) FROM outbox WHERE key = ? AND state = 'pending'",
            vec![key.into()],
        )?;
        Ok(count.is_some_and(|(n,)| n > 0))
    }
}
