//! What an order queues in its outbox: the order for the core, the coupon given back to the
//! member, the counter list of its store, and the core's `pickup.verified` event. Each is
//! written in the transaction of the change it reports.

use super::protocol::{Counter, PlaceOrder, PlacedReply, WaitingPickup};
use super::repo::OrderRow;
use crate::config::{MEMBER_OBJECT, STORE_OBJECT};
use crate::domain::delivery::Target;
use crate::domain::events::OutboundEvent;
use crate::domain::ids::OrderId;
use crate::domain::time::Instant;
use crate::http::error::ApiError;
use crate::objects::member::protocol::{MemberCommand, ReleaseCoupon};
use crate::objects::outbox::{self, Destination};
use crate::objects::seam::Sql;
use crate::objects::store::StoreCommand;
use serde_json::json;
use std::collections::BTreeMap;

/// The outbox key of the coupon release queued when the order became `why`.
pub fn release_key(order_id: &str, why: &str) -> String {
    format!("release-{order_id}-{why}")
}

/// The accepted order, for the core's `/orders`.
pub fn order_for_core(
    sql: &(impl Sql + ?Sized),
    place: &PlaceOrder,
    reply: &PlacedReply,
    now_ms: i64,
) -> Result<(), ApiError> {
    let catalog_versions: BTreeMap<&str, i64> = reply
        .lines
        .iter()
        .map(|line| (line.line.sku.as_str(), line.catalog_version))
        .collect();
    let forwarded = json!({
        "order_id": place.order_id,
        "member_id": place.member_id,
        "store_id": place.store_id,
        "fulfilment": place.fulfilment,
        "lines": reply.lines,
        "coupon_id": place.coupon_id,
        "subtotal_fen": reply.subtotal_fen,
        "discount_fen": reply.discount_fen,
        "payable_fen": reply.payable_fen,
        "prescription_id": reply.prescription_id,
        "catalog_versions": catalog_versions,
        "placed_at": place.now,
    });
    // Member prices (issue 13): the tier the lines were priced at, only when known, so an
    // order without them is forwarded exactly as before.
    let mut forwarded = forwarded;
    if let (Some(tier), Some(member_discount_fen)) = (reply.tier, reply.member_discount_fen) {
        forwarded["tier"] = json!(tier);
        forwarded["member_discount_fen"] = json!(member_discount_fen);
    }
    if let Some(attribution) = &place.attribution {
        forwarded["attribution"] = json!(attribution);
    }
    outbox::enqueue(
        sql,
        place.order_id.as_str(),
        &Destination::Core(Target::Orders),
        "order",
        &forwarded.to_string(),
        now_ms,
    )
}

/// Gives back what the order reserved in the member's wallet (its coupon, its
/// prescription), if anything; a release of nothing locked is a no-op at the member's.
pub fn release(
    sql: &(impl Sql + ?Sized),
    row: &OrderRow,
    why: &str,
    now_ms: i64,
) -> Result<(), ApiError> {
    let Some(member_id) = &row.member_id else {
        return Ok(());
    };
    if row.coupon_id.is_none() && row.prescription_id.is_none() {
        return Ok(());
    }
    let order_id = OrderId::parse(&row.order_id).map_err(|_| ApiError::Internal)?;
    let command = MemberCommand::ReleaseCoupon(ReleaseCoupon {
        coupon_id: row.coupon_id.clone(),
        prescription_id: row.prescription_id.clone(),
        order_id,
        now: Instant::from_millis(now_ms),
    });
    outbox::enqueue_command(
        sql,
        &release_key(&row.order_id, why),
        MEMBER_OBJECT,
        member_id,
        "coupon.release",
        &command,
        now_ms,
    )
}

/// Puts the order on its store's counter list.
pub fn store_ready(
    sql: &(impl Sql + ?Sized),
    store_id: &str,
    row: &OrderRow,
    now_ms: i64,
) -> Result<(), ApiError> {
    let (Some(ready_ms), Some(deadline_ms)) = (row.ready_ms, row.deadline_ms) else {
        return Ok(());
    };
    let lines = row.lines();
    let waiting = WaitingPickup {
        order_id: row.order_id.clone(),
        ready_at: Instant::from_millis(ready_ms),
        pickup_deadline: Instant::from_millis(deadline_ms),
        line_count: lines.len(),
        has_rx: row.is_rx(&lines),
    };
    store_command(
        sql,
        store_id,
        format!("store-ready-{}", row.order_id),
        &StoreCommand::Ready(waiting),
        now_ms,
    )
}

/// Takes the order off its store's counter list.
pub fn store_gone(
    sql: &(impl Sql + ?Sized),
    store_id: &str,
    order_id: &str,
    now_ms: i64,
) -> Result<(), ApiError> {
    store_command(
        sql,
        store_id,
        format!("store-gone-{order_id}"),
        &StoreCommand::Gone {
            order_id: order_id.to_owned(),
        },
        now_ms,
    )
}

fn store_command(
    sql: &(impl Sql + ?Sized),
    store_id: &str,
    key: String,
    command: &StoreCommand,
    now_ms: i64,
) -> Result<(), ApiError> {
    outbox::enqueue_command(
        sql,
        &key,
        STORE_OBJECT,
        store_id,
        command.kind(),
        command,
        now_ms,
    )
}

/// The core's `pickup.verified` event.
pub fn verified(
    sql: &(impl Sql + ?Sized),
    row: &OrderRow,
    counter: &Counter,
    method: &str,
    at: Instant,
) -> Result<(), ApiError> {
    let event = OutboundEvent::new(
        format!("pku-{}", row.order_id),
        "pickup.verified",
        at,
        json!({
            "order_id": row.order_id,
            "member_id": row.member_id.as_deref().unwrap_or_default(),
            "store_id": row.store_id.as_deref().unwrap_or_default(),
            "verified_at": at,
            "verified_by": counter.staff_id,
            "verifier_role": if counter.is_pharmacist { "pharmacist" } else { "clerk" },
            "method": method,
        }),
    );
    outbox::enqueue_event(sql, &event, at.0.timestamp_millis())
}
