//! Durable Objects: thin owners of state. Each loads its rows, asks the domain, persists the
//! result and its outbox rows in one synchronous SQLite transaction, then returns.
//!
//! The transactions are written against the SQL seam (`seam`), so they build and run natively
//! under `cargo test` against real SQLite; the objects themselves (runtime glue: fetch,
//! alarms, calls between objects) exist on wasm32 only.

pub mod campaign;
pub mod catalog;
pub mod dead_letters;
pub mod member;
pub mod order;
pub mod outbox;
pub mod protocol;
pub mod referral_registry;
pub mod relay;
pub mod schema;
pub mod seam;
pub mod store;

#[cfg(target_arch = "wasm32")]
pub mod rpc;
