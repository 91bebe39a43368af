//! The bottom layer of the member object: the points ledger. Lots (awards, each expiring on
//! its own date), debits taken oldest first, the debt a clawback beyond the balance leaves,
//! and the events the core hears about (`points.awarded`, through the outbox). Every
//! module above grants and takes points through here; nothing here knows why.

use super::protocol::{LedgerEntry, LedgerReply, MemberContext};
use super::repo::Repo;
use crate::domain::events::OutboundEvent;
use crate::domain::points::{self, EntryKind, Lot, Source};
use crate::domain::rules::Rules;
use crate::domain::time::{from_unix_millis, Instant};
use crate::http::error::ApiError;
use crate::objects::outbox;
use crate::objects::seam::{FromRow, Row, Sql, SqlError};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

/// Largest integer a JS number holds exactly; bound of "no cursor".
const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// One ledger entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerRow {
    pub id: i64,
    pub amount: i64,
    pub kind: EntryKind,
    pub source: Source,
    pub source_id: String,
    pub created_ms: i64,
    pub expires_ms: Option<i64>,
}

impl FromRow for LedgerRow {
    fn from_row(mut row: Row) -> Result<Self, SqlError> {
        Ok(LedgerRow {
            id: row.get(0)?,
            amount: row.get(1)?,
            kind: row.get(2)?,
            source: row.get(3)?,
            source_id: row.get(4)?,
            created_ms: row.get(5)?,
            expires_ms: row.get(6)?,
        })
    }
}

impl<S: Sql> Repo<S> {
    pub fn open_lots(&self) -> Result<Vec<Lot>, SqlError> {
        let rows: Vec<(i64, i64, i64)> = self.sql.rows(
            "SELECT id, remaining, expires_ms FROM ledger WHERE remaining > 0 ORDER BY expires_ms, id",
            vec![],
        )?;
        Ok(rows
            .into_iter()
            .map(|(id, remaining, expires_ms)| Lot {
                id,
                remaining,
                expires_at: from_unix_millis(expires_ms).unwrap_or_default(),
            })
            .collect())
    }

    pub fn balance(&self) -> Result<i64, SqlError> {
        Ok(balance_of(&self.open_lots()?))
    }

    /// Writes `expire` entries for every lot whose time has come; answers the lots left
    /// open (so a caller needs no second read for the balance).
    pub fn expire_due(&self, now: DateTime<Utc>) -> Result<Vec<Lot>, SqlError> {
        let lots = self.open_lots()?;
        let expired = points::expired(&lots, now);
        for &(lot_id, amount) in &expired {
            self.sql.run(
                "UPDATE ledger SET remaining = 0 WHERE id = ?",
                vec![lot_id.into()],
            )?;
            let entry = Entry {
                amount: -amount,
                kind: EntryKind::Expire,
                source: Source::Expiry,
                source_id: &lot_id.to_string(),
            };
            self.insert_entry(&entry, now, None, 0)?;
        }
        Ok(lots
            .into_iter()
            .filter(|lot| !expired.iter().any(|(lot_id, _)| *lot_id == lot.id))
            .collect())
    }

    /// Writes an entry once per (kind, source, source id); false when it already exists.
    fn insert_entry(
        &self,
        entry: &Entry,
        now: DateTime<Utc>,
        expires: Option<DateTime<Utc>>,
        remaining: i64,
    ) -> Result<bool, SqlError> {
        let written = self.sql.run(
            "INSERT OR IGNORE INTO ledger (amount, kind, source, source_id, created_ms, expires_ms, remaining) VALUES (?, ?, ?, ?, ?, ?, ?)",
            vec![
                entry.amount.into(),
                entry.kind.into(),
                entry.source.into(),
                entry.source_id.into(),
                now.timestamp_millis().into(),
                expires.map(|at| at.timestamp_millis()).into(),
                remaining.into(),
            ],
        )?;
        Ok(written > 0)
    }

    /// Grants an award once: `None` if this source + source id was already granted, else
    /// when it expires and what its lot keeps. Any outstanding debt is settled from it first.
    pub fn award(
        &self,
        source: Source,
        source_id: &str,
        amount: i64,
        now: DateTime<Utc>,
        ttl_days: i64,
        known_debt: Option<i64>,
    ) -> Result<Option<(DateTime<Utc>, i64)>, SqlError> {
        let debt = match known_debt {
            Some(debt) => debt,
            None => self.profile()?.map_or(0, |profile| profile.points_debt),
        };
        let (kept, settled) = points::settle_debt(amount, debt);
        let expires = now + Duration::days(ttl_days);
        let entry = Entry {
            amount,
            kind: EntryKind::Earn,
            source,
            source_id,
        };
        if !self.insert_entry(&entry, now, Some(expires), kept)? {
            return Ok(None);
        }
        if settled > 0 {
            self.add_debt(-settled)?;
        }
        Ok(Some((expires, kept)))
    }

    /// Takes points oldest-first and records one entry of `kind`. The part the balance
    /// cannot cover becomes debt (clawbacks); callers of `Spend` check the balance first.
    /// `false` when this entry already exists (nothing taken).
    pub fn debit(
        &self,
        kind: EntryKind,
        source: Source,
        source_id: &str,
        amount: i64,
        now: DateTime<Utc>,
    ) -> Result<bool, SqlError> {
        let entry = Entry {
            amount: -amount,
            kind,
            source,
            source_id,
        };
        if !self.insert_entry(&entry, now, None, 0)? {
            return Ok(false);
        }
        let (takes, shortfall) = points::take_oldest_first(&self.open_lots()?, amount);
        for (lot_id, take) in takes {
            self.sql.run(
                "UPDATE ledger SET remaining = remaining - ? WHERE id = ?",
                vec![take.into(), lot_id.into()],
            )?;
        }
        if shortfall > 0 {
            self.add_debt(shortfall)?;
        }
        Ok(true)
    }

    pub fn ledger_page(
        &self,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<LedgerRow>, SqlError> {
        self.sql.rows(
            "SELECT id, amount, kind, source, source_id, created_ms, expires_ms FROM ledger WHERE id < ? ORDER BY id DESC LIMIT ?",
            vec![before_id.unwrap_or(MAX_SAFE_INTEGER).into(), limit.into()],
        )
    }
}

/// What a ledger row says, apart from its time and lot.
struct Entry<'a> {
    amount: i64,
    kind: EntryKind,
    source: Source,
    source_id: &'a str,
}

/// The points the lots hold.
pub fn balance_of(lots: &[Lot]) -> i64 {
    lots.iter().map(|lot| lot.remaining).sum()
}

/// Brings the member up to now before any command: the profile exists (created on first
/// contact) and lots whose time has come have expired.
pub fn prepare(
    repo: &Repo<impl Sql>,
    member: &MemberContext,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    prepare_lots(repo, member, now).map(drop)
}

/// `prepare`, answering the lots left open.
pub fn prepare_lots(
    repo: &Repo<impl Sql>,
    member: &MemberContext,
    now: DateTime<Utc>,
) -> Result<Vec<Lot>, ApiError> {
    ensure_profile(repo, member, now)?;
    Ok(repo.expire_due(now)?)
}

/// The profile, created on first contact (with the registration time the token carries).
pub fn ensure_profile(
    repo: &Repo<impl Sql>,
    member: &MemberContext,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let registered_ms = member.registered_at_s.and_then(|s| s.checked_mul(1000));
    repo.ensure_profile(
        member.member_id.as_str(),
        registered_ms,
        now.timestamp_millis(),
    )?;
    Ok(())
}

/// Queues an event for the core, once per id (the outbox row is its idempotency key).
pub fn emit(
    repo: &Repo<impl Sql>,
    id: String,
    event_type: &'static str,
    now: DateTime<Utc>,
    data: serde_json::Value,
) -> Result<(), ApiError> {
    let event = OutboundEvent::new(id, event_type, Instant(now), data);
    outbox::enqueue_event(&repo.sql, &event, now.timestamp_millis())
}

/// Grants an award and reports it to the core (`points.awarded`), once per source + source id.
pub fn grant(
    repo: &Repo<impl Sql>,
    rules: &Rules,
    member_id: &str,
    source: Source,
    source_id: &str,
    amount: i64,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let award = Award {
        source,
        source_id,
        amount,
        debt: None,
    };
    grant_onto(repo, rules, member_id, &award, now, None).map(drop)
}

/// What a grant gives.
pub struct Award<'a> {
    pub source: Source,
    pub source_id: &'a str,
    pub amount: i64,
    /// The member's points debt when the caller knows it without a read (a member whose
    /// tables this call created has none); `None`: read from the profile.
    pub debt: Option<i64>,
}

/// `grant` onto a balance the caller read in this transaction (`None`: read it here);
/// answers the balance after it.
pub fn grant_onto(
    repo: &Repo<impl Sql>,
    rules: &Rules,
    member_id: &str,
    award: &Award,
    now: DateTime<Utc>,
    balance_before: Option<i64>,
) -> Result<i64, ApiError> {
    let Award {
        source,
        source_id,
        amount,
        debt,
    } = *award;
    let current = || -> Result<i64, ApiError> {
        match balance_before {
            Some(balance) => Ok(balance),
            None => Ok(repo.balance()?),
        }
    };
    if amount <= 0 {
        return current();
    }
    let Some((expires_at, kept)) =
        repo.award(source, source_id, amount, now, rules.points.ttl_days, debt)?
    else {
        return current();
    };
    let balance = match balance_before {
        Some(before) => before + kept,
        None => repo.balance()?,
    };
    emit(
        repo,
        format!("pts-{member_id}-{}-{source_id}", source.as_str()),
        "points.awarded",
        now,
        json!({
            "member_id": member_id,
            "amount": amount,
            "source": source.as_str(),
            "source_id": source_id,
            "expires_at": Instant(expires_at),
            "balance": balance,
        }),
    )?;
    Ok(balance)
}

/// A page of the ledger, newest first; the cursor is the last id shown.
pub fn page(
    repo: &Repo<impl Sql>,
    member: &MemberContext,
    now: DateTime<Utc>,
    before_id: Option<i64>,
    limit: i64,
) -> Result<LedgerReply, ApiError> {
    prepare(repo, member, now)?;
    // One extra row tells whether there is a next page.
    let mut rows = repo.ledger_page(before_id, limit + 1)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if more {
        rows.last().map(|row| row.id.to_string())
    } else {
        None
    };
    Ok(LedgerReply {
        entries: rows
            .into_iter()
            .map(|row| LedgerEntry {
                id: row.id,
                amount: row.amount,
                kind: row.kind.as_str().to_owned(),
                source: row.source.as_str().to_owned(),
                source_id: row.source_id,
                created_at: Instant::from_millis(row.created_ms),
                expires_at: row.expires_ms.map(Instant::from_millis),
            })
            .collect(),
        next_cursor,
    })
}
