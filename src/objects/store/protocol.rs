//! Commands a store object takes (from the worker, and from orders' outboxes).

use crate::domain::ids::OrderId;
use crate::domain::time::Instant;
use crate::objects::order::protocol::{Counter, PresentedCode, WaitingPickup};
use serde::{Deserialize, Serialize};

/// Stored in orders' outboxes (`ready`, `gone`): golden in tests/golden_formats.rs. Read
/// through `StoreCommandWire`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", try_from = "StoreCommandWire")]
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

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum StoreOp {
    Ready,
    Gone,
    List,
    Verify,
}

/// `StoreCommand` read as one struct with every command's keys (`objects::protocol::required`):
/// serde's internally tagged decoder would buffer the command first.
#[derive(Deserialize)]
struct StoreCommandWire {
    op: StoreOp,
    #[serde(default)]
    order_id: Option<String>,
    #[serde(default)]
    ready_at: Option<Instant>,
    #[serde(default)]
    pickup_deadline: Option<Instant>,
    #[serde(default)]
    line_count: Option<usize>,
    #[serde(default)]
    has_rx: Option<bool>,
    #[serde(default)]
    now: Option<Instant>,
    #[serde(default)]
    counter: Option<Counter>,
    #[serde(default)]
    code: Option<PresentedCode>,
}

impl TryFrom<StoreCommandWire> for StoreCommand {
    type Error = String;

    fn try_from(wire: StoreCommandWire) -> Result<Self, String> {
        use crate::objects::protocol::required;
        let order_id = required(wire.order_id, "order_id");
        Ok(match wire.op {
            StoreOp::Ready => StoreCommand::Ready(WaitingPickup {
                order_id: order_id?,
                ready_at: required(wire.ready_at, "ready_at")?,
                pickup_deadline: required(wire.pickup_deadline, "pickup_deadline")?,
                line_count: required(wire.line_count, "line_count")?,
                has_rx: required(wire.has_rx, "has_rx")?,
            }),
            StoreOp::Gone => StoreCommand::Gone {
                order_id: order_id?,
            },
            StoreOp::List => StoreCommand::List {
                now: required(wire.now, "now")?,
            },
            StoreOp::Verify => StoreCommand::Verify {
                order_id: OrderId::parse(&order_id?).map_err(|err| format!("order_id: {err}"))?,
                counter: required(wire.counter, "counter")?,
                code: required(wire.code, "code")?,
                now: required(wire.now, "now")?,
            },
        })
    }
}
