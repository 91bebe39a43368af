//! Signed events from the core system. The signature is checked over the raw body before
//! anything is parsed; each event goes to the object that owns its subject, which dedupes
//! by event id.

use super::referrals::code_owner;
use super::Ctx;
use crate::domain::catalog::reclassify;
use crate::domain::events::{is_valid_event_id, CoreEvent, Envelope, EventError, MemberRegistered};
use crate::domain::order_lines::OrderLine;
use crate::domain::referral::{device_hash, normalize_code};
use crate::domain::time::Instant;
use crate::http::auth;
use crate::http::error::ApiError;
use crate::http::request::{body_bytes, parse_json, require_json};
use crate::http::response::json;
use crate::objects::catalog::client as catalog_client;
use crate::objects::member::client;
use crate::objects::member::protocol::{
    ApplyEvent as ApplyMemberEvent, EventReply, MemberEvent, Registration,
};
use crate::objects::order::client as order_client;
use crate::objects::order::protocol::{ApplyEvent, OrderEvent};
use worker::Response;

pub async fn receive(mut ctx: Ctx) -> Result<Response, ApiError> {
    let body = body_bytes(&mut ctx.req).await?;
    auth::core_signature(&ctx.req, &body, &ctx.config)?;
    require_json(&ctx.req)?;
    let envelope: Envelope = parse_json(&body)?;
    if !is_valid_event_id(&envelope.id) {
        return Err(ApiError::invalid("id: 1 to 128 of [A-Za-z0-9_.:-]"));
    }
    let event = CoreEvent::parse(&envelope.event_type, envelope.data).map_err(|err| match err {
        EventError::UnknownType(kind) => ApiError::UnknownEvent {
            detail: format!("unknown event type {kind:?}"),
        },
        EventError::Invalid(detail) => ApiError::invalid(detail),
    })?;
    let mut multiplier = None;
    let (member_id, member_event) = match event {
        CoreEvent::MemberRegistered(data) => {
            let registration = registration(&ctx, data).await?;
            (
                registration.data.member_id.clone(),
                MemberEvent::Registered(registration),
            )
        }
        CoreEvent::MemberVerified(data) => (data.member_id.clone(), MemberEvent::Verified(data)),
        CoreEvent::OrderPaid(mut data) => {
            classify(&ctx, &mut data.lines).await?;
            multiplier =
                super::multipliers::open_at(&ctx.env, &ctx.config.rules.zone, data.paid_at).await?;
            (data.member_id.clone(), MemberEvent::Paid(data))
        }
        CoreEvent::OrderRefunded(data) => (data.member_id.clone(), MemberEvent::Refunded(data)),
        CoreEvent::MemberProfile(data) => (data.member_id.clone(), MemberEvent::Profile(data)),
        CoreEvent::PrescriptionApproved(data) => (
            data.member_id.clone(),
            MemberEvent::PrescriptionApproved(data),
        ),
        CoreEvent::PrescriptionRevoked(data) => (
            data.member_id.clone(),
            MemberEvent::PrescriptionRevoked(data),
        ),
        CoreEvent::OrderConfirmed(data) => {
            return order_event(&ctx, envelope.id, OrderEvent::Confirmed(data)).await
        }
        CoreEvent::OrderRejected(data) => {
            return order_event(&ctx, envelope.id, OrderEvent::Rejected(data)).await
        }
        CoreEvent::OrderReadyForPickup(data) => {
            // The one order event that names the member and may create an order object:
            // after an erasure it is acknowledged and ignored, as the member's own events are.
            if super::erasure::is_erased(&ctx, &data.member_id).await? {
                let ignored = EventReply {
                    accepted: true,
                    duplicate: false,
                };
                return json(200, &ignored);
            }
            return order_event(&ctx, envelope.id, OrderEvent::ReadyForPickup(data)).await;
        }
        CoreEvent::OrderCancelled(data) => {
            return order_event(&ctx, envelope.id, OrderEvent::Cancelled(data)).await
        }
        CoreEvent::MemberErased(data) => {
            return super::erasure::erase(&ctx, envelope.id, data.member_id).await
        }
    };
    let command = ApplyMemberEvent {
        member_id: member_id.clone(),
        event_id: envelope.id,
        event: member_event,
        now: Instant(ctx.now),
        multiplier,
    };
    let reply = client::relay(&ctx.env, &member_id, command).await?;
    Ok(super::relay(200, reply))
}

/// Reads the share code and finds its owner, and hashes the device id: the member's object
/// gets neither the raw device id nor a code it would have to look up itself.
async fn registration(ctx: &Ctx, mut data: MemberRegistered) -> Result<Registration, ApiError> {
    let code = data.ref_code.as_deref().and_then(normalize_code);
    let inviter = match &code {
        Some(code) => code_owner(&ctx.env, code).await?,
        None => None,
    };
    let device = data
        .device_id
        .take()
        .filter(|device| !device.trim().is_empty())
        .map(|device| device_hash(ctx.config.referral_secret.as_bytes(), &device));
    Ok(Registration {
        data,
        code,
        inviter,
        device,
    })
}

/// The paid lines with the catalogue's classes (`domain::catalog::reclassify`).
async fn classify(ctx: &Ctx, lines: &mut [OrderLine]) -> Result<(), ApiError> {
    let skus: Vec<&str> = lines.iter().map(|line| line.sku.as_str()).collect();
    let current = catalog_client::current(&ctx.env, &skus).await?;
    reclassify(lines, |sku| current.get(sku));
    Ok(())
}

/// Order lifecycle events go to the order's own object, which dedupes them by id.
async fn order_event(ctx: &Ctx, event_id: String, event: OrderEvent) -> Result<Response, ApiError> {
    let order_id = event.order_id().clone();
    let command = ApplyEvent {
        event_id,
        event,
        now: Instant(ctx.now),
    };
    let reply = order_client::relay(&ctx.env, order_id.as_str(), command).await?;
    Ok(super::relay(200, reply))
}
