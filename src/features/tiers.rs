//! GET /v1/tiers (no auth): the tier programme as published, from the configured rules.

use super::Ctx;
use crate::domain::tier_table::table;
use crate::http::error::ApiError;
use crate::http::response::json;
use worker::Response;

/// The table changes only with a deploy (configuration), so it may be cached briefly.
const MAX_AGE_S: u32 = 300;

pub async fn get(ctx: Ctx) -> Result<Response, ApiError> {
    let response = json(200, &table(&ctx.config.rules))?;
    let _ = response
        .headers()
        .set("Cache-Control", &format!("public, max-age={MAX_AGE_S}"));
    Ok(response)
}
