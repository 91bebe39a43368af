//! The member's Durable Object: runtime glue (fetch, alarm, calls to other objects) around
//! the transactions of the modules beside it.

use super::needs::{needs, ALL};
use super::repo::Repo;
use super::{checkins, commands, coupons, erasure, me, protocol, referral, referral_invitee, repo};
use crate::config::{Config, MEMBER_OBJECT};
use crate::http::error::ApiError;
use crate::http::request::wall_now;
use crate::objects::protocol::answer;
use crate::objects::schema::{Module, Tables};
use crate::objects::seam::durable::Durable;
use crate::objects::seam::{Sql, Transact};
use crate::objects::{outbox, rpc};
use protocol::*;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use worker::{durable_object, DurableObject, Env, Request, Response, State};

#[durable_object]
pub struct MemberObject {
    pub(super) state: State,
    pub(super) env: Env,
    /// Which modules' tables this member holds; created on first use (see `needs`). Shared
    /// with the delivery after an answer, which asks it about the referral tables.
    tables: Rc<Tables>,
    /// The object's storage and SQL handles, read once per instance (each read crosses
    /// into the runtime).
    pub(super) repo: Repo<Durable>,
    /// Coupon claims between their reservation and their row (see `claim_flight`).
    pub(super) claims_in_flight: super::claim_flight::InFlight,
    /// This instance read an empty outbox and has queued nothing since: a command that
    /// queues nothing needs no read of it (see `fetch`).
    outbox_idle: Cell<bool>,
    /// Tables this instance found absent by name (objects from before the version records;
    /// see `holds`). A table appears only through `tables.ensure`, which `holds` asks first.
    absent: RefCell<Vec<&'static str>>,
}

/// A rare command's future behind a pointer, made out of line: its poll stays a function of
/// its own, compiled the first time it runs, instead of inlined into `handle`'s (V8 compiles
/// a wasm function whole on its first call: a cold object's first check-in compiled the
/// claim saga with it).
#[inline(never)]
fn out_of_line<'a, T>(
    future: impl Future<Output = T> + 'a,
) -> Pin<Box<dyn Future<Output = T> + 'a>> {
    Box::pin(future)
}

impl MemberObject {
    /// Whether this member has `module`'s tables (`table` is one of them): by its version
    /// record, or, for an object from before the records, by the table itself.
    fn holds(&self, module: &Module, table: &'static str) -> Result<bool, ApiError> {
        let db = &self.repo.sql;
        if self.tables.has(db, module)? {
            return Ok(true);
        }
        if self.absent.borrow().contains(&table) || self.tables.all_recorded(db)? {
            return Ok(false);
        }
        let found: Option<(i64,)> = db.row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
            vec![table.into()],
        )?;
        if found.is_none() {
            self.absent.borrow_mut().push(table);
        }
        Ok(found.is_some())
    }

    pub(super) fn config(&self) -> Result<Rc<Config>, ApiError> {
        Config::get(&self.env).map_err(|err| {
            worker::console_error!("configuration: {err}");
            ApiError::Internal
        })
    }

    async fn handle(&self, text: &str) -> Result<serde_json::Value, ApiError> {
        let command: MemberCommand = rpc::decode(text)?;
        // An erased member's object answers from the tombstone, creating nothing.
        if let Some(answer) = erasure::answer_if_erased(&self.repo.sql, &self.tables, &command)? {
            return Ok(answer);
        }
        // Created empty by this call: the command has nothing to read (no await until it runs).
        let stored = match self
            .tables
            .ensure_noting_empty(&self.repo.sql, needs(&command))?
        {
            true => checkins::Stored::Nothing,
            false => checkins::Stored::Unknown,
        };
        // Commands that span calls to other objects.
        match command {
            MemberCommand::Claim(request) => {
                let reply = out_of_line(self.claim(request)).await;
                // Its coupon.claimed (or a unit given back) goes right after the answer.
                if self.tables.has(&self.repo.sql, &outbox::MODULE)? {
                    self.deliver_after_answer(self.config()?).await?;
                }
                return reply;
            }
            MemberCommand::Link(GetLink { member, now }) => {
                let code = out_of_line(self.share_code(&member, now.0)).await?;
                return answer::<GetLink>(Ok(LinkReply { code }));
            }
            MemberCommand::ReferralSummary(GetReferralSummary { member, now }) => {
                let code = out_of_line(self.share_code(&member, now.0)).await?;
                let config = self.config()?;
                let repo = &self.repo;
                return repo.sql.atomically(move || {
                    answer::<GetReferralSummary>(referral::summary(
                        repo,
                        &config.rules,
                        code,
                        now.0,
                    ))
                });
            }
            _ => {}
        }
        let registration = matches!(
            command,
            MemberCommand::Event(ApplyEvent {
                event: MemberEvent::Registered(_),
                ..
            })
        );
        let config = self.config()?;
        let held = match &command {
            MemberCommand::Summary(_) | MemberCommand::Coupons(_) => me::Held {
                wallet: self.holds(&coupons::MODULE, "coupons")?,
                orders: self.holds(&repo::EVENTS, "paid_orders")?,
            },
            _ => me::Held {
                wallet: true,
                orders: true,
            },
        };
        let queued_before = outbox::queued_count();
        let repo = &self.repo;
        let rules = &config.rules;
        let reply = repo
            .sql
            .atomically(move || commands::run(repo, rules, held, stored, command))?;
        if !registration && outbox::queued_count() == queued_before && self.outbox_idle.get() {
            // Nothing to deliver and no alarm to arm: no read of the outbox.
            return Ok(reply);
        }
        let storage = &self.repo.sql.storage;
        if registration {
            // If the steps below cannot finish now (or this object dies), the alarm resumes them.
            outbox::schedule_alarm(
                storage,
                wall_now().timestamp_millis() + super::referral_flow::RETRY_MS,
            )
            .await?;
            self.finish_registration_or_retry().await;
        }
        // Rows queued by the transaction are delivered right after the answer, the alarm
        // armed before it as the retry path; only referral steps share the alarm.
        // An erasure or a footprint of a member never seen holds no outbox: nothing to deliver.
        if !self.tables.has(&self.repo.sql, &outbox::MODULE)? {
            return Ok(reply);
        }
        self.deliver_after_answer(config).await?;
        Ok(reply)
    }

    /// Delivers the rows commands queued right after the answer; the alarm, armed before it,
    /// is the retry path, shared with the referral steps (kept armed while one is pending).
    async fn deliver_after_answer(&self, config: Rc<Config>) -> Result<(), ApiError> {
        // Asked when the alarm is written, not now: a registration may create the referral
        // tables while the delivery is under way. A failed read keeps the alarm: at worst
        // one wake for nothing.
        let tables = Rc::clone(&self.tables);
        let steps_pending = move |db: &Durable| {
            let (Ok(held), Ok(all_recorded)) =
                (tables.has(db, &referral::MODULE), tables.all_recorded(db))
            else {
                return true;
            };
            referral_invitee::steps_pending(db, held, all_recorded).unwrap_or(true)
        };
        let idle = outbox::deliver_after_answer(
            &self.state,
            &self.repo.sql,
            &self.env,
            config,
            MEMBER_OBJECT,
            steps_pending,
        )
        .await?;
        self.outbox_idle.set(idle);
        Ok(())
    }
}

impl MemberObject {
    /// A command's text in, its reply out: for `fetch` and for `ask`.
    async fn command(&self, text: &str) -> Result<serde_json::Value, ApiError> {
        // Rows queued by paths that do not end in `deliver_after_answer` (the referral
        // steps, a claim's after its delivery began): counted across the whole call, so the next command reads again.
        let queued_before = outbox::queued_count();
        let reply = self.handle(text).await;
        if outbox::queued_count() != queued_before {
            self.outbox_idle.set(false);
        }
        reply
    }
}

// The object's commands by workerd's JS RPC (`rpc::call_object`).
rpc::answers_by_js_rpc!(MemberObject);

impl DurableObject for MemberObject {
    fn new(state: State, env: Env) -> Self {
        Self {
            repo: Repo::new(Durable::new(state.storage())),
            state,
            env,
            tables: Rc::default(),
            outbox_idle: Cell::new(false),
            absent: RefCell::new(Vec::new()),
            claims_in_flight: Default::default(),
        }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        if req.path() == outbox::REPLAY_PATH {
            // A replay makes a dead row pending again.
            self.outbox_idle.set(false);
            if let Err(error) = self.tables.ensure(&self.repo.sql, &[&outbox::MODULE]) {
                return rpc::reply::<()>(Err(error));
            }
            return outbox::serve_replay(&self.repo.sql.storage, req).await;
        }
        match req.text().await {
            Ok(text) => rpc::reply(self.command(&text).await),
            Err(_) => rpc::reply::<()>(Err(ApiError::Internal)),
        }
    }

    async fn alarm(&self) -> worker::Result<Response> {
        self.outbox_idle.set(false);
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
