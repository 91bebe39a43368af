//! Daily check-in, the month view and make-up check-ins.

use super::Ctx;
use crate::domain::time::Instant;
use crate::http::bodies::{CheckinBody, MakeupBody};
use crate::http::error::ApiError;
use crate::http::request::{json_body, optional_json_body, query};
use crate::http::response::Answer;
use crate::http::{auth, jwt::MemberClaims};
use crate::objects::member::client;
use crate::objects::member::protocol::{Checkin, GetMonth, Makeup, MemberContext};
use worker::Response;

pub fn member_context(claims: MemberClaims) -> MemberContext {
    MemberContext {
        member_id: claims.sub,
        registered_at_s: claims.reg,
    }
}

pub async fn create(mut ctx: Ctx) -> Result<Answer, ApiError> {
    let claims = super::writing_member(&ctx).await?;
    let _: Option<CheckinBody> = optional_json_body(&mut ctx.req).await?;
    let member = member_context(claims);
    let member_id = member.member_id.clone();
    let command = Checkin {
        member,
        now: Instant(ctx.now),
    };
    let reply = client::relay(&ctx.env, &member_id, command).await?;
    let status = if reply.already_checked_in() { 200 } else { 201 };
    Ok(super::relay_lean(status, reply))
}

pub async fn month(ctx: Ctx) -> Result<Response, ApiError> {
    let claims = auth::member(&ctx.req, &ctx.config)?;
    let month = query(&ctx.req, "month")?.unwrap_or_default();
    if !month.is_empty() && crate::domain::time::YearMonth::parse(&month).is_none() {
        return Err(ApiError::invalid("month: expected YYYY-MM"));
    }
    let member = member_context(claims);
    let member_id = member.member_id.clone();
    let command = GetMonth {
        member,
        now: Instant(ctx.now),
        month,
    };
    let reply = client::relay(&ctx.env, &member_id, command).await?;
    Ok(super::relay(200, reply))
}

pub async fn makeup(mut ctx: Ctx) -> Result<Response, ApiError> {
    let claims = super::writing_member(&ctx).await?;
    let (body, _): (MakeupBody, _) = json_body(&mut ctx.req).await?;
    let member = member_context(claims);
    let member_id = member.member_id.clone();
    let command = Makeup {
        member,
        now: Instant(ctx.now),
        date: body.date,
    };
    let reply = client::relay(&ctx.env, &member_id, command).await?;
    Ok(super::relay(201, reply))
}
