//! The member centre summary: tier, points, check-in streak, coupons.

use super::checkins::member_context;
use super::Ctx;
use crate::domain::time::Instant;
use crate::http::auth;
use crate::http::error::ApiError;
use crate::http::response::Answer;
use crate::objects::member::client;
use crate::objects::member::protocol::GetSummary;

pub async fn get(ctx: Ctx) -> Result<Answer, ApiError> {
    let claims = auth::member(&ctx.req, &ctx.config)?;
    let member = member_context(claims);
    let member_id = member.member_id.clone();
    let command = GetSummary {
        member,
        now: Instant(ctx.now),
    };
    let reply = client::relay(&ctx.env, &member_id, command).await?;
    Ok(super::relay_lean(200, reply))
}
