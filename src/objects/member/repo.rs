//! The member object's profile and its rows: the handle every module's statements go
//! through ([`Repo`], over any database the SQL seam names), the profile (who the member is,
//! registration, points debt), check-in days, paid orders and seen core events. No rules
//! here: the decisions are the domain's; this only loads and stores. The points ledger's
//! statements are `ledger`'s, the wallet's `wallet`'s.

use crate::domain::coupon::CouponStatus;
use crate::domain::points::{EntryKind, Source};
use crate::domain::time::from_unix_millis;
use crate::objects::schema::Module;
use crate::objects::seam::{FromRow, Row, Sql, SqlError};
use chrono::{DateTime, Utc};

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
    // The same tables, stored in fewer b-trees (a new member's first check-in writes each
    // one's root page): check-ins keyed by their date alone (no rowid and separate key
    // index), ledger ids without AUTOINCREMENT's `sqlite_sequence` (a ledger row is never
    // deleted but by an erasure, after which nothing is written: ids are never reused).
    baseline: &[
        "CREATE TABLE IF NOT EXISTS profile (k INTEGER PRIMARY KEY CHECK (k = 1), \
            member_id TEXT NOT NULL, registered_at_ms INTEGER, first_seen_ms INTEGER NOT NULL, \
            real_name_verified INTEGER NOT NULL DEFAULT 0, points_debt INTEGER NOT NULL DEFAULT 0)",
        "CREATE TABLE IF NOT EXISTS checkins (date TEXT PRIMARY KEY, streak INTEGER NOT NULL, \
            points INTEGER NOT NULL, bonus INTEGER NOT NULL, makeup INTEGER NOT NULL, \
            created_ms INTEGER NOT NULL) WITHOUT ROWID",
        "CREATE TABLE IF NOT EXISTS ledger (id INTEGER PRIMARY KEY, amount INTEGER NOT NULL, \
            kind TEXT NOT NULL, source TEXT NOT NULL, source_id TEXT NOT NULL, \
            created_ms INTEGER NOT NULL, expires_ms INTEGER, remaining INTEGER NOT NULL DEFAULT 0, \
            UNIQUE (kind, source, source_id))",
        "CREATE INDEX IF NOT EXISTS ledger_open_lots ON ledger (expires_ms, id) WHERE remaining > 0",
    ],
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
    baseline: &[],
};

// The one mapping of each enum the member object keeps in a column.
crate::stored_names!(EntryKind {
    Earn => "earn",
    Spend => "spend",
    Expire => "expire",
    Clawback => "clawback",
    Adjust => "adjust",
});
crate::stored_names!(Source {
    Checkin => "checkin",
    Makeup => "makeup",
    Order => "order",
    Referral => "referral",
    Campaign => "campaign",
    Refund => "refund",
    Expiry => "expiry",
});
crate::stored_names!(CouponStatus {
    Available => "available",
    Locked => "locked",
    Redeemed => "redeemed",
    Expired => "expired",
});

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub member_id: String,
    pub registered_at_ms: Option<i64>,
    pub first_seen_ms: i64,
    pub points_debt: i64,
}

impl FromRow for Profile {
    fn from_row(mut row: Row) -> Result<Self, SqlError> {
        Ok(Profile {
            member_id: row.get(0)?,
            registered_at_ms: row.get(1)?,
            first_seen_ms: row.get(2)?,
            points_debt: row.get(3)?,
        })
    }
}

impl Profile {
    /// Registration as the core reported it, else the first time the edge saw the member.
    pub fn registered_at(&self) -> DateTime<Utc> {
        from_unix_millis(self.registered_at_ms.unwrap_or(self.first_seen_ms)).unwrap_or_default()
    }
}

/// The member's statements, over the database `sql` (the object's storage on Workers, real
/// SQLite in `cargo test`).
pub struct Repo<S> {
    pub sql: S,
}

impl<S: Sql> Repo<S> {
    pub fn new(sql: S) -> Self {
        Repo { sql }
    }

    pub fn profile(&self) -> Result<Option<Profile>, SqlError> {
        self.sql.row(
            "SELECT member_id, registered_at_ms, first_seen_ms, points_debt FROM profile WHERE k = 1",
            vec![],
        )
    }

    /// The profile, created on first contact. A registration time from the token is kept
    /// until the core reports the authoritative one. One statement, and no write when the
    /// profile is already there as it should be (a repeat commits nothing).
    pub fn ensure_profile(
        &self,
        member_id: &str,
        registered_at_ms: Option<i64>,
        now_ms: i64,
    ) -> Result<(), SqlError> {
        self.sql.run(
            "INSERT INTO profile (k, member_id, registered_at_ms, first_seen_ms) VALUES (1, ?, ?, ?)
             ON CONFLICT (k) DO UPDATE SET registered_at_ms = excluded.registered_at_ms
             WHERE profile.registered_at_ms IS NULL AND excluded.registered_at_ms IS NOT NULL",
            vec![member_id.into(), registered_at_ms.into(), now_ms.into()],
        )?;
        Ok(())
    }

    pub fn set_registration(
        &self,
        registered_at_ms: i64,
        real_name_verified: bool,
    ) -> Result<(), SqlError> {
        self.sql.run(
            "UPDATE profile SET registered_at_ms = ?, real_name_verified = MAX(real_name_verified, ?) WHERE k = 1",
            vec![registered_at_ms.into(), real_name_verified.into()],
        )?;
        Ok(())
    }

    pub fn is_verified(&self) -> Result<bool, SqlError> {
        let row: Option<(bool,)> = self
            .sql
            .row("SELECT real_name_verified FROM profile WHERE k = 1", vec![])?;
        Ok(row.is_some_and(|(verified,)| verified))
    }

    pub fn set_verified(&self) -> Result<(), SqlError> {
        self.sql.run(
            "UPDATE profile SET real_name_verified = 1 WHERE k = 1",
            vec![],
        )?;
        Ok(())
    }

    /// Changes the points debt by `delta` (a shortfall adds, a settlement takes).
    pub fn add_debt(&self, delta: i64) -> Result<(), SqlError> {
        self.sql.run(
            "UPDATE profile SET points_debt = points_debt + ? WHERE k = 1",
            vec![delta.into()],
        )?;
        Ok(())
    }

    // --- core events

    /// Marks an event id as handled; false if it already was.
    pub fn first_sight_of_event(&self, event_id: &str, now_ms: i64) -> Result<bool, SqlError> {
        Ok(self.sql.run(
            "INSERT OR IGNORE INTO seen_events (id, received_ms) VALUES (?, ?)",
            vec![event_id.into(), now_ms.into()],
        )? > 0)
    }
}
