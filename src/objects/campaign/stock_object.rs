//! The stock shard and directory Durable Objects: runtime glue around their transactions
//! (`stock.rs`, `directory.rs`). Each command is one transaction.

use super::protocol::{
    AllCampaigns, DirectoryCommand, GetShardStats, IndexCampaign, ListCampaigns, MarkMultiplier,
    MultipliersAt, ReleaseUnit, ReserveCreateKey, StockCommand, SyncShard, TakeUnit,
};
use super::{directory, stock};
use crate::http::error::ApiError;
use crate::objects::protocol::answer;
use crate::objects::rpc;
use crate::objects::schema::Tables;
use crate::objects::seam::durable::Durable;
use worker::{durable_object, DurableObject, Env, Request, Response, State};

#[durable_object]
pub struct StockObject {
    state: State,
    tables: Tables,
}

impl StockObject {
    /// A command's text in, its reply out: for `fetch` and for `ask`.
    async fn command(&self, text: &str) -> Result<serde_json::Value, ApiError> {
        let db = Durable::new(self.state.storage());
        self.tables.ensure(&db, &[&stock::MODULE])?;
        match rpc::decode(text)? {
            StockCommand::Sync(SyncShard { state }) => {
                answer::<SyncShard>(stock::sync(&db, &state))
            }
            StockCommand::Take(TakeUnit { claim_id, now }) => {
                answer::<TakeUnit>(stock::take(&db, &claim_id, now.0.timestamp_millis()))
            }
            StockCommand::Release(ReleaseUnit { claim_id }) => {
                answer::<ReleaseUnit>(stock::release(&db, &claim_id))
            }
            StockCommand::Stats(GetShardStats {}) => answer::<GetShardStats>(stock::stats(&db)),
        }
    }
}

impl DurableObject for StockObject {
    fn new(state: State, _env: Env) -> Self {
        Self {
            state,
            tables: Tables::default(),
        }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        match rpc::text(req).await {
            Ok(text) => rpc::reply(self.command(&text).await),
            Err(error) => rpc::reply::<()>(Err(error)),
        }
    }
}

// The object's commands by workerd's JS RPC (`rpc::call_object`).
rpc::answers_by_js_rpc!(StockObject);

#[durable_object]
pub struct DirectoryObject {
    state: State,
    tables: Tables,
}

impl DirectoryObject {
    async fn handle(&self, req: Request) -> Result<serde_json::Value, ApiError> {
        let db = Durable::new(self.state.storage());
        self.tables.ensure(&db, &[&directory::MODULE])?;
        match rpc::command(req).await? {
            DirectoryCommand::Index(campaign) => {
                answer::<IndexCampaign>(directory::index(&db, &campaign))
            }
            DirectoryCommand::Listed(ListCampaigns { now }) => {
                answer::<ListCampaigns>(directory::listed(&db, now))
            }
            DirectoryCommand::All(AllCampaigns { limit }) => {
                answer::<AllCampaigns>(directory::all(&db, limit))
            }
            DirectoryCommand::ReserveKey(reserve) => {
                answer::<ReserveCreateKey>(directory::reserve_key(&db, &reserve))
            }
            DirectoryCommand::MarkMultiplier(campaign) => {
                answer::<MarkMultiplier>(super::multipliers::mark(&db, &campaign))
            }
            DirectoryCommand::MultipliersAt(MultipliersAt { at }) => {
                answer::<MultipliersAt>(super::multipliers::at(&db, at))
            }
        }
    }
}

impl DurableObject for DirectoryObject {
    fn new(state: State, _env: Env) -> Self {
        Self {
            state,
            tables: Tables::default(),
        }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        rpc::reply(self.handle(req).await)
    }
}
