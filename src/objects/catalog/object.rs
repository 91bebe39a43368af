//! The catalogue authority's Durable Object: each command one transaction of `repo`, then
//! KV brought up to date (before the answer when it can, else by the alarm).

use super::protocol::{CatalogCommand, CheckItems, GetAdmin, PushBatch, SetStop};
use super::repo::{Repo, MODULE};
use crate::config::CATALOG_KV;
use crate::http::error::ApiError;
use crate::http::request::wall_now;
use crate::objects::outbox::schedule_alarm;
use crate::objects::protocol::answer;
use crate::objects::rpc;
use crate::objects::schema::Tables;
use crate::objects::seam::durable::Durable;
use crate::objects::seam::Transact;
use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;
use worker::js_sys::{Array, Promise};
use worker::wasm_bindgen::JsValue;
use worker::wasm_bindgen_futures::{future_to_promise, JsFuture};
use worker::{durable_object, Delay, DurableObject, Env, Request, Response, State};

/// Items written to KV per round of a sync, concurrently.
const SYNC_ROUND: i64 = 100;
/// If a sync dies half-way (the object is evicted, KV fails), the alarm finishes it.
const SYNC_RETRY_MS: i64 = 30_000;
/// How long a push waits for another push's sync before answering anyway.
const SYNC_WAIT_MS: u64 = 10_000;

#[durable_object]
pub struct CatalogObject {
    state: State,
    env: Env,
    tables: Tables,
    /// One sync at a time, so two writes of one SKU never race in KV.
    syncing: Rc<Cell<bool>>,
}

impl CatalogObject {
    /// A command's text in, its reply out: for `fetch` and for `ask`.
    async fn command(&self, text: &str) -> Result<serde_json::Value, ApiError> {
        self.tables.ensure(&self.state.storage(), &[&MODULE])?;
        let command: CatalogCommand = rpc::decode(text)?;
        let db = Durable::new(self.state.storage());
        let repo = Repo { sql: &db };
        let reply = match command {
            // Read-only, and nothing awaits in between: no transaction needed.
            CatalogCommand::Check(CheckItems { known }) => {
                return answer::<CheckItems>(repo.check(&known));
            }
            CatalogCommand::Admin(GetAdmin { sku }) => {
                return db.atomically(|| answer::<GetAdmin>(repo.admin(&sku)));
            }
            CatalogCommand::Push(PushBatch {
                batch,
                body_hash,
                now_ms,
            }) => db.atomically(|| answer::<PushBatch>(repo.push(&batch, &body_hash, now_ms)))?,
            CatalogCommand::SetStop(SetStop {
                sku,
                stop,
                reason,
                staff_id,
                now_ms,
            }) => db.atomically(|| {
                answer::<SetStop>(repo.set_stop(&sku, stop, &reason, &staff_id, now_ms))
            })?,
        };
        // Committed: the change is the truth from here on. KV follows before the answer
        // when it can, else the alarm catches it up.
        schedule_alarm(&db.storage, wall_now().timestamp_millis() + SYNC_RETRY_MS).await?;
        self.wait_for_other_sync().await;
        if let Err(error) = self.sync().await {
            worker::console_warn!("catalogue KV sync deferred to the alarm: {error:?}");
        }
        Ok(reply)
    }

    async fn wait_for_other_sync(&self) {
        let mut waited = 0;
        while self.syncing.get() && waited < SYNC_WAIT_MS {
            Delay::from(Duration::from_millis(20)).await;
            waited += 20;
        }
    }

    /// Writes every item KV does not hold yet, in rounds, until none is left.
    async fn sync(&self) -> Result<(), ApiError> {
        if self.syncing.replace(true) {
            return Ok(()); // the running sync picks up what this change left
        }
        let result = self.sync_rounds().await;
        self.syncing.set(false);
        result
    }

    async fn sync_rounds(&self) -> Result<(), ApiError> {
        let db = Durable::new(self.state.storage());
        let repo = Repo { sql: &db };
        let kv = self.env.kv(CATALOG_KV).map_err(|err| {
            worker::console_error!("catalogue KV: {err}");
            ApiError::Unavailable
        })?;
        loop {
            let round = db.atomically(|| repo.unsynced(SYNC_ROUND))?;
            if round.is_empty() {
                return Ok(());
            }
            // The round's puts run concurrently: a 1,000-item batch is ten round trips, not
            // a thousand.
            let puts = Array::new();
            for unsynced in &round {
                let value =
                    serde_json::to_string(&unsynced.effective).map_err(|_| ApiError::Internal)?;
                let put = kv.put(&unsynced.sku, value).map_err(kv_failed)?;
                puts.push(&future_to_promise(async move {
                    put.execute()
                        .await
                        .map(|()| JsValue::UNDEFINED)
                        .map_err(|err| JsValue::from_str(&err.to_string()))
                }));
            }
            JsFuture::from(Promise::all(&puts)).await.map_err(|err| {
                worker::console_error!("catalogue KV put: {err:?}");
                ApiError::Unavailable
            })?;
            db.atomically(|| {
                round
                    .iter()
                    .try_for_each(|unsynced| repo.synced(&unsynced.sku, unsynced.generation))
            })?;
        }
    }
}

// The object's commands by workerd's JS RPC (`rpc::call_object`).
rpc::answers_by_js_rpc!(CatalogObject);

fn kv_failed(err: worker::kv::KvError) -> ApiError {
    worker::console_error!("catalogue KV put: {err}");
    ApiError::Unavailable
}

impl DurableObject for CatalogObject {
    fn new(state: State, env: Env) -> Self {
        Self {
            state,
            env,
            tables: Tables::default(),
            syncing: Rc::default(),
        }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        match rpc::text(req).await {
            Ok(text) => rpc::reply(self.command(&text).await),
            Err(error) => rpc::reply::<()>(Err(error)),
        }
    }

    async fn alarm(&self) -> worker::Result<Response> {
        let storage = self.state.storage();
        if let Err(error) = self.tables.ensure(&storage, &[&MODULE]) {
            return Err(worker::Error::RustError(error.code()));
        }
        self.wait_for_other_sync().await;
        if let Err(error) = self.sync().await {
            worker::console_warn!("catalogue KV sync failed, retrying: {error:?}");
            let retry = schedule_alarm(&storage, wall_now().timestamp_millis() + SYNC_RETRY_MS);
            if let Err(error) = retry.await {
                return Err(worker::Error::RustError(error.code()));
            }
        }
        Response::empty()
    }
}
