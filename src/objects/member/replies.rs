//! The member object's replies: exactly the JSON bodies of the member endpoints, and what
//! other objects get back (reservations, releases, event receipts).

use crate::domain::coupon::TermsView;
use crate::domain::ids::MemberId;
use crate::domain::referral::Refusal;
use crate::domain::tier::TierStatus;
use crate::domain::time::{BusinessDate, Instant};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CouponsReply {
    pub coupons: Vec<CouponView>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckinReply {
    pub date: BusinessDate,
    pub streak: u32,
    pub cycle_day: u32,
    pub points_awarded: i64,
    pub bonus_points: i64,
    pub balance: i64,
    pub already_checked_in: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MakeupReply {
    pub date: BusinessDate,
    pub cost_points: i64,
    pub streak: u32,
    pub balance: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MonthReply {
    pub month: String,
    pub days: Vec<BusinessDate>,
    pub makeup_days: Vec<BusinessDate>,
    pub makeups_used: u32,
    pub makeups_left: u32,
    pub streak: u32,
    pub checked_in_today: bool,
    /// Today's business date, so the page needs no clock of its own.
    pub today: BusinessDate,
    /// What checking in today would give; `None` (null) once done today.
    pub next_checkin: Option<NextCheckin>,
    /// The bonus days of the next cycle of daily check-ins.
    pub bonuses_ahead: Vec<BonusAheadReply>,
    /// The days of the current month a make-up is accepted for now (points aside).
    pub makeup_dates: Vec<BusinessDate>,
    pub rules: CheckinRulesReply,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NextCheckin {
    pub date: BusinessDate,
    pub streak: u32,
    pub points: i64,
    pub bonus_points: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BonusAheadReply {
    pub date: BusinessDate,
    pub streak: u32,
    pub bonus_points: i64,
}

/// The check-in rules as published to members.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckinRulesReply {
    pub base_points: i64,
    pub cycle_days: u32,
    pub makeup_cost_points: i64,
    pub makeups_per_month: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub id: i64,
    pub amount: i64,
    pub kind: String,
    pub source: String,
    pub source_id: String,
    pub created_at: Instant,
    pub expires_at: Option<Instant>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LedgerReply {
    pub entries: Vec<LedgerEntry>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Expiring {
    pub amount: i64,
    pub expires_at: Instant,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PointsSummary {
    pub balance: i64,
    /// Points clawed back beyond the balance, settled from the next awards.
    pub debt: i64,
    pub expiring: Vec<Expiring>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckinSummary {
    pub streak: u32,
    pub checked_in_today: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CouponSummary {
    pub available: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SummaryReply {
    pub member_id: MemberId,
    pub tier: TierReply,
    pub points: PointsSummary,
    pub checkin: CheckinSummary,
    pub coupons: CouponSummary,
    /// The member's experiment bucket (deterministic per member).
    pub ab: AbReply,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AbReply {
    pub experiment: crate::domain::attribution::Bucket,
}

/// `TierStatus` as JSON (names as strings; `next` null at the top tier).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TierReply {
    pub name: String,
    pub spend_fen: i64,
    pub next: Option<String>,
    pub to_next_fen: i64,
}

impl From<TierStatus> for TierReply {
    fn from(status: TierStatus) -> Self {
        let name = |tier| {
            serde_json::to_value(tier)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        };
        TierReply {
            name: name(status.name),
            spend_fen: status.spend_fen,
            next: status.next.map(name),
            to_next_fen: status.to_next_fen,
        }
    }
}

/// What a release gave back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseReply {
    pub released: bool,
    pub prescription_returned: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventReply {
    pub accepted: bool,
    pub duplicate: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LinkReply {
    pub code: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InviteReply {
    /// `None`: bound.
    pub refusal: Option<Refusal>,
}

/// The member's referral figures (`GET /v1/referrals/me` without the url).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReferralSummaryReply {
    pub code: String,
    /// Taps on the link, all time.
    pub clicks: i64,
    /// Distinct visitors, counted per business day and summed.
    pub unique_visitors: i64,
    pub clicks_today: i64,
    /// Invitees bound to this member.
    pub bound: i64,
    /// Bound invitees whose real-name verification released the inviter's reward.
    pub rewarded: i64,
    /// Bound invitees not verified yet.
    pub pending: i64,
    /// Invitees refused at this member's side (caps).
    pub refused: i64,
    /// Net referral points (both sides, after clawbacks).
    pub points_earned: i64,
}

/// What a reservation answers: the order's totals with its coupon, and the classes the
/// coupon may discount (the order shares the discount among those lines only).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(from = "ReservedWire")]
pub struct Reserved {
    #[serde(flatten)]
    pub totals: crate::domain::order::Totals,
    #[serde(default)]
    pub eligible_classes: Option<Vec<crate::domain::order_lines::DrugClass>>,
    /// The member's tier as this object counts its spend: the totals are at its member
    /// prices (absent from objects before member prices: no member price).
    #[serde(default)]
    pub tier: Option<crate::domain::tier::Tier>,
}

/// A coupon as the member sees it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(from = "CouponViewWire")]
pub struct CouponView {
    pub coupon_id: String,
    pub campaign_id: String,
    #[serde(flatten)]
    pub terms: TermsView,
    pub status: String,
    pub claimed_at: Instant,
    pub valid_from: Instant,
    pub expires_at: Instant,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store_id: Option<String>,
}

// Read through explicit fields: `#[serde(flatten)]` buffers the map and compiles a second
// decoder, over the buffer, for the flattened type and all inside it. Written as declared.

#[derive(Deserialize)]
struct ReservedWire {
    subtotal_fen: i64,
    discount_fen: i64,
    payable_fen: i64,
    #[serde(default)]
    eligible_classes: Option<Vec<crate::domain::order_lines::DrugClass>>,
    #[serde(default)]
    tier: Option<crate::domain::tier::Tier>,
}

impl From<ReservedWire> for Reserved {
    fn from(wire: ReservedWire) -> Self {
        let totals = crate::domain::order::Totals {
            subtotal_fen: wire.subtotal_fen,
            discount_fen: wire.discount_fen,
            payable_fen: wire.payable_fen,
        };
        Reserved {
            totals,
            eligible_classes: wire.eligible_classes,
            tier: wire.tier,
        }
    }
}

#[derive(Deserialize)]
struct CouponViewWire {
    coupon_id: String,
    campaign_id: String,
    #[serde(rename = "type")]
    coupon_type: String,
    #[serde(default)]
    value_fen: Option<i64>,
    #[serde(default)]
    percent: Option<i64>,
    min_spend_fen: i64,
    #[serde(default)]
    max_discount_fen: Option<i64>,
    status: String,
    claimed_at: Instant,
    valid_from: Instant,
    expires_at: Instant,
    #[serde(default)]
    store_id: Option<String>,
}

impl From<CouponViewWire> for CouponView {
    fn from(wire: CouponViewWire) -> Self {
        let terms = TermsView {
            coupon_type: wire.coupon_type,
            value_fen: wire.value_fen,
            percent: wire.percent,
            min_spend_fen: wire.min_spend_fen,
            max_discount_fen: wire.max_discount_fen,
        };
        CouponView {
            coupon_id: wire.coupon_id,
            campaign_id: wire.campaign_id,
            terms,
            status: wire.status,
            claimed_at: wire.claimed_at,
            valid_from: wire.valid_from,
            expires_at: wire.expires_at,
            store_id: wire.store_id,
        }
    }
}
