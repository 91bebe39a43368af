//! Erasure (PIPL): `member.erased` from the core, and the admin's check of what is left.
//!
//! The member's object deletes its rows and keeps a tombstone first (so nothing creates
//! them again), then the worker drops what lives outside it: the share code in KV and the
//! registries' code and device rows. Each step is idempotent and the 200 is sent only when
//! all are done; a failure answers 503 and the core's retry of the same event finishes the
//! work (the object answers `duplicate: true`, the rest runs again).

use super::referrals::forget_cached_owner;
use super::Ctx;
use crate::config::REFERRAL_LINKS_KV;
use crate::domain::ids::MemberId;
use crate::domain::referral::candidate_code;
use crate::domain::time::Instant;
use crate::http::auth;
use crate::http::error::ApiError;
use crate::http::jwt::Role;
use crate::http::request::path_id;
use crate::http::response::json;
use crate::objects::member::client;
use crate::objects::member::protocol::{Erase, GetFootprint, IsErased};
use crate::objects::member::CODE_ATTEMPTS;
use crate::objects::referral_registry::{self as registry, code_shard, device_shards};
use futures_util::future::try_join_all;
use serde_json::json;
use std::collections::BTreeSet;
use worker::{kv::KvStore, Response};

/// `member.erased`: 200 `{accepted, duplicate}` once the member's data is gone everywhere.
pub async fn erase(ctx: &Ctx, event_id: String, member_id: MemberId) -> Result<Response, ApiError> {
    let command = Erase {
        member_id: member_id.clone(),
        event_id,
        now: Instant(ctx.now),
    };
    let reply = client::relay(&ctx.env, &member_id, command).await?;
    forget_outside(ctx, member_id.as_str()).await?;
    Ok(super::relay(200, reply))
}

/// Whether the member was erased (its object's tombstone; reading it creates no table).
pub async fn is_erased(ctx: &Ctx, member_id: &MemberId) -> Result<bool, ApiError> {
    client::ask(&ctx.env, member_id, IsErased {}).await
}

/// The codes the member could hold: the registry hands out the first free candidate.
fn candidate_codes(ctx: &Ctx, member_id: &str) -> Vec<String> {
    let secret = ctx.config.referral_secret.as_bytes();
    (0..CODE_ATTEMPTS)
        .map(|attempt| candidate_code(secret, member_id, attempt))
        .collect()
}

/// The registry instances that may hold the member's codes or devices.
fn registry_shards(codes: &[String]) -> BTreeSet<String> {
    let mut shards: BTreeSet<String> = codes.iter().map(|code| code_shard(code)).collect();
    shards.extend(device_shards());
    shards
}

fn links(ctx: &Ctx) -> Result<KvStore, ApiError> {
    ctx.env.kv(REFERRAL_LINKS_KV).map_err(|err| {
        worker::console_error!("referral links KV: {err}");
        ApiError::Unavailable
    })
}

/// The candidate codes KV resolves to this member.
async fn codes_in_kv(
    kv: &KvStore,
    codes: &[String],
    member_id: &str,
) -> Result<Vec<String>, ApiError> {
    let mut found = Vec::new();
    for code in codes {
        let owner = kv.get(code).text().await.map_err(|err| {
            worker::console_error!("referral links KV read: {err}");
            ApiError::Unavailable
        })?;
        if owner.as_deref() == Some(member_id) {
            found.push(code.clone());
        }
    }
    Ok(found)
}

async fn forget_outside(ctx: &Ctx, member_id: &str) -> Result<(), ApiError> {
    let codes = candidate_codes(ctx, member_id);
    let shards = registry_shards(&codes);
    try_join_all(
        shards
            .iter()
            .map(|shard| registry::forget_member(&ctx.env, shard, member_id)),
    )
    .await?;
    let kv = links(ctx)?;
    for code in codes_in_kv(&kv, &codes, member_id).await? {
        kv.delete(&code).await.map_err(|err| {
            worker::console_error!("referral links KV delete: {err}");
            ApiError::Unavailable
        })?;
    }
    for code in &codes {
        forget_cached_owner(code);
    }
    Ok(())
}

/// `GET /v1/admin/members/{id}/footprint` (admin): what the edge still holds of a member,
/// from the objects' own views: rows per table in the member's object, share codes in KV,
/// codes and device hashes in the registries.
pub async fn footprint(ctx: Ctx) -> Result<Response, ApiError> {
    auth::staff(&ctx.req, &ctx.config, &[Role::Admin])?;
    let member_id = path_id(ctx.params.get("id"), "id", MemberId::parse)?;
    let member = client::ask(&ctx.env, &member_id, GetFootprint {}).await?;
    let codes = candidate_codes(&ctx, member_id.as_str());
    let held = try_join_all(
        registry_shards(&codes)
            .iter()
            .map(|shard| registry::holdings(&ctx.env, shard, member_id.as_str())),
    )
    .await?;
    let kv_codes = codes_in_kv(&links(&ctx)?, &codes, member_id.as_str()).await?;
    let registry_codes: Vec<&String> = held.iter().flat_map(|h| &h.codes).collect();
    let device_hashes: Vec<&String> = held.iter().flat_map(|h| &h.devices).collect();
    json(
        200,
        &json!({
            "member_id": member_id,
            "erased": member.erased,
            "tables": member.tables,
            "kv_codes": kv_codes,
            "registry_codes": registry_codes,
            "device_hashes": device_hashes,
        }),
    )
}
