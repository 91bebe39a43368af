//! Commands a store object takes (from the worker, and from orders' outboxes).

use crate::domain::ids::OrderId;
use crate::domain::time::Instant;
use crate::objects::order::protocol::{Counter, PresentedCode, WaitingPickup};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum StoreCommand {
    Ready(WaitingPickup),
    Gone {
        order_id: String,
    },
    List {
        now: Instant,
    },
    Verify {
        order_id: OrderId,
        counter: Counter,
        code: PresentedCode,
        now: Instant,
    },
}

impl StoreCommand {
    /// The kind shown for this command in the dead-letter list.
    pub fn kind(&self) -> &'static str {
        match self {
            StoreCommand::Ready(_) => "store.pickup_ready",
            StoreCommand::Gone { .. } => "store.pickup_gone",
            StoreCommand::List { .. } => "store.list",
            StoreCommand::Verify { .. } => "store.verify",
        }
    }
}
