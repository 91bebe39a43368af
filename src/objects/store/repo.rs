//! The store object's tables and its waiting row as typed values.

use crate::domain::time::Instant;
use crate::objects::order::protocol::WaitingPickup;
use crate::objects::schema::Module;
use crate::objects::seam::{FromRow, Row, SqlError};

/// The counter list and the code throttles.
pub const MODULE: Module = Module {
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
    baseline: &[],
};

/// The columns [`WaitingPickup::from_row`] reads, in its order.
pub const WAITING_COLUMNS: &str = "order_id, ready_ms, deadline_ms, line_count, has_rx";

impl FromRow for WaitingPickup {
    fn from_row(mut row: Row) -> Result<Self, SqlError> {
        Ok(WaitingPickup {
            order_id: row.get(0)?,
            ready_at: Instant::from_millis(row.get(1)?),
            pickup_deadline: Instant::from_millis(row.get(2)?),
            line_count: row.get::<u32>(3)? as usize,
            has_rx: row.get(4)?,
        })
    }
}
