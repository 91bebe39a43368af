//! Orders placed at the edge (pickup or delivery): SKUs and quantities from the member,
//! priced, classed and checked from the catalogue, discounted with the member's coupon,
//! stored and acknowledged with 202, then forwarded to the core.

use super::Ctx;
use crate::domain::catalog::check_requests;
use crate::domain::ids::{digest_id, hex, is_valid_id, OrderId};
use crate::domain::time::Instant;
use crate::http::auth;
use crate::http::bodies::PlaceOrderBody;
use crate::http::error::ApiError;
use crate::http::request::{body_hash, idempotency_key, json_body, path_id};
use crate::objects::order::client;
use crate::objects::order::protocol::{GetOrder, PlaceOrder};
use worker::Response;

/// The order's id. With an Idempotency-Key it is derived from the member and the key, so a
/// retry reaches the same order object, which replays its first answer; without one it is
/// random.
fn order_id_for(member_id: &str, key: Option<&str>) -> Result<OrderId, ApiError> {
    let raw = match key {
        Some(key) => digest_id("ord", &[member_id, key], 16),
        None => {
            let mut random = [0_u8; 16];
            getrandom::fill(&mut random).map_err(|_| ApiError::Internal)?;
            format!("ord_{}", hex(&random))
        }
    };
    OrderId::parse(&raw).map_err(|_| ApiError::Internal)
}

pub async fn place(mut ctx: Ctx) -> Result<Response, ApiError> {
    let claims = super::writing_member(&ctx).await?;
    let key = idempotency_key(&ctx.req)?;
    let (body, raw): (PlaceOrderBody, Vec<u8>) = json_body(&mut ctx.req).await?;
    if body.coupon_id.as_deref().is_some_and(|id| !is_valid_id(id)) {
        return Err(ApiError::invalid(
            "coupon_id: must match [A-Za-z0-9_-]{1,64}",
        ));
    }
    if body
        .prescription_id
        .as_deref()
        .is_some_and(|id| !is_valid_id(id))
    {
        return Err(ApiError::invalid(
            "prescription_id: must match [A-Za-z0-9_-]{1,64}",
        ));
    }
    if let Some(attribution) = &body.attribution {
        attribution.check().map_err(ApiError::invalid)?;
    }
    // The shape of the lines; what they are and cost is the catalogue's (in the order object).
    check_requests(&body.lines).map_err(ApiError::invalid)?;
    let order_id = order_id_for(claims.sub.as_str(), key.as_deref())?;
    let command = PlaceOrder {
        order_id: order_id.clone(),
        member_id: claims.sub,
        store_id: body.store_id,
        fulfilment: body.fulfilment,
        lines: body.lines,
        coupon_id: body.coupon_id,
        prescription_id: body.prescription_id,
        body_hash: body_hash("orders", &raw),
        keyed: key.is_some(),
        now: Instant(ctx.now),
        attribution: body.attribution,
    };
    let reply = client::relay(&ctx.env, order_id.as_str(), command).await?;
    Ok(super::relay(202, reply))
}

pub async fn get(ctx: Ctx) -> Result<Response, ApiError> {
    let claims = auth::member(&ctx.req, &ctx.config)?;
    let order_id = path_id(ctx.params.get("id"), "id", OrderId::parse)?;
    let command = GetOrder {
        member_id: claims.sub,
        now: Some(Instant(ctx.now)),
    };
    let view = client::relay(&ctx.env, order_id.as_str(), command).await?;
    Ok(super::relay(200, view))
}
