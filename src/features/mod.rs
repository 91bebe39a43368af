//! One file per capability: each handler authenticates, parses, asks the owner object and
//! maps the answer.

pub mod admin_campaigns;
pub mod campaign_cron;
pub mod campaigns;
pub mod catalog;
pub mod checkins;
pub mod core_events;
pub mod coupons;
pub mod entry;
pub mod erasure;
pub mod health;
pub mod me;
pub mod multipliers;
pub mod orders;
pub mod outbox_admin;
pub mod pickups;
pub mod points;
pub mod referrals;
pub mod tiers;

use crate::config::Config;
use crate::http::error::ApiError;
use crate::http::jwt::MemberClaims;
use crate::http::rate_limit::{self, Limit};
use crate::http::request::Incoming;
use crate::http::router::Params;
use crate::objects::relay::Relayed;
use chrono::{DateTime, Utc};
use std::rc::Rc;
use worker::Env;

/// Everything a handler gets.
pub struct Ctx {
    pub req: Incoming,
    pub env: Env,
    pub config: Rc<Config>,
    pub params: Params,
    /// For work that may finish after the response (statistics).
    pub worker_ctx: worker::Context,
    /// The business clock (wall time unless the test clock is enabled).
    pub now: DateTime<Utc>,
}

/// The member behind a write, held to the per-member write limit (429 beyond it).
pub async fn writing_member(ctx: &Ctx) -> Result<MemberClaims, ApiError> {
    let claims = crate::http::auth::member(&ctx.req, &ctx.config)?;
    rate_limit::check(&ctx.env, Limit::MemberWrites, claims.sub.to_string()).await?;
    Ok(claims)
}

/// Answers an object's reply as the response's JSON body, as the object wrote it.
pub fn relay<R>(status: u16, reply: Relayed<R>) -> worker::Response {
    crate::http::response::with_type(reply.into_text(), status, "application/json; charset=utf-8")
}

/// `relay` as text, for the hot paths' lean answers (the same headers).
pub fn relay_lean<R>(status: u16, reply: Relayed<R>) -> crate::http::response::Answer {
    crate::http::response::Lean::new(status, "application/json; charset=utf-8", reply.into_text())
        .into()
}
