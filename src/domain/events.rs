//! Events: the signed ones the core system sends in, and the ones the edge sends out.

use super::ids::{is_valid_id, MemberId, OrderId, StoreId};
use super::order_lines::{OrderLine, MAX_LINES, MAX_QTY};
use super::prescription::PrescribedItem;
use super::time::Instant;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An event id from the core system: 1 to 128 of `[A-Za-z0-9_.:-]`.
pub fn is_valid_event_id(raw: &str) -> bool {
    !raw.is_empty()
        && raw.len() <= 128
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'))
}

/// The envelope of every inbound core event.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub created_at: Instant,
    pub data: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberRegistered {
    pub member_id: MemberId,
    pub registered_at: Instant,
    #[serde(default)]
    pub ref_code: Option<String>,
    #[serde(default)]
    pub device_id: Option<String>,
    pub real_name_verified: bool,
    /// Where the member came from (utm_* and store), as the registration page landed; kept
    /// and forwarded in `referral.bound`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribution: Option<super::attribution::Attribution>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberVerified {
    pub member_id: MemberId,
}

/// `member.erased` (PIPL): the member's edge data is to be deleted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberErased {
    pub member_id: MemberId,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderPaid {
    pub order_id: OrderId,
    pub member_id: MemberId,
    pub paid_at: Instant,
    pub amount_fen: i64,
    #[serde(default)]
    pub insurance_fen: i64,
    pub lines: Vec<OrderLine>,
    #[serde(default)]
    pub coupon_id: Option<String>,
    #[serde(default)]
    pub first_order: bool,
}

/// `member.profile`: the birth month only (1-12), never a full birth date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberProfile {
    pub member_id: MemberId,
    #[serde(default)]
    pub birth_month: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderRefunded {
    pub order_id: OrderId,
    pub member_id: MemberId,
    pub amount_fen: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderStatusChange {
    pub order_id: OrderId,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderReady {
    pub order_id: OrderId,
    pub member_id: MemberId,
    pub store_id: StoreId,
    pub lines: Vec<OrderLine>,
    pub ready_at: Instant,
    #[serde(default)]
    pub pickup_deadline: Option<Instant>,
}

/// A pharmacist in the core approved these Rx items for this member, once, until `expires_at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrescriptionApproved {
    pub prescription_id: String,
    pub member_id: MemberId,
    pub items: Vec<PrescribedItem>,
    pub approved_by: String,
    pub expires_at: Instant,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrescriptionRevoked {
    pub prescription_id: String,
    pub member_id: MemberId,
}

fn check_prescription(id: &str, items: Option<&[PrescribedItem]>) -> Result<(), EventError> {
    let invalid = |detail: String| Err(EventError::Invalid(detail));
    if !is_valid_id(id) {
        return invalid("data.prescription_id: must match [A-Za-z0-9_-]{1,64}".into());
    }
    let Some(items) = items else { return Ok(()) };
    if items.is_empty() || items.len() > MAX_LINES {
        return invalid(format!("data.items: from 1 to {MAX_LINES} items"));
    }
    for (index, item) in items.iter().enumerate() {
        if !is_valid_id(&item.sku) {
            return invalid(format!(
                "data.items[{index}].sku: must match [A-Za-z0-9_-]{{1,64}}"
            ));
        }
        if !(1..=MAX_QTY).contains(&item.qty) {
            return invalid(format!("data.items[{index}].qty: from 1 to {MAX_QTY}"));
        }
    }
    Ok(())
}

/// A parsed inbound event.
#[derive(Debug, Clone, PartialEq)]
pub enum CoreEvent {
    MemberRegistered(MemberRegistered),
    MemberVerified(MemberVerified),
    OrderConfirmed(OrderStatusChange),
    OrderRejected(OrderStatusChange),
    OrderPaid(OrderPaid),
    OrderRefunded(OrderRefunded),
    OrderReadyForPickup(OrderReady),
    OrderCancelled(OrderStatusChange),
    PrescriptionApproved(PrescriptionApproved),
    PrescriptionRevoked(PrescriptionRevoked),
    MemberProfile(MemberProfile),
    MemberErased(MemberErased),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventError {
    /// 422 unknown_event
    UnknownType(String),
    /// 400 invalid_request; names the field.
    Invalid(String),
}

const MAX_AMOUNT_FEN: i64 = 1_000_000_000;

fn data<T: DeserializeOwned>(value: Value) -> Result<T, EventError> {
    // serde would read a struct from an array too.
    if !value.is_object() {
        return Err(EventError::Invalid(
            "data: a JSON object is required".into(),
        ));
    }
    // Parsed from its compact text, as request bodies are: the field a refusal is about is
    // found from the parser's position (json_path), so no second, path-tracking copy of each
    // payload's deserializer is compiled in (serde_path_to_error did that).
    let text = value.to_string();
    serde_json::from_str(&text).map_err(|err| {
        let offset = super::json_path::offset_of(&text, err.line(), err.column());
        let message = err.to_string();
        let unknown_variant = message.starts_with("unknown variant");
        let path = super::json_path::path_at(&text, offset, unknown_variant);
        // The position is in the re-serialized text, meaningless to the sender.
        let position = format!(" at line {} column {}", err.line(), err.column());
        let inner = message.strip_suffix(&position).unwrap_or(&message);
        // An enum given a number, bool or array: serde_json calls it a syntax error, and
        // says so as it does for request bodies (json::parse_json).
        let inner = match err.is_syntax() {
            true => format!("malformed JSON: {inner}"),
            false => inner.to_owned(),
        };
        match path.as_str() {
            "." => EventError::Invalid(format!("data: {inner}")),
            _ => EventError::Invalid(format!("data.{path}: {inner}")),
        }
    })
}

fn amount(field: &str, value: i64) -> Result<(), EventError> {
    if (0..=MAX_AMOUNT_FEN).contains(&value) {
        Ok(())
    } else {
        Err(EventError::Invalid(format!("data.{field}: out of range")))
    }
}

impl CoreEvent {
    pub fn parse(event_type: &str, value: Value) -> Result<CoreEvent, EventError> {
        let event = match event_type {
            "member.registered" => {
                let registered: MemberRegistered = data(value)?;
                if let Some(attribution) = &registered.attribution {
                    attribution
                        .check()
                        .map_err(|detail| EventError::Invalid(format!("data.{detail}")))?;
                }
                CoreEvent::MemberRegistered(registered)
            }
            "member.verified" => CoreEvent::MemberVerified(data(value)?),
            "order.confirmed" => CoreEvent::OrderConfirmed(data(value)?),
            "order.rejected" => CoreEvent::OrderRejected(data(value)?),
            "order.paid" => {
                let paid: OrderPaid = data(value)?;
                amount("amount_fen", paid.amount_fen)?;
                amount("insurance_fen", paid.insurance_fen)?;
                if paid.insurance_fen > paid.amount_fen {
                    return Err(EventError::Invalid(
                        "data.insurance_fen: larger than amount_fen".into(),
                    ));
                }
                super::order_lines::validate_lines(&paid.lines)
                    .map_err(|detail| EventError::Invalid(format!("data.{detail}")))?;
                CoreEvent::OrderPaid(paid)
            }
            "order.refunded" => {
                let refunded: OrderRefunded = data(value)?;
                amount("amount_fen", refunded.amount_fen)?;
                CoreEvent::OrderRefunded(refunded)
            }
            "order.ready_for_pickup" => {
                let ready: OrderReady = data(value)?;
                super::order_lines::validate_lines(&ready.lines)
                    .map_err(|detail| EventError::Invalid(format!("data.{detail}")))?;
                CoreEvent::OrderReadyForPickup(ready)
            }
            "order.cancelled" => CoreEvent::OrderCancelled(data(value)?),
            "prescription.approved" => {
                let approved: PrescriptionApproved = data(value)?;
                check_prescription(&approved.prescription_id, Some(&approved.items))?;
                if !is_valid_id(&approved.approved_by) {
                    return Err(EventError::Invalid(
                        "data.approved_by: must match [A-Za-z0-9_-]{1,64}".into(),
                    ));
                }
                CoreEvent::PrescriptionApproved(approved)
            }
            "prescription.revoked" => {
                let revoked: PrescriptionRevoked = data(value)?;
                check_prescription(&revoked.prescription_id, None)?;
                CoreEvent::PrescriptionRevoked(revoked)
            }
            "member.profile" => {
                let profile: MemberProfile = data(value)?;
                if !profile
                    .birth_month
                    .is_none_or(super::tier_multiplier::valid_birth_month)
                {
                    return Err(EventError::Invalid("data.birth_month: from 1 to 12".into()));
                }
                CoreEvent::MemberProfile(profile)
            }
            "member.erased" => CoreEvent::MemberErased(data(value)?),
            other => return Err(EventError::UnknownType(other.to_owned())),
        };
        Ok(event)
    }
}

/// An event sent to the core system's `/events`. The id is deterministic (derived from
/// what happened), so a retried or replayed emission carries the same idempotency key.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboundEvent {
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: &'static str,
    pub created_at: Instant,
    pub data: Value,
}

impl OutboundEvent {
    pub fn new(id: String, event_type: &'static str, created_at: Instant, data: Value) -> Self {
        Self {
            id,
            event_type,
            created_at,
            data,
        }
    }
}
