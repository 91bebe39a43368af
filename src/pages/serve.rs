//! Serving the pages and their assets, with ETags so a revisit costs a 304.

use super::site::{self, Asset, Page};
use crate::features::Ctx;
use crate::http::error::ApiError;
use crate::http::request::query;
use std::sync::OnceLock;
use worker::{Headers, Response};

/// Each page rendered once per isolate, with its ETag.
fn rendered(page: &Page) -> &'static (String, String) {
    static RENDERED: OnceLock<Vec<(String, String)>> = OnceLock::new();
    let all = RENDERED.get_or_init(|| {
        site::PAGES
            .iter()
            .map(|page| {
                let html = site::render(page);
                let etag = format!("\"{}\"", site::fingerprint(html.as_bytes()));
                (html, etag)
            })
            .collect()
    });
    let index = site::PAGES
        .iter()
        .position(|p| p.name == page.name)
        .unwrap_or_default();
    &all[index]
}

/// The headers of an answer, and whether the client's `If-None-Match` already holds `etag`.
fn headers_for(
    ctx: &Ctx,
    etag: &str,
    headers: Vec<(&'static str, String)>,
) -> Result<(Headers, bool), ApiError> {
    let out = Headers::new();
    for (name, value) in headers {
        out.set(name, &value).map_err(|_| ApiError::Internal)?;
    }
    out.set("ETag", etag).map_err(|_| ApiError::Internal)?;
    let not_modified = ctx
        .req
        .header("If-None-Match")
        .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == etag));
    Ok((out, not_modified))
}

fn respond(
    ctx: &Ctx,
    body: &str,
    etag: &str,
    headers: Vec<(&'static str, String)>,
) -> Result<Response, ApiError> {
    let (out, not_modified) = headers_for(ctx, etag, headers)?;
    let builder = Response::builder().with_headers(out);
    Ok(if not_modified {
        builder.with_status(304).empty()
    } else {
        builder.with_status(200).fixed(body.as_bytes().to_vec())
    })
}

/// A page by name (the route table names it).
pub async fn page(ctx: Ctx, name: &'static str) -> Result<Response, ApiError> {
    let page = site::page(name).ok_or(ApiError::NotFound)?;
    let (html, etag) = rendered(page);
    respond(&ctx, html, etag, site::page_headers(page))
}

/// `/assets/{name}`: immutable when asked for by its current version, revalidated otherwise.
/// The bytes come from the static assets (`ASSETS`), not from the wasm; the headers are ours.
pub async fn asset(ctx: Ctx) -> Result<Response, ApiError> {
    let asset: &Asset = ctx
        .params
        .get("name")
        .and_then(site::asset)
        .ok_or(ApiError::NotFound)?;
    let current = site::is_current(asset, query(&ctx.req, "v")?.as_deref());
    let etag = format!("\"{}\"", asset.version());
    let (out, not_modified) = headers_for(&ctx, &etag, site::asset_headers(asset, current))?;
    let builder = Response::builder().with_headers(out);
    if not_modified {
        return Ok(builder.with_status(304).empty());
    }
    let mut stored = ctx
        .env
        .assets("ASSETS")
        .map_err(|_| ApiError::Internal)?
        .fetch(format!("https://assets.invalid/{}", asset.name), None)
        .await
        .map_err(|_| ApiError::Unavailable)?;
    if stored.status_code() != 200 {
        worker::console_error!("asset {} answered {}", asset.name, stored.status_code());
        return Err(ApiError::Internal);
    }
    let bytes = stored.bytes().await.map_err(|_| ApiError::Unavailable)?;
    Ok(builder.with_status(200).fixed(bytes))
}
