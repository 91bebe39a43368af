//! The check-ins table's rows and statements: a day's check-in, a repeat's answer with the
//! balance in one statement, the latest run of days, a month's days.

use super::repo::Repo;
use crate::domain::time::parse_date;
use crate::objects::seam::{FromRow, Row, Sql, SqlError};
use chrono::NaiveDate;

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

/// A day's check-in as a repeat answers it, with the balance read in the same statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepeatDay {
    pub streak: u32,
    pub points: i64,
    pub bonus: i64,
    /// What the open lots hold.
    pub open_points: i64,
    /// The earliest expiry of an open lot: if it has come, the lots must expire first.
    pub earliest_expiry_ms: Option<i64>,
}

impl FromRow for RepeatDay {
    fn from_row(mut row: Row) -> Result<Self, SqlError> {
        Ok(RepeatDay {
            streak: row.get(0)?,
            points: row.get(1)?,
            bonus: row.get(2)?,
            open_points: row.get(3)?,
            earliest_expiry_ms: row.get(4)?,
        })
    }
}

impl<S: Sql> Repo<S> {
    /// The day's check-in and the open lots' sum and earliest expiry: all a repeat reads.
    pub fn repeat_day(&self, date: &str) -> Result<Option<RepeatDay>, SqlError> {
        self.sql.row(
            "SELECT streak, points, bonus,
                (SELECT COALESCE(SUM(remaining), 0) FROM ledger WHERE remaining > 0),
                (SELECT MIN(expires_ms) FROM ledger WHERE remaining > 0)
             FROM checkins WHERE date = ?",
            vec![date.into()],
        )
    }

    /// The latest run of consecutive days up to `date` (newest first): all a streak needs,
    /// however long the member's history.
    pub fn latest_run(&self, date: &str) -> Result<Vec<NaiveDate>, SqlError> {
        // Along a run, newest first, julianday(date) + row number stays constant.
        let days: Vec<(String,)> = self.sql.rows(
            "SELECT date FROM (
                SELECT date, julianday(date) + ROW_NUMBER() OVER (ORDER BY date DESC) AS run
                FROM checkins WHERE date <= ?)
             WHERE run = (SELECT julianday(MAX(date)) + 1 FROM checkins WHERE date <= ?)
             ORDER BY date DESC",
            vec![date.into(), date.into()],
        )?;
        Ok(days.iter().filter_map(|(day,)| parse_date(day)).collect())
    }

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
}
