//! The worker's side of the member object: find the member's object and call it.

use super::protocol::MemberCommand;
use crate::config::MEMBER_OBJECT;
use crate::domain::ids::MemberId;
use crate::http::error::ApiError;
use crate::objects::rpc;
use serde::de::DeserializeOwned;
use worker::Env;

pub async fn call<R: DeserializeOwned>(
    env: &Env,
    member_id: &MemberId,
    command: &MemberCommand,
) -> Result<R, ApiError> {
    let stub = env
        .durable_object(MEMBER_OBJECT)
        .and_then(|namespace| namespace.get_by_name(member_id.as_str()))
        .map_err(|err| {
            worker::console_error!("member object unavailable: {err}");
            ApiError::Unavailable
        })?;
    rpc::call(&stub, command).await
}
