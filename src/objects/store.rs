//! One Durable Object per store: the list of orders waiting at its counter, and the brute-
//! force throttles on pickup codes (per staff member and per store). Verifications pass
//! through here on their way to the order's object, which alone decides them.
//!
//! `waiting` and `throttle` are transactions over the SQL seam, so they run natively
//! against real SQLite (tests/objects_store.rs); `object` is the runtime glue.

#[cfg(target_arch = "wasm32")]
mod object;
pub mod protocol;
pub mod repo;
pub mod throttle;
pub mod waiting;

#[cfg(target_arch = "wasm32")]
pub use object::StoreObject;
pub use protocol::StoreCommand;
pub use waiting::ListReply;

use crate::objects::schema::Module;

/// A store's tables, created by its first command.
pub const MODULES: &[&Module] = &[&repo::MODULE];
