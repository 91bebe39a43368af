//! What the order object does inside its transactions: placement phases, core events, pickup
//! codes and verification. Synchronous; the decisions are the domain's.

use super::protocol::{
    Counter, OrderEvent, OrderView, PickupCodeReply, PickupView, PlaceOrder, PlacedReply,
    PresentedCode, VerifiedReply, WaitingPickup,
};
use super::repo::{OrderRow, Repo, ABANDONED, PLACING, REFUSED};
use crate::config::{Config, MEMBER_OBJECT, STORE_OBJECT};
use crate::core_link::Target;
use crate::domain::events::OutboundEvent;
use crate::domain::order::{self, next_status, AcceptedLine, OrderHappening, OrderStatus, Totals};
use crate::domain::order_lines::has_rx;
use crate::domain::pickup::{self, Binding, PickupFacts, Verifier};
use crate::domain::time::Instant;
use crate::http::error::ApiError;
use crate::objects::member::protocol::{EventReply, MemberCommand};
use crate::objects::outbox::{self, Destination};
use crate::objects::store::StoreCommand;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

/// A placement that has not finished in this time is given up and its coupon released.
pub const PLACING_TIMEOUT_MS: i64 = 30_000;

fn release_key(order_id: &str, why: &str) -> String {
    format!("release-{order_id}-{why}")
}

/// What the first phase of a placement decided.
pub enum Begin {
    /// The same Idempotency-Key and body again: the first answer.
    Replay(Value),
    /// Go on: lock the coupon (if any) and accept.
    Go,
}

/// Phase 1: replay, refuse a reused key, or record the placement as under way.
pub fn begin(repo: &Repo, place: &PlaceOrder) -> Result<Begin, ApiError> {
    let now_ms = place.now.0.timestamp_millis();
    if let Some(row) = repo.load()? {
        let same_request = row.member_id.as_deref() == Some(place.member_id.as_str())
            && row.body_hash.as_deref() == Some(place.body_hash.as_str());
        if !same_request {
            return Err(ApiError::IdempotencyKeyReused);
        }
        match row.status.as_str() {
            PLACING if now_ms - row.updated_ms < PLACING_TIMEOUT_MS => {
                return Err(ApiError::RequestInProgress)
            }
            // Its coupon is still being given back; after that the placement starts over.
            ABANDONED if repo.has_pending_delivery(&release_key(&row.order_id, ABANDONED))? => {
                return Err(ApiError::RequestInProgress)
            }
            PLACING | ABANDONED => {}
            REFUSED => return Err(super::refusal::stored(&row)?),
            _ => {
                let response = row.response.ok_or(ApiError::Internal)?;
                return Ok(Begin::Replay(
                    serde_json::from_str(&response).map_err(|_| ApiError::Internal)?,
                ));
            }
        }
    }
    let lines = serde_json::to_string(&place.lines).map_err(|_| ApiError::Internal)?;
    let fulfilment = serde_json::to_value(place.fulfilment).map_err(|_| ApiError::Internal)?;
    repo.exec(
        "order begin",
        "INSERT OR REPLACE INTO order_row (k, order_id, member_id, store_id, fulfilment, lines, coupon_id, prescription_id, status, body_hash, placed_ms, updated_ms)
         VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        vec![
            place.order_id.as_str().into(),
            place.member_id.as_str().into(),
            place.store_id.as_str().into(),
            fulfilment.as_str().unwrap_or_default().into(),
            lines.into(),
            place.coupon_id.as_deref().into(),
            place.prescription_id.as_deref().into(),
            PLACING.into(),
            place.body_hash.as_str().into(),
            now_ms.into(),
            now_ms.into(),
        ],
    )?;
    Ok(Begin::Go)
}

/// What placement decided: the lines as priced and discounted, the prescription consumed
/// (Rx lines only), the totals.
pub struct Decided {
    pub lines: Vec<AcceptedLine>,
    pub prescription_id: Option<String>,
    pub totals: Totals,
}

/// Phase 3: the order is accepted, stored with its lines and totals, and queued for the core.
pub fn accept(repo: &Repo, place: &PlaceOrder, decided: Decided) -> Result<Value, ApiError> {
    let row = repo.load()?.ok_or(ApiError::Internal)?;
    if row.status != PLACING {
        // The placement timed out and was given up meanwhile; the client may retry.
        return Err(ApiError::Unavailable);
    }
    let now_ms = place.now.0.timestamp_millis();
    let Decided {
        lines,
        prescription_id,
        totals,
    } = decided;
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
    };
    let response = serde_json::to_value(&reply).map_err(|_| ApiError::Internal)?;
    let stored_lines = serde_json::to_string(&reply.lines).map_err(|_| ApiError::Internal)?;
    repo.exec(
        "order accept",
        "UPDATE order_row SET status = ?, lines = ?, prescription_id = ?, subtotal_fen = ?, discount_fen = ?, payable_fen = ?, response = ?, placed_ms = ?, updated_ms = ? WHERE k = 1",
        vec![
            OrderStatus::Accepted.as_str().into(),
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
    let catalog_versions: std::collections::BTreeMap<&str, i64> = reply
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
        "subtotal_fen": totals.subtotal_fen,
        "discount_fen": totals.discount_fen,
        "payable_fen": totals.payable_fen,
        "prescription_id": reply.prescription_id,
        "catalog_versions": catalog_versions,
        "placed_at": place.now,
    });
    outbox::enqueue(
        &repo.sql,
        place.order_id.as_str(),
        &Destination::Core(Target::Orders),
        "order",
        &forwarded.to_string(),
        now_ms,
    )?;
    Ok(response)
}

/// The coupon refused the order: nothing was locked, nothing stays.
pub fn forget(repo: &Repo) -> Result<(), ApiError> {
    repo.exec(
        "order forget",
        "DELETE FROM order_row WHERE k = 1 AND status = ?",
        vec![PLACING.into()],
    )
}

/// The placement failed in a way that may have left the coupon locked: give it up, and
/// give the coupon back through the outbox (a release is a no-op if nothing was locked).
pub fn abandon(repo: &Repo, now_ms: i64) -> Result<(), ApiError> {
    let Some(row) = repo.load()? else {
        return Ok(());
    };
    if row.status != PLACING {
        return Ok(());
    }
    repo.set_status(ABANDONED, None, now_ms)?;
    queue_release(repo, &row, ABANDONED, now_ms)
}

fn queue_release(repo: &Repo, row: &OrderRow, why: &str, now_ms: i64) -> Result<(), ApiError> {
    let Some(member_id) = &row.member_id else {
        return Ok(());
    };
    if row.coupon_id.is_none() && row.prescription_id.is_none() {
        return Ok(());
    }
    let order_id =
        crate::domain::ids::OrderId::parse(&row.order_id).map_err(|_| ApiError::Internal)?;
    let command = MemberCommand::ReleaseCoupon {
        coupon_id: row.coupon_id.clone(),
        prescription_id: row.prescription_id.clone(),
        order_id,
        now: Instant::from_millis(now_ms),
    };
    outbox::enqueue_command(
        &repo.sql,
        &release_key(&row.order_id, why),
        MEMBER_OBJECT,
        member_id,
        "coupon.release",
        &command,
        now_ms,
    )
}

/// From the alarm: a placement stuck past its timeout is abandoned. Answers when the
/// alarm should look again, if the placement is still young.
pub fn sweep_placing(repo: &Repo, now_ms: i64) -> Result<Option<i64>, ApiError> {
    match repo.load()? {
        Some(row) if row.status == PLACING => {
            let due_ms = row.updated_ms + PLACING_TIMEOUT_MS;
            if now_ms >= due_ms {
                abandon(repo, now_ms)?;
                Ok(None)
            } else {
                Ok(Some(due_ms))
            }
        }
        _ => Ok(None),
    }
}

/// From the alarm: the core acknowledged the order.
pub fn forwarded(repo: &Repo, delivered: &[String], now_ms: i64) -> Result<(), ApiError> {
    let Some(row) = repo.load()? else {
        return Ok(());
    };
    if !delivered.contains(&row.order_id) {
        return Ok(());
    }
    if let Some(next) = row
        .order_status()
        .and_then(|status| next_status(status, OrderHappening::Forwarded))
    {
        repo.set_status(next.as_str(), None, now_ms)?;
    }
    Ok(())
}

fn store_command(
    repo: &Repo,
    store_id: &str,
    key: String,
    command: &StoreCommand,
    now_ms: i64,
) -> Result<(), ApiError> {
    outbox::enqueue_command(
        &repo.sql,
        &key,
        STORE_OBJECT,
        store_id,
        command.kind(),
        command,
        now_ms,
    )
}

fn waiting(row: &OrderRow) -> Option<WaitingPickup> {
    let lines = row.lines();
    Some(WaitingPickup {
        order_id: row.order_id.clone(),
        ready_at: Instant::from_millis(row.ready_ms?),
        pickup_deadline: Instant::from_millis(row.deadline_ms?),
        line_count: lines.len(),
        has_rx: has_rx(&lines),
    })
}

/// A core event about this order: applied once per event id, in whatever order events come.
/// An order the edge never placed (ordered in the app through the core) is created by it.
pub fn event(
    repo: &Repo,
    config: &Config,
    event_id: &str,
    event: &OrderEvent,
    now: DateTime<Utc>,
) -> Result<EventReply, ApiError> {
    let now_ms = now.timestamp_millis();
    if !repo.first_sight(event_id, now_ms)? {
        return Ok(EventReply {
            accepted: true,
            duplicate: true,
        });
    }
    let order_id = event.order_id();
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
            repo.exec(
                "order from core",
                "INSERT INTO order_row (k, order_id, status, updated_ms) VALUES (1, ?, ?, ?)",
                vec![
                    order_id.as_str().into(),
                    OrderStatus::Accepted.as_str().into(),
                    now_ms.into(),
                ],
            )?;
            repo.load()?.ok_or(ApiError::Internal)?
        }
    };
    let Some(next) = row
        .order_status()
        .and_then(|status| next_status(status, happening))
    else {
        return Ok(EventReply {
            accepted: true,
            duplicate: false,
        });
    };
    if let OrderEvent::ReadyForPickup(ready) = event {
        if row
            .member_id
            .as_deref()
            .is_some_and(|member| member != ready.member_id.as_str())
        {
            worker::console_warn!(
                "order.ready_for_pickup names another member; keeping the placing member"
            );
        }
        let deadline = pickup::pickup_deadline(
            ready.ready_at.0,
            ready.pickup_deadline.map(|deadline| deadline.0),
            config.rules.pickup.deadline_days,
        );
        let lines = serde_json::to_string(&ready.lines).map_err(|_| ApiError::Internal)?;
        repo.exec(
            "order ready",
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
    repo.set_status(next.as_str(), reason, now_ms)?;
    let row = repo.load()?.ok_or(ApiError::Internal)?;
    if order::releases_coupon(next) {
        queue_release(repo, &row, next.as_str(), now_ms)?;
    }
    if let Some(store_id) = &row.store_id {
        if next == OrderStatus::ReadyForPickup {
            if let Some(waiting) = waiting(&row) {
                store_command(
                    repo,
                    store_id,
                    format!("store-ready-{}", row.order_id),
                    &StoreCommand::Ready(waiting),
                    now_ms,
                )?;
            }
        } else if row.ready_ms.is_some() {
            store_command(
                repo,
                store_id,
                format!("store-gone-{}", row.order_id),
                &StoreCommand::Gone {
                    order_id: row.order_id.clone(),
                },
                now_ms,
            )?;
        }
    }
    Ok(EventReply {
        accepted: true,
        duplicate: false,
    })
}

/// The member's own order; anything else (another member's, unknown, never finished
/// placing) is `order_not_found`.
fn own(repo: &Repo, member_id: &str) -> Result<OrderRow, ApiError> {
    match repo.load()? {
        Some(row)
            if row.member_id.as_deref() == Some(member_id) && row.order_status().is_some() =>
        {
            Ok(row)
        }
        _ => Err(ApiError::OrderNotFound),
    }
}

pub fn view(repo: &Repo, member_id: &str) -> Result<OrderView, ApiError> {
    let row = own(repo, member_id)?;
    let pickup = row.ready_ms.map(|ready_ms| PickupView {
        ready_at: Some(Instant::from_millis(ready_ms)),
        pickup_deadline: row.deadline_ms.map(Instant::from_millis),
        verified_at: row.verified_ms.map(Instant::from_millis),
        verified_by: row.verified_by.clone(),
    });
    Ok(OrderView {
        order_id: row.order_id.clone(),
        status: row.status.clone(),
        store_id: row.store_id.clone(),
        fulfilment: row.fulfilment(),
        lines: row.lines(),
        coupon_id: row.coupon_id.clone(),
        subtotal_fen: row.subtotal_fen,
        discount_fen: row.discount_fen,
        payable_fen: row.payable_fen,
        placed_at: row.placed_ms.map(Instant::from_millis),
        updated_at: Instant::from_millis(row.updated_ms),
        reason: row.reason.clone(),
        pickup,
    })
}

/// What the pickup rules need to know of the order.
fn facts(row: &OrderRow) -> PickupFacts<'_> {
    PickupFacts {
        status: row.order_status().unwrap_or(OrderStatus::Accepted),
        store_id: row.store_id.as_deref().unwrap_or_default(),
        has_rx: has_rx(&row.lines()),
        deadline_ms: row.deadline_ms,
        verified: row.verified_ms.zip(row.verified_by.as_deref()),
    }
}

fn totp_secret(config: &Config, row: &OrderRow) -> Vec<u8> {
    pickup::order_totp_secret(config.pickup_signing_secret.as_bytes(), &row.order_id)
}

pub fn pickup_code(
    repo: &Repo,
    config: &Config,
    member_id: &str,
    now: DateTime<Utc>,
) -> Result<PickupCodeReply, ApiError> {
    let row = own(repo, member_id)?;
    pickup::handover_open(&facts(&row), now.timestamp_millis())?;
    let store_id = row.store_id.clone().ok_or(ApiError::Internal)?;
    let window = pickup::code_window(now.timestamp());
    let step = window.step;
    let binding = Binding {
        order_id: &row.order_id,
        member_id,
        store_id: &store_id,
    };
    Ok(PickupCodeReply {
        order_id: row.order_id.clone(),
        store_id: store_id.clone(),
        qr: pickup::qr_text(config.pickup_signing_secret.as_bytes(), &binding, step),
        short_code: pickup::short_code(&totp_secret(config, &row), step),
        valid_for_s: window.valid_for_s,
        refresh_in_s: window.refresh_in_s,
        expires_at: Instant::from_millis(window.expires_at_s * 1000),
    })
}

/// A code presented at a counter. The outer error is a failure of the object; the inner
/// one is the answer to the counter, recorded either way (the transaction must commit so
/// that refusals are counted).
pub fn verify(
    repo: &Repo,
    config: &Config,
    counter: &Counter,
    code: &PresentedCode,
    now: DateTime<Utc>,
) -> Result<Result<VerifiedReply, ApiError>, ApiError> {
    let now_ms = now.timestamp_millis();
    let method = match code {
        PresentedCode::Qr(_) => "qr",
        PresentedCode::Short(_) => "short",
    };
    let row = match repo.load()? {
        Some(row)
            if row.member_id.is_some() && row.store_id.is_some() && row.ready_ms.is_some() =>
        {
            row
        }
        // Nothing to pick up under this id: indistinguishable from a wrong code.
        _ => return Ok(Err(ApiError::InvalidCode)),
    };
    let record = |outcome: &str| {
        repo.record_verification(
            now_ms,
            counter.staff_id.as_str(),
            counter.store_id.as_str(),
            method,
            outcome,
        )
    };
    if let PresentedCode::Short(_) = code {
        let window = config.rules.pickup.per_order;
        let failures = repo.short_code_failures(window.horizon_ms(now_ms))?;
        if let Err(retry_after_s) = window.check(&failures, now_ms) {
            record("rate_limited")?;
            return Ok(Err(ApiError::RateLimited { retry_after_s }));
        }
    }
    let member_id = row.member_id.clone().unwrap_or_default();
    let store_id = row.store_id.clone().unwrap_or_default();
    let step = pickup::step_of(now.timestamp());
    let checked = match code {
        PresentedCode::Qr(text) => pickup::parse_qr(text).and_then(|scanned| {
            let binding = Binding {
                order_id: &row.order_id,
                member_id: &member_id,
                store_id: &store_id,
            };
            pickup::verify_qr(
                config.pickup_signing_secret.as_bytes(),
                &scanned,
                &binding,
                step,
            )
        }),
        PresentedCode::Short(typed) => {
            pickup::verify_short_code(&totp_secret(config, &row), typed, step)
        }
    };
    let verifier = Verifier {
        store_id: counter.store_id.as_str(),
        is_pharmacist: counter.is_pharmacist,
    };
    if let Err(refusal) = pickup::decide_verification(checked, &facts(&row), verifier, now_ms) {
        let error = ApiError::from(refusal);
        record(&error.code())?;
        return Ok(Err(error));
    }
    record("verified")?;
    repo.exec(
        "order picked up",
        "UPDATE order_row SET status = ?, verified_ms = ?, verified_by = ?, updated_ms = ? WHERE k = 1",
        vec![
            OrderStatus::PickedUp.as_str().into(),
            now_ms.into(),
            counter.staff_id.as_str().into(),
            now_ms.into(),
        ],
    )?;
    let event = OutboundEvent::new(
        format!("pku-{}", row.order_id),
        "pickup.verified",
        Instant(now),
        json!({
            "order_id": row.order_id,
            "member_id": member_id,
            "store_id": store_id,
            "verified_at": Instant(now),
            "verified_by": counter.staff_id,
            "verifier_role": if counter.is_pharmacist { "pharmacist" } else { "clerk" },
            "method": method,
        }),
    );
    outbox::enqueue_event(&repo.sql, &event, now_ms)?;
    store_command(
        repo,
        &store_id,
        format!("store-gone-{}", row.order_id),
        &StoreCommand::Gone {
            order_id: row.order_id.clone(),
        },
        now_ms,
    )?;
    Ok(Ok(VerifiedReply {
        order_id: row.order_id.clone(),
        store_id,
        lines: row.lines(),
        verified_at: Instant(now),
        verified_by: counter.staff_id.to_string(),
    }))
}
