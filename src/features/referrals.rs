//! Referral links: the member's link and figures, the tap on a link (`GET /r/{code}`, the
//! most tapped URL of the system, so it answers from memory or KV and counts the click after
//! the redirect has gone out), and marketing's tallies.

use super::checkins::member_context;
use super::Ctx;
use crate::config::REFERRAL_LINKS_KV;
use crate::domain::attribution::{link_tag, Attribution};
use crate::domain::ids::MemberId;
use crate::domain::pickup;
use crate::domain::referral::{device_hash, normalize_code, tap_limit_key, visitor_hash};
use crate::domain::time::Instant;
use crate::http::auth;
use crate::http::bodies::LinkBody;
use crate::http::error::ApiError;
use crate::http::jwt::Role;
use crate::http::rate_limit::{self, Limit};
use crate::http::request::{header, optional_json_body};
use crate::http::response::{json, redirect_text, with_type, Answer};
use crate::http::url_text;
use crate::objects::member::client;
use crate::objects::member::protocol::{Click, GetLink, GetReferralSummary};
use crate::objects::referral_registry as registry;
use serde_json::json;
use std::cell::RefCell;
use std::collections::HashMap;
use worker::{Env, Response};

/// `utm_campaign` of share links.
pub const SHARE_CAMPAIGN: &str = "invite";
/// The `ref` cookie lives 7 days (the attribution window of the contract).
const COOKIE_MAX_AGE_S: i64 = 7 * 86_400;
/// Code owners remembered by this isolate (a code never changes owner).
const OWNER_CACHE_MAX: usize = 50_000;

thread_local! {
    static OWNERS: RefCell<HashMap<String, String>> = RefCell::new(HashMap::new());
}

/// Who owns `code` (canonical form): this isolate's memory, else KV, else the registry that
/// assigns codes (a code just created may not have reached this location's KV yet).
pub async fn code_owner(env: &Env, code: &str) -> Result<Option<MemberId>, ApiError> {
    if let Some(owner) = OWNERS.with(|owners| owners.borrow().get(code).cloned()) {
        return Ok(MemberId::parse(&owner).ok());
    }
    let from_kv = match env.kv(REFERRAL_LINKS_KV) {
        Ok(kv) => kv.get(code).text().await.unwrap_or_else(|err| {
            worker::console_warn!("referral links KV read failed: {err}");
            None
        }),
        Err(err) => {
            worker::console_error!("referral links KV unavailable: {err}");
            None
        }
    };
    let owner = match from_kv {
        Some(owner) => Some(owner),
        None => registry::lookup_code(env, code).await?,
    };
    let Some(owner) = owner else {
        return Ok(None);
    };
    OWNERS.with(|owners| {
        let mut owners = owners.borrow_mut();
        if owners.len() >= OWNER_CACHE_MAX {
            owners.clear();
        }
        owners.insert(code.to_owned(), owner.clone());
    });
    Ok(MemberId::parse(&owner).ok())
}

/// Erasure: this isolate no longer resolves `code` from memory (KV and the registry are
/// cleared by the erasure itself).
pub fn forget_cached_owner(code: &str) {
    OWNERS.with(|owners| owners.borrow_mut().remove(code));
}

/// The member's share link, tagged (every link the edge issues carries its UTM).
fn link_url(ctx: &Ctx, code: &str) -> String {
    let tag = share_tag();
    let query: Vec<String> = tag
        .utm_pairs()
        .into_iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect();
    format!(
        "{}/r/{code}?{}",
        ctx.config.public_base_url,
        query.join("&")
    )
}

/// The share link's tag: what a tap's redirect says too (source and medium as ever).
fn share_tag() -> Attribution {
    link_tag("referral", "share", SHARE_CAMPAIGN)
}

pub async fn link(mut ctx: Ctx) -> Result<Response, ApiError> {
    let claims = super::writing_member(&ctx).await?;
    let _: Option<LinkBody> = optional_json_body(&mut ctx.req).await?;
    let device = claims
        .dev
        .as_deref()
        .map(str::trim)
        .filter(|dev| !dev.is_empty());
    let device = device.map(|dev| device_hash(ctx.config.referral_secret.as_bytes(), dev));
    let member = member_context(claims);
    let member_id = member.member_id.clone();
    let command = GetLink {
        member,
        now: Instant(ctx.now),
    };
    let reply = client::ask(&ctx.env, &member_id, command).await?;
    // The inviter's own phone is a device seen before: a second account registered on it
    // cannot be bound to this link. The first member a device is seen with keeps it.
    if let Some(device) = device {
        let now_ms = ctx.now.timestamp_millis();
        registry::claim_device(&ctx.env, &device, member_id.as_str(), now_ms).await?;
    }
    json(
        200,
        &json!({ "code": reply.code, "url": link_url(&ctx, &reply.code) }),
    )
}

pub async fn me(ctx: Ctx) -> Result<Response, ApiError> {
    let claims = auth::member(&ctx.req, &ctx.config)?;
    let member = member_context(claims);
    let member_id = member.member_id.clone();
    let command = GetReferralSummary {
        member,
        now: Instant(ctx.now),
    };
    let mut body = client::relay(&ctx.env, &member_id, command)
        .await?
        .into_value()?;
    let code = body["code"].as_str().ok_or(ApiError::Internal)?.to_owned();
    body["url"] = json!(link_url(&ctx, &code));
    json(200, &body)
}

/// `GET /v1/referrals/me/qr.svg`: the member's share link as a QR code, to show in person.
pub async fn qr_svg(ctx: Ctx) -> Result<Response, ApiError> {
    let claims = auth::member(&ctx.req, &ctx.config)?;
    let member = member_context(claims);
    let member_id = member.member_id.clone();
    let command = GetLink {
        member,
        now: Instant(ctx.now),
    };
    let reply = client::ask(&ctx.env, &member_id, command).await?;
    let svg = pickup::qr_svg(&link_url(&ctx, &reply.code)).ok_or(ApiError::Internal)?;
    Ok(with_type(svg, 200, "image/svg+xml"))
}

/// `GET /r/{code}`: 302 to the landing page with the code and UTM parameters, a `ref`
/// cookie, and the click counted after the answer. Unknown codes get a page, not JSON.
pub async fn follow(ctx: Ctx) -> Result<Answer, ApiError> {
    let raw = ctx.params.get("code").unwrap_or_default();
    let Some(code) = normalize_code(raw) else {
        return Ok(unknown_link_page(&ctx.config.referral_landing_url).into());
    };
    let ip = header(&ctx.req, "CF-Connecting-IP").unwrap_or_default();
    let user_agent = header(&ctx.req, "User-Agent").unwrap_or_default();
    let secret = ctx.config.referral_secret.as_bytes();
    rate_limit::check(
        &ctx.env,
        Limit::LinkTaps,
        tap_limit_key(secret, &code, &ip, &user_agent),
    )
    .await?;
    let Some(owner) = code_owner(&ctx.env, &code).await? else {
        return Ok(unknown_link_page(&ctx.config.referral_landing_url).into());
    };
    let day = ctx.config.rules.zone.day_key(ctx.now);
    // The IP and user agent only ever enter a keyed hash of the day.
    let visitor = visitor_hash(
        ctx.config.referral_secret.as_bytes(),
        &day,
        &ip,
        &user_agent,
    );
    let command = Click {
        member_id: owner.clone(),
        day,
        visitor,
        now: Instant(ctx.now),
    };
    let env = ctx.env.clone();
    // Not retried: a call that failed after the object counted would count the tap twice.
    ctx.worker_ctx.wait_until(async move {
        let counted = client::ask(&env, &owner, command).await;
        if counted.is_err() {
            worker::console_warn!("a referral click could not be counted");
        }
    });
    let mut pairs = vec![
        ("ref", code.as_str()),
        ("utm_source", "referral"),
        ("utm_medium", "share"),
    ];
    // The campaign the tapped link carried (share links say `invite`), if well formed.
    let campaign = tapped_campaign(&ctx);
    if let Some(campaign) = &campaign {
        pairs.push(("utm_campaign", campaign));
    }
    let location = url_text::with_query(&ctx.config.referral_landing_url, &pairs);
    let secure = if ctx.config.public_base_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let cookie =
        format!("ref={code}; Max-Age={COOKIE_MAX_AGE_S}; Path=/; HttpOnly; SameSite=Lax{secure}");
    Ok(redirect_text(&location).header("Set-Cookie", cookie).into())
}

fn tapped_campaign(ctx: &Ctx) -> Option<String> {
    let pairs = url_text::query_pairs(ctx.req.url());
    Attribution::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))).utm_campaign
}

fn escape_html(raw: &str) -> String {
    raw.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// What a person who tapped a broken or mistyped link sees.
fn unknown_link_page(landing_url: &str) -> Response {
    let page = format!(
        r#"<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>邀请链接无效 · Invite link not found</title>
</head>
<body style="font-family: system-ui, sans-serif; max-width: 32rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.6">
<h1>这个邀请链接无效</h1>
<p>链接可能输错了，或者不完整。您仍然可以直接注册，新会员同样有礼。</p>
<p lang="en">This invite link is not valid: it may be mistyped or cut short. You can still sign up directly.</p>
<p><a href="{}">去注册 · Sign up</a></p>
</body>
</html>
"#,
        escape_html(landing_url)
    );
    let response = with_type(page, 404, "text/html; charset=utf-8");
    // No script at all on this page; its one inline style is allowed, nothing else.
    for (name, value) in [
        (
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        ),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
    ] {
        let _ = response.headers().set(name, value);
    }
    response
}

pub async fn stats(ctx: Ctx) -> Result<Response, ApiError> {
    auth::staff(&ctx.req, &ctx.config, &[Role::Marketing, Role::Admin])?;
    let stats = registry::stats(&ctx.env).await?;
    json(200, &stats)
}
