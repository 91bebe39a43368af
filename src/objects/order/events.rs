//! What happens to an order after it is placed: the core's events (confirmed, rejected,
//! ready for pickup, cancelled) and its acknowledgement of the order. Each is applied in one
//! transaction with what it queues; the transitions are `domain::order::next_status`'s.

use super::outbound;
use super::protocol::OrderEvent;
use super::repo::Repo;
use super::PickupSettings;
use crate::domain::order::{self, next_status, OrderHappening, OrderStatus};
use crate::domain::pickup;
use crate::domain::placement::OrderState;
use crate::http::error::ApiError;
use crate::objects::member::protocol::EventReply;
use crate::objects::seam::{log_warn, Transact};
use chrono::{DateTime, Utc};

/// A core event about this order: applied once per event id, in whatever order events come.
/// An order the edge never placed (ordered in the app through the core) is created by it.
pub fn event(
    db: &impl Transact,
    settings: &PickupSettings,
    event_id: &str,
    event: &OrderEvent,
    now: DateTime<Utc>,
) -> Result<EventReply, ApiError> {
    db.atomically(|| apply(db, settings, event_id, event, now))
}

fn apply(
    db: &impl Transact,
    settings: &PickupSettings,
    event_id: &str,
    event: &OrderEvent,
    now: DateTime<Utc>,
) -> Result<EventReply, ApiError> {
    let repo = Repo::new(db);
    let now_ms = now.timestamp_millis();
    let applied = |duplicate| EventReply {
        accepted: true,
        duplicate,
    };
    if !repo.first_sight(event_id, now_ms)? {
        return Ok(applied(true));
    }
    let (happening, reason) = match event {
        OrderEvent::Confirmed(change) => (OrderHappening::Confirmed, change.reason.as_deref()),
        OrderEvent::Rejected(change) => (OrderHappening::Rejected, change.reason.as_deref()),
        OrderEvent::Cancelled(change) => (OrderHappening::Cancelled, change.reason.as_deref()),
        OrderEvent::ReadyForPickup(_) => (OrderHappening::ReadyForPickup, None),
    };
    let row = match repo.load()? {
        Some(row) => row,
        None => {
            // Known only from the core: starts as if accepted, then takes the event.
            db.run(
                "INSERT INTO order_row (k, order_id, status, updated_ms) VALUES (1, ?, ?, ?)",
                vec![
                    event.order_id().as_str().into(),
                    OrderState::Placed(OrderStatus::Accepted).into(),
                    now_ms.into(),
                ],
            )?;
            repo.load()?.ok_or(ApiError::Internal)?
        }
    };
    // A placement still under way, or a late or repeated event, changes nothing.
    let Some(next) = row
        .state
        .placed()
        .and_then(|status| next_status(status, happening))
    else {
        return Ok(applied(false));
    };
    if let OrderEvent::ReadyForPickup(ready) = event {
        if row
            .member_id
            .as_deref()
            .is_some_and(|member| member != ready.member_id.as_str())
        {
            log_warn("order.ready_for_pickup names another member; keeping the placing member");
        }
        let deadline = pickup::pickup_deadline(
            ready.ready_at.0,
            ready.pickup_deadline.map(|deadline| deadline.0),
            settings.rules.deadline_days,
        );
        let lines = serde_json::to_string(&ready.lines).map_err(|_| ApiError::Internal)?;
        db.run(
            "UPDATE order_row SET member_id = COALESCE(member_id, ?), store_id = ?, lines = ?, fulfilment = COALESCE(fulfilment, 'pickup'), ready_ms = ?, deadline_ms = ? WHERE k = 1",
            vec![
                ready.member_id.as_str().into(),
                ready.store_id.as_str().into(),
                lines.into(),
                ready.ready_at.0.timestamp_millis().into(),
                deadline.timestamp_millis().into(),
            ],
        )?;
    }
    repo.set_state(OrderState::Placed(next), reason, now_ms)?;
    let row = repo.load()?.ok_or(ApiError::Internal)?;
    if order::releases_coupon(next) {
        outbound::release(db, &row, next.as_str(), now_ms)?;
    }
    if let Some(store_id) = &row.store_id {
        if next == OrderStatus::ReadyForPickup {
            outbound::store_ready(db, store_id, &row, now_ms)?;
        } else if row.ready_ms.is_some() {
            outbound::store_gone(db, store_id, &row.order_id, now_ms)?;
        }
    }
    Ok(applied(false))
}

/// From the alarm: the core acknowledged the deliveries `delivered` (outbox keys); the
/// order's own key among them moves it to `forwarded`.
pub fn forwarded(db: &impl Transact, delivered: &[String], now_ms: i64) -> Result<(), ApiError> {
    db.atomically(|| {
        let repo = Repo::new(db);
        let Some(row) = repo.load()? else {
            return Ok(());
        };
        if !delivered.contains(&row.order_id) {
            return Ok(());
        }
        if let Some(next) = row
            .state
            .placed()
            .and_then(|status| next_status(status, OrderHappening::Forwarded))
        {
            repo.set_state(OrderState::Placed(next), None, now_ms)?;
        }
        Ok(())
    })
}
