//! The order's Durable Object: runtime glue around its transactions (see `mod.rs`).

use super::protocol::{ApplyEvent, GetOrder, GetPickupCode, OrderCommand, VerifyCode};
use super::{events, needs, pickup, retention, PickupSettings, PLACING};
use crate::config::{Config, ORDER_OBJECT};
use crate::domain::delivery;
use crate::http::error::ApiError;
use crate::http::request::wall_now;
use crate::objects::protocol::answer;
use crate::objects::schema::Tables;
use crate::objects::seam::durable::Durable;
use crate::objects::{outbox, rpc};
use std::rc::Rc;
use worker::{durable_object, DurableObject, Env, Request, Response, State};

mod place;

#[durable_object]
pub struct OrderObject {
    state: State,
    env: Env,
    tables: Tables,
}

impl OrderObject {
    fn config(&self) -> Result<Rc<Config>, ApiError> {
        Config::get(&self.env).map_err(|err| {
            worker::console_error!("configuration: {err}");
            ApiError::Internal
        })
    }

    fn db(&self) -> Durable {
        Durable::new(self.state.storage())
    }

    /// What a command queued (a verification's pickup.verified and store.pickup_gone) goes
    /// right after the answer, in this wake; the alarm, moved no later than the lease's end
    /// before the answer, is the retry path (see `place::forward` for what it is left at).
    async fn deliver_after_answer(&self, db: &Durable, config: &Config) -> Result<(), ApiError> {
        let Some(next_ms) = outbox::drain::earliest(db)? else {
            return Ok(());
        };
        let now_ms = wall_now().timestamp_millis();
        if next_ms > now_ms {
            return outbox::schedule_alarm(&db.storage, next_ms).await;
        }
        let lease_end_ms = now_ms + delivery::lease_ms(config.core_timeout_ms);
        // Only ever earlier: a retention deadline or a placement's timeout may be armed.
        outbox::schedule_alarm(&db.storage, lease_end_ms).await?;
        self.forward_after_answer()
    }

    /// A command's text in, its reply out: for `fetch` and for `ask`.
    async fn command(&self, text: &str) -> Result<serde_json::Value, ApiError> {
        let command: OrderCommand = rpc::decode(text)?;
        let db = self.db();
        let command = match command {
            // Creates its tables when it first writes (see `place`).
            OrderCommand::Place(place) => return self.place(&db, place).await,
            other => other,
        };
        self.tables.ensure(&db, needs(&command))?;
        let config = self.config()?;
        let settings = settings(&config);
        match command {
            // Answered above, before any table exists.
            OrderCommand::Place(_) => Err(ApiError::Internal),
            // Reads: nothing queued, no alarm to look at.
            OrderCommand::Get(GetOrder { member_id, now }) => {
                if let Some(now) = now {
                    retention::sweep(&db, now.0.timestamp_millis(), settings.rules.retention_days)?;
                }
                answer::<GetOrder>(pickup::view(&db, member_id.as_str()))
            }
            OrderCommand::PickupCode(GetPickupCode { member_id, now }) => answer::<GetPickupCode>(
                pickup::pickup_code(&db, &settings, member_id.as_str(), now.0),
            ),
            OrderCommand::Event(ApplyEvent {
                event_id,
                event,
                now,
            }) => {
                let reply =
                    answer::<ApplyEvent>(events::event(&db, &settings, &event_id, &event, now.0));
                outbox::ensure_alarm(&db.storage).await?;
                // A deadline set (ready for pickup): the alarm drops the details when due.
                let retention_days = settings.rules.retention_days;
                if let Some(due_ms) =
                    retention::sweep(&db, now.0.timestamp_millis(), retention_days)?
                {
                    outbox::schedule_alarm(&db.storage, due_ms).await?;
                }
                reply
            }
            OrderCommand::Verify(VerifyCode { counter, code, now }) => {
                // Committed whatever the answer: refusals are recorded and counted.
                let verified = pickup::verify(&db, &settings, &counter, &code, now.0)?;
                self.deliver_after_answer(&db, &config).await?;
                answer::<VerifyCode>(verified)
            }
        }
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
        if req.path() == outbox::REPLAY_PATH {
            if let Err(error) = self.tables.ensure(&self.state.storage(), PLACING) {
                return rpc::reply::<()>(Err(error));
            }
            return outbox::serve_replay(&self.state.storage(), req).await;
        }
        match rpc::text(req).await {
            Ok(text) => rpc::reply(self.command(&text).await),
            Err(error) => rpc::reply::<()>(Err(error)),
        }
    }

    async fn alarm(&self) -> worker::Result<Response> {
        let db = self.db();
        let origin = outbox::Origin::of(ORDER_OBJECT, &self.state);
        let result: Result<(), ApiError> = async {
            self.tables.ensure(&db, PLACING)?;
            let config = self.config()?;
            place::deliver_and_settle(&db, &self.env, &config, &origin).await
        }
        .await;
        if let Err(err) = result {
            // Failed before its alarm was written again: the runtime retries this one.
            worker::console_error!("order alarm failed: {err:?}");
            return Err(worker::Error::RustError(err.code()));
        }
        Response::empty()
    }
}

// The object's commands by workerd's JS RPC (`rpc::call_object`).
rpc::answers_by_js_rpc!(OrderObject);

fn settings(config: &Config) -> PickupSettings<'_> {
    PickupSettings {
        rules: &config.rules.pickup,
        secret: config.pickup_signing_secret.as_bytes(),
    }
}
