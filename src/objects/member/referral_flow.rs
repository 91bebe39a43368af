//! The referral steps that need other objects: the share code (code registry, KV) and the
//! rest of a registration (device registry, the inviter's caps). Each step between two
//! awaits is its own transaction and every call is idempotent, so a step that fails or an
//! object that dies mid-way is simply run again (by the alarm) with the same outcome.

use super::client;
use super::protocol::{Invite, MemberContext};
use super::referral;
use super::repo::Repo;
use super::MemberObject;
use crate::config::REFERRAL_LINKS_KV;
use crate::domain::ids::MemberId;
use crate::domain::referral as rules;
use crate::domain::time::Instant;
use crate::http::error::ApiError;
use crate::http::request::wall_now;
use crate::objects::referral_registry as registry;
use crate::objects::{outbox, sql};
use chrono::{DateTime, Utc};
use std::rc::Rc;

/// Candidate codes tried before giving up (each collides with odds of about one in 10^12
/// divided by the number of members).
const CODE_ATTEMPTS: u32 = 8;
/// A registration whose steps did not finish is picked up by the alarm this much later.
pub const RETRY_MS: i64 = 30_000;

impl MemberObject {
    /// The member's share code: the stored one, or the first candidate the registry gives
    /// this member, published to KV before it is stored (so a stored code always resolves).
    pub(super) async fn share_code(
        &self,
        member: &MemberContext,
        now: DateTime<Utc>,
    ) -> Result<String, ApiError> {
        let config = self.config()?;
        let storage = self.state.storage();
        let repo = Rc::new(Repo { sql: storage.sql() });
        let existing = {
            let (repo, member) = (repo.clone(), member.clone());
            sql::atomically(&storage, move || {
                super::ledger::prepare(&repo, &member, now)?;
                referral::link_code(&repo)
            })?
        };
        if let Some(code) = existing {
            return Ok(code);
        }
        let member_id = member.member_id.as_str();
        let mut claimed = None;
        for attempt in 0..CODE_ATTEMPTS {
            let candidate =
                rules::candidate_code(config.referral_secret.as_bytes(), member_id, attempt);
            let owner =
                registry::claim_code(&self.env, &candidate, member_id, now.timestamp_millis())
                    .await?;
            if owner.as_deref() == Some(member_id) {
                claimed = Some(candidate);
                break;
            }
        }
        let code = claimed.ok_or(ApiError::Unavailable)?;
        let unavailable = |err: worker::kv::KvError| {
            worker::console_error!("referral links KV: {err}");
            ApiError::Unavailable
        };
        self.env
            .kv(REFERRAL_LINKS_KV)
            .map_err(|err| {
                worker::console_error!("referral links KV: {err}");
                ApiError::Unavailable
            })?
            .put(&code, member_id)
            .map_err(unavailable)?
            .execute()
            .await
            .map_err(unavailable)?;
        sql::atomically(&storage, move || referral::set_link(&repo, &code, now))
    }

    /// Finishes what registrations left pending: reports devices to the device registry,
    /// then decides a pending binding (device seen before? the inviter's caps?).
    pub(super) async fn finish_registration(&self) -> Result<(), ApiError> {
        let config = self.config()?;
        let storage = self.state.storage();
        let repo = Rc::new(Repo { sql: storage.sql() });
        let (pending, profile) = {
            let repo = repo.clone();
            sql::atomically(&storage, move || {
                Ok((referral::pending(&repo)?, repo.profile()?))
            })?
        };
        let Some(profile) = profile else {
            return Ok(());
        };
        let member_id = profile.member_id;
        for claim in pending.device_claims {
            registry::claim_device(&self.env, &claim.device, &member_id, claim.now_ms).await?;
            let repo = repo.clone();
            sql::atomically(&storage, move || {
                referral::device_reported(&repo, &claim.event_id)
            })?;
        }
        let Some(binding) = pending.binding else {
            return Ok(());
        };
        let device_owner = match &binding.device {
            Some(device) => {
                registry::claim_device(&self.env, device, &member_id, binding.created_ms).await?
            }
            None => None,
        };
        let decision = match rules::check_device(device_owner.as_deref(), &member_id) {
            Err(refusal) => Err(refusal),
            Ok(()) => {
                let parse = |raw: &str| MemberId::parse(raw).map_err(|_| ApiError::Internal);
                let command = Invite {
                    inviter: parse(&binding.inviter_id)?,
                    invitee: parse(&member_id)?,
                    now: Instant::from_millis(binding.created_ms),
                };
                let reply = client::ask(&self.env, &parse(&binding.inviter_id)?, command).await?;
                reply.refusal.map_or(Ok(()), Err)
            }
        };
        sql::atomically(&storage, move || {
            referral::decide(&repo, &config.rules, &member_id, decision)
        })?;
        outbox::ensure_alarm(&storage).await
    }

    /// Runs `finish_registration`; if it cannot finish now, the alarm tries again.
    pub(super) async fn finish_registration_or_retry(&self) {
        if let Err(error) = self.finish_registration().await {
            worker::console_warn!("registration steps deferred: {}", error.code());
            let retry_at = wall_now().timestamp_millis() + RETRY_MS;
            if outbox::schedule_alarm(&self.state.storage(), retry_at)
                .await
                .is_err()
            {
                worker::console_error!("could not schedule the registration retry");
            }
        }
    }
}
