//! The dead-letter registry: one object that lists every delivery that gave up, whichever
//! object's outbox it lives in, and replays it there on an operator's request. The rows
//! themselves stay in their own outbox (the owner of the change); this is the index.
//!
//! `repo` holds its transactions over the seam (tests/objects_dead_letters.rs), `protocol`
//! its commands; `object` (wasm32) is the Durable Object and the worker's side of it.

#[cfg(target_arch = "wasm32")]
mod object;
pub mod protocol;
pub mod repo;

#[cfg(target_arch = "wasm32")]
pub use object::{list, record, replay, replays, DeadLetterObject};
pub use protocol::{DeadLetter, ReplayRecord, ReplayRequest};
pub use repo::MODULE;

/// A stable id for a dead row: the same row dying again keeps its id.
pub fn letter_id(origin_id: &str, key: &str) -> String {
    crate::domain::ids::digest_id("dl", &[origin_id, key], 16)
}
