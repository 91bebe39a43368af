//! One head object per campaign: the owner of its configuration, operator status, audit trail
//! and the refusals decided outside the stock. Units live in the stock shards (`stock.rs`);
//! the head pushes status, window and each shard's share to them and sums their stats. The
//! directory (`directory.rs`) lists the campaigns and holds their creation keys.
//!
//! `head`, `stock` and `directory` are transactions over the SQL seam, decided by
//! `domain::campaign_patch` and `domain::campaign`, so they run natively against real SQLite
//! (tests/objects_campaign*.rs); `object` and `stock_object` are the runtime glue.

#[cfg(target_arch = "wasm32")]
pub mod client;
pub mod directory;
pub mod head;
pub mod multipliers;
#[cfg(target_arch = "wasm32")]
mod object;
pub mod occurrences;
pub mod protocol;
pub mod stock;
#[cfg(target_arch = "wasm32")]
mod stock_object;
pub mod views;

#[cfg(target_arch = "wasm32")]
pub use object::CampaignObject;

use crate::domain::campaign::SetStatus;

crate::stored_names!(SetStatus {
    Active => "active",
    Paused => "paused",
    Ended => "ended",
});
