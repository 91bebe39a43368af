//! One Durable Object per member: the only owner of the member's check-ins, points ledger,
//! wallet (coupons, claims, prescriptions), paid-order spend, referral state and seen core
//! events.
//!
//! The modules holding its transactions are written against the SQL seam and run natively
//! against real SQLite (tests/objects_member*.rs); `object` is the runtime glue (wasm32
//! only), as are the modules not yet on the seam (referral) and the claim saga, which
//! awaits calls to other objects.

#[cfg(target_arch = "wasm32")]
mod claim;
pub mod claim_refusals;
#[cfg(target_arch = "wasm32")]
pub mod client;
pub mod ledger;
#[cfg(target_arch = "wasm32")]
mod object;
pub mod ops;
pub mod prescriptions;
pub mod protocol;
#[cfg(target_arch = "wasm32")]
pub mod referral;
#[cfg(target_arch = "wasm32")]
mod referral_flow;
#[cfg(target_arch = "wasm32")]
pub mod referral_invitee;
#[cfg(target_arch = "wasm32")]
pub mod referral_inviter;
#[cfg(target_arch = "wasm32")]
pub mod referral_link;
#[cfg(target_arch = "wasm32")]
pub mod referral_queue;
#[cfg(target_arch = "wasm32")]
pub mod referral_rows;
#[cfg(target_arch = "wasm32")]
pub mod referral_stats;
pub mod repo;
pub mod wallet;

#[cfg(target_arch = "wasm32")]
pub use object::MemberObject;
