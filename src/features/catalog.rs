//! The catalogue: pushed by the core (signed), read by pages, stopped by admins. Orders read
//! it through `objects::catalog::client` (see `orders`).

use super::Ctx;
use crate::domain::catalog::{CatalogBatch, SaleStatus};
use crate::domain::ids::is_valid_id;
use crate::http::auth;
use crate::http::bodies::CatalogStatusBody;
use crate::http::error::ApiError;
use crate::http::jwt::Role;
use crate::http::request::{body_bytes_up_to, body_hash, json_body, parse_json, require_json};
use crate::http::response::json;
use crate::objects::catalog::client;
use crate::objects::catalog::protocol::{GetAdmin, ItemView, PushBatch, SetStop};
use worker::Response;

/// How long a browser or CDN may keep a page's copy of an item. Orders never rely on it.
const PAGE_MAX_AGE_S: u32 = 30;
/// A batch may hold 1,000 items, about 100 bytes each at the least and about 4 KiB at the
/// most (200-character names and 100-character categories, every character \u-escaped as a
/// surrogate pair): the 64 KiB limit of other bodies would refuse any full batch.
const MAX_BATCH_BODY_BYTES: usize = 4 * 1024 * 1024;

fn sku_param(ctx: &Ctx) -> Result<String, ApiError> {
    let raw = ctx.params.get("sku").unwrap_or_default();
    if is_valid_id(raw) {
        Ok(raw.to_owned())
    } else {
        Err(ApiError::invalid("sku: must match [A-Za-z0-9_-]{1,64}"))
    }
}

/// POST /v1/core/catalog: the signature over the raw body first, then the whole batch is
/// checked before anything is applied.
pub async fn push(mut ctx: Ctx) -> Result<Response, ApiError> {
    let body = body_bytes_up_to(&mut ctx.req, MAX_BATCH_BODY_BYTES).await?;
    auth::core_signature(&ctx.req, &body, &ctx.config)?;
    require_json(&ctx.req)?;
    let batch: CatalogBatch = parse_json(&body)?;
    batch.validate().map_err(ApiError::invalid)?;
    let command = PushBatch {
        body_hash: body_hash("catalog", &body),
        batch,
        now_ms: ctx.now.timestamp_millis(),
    };
    let reply = client::relay(&ctx.env, command).await?;
    Ok(super::relay(200, reply))
}

/// GET /v1/catalog/{sku}: KV's copy, for pages (eventually consistent; see README).
pub async fn get(ctx: Ctx) -> Result<Response, ApiError> {
    let sku = sku_param(&ctx)?;
    let item = client::from_kv(&ctx.env, &sku)
        .await?
        .ok_or_else(|| ApiError::UnknownSku {
            detail: format!("no catalogue item {sku}"),
            line: None,
        })?;
    let response = json(200, &ItemView::from(&item))?;
    let _ = response.headers().set(
        "Cache-Control",
        &format!("public, max-age={PAGE_MAX_AGE_S}"),
    );
    Ok(response)
}

/// PATCH /v1/admin/catalog/{sku} (admin only, audited): acknowledged once the authority
/// holds it, so every order placed after the answer is refused.
pub async fn set_status(mut ctx: Ctx) -> Result<Response, ApiError> {
    let staff = auth::staff(&ctx.req, &ctx.config, &[Role::Admin])?;
    let sku = sku_param(&ctx)?;
    let (body, _): (CatalogStatusBody, Vec<u8>) = json_body(&mut ctx.req).await?;
    body.check().map_err(ApiError::invalid)?;
    let command = SetStop {
        sku,
        stop: body.status == SaleStatus::Stopped,
        reason: body.reason.trim().to_owned(),
        staff_id: staff.sub.to_string(),
        now_ms: ctx.now.timestamp_millis(),
    };
    let view = client::relay(&ctx.env, command).await?;
    Ok(super::relay(200, view))
}

/// GET /v1/admin/catalog/{sku}: the item as orders see it, its stops and its audit trail.
pub async fn admin_get(ctx: Ctx) -> Result<Response, ApiError> {
    auth::staff(&ctx.req, &ctx.config, &[Role::Marketing, Role::Admin])?;
    let sku = sku_param(&ctx)?;
    let view = client::relay(&ctx.env, GetAdmin { sku }).await?;
    Ok(super::relay(200, view))
}
