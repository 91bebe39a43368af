//! The store's Durable Object: runtime glue around its transactions (see `store.rs`).

use super::protocol::StoreCommand;
use super::{throttle, waiting, MODULES};
use crate::config::Config;
use crate::domain::ids::OrderId;
use crate::domain::time::Instant;
use crate::http::error::ApiError;
use crate::objects::order::client as order_client;
use crate::objects::order::protocol::{Counter, PresentedCode, VerifyCode};
use crate::objects::rpc;
use crate::objects::rpc::to_json;
use crate::objects::schema::Tables;
use crate::objects::seam::durable::Durable;
use worker::{durable_object, DurableObject, Env, Request, Response, State};

#[durable_object]
pub struct StoreObject {
    state: State,
    env: Env,
    tables: Tables,
}

impl StoreObject {
    fn db(&self) -> Durable {
        Durable::new(self.state.storage())
    }

    /// A command's text in, its reply out: for `fetch` and for `ask`.
    async fn command(&self, text: &str) -> Result<serde_json::Value, ApiError> {
        self.tables.ensure(&self.db(), MODULES)?;
        let command: StoreCommand = rpc::decode(text)?;
        let db = self.db();
        match command {
            StoreCommand::Ready(pickup) => to_json(waiting::ready(&db, &pickup)),
            StoreCommand::Gone { order_id } => to_json(waiting::gone(&db, &order_id)),
            StoreCommand::List { now } => to_json(waiting::list(&db, now)),
            StoreCommand::Verify {
                order_id,
                counter,
                code,
                now,
            } => self.verify(&db, order_id, counter, code, now).await,
        }
    }

    async fn verify(
        &self,
        db: &Durable,
        order_id: OrderId,
        counter: Counter,
        code: PresentedCode,
        now: Instant,
    ) -> Result<serde_json::Value, ApiError> {
        let config = Config::get(&self.env).map_err(|_| ApiError::Internal)?;
        let now_ms = now.0.timestamp_millis();
        let staff_id = counter.staff_id.to_string();
        throttle::gate(db, &config.rules.pickup, &staff_id, now_ms)?;
        let command = VerifyCode { counter, code, now };
        let answer = order_client::ask(&self.env, order_id.as_str(), command).await;
        throttle::settle(db, &staff_id, now_ms, &answer)?;
        to_json(answer)
    }
}

impl DurableObject for StoreObject {
    fn new(state: State, env: Env) -> Self {
        Self {
            state,
            env,
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
rpc::answers_by_js_rpc!(StoreObject);
