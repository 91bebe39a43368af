//! The member's points ledger, newest first, paged by cursor.

use super::checkins::member_context;
use super::Ctx;
use crate::domain::time::Instant;
use crate::http::auth;
use crate::http::error::ApiError;
use crate::http::request::query;
use crate::objects::member::client;
use crate::objects::member::protocol::GetLedger;
use worker::Response;

const DEFAULT_PAGE: i64 = 50;
const MAX_PAGE: i64 = 200;

pub async fn ledger(ctx: Ctx) -> Result<Response, ApiError> {
    let claims = auth::member(&ctx.req, &ctx.config)?;
    let before_id = match query(&ctx.req, "cursor")?.filter(|c| !c.is_empty()) {
        None => None,
        Some(raw) => Some(
            raw.parse::<i64>()
                .ok()
                .filter(|id| *id > 0)
                .ok_or_else(|| ApiError::invalid("cursor: not a cursor from a previous page"))?,
        ),
    };
    let limit = match query(&ctx.req, "limit")? {
        None => DEFAULT_PAGE,
        Some(raw) => raw
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| ApiError::invalid(format!("limit: an integer from 1 to {MAX_PAGE}")))?,
    };
    let member = member_context(claims);
    let member_id = member.member_id.clone();
    let command = GetLedger {
        member,
        now: Instant(ctx.now),
        before_id,
        limit,
    };
    let reply = client::relay(&ctx.env, &member_id, command).await?;
    Ok(super::relay(200, reply))
}
