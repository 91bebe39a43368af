//! The member's side of the claim saga (`domain::claim_saga` decides each step): reserve
//! here against the member's limits, take a unit from a stock shard, then issue, or give the
//! unit back and keep the refusal.

use super::protocol::ClaimRequest;
use super::repo::Repo;
use super::{claim_refusals, ledger, wallet, MemberObject};
use crate::domain::campaign::{self, StockRefusal};
use crate::domain::claim_saga::{ClaimSaga, Hold, Outcome, Reply, Step};
use crate::domain::ids::CampaignId;
use crate::http::error::ApiError;
use crate::objects::campaign::client as campaign_client;
use crate::objects::campaign::protocol::{CountRejected, ReleaseUnit, TakeReply, TakeUnit};
use crate::objects::sql;
use std::rc::Rc;

impl MemberObject {
    /// A coupon claim crosses two owners: the member's limits here, the units in a stock
    /// shard. Reserve here (counted against the limits), take a unit, then issue or abandon.
    /// Neither transaction spans the await, so concurrent claims interleave safely: each
    /// sees the others' reservations.
    pub(super) async fn claim(&self, request: ClaimRequest) -> Result<serde_json::Value, ApiError> {
        let ClaimRequest {
            member,
            terms,
            store_id,
            idempotency_key,
            body_hash,
            now,
        } = request;
        let config = self.config()?;
        let storage = self.state.storage();
        let repo = Rc::new(Repo { sql: storage.sql() });
        let terms = Rc::new(terms);
        let member = Rc::new(member);
        let key = Rc::new((idempotency_key, body_hash));
        let reserved = {
            let (repo, terms, member, config, key) = (
                repo.clone(),
                terms.clone(),
                member.clone(),
                config.clone(),
                key.clone(),
            );
            sql::atomically(&storage, move || {
                ledger::prepare(&repo, &member, now.0)?;
                wallet::reserve(
                    &repo,
                    &config.rules,
                    &member,
                    &terms.config,
                    key.0.as_deref(),
                    &key.1,
                    now.0,
                )
            })
        };
        let reserved = match reserved {
            Ok(reserved) => reserved,
            Err(error) => {
                if error.is_final_refusal() && key.0.is_some() {
                    let (repo, key, refusal) = (repo.clone(), key.clone(), error.clone());
                    let campaign_id = terms.config.id.clone();
                    sql::atomically(&storage, move || {
                        let now_ms = now.0.timestamp_millis();
                        claim_refusals::remember_early(
                            &repo,
                            campaign_id.as_str(),
                            key.0.as_deref(),
                            &key.1,
                            &refusal,
                            now_ms,
                        )
                    })?;
                }
                self.count_rejection(&terms.config.id, &error);
                return Err(error);
            }
        };
        let claim_id = match reserved {
            wallet::Reserved::Replay(response) => return Ok(response),
            // A repeat of a refused key: its first answer, counted when it was decided.
            wallet::Reserved::Refused(first_answer) => return Err(first_answer),
            wallet::Reserved::Go { claim_id } => claim_id,
        };
        let id = &terms.config.id;
        let order = campaign::shard_order(&member.member_id, terms.shard_count);
        let known_dry = campaign_client::known_dry(id, terms.shard_count);
        let (mut saga, mut step) = ClaimSaga::start(order, &known_dry);
        // What a shard that did not answer said instead (503 or 500), for the answer.
        let mut failure = ApiError::Unavailable;
        // A saga ends within two calls per shard and an issue; the bound is a safety net.
        let mut outcome = Outcome::Unavailable;
        let mut coupon = None;
        for _ in 0..2 * terms.shard_count + 4 {
            let reply = match step {
                Step::Finish(end) => {
                    outcome = end;
                    break;
                }
                Step::Take { shard } => {
                    let take = TakeUnit {
                        claim_id: claim_id.clone(),
                        now,
                    };
                    match campaign_client::ask_shard(&self.env, id, shard, take).await {
                        Ok(TakeReply::Taken { .. }) => Reply::Taken,
                        Ok(TakeReply::Refused {
                            refusal: StockRefusal::SoldOut,
                        }) => {
                            campaign_client::mark_dry(id, shard);
                            Reply::Dry
                        }
                        Ok(TakeReply::Refused { refusal }) => Reply::Closed(refusal),
                        Err(error) => {
                            failure = error;
                            Reply::Unreachable
                        }
                    }
                }
                Step::Release(Hold::Unit { shard }) => {
                    let release = ReleaseUnit {
                        claim_id: claim_id.clone(),
                    };
                    match campaign_client::ask_shard(&self.env, id, shard, release).await {
                        Ok(_) => Reply::Released,
                        Err(_) => Reply::Unreachable,
                    }
                }
                Step::Issue => {
                    let (repo, config, member, terms, claim_id, store_id) = (
                        repo.clone(),
                        config.clone(),
                        member.clone(),
                        terms.clone(),
                        claim_id.clone(),
                        store_id.clone(),
                    );
                    let issued = sql::atomically(&storage, move || {
                        wallet::issue(
                            &repo,
                            &config.rules,
                            &member,
                            &terms.config,
                            &claim_id,
                            store_id.as_ref(),
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
            // unit it still holds.
            worker::console_warn!("claim {claim_id}: a unit was not given back");
        }
        let error = match outcome {
            Outcome::Issued => return coupon.ok_or(ApiError::Internal),
            Outcome::SoldOut => ApiError::SoldOut,
            Outcome::Closed(refusal) => refusal.into(),
            Outcome::Unavailable => failure,
            Outcome::NotIssued(error) => error,
        };
        // Once per claim (a claim may have asked several dry shards).
        self.count_rejection(id, &error);
        let refusal = error.clone();
        sql::atomically(&storage, move || {
            claim_refusals::settle_refused(&repo, &claim_id, &refusal)
        })?;
        Err(error)
    }
}

impl MemberObject {
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
