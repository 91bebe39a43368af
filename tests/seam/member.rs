//! A member object's database and what its tests send it, as the worker would.
#![allow(dead_code)]

use super::Sqlite;
use chrono::{DateTime, Duration, Utc};
use pharmedge::domain::coupon::CouponTerms;
use pharmedge::domain::ids::MemberId;
use pharmedge::domain::rules::Rules;
use pharmedge::domain::time::parse_instant;
use pharmedge::objects::member::coupons::{self, NewCoupon};
use pharmedge::objects::member::protocol::MemberContext;
use pharmedge::objects::member::repo::{Repo, EVENTS, POINTS};
use pharmedge::objects::member::{ledger, prescriptions, tiers};
use pharmedge::objects::outbox;
use pharmedge::objects::schema::{Module, Tables};
use pharmedge::objects::seam::{Sql, Transact};
use serde_json::Value;

pub const MEMBER: &str = "mem-1";

/// Every module of the member object that is on the seam.
pub const MODULES: &[&Module] = &[
    &POINTS,
    &EVENTS,
    &coupons::MODULE,
    &prescriptions::MODULE,
    &outbox::MODULE,
    &tiers::MODULE,
];

/// A new member object's database, migrated the way the object migrates it.
pub fn member_db() -> Repo<Sqlite> {
    let repo = Repo::new(Sqlite::open());
    Tables::default()
        .ensure(&repo.sql, MODULES)
        .expect("migrations");
    repo
}

pub fn member() -> MemberContext {
    MemberContext {
        member_id: MemberId::parse(MEMBER).unwrap(),
        registered_at_s: None,
    }
}

/// A member the token says registered at `at`.
pub fn registered(at: DateTime<Utc>) -> MemberContext {
    MemberContext {
        registered_at_s: Some(at.timestamp()),
        ..member()
    }
}

pub fn rules() -> Rules {
    Rules::default()
}

pub fn at(raw: &str) -> DateTime<Utc> {
    parse_instant(raw).unwrap()
}

/// Business day `n` of April 2026 (Shanghai), at 10:00 local.
pub fn day(n: u32) -> DateTime<Utc> {
    at("2026-04-01T02:00:00Z") + Duration::days(i64::from(n) - 1)
}

/// Runs `work` as one of the object's transactions.
pub fn tx<T, E: From<pharmedge::objects::seam::SqlError>>(
    repo: &Repo<Sqlite>,
    work: impl FnOnce() -> Result<T, E>,
) -> Result<T, E> {
    repo.sql.atomically(work)
}

pub fn balance(repo: &Repo<Sqlite>) -> i64 {
    repo.balance().unwrap()
}

pub fn debt(repo: &Repo<Sqlite>) -> i64 {
    repo.profile().unwrap().map_or(0, |p| p.points_debt)
}

/// The outbox rows queued, oldest first: (key, target, kind, body as JSON).
pub fn queued(repo: &Repo<Sqlite>) -> Vec<(String, String, String, Value)> {
    let rows: Vec<(String, String, String, String)> = repo
        .sql
        .rows(
            "SELECT key, target, kind, body FROM outbox ORDER BY created_ms, rowid",
            Vec::new(),
        )
        .unwrap();
    rows.into_iter()
        .map(|(key, target, kind, body)| (key, target, kind, serde_json::from_str(&body).unwrap()))
        .collect()
}

/// The kinds of the outbox rows, oldest first.
pub fn kinds(repo: &Repo<Sqlite>) -> Vec<String> {
    queued(repo)
        .into_iter()
        .map(|(_, _, kind, _)| kind)
        .collect()
}

/// A fixed 10-yuan coupon, valid for 30 days from `now`.
pub fn fixed_coupon(repo: &Repo<Sqlite>, claim_id: &str, now: DateTime<Utc>) -> String {
    let terms = CouponTerms::Fixed { value_fen: 1_000 };
    let coupon = NewCoupon {
        claim_id,
        campaign_id: "cmp-1",
        terms: &terms,
        eligible_classes: None,
        expires: now + Duration::days(30),
        store_id: None,
        attribution: None,
    };
    tx(repo, || {
        ledger::prepare(repo, &member(), now)?;
        coupons::mint(repo, MEMBER, &coupon, now)
    })
    .expect("minted")
}
