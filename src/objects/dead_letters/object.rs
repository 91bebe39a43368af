//! The registry's Durable Object (each command one transaction of `repo`), and the worker's
//! and outboxes' side of it, including the replay that crosses to the letter's origin.

use super::protocol::{
    AbortReplay, BeginReplay, Begun, DeadLetter, DeadLetterCommand, EndReplay, ListLetters,
    ListReplays, RecordLetter, ReplayRecord, ReplayRequest,
};
use super::repo::{self, MODULE};
use crate::config::{DEAD_LETTERS_NAME, DEAD_LETTERS_OBJECT};
use crate::http::error::ApiError;
use crate::http::request::wall_now;
use crate::objects::outbox::{ReplayCommand, ReplayReply, REPLAY_PATH};
use crate::objects::protocol::{answer, Command};
use crate::objects::rpc;
use crate::objects::schema::Tables;
use crate::objects::seam::durable::Durable;
use worker::{durable_object, DurableObject, Env, Request, Response, State};

async fn ask<C>(env: &Env, command: C) -> Result<C::Reply, ApiError>
where
    C: Command<Protocol = DeadLetterCommand>,
{
    rpc::call_object(env, DEAD_LETTERS_OBJECT, DEAD_LETTERS_NAME, &command.into()).await
}

/// From an outbox: a delivery died.
pub async fn record(env: &Env, letter: DeadLetter) -> Result<(), ApiError> {
    let now_ms = wall_now().timestamp_millis();
    ask(env, RecordLetter { letter, now_ms }).await
}

pub async fn list(env: &Env, limit: i64) -> Result<Vec<DeadLetter>, ApiError> {
    ask(env, ListLetters { limit }).await
}

pub async fn replays(env: &Env, limit: i64) -> Result<Vec<ReplayRecord>, ApiError> {
    ask(env, ListReplays { limit }).await
}

/// Sends the delivery back to its outbox for a fresh round of attempts, once per
/// Idempotency-Key. `NotFound` when the registry has no such letter.
pub async fn replay(env: &Env, request: ReplayRequest) -> Result<(), ApiError> {
    let begun = ask(
        env,
        BeginReplay {
            request: request.clone(),
        },
    )
    .await?;
    let Begun::Start { letter } = begun else {
        return Ok(());
    };
    if let Err(error) = send_back(env, &letter).await {
        let abort = AbortReplay {
            id: request.id.clone(),
        };
        let _ = ask(env, abort).await;
        return Err(error);
    }
    let end = EndReplay {
        request,
        letter: Box::new(letter),
        now_ms: wall_now().timestamp_millis(),
    };
    ask(env, end).await
}

async fn send_back(env: &Env, letter: &DeadLetter) -> Result<(), ApiError> {
    let unavailable = |err: worker::Error| {
        worker::console_error!("dead letter origin unavailable: {err}");
        ApiError::Unavailable
    };
    let namespace = env
        .durable_object(&letter.origin_binding)
        .map_err(unavailable)?;
    let stub = namespace
        .id_from_string(&letter.origin_id)
        .and_then(|object_id| object_id.get_stub())
        .map_err(unavailable)?;
    let command = ReplayCommand {
        key: letter.key.clone(),
    };
    let reply: ReplayReply = rpc::call_path(stub, REPLAY_PATH, &command).await?;
    if !reply.replayed {
        worker::console_warn!("dead letter {} was no longer dead at its origin", letter.id);
    }
    Ok(())
}

fn run(db: &Durable, command: DeadLetterCommand) -> Result<serde_json::Value, ApiError> {
    match command {
        DeadLetterCommand::Record(RecordLetter { letter, now_ms }) => {
            answer::<RecordLetter>(repo::record(db, &letter, now_ms))
        }
        DeadLetterCommand::List(ListLetters { limit }) => {
            answer::<ListLetters>(repo::list(db, limit))
        }
        DeadLetterCommand::Replays(ListReplays { limit }) => {
            answer::<ListReplays>(repo::replays(db, limit))
        }
        DeadLetterCommand::BeginReplay(BeginReplay { request }) => {
            answer::<BeginReplay>(repo::begin_replay(db, &request))
        }
        DeadLetterCommand::EndReplay(EndReplay {
            request,
            letter,
            now_ms,
        }) => answer::<EndReplay>(repo::end_replay(db, &request, &letter, now_ms)),
        DeadLetterCommand::AbortReplay(AbortReplay { id }) => {
            answer::<AbortReplay>(repo::abort_replay(db, &id))
        }
    }
}

#[durable_object]
pub struct DeadLetterObject {
    state: State,
    tables: Tables,
}

impl DurableObject for DeadLetterObject {
    fn new(state: State, _env: Env) -> Self {
        Self {
            state,
            tables: Tables::default(),
        }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        rpc::serve_transactions::<DeadLetterCommand>(
            self.state.storage(),
            &self.tables,
            &[&MODULE],
            req,
            run,
        )
        .await
    }
}
