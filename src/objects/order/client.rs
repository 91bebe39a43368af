//! The worker's side of the order object.

use crate::config::ORDER_OBJECT;
use crate::http::error::ApiError;
use crate::objects::protocol::Command;
use crate::objects::relay::{KeyOrder, Relayed};
use crate::objects::rpc;
use worker::Env;

/// Sends `command` to the order `order_id` and returns its typed reply.
pub async fn ask<C>(env: &Env, order_id: &str, command: C) -> Result<C::Reply, ApiError>
where
    C: Command<Protocol = super::protocol::OrderCommand>,
{
    rpc::call_object(env, ORDER_OBJECT, order_id, &command.into()).await
}

/// Like [`ask`], the reply handed on as the object wrote it (for a handler that answers it).
pub async fn relay<C>(env: &Env, order_id: &str, command: C) -> Result<Relayed<C::Reply>, ApiError>
where
    C: Command<Protocol = super::protocol::OrderCommand>,
    C::Reply: KeyOrder,
{
    rpc::relay_object(env, ORDER_OBJECT, order_id, &command.into()).await
}
