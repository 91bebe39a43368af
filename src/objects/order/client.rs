//! The worker's side of the order object.

use super::protocol::OrderCommand;
use crate::config::ORDER_OBJECT;
use crate::http::error::ApiError;
use crate::objects::rpc;
use serde::de::DeserializeOwned;
use worker::Env;

pub async fn call<R: DeserializeOwned>(
    env: &Env,
    order_id: &str,
    command: &OrderCommand,
) -> Result<R, ApiError> {
    rpc::call_object(env, ORDER_OBJECT, order_id, command).await
}
