//! One Durable Object per order: the only owner of the order's status, its coupon lock (held
//! in the member's wallet, asked for and given back from here), and its pickup: codes,
//! verification exactly once, and the record of who handed it over.

pub mod client;
mod ops;
pub mod protocol;
mod refusal;
mod repo;

use crate::config::{Config, ORDER_OBJECT};
use crate::domain::catalog::{price_lines, PricedLine};
use crate::domain::order;
use crate::domain::order_lines::{has_rx, OrderLine};
use crate::http::error::ApiError;
use crate::http::request::wall_now;
use crate::objects::member::protocol::{MemberCommand, Reserved};
use crate::objects::rpc::to_json;
use crate::objects::schema::{Module, Tables};
use crate::objects::{catalog, member, outbox, rpc, sql};
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

/// Lines as priced from the catalogue, the same as plain order lines, and their totals.
type Priced = (Vec<PricedLine>, Vec<OrderLine>, order::Totals);

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

    /// Placement crosses three owners: the order here, the catalogue authority (what is
    /// sold, as what, at what price, and whether it is stopped, as of now), and the member's
    /// object (the coupon and the prescription). Record the placement, price it from the
    /// catalogue, reserve what the member's object holds, then accept. No transaction spans
    /// an await; a placement that dies in between is abandoned by the alarm and what it
    /// reserved given back.
    async fn place(&self, place: PlaceOrder) -> Result<serde_json::Value, ApiError> {
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
        // Nothing is reserved yet: a refusal or a failure here leaves nothing behind.
        let (priced, lines, plain) = match self.price(&place).await {
            Ok(priced) => priced,
            Err(error) => {
                let (repo, keyed, kept) = (repo.clone(), place.keyed, error.clone());
                sql::atomically(&storage, move || refusal::end(&repo, &kept, keyed))?;
                return Err(error);
            }
        };
        let rx = has_rx(&lines);
        let prescription_id = place.prescription_id.clone().filter(|_| rx);
        let (totals, classes) = if place.coupon_id.is_none() && !rx {
            (plain, None)
        } else {
            let command = MemberCommand::Reserve {
                order_id: place.order_id.clone(),
                lines,
                coupon_id: place.coupon_id.clone(),
                prescription_id: prescription_id.clone(),
                now: place.now,
            };
            match member::client::call::<Reserved>(&self.env, &place.member_id, &command).await {
                Ok(reserved) => (reserved.totals, reserved.eligible_classes),
                Err(error @ (ApiError::Unavailable | ApiError::Internal)) => {
                    // The reservation may or may not have happened: give it back to be sure.
                    let repo = repo.clone();
                    sql::atomically(&storage, move || ops::abandon(&repo, now_ms))?;
                    outbox::ensure_alarm(&storage).await?;
                    return Err(error);
                }
                Err(refused) => {
                    let (repo, keyed, kept) = (repo.clone(), place.keyed, refused.clone());
                    sql::atomically(&storage, move || refusal::end(&repo, &kept, keyed))?;
                    return Err(refused);
                }
            }
        };
        let decided = ops::Decided {
            lines: order::accepted_lines(&priced, totals.discount_fen, classes.as_deref()),
            prescription_id,
            totals,
        };
        let accepted = {
            let (repo, place) = (repo.clone(), place.clone());
            sql::atomically(&storage, move || ops::accept(&repo, &place, decided))?
        };
        outbox::ensure_alarm(&storage).await?;
        Ok(accepted)
    }

    /// The order's lines priced and classed from the catalogue as of now, checked the way a
    /// pharmacist would (unknown, never online, stopped, how many, which price, Rx without a
    /// prescription id), and their totals without a coupon.
    async fn price(&self, place: &PlaceOrder) -> Result<Priced, ApiError> {
        let skus: Vec<&str> = place.lines.iter().map(|line| line.sku.as_str()).collect();
        let current = catalog::client::current(&self.env, &skus).await?;
        let priced = price_lines(&place.lines, |sku| current.get(sku))?;
        let lines: Vec<OrderLine> = priced.iter().map(|p| p.line.clone()).collect();
        let plain = order::price(&lines, place.prescription_id.as_deref(), None)?;
        Ok((priced, lines, plain))
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
