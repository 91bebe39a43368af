//! The worker's side of the member object.

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
    rpc::call_object(env, MEMBER_OBJECT, member_id.as_str(), command).await
}
