//! The rest of a registration, which needs other objects: report the registration's devices
//! to the device registry, then decide a pending binding (device seen before? the inviter's
//! caps?). Each step between two calls is its own transaction and every call is idempotent,
//! so steps that fail, or an object that dies mid-way, are simply run again (by the alarm)
//! with the same outcome. Generic over the other objects ([`Neighbours`]), so it runs
//! natively against real SQLite with scripted answers (tests/objects_referral*.rs).

use super::protocol::InviteReply;
use super::referral_invitee::{device_reported, pending, settle};
use super::repo::Repo;
use crate::domain::ids::MemberId;
use crate::domain::referral::check_device;
use crate::domain::rules::Rules;
use crate::domain::time::Instant;
use crate::http::error::ApiError;
use crate::objects::seam::Transact;

/// What a registration's steps ask of other objects.
// Workers run one thread: the futures need no `Send` bound, which is what this lint is about.
#[allow(async_fn_in_trait)]
pub trait Neighbours {
    /// The first member `device` registered; records `member_id` if none did.
    async fn claim_device(
        &self,
        device: &str,
        member_id: &str,
        now_ms: i64,
    ) -> Result<Option<String>, ApiError>;

    /// The inviter's answer: may `invitee` be bound (its caps)? The same every time asked.
    async fn invite(
        &self,
        inviter: MemberId,
        invitee: MemberId,
        now: Instant,
    ) -> Result<InviteReply, ApiError>;
}

/// Finishes what registrations left pending in this member's object. Answers whether a
/// binding was decided (and so may have queued rows to deliver).
pub async fn finish_registration(
    repo: &Repo<impl Transact>,
    rules: &Rules,
    neighbours: &impl Neighbours,
) -> Result<bool, ApiError> {
    let (pending, profile) = repo
        .sql
        .atomically(|| Ok::<_, ApiError>((pending(repo)?, repo.profile()?)))?;
    let Some(profile) = profile else {
        return Ok(false);
    };
    let member_id = profile.member_id;
    for claim in pending.device_claims {
        neighbours
            .claim_device(&claim.device, &member_id, claim.now_ms)
            .await?;
        repo.sql
            .atomically(|| device_reported(repo, &claim.event_id))?;
    }
    let Some(binding) = pending.binding else {
        return Ok(false);
    };
    let device_owner = match &binding.device {
        Some(device) => {
            neighbours
                .claim_device(device, &member_id, binding.created_ms)
                .await?
        }
        None => None,
    };
    let decision = match check_device(device_owner.as_deref(), &member_id) {
        Err(refusal) => Err(refusal),
        Ok(()) => {
            let parse = |raw: &str| MemberId::parse(raw).map_err(|_| ApiError::Internal);
            let asked_at = Instant::from_millis(binding.created_ms);
            let reply = neighbours
                .invite(parse(&binding.inviter_id)?, parse(&member_id)?, asked_at)
                .await?;
            reply.refusal.map_or(Ok(()), Err)
        }
    };
    repo.sql
        .atomically(|| settle(repo, rules, &member_id, decision))?;
    Ok(true)
}
