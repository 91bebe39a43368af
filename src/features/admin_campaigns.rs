//! The marketing API: create, read with live stats and audit trail, change, poster links.

use super::campaigns::poster_url;
use super::Ctx;
use crate::domain::campaign::{check_gift, CampaignConfig, ConfigRefusal};
use crate::domain::campaign_patch::etag;
use crate::domain::ids::{CampaignId, StoreId};
use crate::domain::pickup::qr_svg;
use crate::domain::time::Instant;
use crate::http::auth;
use crate::http::error::ApiError;
use crate::http::jwt::{Role, StaffClaims};
use crate::http::request::{body_hash, header, idempotency_key, json_body, path_id};
use crate::http::response::json;
use crate::objects::campaign::client;
use crate::objects::campaign::protocol::{
    AdminCampaign, AdminView, AllCampaigns, CampaignPatch, ClaimTerms, CreateCampaign,
    PatchCampaign, ReserveCreateKey,
};
use crate::objects::catalog::client as catalog_client;
use futures_util::future::join_all;
use serde_json::json;
use worker::Response;

const ROLES: &[Role] = &[Role::Marketing, Role::Admin];

fn operator(ctx: &Ctx) -> Result<StaffClaims, ApiError> {
    auth::staff(&ctx.req, &ctx.config, ROLES)
}

fn refused(refusal: ConfigRefusal) -> ApiError {
    match refusal {
        ConfigRefusal::Invalid(detail) => ApiError::InvalidCampaign { detail },
        ConfigRefusal::NonCompliant(detail) => ApiError::NonCompliantReward { detail },
    }
}

fn campaign_id(ctx: &Ctx) -> Result<CampaignId, ApiError> {
    path_id(ctx.params.get("id"), "id", CampaignId::parse)
}

pub async fn create(mut ctx: Ctx) -> Result<Response, ApiError> {
    let staff = operator(&ctx)?;
    let key = idempotency_key(&ctx.req)?;
    let (config, raw): (CampaignConfig, _) = json_body(&mut ctx.req).await?;
    config.validate().map_err(refused)?;
    crate::domain::schedule_campaign::check_in_zone(&config, &ctx.config.rules.zone)
        .map_err(refused)?;
    if let Some(gift) = &config.gift {
        // What the gift is, the catalogue says (as of now).
        let current = catalog_client::current(&ctx.env, &[gift.sku.as_str()]).await?;
        check_gift(current.get(&gift.sku)).map_err(refused)?;
    }
    let hash = body_hash("campaigns", &raw);
    if let Some(key) = &key {
        let reserve = ReserveCreateKey {
            key: key.clone(),
            body_hash: hash.clone(),
            campaign_id: config.id.clone(),
        };
        client::ask_directory(&ctx.env, reserve).await?;
    }
    let id = config.id.clone();
    let command = CreateCampaign {
        config: Box::new(config),
        actor: staff.sub.to_string(),
        idempotency_key: key,
        body_hash: hash,
        now: Instant(ctx.now),
    };
    let campaign = client::ask(&ctx.env, &id, command).await?;
    with_etag(201, &campaign)
}

/// The campaign view with its `ETag`, for a later `If-Match`.
fn with_etag(status: u16, campaign: &AdminCampaign) -> Result<Response, ApiError> {
    let response = json(status, campaign)?;
    response
        .headers()
        .set("ETag", &etag(campaign.revision))
        .map_err(|_| ApiError::Internal)?;
    Ok(response)
}

pub async fn get(ctx: Ctx) -> Result<Response, ApiError> {
    operator(&ctx)?;
    let id = campaign_id(&ctx)?;
    let now = Instant(ctx.now);
    let campaign = client::ask(&ctx.env, &id, AdminView { now }).await?;
    with_etag(200, &campaign)
}

/// (idem) A repeat with the same key gets the first answer; `If-Match` makes two operators'
/// edits safe; a top-up with neither is refused, since a blind retry would add twice.
pub async fn update(mut ctx: Ctx) -> Result<Response, ApiError> {
    let staff = operator(&ctx)?;
    let id = campaign_id(&ctx)?;
    let key = idempotency_key(&ctx.req)?;
    let if_match = header(&ctx.req, "If-Match");
    let (patch, raw): (CampaignPatch, _) = json_body(&mut ctx.req).await?;
    // `If-Match: *` matches whatever is there, so it does not make a blind retry safe; an
    // empty one names nothing.
    let if_match = if_match.filter(|tags| !tags.trim().is_empty());
    let guarded = if_match.as_deref().is_some_and(|tags| tags.trim() != "*");
    if patch.needs_precondition() && key.is_none() && !guarded {
        return Err(ApiError::PreconditionRequired {
            detail: "add_stock needs an Idempotency-Key or an If-Match with the ETag, so a retry cannot add twice"
                .into(),
        });
    }
    let command = PatchCampaign {
        patch,
        actor: staff.sub.to_string(),
        now: Instant(ctx.now),
        idempotency_key: key,
        body_hash: body_hash(&format!("campaign-patch:{id}"), &raw),
        if_match,
    };
    let campaign = client::ask(&ctx.env, &id, command).await?;
    client::forget_dry(id.as_str(), campaign.shard_count);
    // A top-up of a scheduled campaign grows the occurrence open now.
    for occurrence in campaign.occurrences.iter().filter(|o| o.state == "open") {
        let scope = crate::domain::schedule_campaign::scope(&id, Some(&occurrence.key));
        client::forget_dry(&scope, campaign.shard_count);
    }
    with_etag(200, &campaign)
}

/// How many campaigns the console lists, and how many views are fetched at once.
const LIST_LIMIT: u32 = 100;
const FETCH_AT_ONCE: usize = 10;

/// GET /v1/admin/campaigns: every campaign's admin view with live stats, newest first.
pub async fn list(ctx: Ctx) -> Result<Response, ApiError> {
    operator(&ctx)?;
    let now = Instant(ctx.now);
    let ids = client::ask_directory(&ctx.env, AllCampaigns { limit: LIST_LIMIT }).await?;
    let ids: Vec<CampaignId> = ids
        .iter()
        .filter_map(|id| CampaignId::parse(id).ok())
        .collect();
    let mut campaigns: Vec<AdminCampaign> = Vec::with_capacity(ids.len());
    for batch in ids.chunks(FETCH_AT_ONCE) {
        let views = join_all(
            batch
                .iter()
                .map(|id| client::ask(&ctx.env, id, AdminView { now })),
        )
        .await;
        for view in views {
            campaigns.push(view?);
        }
    }
    json(200, &json!({ "campaigns": campaigns }))
}

pub async fn poster(ctx: Ctx) -> Result<Response, ApiError> {
    operator(&ctx)?;
    let id = campaign_id(&ctx)?;
    let store = path_id(ctx.params.get("store"), "store", StoreId::parse)?;
    let _: std::rc::Rc<ClaimTerms> = client::terms(&ctx.env, &id).await?;
    let (url, sig) = poster_url(&ctx.config, &id, &store);
    // The QR to print, drawn here so the console needs no QR library.
    let svg = qr_svg(&url).ok_or(ApiError::Internal)?;
    json(
        200,
        &json!({ "campaign_id": id, "store_id": store, "sig": sig, "url": url, "svg": svg }),
    )
}
