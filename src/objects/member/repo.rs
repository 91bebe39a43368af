//! The member object's profile and its rows: the handle every module's statements go
//! through ([`Repo`], over any database the SQL seam names), the profile (who the member is,
//! registration, points debt), check-in days, paid orders and seen core events. No rules
//! here: the decisions are the domain's; this only loads and stores. The points ledger's
//! statements are `ledger`'s, the wallet's `wallet`'s.

use crate::domain::coupon::CouponStatus;
use crate::domain::points::{EntryKind, Source};
use crate::domain::time::{from_unix_millis, parse_date};
use crate::objects::schema::Module;
use crate::objects::seam::{FromRow, Row, Sql, SqlError};
use chrono::{DateTime, NaiveDate, Utc};

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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckinRow {
    pub date: String,
    pub streak: u32,
    pub points: i64,
    pub bonus: i64,
    pub makeup: bool,
}

impl FromRow for CheckinRow {
    fn from_row(mut row: Row) -> Result<Self, SqlError> {
        Ok(CheckinRow {
            date: row.get(0)?,
            streak: row.get(1)?,
            points: row.get(2)?,
            bonus: row.get(3)?,
            makeup: row.get(4)?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidOrder {
    pub order_id: String,
    pub paid_ms: Option<i64>,
    pub amount_fen: Option<i64>,
    pub own_fen: Option<i64>,
    pub points_awarded: i64,
    pub refunded_fen: i64,
    pub points_clawed: i64,
}

impl FromRow for PaidOrder {
    fn from_row(mut row: Row) -> Result<Self, SqlError> {
        Ok(PaidOrder {
            order_id: row.get(0)?,
            paid_ms: row.get(1)?,
            amount_fen: row.get(2)?,
            own_fen: row.get(3)?,
            points_awarded: row.get(4)?,
            refunded_fen: row.get(5)?,
            points_clawed: row.get(6)?,
        })
    }
}

const PAID_ORDER_COLUMNS: &str =
    "order_id, paid_ms, amount_fen, own_fen, points_awarded, refunded_fen, points_clawed";

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
    /// until the core reports the authoritative one.
    pub fn ensure_profile(
        &self,
        member_id: &str,
        registered_at_ms: Option<i64>,
        now_ms: i64,
    ) -> Result<Profile, SqlError> {
        self.sql.run(
            "INSERT OR IGNORE INTO profile (k, member_id, registered_at_ms, first_seen_ms) VALUES (1, ?, ?, ?)",
            vec![member_id.into(), registered_at_ms.into(), now_ms.into()],
        )?;
        if let Some(registered_at_ms) = registered_at_ms {
            self.sql.run(
                "UPDATE profile SET registered_at_ms = ? WHERE k = 1 AND registered_at_ms IS NULL",
                vec![registered_at_ms.into()],
            )?;
        }
        self.profile()?
            .ok_or_else(|| SqlError::shape("profile", "no profile after insert".into()))
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

    // --- check-ins

    pub fn days_desc(&self) -> Result<Vec<NaiveDate>, SqlError> {
        let days: Vec<(String,)> = self
            .sql
            .rows("SELECT date FROM checkins ORDER BY date DESC", vec![])?;
        Ok(days.iter().filter_map(|(day,)| parse_date(day)).collect())
    }

    pub fn checkin(&self, date: &str) -> Result<Option<CheckinRow>, SqlError> {
        self.sql.row(
            "SELECT date, streak, points, bonus, makeup FROM checkins WHERE date = ?",
            vec![date.into()],
        )
    }

    pub fn month_checkins(&self, month_prefix: &str) -> Result<Vec<CheckinRow>, SqlError> {
        self.sql.rows(
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
    ) -> Result<bool, SqlError> {
        let written = self.sql.run(
            "INSERT OR IGNORE INTO checkins (date, streak, points, bonus, makeup, created_ms) VALUES (?, ?, ?, ?, ?, ?)",
            vec![date.into(), streak.into(), points.into(), bonus.into(), makeup.into(), now_ms.into()],
        )?;
        Ok(written > 0)
    }

    // --- orders and events

    pub fn paid_order(&self, order_id: &str) -> Result<Option<PaidOrder>, SqlError> {
        self.sql.row(
            &format!("SELECT {PAID_ORDER_COLUMNS} FROM paid_orders WHERE order_id = ?"),
            vec![order_id.into()],
        )
    }

    pub fn paid_orders(&self) -> Result<Vec<PaidOrder>, SqlError> {
        self.sql.rows(
            &format!("SELECT {PAID_ORDER_COLUMNS} FROM paid_orders WHERE paid_ms IS NOT NULL"),
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
    ) -> Result<(), SqlError> {
        self.sql.run(
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
    ) -> Result<(), SqlError> {
        self.sql.run(
            "INSERT INTO paid_orders (order_id, refunded_fen, points_clawed) VALUES (?, ?, ?)
             ON CONFLICT (order_id) DO UPDATE SET refunded_fen = excluded.refunded_fen, points_clawed = excluded.points_clawed",
            vec![order_id.into(), refunded_total_fen.into(), points_clawed.into()],
        )?;
        Ok(())
    }

    /// Marks an event id as handled; false if it already was.
    pub fn first_sight_of_event(&self, event_id: &str, now_ms: i64) -> Result<bool, SqlError> {
        Ok(self.sql.run(
            "INSERT OR IGNORE INTO seen_events (id, received_ms) VALUES (?, ?)",
            vec![event_id.into(), now_ms.into()],
        )? > 0)
    }
}
