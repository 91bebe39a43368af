//! The transactional outbox every object uses: rows are written in the same transaction as
//! the state change they report, then drained by the object's alarm with exponential backoff.
//!
//! A row goes either to the core system (`/orders`, `/events`, signed) or to another Durable
//! Object (a command that must follow a change here, such as giving a coupon back when an
//! order is cancelled). A delivery refused for good, or out of attempts, stays here as
//! `dead` and is reported to the dead-letter registry, from where an operator replays it.
//!
//! The policy is `domain::delivery` (pure); `queue` and `drain` are the transactions over the
//! seam (tests/objects_outbox*.rs); `runtime` (wasm32) makes the attempts and keeps the alarm.

pub mod drain;
pub mod queue;
#[cfg(target_arch = "wasm32")]
mod replay;
#[cfg(target_arch = "wasm32")]
mod runtime;

pub use queue::{enqueue, enqueue_command, enqueue_event, queued_count, Destination, MODULE};
#[cfg(target_arch = "wasm32")]
pub use replay::{serve_replay, ReplayCommand, ReplayReply};
#[cfg(target_arch = "wasm32")]
pub use runtime::{
    deliver_after_answer, deliver_due, drain, ensure_alarm, schedule_alarm, write_alarm, Origin,
};

/// Where an object's replay requests arrive (see `serve_replay`).
pub const REPLAY_PATH: &str = "/outbox/replay";
