//! The order's side of a placement, in three transactions around the calls to the catalogue
//! and the member's object (see `object.rs`): begin (replay, refuse a reused key, or record
//! the placement as under way), accept, or give up. The decisions are `domain::placement`'s.

use super::outbound;
use super::protocol::{PlaceOrder, PlacedReply};
use super::repo::Repo;
use crate::domain::order::{AcceptedLine, OrderStatus, Totals};
use crate::domain::placement::{self, Again, OrderState, Sweep};
use crate::domain::tier::Tier;
use crate::domain::tier_pricing::member_discount_total;
use crate::http::error::ApiError;
use crate::objects::seam::{Sql, Transact};
use serde_json::Value;

/// What the first phase of a placement decided.
#[derive(Debug)]
pub enum Begin {
    /// The same Idempotency-Key and body again: the first answer.
    Replay(Value),
    /// Go on: price it, reserve what the member's object holds, and accept. `fresh`: no
    /// order row was there (the object's first placement, or one after an unkeyed refusal),
    /// so nothing but an earlier placement's own timeout can have armed the alarm.
    Go { fresh: bool },
}

/// Phase 1: replay, refuse a reused key, or record the placement as under way.
pub fn begin(db: &impl Transact, place: &PlaceOrder) -> Result<Begin, ApiError> {
    db.atomically(|| {
        let repo = Repo::new(db);
        let now_ms = place.now.0.timestamp_millis();
        let held = repo.load()?;
        let fresh = held.is_none();
        if let Some(row) = held {
            let same_request = row.member_id.as_deref() == Some(place.member_id.as_str())
                && row.body_hash.as_deref() == Some(place.body_hash.as_str());
            if !same_request {
                return Err(ApiError::IdempotencyKeyReused);
            }
            let release_pending = row.state == OrderState::Abandoned
                && repo.has_pending_delivery(&outbound::release_key(
                    &row.order_id,
                    OrderState::Abandoned.as_str(),
                ))?;
            match placement::again(row.state, now_ms - row.updated_ms, release_pending) {
                Again::InProgress => return Err(ApiError::RequestInProgress),
                Again::Refusal => return Err(super::refusal::stored(&row)?),
                Again::Replay => {
                    let response = row.response.ok_or(ApiError::Internal)?;
                    let first = serde_json::from_str(&response).map_err(|_| ApiError::Internal)?;
                    return Ok(Begin::Replay(first));
                }
                Again::StartOver => {}
            }
        }
        let lines = serde_json::to_string(&place.lines).map_err(|_| ApiError::Internal)?;
        db.run(
            "INSERT OR REPLACE INTO order_row (k, order_id, member_id, store_id, fulfilment, lines, coupon_id, prescription_id, status, body_hash, placed_ms, updated_ms)
             VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            vec![
                place.order_id.as_str().into(),
                place.member_id.as_str().into(),
                place.store_id.as_str().into(),
                place.fulfilment.into(),
                lines.into(),
                place.coupon_id.as_deref().into(),
                place.prescription_id.as_deref().into(),
                OrderState::Placing.into(),
                place.body_hash.as_str().into(),
                now_ms.into(),
                now_ms.into(),
            ],
        )?;
        Ok(Begin::Go { fresh })
    })
}

/// What placement decided: the lines as priced and discounted, the prescription consumed
/// (Rx lines only), the totals.
pub struct Decided {
    pub lines: Vec<AcceptedLine>,
    pub prescription_id: Option<String>,
    pub totals: Totals,
    /// The tier the member's object priced the lines at (`None`: list prices).
    pub tier: Option<Tier>,
}

/// Phase 3: the order is accepted, stored with its lines and totals, and queued for the
/// core in the same transaction.
pub fn accept(db: &impl Transact, place: &PlaceOrder, decided: Decided) -> Result<Value, ApiError> {
    db.atomically(|| {
        let repo = Repo::new(db);
        let row = repo.load()?.ok_or(ApiError::Internal)?;
        if !placement::under_way(row.state) {
            // The placement timed out and was given up meanwhile; the client may retry.
            return Err(ApiError::Unavailable);
        }
        let now_ms = place.now.0.timestamp_millis();
        let Decided {
            lines,
            prescription_id,
            totals,
            tier,
        } = decided;
        let member_discount_fen = tier.map(|_| member_discount_total(&lines));
        let reply = PlacedReply {
            order_id: place.order_id.clone(),
            status: OrderStatus::Accepted.as_str().into(),
            lines,
            subtotal_fen: totals.subtotal_fen,
            discount_fen: totals.discount_fen,
            payable_fen: totals.payable_fen,
            coupon_id: place.coupon_id.clone(),
            prescription_id,
            placed_at: place.now,
            tier,
            member_discount_fen,
        };
        let response = serde_json::to_value(&reply).map_err(|_| ApiError::Internal)?;
        let stored_lines = serde_json::to_string(&reply.lines).map_err(|_| ApiError::Internal)?;
        db.run(
            "UPDATE order_row SET status = ?, lines = ?, prescription_id = ?, subtotal_fen = ?, discount_fen = ?, payable_fen = ?, response = ?, placed_ms = ?, updated_ms = ? WHERE k = 1",
            vec![
                OrderState::Placed(OrderStatus::Accepted).into(),
                stored_lines.into(),
                reply.prescription_id.as_deref().into(),
                totals.subtotal_fen.into(),
                totals.discount_fen.into(),
                totals.payable_fen.into(),
                response.to_string().into(),
                now_ms.into(),
                now_ms.into(),
            ],
        )?;
        if let Some(attribution) = &place.attribution {
            super::attribution::keep(db, attribution)?;
        }
        outbound::order_for_core(db, place, &reply, now_ms)?;
        Ok(response)
    })
}

/// The placement failed in a way that may have left the coupon locked: give it up, and
/// give the coupon back through the outbox (a release is a no-op if nothing was locked).
pub fn abandon(db: &impl Transact, now_ms: i64) -> Result<(), ApiError> {
    db.atomically(|| give_up(db, now_ms))
}

fn give_up(sql: &(impl Sql + ?Sized), now_ms: i64) -> Result<(), ApiError> {
    let repo = Repo::new(sql);
    let Some(row) = repo.load()? else {
        return Ok(());
    };
    if !placement::under_way(row.state) {
        return Ok(());
    }
    repo.set_state(OrderState::Abandoned, None, now_ms)?;
    outbound::release(sql, &row, OrderState::Abandoned.as_str(), now_ms)
}

/// From the alarm: a placement stuck past its timeout is abandoned. Answers when the
/// alarm should look again, if the placement is still young.
pub fn sweep(db: &impl Transact, now_ms: i64) -> Result<Option<i64>, ApiError> {
    db.atomically(|| {
        let Some(row) = Repo::new(db).load()? else {
            return Ok(None);
        };
        match placement::sweep(row.state, row.updated_ms, now_ms) {
            Sweep::Nothing => Ok(None),
            Sweep::LookAgainAt(due_ms) => Ok(Some(due_ms)),
            Sweep::Abandon => give_up(db, now_ms).map(|()| None),
        }
    })
}
