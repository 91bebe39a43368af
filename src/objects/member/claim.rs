//! The claim saga: a coupon claim crosses two owners, the member's limits here and the units
//! in a stock shard. Reserve here, take a unit, then issue or keep the refusal.

use super::protocol::ClaimRequest;
use super::repo::Repo;
use super::{claim_refusals, ledger, wallet, MemberObject};
use crate::domain::campaign::{self, StockRefusal};
use crate::domain::ids::CampaignId;
use crate::http::error::ApiError;
use crate::objects::campaign::client as campaign_client;
use crate::objects::campaign::protocol::{CampaignCommand, TakeReply};
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
        let mut outcome = Err(ApiError::SoldOut);
        for shard in campaign::shard_order(&member.member_id, terms.shard_count) {
            if campaign_client::known_dry(&terms.config.id, shard) {
                continue;
            }
            match campaign_client::take(&self.env, &terms.config.id, shard, &claim_id, now).await {
                Ok(TakeReply::Taken { .. }) => {
                    outcome = Ok(());
                    break;
                }
                // A dry shard sends the claim on to the next one.
                Ok(TakeReply::Refused {
                    refusal: StockRefusal::SoldOut,
                }) => {
                    campaign_client::mark_dry(&terms.config.id, shard);
                    continue;
                }
                Ok(TakeReply::Refused { refusal }) => {
                    outcome = Err(refusal.into());
                    break;
                }
                Err(error) => {
                    outcome = Err(error);
                    break;
                }
            }
        }
        if let Err(error) = &outcome {
            // Once per claim (a claim may have asked several dry shards).
            self.count_rejection(&terms.config.id, error);
        }
        sql::atomically(&storage, move || match outcome {
            Ok(()) => wallet::issue(
                &repo,
                &config.rules,
                &member,
                &terms.config,
                &claim_id,
                store_id.as_ref(),
                now.0,
            ),
            Err(error) => {
                claim_refusals::settle_refused(&repo, &claim_id, &error)?;
                Ok(serde_json::json!({ "refused": error }))
            }
        })
        .and_then(|value| match value.get("refused") {
            Some(error) => Err(serde_json::from_value(error.clone()).unwrap_or(ApiError::Internal)),
            None => Ok(value),
        })
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
            let command = CampaignCommand::Rejected { reason };
            let _: Result<serde_json::Value, ApiError> =
                campaign_client::call(&env, &id, &command).await;
        });
    }
}
