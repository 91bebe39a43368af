//! Durable Objects: thin owners of state. Each loads its rows, asks the domain, persists the
//! result and its outbox rows in one synchronous SQLite transaction, then returns.
//!
//! The transactions are written against the SQL seam (`seam`), so they build and run natively
//! under `cargo test` against real SQLite; the objects themselves (runtime glue: fetch,
//! alarms, calls between objects) exist on wasm32 only. Natively, an object module that is
//! not yet on the seam contributes only its protocol (the commands others send it).

pub mod campaign;
pub mod member;
pub mod order;
pub mod protocol;
pub mod schema;
pub mod seam;
pub mod store;

#[cfg(target_arch = "wasm32")]
pub mod catalog;
#[cfg(target_arch = "wasm32")]
pub mod dead_letters;
#[cfg(target_arch = "wasm32")]
pub mod outbox;
#[cfg(target_arch = "wasm32")]
pub mod referral_registry;
#[cfg(target_arch = "wasm32")]
pub mod rpc;
#[cfg(target_arch = "wasm32")]
pub mod sql;

#[cfg(not(target_arch = "wasm32"))]
pub mod outbox {
    pub mod queue;
    pub use queue::{enqueue, enqueue_command, enqueue_event, Destination, MODULE};
}
