//! The member object's tables and the SQL that reads and writes them. No rules here: the
//! decisions are the domain's; this only loads and stores.

use crate::domain::points::{self, EntryKind, Lot, Source};
use crate::domain::time::{from_unix_millis, parse_date};
use crate::http::error::ApiError;
use crate::objects::schema::Module;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use worker::{SqlStorage, SqlStorageValue};

/// Largest integer a JS number holds exactly; bound of "no cursor".
const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// Profile, check-ins and the points ledger: all a member who only checks in holds.
pub const POINTS: Module = Module {
    name: "points",
    migrations: &[&[
    "CREATE TABLE IF NOT EXISTS profile (
        k INTEGER PRIMARY KEY CHECK (k = 1),
        member_id TEXT NOT NULL,
        registered_at_ms INTEGER,
        first_seen_ms INTEGER NOT NULL,
        real_name_verified INTEGER NOT NULL DEFAULT 0,
        points_debt INTEGER NOT NULL DEFAULT 0
    )",
    "CREATE TABLE IF NOT EXISTS checkins (
        date TEXT PRIMARY KEY,
        streak INTEGER NOT NULL,
        points INTEGER NOT NULL,
        bonus INTEGER NOT NULL,
        makeup INTEGER NOT NULL,
        created_ms INTEGER NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS ledger (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        amount INTEGER NOT NULL,
        kind TEXT NOT NULL,
        source TEXT NOT NULL,
        source_id TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        expires_ms INTEGER,
        remaining INTEGER NOT NULL DEFAULT 0,
        UNIQUE (kind, source, source_id)
    )",
    "CREATE INDEX IF NOT EXISTS ledger_open_lots ON ledger (expires_ms, id) WHERE remaining > 0",
    ]],
};

/// Paid orders and the core events already applied.
pub const EVENTS: Module = Module {
    name: "events",
    migrations: &[&[
    "CREATE TABLE IF NOT EXISTS paid_orders (
        order_id TEXT PRIMARY KEY,
        paid_ms INTEGER,
        amount_fen INTEGER,
        own_fen INTEGER,
        points_awarded INTEGER NOT NULL DEFAULT 0,
        refunded_fen INTEGER NOT NULL DEFAULT 0,
        points_clawed INTEGER NOT NULL DEFAULT 0
    )",
    "CREATE TABLE IF NOT EXISTS seen_events (id TEXT PRIMARY KEY, received_ms INTEGER NOT NULL)",
    ]],
};

#[derive(Debug, Clone, Deserialize)]
pub struct Profile {
    pub member_id: String,
    pub registered_at_ms: Option<i64>,
    pub first_seen_ms: i64,
    pub points_debt: i64,
}

impl Profile {
    /// Registration as the core reported it, else the first time the edge saw the member.
    pub fn registered_at(&self) -> DateTime<Utc> {
        from_unix_millis(self.registered_at_ms.unwrap_or(self.first_seen_ms)).unwrap_or_default()
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct CheckinRow {
    pub date: String,
    pub streak: i64,
    pub points: i64,
    pub bonus: i64,
    pub makeup: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LedgerRow {
    pub id: i64,
    pub amount: i64,
    pub kind: String,
    pub source: String,
    pub source_id: String,
    pub created_ms: i64,
    pub expires_ms: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PaidOrder {
    pub order_id: String,
    pub paid_ms: Option<i64>,
    pub amount_fen: Option<i64>,
    pub own_fen: Option<i64>,
    pub points_awarded: i64,
    pub refunded_fen: i64,
    pub points_clawed: i64,
}

#[derive(Deserialize)]
struct LotRow {
    id: i64,
    remaining: i64,
    expires_ms: i64,
}

pub struct Repo {
    pub sql: SqlStorage,
}

impl Repo {
    pub(super) fn rows<T: DeserializeOwned>(
        &self,
        query: &str,
        bindings: Vec<SqlStorageValue>,
    ) -> Result<Vec<T>, ApiError> {
        crate::objects::sql::rows(&self.sql, query, bindings)
    }

    pub(super) fn run(
        &self,
        query: &str,
        bindings: Vec<SqlStorageValue>,
    ) -> Result<usize, ApiError> {
        crate::objects::sql::run(&self.sql, query, bindings)
    }

    pub fn profile(&self) -> Result<Option<Profile>, ApiError> {
        Ok(self
            .rows(
                "SELECT member_id, registered_at_ms, first_seen_ms, points_debt FROM profile WHERE k = 1",
                vec![],
            )?
            .into_iter()
            .next())
    }

    /// The profile, created on first contact. A registration time from the token is kept
    /// until the core reports the authoritative one.
    pub fn ensure_profile(
        &self,
        member_id: &str,
        registered_at_ms: Option<i64>,
        now_ms: i64,
    ) -> Result<Profile, ApiError> {
        self.run(
            "INSERT OR IGNORE INTO profile (k, member_id, registered_at_ms, first_seen_ms) VALUES (1, ?, ?, ?)",
            vec![member_id.into(), registered_at_ms.into(), now_ms.into()],
        )?;
        if let Some(registered_at_ms) = registered_at_ms {
            self.run(
                "UPDATE profile SET registered_at_ms = ? WHERE k = 1 AND registered_at_ms IS NULL",
                vec![registered_at_ms.into()],
            )?;
        }
        self.profile()?.ok_or(ApiError::Internal)
    }

    pub fn set_registration(
        &self,
        registered_at_ms: i64,
        real_name_verified: bool,
    ) -> Result<(), ApiError> {
        self.run(
            "UPDATE profile SET registered_at_ms = ?, real_name_verified = MAX(real_name_verified, ?) WHERE k = 1",
            vec![registered_at_ms.into(), i64::from(real_name_verified).into()],
        )?;
        Ok(())
    }

    pub fn is_verified(&self) -> Result<bool, ApiError> {
        #[derive(Deserialize)]
        struct Verified {
            real_name_verified: i64,
        }
        Ok(self
            .rows::<Verified>("SELECT real_name_verified FROM profile WHERE k = 1", vec![])?
            .first()
            .is_some_and(|row| row.real_name_verified != 0))
    }

    pub fn set_verified(&self) -> Result<(), ApiError> {
        self.run(
            "UPDATE profile SET real_name_verified = 1 WHERE k = 1",
            vec![],
        )?;
        Ok(())
    }

    // --- check-ins

    pub fn days_desc(&self) -> Result<Vec<NaiveDate>, ApiError> {
        #[derive(Deserialize)]
        struct Day {
            date: String,
        }
        let days: Vec<Day> = self.rows("SELECT date FROM checkins ORDER BY date DESC", vec![])?;
        Ok(days
            .iter()
            .filter_map(|day| parse_date(&day.date))
            .collect())
    }

    pub fn checkin(&self, date: &str) -> Result<Option<CheckinRow>, ApiError> {
        Ok(self
            .rows(
                "SELECT date, streak, points, bonus, makeup FROM checkins WHERE date = ?",
                vec![date.into()],
            )?
            .into_iter()
            .next())
    }

    pub fn month_checkins(&self, month_prefix: &str) -> Result<Vec<CheckinRow>, ApiError> {
        self.rows(
            "SELECT date, streak, points, bonus, makeup FROM checkins WHERE substr(date, 1, 7) = ? ORDER BY date",
            vec![month_prefix.into()],
        )
    }

    /// Records a check-in; false when the day was already there (nothing written).
    pub fn insert_checkin(
        &self,
        date: &str,
        streak: u32,
        points: i64,
        bonus: i64,
        makeup: bool,
        now_ms: i64,
    ) -> Result<bool, ApiError> {
        let written = self.run(
            "INSERT OR IGNORE INTO checkins (date, streak, points, bonus, makeup, created_ms) VALUES (?, ?, ?, ?, ?, ?)",
            vec![date.into(), i64::from(streak).into(), points.into(), bonus.into(), i64::from(makeup).into(), now_ms.into()],
        )?;
        Ok(written > 0)
    }

    // --- points

    pub fn open_lots(&self) -> Result<Vec<Lot>, ApiError> {
        let rows: Vec<LotRow> = self.rows(
            "SELECT id, remaining, expires_ms FROM ledger WHERE remaining > 0 ORDER BY expires_ms, id",
            vec![],
        )?;
        Ok(rows
            .into_iter()
            .map(|row| Lot {
                id: row.id,
                remaining: row.remaining,
                expires_at: from_unix_millis(row.expires_ms).unwrap_or_default(),
            })
            .collect())
    }

    pub fn balance(&self) -> Result<i64, ApiError> {
        Ok(self.open_lots()?.iter().map(|lot| lot.remaining).sum())
    }

    /// Writes `expire` entries for every lot whose time has come.
    pub fn expire_due(&self, now: DateTime<Utc>) -> Result<(), ApiError> {
        for (lot_id, amount) in points::expired(&self.open_lots()?, now) {
            self.run(
                "UPDATE ledger SET remaining = 0 WHERE id = ?",
                vec![lot_id.into()],
            )?;
            self.insert_entry(
                -amount,
                EntryKind::Expire,
                Source::Expiry,
                &lot_id.to_string(),
                now,
                None,
                0,
            )?;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn insert_entry(
        &self,
        amount: i64,
        kind: EntryKind,
        source: Source,
        source_id: &str,
        now: DateTime<Utc>,
        expires: Option<DateTime<Utc>>,
        remaining: i64,
    ) -> Result<bool, ApiError> {
        let written = self.run(
            "INSERT OR IGNORE INTO ledger (amount, kind, source, source_id, created_ms, expires_ms, remaining) VALUES (?, ?, ?, ?, ?, ?, ?)",
            vec![
                amount.into(),
                kind.as_str().into(),
                source.as_str().into(),
                source_id.into(),
                now.timestamp_millis().into(),
                expires.map(|at| at.timestamp_millis()).into(),
                remaining.into(),
            ],
        )?;
        Ok(written > 0)
    }

    /// Grants an award once: `None` if this source + source id was already granted.
    /// Any outstanding debt is settled from it first.
    pub fn award(
        &self,
        source: Source,
        source_id: &str,
        amount: i64,
        now: DateTime<Utc>,
        ttl_days: i64,
    ) -> Result<Option<DateTime<Utc>>, ApiError> {
        let debt = self.profile()?.map_or(0, |profile| profile.points_debt);
        let (kept, settled) = points::settle_debt(amount, debt);
        let expires = now + Duration::days(ttl_days);
        if !self.insert_entry(
            amount,
            EntryKind::Earn,
            source,
            source_id,
            now,
            Some(expires),
            kept,
        )? {
            return Ok(None);
        }
        if settled > 0 {
            self.run(
                "UPDATE profile SET points_debt = points_debt - ? WHERE k = 1",
                vec![settled.into()],
            )?;
        }
        Ok(Some(expires))
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
    ) -> Result<bool, ApiError> {
        if !self.insert_entry(-amount, kind, source, source_id, now, None, 0)? {
            return Ok(false);
        }
        let (takes, shortfall) = points::take_oldest_first(&self.open_lots()?, amount);
        for (lot_id, take) in takes {
            self.run(
                "UPDATE ledger SET remaining = remaining - ? WHERE id = ?",
                vec![take.into(), lot_id.into()],
            )?;
        }
        if shortfall > 0 {
            self.run(
                "UPDATE profile SET points_debt = points_debt + ? WHERE k = 1",
                vec![shortfall.into()],
            )?;
        }
        Ok(true)
    }

    pub fn ledger_page(
        &self,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<LedgerRow>, ApiError> {
        self.rows(
            "SELECT id, amount, kind, source, source_id, created_ms, expires_ms FROM ledger WHERE id < ? ORDER BY id DESC LIMIT ?",
            vec![before_id.unwrap_or(MAX_SAFE_INTEGER).into(), limit.into()],
        )
    }

    // --- orders and events

    pub fn paid_order(&self, order_id: &str) -> Result<Option<PaidOrder>, ApiError> {
        Ok(self
            .rows(
                "SELECT order_id, paid_ms, amount_fen, own_fen, points_awarded, refunded_fen, points_clawed FROM paid_orders WHERE order_id = ?",
                vec![order_id.into()],
            )?
            .into_iter()
            .next())
    }

    pub fn paid_orders(&self) -> Result<Vec<PaidOrder>, ApiError> {
        self.rows(
            "SELECT order_id, paid_ms, amount_fen, own_fen, points_awarded, refunded_fen, points_clawed FROM paid_orders WHERE paid_ms IS NOT NULL",
            vec![],
        )
    }

    pub fn record_payment(
        &self,
        order_id: &str,
        paid_ms: i64,
        amount_fen: i64,
        own_fen: i64,
        points_awarded: i64,
    ) -> Result<(), ApiError> {
        self.run(
            "INSERT INTO paid_orders (order_id, paid_ms, amount_fen, own_fen, points_awarded) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (order_id) DO UPDATE SET paid_ms = excluded.paid_ms, amount_fen = excluded.amount_fen, own_fen = excluded.own_fen, points_awarded = excluded.points_awarded",
            vec![order_id.into(), paid_ms.into(), amount_fen.into(), own_fen.into(), points_awarded.into()],
        )?;
        Ok(())
    }

    pub fn record_refund(
        &self,
        order_id: &str,
        refunded_total_fen: i64,
        points_clawed: i64,
    ) -> Result<(), ApiError> {
        self.run(
            "INSERT INTO paid_orders (order_id, refunded_fen, points_clawed) VALUES (?, ?, ?)
             ON CONFLICT (order_id) DO UPDATE SET refunded_fen = excluded.refunded_fen, points_clawed = excluded.points_clawed",
            vec![order_id.into(), refunded_total_fen.into(), points_clawed.into()],
        )?;
        Ok(())
    }

    /// Marks an event id as handled; false if it already was.
    pub fn first_sight_of_event(&self, event_id: &str, now_ms: i64) -> Result<bool, ApiError> {
        Ok(self.run(
            "INSERT OR IGNORE INTO seen_events (id, received_ms) VALUES (?, ?)",
            vec![event_id.into(), now_ms.into()],
        )? > 0)
    }
}
