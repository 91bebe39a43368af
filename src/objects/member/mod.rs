//! One Durable Object per member: the only owner of the member's check-ins, points ledger,
//! wallet (coupons, claims, prescriptions), paid-order spend, referral state and seen core
//! events.
//!
//! The modules holding its transactions are written against the SQL seam and run natively
//! against real SQLite (tests/objects_member*.rs, tests/objects_referral*.rs); `object` is
//! the runtime glue (wasm32 only), as are the steps that await calls to other objects: the
//! claim saga and `referral_flow`.

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
pub mod referral;
#[cfg(target_arch = "wasm32")]
mod referral_flow;
pub mod referral_invitee;
pub mod referral_inviter;
pub mod referral_link;
pub mod referral_queue;
pub mod referral_rows;
pub mod referral_stats;
pub mod repo;
pub mod wallet;

#[cfg(target_arch = "wasm32")]
pub use object::MemberObject;
