//! Erasure (PIPL): `member.erased` deletes what the member's object holds and leaves a
//! tombstone, so that later events for that member are acknowledged and ignored.
//!
//! Every table's rows go (profile, check-ins, ledger, paid orders, seen events, coupons,
//! claims, referral rows and visitor hashes, prescriptions, and any table a later module
//! adds: the tables are read from the schema, not listed here), except:
//! - the outbox: rows still owed when the erasure arrived are delivered (or dead-lettered)
//!   and then deleted as usual; nothing new is queued after the tombstone;
//! - `schema_versions`: which modules' tables exist, no member data;
//! - the tombstone itself: the erasure's event id and time, nothing of the member.
//!
//! The share code in KV and the registries' code and device rows are the worker's part
//! (`features::erasure`), done after this transaction. `footprint` is the object's own view
//! of what it still holds, for the admin check.

use super::protocol::{EventReply, InviteReply, MemberCommand, ReleaseReply};
use crate::domain::referral::Refusal;
use crate::http::error::ApiError;
use crate::objects::schema::{Module, Tables};
use crate::objects::seam::Sql;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The tombstone.
pub const MODULE: Module = Module {
    name: "erasure",
    migrations: &[&[
        "CREATE TABLE IF NOT EXISTS erasure (k INTEGER PRIMARY KEY CHECK (k = 1), event_id TEXT NOT NULL, erased_ms INTEGER NOT NULL)",
    ]],
    baseline: &[],
};

/// Tables whose rows an erasure keeps (see the module comment).
const KEPT: &[&str] = &["outbox", "schema_versions", "erasure"];

/// What the member's object still holds: rows per table (`schema_versions` left out), and
/// whether it is a tombstone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberFootprint {
    pub erased: bool,
    pub tables: BTreeMap<String, i64>,
}

/// The object's own tables, by name (SQLite's and the runtime's internal ones left out).
pub fn table_names(sql: &impl Sql) -> Result<Vec<String>, ApiError> {
    let rows: Vec<(String,)> = sql.rows(
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' \
         ORDER BY name",
        vec![],
    )?;
    Ok(rows.into_iter().map(|(name,)| name).collect())
}

/// Whether this member was erased.
pub fn is_erased(sql: &impl Sql) -> Result<bool, ApiError> {
    if !table_names(sql)?.iter().any(|name| name == "erasure") {
        return Ok(false);
    }
    let row: Option<(i64,)> = sql.row("SELECT 1 FROM erasure WHERE k = 1", vec![])?;
    Ok(row.is_some())
}

/// Deletes the member's rows and leaves the tombstone (its table must exist: `MODULE`).
/// The same erasure event again is a duplicate; any later one changes nothing.
pub fn erase(sql: &impl Sql, event_id: &str, now_ms: i64) -> Result<EventReply, ApiError> {
    let first = sql.run(
        "INSERT OR IGNORE INTO erasure (k, event_id, erased_ms) VALUES (1, ?, ?)",
        vec![event_id.into(), now_ms.into()],
    )? > 0;
    if !first {
        let stored: Option<(String,)> =
            sql.row("SELECT event_id FROM erasure WHERE k = 1", vec![])?;
        return Ok(EventReply {
            accepted: true,
            duplicate: stored.is_some_and(|(stored,)| stored == event_id),
        });
    }
    for table in table_names(sql)? {
        if KEPT.contains(&table.as_str()) {
            continue;
        }
        // Names come from the schema, never from a request.
        sql.run(&format!("DELETE FROM \"{table}\""), vec![])?;
    }
    Ok(EventReply {
        accepted: true,
        duplicate: false,
    })
}

/// Rows per table, as the admin check reads them.
pub fn footprint(sql: &impl Sql) -> Result<MemberFootprint, ApiError> {
    let mut tables = BTreeMap::new();
    for table in table_names(sql)? {
        if table == "schema_versions" {
            continue;
        }
        let count: Option<(i64,)> =
            sql.row(&format!("SELECT COUNT(*) FROM \"{table}\""), vec![])?;
        tables.insert(table, count.map_or(0, |(count,)| count));
    }
    Ok(MemberFootprint {
        erased: is_erased(sql)?,
        tables,
    })
}

/// Before any command: if this member was erased, the answer (`after_erasure`) that
/// replaces running `command`; `None` otherwise, and always for the erasure itself and the
/// footprint. `tables` knows whether the tombstone's module exists, so a member never
/// erased pays nothing for the check (the versions are read once per object instance).
pub fn answer_if_erased(
    sql: &impl Sql,
    tables: &Tables,
    command: &MemberCommand,
) -> Result<Option<serde_json::Value>, ApiError> {
    if matches!(
        command,
        MemberCommand::Erase(_) | MemberCommand::Footprint(_) | MemberCommand::Erased(_)
    ) {
        return Ok(None);
    }
    if !tables.has(sql, &MODULE)? {
        return Ok(None);
    }
    after_erasure(command).map(Some)
}

/// What an erased member's object answers instead of running `command`: the core's events
/// and what other objects send (a coupon release, a referral step, a tap counted) are
/// acknowledged with no effect, so nothing retries or dead-letters them; the member's own
/// requests are 410 `member_erased` (nothing is created again for an erased id).
pub fn after_erasure(command: &MemberCommand) -> Result<serde_json::Value, ApiError> {
    let ignored = EventReply {
        accepted: true,
        duplicate: false,
    };
    let value = match command {
        MemberCommand::Event(_) | MemberCommand::Erase(_) => serde_json::to_value(ignored),
        MemberCommand::Click(_)
        | MemberCommand::ReferralReward(_)
        | MemberCommand::ReferralClawback(_) => serde_json::to_value(()),
        MemberCommand::ReleaseCoupon(_) => serde_json::to_value(ReleaseReply {
            released: false,
            prescription_returned: false,
        }),
        // The inviter is gone: as if nobody held the code.
        MemberCommand::Invite(_) => serde_json::to_value(InviteReply {
            refusal: Some(Refusal::UnknownCode),
        }),
        MemberCommand::Footprint(_) | MemberCommand::Erased(_) => return Err(ApiError::Internal),
        _ => return Err(ApiError::MemberErased),
    };
    value.map_err(|_| ApiError::Internal)
}
