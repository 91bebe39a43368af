//! Public campaign rules, coupon claims, and store-poster links (扫码领券).

use super::checkins::member_context;
use super::Ctx;
use crate::domain::campaign::CampaignKind;
use crate::domain::ids::{CampaignId, StoreId};
use crate::domain::time::Instant;
use crate::http::auth;
use crate::http::bodies::ClaimBody;
use crate::http::error::ApiError;
use crate::http::request::{
    body_bytes, body_hash, idempotency_key, parse_json, path_id, query, require_json,
};
use crate::http::response::{json, redirect};
use crate::http::signature::verify_poster_signature;
use crate::http::url_text;
use crate::objects::campaign::client;
use crate::objects::campaign::protocol::{CountRejected, ListCampaigns, PublicView};
use crate::objects::member::client as member_client;
use crate::objects::member::protocol::ClaimRequest;
use serde_json::json;
use worker::Response;

fn campaign_id(ctx: &Ctx) -> Result<CampaignId, ApiError> {
    path_id(ctx.params.get("id"), "id", CampaignId::parse)
}

pub async fn list(ctx: Ctx) -> Result<Response, ApiError> {
    auth::member(&ctx.req, &ctx.config)?;
    let now = Instant(ctx.now);
    let ids = client::ask_directory(&ctx.env, ListCampaigns { now }).await?;
    let mut campaigns = Vec::with_capacity(ids.len());
    for id in ids.iter().filter_map(|id| CampaignId::parse(id).ok()) {
        // As a `Value`: written sorted, as `json!` wrote the view before.
        let campaign = client::relay(&ctx.env, &id, PublicView { now }).await?;
        campaigns.push(campaign.into_value()?);
    }
    json(200, &json!({ "campaigns": campaigns }))
}

pub async fn get(ctx: Ctx) -> Result<Response, ApiError> {
    auth::member(&ctx.req, &ctx.config)?;
    let id = campaign_id(&ctx)?;
    let now = Instant(ctx.now);
    let campaign = client::relay(&ctx.env, &id, PublicView { now }).await?;
    Ok(super::relay(200, campaign))
}

/// Counts a refusal decided here (a bad poster link), after the response is sent. The
/// member's object counts its own (eligibility, limits, sold out), once per claim.
fn count_rejection(ctx: &Ctx, id: &CampaignId, error: &ApiError) {
    let reason = match error {
        ApiError::InvalidPosterSignature => error.code(),
        _ => return,
    };
    let (env, id) = (ctx.env.clone(), id.clone());
    ctx.worker_ctx.wait_until(async move {
        let _ = client::ask(&env, &id, CountRejected { reason }).await;
    });
}

pub async fn claim(mut ctx: Ctx) -> Result<Response, ApiError> {
    let claims = super::writing_member(&ctx).await?;
    let id = campaign_id(&ctx)?;
    let key = idempotency_key(&ctx.req)?;
    let raw = body_bytes(&mut ctx.req).await?;
    let body: ClaimBody = if raw.iter().all(u8::is_ascii_whitespace) {
        ClaimBody::default()
    } else {
        require_json(&ctx.req)?;
        parse_json(&raw)?
    };
    if let Some(attribution) = &body.attribution {
        attribution.check().map_err(ApiError::invalid)?;
    }
    let terms = client::terms(&ctx.env, &id).await?;
    let result = claim_with_terms(&ctx, claims, &id, key, body, &raw, &terms).await;
    if let Err(error) = &result {
        count_rejection(&ctx, &id, error);
    }
    json(201, &result?)
}

async fn claim_with_terms(
    ctx: &Ctx,
    claims: crate::http::jwt::MemberClaims,
    id: &CampaignId,
    key: Option<String>,
    body: ClaimBody,
    raw: &[u8],
    terms: &crate::objects::campaign::protocol::ClaimTerms,
) -> Result<serde_json::Value, ApiError> {
    // A points multiplier (member day) multiplies order points; it has no coupon to claim.
    if terms.config.kind == CampaignKind::PointsMultiplier {
        return Err(ApiError::NotEligible {
            reason: "not_claimable".into(),
        });
    }
    // A store is only ever attributed through a signed poster link; a store poster campaign
    // can only be claimed through one.
    let poster_needed = terms.config.kind == CampaignKind::StorePoster || body.store_id.is_some();
    if poster_needed {
        let (Some(store_id), Some(signature)) = (&body.store_id, &body.poster_sig) else {
            return Err(ApiError::InvalidPosterSignature);
        };
        if !verify_poster_signature(
            ctx.config.poster_signing_secret.as_bytes(),
            id.as_str(),
            store_id.as_str(),
            signature,
        ) {
            return Err(ApiError::InvalidPosterSignature);
        }
    }
    // A scheduled campaign: the occurrence open now (its own stock and limits), or 409; a
    // keyed claim still goes to the member's object, where the key's first answer wins.
    let (occurrence, closed) = match &terms.config.schedule {
        None => (None, None),
        Some(_) => match client::open_occurrence(&ctx.env, id, Instant(ctx.now)).await {
            Ok(open) => (Some(open), None),
            Err(refusal) if key.is_some() && refusal.is_final_refusal() => (None, Some(refusal)),
            Err(error) => return Err(error),
        },
    };
    let member = member_context(claims);
    let member_id = member.member_id.clone();
    let command = ClaimRequest {
        member,
        terms: terms.clone(),
        store_id: body.store_id,
        idempotency_key: key,
        body_hash: body_hash(id.as_str(), raw),
        now: Instant(ctx.now),
        occurrence,
        closed,
        attribution: body.attribution.map(Box::new),
    };
    member_client::ask(&ctx.env, &member_id, command).await
}

/// GET /s/{campaign}/{store}?sig= : the store poster's QR link. Checks the signature, then
/// sends the member to the claim page with what it needs to claim with attribution.
pub async fn poster_link(ctx: Ctx) -> Result<Response, ApiError> {
    let id = path_id(ctx.params.get("campaign"), "campaign", CampaignId::parse)
        .map_err(|_| ApiError::InvalidPosterSignature)?;
    let store = path_id(ctx.params.get("store"), "store", StoreId::parse)
        .map_err(|_| ApiError::InvalidPosterSignature)?;
    let signature = query(&ctx.req, "sig")?.unwrap_or_default();
    if !verify_poster_signature(
        ctx.config.poster_signing_secret.as_bytes(),
        id.as_str(),
        store.as_str(),
        &signature,
    ) {
        return Err(ApiError::InvalidPosterSignature);
    }
    // By default the claim page of this worker (the origin the poster was scanned on).
    let landing = match &ctx.config.claim_page_url {
        Some(url) => url.clone(),
        None => {
            let origin = url_text::origin(ctx.req.url()).ok_or(ApiError::Internal)?;
            format!("{origin}/m/campaigns/{id}")
        }
    };
    let tag = poster_tag(&id);
    let mut pairs = vec![
        ("campaign", id.as_str()),
        ("store", store.as_str()),
        ("sig", signature.as_str()),
    ];
    pairs.extend(tag.utm_pairs());
    redirect(&url_text::with_query(&landing, &pairs))
}

/// For the marketing API: the signed poster link of a store.
pub fn poster_url(
    env_config: &crate::config::Config,
    id: &CampaignId,
    store: &StoreId,
) -> (String, String) {
    let signature = crate::http::signature::poster_signature(
        env_config.poster_signing_secret.as_bytes(),
        id.as_str(),
        store.as_str(),
    );
    let tag: Vec<String> = poster_tag(id)
        .utm_pairs()
        .into_iter()
        .map(|(key, value)| format!("&{key}={value}"))
        .collect();
    (
        format!(
            "{}/s/{id}/{store}?sig={signature}{}",
            env_config.public_base_url,
            tag.concat()
        ),
        signature,
    )
}

/// A store poster's tag: scanned from print, for this campaign.
pub fn poster_tag(id: &CampaignId) -> crate::domain::attribution::Attribution {
    crate::domain::attribution::link_tag("poster", "qr", id.as_str())
}
