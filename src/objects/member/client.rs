//! The worker's side of the member object.

use super::protocol::MemberCommand;
use crate::config::MEMBER_OBJECT;
use crate::domain::ids::MemberId;
use crate::http::error::ApiError;
use crate::objects::protocol::Command;
use crate::objects::relay::{KeyOrder, Relayed};
use crate::objects::rpc;
use serde::de::DeserializeOwned;
use worker::Env;

/// Sends `command` to the member `member_id` and returns its typed reply.
pub async fn ask<C>(env: &Env, member_id: &MemberId, command: C) -> Result<C::Reply, ApiError>
where
    C: Command<Protocol = MemberCommand>,
{
    rpc::call_object(env, MEMBER_OBJECT, member_id.as_str(), &command.into()).await
}

/// Like [`ask`], the reply handed on as the object wrote it (for a handler that answers it).
pub async fn relay<C>(
    env: &Env,
    member_id: &MemberId,
    command: C,
) -> Result<Relayed<C::Reply>, ApiError>
where
    C: Command<Protocol = MemberCommand>,
    C::Reply: KeyOrder,
{
    rpc::relay_object(env, MEMBER_OBJECT, member_id.as_str(), &command.into()).await
}

/// Sends an already built command; the caller names the reply. Prefer [`ask`].
pub async fn call<R: DeserializeOwned>(
    env: &Env,
    member_id: &MemberId,
    command: &MemberCommand,
) -> Result<R, ApiError> {
    rpc::call_object(env, MEMBER_OBJECT, member_id.as_str(), command).await
}
