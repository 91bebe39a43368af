//! One Durable Object per member: the only owner of the member's check-ins, points ledger,
//! wallet (coupons, claims, prescriptions), paid-order spend, referral state and seen core
//! events.
//!
//! Layers, each importing only those below it: `repo` (the profile, the handle every
//! statement goes through) and `ledger` (points: lots, debits, debt, `points.awarded`) at
//! the bottom; `checkins` and `coupons` on the ledger; `prescriptions` (order reservations)
//! and `orders` (`order.paid` / `order.refunded`) on coupons; `referral*` (link, invitee,
//! inviter, what they queue, stats) on the ledger and coupons; `wallet` (claims), `me` (the
//! member's reads) and `events` (the core's events, dispatched) on top. All are written
//! against the SQL seam and run natively against real SQLite (tests/objects_member*.rs,
//! tests/objects_referral*.rs). `object` is the runtime glue (wasm32 only), as are the steps
//! that await other objects: the claim saga and `referral_flow`.

pub mod checkin_rows;
pub mod checkins;
pub mod claim;
pub mod claim_flight;
pub mod claim_refusals;
#[cfg(target_arch = "wasm32")]
pub mod client;
pub mod commands;
pub mod coupon_attribution;
pub mod coupons;
pub mod erasure;
pub mod events;
pub mod exchange;
pub mod ledger;
pub mod me;
pub mod needs;
#[cfg(target_arch = "wasm32")]
mod object;
pub mod orders;
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
pub mod referral_steps;
pub mod replies;
pub mod repo;
pub mod tiers;
pub mod wallet;

#[cfg(target_arch = "wasm32")]
pub use object::MemberObject;
#[cfg(target_arch = "wasm32")]
pub use referral_flow::CODE_ATTEMPTS;
