//! One Durable Object per order: the only owner of the order's status, its coupon lock (held
//! in the member's wallet, asked for and given back from here), and its pickup: codes,
//! verification exactly once, and the record of who handed it over.

pub mod client;
mod ops;
pub mod protocol;
mod repo;

use crate::config::{Config, ORDER_OBJECT};
use crate::domain::order;
use crate::http::error::ApiError;
use crate::http::request::wall_now;
use crate::objects::member::protocol::MemberCommand;
use crate::objects::rpc::to_json;
use crate::objects::schema::{Module, Tables};
use crate::objects::{member, outbox, rpc, sql};
use protocol::{OrderCommand, PlaceOrder};
use repo::Repo;
use std::rc::Rc;
use worker::{durable_object, DurableObject, Env, Request, Response, State};

#[durable_object]
pub struct OrderObject {
    state: State,
    env: Env,
    tables: Tables,
}

/// An order's tables, created by its first command.
const MODULES: &[&Module] = &[&repo::MODULE, &outbox::MODULE];

impl OrderObject {
    fn config(&self) -> Result<Rc<Config>, ApiError> {
        Config::get(&self.env).map_err(|err| {
            worker::console_error!("configuration: {err}");
            ApiError::Internal
        })
    }

    async fn handle(&self, req: Request) -> Result<serde_json::Value, ApiError> {
        let command: OrderCommand = rpc::command(req).await?;
        let config = self.config()?;
        let storage = self.state.storage();
        let repo = Repo { sql: storage.sql() };
        match command {
            OrderCommand::Place(place) => self.place(place).await,
            // Reads: nothing queued, no alarm to look at.
            OrderCommand::Get { member_id } => to_json(ops::view(&repo, member_id.as_str())),
            OrderCommand::PickupCode { member_id, now } => {
                to_json(ops::pickup_code(&repo, &config, member_id.as_str(), now.0))
            }
            OrderCommand::Event {
                event_id,
                event,
                now,
            } => {
                let reply = sql::atomically(&storage, move || {
                    to_json(ops::event(&repo, &config, &event_id, &event, now.0))
                });
                outbox::ensure_alarm(&storage).await?;
                reply
            }
            OrderCommand::Verify { counter, code, now } => {
                // Committed whatever the answer: refusals are recorded and counted.
                let answer = sql::atomically(&storage, move || {
                    ops::verify(&repo, &config, &counter, &code, now.0)
                })?;
                outbox::ensure_alarm(&storage).await?;
                to_json(answer)
            }
        }
    }

    /// Placement crosses two owners: the order here, the coupon in the member's wallet.
    /// Record the placement, lock the coupon (which also prices the order with it), then
    /// accept. Neither transaction spans the await; a placement that dies in between is
    /// abandoned by the alarm and its coupon given back.
    async fn place(&self, place: PlaceOrder) -> Result<serde_json::Value, ApiError> {
        // Compliance and lines first: nothing is recorded for an order that cannot be sold.
        let plain = order::price(&place.lines, place.prescription_id.as_deref(), None)?;
        let storage = self.state.storage();
        let repo = Rc::new(Repo { sql: storage.sql() });
        let place = Rc::new(place);
        let begun = {
            let (repo, place) = (repo.clone(), place.clone());
            sql::atomically(&storage, move || ops::begin(&repo, &place))?
        };
        if let ops::Begin::Replay(response) = begun {
            return Ok(response);
        }
        let now_ms = place.now.0.timestamp_millis();
        outbox::schedule_alarm(
            &storage,
            wall_now().timestamp_millis() + ops::PLACING_TIMEOUT_MS,
        )
        .await?;
        let totals = match &place.coupon_id {
            None => plain,
            Some(coupon_id) => {
                let command = MemberCommand::LockCoupon {
                    coupon_id: coupon_id.clone(),
                    order_id: place.order_id.clone(),
                    lines: place.lines.clone(),
                    prescription_id: place.prescription_id.clone(),
                    now: place.now,
                };
                match member::client::call::<order::Totals>(&self.env, &place.member_id, &command)
                    .await
                {
                    Ok(totals) => totals,
                    Err(error @ (ApiError::Unavailable | ApiError::Internal)) => {
                        // The lock may or may not have happened: give it back to be sure.
                        let repo = repo.clone();
                        sql::atomically(&storage, move || ops::abandon(&repo, now_ms))?;
                        outbox::ensure_alarm(&storage).await?;
                        return Err(error);
                    }
                    Err(refusal) => {
                        let repo = repo.clone();
                        sql::atomically(&storage, move || ops::forget(&repo))?;
                        return Err(refusal);
                    }
                }
            }
        };
        let accepted = {
            let (repo, place) = (repo.clone(), place.clone());
            sql::atomically(&storage, move || ops::accept(&repo, &place, totals))?
        };
        outbox::ensure_alarm(&storage).await?;
        Ok(accepted)
    }
}

impl DurableObject for OrderObject {
    fn new(state: State, env: Env) -> Self {
        Self {
            state,
            env,
            tables: Tables::default(),
        }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        if let Err(error) = self.tables.ensure(&self.state.storage(), MODULES) {
            return rpc::reply::<()>(Err(error));
        }
        if req.path() == outbox::REPLAY_PATH {
            return outbox::serve_replay(&self.state.storage(), req).await;
        }
        rpc::reply(self.handle(req).await)
    }

    async fn alarm(&self) -> worker::Result<Response> {
        let storage = self.state.storage();
        let origin = outbox::Origin::of(ORDER_OBJECT, &self.state);
        let result: Result<(), ApiError> = async {
            self.tables.ensure(&storage, MODULES)?;
            let config = self.config()?;
            let now_ms = wall_now().timestamp_millis();
            let repo = Rc::new(Repo { sql: storage.sql() });
            let sweep = repo.clone();
            let still_placing =
                sql::atomically(&storage, move || ops::sweep_placing(&sweep, now_ms))?;
            let delivered = outbox::drain(&storage, &self.env, &config, &origin).await?;
            if !delivered.is_empty() {
                let now_ms = wall_now().timestamp_millis();
                sql::atomically(&storage, move || ops::forwarded(&repo, &delivered, now_ms))?;
            }
            if let Some(due_ms) = still_placing {
                outbox::schedule_alarm(&storage, due_ms).await?;
            }
            Ok(())
        }
        .await;
        if let Err(err) = result {
            worker::console_error!("order alarm failed: {err:?}");
        }
        Response::empty()
    }
}
