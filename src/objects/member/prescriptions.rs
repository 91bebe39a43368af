//! The member's prescriptions, as the core's pharmacists approved them, and what orders do
//! with them: an Rx order consumes one in the same transaction that reserves the order's
//! coupon, and a rejected, cancelled or abandoned order gives it back. The rules are the
//! domain's (`domain::prescription`); this file keeps the rows.

use super::coupons;
use super::protocol::{ReleaseReply, Reserved};
use super::repo::Repo;
use crate::domain::events::{PrescriptionApproved, PrescriptionRevoked};
use crate::domain::order;
use crate::domain::order_lines::{has_rx, OrderLine};
use crate::domain::prescription::{self, PrescribedItem, Prescription, PrescriptionState};
use crate::http::error::ApiError;
use crate::objects::schema::Module;
use crate::objects::seam::{FromRow, Row as SqlRow, Sql, SqlError};
use chrono::{DateTime, Utc};

/// A row per prescription; a revocation that arrives before its approval leaves a row
/// without items, so the late approval cannot make it usable.
pub const MODULE: Module = Module {
    name: "prescriptions",
    migrations: &[&[
        "CREATE TABLE IF NOT EXISTS prescriptions (prescription_id TEXT PRIMARY KEY, items TEXT, approved_by TEXT, expires_ms INTEGER, revoked INTEGER NOT NULL DEFAULT 0, used_by TEXT, updated_ms INTEGER NOT NULL)",
    ]],
    baseline: &[],
};

struct Row {
    prescription_id: String,
    items: Option<String>,
    expires_ms: Option<i64>,
    revoked: bool,
    used_by: Option<String>,
}

impl FromRow for Row {
    fn from_row(mut row: SqlRow) -> Result<Self, SqlError> {
        Ok(Row {
            prescription_id: row.get(0)?,
            items: row.get(1)?,
            expires_ms: row.get(2)?,
            revoked: row.get(3)?,
            used_by: row.get(4)?,
        })
    }
}

fn load(repo: &Repo<impl Sql>, id: &str) -> Result<Option<Prescription>, ApiError> {
    let rows: Vec<Row> = repo.sql.rows(
        "SELECT prescription_id, items, expires_ms, revoked, used_by FROM prescriptions WHERE prescription_id = ?",
        vec![id.into()],
    )?;
    let Some(row) = rows.into_iter().next() else {
        return Ok(None);
    };
    let items: Vec<PrescribedItem> = match &row.items {
        Some(raw) => serde_json::from_str(raw).map_err(|_| ApiError::Internal)?,
        None => Vec::new(),
    };
    let state = match (row.revoked, row.used_by) {
        (true, _) => PrescriptionState::Revoked,
        (false, Some(order_id)) => PrescriptionState::Used { order_id },
        (false, None) => PrescriptionState::Approved,
    };
    Ok(Some(Prescription {
        id: row.prescription_id,
        items,
        expires_at_ms: row.expires_ms.unwrap_or(0),
        state,
    }))
}

/// `prescription.approved`: the first approval of an id is the fact; a repeat changes nothing.
pub fn approved(
    repo: &Repo<impl Sql>,
    data: &PrescriptionApproved,
    now_ms: i64,
) -> Result<(), ApiError> {
    let items = serde_json::to_string(&data.items).map_err(|_| ApiError::Internal)?;
    repo.sql.run(
        "INSERT INTO prescriptions (prescription_id, items, approved_by, expires_ms, updated_ms) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (prescription_id) DO UPDATE SET items = excluded.items, approved_by = excluded.approved_by, expires_ms = excluded.expires_ms, updated_ms = excluded.updated_ms
         WHERE prescriptions.items IS NULL",
        vec![
            data.prescription_id.as_str().into(),
            items.into(),
            data.approved_by.as_str().into(),
            data.expires_at.0.timestamp_millis().into(),
            now_ms.into(),
        ],
    )?;
    Ok(())
}

/// `prescription.revoked`: unusable from now on, whatever arrives later.
pub fn revoked(
    repo: &Repo<impl Sql>,
    data: &PrescriptionRevoked,
    now_ms: i64,
) -> Result<(), ApiError> {
    repo.sql.run(
        "INSERT INTO prescriptions (prescription_id, revoked, updated_ms) VALUES (?, 1, ?)
         ON CONFLICT (prescription_id) DO UPDATE SET revoked = 1, updated_ms = excluded.updated_ms",
        vec![data.prescription_id.as_str().into(), now_ms.into()],
    )?;
    Ok(())
}

/// Reserves what an order being placed takes from this member, all or nothing: the
/// prescription its Rx lines need, and its coupon (which also prices it). Answers the totals.
pub fn reserve(
    repo: &Repo<impl Sql>,
    order_id: &str,
    lines: &[OrderLine],
    coupon_id: Option<&str>,
    prescription_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Reserved, ApiError> {
    let now_ms = now.timestamp_millis();
    if has_rx(lines) {
        let id = prescription_id.ok_or(ApiError::PrescriptionRequired)?;
        let held = load(repo, id)?;
        prescription::check(held.as_ref(), lines, order_id, now_ms)?;
        repo.sql.run(
            "UPDATE prescriptions SET used_by = ?, updated_ms = ? WHERE prescription_id = ?",
            vec![order_id.into(), now_ms.into(), id.into()],
        )?;
    }
    match coupon_id {
        // A refused coupon rolls the whole transaction back, the prescription included.
        Some(coupon_id) => coupons::lock(repo, coupon_id, order_id, lines, prescription_id, now),
        None => Ok(Reserved {
            totals: order::price(lines, prescription_id, None)?,
            eligible_classes: None,
            tier: None,
        }),
    }
}

/// Gives the prescription back if `order_id` is the order that used it. Answers whether it did.
pub fn give_back(
    repo: &Repo<impl Sql>,
    id: &str,
    order_id: &str,
    now_ms: i64,
) -> Result<bool, ApiError> {
    let Some(held) = load(repo, id)? else {
        return Ok(false);
    };
    if prescription::give_back(&held.state, order_id).is_none() {
        return Ok(false);
    }
    repo.sql.run(
        "UPDATE prescriptions SET used_by = NULL, updated_ms = ? WHERE prescription_id = ? AND used_by = ?",
        vec![now_ms.into(), id.into(), order_id.into()],
    )?;
    Ok(true)
}

/// Gives back what an order reserved: its coupon and its prescription, each only if that
/// order still holds it.
pub fn release(
    repo: &Repo<impl Sql>,
    coupon_id: Option<&str>,
    prescription_id: Option<&str>,
    order_id: &str,
    now: DateTime<Utc>,
) -> Result<ReleaseReply, ApiError> {
    let released = match coupon_id {
        Some(coupon_id) => coupons::release(repo, coupon_id, order_id, now)?,
        None => false,
    };
    let prescription_returned = match prescription_id {
        Some(id) => give_back(repo, id, order_id, now.timestamp_millis())?,
        None => false,
    };
    Ok(ReleaseReply {
        released,
        prescription_returned,
    })
}
