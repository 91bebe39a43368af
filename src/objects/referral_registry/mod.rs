//! The referral registries: which member owns a share code, which member a device first
//! registered, and the program's tallies (bindings, refusals by reason, rewards). One class,
//! instances named by what they hold: `code-<first character>`, `device-<first hex digit>`,
//! and `stats`. Each command is one transaction, so a code or a device has exactly one
//! owner whatever the interleaving; tallies count each fact once by its id.
//!
//! `repo` holds the transactions over the seam (tests/objects_registry.rs), `protocol` the
//! commands (a tally is queued in members' outboxes: golden); `object` (wasm32) the runtime.

#[cfg(target_arch = "wasm32")]
mod object;
pub mod protocol;
pub mod repo;

#[cfg(target_arch = "wasm32")]
pub use object::{
    claim_code, claim_device, forget_member, holdings, lookup_code, stats, ReferralRegistryObject,
};
pub use protocol::{Holdings, RecordFact, ReferralStats, RegistryCommand};
pub use repo::MODULE;

/// The instance that keeps the tallies.
pub const STATS_NAME: &str = "stats";

/// Tally labels: `bound`, `refused.<reason>`, `reward.<stage>`, `clawback.<stage>`.
pub fn label(kind: &str, detail: Option<&str>) -> String {
    match detail {
        Some(detail) => format!("{kind}.{detail}"),
        None => kind.to_owned(),
    }
}

/// The instance that holds `code`.
pub fn code_shard(code: &str) -> String {
    format!("code-{}", code.get(..1).unwrap_or("0"))
}

/// The instance that holds `device` (a hex hash).
pub fn device_shard(device: &str) -> String {
    format!("device-{}", device.get(..1).unwrap_or("0"))
}

/// Every device instance (`device-<hex digit>`): an erasure asks each, since a member's
/// device hashes are not kept in the member's object once reported.
pub fn device_shards() -> impl Iterator<Item = String> {
    "0123456789abcdef"
        .chars()
        .map(|digit| format!("device-{digit}"))
}
