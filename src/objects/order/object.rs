//! The order's Durable Object: runtime glue around its transactions (see `mod.rs`).

use super::protocol::{ApplyEvent, GetOrder, GetPickupCode, OrderCommand, PlaceOrder, VerifyCode};
use super::{events, needs, pickup, placement, refusal, retention, PickupSettings, PLACING};
use crate::config::{Config, ORDER_OBJECT};
use crate::domain::catalog::{price_lines, PricedLine};
use crate::domain::order;
use crate::domain::order_lines::{has_rx, OrderLine};
use crate::domain::placement::PLACING_TIMEOUT_MS;
use crate::domain::tier::Tier;
use crate::domain::tier_benefits::MemberPrices;
use crate::domain::tier_pricing::accepted_lines_for_tier;
use crate::http::error::ApiError;
use crate::http::request::wall_now;
use crate::objects::member::protocol::Reserve;
use crate::objects::protocol::answer;
use crate::objects::schema::Tables;
use crate::objects::seam::durable::Durable;
use crate::objects::{catalog, member, outbox, rpc};
use std::rc::Rc;
use worker::{durable_object, DurableObject, Env, Request, Response, State};

#[durable_object]
pub struct OrderObject {
    state: State,
    env: Env,
    tables: Tables,
}

/// Lines as priced from the catalogue, the same as plain order lines, and their totals.
type Priced = (Vec<PricedLine>, Vec<OrderLine>, order::Totals);

impl OrderObject {
    fn config(&self) -> Result<Rc<Config>, ApiError> {
        Config::get(&self.env).map_err(|err| {
            worker::console_error!("configuration: {err}");
            ApiError::Internal
        })
    }

    fn db(&self) -> Durable {
        Durable::new(self.state.storage())
    }

    async fn handle(&self, req: Request) -> Result<serde_json::Value, ApiError> {
        let command: OrderCommand = rpc::command(req).await?;
        self.tables.ensure(&self.state.storage(), needs(&command))?;
        let config = self.config()?;
        let settings = settings(&config);
        let db = self.db();
        match command {
            OrderCommand::Place(place) => self.place(&db, place).await,
            // Reads: nothing queued, no alarm to look at.
            OrderCommand::Get(GetOrder { member_id, now }) => {
                if let Some(now) = now {
                    retention::sweep(&db, now.0.timestamp_millis(), settings.rules.retention_days)?;
                }
                answer::<GetOrder>(pickup::view(&db, member_id.as_str()))
            }
            OrderCommand::PickupCode(GetPickupCode { member_id, now }) => answer::<GetPickupCode>(
                pickup::pickup_code(&db, &settings, member_id.as_str(), now.0),
            ),
            OrderCommand::Event(ApplyEvent {
                event_id,
                event,
                now,
            }) => {
                let reply =
                    answer::<ApplyEvent>(events::event(&db, &settings, &event_id, &event, now.0));
                outbox::ensure_alarm(&db.storage).await?;
                // A deadline set (ready for pickup): the alarm drops the details when due.
                let retention_days = settings.rules.retention_days;
                if let Some(due_ms) =
                    retention::sweep(&db, now.0.timestamp_millis(), retention_days)?
                {
                    outbox::schedule_alarm(&db.storage, due_ms).await?;
                }
                reply
            }
            OrderCommand::Verify(VerifyCode { counter, code, now }) => {
                // Committed whatever the answer: refusals are recorded and counted.
                let verified = pickup::verify(&db, &settings, &counter, &code, now.0)?;
                outbox::ensure_alarm(&db.storage).await?;
                answer::<VerifyCode>(verified)
            }
        }
    }

    /// Placement crosses three owners: the order here, the catalogue authority (what is
    /// sold, as what, at what price, and whether it is stopped, as of now), and the member's
    /// object (the coupon and the prescription). Record the placement, price it from the
    /// catalogue, reserve what the member's object holds, then accept. No transaction spans
    /// an await; a placement that dies in between is abandoned by the alarm and what it
    /// reserved given back.
    async fn place(&self, db: &Durable, place: PlaceOrder) -> Result<serde_json::Value, ApiError> {
        if place.attribution.is_some() {
            self.tables
                .ensure(&self.state.storage(), &[&super::attribution::MODULE])?;
        }
        let fresh = match placement::begin(db, &place)? {
            placement::Begin::Replay(response) => return Ok(response),
            placement::Begin::Go { fresh } => fresh,
        };
        let now_ms = place.now.0.timestamp_millis();
        // The placement's timeout; also the retry path of the order once it is queued.
        let timeout_ms = wall_now().timestamp_millis() + PLACING_TIMEOUT_MS;
        if fresh {
            // Nothing but an earlier placement's own timeout can be armed: one write, no read.
            set_alarm(&db.storage, timeout_ms).await?;
        } else {
            outbox::schedule_alarm(&db.storage, timeout_ms).await?;
        }
        // Nothing is reserved yet: a refusal or a failure here leaves nothing behind.
        // The totals without a coupon only check the order here; the member's object prices it.
        let (priced, lines, _plain) = match self.price(&place).await {
            Ok(priced) => priced,
            Err(error) => {
                refusal::end(db, &error, place.keyed)?;
                return Err(error);
            }
        };
        let rx = has_rx(&lines);
        let prescription_id = place.prescription_id.clone().filter(|_| rx);
        // Always asked, even without a coupon or Rx line: the member's object holds the tier
        // spend, and so the member prices (never the client's or the token's word).
        let (totals, classes, tier) = {
            let command = Reserve {
                order_id: place.order_id.clone(),
                lines,
                coupon_id: place.coupon_id.clone(),
                prescription_id: prescription_id.clone(),
                now: place.now,
            };
            match member::client::ask(&self.env, &place.member_id, command).await {
                Ok(reserved) => (reserved.totals, reserved.eligible_classes, reserved.tier),
                Err(error @ (ApiError::Unavailable | ApiError::Internal)) => {
                    // The reservation may or may not have happened: give it back to be sure.
                    placement::abandon(db, now_ms)?;
                    outbox::ensure_alarm(&db.storage).await?;
                    return Err(error);
                }
                Err(refused) => {
                    refusal::end(db, &refused, place.keyed)?;
                    return Err(refused);
                }
            }
        };
        let decided = placement::Decided {
            lines: accepted_lines_for_tier(
                &priced,
                tier.unwrap_or(Tier::Member),
                &MemberPrices::default(),
                totals.discount_fen,
                classes.as_deref(),
            ),
            prescription_id,
            totals,
            tier,
        };
        let accepted = placement::accept(db, &place, decided)?;
        // The alarm armed above (due by the timeout, only ever moved earlier since) is the
        // retry path: the 202 stands even if this object dies now. The order goes to the
        // core right after the answer, in this wake, not in a second one by the alarm.
        self.forward_after_answer()?;
        Ok(accepted)
    }

    fn forward_after_answer(&self) -> Result<(), ApiError> {
        let config = self.config()?;
        let env = self.env.clone();
        let origin = outbox::Origin::of(ORDER_OBJECT, &self.state);
        // The future outlives this call: its own handles.
        let db = self.db();
        self.state.wait_until(async move {
            if let Err(error) = forward(&db, &env, &config, &origin).await {
                worker::console_error!(
                    "order delivery after the answer: {error:?} (the alarm retries)"
                );
            }
        });
        Ok(())
    }

    /// The order's lines priced and classed from the catalogue as of now, checked the way a
    /// pharmacist would (unknown, never online, stopped, how many, which price, Rx without a
    /// prescription id), and their totals without a coupon.
    async fn price(&self, place: &PlaceOrder) -> Result<Priced, ApiError> {
        let skus: Vec<&str> = place.lines.iter().map(|line| line.sku.as_str()).collect();
        let current = catalog::client::current(&self.env, &skus).await?;
        let priced = price_lines(&place.lines, |sku| current.get(sku))?;
        let lines: Vec<OrderLine> = priced.iter().map(|p| p.line.clone()).collect();
        let plain = order::price(&lines, place.prescription_id.as_deref(), None)?;
        Ok((priced, lines, plain))
    }
}

impl DurableObject for OrderObject {
    fn new(state: State, env: Env) -> Self {
        Self {
            state,
            env,
            tables: Tables::default(),
        }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        if req.path() == outbox::REPLAY_PATH {
            if let Err(error) = self.tables.ensure(&self.state.storage(), PLACING) {
                return rpc::reply::<()>(Err(error));
            }
            return outbox::serve_replay(&self.state.storage(), req).await;
        }
        rpc::reply(self.handle(req).await)
    }

    async fn alarm(&self) -> worker::Result<Response> {
        let db = self.db();
        let origin = outbox::Origin::of(ORDER_OBJECT, &self.state);
        let result: Result<(), ApiError> = async {
            self.tables.ensure(&db, PLACING)?;
            let config = self.config()?;
            let still_placing = placement::sweep(&db, wall_now().timestamp_millis())?;
            let delivered = outbox::drain(&db.storage, &self.env, &config, &origin).await?;
            if !delivered.is_empty() {
                events::forwarded(&db, &delivered, wall_now().timestamp_millis())?;
            }
            if let Some(due_ms) = still_placing {
                outbox::schedule_alarm(&db.storage, due_ms).await?;
            }
            // Under the test clock, retention follows the requests' business clock only: the
            // alarm's wall clock would contradict it.
            if !config.allow_test_clock {
                let retention_days = config.rules.pickup.retention_days;
                let now_ms = wall_now().timestamp_millis();
                if let Some(due_ms) = retention::sweep(&db, now_ms, retention_days)? {
                    outbox::schedule_alarm(&db.storage, due_ms).await?;
                }
            }
            Ok(())
        }
        .await;
        if let Err(err) = result {
            worker::console_error!("order alarm failed: {err:?}");
        }
        Response::empty()
    }
}

/// One delivery round of what is due, the order marked forwarded, then the alarm left for
/// exactly what is still due (a retry, a retention deadline an event set meanwhile) or
/// removed, so the object is not woken again only to find nothing to do. Nothing awaits
/// between the reads and the alarm's write, so no other command queues or arms in between;
/// a placement is never under way again once accepted.
async fn forward(
    db: &Durable,
    env: &Env,
    config: &Config,
    origin: &outbox::Origin,
) -> Result<(), ApiError> {
    let (delivered, next_ms) = outbox::deliver_due(db, env, config, origin).await?;
    let now_ms = wall_now().timestamp_millis();
    if !delivered.is_empty() {
        events::forwarded(db, &delivered, now_ms)?;
    }
    // Under the test clock the alarm leaves retention to the requests (see `alarm`).
    let retention_due = match config.allow_test_clock {
        true => None,
        false => retention::sweep(db, now_ms, config.rules.pickup.retention_days)?,
    };
    match next_ms.into_iter().chain(retention_due).min() {
        Some(due_ms) => outbox::schedule_alarm(&db.storage, due_ms).await,
        None => db.storage.delete_alarm().await.map_err(alarm_failed),
    }
}

async fn set_alarm(storage: &worker::Storage, at_ms: i64) -> Result<(), ApiError> {
    let at = chrono::DateTime::from_timestamp_millis(at_ms).unwrap_or_default();
    storage.set_alarm(at).await.map_err(alarm_failed)
}

fn alarm_failed(err: worker::Error) -> ApiError {
    crate::objects::seam::SqlError::new("alarm", err.to_string()).into()
}

fn settings(config: &Config) -> PickupSettings<'_> {
    PickupSettings {
        rules: &config.rules.pickup,
        secret: config.pickup_signing_secret.as_bytes(),
    }
}
