//! In-store pickup (到店自提/核销): the member's rotating code and QR, and the counter's
//! verification and waiting list.

use super::Ctx;
use crate::config::STORE_OBJECT;
use crate::domain::ids::OrderId;
use crate::domain::pickup;
use crate::domain::time::Instant;
use crate::http::auth;
use crate::http::bodies::VerifyBody;
use crate::http::error::ApiError;
use crate::http::jwt::{Role, StaffClaims};
use crate::http::request::{json_body, path_id, query};
use crate::http::response::with_type;
use crate::objects::order::client;
use crate::objects::order::protocol::{Counter, GetPickupCode, PickupCodeReply, PresentedCode};
use crate::objects::relay::Relayed;
use crate::objects::rpc::relay_object;
use crate::objects::store::{ListReply, StoreCommand};
use worker::Response;

async fn current_code(ctx: &Ctx) -> Result<Relayed<PickupCodeReply>, ApiError> {
    let claims = auth::member(&ctx.req, &ctx.config)?;
    let order_id = path_id(ctx.params.get("order_id"), "order_id", OrderId::parse)?;
    let command = GetPickupCode {
        member_id: claims.sub,
        now: Instant(ctx.now),
    };
    client::relay(&ctx.env, order_id.as_str(), command).await
}

pub async fn code(ctx: Ctx) -> Result<Response, ApiError> {
    Ok(super::relay(200, current_code(&ctx).await?))
}

pub async fn qr_svg(ctx: Ctx) -> Result<Response, ApiError> {
    let reply = current_code(&ctx).await?.into_value()?;
    let qr = reply["qr"].as_str().ok_or(ApiError::Internal)?;
    let svg = pickup::qr_svg(qr).ok_or(ApiError::Internal)?;
    Ok(with_type(svg, 200, "image/svg+xml"))
}

const MAX_CODE_LEN: usize = 512;

fn presented(body: VerifyBody) -> Result<(OrderId, PresentedCode), ApiError> {
    match body {
        VerifyBody {
            code: Some(text),
            order_id: None,
            short_code: None,
        } => {
            if text.len() > MAX_CODE_LEN {
                return Err(ApiError::InvalidCode);
            }
            // A scan that is not one of our codes names no order.
            let scanned = pickup::parse_qr(&text).map_err(|_| ApiError::InvalidCode)?;
            let order_id = OrderId::parse(&scanned.order_id).map_err(|_| ApiError::InvalidCode)?;
            Ok((order_id, PresentedCode::Qr(text)))
        }
        VerifyBody {
            code: None,
            order_id: Some(order_id),
            short_code: Some(short_code),
        } => {
            if short_code.len() > MAX_CODE_LEN {
                return Err(ApiError::InvalidCode);
            }
            Ok((order_id, PresentedCode::Short(short_code)))
        }
        _ => Err(ApiError::invalid(
            "body: either {code} (a scanned QR) or {order_id, short_code}",
        )),
    }
}

fn counter_staff(ctx: &Ctx) -> Result<StaffClaims, ApiError> {
    auth::staff(&ctx.req, &ctx.config, &[Role::Clerk, Role::Pharmacist])
}

pub async fn verify(mut ctx: Ctx) -> Result<Response, ApiError> {
    let staff = counter_staff(&ctx)?;
    let store_id = staff.store.clone().ok_or(ApiError::Forbidden {
        detail: "store staff only".into(),
    })?;
    let (body, _): (VerifyBody, Vec<u8>) = json_body(&mut ctx.req).await?;
    let (order_id, code) = presented(body)?;
    let command = StoreCommand::Verify {
        order_id,
        counter: Counter {
            staff_id: staff.sub,
            store_id: store_id.clone(),
            is_pharmacist: staff.role == Role::Pharmacist,
        },
        code,
        now: Instant(ctx.now),
    };
    let reply: Relayed<serde_json::Value> =
        relay_object(&ctx.env, STORE_OBJECT, store_id.as_str(), &command).await?;
    Ok(super::relay(200, reply))
}

pub async fn waiting(ctx: Ctx) -> Result<Response, ApiError> {
    let staff = counter_staff(&ctx)?;
    let store_id = staff.store.ok_or(ApiError::Forbidden {
        detail: "store staff only".into(),
    })?;
    match query(&ctx.req, "status")?.as_deref() {
        None | Some("ready") => {}
        Some(_) => return Err(ApiError::invalid("status: only ready is listed")),
    }
    let command = StoreCommand::List {
        now: Instant(ctx.now),
    };
    let reply: Relayed<ListReply> =
        relay_object(&ctx.env, STORE_OBJECT, store_id.as_str(), &command).await?;
    Ok(super::relay(200, reply))
}
