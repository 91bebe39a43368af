//! A registry instance's Durable Object (each command one transaction of `repo`), and the
//! worker's side of it.

use super::protocol::{
    ClaimCode, ClaimDevice, ForgetMember, GetHoldings, GetStats, Holdings, LookupCode, RecordFact,
    ReferralStats, RegistryCommand,
};
use super::repo::{self, Held, MODULE};
use super::{code_shard, device_shard, STATS_NAME};
use crate::config::REFERRALS_OBJECT;
use crate::http::error::ApiError;
use crate::objects::protocol::{answer, Command};
use crate::objects::rpc;
use crate::objects::schema::Tables;
use crate::objects::seam::durable::Durable;
use worker::{durable_object, DurableObject, Env, Request, Response, State};

async fn ask<C>(env: &Env, name: &str, command: C) -> Result<C::Reply, ApiError>
where
    C: Command<Protocol = RegistryCommand>,
{
    rpc::call_object(env, REFERRALS_OBJECT, name, &command.into()).await
}

pub async fn claim_code(
    env: &Env,
    code: &str,
    member_id: &str,
    now_ms: i64,
) -> Result<Option<String>, ApiError> {
    let command = ClaimCode {
        code: code.to_owned(),
        member_id: member_id.to_owned(),
        now_ms,
    };
    Ok(ask(env, &code_shard(code), command).await?.owner)
}

pub async fn lookup_code(env: &Env, code: &str) -> Result<Option<String>, ApiError> {
    let command = LookupCode {
        code: code.to_owned(),
    };
    Ok(ask(env, &code_shard(code), command).await?.owner)
}

pub async fn claim_device(
    env: &Env,
    device: &str,
    member_id: &str,
    now_ms: i64,
) -> Result<Option<String>, ApiError> {
    let command = ClaimDevice {
        device: device.to_owned(),
        member_id: member_id.to_owned(),
        now_ms,
    };
    Ok(ask(env, &device_shard(device), command).await?.owner)
}

pub async fn stats(env: &Env) -> Result<ReferralStats, ApiError> {
    ask(env, STATS_NAME, GetStats {}).await
}

/// Erasure: drops `member_id`'s codes and devices held by the instance `name`.
pub async fn forget_member(env: &Env, name: &str, member_id: &str) -> Result<Holdings, ApiError> {
    let command = ForgetMember {
        member_id: member_id.to_owned(),
    };
    ask(env, name, command).await
}

/// What the instance `name` holds for `member_id`.
pub async fn holdings(env: &Env, name: &str, member_id: &str) -> Result<Holdings, ApiError> {
    let command = GetHoldings {
        member_id: member_id.to_owned(),
    };
    ask(env, name, command).await
}

fn run(db: &Durable, command: RegistryCommand) -> Result<serde_json::Value, ApiError> {
    match command {
        RegistryCommand::ClaimCode(ClaimCode {
            code,
            member_id,
            now_ms,
        }) => answer::<ClaimCode>(repo::claim(db, Held::Code, &code, &member_id, now_ms)),
        RegistryCommand::LookupCode(LookupCode { code }) => {
            answer::<LookupCode>(repo::owner(db, Held::Code, &code))
        }
        RegistryCommand::ClaimDevice(ClaimDevice {
            device,
            member_id,
            now_ms,
        }) => answer::<ClaimDevice>(repo::claim(db, Held::Device, &device, &member_id, now_ms)),
        RegistryCommand::Record(RecordFact {
            fact_id,
            label,
            now_ms,
        }) => answer::<RecordFact>(repo::record(db, &fact_id, &label, now_ms)),
        RegistryCommand::Stats(GetStats {}) => answer::<GetStats>(repo::stats(db)),
        RegistryCommand::ForgetMember(ForgetMember { member_id }) => {
            answer::<ForgetMember>(repo::forget(db, &member_id))
        }
        RegistryCommand::Holdings(GetHoldings { member_id }) => {
            answer::<GetHoldings>(repo::holdings(db, &member_id))
        }
    }
}

#[durable_object]
pub struct ReferralRegistryObject {
    state: State,
    tables: Tables,
}

impl DurableObject for ReferralRegistryObject {
    fn new(state: State, _env: Env) -> Self {
        Self {
            state,
            tables: Tables::default(),
        }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        rpc::serve_transactions::<RegistryCommand>(
            self.state.storage(),
            &self.tables,
            &[&MODULE],
            req,
            run,
        )
        .await
    }
}
