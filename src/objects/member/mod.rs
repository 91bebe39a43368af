//! One Durable Object per member: the only owner of the member's check-ins, points ledger,
//! paid-order spend and seen core events.

pub mod client;
mod ops;
pub mod protocol;
mod repo;

use crate::config::Config;
use crate::http::error::ApiError;
use crate::objects::{outbox, rpc, sql};
use protocol::MemberCommand;
use repo::Repo;
use worker::{durable_object, DurableObject, Env, Request, Response, State};

#[durable_object]
pub struct MemberObject {
    state: State,
    env: Env,
}

impl MemberObject {
    async fn handle(&self, req: Request) -> Result<serde_json::Value, ApiError> {
        let command: MemberCommand = rpc::command(req).await?;
        let config = Config::get(&self.env).map_err(|err| {
            worker::console_error!("configuration: {err}");
            ApiError::Internal
        })?;
        let storage = self.state.storage();
        let repo = Repo { sql: storage.sql() };
        let reply = sql::atomically(&storage, move || {
            let rules = &config.rules;
            let value = match command {
                MemberCommand::Checkin { member, now } => {
                    to_json(ops::checkin(&repo, rules, &member, now.0))
                }
                MemberCommand::Makeup { member, now, date } => {
                    to_json(ops::makeup(&repo, rules, &member, now.0, date.0))
                }
                MemberCommand::Month { member, now, month } => {
                    to_json(ops::month(&repo, rules, &member, now.0, &month))
                }
                MemberCommand::Ledger {
                    member,
                    now,
                    before_id,
                    limit,
                } => to_json(ops::ledger(&repo, &member, now.0, before_id, limit)),
                MemberCommand::Summary { member, now } => {
                    to_json(ops::summary(&repo, rules, &member, now.0))
                }
                MemberCommand::Event {
                    member_id,
                    event_id,
                    event,
                    now,
                } => to_json(ops::event(
                    &repo,
                    rules,
                    member_id.as_str(),
                    &event_id,
                    &event,
                    now.0,
                )),
            };
            value
        })?;
        // Rows queued by the transaction are drained by the alarm.
        outbox::ensure_alarm(&storage).await?;
        Ok(reply)
    }
}

fn to_json<T: serde::Serialize>(
    result: Result<T, ApiError>,
) -> Result<serde_json::Value, ApiError> {
    result.and_then(|reply| serde_json::to_value(reply).map_err(|_| ApiError::Internal))
}

impl DurableObject for MemberObject {
    fn new(state: State, env: Env) -> Self {
        sql::create_schema(&state.storage(), repo::SCHEMA);
        Self { state, env }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        rpc::reply(self.handle(req).await)
    }

    async fn alarm(&self) -> worker::Result<Response> {
        match Config::get(&self.env) {
            Ok(config) => {
                if let Err(err) = outbox::drain(&self.state.storage(), &config).await {
                    worker::console_error!("outbox drain failed: {err:?}");
                }
            }
            Err(err) => worker::console_error!("configuration: {err}"),
        }
        Response::empty()
    }
}
