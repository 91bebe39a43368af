//! One Durable Object per order: the only owner of the order's status, its coupon lock (held
//! in the member's wallet, asked for and given back from here), and its pickup: codes,
//! verification exactly once, and the record of who handed it over.
//!
//! Each of `placement`, `refusal`, `events` and `pickup` is a set of transactions over the
//! SQL seam, so they run natively against real SQLite (tests/objects_order.rs); `object`
//! is the runtime glue: it loads nothing itself, calls those, and talks to other objects.

pub mod attribution;
#[cfg(target_arch = "wasm32")]
pub mod client;
pub mod events;
#[cfg(target_arch = "wasm32")]
mod object;
pub mod outbound;
pub mod pickup;
pub mod placement;
pub mod protocol;
pub mod refusal;
pub mod repo;
pub mod retention;

#[cfg(target_arch = "wasm32")]
pub use object::OrderObject;

use crate::domain::rules::PickupRules;
use crate::objects::outbox;
use crate::objects::schema::Module;

/// Every table an order may hold (see `needs`).
pub const MODULES: &[&Module] = &[
    &repo::MODULE,
    &repo::EVENTS,
    &repo::PICKUPS,
    &outbox::MODULE,
];

/// What a placement, a read, the alarm and a replay touch: the row and the outbox.
pub const PLACING: &[&Module] = &[&repo::MODULE, &outbox::MODULE];

/// The tables `command` may touch, created before it runs: a new order object holds two
/// tables, not four (each costs its DDL and the pages it writes at creation).
pub fn needs(command: &protocol::OrderCommand) -> &'static [&'static Module] {
    use protocol::OrderCommand;
    match command {
        OrderCommand::Place(_) | OrderCommand::Get(_) | OrderCommand::PickupCode(_) => PLACING,
        OrderCommand::Event(_) => &[&repo::MODULE, &repo::EVENTS, &outbox::MODULE],
        OrderCommand::Verify(_) => &[&repo::MODULE, &repo::PICKUPS, &outbox::MODULE],
    }
}

/// What the order's transactions need of the configuration.
#[derive(Debug, Clone, Copy)]
pub struct PickupSettings<'a> {
    pub rules: &'a PickupRules,
    /// Signs the QR codes and seeds each order's short codes.
    pub secret: &'a [u8],
}
