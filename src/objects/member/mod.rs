//! One Durable Object per member: the only owner of the member's check-ins, points ledger,
//! paid-order spend and seen core events.

mod claim_refusals;
pub mod client;
mod ops;
pub mod protocol;
mod referral;
mod referral_flow;
mod repo;
pub mod wallet;

use crate::config::{Config, MEMBER_OBJECT};
use crate::domain::campaign::{self, StockRefusal};
use crate::domain::ids::CampaignId;
use crate::http::error::ApiError;
use crate::http::request::wall_now;
use crate::objects::campaign::client as campaign_client;
use crate::objects::campaign::protocol::{CampaignCommand, TakeReply};
use crate::objects::rpc::to_json;
use crate::objects::schema::{Module, Tables};
use crate::objects::{outbox, rpc, sql};
use protocol::{ClaimRequest, LinkReply, MemberCommand, MemberEvent};
use repo::Repo;
use std::rc::Rc;
use worker::{durable_object, DurableObject, Env, Request, Response, State};

#[durable_object]
pub struct MemberObject {
    state: State,
    env: Env,
    /// Which modules' tables this member holds; created on first use (see `needs`).
    tables: Tables,
}

/// Every module of the member object.
const ALL: &[&Module] = &[
    &repo::POINTS,
    &repo::EVENTS,
    &wallet::MODULE,
    &referral::MODULE,
    &outbox::MODULE,
];

/// The modules whose tables `command` may touch: a member who only checks in holds the
/// points tables and the outbox (a check-in queues `checkin.recorded`), nothing else.
fn needs(command: &MemberCommand) -> &'static [&'static Module] {
    match command {
        MemberCommand::Checkin { .. }
        | MemberCommand::Makeup { .. }
        | MemberCommand::Month { .. }
        | MemberCommand::Ledger { .. } => &[&repo::POINTS, &outbox::MODULE],
        MemberCommand::Summary { .. }
        | MemberCommand::Coupons { .. }
        | MemberCommand::Claim(_)
        | MemberCommand::LockCoupon { .. }
        | MemberCommand::ReleaseCoupon { .. } => &[
            &repo::POINTS,
            &repo::EVENTS,
            &wallet::MODULE,
            &outbox::MODULE,
        ],
        _ => ALL,
    }
}

impl MemberObject {
    fn config(&self) -> Result<Rc<Config>, ApiError> {
        Config::get(&self.env).map_err(|err| {
            worker::console_error!("configuration: {err}");
            ApiError::Internal
        })
    }

    async fn handle(&self, req: Request) -> Result<serde_json::Value, ApiError> {
        let command: MemberCommand = rpc::command(req).await?;
        self.tables.ensure(&self.state.storage(), needs(&command))?;
        // Commands that span calls to other objects.
        match command {
            MemberCommand::Claim(request) => {
                let reply = self.claim(request).await;
                outbox::ensure_alarm(&self.state.storage()).await?;
                return reply;
            }
            MemberCommand::Link { member, now } => {
                let code = self.share_code(&member, now.0).await?;
                return to_json(Ok(LinkReply { code }));
            }
            MemberCommand::ReferralSummary { member, now } => {
                let code = self.share_code(&member, now.0).await?;
                let config = self.config()?;
                let repo = Repo {
                    sql: self.state.storage().sql(),
                };
                return sql::atomically(&self.state.storage(), move || {
                    to_json(referral::summary(&repo, &config.rules, code, now.0))
                });
            }
            _ => {}
        }
        let registration = matches!(
            command,
            MemberCommand::Event {
                event: MemberEvent::Registered(_),
                ..
            }
        );
        let config = self.config()?;
        let storage = self.state.storage();
        let repo = Repo { sql: storage.sql() };
        let reply = sql::atomically(&storage, move || {
            let rules = &config.rules;
            let value = match command {
                MemberCommand::Checkin { member, now } => {
                    to_json(ops::checkin(&repo, rules, &member, now.0))
                }
                MemberCommand::Makeup { member, now, date } => {
                    to_json(ops::makeup(&repo, rules, &member, now.0, date.0))
                }
                MemberCommand::Month { member, now, month } => {
                    to_json(ops::month(&repo, rules, &member, now.0, &month))
                }
                MemberCommand::Ledger {
                    member,
                    now,
                    before_id,
                    limit,
                } => to_json(ops::ledger(&repo, &member, now.0, before_id, limit)),
                MemberCommand::Summary { member, now } => {
                    to_json(ops::summary(&repo, rules, &member, now.0))
                }
                MemberCommand::Event {
                    member_id,
                    event_id,
                    event,
                    now,
                } => to_json(ops::event(
                    &repo,
                    rules,
                    member_id.as_str(),
                    &event_id,
                    &event,
                    now.0,
                )),
                MemberCommand::Coupons {
                    member,
                    now,
                    status,
                } => to_json(ops::coupons(&repo, &member, now.0, status)),
                MemberCommand::LockCoupon {
                    coupon_id,
                    order_id,
                    lines,
                    prescription_id,
                    now,
                } => to_json(wallet::lock(
                    &repo,
                    &coupon_id,
                    order_id.as_str(),
                    &lines,
                    prescription_id.as_deref(),
                    now.0,
                )),
                MemberCommand::ReleaseCoupon {
                    coupon_id,
                    order_id,
                    now,
                } => to_json(
                    wallet::release(&repo, &coupon_id, order_id.as_str(), now.0)
                        .map(|released| serde_json::json!({ "released": released })),
                ),
                MemberCommand::Click {
                    day, visitor, now, ..
                } => to_json(referral::click(&repo, rules, &day, &visitor, now.0)),
                MemberCommand::Invite {
                    inviter,
                    invitee,
                    now,
                } => to_json(referral::invite(
                    &repo,
                    rules,
                    inviter.as_str(),
                    invitee.as_str(),
                    now.0,
                )),
                MemberCommand::ReferralReward {
                    inviter,
                    invitee,
                    stage,
                    now,
                } => to_json(referral::reward_inviter(
                    &repo,
                    rules,
                    inviter.as_str(),
                    invitee.as_str(),
                    stage,
                    now.0,
                )),
                MemberCommand::ReferralClawback {
                    inviter,
                    invitee,
                    stage,
                    now,
                } => to_json(referral::clawback_inviter(
                    &repo,
                    inviter.as_str(),
                    invitee.as_str(),
                    stage,
                    now.0,
                )),
                // Handled before the transaction: they span calls to other objects.
                MemberCommand::Claim(_)
                | MemberCommand::Link { .. }
                | MemberCommand::ReferralSummary { .. } => Err(ApiError::Internal),
            };
            value
        })?;
        if registration {
            // If the steps below cannot finish now (or this object dies), the alarm resumes them.
            outbox::schedule_alarm(
                &storage,
                wall_now().timestamp_millis() + referral_flow::RETRY_MS,
            )
            .await?;
            self.finish_registration_or_retry().await;
        }
        // Rows queued by the transaction are drained by the alarm.
        outbox::ensure_alarm(&storage).await?;
        Ok(reply)
    }
}

impl MemberObject {
    /// A coupon claim crosses two owners: the member's limits here, the units in a stock
    /// shard. Reserve here (counted against the limits), take a unit, then issue or abandon.
    /// Neither transaction spans the await, so concurrent claims interleave safely: each
    /// sees the others' reservations.
    async fn claim(&self, request: ClaimRequest) -> Result<serde_json::Value, ApiError> {
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
                ops::prepare(&repo, &member, now.0)?;
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
                if claim_refusals::is_final(&error) && key.0.is_some() {
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

impl DurableObject for MemberObject {
    fn new(state: State, env: Env) -> Self {
        Self {
            state,
            env,
            tables: Tables::default(),
        }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        if req.path() == outbox::REPLAY_PATH {
            if let Err(error) = self
                .tables
                .ensure(&self.state.storage(), &[&outbox::MODULE])
            {
                return rpc::reply::<()>(Err(error));
            }
            return outbox::serve_replay(&self.state.storage(), req).await;
        }
        rpc::reply(self.handle(req).await)
    }

    async fn alarm(&self) -> worker::Result<Response> {
        let origin = outbox::Origin::of(MEMBER_OBJECT, &self.state);
        let storage = self.state.storage();
        // Only commands schedule alarms, and each created the tables it used. A storage
        // failure fails the alarm, which the runtime retries.
        let holds = |module: &Module| {
            self.tables
                .has(&storage, module)
                .map_err(|error| worker::Error::RustError(format!("schema: {}", error.code())))
        };
        // An alarm on an object from before the versions: it holds every table; adopt them.
        let unversioned = self.tables.unversioned(&storage);
        if unversioned.map_err(|error| worker::Error::RustError(error.code()))? {
            if let Err(error) = self.tables.ensure(&storage, ALL) {
                return Err(worker::Error::RustError(error.code()));
            }
        }
        if holds(&referral::MODULE)? {
            self.finish_registration_or_retry().await;
        }
        if !holds(&outbox::MODULE)? {
            return Response::empty();
        }
        if let Ok(config) = self.config() {
            let drained = outbox::drain(&self.state.storage(), &self.env, &config, &origin).await;
            if let Err(err) = drained {
                worker::console_error!("outbox drain failed: {err:?}");
            }
        }
        Response::empty()
    }
}
