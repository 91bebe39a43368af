//! The worker's side of the catalogue: an order's items, exact as of the authority, read
//! through this isolate's memory and KV so the authority sends only what changed.

use super::protocol::{CatalogCommand, CheckItems, Known};
use super::AUTHORITY_NAME;
use crate::config::{CATALOG_KV, CATALOG_OBJECT};
use crate::domain::catalog::CatalogItem;
use crate::http::error::ApiError;
use crate::objects::protocol::Command;
use crate::objects::relay::{KeyOrder, Relayed};
use crate::objects::rpc;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use worker::Env;

/// Items this isolate has seen. Never trusted alone: every order asks the authority for the
/// current version and status, and a copy older than that is replaced.
const CACHE_MAX: usize = 10_000;

thread_local! {
    static ITEMS: RefCell<HashMap<String, CatalogItem>> = RefCell::new(HashMap::new());
}

/// Sends `command` to the authority and returns its typed reply.
pub async fn ask<C>(env: &Env, command: C) -> Result<C::Reply, ApiError>
where
    C: Command<Protocol = CatalogCommand>,
{
    rpc::call_object(env, CATALOG_OBJECT, AUTHORITY_NAME, &command.into()).await
}

/// Like [`ask`], the reply handed on as the authority wrote it (for a handler that answers it).
pub async fn relay<C>(env: &Env, command: C) -> Result<Relayed<C::Reply>, ApiError>
where
    C: Command<Protocol = CatalogCommand>,
    C::Reply: KeyOrder,
{
    rpc::relay_object(env, CATALOG_OBJECT, AUTHORITY_NAME, &command.into()).await
}

fn remember(item: &CatalogItem) {
    ITEMS.with(|items| {
        let mut items = items.borrow_mut();
        if items.len() >= CACHE_MAX {
            items.clear();
        }
        items.insert(item.sku.clone(), item.clone());
    });
}

/// One item from KV (what pages read), `None` if KV does not have it (yet).
pub async fn from_kv(env: &Env, sku: &str) -> Result<Option<CatalogItem>, ApiError> {
    let kv = env.kv(CATALOG_KV).map_err(|err| {
        worker::console_error!("catalogue KV: {err}");
        ApiError::Unavailable
    })?;
    let raw = kv.get(sku).text().await.map_err(|err| {
        worker::console_error!("catalogue KV read: {err}");
        ApiError::Unavailable
    })?;
    Ok(raw.and_then(|raw| serde_json::from_str(&raw).ok()))
}

/// The current items of `skus`, as of the authority at the time of this call: version,
/// status (a stop acknowledged before this call is seen), name, class and price. A SKU
/// the authority does not know is absent.
pub async fn current(env: &Env, skus: &[&str]) -> Result<BTreeMap<String, CatalogItem>, ApiError> {
    // An order may name a SKU on several lines: each is looked up and checked once.
    let skus: std::collections::BTreeSet<&str> = skus.iter().copied().collect();
    let mut local: BTreeMap<String, CatalogItem> = BTreeMap::new();
    for sku in &skus {
        let cached = ITEMS.with(|items| items.borrow().get(*sku).cloned());
        let item = match cached {
            Some(item) => Some(item),
            None => from_kv(env, sku).await?,
        };
        if let Some(item) = item {
            local.insert(item.sku.clone(), item);
        }
    }
    let known: Vec<Known> = skus
        .iter()
        .map(|sku| Known {
            sku: (*sku).to_owned(),
            version: local.get(*sku).map(|item| item.version),
        })
        .collect();
    let checked = ask(env, CheckItems { known }).await?;
    let mut current = BTreeMap::new();
    for entry in checked.items {
        let item = match entry.item {
            Some(fresh) => {
                remember(&fresh);
                fresh
            }
            None => match local.remove(&entry.sku) {
                Some(held) => {
                    remember(&held);
                    held
                }
                // The authority sends the item whenever the caller's copy is not current.
                None => {
                    worker::console_error!("catalogue: no item for {} in the answer", entry.sku);
                    return Err(ApiError::Unavailable);
                }
            },
        };
        // The status is the authority's, whatever the copy says.
        current.insert(
            entry.sku,
            CatalogItem {
                status: entry.status,
                ..item
            },
        );
    }
    Ok(current)
}
