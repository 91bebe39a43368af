//! The counter's waiting list: orders ready for pickup, oldest first, until their deadline.

use super::repo::WAITING_COLUMNS;
use crate::domain::time::Instant;
use crate::http::error::ApiError;
use crate::objects::order::protocol::WaitingPickup;
use crate::objects::seam::{Sql, Transact};
use serde::{Deserialize, Serialize};

/// At most this many orders are listed (a counter reads the oldest first).
pub const LIST_LIMIT: u32 = 500;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ListReply {
    pub pickups: Vec<WaitingPickup>,
}

/// An order is ready (or its details changed); an order already gone stays gone.
pub fn ready(db: &impl Transact, waiting: &WaitingPickup) -> Result<(), ApiError> {
    let line_count = i64::try_from(waiting.line_count).unwrap_or(i64::MAX);
    db.atomically(|| -> Result<(), ApiError> {
        db.run(
            "INSERT INTO waiting (order_id, state, ready_ms, deadline_ms, line_count, has_rx) \
             VALUES (?, 'ready', ?, ?, ?, ?) \
             ON CONFLICT (order_id) DO UPDATE SET ready_ms = excluded.ready_ms, \
             deadline_ms = excluded.deadline_ms, line_count = excluded.line_count, \
             has_rx = excluded.has_rx WHERE state = 'ready'",
            vec![
                waiting.order_id.as_str().into(),
                waiting.ready_at.0.timestamp_millis().into(),
                waiting.pickup_deadline.0.timestamp_millis().into(),
                line_count.into(),
                waiting.has_rx.into(),
            ],
        )?;
        Ok(())
    })
}

/// An order left the counter (picked up, cancelled, expired): a tombstone, for good.
pub fn gone(db: &impl Transact, order_id: &str) -> Result<(), ApiError> {
    db.atomically(|| -> Result<(), ApiError> {
        db.run(
            "INSERT INTO waiting (order_id, state, ready_ms, deadline_ms, line_count, has_rx) \
             VALUES (?, 'gone', 0, 0, 0, 0) ON CONFLICT (order_id) DO UPDATE SET state = 'gone'",
            vec![order_id.into()],
        )?;
        Ok(())
    })
}

/// The orders waiting now: ready, before their deadline, oldest first.
pub fn list(db: &impl Sql, now: Instant) -> Result<ListReply, ApiError> {
    let pickups = db.rows(
        &format!(
            "SELECT {WAITING_COLUMNS} FROM waiting WHERE state = 'ready' AND deadline_ms > ? \
             ORDER BY ready_ms, order_id LIMIT ?"
        ),
        vec![now.0.timestamp_millis().into(), LIST_LIMIT.into()],
    )?;
    Ok(ListReply { pickups })
}
