//! The events the edge sends the core's `/events`, typed: each `data` as the core receives it
//! (API.md, "Events to the core"). Rows in an outbox hold these as JSON and may wait across
//! a deploy, so each shape is pinned by a golden test (tests/golden_formats.rs); a change
//! here is a change of the contract with the core, not a refactoring.
//!
//! Producers still build some of them with `json!` (member, order); these types are what
//! those bodies must decode into, field for field (`deny_unknown_fields`).

use super::ids::{MemberId, OrderId, StoreId};
use super::referral::Stage;
use super::time::Instant;
use serde::{Deserialize, Serialize};

/// An event as queued for the core: `OutboundEvent` with its data typed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Emitted<T> {
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub created_at: Instant,
    pub data: T,
}

/// `checkin.recorded`: a day's check-in (or make-up, with its cost), once per member and day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckinRecorded {
    pub member_id: MemberId,
    /// `YYYY-MM-DD`, Asia/Shanghai.
    pub date: String,
    pub streak: u32,
    pub points_awarded: i64,
    pub bonus_points: i64,
    pub makeup: bool,
    /// Only on a make-up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_points: Option<i64>,
}

/// `points.awarded`: a grant, once per source and source id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointsAwarded {
    pub member_id: MemberId,
    pub amount: i64,
    /// `checkin`, `order`, `referral`, ...
    pub source: String,
    pub source_id: String,
    pub expires_at: Instant,
    pub balance: i64,
}

/// `coupon.claimed`: a coupon landed in a wallet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CouponClaimed {
    pub member_id: MemberId,
    pub coupon_id: String,
    pub campaign_id: String,
    pub store_id: Option<StoreId>,
    pub claimed_at: Instant,
    pub expires_at: Instant,
    /// Where the claim came from (utm_* and store), when its page sent it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribution: Option<super::attribution::Attribution>,
}

/// `referral.bound`: an invitee bound to their inviter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferralBound {
    pub inviter_id: MemberId,
    pub invitee_id: MemberId,
    pub code: String,
    pub bound_at: Instant,
    /// Where the invitee came from, as `member.registered` said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribution: Option<super::attribution::Attribution>,
}

/// `referral.rewarded`: a stage's reward to one side, or (`clawback`) its reversal with
/// negative points. The owned twin of `referral::RewardedData`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferralRewarded {
    pub member_id: MemberId,
    /// `inviter` or `invitee`: who `member_id` is.
    pub role: String,
    pub inviter_id: MemberId,
    pub invitee_id: MemberId,
    pub stage: Stage,
    pub points: i64,
    pub coupon_id: Option<String>,
    pub clawback: bool,
}

/// `pickup.verified`: an order handed over at a counter, once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PickupVerified {
    pub order_id: OrderId,
    pub member_id: String,
    pub store_id: String,
    pub verified_at: Instant,
    pub verified_by: String,
    /// `clerk` or `pharmacist`.
    pub verifier_role: String,
    /// `qr` or `short`.
    pub method: String,
}
