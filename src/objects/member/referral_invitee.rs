//! The invitee's side: a registration with a code, the binding's decision, and what the
//! invitee does after it (verification, first order, refunds). Each function loads the
//! binding, asks `domain::referral_binding::decide`, stores the next state and writes what
//! it queued, all in the caller's transaction.

use super::protocol::Registration;
use super::referral_queue::{self, Origin, Parties};
use super::referral_rows::{self, BindingRow};
use super::repo::Repo;
use crate::domain::ids::MemberId;
use crate::domain::referral::Refusal;
use crate::domain::referral_binding::{
    decide, Arrival, Binding, BindingState, FirstOrder, InviteeEvent, Step,
};
use crate::domain::rules::Rules;
use crate::domain::time::from_unix_millis;
use crate::http::error::ApiError;
use crate::objects::seam::{Sql, SqlError};
use chrono::{DateTime, Utc};

/// Stores the binding a step changed and writes what it queued.
fn persist(
    repo: &Repo<impl Sql>,
    rules: &Rules,
    row: &BindingRow,
    step: Step<Binding>,
    invitee: &str,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    if let Some(next) = &step.next {
        referral_rows::save_binding(&repo.sql, next, now.timestamp_millis())?;
    }
    let parties = Parties {
        invitee,
        inviter: Some(&row.inviter_id),
        origin: Some(Origin {
            event_id: &row.event_id,
            code: Some(&row.code),
            device: row.device.as_deref(),
        }),
        now,
    };
    referral_queue::apply(repo, rules, &parties, &step.queue)
}

/// Refunded so far of the binding's first order (0 without one).
fn refunded_fen(repo: &Repo<impl Sql>, row: &BindingRow) -> Result<i64, ApiError> {
    let Some(order) = &row.binding.first_order else {
        return Ok(0);
    };
    Ok(repo
        .paid_order(&order.order_id)?
        .map_or(0, |order| order.refunded_fen))
}

/// A `member.registered` event, first time seen: records it and decides the invitee's side
/// of a referral; what needs other objects (device registry, the inviter's caps) is left as
/// pending rows for `referral_flow`.
pub fn register(
    repo: &Repo<impl Sql>,
    rules: &Rules,
    invitee: &str,
    event_id: &str,
    registration: &Registration,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let (earlier_reports,) = repo
        .sql
        .row::<(i64,)>("SELECT COUNT(*) FROM registrations", vec![])?
        .ok_or(ApiError::Internal)?;
    repo.sql.run(
        "INSERT OR IGNORE INTO registrations (event_id, received_ms) VALUES (?, ?)",
        vec![event_id.into(), now.timestamp_millis().into()],
    )?;
    let data = &registration.data;
    if let Some(attribution) = &data.attribution {
        referral_rows::keep_attribution(&repo.sql, event_id, attribution)?;
    }
    repo.set_registration(
        data.registered_at.0.timestamp_millis(),
        data.real_name_verified,
    )?;
    let stored = referral_rows::binding(&repo.sql)?;
    let inviter = registration.inviter.as_ref().map(MemberId::as_str);
    let event = match data.ref_code {
        None => InviteeEvent::RegisteredWithoutCode,
        Some(_) => InviteeEvent::Registered(Arrival {
            invitee,
            inviter,
            first_registration: earlier_reports == 0,
            registered_at: data.registered_at.0,
            has_paid_order: !repo.paid_orders()?.is_empty(),
            now,
        }),
    };
    let step = decide(
        stored.as_ref().map(|row| &row.binding),
        event,
        &rules.referral,
    );
    let origin = Origin {
        event_id,
        code: registration.code.as_deref(),
        device: registration.device.as_deref(),
    };
    if let Some(binding) = step.next {
        // Only a new binding: every later step works on the stored one.
        let (inviter, code) = (inviter, origin.code);
        referral_rows::insert_binding(
            &repo.sql,
            &BindingRow {
                event_id: event_id.to_owned(),
                inviter_id: inviter.ok_or(ApiError::Internal)?.to_owned(),
                code: code.ok_or(ApiError::Internal)?.to_owned(),
                device: origin.device.map(str::to_owned),
                created_ms: now.timestamp_millis(),
                binding,
            },
        )?;
    }
    let parties = Parties {
        invitee,
        inviter,
        origin: Some(origin),
        now,
    };
    referral_queue::apply(repo, rules, &parties, &step.queue)
}

/// Work left for `referral_flow`: device registrations to report, and a binding to decide.
pub struct Pending {
    pub device_claims: Vec<DeviceClaim>,
    pub binding: Option<BindingRow>,
}

#[derive(Debug, Clone)]
pub struct DeviceClaim {
    pub event_id: String,
    pub device: String,
    pub now_ms: i64,
}

pub fn pending(repo: &Repo<impl Sql>) -> Result<Pending, ApiError> {
    let claims = repo.sql.rows::<(String, String, i64)>(
        "SELECT event_id, device, now_ms FROM device_claims",
        vec![],
    )?;
    Ok(Pending {
        device_claims: claims
            .into_iter()
            .map(|(event_id, device, now_ms)| DeviceClaim {
                event_id,
                device,
                now_ms,
            })
            .collect(),
        binding: referral_rows::binding(&repo.sql)?
            .filter(|row| row.binding.state == BindingState::Pending),
    })
}

pub fn device_reported(repo: &Repo<impl Sql>, event_id: &str) -> Result<(), ApiError> {
    repo.sql.run(
        "DELETE FROM device_claims WHERE event_id = ?",
        vec![event_id.into()],
    )?;
    Ok(())
}

/// The binding's decision (device and caps asked elsewhere): bound with the invitee's
/// rewards, or refused with its reason. Once: only a pending binding is decided.
pub fn settle(
    repo: &Repo<impl Sql>,
    rules: &Rules,
    invitee: &str,
    decision: Result<(), Refusal>,
) -> Result<(), ApiError> {
    let Some(row) = referral_rows::binding(&repo.sql)? else {
        return Ok(());
    };
    // The business clock of the registration, so days and windows are the event's.
    let now = from_unix_millis(row.created_ms).ok_or(ApiError::Internal)?;
    let event = InviteeEvent::Decided {
        decision,
        verified: repo.is_verified()?,
        refunded_fen: refunded_fen(repo, &row)?,
        now,
    };
    let step = decide(Some(&row.binding), event, &rules.referral);
    persist(repo, rules, &row, step, invitee, now)
}

/// `member.verified` for an invitee: the inviter's reward is released.
pub fn on_verified(
    repo: &Repo<impl Sql>,
    rules: &Rules,
    invitee: &str,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let Some(row) = referral_rows::binding(&repo.sql)? else {
        return Ok(());
    };
    let step = decide(Some(&row.binding), InviteeEvent::Verified, &rules.referral);
    persist(repo, rules, &row, step, invitee, now)
}

/// The invitee's first paid order (as the core flags it): the inviter's extra reward.
pub fn on_first_order(
    repo: &Repo<impl Sql>,
    rules: &Rules,
    invitee: &str,
    order_id: &str,
    paid_at: DateTime<Utc>,
    amount_fen: i64,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let Some(row) = referral_rows::binding(&repo.sql)? else {
        return Ok(());
    };
    let event = InviteeEvent::FirstOrderPaid(FirstOrder {
        order_id: order_id.to_owned(),
        paid_at,
        amount_fen,
    });
    let step = decide(Some(&row.binding), event, &rules.referral);
    persist(repo, rules, &row, step, invitee, now)
}

/// After a payment or refund: if the first order is now refunded in full within the window,
/// the inviter's first-order reward is taken back (once).
pub fn after_refund(
    repo: &Repo<impl Sql>,
    rules: &Rules,
    invitee: &str,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let Some(row) = referral_rows::binding(&repo.sql)? else {
        return Ok(());
    };
    let event = InviteeEvent::Refunds {
        refunded_fen: refunded_fen(repo, &row)?,
        now,
    };
    let step = decide(Some(&row.binding), event, &rules.referral);
    persist(repo, rules, &row, step, invitee, now)
}

/// Whether registration steps wait for `referral_flow` (devices to report, a binding to
/// decide), so the object's alarm must stay armed for them. `held`: the referral module's
/// tables are recorded; otherwise they are absent when `all_recorded` (every table of the
/// object has a record), else looked up by name (an object from before the records may
/// hold them without one).
pub fn steps_pending(sql: &impl Sql, held: bool, all_recorded: bool) -> Result<bool, SqlError> {
    if !held && all_recorded {
        return Ok(false);
    }
    if !held {
        let found: Option<(i64,)> = sql.row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'device_claims'",
            vec![],
        )?;
        if found.is_none() {
            return Ok(false);
        }
    }
    let (pending,): (i64,) = sql
        .row(
            "SELECT EXISTS (SELECT 1 FROM device_claims) OR EXISTS (SELECT 1 FROM binding WHERE state = ?)",
            vec![BindingState::Pending.into()],
        )?
        .unwrap_or((0,));
    Ok(pending != 0)
}
