//! Replaying a dead letter: the row becomes pending again, in the object that holds it.

use super::{drain, ensure_alarm};
use crate::http::error::ApiError;
use crate::http::request::wall_now;
use crate::objects::rpc;
use serde::{Deserialize, Serialize};
use worker::{Request, Response, Storage};

#[derive(Debug, Serialize, Deserialize)]
pub struct ReplayCommand {
    pub key: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ReplayReply {
    /// False when no dead row had this key (already replayed or never dead).
    pub replayed: bool,
}

/// Inside an object, for requests on `REPLAY_PATH`: a dead row becomes pending again, with
/// a fresh count of attempts, and the alarm is set to deliver it now.
pub async fn serve_replay(storage: &Storage, req: Request) -> worker::Result<Response> {
    let command: Result<ReplayCommand, ApiError> = rpc::command(req).await;
    let result = async {
        let command = command?;
        let replayed = drain::replay(storage, &command.key, wall_now().timestamp_millis())?;
        ensure_alarm(storage).await?;
        Ok(ReplayReply { replayed })
    }
    .await;
    rpc::reply(result)
}
