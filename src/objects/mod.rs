//! Durable Objects: thin owners of state. Each loads its rows, asks the domain, persists the
//! result and its outbox rows in one synchronous SQLite transaction, then returns.

pub mod campaign;
pub mod member;
pub mod outbox;
pub mod rpc;
pub mod sql;
