//! The member's coupon wallet.

use super::checkins::member_context;
use super::Ctx;
use crate::domain::coupon::CouponStatus;
use crate::domain::time::Instant;
use crate::http::auth;
use crate::http::error::ApiError;
use crate::http::request::query;
use crate::objects::member::client;
use crate::objects::member::protocol::ListCoupons;
use worker::Response;

pub async fn list(ctx: Ctx) -> Result<Response, ApiError> {
    let claims = auth::member(&ctx.req, &ctx.config)?;
    let status = match query(&ctx.req, "status")? {
        None => None,
        Some(raw) => Some(CouponStatus::parse(&raw).ok_or_else(|| {
            ApiError::invalid("status: one of available, locked, redeemed, expired")
        })?),
    };
    let member = member_context(claims);
    let member_id = member.member_id.clone();
    let command = ListCoupons {
        member,
        now: Instant(ctx.now),
        status,
    };
    let reply = client::relay(&ctx.env, &member_id, command).await?;
    Ok(super::relay(200, reply))
}
