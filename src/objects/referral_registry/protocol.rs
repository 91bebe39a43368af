//! Commands to a referral registry instance, and its replies. `Record` travels through
//! members' outboxes, so its format is golden (tests/golden_formats.rs).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

crate::protocol! {
    /// Commands to a registry instance, each one transaction.
    pub enum RegistryCommand {
        /// Gives `code` to `member_id` unless someone has it; answers the owner.
        ClaimCode(ClaimCode) -> Owner,
        LookupCode(LookupCode) -> Owner,
        /// Records the first member a device registered; answers that member.
        ClaimDevice(ClaimDevice) -> Owner,
        /// Counts `label` once for `fact_id` (sent through outboxes, so it may come twice).
        Record(RecordFact) -> (),
        Stats(GetStats) -> ReferralStats,
        /// Erasure: drops every code and device this instance holds for `member_id`.
        ForgetMember(ForgetMember) -> Holdings,
        /// What this instance holds for `member_id` (the admin check of an erasure).
        Holdings(GetHoldings) -> Holdings,
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClaimCode {
    pub code: String,
    pub member_id: String,
    pub now_ms: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LookupCode {
    pub code: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClaimDevice {
    pub device: String,
    pub member_id: String,
    pub now_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordFact {
    pub fact_id: String,
    pub label: String,
    pub now_ms: i64,
}

/// What marketing sees (no fields: `{"op": "stats"}`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GetStats {}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Owner {
    pub owner: Option<String>,
}

/// What marketing sees.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReferralStats {
    pub bound: i64,
    /// Refused bindings by reason.
    pub refused: BTreeMap<String, i64>,
    /// Rewards granted by stage (`bound`, `verified`, `first_order`).
    pub rewards: BTreeMap<String, i64>,
    /// Rewards taken back by stage.
    pub clawbacks: BTreeMap<String, i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ForgetMember {
    pub member_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GetHoldings {
    pub member_id: String,
}

/// Codes and device hashes held (or, from `ForgetMember`, just dropped) for one member.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Holdings {
    pub codes: Vec<String>,
    pub devices: Vec<String>,
}
