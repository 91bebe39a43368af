//! The member's side of the claim saga (`domain::claim_saga` decides each step): reserve here
//! against the member's limits, take a unit from a stock shard, then issue, or give the unit
//! back and keep the refusal. Written against the SQL seam and a [`Shards`] trait, so the
//! whole claim runs natively against real SQLite and scripted or real shards
//! (tests/objects_campaign_claim.rs); the object's glue (`runtime`) talks to the stock objects.

use super::claim_flight::InFlight;
use super::protocol::ClaimRequest;
use super::repo::Repo;
use super::{claim_refusals, exchange, ledger, wallet};
use crate::domain::campaign::{self, StockRefusal};
use crate::domain::claim_saga::{ClaimSaga, Hold, Outcome, Reply, Step};
use crate::domain::rules::Rules;
use crate::domain::time::Instant;
use crate::http::error::ApiError;
use crate::objects::campaign::protocol::{Released, TakeReply};
use crate::objects::seam::{log_warn, Transact};

/// The campaign's stock shards as a claim sees them: calls that may fail, and this isolate's
/// hints of which shards were sold out a moment ago.
#[allow(async_fn_in_trait)]
pub trait Shards {
    fn known_dry(&self) -> Vec<u32>;
    fn mark_dry(&self, shard: u32);
    async fn take(&self, shard: u32, claim_id: &str, now: Instant) -> Result<TakeReply, ApiError>;
    async fn release(&self, shard: u32, claim_id: &str) -> Result<Released, ApiError>;
}

/// A claim's answer, and whether its refusal is counted in the campaign's stats (once per
/// claim, by the member's object: the shards count their own).
#[derive(Debug)]
pub struct Claimed {
    pub answer: Result<serde_json::Value, ApiError>,
    pub counted: bool,
}

impl Claimed {
    fn counted(answer: Result<serde_json::Value, ApiError>) -> Self {
        Claimed {
            answer,
            counted: true,
        }
    }

    fn uncounted(answer: Result<serde_json::Value, ApiError>) -> Self {
        Claimed {
            answer,
            counted: false,
        }
    }
}

/// `claim_in_flight` in an object with no other claim in flight.
pub async fn claim<S: Transact>(
    repo: &Repo<S>,
    rules: &Rules,
    request: &ClaimRequest,
    shards: &impl Shards,
) -> Claimed {
    claim_in_flight(repo, rules, request, shards, &InFlight::default()).await
}

/// A coupon claim: reserve (counted against the limits while the unit is taken), follow the
/// saga, then issue or settle the refusal. No transaction spans an await, so concurrent claims
/// interleave safely: each sees the others' reservations, written (a points exchange holds its
/// points with its row) or in `in_flight` (every other claim: its row is written with the
/// coupon or the refusal, so nothing is committed before the take).
pub async fn claim_in_flight<S: Transact>(
    repo: &Repo<S>,
    rules: &Rules,
    request: &ClaimRequest,
    shards: &impl Shards,
    in_flight: &InFlight,
) -> Claimed {
    let ClaimRequest {
        member,
        terms,
        store_id,
        idempotency_key,
        body_hash,
        now,
        attribution,
        ..
    } = request;
    let db = &repo.sql;
    if let Some(closed) = &request.closed {
        // A scheduled campaign between occurrences: a key's first answer, else the closure
        // (counted by the campaign's head, which decided it).
        let key = idempotency_key.as_deref();
        return Claimed::uncounted(
            db.atomically(|| wallet::replay_or(repo, key, body_hash, closed)),
        );
    }
    let held = exchange::holds(&terms.config);
    let reserved = db.atomically(|| -> Result<(wallet::Reserved, Option<_>), ApiError> {
        ledger::prepare(repo, member, now.0)?;
        // Every claim, a points exchange too, sees the keys of the claims in flight: a key
        // written under another claim's in-flight key would make that claim's row fail.
        let decided = wallet::reserve_pending(
            repo,
            rules,
            member,
            &terms.config,
            &request.scope(),
            idempotency_key.as_deref(),
            body_hash,
            now.0,
            &in_flight.pending(),
        )?;
        let pending = match decided {
            Ok(pending) => pending,
            Err(known) => return Ok((known, None)),
        };
        let claim_id = pending.claim_id.clone();
        if held.is_empty() {
            return Ok((wallet::Reserved::Go { claim_id }, Some(pending)));
        }
        // A points exchange writes its reservation now: its hold is counted through it.
        wallet::record_pending(repo, &pending)?;
        let reserved = wallet::Reserved::Go { claim_id };
        hold_points(repo, rules, request, &reserved)?;
        Ok((reserved, None))
    });
    let (claim_id, pending) = match reserved {
        Ok((wallet::Reserved::Go { claim_id }, pending)) => (claim_id, pending),
        Ok((wallet::Reserved::Replay(response), _)) => return Claimed::uncounted(Ok(response)),
        // A repeat of a refused key: its first answer, counted when it was decided.
        Ok((wallet::Reserved::Refused(first_answer), _)) => {
            return Claimed::uncounted(Err(first_answer))
        }
        Err(error) => {
            if error.is_final_refusal() && idempotency_key.is_some() {
                let kept = db.atomically(|| {
                    claim_refusals::remember_early(
                        repo,
                        terms.config.id.as_str(),
                        idempotency_key.as_deref(),
                        body_hash,
                        &error,
                        now.0.timestamp_millis(),
                    )
                });
                if let Err(failed) = kept {
                    return Claimed::uncounted(Err(failed));
                }
            }
            return Claimed::counted(Err(error));
        }
    };
    // Counted by later claims in this object until its row is written (below).
    let _flight = pending.clone().map(|pending| in_flight.hold(pending));
    // The reservation's row, written with whatever ends the claim.
    let record = || match &pending {
        Some(pending) => wallet::record_pending(repo, pending),
        None => Ok(()),
    };
    let order = campaign::shard_order(&member.member_id, terms.shard_count);
    let (mut saga, mut step) = ClaimSaga::start_holding(order, &shards.known_dry(), held);
    // What a shard that did not answer said instead (503 or 500), for the answer.
    let mut failure = ApiError::Unavailable;
    let mut coupon = None;
    let mut outcome = Outcome::Unavailable;
    // A saga ends within two calls per shard and an issue; the bound is a safety net.
    for _ in 0..2 * terms.shard_count + 4 {
        let reply = match step {
            Step::Finish(end) => {
                outcome = end;
                break;
            }
            Step::Take { shard } => match shards.take(shard, &claim_id, *now).await {
                Ok(TakeReply::Taken { .. }) => Reply::Taken,
                Ok(TakeReply::Refused {
                    refusal: StockRefusal::SoldOut,
                }) => {
                    shards.mark_dry(shard);
                    Reply::Dry
                }
                Ok(TakeReply::Refused { refusal }) => Reply::Closed(refusal),
                Err(error) => {
                    failure = error;
                    Reply::Unreachable
                }
            },
            Step::Release(Hold::Unit { shard }) => match shards.release(shard, &claim_id).await {
                Ok(_) => Reply::Released,
                Err(_) => Reply::Unreachable,
            },
            Step::Release(Hold::Points { .. }) => release_points(repo, &claim_id),
            Step::Issue => {
                let issued = db.atomically(|| {
                    record()?;
                    exchange::spend(repo, rules, &terms.config, &claim_id, now.0)?;
                    wallet::issue(
                        repo,
                        rules,
                        member,
                        &terms.config,
                        &claim_id,
                        wallet::ClaimOrigin {
                            store_id: store_id.as_ref(),
                            attribution: attribution.as_deref(),
                        },
                        now.0,
                    )
                });
                match issued {
                    Ok(issued) => {
                        coupon = Some(issued);
                        Reply::Issued
                    }
                    Err(error) => Reply::NotIssued(error),
                }
            }
        };
        step = saga.next(reply);
    }
    if !saga.unreleased().is_empty() {
        // The member's next claim reuses this claim id, and the shard answers it with the
        // unit it still holds; a points hold stops counting with its stale reservation.
        let unreleased = saga.unreleased();
        log_warn(&format!("claim {claim_id}: not given back: {unreleased:?}"));
    }
    let (error, counted) = match outcome {
        Outcome::Issued => return Claimed::uncounted(coupon.ok_or(ApiError::Internal)),
        Outcome::SoldOut => (ApiError::SoldOut, true),
        Outcome::Closed(refusal) => (refusal.into(), true),
        Outcome::Unavailable => (failure, true),
        Outcome::NotIssued(error) => (error, false),
    };
    let settled = db.atomically(|| {
        record()?;
        claim_refusals::settle_refused(repo, &claim_id, &error)
    });
    if let Err(failed) = settled {
        return Claimed::uncounted(Err(failed));
    }
    Claimed {
        answer: Err(error),
        counted,
    }
}

/// A points exchange holds the member's points in the reservation's transaction (nothing for
/// other kinds); a refusal there rolls the reservation back and is the claim's answer.
fn hold_points<S: Transact>(
    repo: &Repo<S>,
    rules: &Rules,
    request: &ClaimRequest,
    reserved: &wallet::Reserved,
) -> Result<(), ApiError> {
    match reserved {
        wallet::Reserved::Go { claim_id } => {
            exchange::hold(repo, rules, &request.terms.config, claim_id, request.now.0)
        }
        _ => Ok(()),
    }
}

/// The claim ended without a coupon: the points it held are free again, untouched.
fn release_points<S: Transact>(repo: &Repo<S>, claim_id: &str) -> Reply<ApiError> {
    match repo.sql.atomically(|| exchange::drop_hold(repo, claim_id)) {
        Ok(()) => Reply::Released,
        Err(_) => Reply::Unreachable,
    }
}

#[cfg(target_arch = "wasm32")]
mod runtime {
    use super::super::object::MemberObject;
    use super::super::protocol::ClaimRequest;
    use super::{claim_refusals, Shards};
    use crate::domain::ids::CampaignId;
    use crate::domain::time::Instant;
    use crate::http::error::ApiError;
    use crate::objects::campaign::client as campaign_client;
    use crate::objects::campaign::protocol::{
        CountRejected, ReleaseUnit, Released, TakeReply, TakeUnit,
    };
    use worker::Env;

    /// The campaign's stock objects.
    struct StockShards<'a> {
        env: &'a Env,
        /// The campaign, or one occurrence of it (`ClaimRequest::scope`).
        scope: String,
        shard_count: u32,
    }

    impl Shards for StockShards<'_> {
        fn known_dry(&self) -> Vec<u32> {
            campaign_client::known_dry(&self.scope, self.shard_count)
        }

        fn mark_dry(&self, shard: u32) {
            campaign_client::mark_dry(&self.scope, shard);
        }

        async fn take(
            &self,
            shard: u32,
            claim_id: &str,
            now: Instant,
        ) -> Result<TakeReply, ApiError> {
            let take = TakeUnit {
                claim_id: claim_id.to_owned(),
                now,
            };
            campaign_client::ask_scoped_shard(self.env, &self.scope, shard, take).await
        }

        async fn release(&self, shard: u32, claim_id: &str) -> Result<Released, ApiError> {
            let release = ReleaseUnit {
                claim_id: claim_id.to_owned(),
            };
            campaign_client::ask_scoped_shard(self.env, &self.scope, shard, release).await
        }
    }

    impl MemberObject {
        pub(in crate::objects::member) async fn claim(
            &self,
            request: ClaimRequest,
        ) -> Result<serde_json::Value, ApiError> {
            let config = self.config()?;
            let id = &request.terms.config.id;
            let shards = StockShards {
                env: &self.env,
                scope: request.scope(),
                shard_count: request.terms.shard_count,
            };
            let claimed = super::claim_in_flight(
                &self.repo,
                &config.rules,
                &request,
                &shards,
                &self.claims_in_flight,
            )
            .await;
            if let (true, Err(error)) = (claimed.counted, &claimed.answer) {
                self.count_rejection(id, error);
            }
            claimed.answer
        }

        /// Counts a claim refused here, once, in the campaign's stats, after the answer. The
        /// shards count their own refusals (paused, ended, not started).
        fn count_rejection(&self, campaign_id: &CampaignId, error: &ApiError) {
            let Some(reason) = claim_refusals::rejection_reason(error) else {
                return;
            };
            let (env, id) = (self.env.clone(), campaign_id.clone());
            self.state.wait_until(async move {
                let _ = campaign_client::ask(&env, &id, CountRejected { reason }).await;
            });
        }
    }
}
