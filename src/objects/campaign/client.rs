//! The worker's side of the campaign objects. A campaign's claim terms (coupon, limits,
//! audience, and the shard count, frozen at creation) never change after creation
//! (`apply_patch` cannot touch them), so each isolate keeps them once read: the flash-sale
//! path does not touch the head object. What does change (status, window, stock) is never
//! read from this cache: the stock shards enforce it on every claim.

use super::protocol::{CampaignCommand, ClaimTerms, StockCommand, TakeReply};
use crate::config::{CAMPAIGN_OBJECT, STOCK_OBJECT};
use crate::domain::campaign::shard_name;
use crate::domain::ids::CampaignId;
use crate::domain::time::Instant;
use crate::http::error::ApiError;
use crate::objects::rpc::call_object;
use serde::de::DeserializeOwned;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use worker::Env;

const TERMS_CACHE_LIMIT: usize = 1_000;

thread_local! {
    static TERMS: RefCell<HashMap<String, Rc<ClaimTerms>>> = RefCell::new(HashMap::new());
}

pub async fn call<R: DeserializeOwned>(
    env: &Env,
    id: &CampaignId,
    command: &CampaignCommand,
) -> Result<R, ApiError> {
    call_object(env, CAMPAIGN_OBJECT, id.as_str(), command).await
}

pub async fn terms(env: &Env, id: &CampaignId) -> Result<Rc<ClaimTerms>, ApiError> {
    if let Some(terms) = TERMS.with(|cache| cache.borrow().get(id.as_str()).cloned()) {
        return Ok(terms);
    }
    let terms: Rc<ClaimTerms> = Rc::new(call(env, id, &CampaignCommand::Terms).await?);
    TERMS.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() >= TERMS_CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(id.as_str().to_owned(), terms.clone());
    });
    Ok(terms)
}

pub async fn take(
    env: &Env,
    id: &CampaignId,
    shard: u32,
    claim_id: &str,
    now: Instant,
) -> Result<TakeReply, ApiError> {
    let command = StockCommand::Take {
        claim_id: claim_id.to_owned(),
        now,
    };
    call_object(env, STOCK_OBJECT, &shard_name(id, shard), &command).await
}

/// How long a shard that answered `sold_out` is skipped by claims in this isolate. Stock only
/// comes back through `add_stock`, so the cost of the hint is that a claim in the second after
/// an operator adds stock may still hear `sold_out`; the gain is that after a sell-out the
/// flood of late claims does not ask every dry shard in turn.
const DRY_HINT_MS: u64 = 1_000;

thread_local! {
    static DRY: RefCell<HashMap<String, u64>> = RefCell::new(HashMap::new());
}

fn wall_ms() -> u64 {
    worker::Date::now().as_millis()
}

pub fn known_dry(id: &CampaignId, shard: u32) -> bool {
    let name = shard_name(id, shard);
    DRY.with(|dry| {
        dry.borrow()
            .get(&name)
            .is_some_and(|at| wall_ms().saturating_sub(*at) < DRY_HINT_MS)
    })
}

/// After an operator's change (a top-up, a resume) this isolate forgets its dry hints for the
/// campaign, so the new stock is offered at once here; other isolates forget theirs within
/// `DRY_HINT_MS`.
pub fn forget_dry(id: &CampaignId, shard_count: u32) {
    DRY.with(|dry| {
        let mut dry = dry.borrow_mut();
        for shard in 0..shard_count {
            dry.remove(&shard_name(id, shard));
        }
    });
}

pub fn mark_dry(id: &CampaignId, shard: u32) {
    DRY.with(|dry| {
        let mut dry = dry.borrow_mut();
        if dry.len() >= TERMS_CACHE_LIMIT {
            dry.clear();
        }
        dry.insert(shard_name(id, shard), wall_ms());
    });
}
