//! Operators' view of the deliveries that gave up, and their replay.

use super::Ctx;
use crate::http::auth;
use crate::http::error::ApiError;
use crate::http::jwt::Role;
use crate::http::request::{idempotency_key, path_id};
use crate::http::response::json;
use crate::objects::dead_letters;
use serde_json::json;
use worker::Response;

const LIST_LIMIT: i64 = 500;
const AUDIT_LIMIT: i64 = 100;

pub async fn dead(ctx: Ctx) -> Result<Response, ApiError> {
    auth::staff(&ctx.req, &ctx.config, &[Role::Marketing, Role::Admin])?;
    let deliveries = dead_letters::list(&ctx.env, LIST_LIMIT).await?;
    let replays = dead_letters::replays(&ctx.env, AUDIT_LIMIT).await?;
    json(
        200,
        &json!({ "deliveries": deliveries, "replays": replays }),
    )
}

/// (idem, audited) A repeat with the same key answers 202 again and replays nothing.
pub async fn replay(ctx: Ctx) -> Result<Response, ApiError> {
    let staff = auth::staff(&ctx.req, &ctx.config, &[Role::Marketing, Role::Admin])?;
    let key = idempotency_key(&ctx.req)?;
    let id = path_id(ctx.params.get("id"), "id", |raw| {
        if crate::domain::ids::is_valid_id(raw) {
            Ok(raw.to_owned())
        } else {
            Err(crate::domain::ids::InvalidId)
        }
    })?;
    let request = dead_letters::ReplayRequest {
        id: id.clone(),
        actor: staff.sub.to_string(),
        idempotency_key: key,
    };
    dead_letters::replay(&ctx.env, request).await?;
    json(202, &json!({ "id": id, "replayed": true }))
}
