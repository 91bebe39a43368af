//! The worker's side of the campaign objects. A campaign's claim terms (coupon, limits,
//! audience, and the shard count, frozen at creation) never change after creation
//! (`apply_patch` cannot touch them), so each isolate keeps them once read: the flash-sale
//! path does not touch the head object. What does change (status, window, stock) is never
//! read from this cache: the stock shards enforce it on every claim.

use super::protocol::{
    CampaignCommand, DirectoryCommand, GetTerms, OccurrenceAt, OccurrenceReply, StockCommand,
};
use super::views::ClaimTerms;
use crate::config::{CAMPAIGN_OBJECT, DIRECTORY_NAME, DIRECTORY_OBJECT, STOCK_OBJECT};
use crate::domain::campaign::{shard_name, StockRefusal};
use crate::domain::claim_saga::DryHints;
use crate::domain::ids::CampaignId;
use crate::domain::schedule_campaign::scoped_shard_name;
use crate::domain::time::Instant;
use crate::http::error::ApiError;
use crate::objects::protocol::Command;
use crate::objects::relay::{KeyOrder, Relayed};
use crate::objects::rpc::{call_object, relay_object};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use worker::Env;

const TERMS_CACHE_LIMIT: usize = 1_000;

thread_local! {
    static TERMS: RefCell<HashMap<String, Rc<ClaimTerms>>> = RefCell::new(HashMap::new());
    static DRY: RefCell<DryHints> = RefCell::new(DryHints::default());
    /// Per campaign, the occurrence this isolate last saw open: (key, starts_at, ends_at).
    static OPEN: RefCell<HashMap<String, (String, Instant, Instant)>> = RefCell::new(HashMap::new());
}

/// The key of the occurrence of scheduled campaign `id` open at `now`, or why a claim is
/// refused (409 `campaign_not_started` with `next_occurrence`, paused, ended). The head is
/// asked once per isolate and occurrence: it readies the occurrence's shards before it
/// answers; afterwards the shards enforce status and window on every claim.
pub async fn open_occurrence(env: &Env, id: &CampaignId, now: Instant) -> Result<String, ApiError> {
    let known = OPEN.with(|open| open.borrow().get(id.as_str()).cloned());
    if let Some((key, starts_at, ends_at)) = known {
        if starts_at.0 <= now.0 && now.0 < ends_at.0 {
            return Ok(key);
        }
    }
    match ask(env, id, OccurrenceAt { now }).await? {
        OccurrenceReply::Open {
            key,
            starts_at,
            ends_at,
        } => {
            OPEN.with(|open| {
                let mut open = open.borrow_mut();
                if open.len() >= TERMS_CACHE_LIMIT {
                    open.clear();
                }
                open.insert(id.as_str().to_owned(), (key.clone(), starts_at, ends_at));
            });
            Ok(key)
        }
        OccurrenceReply::Closed {
            refusal,
            next_occurrence,
        } => Err(match next_occurrence {
            Some(next) if refusal == StockRefusal::CampaignNotStarted => {
                ApiError::CampaignNotStarted {
                    next_occurrence: serde_json::to_value(next).ok(),
                }
            }
            _ => refusal.into(),
        }),
        OccurrenceReply::Unscheduled => Err(ApiError::Internal),
    }
}

/// Sends `command` to the head object of campaign `id` and returns its typed reply.
pub async fn ask<C>(env: &Env, id: &CampaignId, command: C) -> Result<C::Reply, ApiError>
where
    C: Command<Protocol = CampaignCommand>,
{
    call_object(env, CAMPAIGN_OBJECT, id.as_str(), &command.into()).await
}

/// Like [`ask`], the reply handed on as the object wrote it (for a handler that answers it).
pub async fn relay<C>(env: &Env, id: &CampaignId, command: C) -> Result<Relayed<C::Reply>, ApiError>
where
    C: Command<Protocol = CampaignCommand>,
    C::Reply: KeyOrder,
{
    relay_object(env, CAMPAIGN_OBJECT, id.as_str(), &command.into()).await
}

/// Sends `command` to stock shard `shard` of campaign `id`.
pub async fn ask_shard<C>(
    env: &Env,
    id: &CampaignId,
    shard: u32,
    command: C,
) -> Result<C::Reply, ApiError>
where
    C: Command<Protocol = StockCommand>,
{
    call_object(env, STOCK_OBJECT, &shard_name(id, shard), &command.into()).await
}

/// Sends `command` to stock shard `shard` of a scope: a campaign, or one occurrence of a
/// scheduled campaign (`domain::schedule_campaign::scope`).
pub async fn ask_scoped_shard<C>(
    env: &Env,
    scope: &str,
    shard: u32,
    command: C,
) -> Result<C::Reply, ApiError>
where
    C: Command<Protocol = StockCommand>,
{
    let name = scoped_shard_name(scope, shard);
    call_object(env, STOCK_OBJECT, &name, &command.into()).await
}

/// Sends `command` to the campaign directory.
pub async fn ask_directory<C>(env: &Env, command: C) -> Result<C::Reply, ApiError>
where
    C: Command<Protocol = DirectoryCommand>,
{
    call_object(env, DIRECTORY_OBJECT, DIRECTORY_NAME, &command.into()).await
}

pub async fn terms(env: &Env, id: &CampaignId) -> Result<Rc<ClaimTerms>, ApiError> {
    if let Some(terms) = TERMS.with(|cache| cache.borrow().get(id.as_str()).cloned()) {
        return Ok(terms);
    }
    let terms = Rc::new(ask(env, id, GetTerms {}).await?);
    TERMS.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() >= TERMS_CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(id.as_str().to_owned(), terms.clone());
    });
    Ok(terms)
}

fn wall_ms() -> u64 {
    worker::Date::now().as_millis()
}

/// The shards of scope `scope` (a campaign or an occurrence) this isolate saw sold out a
/// moment ago (see `DRY_HINT_MS`).
pub fn known_dry(scope: &str, shard_count: u32) -> Vec<u32> {
    let now_ms = wall_ms();
    DRY.with(|dry| {
        let dry = dry.borrow();
        (0..shard_count)
            .filter(|shard| dry.is_dry(&scoped_shard_name(scope, *shard), now_ms))
            .collect()
    })
}

pub fn mark_dry(scope: &str, shard: u32) {
    let now_ms = wall_ms();
    DRY.with(|dry| {
        dry.borrow_mut()
            .mark(scoped_shard_name(scope, shard), now_ms)
    });
}

/// After an operator's change (a top-up, a resume) this isolate forgets its dry hints for the
/// campaign, so the new stock is offered at once here; other isolates forget theirs within
/// `DRY_HINT_MS`.
pub fn forget_dry(scope: &str, shard_count: u32) {
    DRY.with(|dry| {
        let mut dry = dry.borrow_mut();
        for shard in 0..shard_count {
            dry.forget(&scoped_shard_name(scope, shard));
        }
    });
}
