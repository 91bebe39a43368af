use super::Ctx;
use crate::http::error::ApiError;
use crate::http::response::json;
use serde_json::json;
use worker::Response;

pub async fn get(ctx: Ctx) -> Result<Response, ApiError> {
    json(
        200,
        &json!({ "status": "ok", "version": ctx.config.version }),
    )
}
