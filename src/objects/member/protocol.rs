//! Commands the worker (and other objects) send to a member's object, each naming its reply
//! (`protocol!`); the wire format is `{"op": "<command>", ...its fields}`. Replies are in
//! `replies`, re-exported here.

use crate::domain::coupon::CouponStatus;
use crate::domain::events::{
    MemberProfile, MemberRegistered, MemberVerified, OrderPaid, OrderRefunded,
    PrescriptionApproved, PrescriptionRevoked,
};
use crate::domain::ids::{MemberId, OrderId, StoreId};
use crate::domain::order_lines::OrderLine;
use crate::domain::referral::Stage;
use crate::domain::tier_multiplier::CampaignMultiplier;
use crate::domain::time::{BusinessDate, Instant};
use crate::objects::campaign::protocol::ClaimTerms;
use serde::{Deserialize, Serialize};

pub use super::replies::*;

/// Who the member is, as their token says.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MemberContext {
    pub member_id: MemberId,
    /// Registration time from the token (`reg`, unix seconds), if any.
    pub registered_at_s: Option<i64>,
}

crate::tagged_events! {
    /// A core event that this member's object owns.
    pub enum MemberEvent {
        "member.registered" => Registered(Registration),
        "member.verified" => Verified(MemberVerified),
        "order.paid" => Paid(OrderPaid),
        "order.refunded" => Refunded(OrderRefunded),
        "prescription.approved" => PrescriptionApproved(PrescriptionApproved),
        "prescription.revoked" => PrescriptionRevoked(PrescriptionRevoked),
        "member.profile" => Profile(MemberProfile),
    }
}

/// A registration as the member's object gets it: the worker has read the share code, found
/// its owner and hashed the device id (the raw id never reaches storage).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Registration {
    pub data: MemberRegistered,
    /// The code in canonical form, if one was given and could be read.
    pub code: Option<String>,
    /// Who owns the code (`None`: no code, or nobody has it).
    pub inviter: Option<MemberId>,
    pub device: Option<String>,
}

crate::protocol! {
    /// Commands to a member's object, each with its reply.
    // Pointers are twice as wide natively, where the event variant passes clippy's size
    // limit; a command is decoded once per request and never held, so boxing buys nothing.
    #[cfg_attr(not(target_arch = "wasm32"), allow(clippy::large_enum_variant))]
    pub enum MemberCommand {
        Checkin(Checkin) -> CheckinReply,
        Makeup(Makeup) -> MakeupReply,
        Month(GetMonth) -> MonthReply,
        Ledger(GetLedger) -> LedgerReply,
        Summary(GetSummary) -> SummaryReply,
        Event(ApplyEvent) -> EventReply,
        /// The claim's answer: `{"coupon": ...}`, or a kept answer replayed.
        Claim(ClaimRequest) -> serde_json::Value,
        Coupons(ListCoupons) -> CouponsReply,
        Reserve(Reserve) -> Reserved,
        Link(GetLink) -> LinkReply,
        ReferralSummary(GetReferralSummary) -> ReferralSummaryReply,
        Click(Click) -> (),
        Invite(Invite) -> InviteReply,
        ReferralReward(ReferralReward) -> (),
        ReferralClawback(ReferralClawback) -> (),
        ReleaseCoupon(ReleaseCoupon) -> ReleaseReply,
        /// `member.erased` (PIPL): the member's rows deleted, a tombstone left.
        Erase(Erase) -> EventReply,
        /// What the object still holds, rows per table (admin check of an erasure).
        Footprint(GetFootprint) -> super::erasure::MemberFootprint,
        /// Whether this member was erased (reads the tombstone only; creates no table).
        Erased(IsErased) -> bool,
    }
}

/// Today's check-in.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Checkin {
    pub member: MemberContext,
    pub now: Instant,
}

/// A missed day of this month made up for points.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Makeup {
    pub member: MemberContext,
    pub now: Instant,
    pub date: BusinessDate,
}

/// The check-in calendar of a month (`""`: the current one).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GetMonth {
    pub member: MemberContext,
    pub now: Instant,
    pub month: String,
}

/// A page of the points ledger, newest first.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GetLedger {
    pub member: MemberContext,
    pub now: Instant,
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// `GET /v1/me`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GetSummary {
    pub member: MemberContext,
    pub now: Instant,
}

/// A core event about this member, applied once per event id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApplyEvent {
    pub member_id: MemberId,
    pub event_id: String,
    pub event: MemberEvent,
    pub now: Instant,
    /// `order.paid`: the points_multiplier campaign open at `paid_at` (the worker found it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multiplier: Option<CampaignMultiplier>,
}

/// The member's coupons, of one status or all.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ListCoupons {
    pub member: MemberContext,
    pub now: Instant,
    pub status: Option<CouponStatus>,
}

/// Reserves for an order being placed, all or nothing, the prescription its Rx lines need
/// and its coupon; answers the order's totals.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Reserve {
    pub order_id: OrderId,
    pub lines: Vec<OrderLine>,
    pub coupon_id: Option<String>,
    pub prescription_id: Option<String>,
    pub now: Instant,
}

/// The member's share code, created on first use.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GetLink {
    pub member: MemberContext,
    pub now: Instant,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GetReferralSummary {
    pub member: MemberContext,
    pub now: Instant,
}

/// A tap on the member's link (sent after the redirect has been answered).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Click {
    pub member_id: MemberId,
    pub day: String,
    pub visitor: String,
    pub now: Instant,
}

/// To the inviter's object: may `invitee` be bound (caps)? Answers the same for the same
/// invitee every time.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Invite {
    pub inviter: MemberId,
    pub invitee: MemberId,
    pub now: Instant,
}

/// To the inviter's object (from the invitee's outbox): a stage was reached.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReferralReward {
    pub inviter: MemberId,
    pub invitee: MemberId,
    pub stage: Stage,
    pub now: Instant,
}

/// To the inviter's object: the first order was refunded in time; its reward goes back.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReferralClawback {
    pub inviter: MemberId,
    pub invitee: MemberId,
    pub stage: Stage,
    pub now: Instant,
}

/// Gives back what an order reserved: its coupon and its prescription (from the order's
/// outbox; rows queued before prescriptions carry a coupon only).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReleaseCoupon {
    #[serde(default)]
    pub coupon_id: Option<String>,
    #[serde(default)]
    pub prescription_id: Option<String>,
    pub order_id: OrderId,
    pub now: Instant,
}

/// A coupon claim, as the worker hands it to the member's object.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClaimRequest {
    pub member: MemberContext,
    pub terms: ClaimTerms,
    pub store_id: Option<StoreId>,
    pub idempotency_key: Option<String>,
    pub body_hash: String,
    pub now: Instant,
    /// The occurrence of a scheduled campaign the claim is for (its key): its stock shards
    /// and its per-member limits (issue 13). `None` for an unscheduled campaign.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurrence: Option<String>,
    /// A scheduled campaign between occurrences: the refusal, given unless the key replays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed: Option<crate::http::error::ApiError>,
    /// Where the claim came from (utm_* and store), as the claim page landed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribution: Option<Box<crate::domain::attribution::Attribution>>,
}

impl ClaimRequest {
    /// Where the claim's limits are counted and its units taken: the campaign or one occurrence.
    pub fn scope(&self) -> String {
        crate::domain::schedule_campaign::scope(&self.terms.config.id, self.occurrence.as_deref())
    }
}

/// `member.erased`: deletes the member's data and leaves a tombstone (`erasure`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Erase {
    pub member_id: MemberId,
    pub event_id: String,
    pub now: Instant,
}

/// The object's own view of what it holds (no fields: `{"op": "footprint"}`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GetFootprint {}

/// `{"op": "erased"}`: the tombstone's answer alone, for the worker's checks.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IsErased {}
