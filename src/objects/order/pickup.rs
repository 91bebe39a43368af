//! The member's view of the order, the pickup code shown in the app, and the verification at
//! the counter (exactly once; every code presented is recorded and wrong short codes counted).
//! The rules are `domain::pickup`'s.

use super::outbound;
use super::protocol::{
    Counter, OrderView, PickupCodeReply, PickupView, PresentedCode, VerifiedReply,
};
use super::repo::{OrderRow, Repo};
use super::PickupSettings;
use crate::domain::order::OrderStatus;
use crate::domain::pickup::{self, Binding, PickupFacts, Verifier};
use crate::domain::placement::OrderState;
use crate::domain::time::Instant;
use crate::http::error::ApiError;
use crate::objects::seam::{Sql, Transact};
use chrono::{DateTime, Utc};

/// The member's own order; anything else (another member's, unknown, never finished
/// placing) is `order_not_found`.
fn own(sql: &(impl Sql + ?Sized), member_id: &str) -> Result<OrderRow, ApiError> {
    match Repo::new(sql).load()? {
        Some(row)
            if row.member_id.as_deref() == Some(member_id) && row.state.placed().is_some() =>
        {
            Ok(row)
        }
        _ => Err(ApiError::OrderNotFound),
    }
}

pub fn view(sql: &(impl Sql + ?Sized), member_id: &str) -> Result<OrderView, ApiError> {
    let row = own(sql, member_id)?;
    let pickup = row.ready_ms.map(|ready_ms| PickupView {
        ready_at: Some(Instant::from_millis(ready_ms)),
        pickup_deadline: row.deadline_ms.map(Instant::from_millis),
        verified_at: row.verified_ms.map(Instant::from_millis),
        verified_by: row.verified_by.clone(),
    });
    Ok(OrderView {
        order_id: row.order_id.clone(),
        status: row.state.as_str().to_owned(),
        store_id: row.store_id.clone(),
        fulfilment: row.fulfilment,
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
        status: row.state.placed().unwrap_or(OrderStatus::Accepted),
        store_id: row.store_id.as_deref().unwrap_or_default(),
        has_rx: row.is_rx(&row.lines()),
        deadline_ms: row.deadline_ms,
        verified: row.verified_ms.zip(row.verified_by.as_deref()),
    }
}

fn totp_secret(settings: &PickupSettings, row: &OrderRow) -> Vec<u8> {
    pickup::order_totp_secret(settings.secret, &row.order_id)
}

pub fn pickup_code(
    sql: &(impl Sql + ?Sized),
    settings: &PickupSettings,
    member_id: &str,
    now: DateTime<Utc>,
) -> Result<PickupCodeReply, ApiError> {
    let row = own(sql, member_id)?;
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
        qr: pickup::qr_text(settings.secret, &binding, step),
        short_code: pickup::short_code(&totp_secret(settings, &row), step),
        valid_for_s: window.valid_for_s,
        refresh_in_s: window.refresh_in_s,
        expires_at: Instant::from_millis(window.expires_at_s * 1000),
    })
}

/// A code presented at a counter. The outer error is a failure of the object; the inner
/// one is the answer to the counter, recorded either way (the transaction commits so that
/// refusals are counted).
pub fn verify(
    db: &impl Transact,
    settings: &PickupSettings,
    counter: &Counter,
    code: &PresentedCode,
    now: DateTime<Utc>,
) -> Result<Result<VerifiedReply, ApiError>, ApiError> {
    db.atomically(|| decide(db, settings, counter, code, now))
}

fn decide(
    db: &impl Transact,
    settings: &PickupSettings,
    counter: &Counter,
    code: &PresentedCode,
    now: DateTime<Utc>,
) -> Result<Result<VerifiedReply, ApiError>, ApiError> {
    let repo = Repo::new(db);
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
    let store_id = row.store_id.clone().unwrap_or_default();
    if let PresentedCode::Short(_) = code {
        let window = settings.rules.per_order;
        let failures = repo.short_code_failures(&store_id, window.horizon_ms(now_ms))?;
        if let Err(retry_after_s) = window.check(&failures, now_ms) {
            record("rate_limited")?;
            return Ok(Err(ApiError::RateLimited { retry_after_s }));
        }
    }
    let member_id = row.member_id.clone().unwrap_or_default();
    let step = pickup::step_of(now.timestamp());
    let checked = match code {
        PresentedCode::Qr(text) => pickup::parse_qr(text).and_then(|scanned| {
            let binding = Binding {
                order_id: &row.order_id,
                member_id: &member_id,
                store_id: &store_id,
            };
            pickup::verify_qr(settings.secret, &scanned, &binding, step)
        }),
        PresentedCode::Short(typed) => {
            pickup::verify_short_code(&totp_secret(settings, &row), typed, step)
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
    db.run(
        "UPDATE order_row SET status = ?, verified_ms = ?, verified_by = ?, updated_ms = ? WHERE k = 1",
        vec![
            OrderState::Placed(OrderStatus::PickedUp).into(),
            now_ms.into(),
            counter.staff_id.as_str().into(),
            now_ms.into(),
        ],
    )?;
    outbound::verified(db, &row, counter, method, Instant(now))?;
    outbound::store_gone(db, &store_id, &row.order_id, now_ms)?;
    Ok(Ok(VerifiedReply {
        order_id: row.order_id.clone(),
        store_id,
        lines: row.lines(),
        verified_at: Instant(now),
        verified_by: counter.staff_id.to_string(),
    }))
}
