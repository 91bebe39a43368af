//! The member's referral state, both sides of it: as an inviter (the share code, clicks, the
//! invitees bound and the rewards for them) and as an invitee (the one binding, ever).
//!
//! The decisions are the domain's (`domain::referral_binding`, `domain::referral_inviter`);
//! these files load, ask, store and enqueue, each function inside one of the member object's
//! transactions. The steps that need other objects are in `referral_flow`.
//!
//! | file | what it holds |
//! |---|---|
//! | `referral_rows` | the stored forms: the binding, an invitee's record, their states' names |
//! | `referral_link` | the share code and the taps on it |
//! | `referral_invitee` | registration, the binding's decision, verification, first order, refunds |
//! | `referral_inviter` | the caps' answer, the inviter's rewards and their clawback |
//! | `referral_queue` | what a step queues: rewards, events, tallies, commands to the inviter |
//! | `referral_stats` | the inviter's figures |

use crate::objects::schema::Module;

pub use super::referral_invitee::{
    after_refund, device_reported, on_first_order, on_verified, pending, register, settle,
};
pub use super::referral_inviter::{clawback_inviter, invite, reward_inviter};
pub use super::referral_link::{click, link_code, set_link};
pub use super::referral_stats::summary;

/// Share link, bindings as invitee, invitees as inviter.
pub const MODULE: Module = Module {
    name: "referral",
    migrations: &[&[
    "CREATE TABLE IF NOT EXISTS referral_link (k INTEGER PRIMARY KEY CHECK (k = 1), code TEXT NOT NULL, created_ms INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS link_days (day TEXT PRIMARY KEY, clicks INTEGER NOT NULL, visitors INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS link_visitors (day TEXT NOT NULL, visitor TEXT NOT NULL, PRIMARY KEY (day, visitor))",
    // As an invitee: the registrations reported, and at most one binding, ever.
    "CREATE TABLE IF NOT EXISTS registrations (event_id TEXT PRIMARY KEY, received_ms INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS binding (
        k INTEGER PRIMARY KEY CHECK (k = 1),
        event_id TEXT NOT NULL,
        inviter_id TEXT NOT NULL,
        code TEXT NOT NULL,
        device TEXT,
        state TEXT NOT NULL,
        reason TEXT,
        created_ms INTEGER NOT NULL,
        decided_ms INTEGER,
        first_order_id TEXT,
        first_order_paid_ms INTEGER,
        first_order_fen INTEGER,
        clawback_queued INTEGER NOT NULL DEFAULT 0
    )",
    "CREATE TABLE IF NOT EXISTS referral_refusals (event_id TEXT PRIMARY KEY, inviter_id TEXT, code TEXT, reason TEXT NOT NULL, at_ms INTEGER NOT NULL)",
    // Device registrations still to report to the device registry.
    "CREATE TABLE IF NOT EXISTS device_claims (event_id TEXT PRIMARY KEY, device TEXT NOT NULL, now_ms INTEGER NOT NULL)",
    // As an inviter: one row per invitee that asked, bound or refused.
    "CREATE TABLE IF NOT EXISTS invitees (
        invitee_id TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        reason TEXT,
        day TEXT NOT NULL,
        month TEXT NOT NULL,
        decided_ms INTEGER NOT NULL,
        verified_ms INTEGER,
        first_order_state TEXT,
        first_order_points INTEGER NOT NULL DEFAULT 0
    )",
    "CREATE INDEX IF NOT EXISTS invitees_by_day ON invitees (state, day)",
    "CREATE INDEX IF NOT EXISTS invitees_by_month ON invitees (state, month)",
    ], &[
    // 2: the attribution the first registration reported (issue 13), for `referral.bound`.
    "CREATE TABLE IF NOT EXISTS registration_attribution (k INTEGER PRIMARY KEY CHECK (k = 1), event_id TEXT NOT NULL, body TEXT NOT NULL)",
    ]],
    baseline: &[],
};
