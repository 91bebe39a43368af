//! Commands the worker (and the store object) send to an order's object, and its replies.
//! Replies are exactly the JSON bodies of the order and pickup endpoints.

use crate::domain::catalog::LineRequest;
use crate::domain::events::{OrderReady, OrderStatusChange};
use crate::domain::ids::{MemberId, OrderId, StaffId, StoreId};
use crate::domain::order::{AcceptedLine, Fulfilment};
use crate::domain::order_lines::OrderLine;
use crate::domain::time::Instant;
use crate::objects::member::protocol::EventReply;
use serde::{Deserialize, Serialize};

/// An order as the member placed it: SKUs and quantities, shape checked by the worker;
/// the order object prices and classes it from the catalogue.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlaceOrder {
    pub order_id: OrderId,
    pub member_id: MemberId,
    pub store_id: StoreId,
    pub fulfilment: Fulfilment,
    pub lines: Vec<LineRequest>,
    pub coupon_id: Option<String>,
    pub prescription_id: Option<String>,
    /// Hash of the request body, for Idempotency-Key replays.
    pub body_hash: String,
    /// Sent with an Idempotency-Key: a final refusal is kept as the key's answer.
    #[serde(default)]
    pub keyed: bool,
    pub now: Instant,
    /// Where the order came from (utm_* and store), as the member's page landed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribution: Option<crate::domain::attribution::Attribution>,
}

crate::tagged_events! {
    /// A core event about an order.
    pub enum OrderEvent {
        "order.confirmed" => Confirmed(OrderStatusChange),
        "order.rejected" => Rejected(OrderStatusChange),
        "order.ready_for_pickup" => ReadyForPickup(OrderReady),
        "order.cancelled" => Cancelled(OrderStatusChange),
    }
}

impl OrderEvent {
    /// The order the event is about.
    pub fn order_id(&self) -> &OrderId {
        match self {
            OrderEvent::Confirmed(change)
            | OrderEvent::Rejected(change)
            | OrderEvent::Cancelled(change) => &change.order_id,
            OrderEvent::ReadyForPickup(ready) => &ready.order_id,
        }
    }
}

/// A code shown at the counter: the scanned QR text, or the typed short code.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PresentedCode {
    Qr(String),
    Short(String),
}

/// The staff member verifying, as their token says.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Counter {
    pub staff_id: StaffId,
    pub store_id: StoreId,
    pub is_pharmacist: bool,
}

crate::protocol! {
    /// Commands to an order's object, each with its reply.
    pub enum OrderCommand {
        /// The placement's answer: the 202 body, or the refusal kept for a keyed retry.
        Place(PlaceOrder) -> serde_json::Value,
        Get(GetOrder) -> OrderView,
        Event(ApplyEvent) -> EventReply,
        PickupCode(GetPickupCode) -> PickupCodeReply,
        Verify(VerifyCode) -> VerifiedReply,
    }
}

/// The order as its member sees it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GetOrder {
    pub member_id: MemberId,
    /// The business clock: a read first applies retention due by then.
    #[serde(default)]
    pub now: Option<Instant>,
}

/// A core event about the order, deduplicated by its id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApplyEvent {
    pub event_id: String,
    pub event: OrderEvent,
    pub now: Instant,
}

/// The member's current pickup code (QR text and 6 digits).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GetPickupCode {
    pub member_id: MemberId,
    pub now: Instant,
}

/// A code presented at the counter.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VerifyCode {
    pub counter: Counter,
    pub code: PresentedCode,
    pub now: Instant,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlacedReply {
    pub order_id: OrderId,
    pub status: String,
    pub lines: Vec<AcceptedLine>,
    pub subtotal_fen: i64,
    pub discount_fen: i64,
    pub payable_fen: i64,
    pub coupon_id: Option<String>,
    /// The prescription the order consumed (only when it has Rx lines).
    pub prescription_id: Option<String>,
    pub placed_at: Instant,
    /// The tier whose member prices the lines carry (the member object's; absent on
    /// orders placed before member prices).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<crate::domain::tier::Tier>,
    /// The lines' member discounts together (`subtotal_fen` is already net of it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_discount_fen: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PickupView {
    pub ready_at: Option<Instant>,
    pub pickup_deadline: Option<Instant>,
    pub verified_at: Option<Instant>,
    pub verified_by: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrderView {
    pub order_id: String,
    pub status: String,
    pub store_id: Option<String>,
    pub fulfilment: Option<Fulfilment>,
    pub lines: Vec<OrderLine>,
    pub coupon_id: Option<String>,
    pub subtotal_fen: Option<i64>,
    pub discount_fen: Option<i64>,
    pub payable_fen: Option<i64>,
    pub placed_at: Option<Instant>,
    pub updated_at: Instant,
    /// Why the core rejected or cancelled it, when it said.
    pub reason: Option<String>,
    pub pickup: Option<PickupView>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PickupCodeReply {
    pub order_id: String,
    pub store_id: String,
    /// The text to encode in the QR code.
    pub qr: String,
    pub short_code: String,
    /// Seconds this code is still accepted (the current and the next 30 s step).
    pub valid_for_s: i64,
    /// Seconds until a new code is shown; the app refreshes then.
    pub refresh_in_s: i64,
    pub expires_at: Instant,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VerifiedReply {
    pub order_id: String,
    pub store_id: String,
    pub lines: Vec<OrderLine>,
    pub verified_at: Instant,
    pub verified_by: String,
}

/// What a store object tells its ready list about an order (from the order's outbox).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WaitingPickup {
    pub order_id: String,
    pub ready_at: Instant,
    pub pickup_deadline: Instant,
    pub line_count: usize,
    pub has_rx: bool,
}
