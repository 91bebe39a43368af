use super::Ctx;
use crate::http::error::ApiError;
use crate::http::response::{json_text, Answer};
use serde_json::json;

pub async fn get(ctx: Ctx) -> Result<Answer, ApiError> {
    json_text(
        200,
        &json!({ "status": "ok", "version": ctx.config.version }),
    )
}
