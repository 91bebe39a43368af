//! Placement's choreography across three owners: the order here, the catalogue authority
//! (what is sold, as what, at what price, and whether it is stopped, as of now), and the
//! member's object (tier, coupon, prescription). No transaction spans an await; a placement
//! that dies after locking something is abandoned by the alarm and the lock given back.

use super::OrderObject;
use crate::config::{Config, ORDER_OBJECT};
use crate::domain::alarm::{self, AlarmWrite};
use crate::domain::catalog::{price_lines, PricedLine};
use crate::domain::order;
use crate::domain::order_lines::{has_rx, OrderLine};
use crate::domain::placement::{records_before_reserving, PLACING_TIMEOUT_MS};
use crate::domain::tier::Tier;
use crate::domain::tier_benefits::MemberPrices;
use crate::domain::tier_pricing::accepted_lines_for_tier;
use crate::http::error::ApiError;
use crate::http::request::wall_now;
use crate::objects::member::protocol::{Reserve, Reserved};
use crate::objects::order::placement::{self, Begin, Decided};
use crate::objects::order::protocol::PlaceOrder;
use crate::objects::order::repo::{self, Repo};
use crate::objects::order::{attribution, events, refusal, retention, PLACING};
use crate::objects::seam::durable::Durable;
use crate::objects::{catalog, member, outbox};
use serde_json::Value;
use worker::Env;

/// Lines as priced from the catalogue, and the same as plain order lines.
type Priced = (Vec<PricedLine>, Vec<OrderLine>);

impl OrderObject {
    /// An object that holds no order yet (a new one has no tables) prices first and, when
    /// the order locks nothing in the member's wallet (no coupon, no Rx line), asks the
    /// member too, then writes the whole placement at once: the tables, the placement, its
    /// acceptance and the order queued for the core, with one alarm. Otherwise the
    /// placement is recorded (and its timeout armed) before the member's object locks
    /// anything, as a retry of a known order always is.
    pub(super) async fn place(&self, db: &Durable, place: PlaceOrder) -> Result<Value, ApiError> {
        // An object from before the split holds every table under "order": it adopts the
        // modules first, so an order it accepted then replays instead of being priced anew.
        if self.tables.has(db, &repo::LEGACY)? {
            self.tables.ensure(db, crate::objects::order::MODULES)?;
        }
        let holds_order = self.tables.has(db, &repo::MODULE)? && Repo::new(db).load()?.is_some();
        if holds_order {
            if let Some(first) = self.record(db, &place).await? {
                return Ok(first);
            }
            let priced = match self.price(&place).await {
                Ok(priced) => priced,
                Err(error) => {
                    refusal::end(db, &error, place.keyed)?;
                    return Err(error);
                }
            };
            return self.reserve_and_accept(db, place, priced).await;
        }
        let priced = match self.price(&place).await {
            Ok(priced) => priced,
            Err(error) => return self.refuse_unrecorded(db, &place, error),
        };
        if records_before_reserving(place.coupon_id.as_deref(), &priced.1) {
            if let Some(first) = self.record(db, &place).await? {
                return Ok(first);
            }
            return self.reserve_and_accept(db, place, priced).await;
        }
        // Nothing to lock: the member's object only prices (the tier is its word).
        let reserved =
            match member::client::ask(&self.env, &place.member_id, reserve(&place, &priced, None))
                .await
            {
                Ok(reserved) => reserved,
                Err(error @ (ApiError::Unavailable | ApiError::Internal)) => return Err(error),
                Err(refused) => return self.refuse_unrecorded(db, &place, refused),
            };
        self.ensure_tables(db, &place)?;
        let fresh = match placement::begin(db, &place)? {
            // A duplicate that ran beside this one was accepted first: its answer.
            Begin::Replay(first) => return Ok(first),
            Begin::Go { fresh } => fresh,
        };
        let accepted = placement::accept(db, &place, decided(&priced, None, reserved))?;
        // Armed before the answer: the retry path of the order just queued.
        self.arm_timeout(db, fresh).await?;
        self.forward_after_answer()?;
        Ok(accepted)
    }

    fn ensure_tables(&self, db: &Durable, place: &PlaceOrder) -> Result<(), ApiError> {
        self.tables.ensure(db, PLACING)?;
        if place.attribution.is_some() {
            self.tables.ensure(db, &[&attribution::MODULE])?;
        }
        Ok(())
    }

    /// Records the placement as under way and arms its timeout; the first answer if this is
    /// a replay.
    async fn record(&self, db: &Durable, place: &PlaceOrder) -> Result<Option<Value>, ApiError> {
        self.ensure_tables(db, place)?;
        let fresh = match placement::begin(db, place)? {
            Begin::Replay(first) => return Ok(Some(first)),
            Begin::Go { fresh } => fresh,
        };
        self.arm_timeout(db, fresh).await?;
        Ok(None)
    }

    /// The placement's timeout; also the retry path of the order once it is queued.
    async fn arm_timeout(&self, db: &Durable, fresh: bool) -> Result<(), ApiError> {
        let timeout_ms = wall_now().timestamp_millis() + PLACING_TIMEOUT_MS;
        if fresh {
            // Nothing but an earlier placement's own timeout can be armed: one write, no read.
            outbox::write_alarm(&db.storage, AlarmWrite::Set(timeout_ms)).await
        } else {
            outbox::schedule_alarm(&db.storage, timeout_ms).await
        }
    }

    /// A refusal before anything was recorded: a final one is kept as the key's answer (as
    /// `refusal::end` keeps it), anything else leaves nothing behind.
    fn refuse_unrecorded(
        &self,
        db: &Durable,
        place: &PlaceOrder,
        error: ApiError,
    ) -> Result<Value, ApiError> {
        if place.keyed && error.is_final_refusal() {
            self.ensure_tables(db, place)?;
            if let Begin::Replay(first) = placement::begin(db, place)? {
                return Ok(first);
            }
            refusal::end(db, &error, place.keyed)?;
        }
        Err(error)
    }

    /// Reserves what the member's object holds for the recorded placement, then accepts.
    async fn reserve_and_accept(
        &self,
        db: &Durable,
        place: PlaceOrder,
        priced: Priced,
    ) -> Result<Value, ApiError> {
        let now_ms = place.now.0.timestamp_millis();
        let rx = has_rx(&priced.1);
        let prescription_id = place.prescription_id.clone().filter(|_| rx);
        // Always asked, even without a coupon or Rx line: the member's object holds the tier
        // spend, and so the member prices (never the client's or the token's word).
        let command = reserve(&place, &priced, prescription_id.clone());
        let reserved = match member::client::ask(&self.env, &place.member_id, command).await {
            Ok(reserved) => reserved,
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
        };
        let accepted = placement::accept(db, &place, decided(&priced, prescription_id, reserved))?;
        // The alarm armed when recorded (due by the timeout, only ever moved earlier since)
        // is the retry path: the 202 stands even if this object dies now.
        self.forward_after_answer()?;
        Ok(accepted)
    }

    /// The order goes to the core right after the answer, in this wake, not in a second
    /// one by the alarm.
    pub(super) fn forward_after_answer(&self) -> Result<(), ApiError> {
        let config = self.config()?;
        let env = self.env.clone();
        let origin = outbox::Origin::of(ORDER_OBJECT, &self.state);
        // The future outlives this call: its own handles.
        let db = self.db();
        self.state.wait_until(async move {
            if let Err(error) = deliver_and_settle(&db, &env, &config, &origin).await {
                worker::console_error!(
                    "order delivery after the answer: {error:?} (the alarm retries)"
                );
            }
        });
        Ok(())
    }

    /// The order's lines priced and classed from the catalogue as of now, checked the way a
    /// pharmacist would (unknown, never online, stopped, how many, which price, Rx without a
    /// prescription id, the totals without a coupon).
    async fn price(&self, place: &PlaceOrder) -> Result<Priced, ApiError> {
        let skus: Vec<&str> = place.lines.iter().map(|line| line.sku.as_str()).collect();
        let current = catalog::client::current(&self.env, &skus).await?;
        let priced = price_lines(&place.lines, |sku| current.get(sku))?;
        let lines: Vec<OrderLine> = priced.iter().map(|p| p.line.clone()).collect();
        order::price(&lines, place.prescription_id.as_deref(), None)?;
        Ok((priced, lines))
    }
}

fn reserve(place: &PlaceOrder, priced: &Priced, prescription_id: Option<String>) -> Reserve {
    Reserve {
        order_id: place.order_id.clone(),
        lines: priced.1.clone(),
        coupon_id: place.coupon_id.clone(),
        prescription_id,
        now: place.now,
    }
}

/// The lines at the member's prices and discounts, as the member's object priced them.
fn decided(priced: &Priced, prescription_id: Option<String>, reserved: Reserved) -> Decided {
    let tier = reserved.tier;
    Decided {
        lines: accepted_lines_for_tier(
            &priced.0,
            tier.unwrap_or(Tier::Member),
            &MemberPrices::default(),
            reserved.totals.discount_fen,
            reserved.eligible_classes.as_deref(),
        ),
        prescription_id,
        totals: reserved.totals,
        tier,
    }
}

/// One round of the order's own work, after an answer or when its alarm fires: a placement
/// whose time ran out abandoned (it queues its give-back, so this comes first), what is due
/// delivered and the order marked forwarded, retention applied; then the alarm set to exactly
/// what is still due (a retry, a retention deadline, a placement's timeout) or removed, so the
/// object is not woken again only to find nothing to do. Nothing awaits between the reads and
/// the alarm's write, so no other command queues or arms in between.
pub(super) async fn deliver_and_settle(
    db: &Durable,
    env: &Env,
    config: &Config,
    origin: &outbox::Origin,
) -> Result<(), ApiError> {
    let still_placing = placement::sweep(db, wall_now().timestamp_millis())?;
    let (delivered, _) = outbox::deliver_due(db, env, config, origin).await?;
    let now_ms = wall_now().timestamp_millis();
    if !delivered.is_empty() {
        events::forwarded(db, &delivered, now_ms)?;
    }
    // Under the test clock, retention follows the requests' business clock only: the wall
    // clock here would contradict it.
    let retention_due = match config.allow_test_clock {
        true => None,
        false => retention::sweep(db, now_ms, config.rules.pickup.retention_days)?,
    };
    let next_ms = outbox::drain::earliest(db)?;
    let due_ms = [next_ms, retention_due, still_placing]
        .into_iter()
        .flatten()
        .min();
    outbox::write_alarm(&db.storage, alarm::after_delivery(due_ms, false)).await
}
