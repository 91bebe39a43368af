//! The store's one-scan entry (一码通): `GET /e/{store}` (no auth), and its QR for the
//! console, `GET /v1/admin/stores/{store}/entry.svg` (marketing or admin).

use super::Ctx;
use crate::domain::campaign::{CampaignKind, Status};
use crate::domain::ids::{CampaignId, StoreId};
use crate::domain::pickup;
use crate::domain::time::Instant;
use crate::http::auth;
use crate::http::error::ApiError;
use crate::http::jwt::Role;
use crate::http::request::path_id;
use crate::http::response::with_type;
use crate::http::signature::poster_signature;
use crate::objects::campaign::client;
use crate::objects::campaign::protocol::{ListCampaigns, PublicView};
use crate::objects::campaign::views::status_and_kind;
use crate::pages::entry::{self, EntryCampaign};
use worker::Response;

/// At most this many campaigns are listed (the newest the directory gives).
const MAX_LISTED: usize = 20;

fn page(status: u16, html: String) -> Result<Response, ApiError> {
    let response = with_type(html, status, "text/html; charset=utf-8");
    for (name, value) in entry::headers() {
        response
            .headers()
            .set(name, &value)
            .map_err(|_| ApiError::Internal)?;
    }
    Ok(response)
}

/// `GET /e/{store}`: registration, points and the store's current campaigns, each link
/// tagged `utm_source=entry&utm_medium=qr` with the store; a malformed store id is a 404 page.
pub async fn show(ctx: Ctx) -> Result<Response, ApiError> {
    let landing = ctx.config.referral_landing_url.clone();
    let Ok(store) = StoreId::parse(ctx.params.get("store").unwrap_or_default()) else {
        return page(404, entry::unknown(&landing));
    };
    let campaigns = current(&ctx, &store).await?;
    page(200, entry::render(store.as_str(), &landing, &campaigns))
}

/// Active and upcoming campaigns: a store-poster campaign links to the claim page with this
/// store's signature (the entry is the store's own code), any other to the claim page.
async fn current(ctx: &Ctx, store: &StoreId) -> Result<Vec<EntryCampaign>, ApiError> {
    let now = Instant(ctx.now);
    let ids = client::ask_directory(&ctx.env, ListCampaigns { now }).await?;
    let mut listed = Vec::new();
    for id in ids.iter().filter_map(|id| CampaignId::parse(id).ok()) {
        if listed.len() >= MAX_LISTED {
            break;
        }
        let campaign = client::relay(&ctx.env, &id, PublicView { now }).await?;
        let campaign = campaign.into_value()?;
        let (status, kind) = status_and_kind(&campaign).ok_or(ApiError::Internal)?;
        let status = match status {
            Status::Active => "进行中",
            Status::Scheduled => "即将开始",
            Status::Paused | Status::Ended => continue,
        };
        let claim_page = format!("/m/campaigns/{id}");
        let url = if kind == CampaignKind::StorePoster {
            let sig = poster_signature(
                ctx.config.poster_signing_secret.as_bytes(),
                id.as_str(),
                store.as_str(),
            );
            entry::tagged_url(
                &claim_page,
                &[
                    ("campaign", id.as_str()),
                    ("store", store.as_str()),
                    ("sig", &sig),
                ],
                id.as_str(),
            )
        } else {
            entry::tagged_url(&claim_page, &[("store", store.as_str())], id.as_str())
        };
        listed.push(EntryCampaign {
            id: id.to_string(),
            name: campaign["name"].as_str().unwrap_or_default().to_owned(),
            status,
            url,
        });
    }
    Ok(listed)
}

/// The entry's own link, as printed: tagged too.
pub fn entry_url(ctx: &Ctx, store: &StoreId) -> String {
    entry::tagged_url(
        &format!("{}/e/{store}", ctx.config.public_base_url),
        &[],
        store.as_str(),
    )
}

/// `GET /v1/admin/stores/{store}/entry.svg`: the store's one QR, to print.
pub async fn qr_svg(ctx: Ctx) -> Result<Response, ApiError> {
    auth::staff(&ctx.req, &ctx.config, &[Role::Marketing, Role::Admin])?;
    let store = path_id(ctx.params.get("store"), "store", StoreId::parse)?;
    let svg = pickup::qr_svg(&entry_url(&ctx, &store)).ok_or(ApiError::Internal)?;
    Ok(with_type(svg, 200, "image/svg+xml"))
}
