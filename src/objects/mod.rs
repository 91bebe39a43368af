//! Durable Objects: thin owners of state. Each loads its rows, asks the domain, persists the
//! result and its outbox rows in one synchronous SQLite transaction, then returns.

pub mod campaign;
pub mod catalog;
pub mod dead_letters;
pub mod member;
pub mod order;
pub mod outbox;
pub mod referral_registry;
pub mod rpc;
pub mod schema;
pub mod sql;
pub mod store;
