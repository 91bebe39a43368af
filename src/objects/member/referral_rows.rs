//! The stored forms of a referral: the invitee's binding row and the inviter's record of an
//! invitee, read by position, and the one mapping of each state to its stored name.

use crate::domain::referral::{FirstOrderReward, Refusal};
use crate::domain::referral_binding::{Binding, BindingState, FirstOrder};
use crate::domain::referral_inviter::InviteeRecord;
use crate::domain::time::from_unix_millis;
use crate::objects::seam::{FromRow, Row, Sql, SqlError};
use chrono::{DateTime, Utc};

crate::stored_names!(BindingState {
    Pending => "pending",
    Bound => "bound",
    Refused => "refused",
});

crate::stored_names!(Refusal {
    UnknownCode => "unknown_code",
    SelfReferral => "self_referral",
    NotNewMember => "not_new_member",
    AlreadyBound => "already_bound",
    DeviceSeen => "device_seen",
    InviterDailyCap => "inviter_daily_cap",
    InviterMonthlyCap => "inviter_monthly_cap",
});

/// `invitees.state`: the inviter's answer to an invitee.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InviteeState {
    Bound,
    Refused,
}

crate::stored_names!(InviteeState {
    Bound => "bound",
    Refused => "refused",
});

/// `invitees.first_order_state` (null: neither reward nor clawback arrived).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstOrderState {
    Granted,
    ClawedBack,
}

crate::stored_names!(FirstOrderState {
    Granted => "granted",
    ClawedBack => "clawed_back",
});

fn instant(ms: i64) -> Result<DateTime<Utc>, SqlError> {
    from_unix_millis(ms).ok_or_else(|| SqlError::shape("binding", format!("time {ms}")))
}

/// The invitee's binding as stored: where it came from, and its state.
#[derive(Debug, Clone)]
pub struct BindingRow {
    pub event_id: String,
    pub inviter_id: String,
    pub code: String,
    pub device: Option<String>,
    pub created_ms: i64,
    pub binding: Binding,
}

const LOAD_BINDING: &str = "SELECT event_id, inviter_id, code, device, created_ms, state, reason, \
    first_order_id, first_order_paid_ms, first_order_fen, clawback_queued FROM binding WHERE k = 1";

impl FromRow for BindingRow {
    fn from_row(mut row: Row) -> Result<Self, SqlError> {
        let (event_id, inviter_id, code, device, created_ms) = (
            row.get(0)?,
            row.get(1)?,
            row.get(2)?,
            row.get(3)?,
            row.get(4)?,
        );
        let (state, refusal) = (row.get(5)?, row.get(6)?);
        let order: (Option<String>, Option<i64>, Option<i64>) =
            (row.get(7)?, row.get(8)?, row.get(9)?);
        let first_order = match order {
            (Some(order_id), Some(paid_ms), Some(amount_fen)) => Some(FirstOrder {
                order_id,
                paid_at: instant(paid_ms)?,
                amount_fen,
            }),
            _ => None,
        };
        Ok(BindingRow {
            event_id,
            inviter_id,
            code,
            device,
            created_ms,
            binding: Binding {
                state,
                refusal,
                first_order,
                clawback_queued: row.get(10)?,
            },
        })
    }
}

pub fn binding(sql: &impl Sql) -> Result<Option<BindingRow>, SqlError> {
    sql.row(LOAD_BINDING, vec![])
}

/// A new pending binding (at most one: the table holds one row).
pub fn insert_binding(sql: &impl Sql, row: &BindingRow) -> Result<(), SqlError> {
    sql.run(
        "INSERT INTO binding (k, event_id, inviter_id, code, device, state, created_ms) VALUES (1, ?, ?, ?, ?, ?, ?)",
        vec![
            row.event_id.as_str().into(),
            row.inviter_id.as_str().into(),
            row.code.as_str().into(),
            row.device.as_deref().into(),
            row.binding.state.into(),
            row.created_ms.into(),
        ],
    )?;
    Ok(())
}

/// Stores the binding's new state; `decided_ms` is set when it leaves `pending`, once.
pub fn save_binding(sql: &impl Sql, binding: &Binding, now_ms: i64) -> Result<(), SqlError> {
    let decided = (binding.state != BindingState::Pending).then_some(now_ms);
    let order = binding.first_order.as_ref();
    sql.run(
        "UPDATE binding SET state = ?, reason = ?, decided_ms = COALESCE(decided_ms, ?), first_order_id = ?, first_order_paid_ms = ?, first_order_fen = ?, clawback_queued = ? WHERE k = 1",
        vec![
            binding.state.into(),
            binding.refusal.into(),
            decided.into(),
            order.map(|order| order.order_id.as_str()).into(),
            order.map(|order| order.paid_at.timestamp_millis()).into(),
            order.map(|order| order.amount_fen).into(),
            binding.clawback_queued.into(),
        ],
    )?;
    Ok(())
}

/// `invitee` as this inviter recorded it.
pub fn invitee(sql: &impl Sql, invitee: &str) -> Result<Option<InviteeRecord>, SqlError> {
    type Stored = (
        InviteeState,
        Option<Refusal>,
        Option<i64>,
        Option<FirstOrderState>,
        i64,
    );
    let Some((state, reason, verified_ms, first_order, points)) = sql.row::<Stored>(
        "SELECT state, reason, verified_ms, first_order_state, first_order_points FROM invitees WHERE invitee_id = ?",
        vec![invitee.into()],
    )?
    else {
        return Ok(None);
    };
    Ok(Some(match state {
        InviteeState::Refused => InviteeRecord::Refused(
            reason.ok_or_else(|| SqlError::shape("invitees", "a refusal without reason".into()))?,
        ),
        InviteeState::Bound => InviteeRecord::Bound {
            verified: verified_ms.is_some(),
            first_order: match first_order {
                None => FirstOrderReward::Open,
                Some(FirstOrderState::Granted) => FirstOrderReward::Granted { points },
                Some(FirstOrderState::ClawedBack) => FirstOrderReward::ClawedBack,
            },
        },
    }))
}

/// The inviter's first answer to `invitee`, counted in today's and this month's caps.
pub fn insert_invitee(
    sql: &impl Sql,
    invitee: &str,
    record: InviteeRecord,
    day: &str,
    month: &str,
    now_ms: i64,
) -> Result<(), SqlError> {
    let state = match record {
        InviteeRecord::Bound { .. } => InviteeState::Bound,
        InviteeRecord::Refused(_) => InviteeState::Refused,
    };
    sql.run(
        "INSERT INTO invitees (invitee_id, state, reason, day, month, decided_ms) VALUES (?, ?, ?, ?, ?, ?)",
        vec![invitee.into(), state.into(), record.refusal().into(), day.into(), month.into(), now_ms.into()],
    )?;
    Ok(())
}

/// Stores which of the inviter's rewards for `invitee` were granted or taken back.
pub fn save_invitee(
    sql: &impl Sql,
    invitee: &str,
    record: InviteeRecord,
    now_ms: i64,
) -> Result<(), SqlError> {
    let InviteeRecord::Bound {
        verified,
        first_order,
    } = record
    else {
        return Ok(()); // a refusal never changes
    };
    let (state, points) = match first_order {
        FirstOrderReward::Open => (None, None),
        FirstOrderReward::Granted { points } => (Some(FirstOrderState::Granted), Some(points)),
        FirstOrderReward::ClawedBack => (Some(FirstOrderState::ClawedBack), None),
    };
    sql.run(
        "UPDATE invitees SET verified_ms = COALESCE(verified_ms, ?), first_order_state = ?, first_order_points = COALESCE(?, first_order_points) WHERE invitee_id = ?",
        vec![
            verified.then_some(now_ms).into(),
            state.into(),
            points.into(),
            invitee.into(),
        ],
    )?;
    Ok(())
}

/// Bindings this inviter made on `day` and in `month`, for the caps.
pub fn bound_counts(sql: &impl Sql, day: &str, month: &str) -> Result<(u32, u32), SqlError> {
    let count = |query: &str, value: &str| -> Result<u32, SqlError> {
        let found = sql.row::<(u32,)>(query, vec![InviteeState::Bound.into(), value.into()])?;
        Ok(found.map_or(0, |(n,)| n))
    };
    Ok((
        count(
            "SELECT COUNT(*) FROM invitees WHERE state = ? AND day = ?",
            day,
        )?,
        count(
            "SELECT COUNT(*) FROM invitees WHERE state = ? AND month = ?",
            month,
        )?,
    ))
}

/// Keeps the attribution of the first registration that reported one.
pub fn keep_attribution(
    sql: &impl Sql,
    event_id: &str,
    attribution: &crate::domain::attribution::Attribution,
) -> Result<(), SqlError> {
    let body = serde_json::to_string(attribution)
        .map_err(|err| SqlError::shape("registration_attribution", err.to_string()))?;
    sql.run(
        "INSERT OR IGNORE INTO registration_attribution (k, event_id, body) VALUES (1, ?, ?)",
        vec![event_id.into(), body.into()],
    )?;
    Ok(())
}

/// The registration's attribution, if one was reported.
pub fn kept_attribution(
    sql: &impl Sql,
) -> Result<Option<crate::domain::attribution::Attribution>, SqlError> {
    let row: Option<(String,)> = sql.row(
        "SELECT body FROM registration_attribution WHERE k = 1",
        vec![],
    )?;
    row.map(|(body,)| {
        serde_json::from_str(&body)
            .map_err(|err| SqlError::shape("registration_attribution", err.to_string()))
    })
    .transpose()
}
