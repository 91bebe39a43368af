//! The referral steps that need other objects, as the Workers runtime runs them: the share
//! code (code registry, KV) and the rest of a registration (`referral_steps`, with the
//! device registry and the inviter's object as its neighbours). Each step between two awaits
//! is its own transaction and every call is idempotent, so a step that fails or an object
//! that dies mid-way is simply run again (by the alarm) with the same outcome.

use super::client;
use super::protocol::{Invite, InviteReply, MemberContext};
use super::referral;
use super::referral_steps::{self, Neighbours};
use super::repo::Repo;
use super::MemberObject;
use crate::config::REFERRAL_LINKS_KV;
use crate::domain::ids::MemberId;
use crate::domain::referral as rules;
use crate::domain::time::Instant;
use crate::http::error::ApiError;
use crate::http::request::wall_now;
use crate::objects::outbox;
use crate::objects::referral_registry as registry;
use crate::objects::seam::durable::Durable;
use crate::objects::seam::Transact;
use chrono::{DateTime, Utc};
use worker::Env;

/// Candidate codes tried before giving up (each collides with odds of about one in 10^12
/// divided by the number of members).
pub const CODE_ATTEMPTS: u32 = 8;
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
        let repo = Repo::new(Durable::new(self.state.storage()));
        let existing = repo.sql.atomically(|| {
            super::ledger::prepare(&repo, member, now)?;
            referral::link_code(&repo)
        })?;
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
        repo.sql.atomically(|| {
            // Erased while the code was being claimed: nothing is stored again.
            if super::erasure::is_erased(&repo.sql)? {
                return Err(ApiError::MemberErased);
            }
            referral::set_link(&repo, &code, now)
        })
    }

    /// Finishes what registrations left pending (`referral_steps`), asking the device
    /// registry and the inviter's object.
    pub(super) async fn finish_registration(&self) -> Result<(), ApiError> {
        let config = self.config()?;
        let repo = Repo::new(Durable::new(self.state.storage()));
        let neighbours = Workers { env: &self.env };
        if referral_steps::finish_registration(&repo, &config.rules, &neighbours).await? {
            outbox::ensure_alarm(&repo.sql.storage).await?;
        }
        Ok(())
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

/// The other objects, as the Workers runtime reaches them.
struct Workers<'a> {
    env: &'a Env,
}

impl Neighbours for Workers<'_> {
    async fn claim_device(
        &self,
        device: &str,
        member_id: &str,
        now_ms: i64,
    ) -> Result<Option<String>, ApiError> {
        registry::claim_device(self.env, device, member_id, now_ms).await
    }

    async fn invite(
        &self,
        inviter: MemberId,
        invitee: MemberId,
        now: Instant,
    ) -> Result<InviteReply, ApiError> {
        let to = inviter.clone();
        let command = Invite {
            inviter,
            invitee,
            now,
        };
        client::ask(self.env, &to, command).await
    }
}
