//! The member's coupons: the wallet rows, minted once per claim id (and reported to the
//! core), locked to an order, redeemed when the core says it was paid, released when it was
//! not, expired when their time is up. The lifecycle rules are `domain::coupon`'s.

use super::protocol::Reserved;
use super::repo::Repo;
use crate::domain::coupon::{self, CouponStatus, CouponTerms, StoredTerms, Transition};
use crate::domain::events::OutboundEvent;
use crate::domain::ids::{digest_id, StoreId};
use crate::domain::order;
use crate::domain::order_lines::{DrugClass, OrderLine};
use crate::domain::time::Instant;
use crate::http::error::ApiError;
use crate::objects::outbox;
use crate::objects::schema::Module;
use crate::objects::seam::{log_warn, FromRow, Row, Sql, SqlError};
use chrono::{DateTime, Utc};
use serde_json::json;

/// The member's coupons and claims.
pub const MODULE: Module = Module {
    name: "wallet",
    migrations: &[&[
        "CREATE TABLE IF NOT EXISTS coupons (
        coupon_id TEXT PRIMARY KEY,
        campaign_id TEXT NOT NULL,
        claim_id TEXT NOT NULL UNIQUE,
        terms TEXT NOT NULL,
        status TEXT NOT NULL,
        claimed_ms INTEGER NOT NULL,
        valid_from_ms INTEGER NOT NULL,
        expires_ms INTEGER NOT NULL,
        store_id TEXT,
        locked_order TEXT,
        redeemed_order TEXT,
        updated_ms INTEGER NOT NULL
    )",
        "CREATE TABLE IF NOT EXISTS claims (
        claim_id TEXT PRIMARY KEY,
        campaign_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        claim_date TEXT NOT NULL,
        state TEXT NOT NULL,
        idempotency_key TEXT UNIQUE,
        body_hash TEXT NOT NULL,
        response TEXT,
        created_ms INTEGER NOT NULL
    )",
    ]],
    baseline: &[],
};

pub use super::protocol::CouponView;

struct CouponRow {
    coupon_id: String,
    campaign_id: String,
    terms: String,
    status: CouponStatus,
    claimed_ms: i64,
    valid_from_ms: i64,
    expires_ms: i64,
    store_id: Option<String>,
    locked_order: Option<String>,
    redeemed_order: Option<String>,
}

impl FromRow for CouponRow {
    fn from_row(mut row: Row) -> Result<Self, SqlError> {
        Ok(CouponRow {
            coupon_id: row.get(0)?,
            campaign_id: row.get(1)?,
            terms: row.get(2)?,
            status: row.get(3)?,
            claimed_ms: row.get(4)?,
            valid_from_ms: row.get(5)?,
            expires_ms: row.get(6)?,
            store_id: row.get(7)?,
            locked_order: row.get(8)?,
            redeemed_order: row.get(9)?,
        })
    }
}

impl CouponRow {
    fn view(&self) -> Result<CouponView, ApiError> {
        let terms: CouponTerms =
            serde_json::from_str(&self.terms).map_err(|_| ApiError::Internal)?;
        Ok(CouponView {
            coupon_id: self.coupon_id.clone(),
            campaign_id: self.campaign_id.clone(),
            terms: terms.view(),
            status: self.status.as_str().to_owned(),
            claimed_at: Instant::from_millis(self.claimed_ms),
            valid_from: Instant::from_millis(self.valid_from_ms),
            expires_at: Instant::from_millis(self.expires_ms),
            store_id: self.store_id.clone(),
        })
    }
}

const COUPON_COLUMNS: &str =
    "coupon_id, campaign_id, terms, status, claimed_ms, valid_from_ms, expires_ms, store_id, locked_order, redeemed_order";

/// Available coupons whose time is up become expired.
pub fn expire_coupons(repo: &Repo<impl Sql>, now: DateTime<Utc>) -> Result<(), ApiError> {
    repo.sql.run(
            "UPDATE coupons SET status = 'expired', updated_ms = ? WHERE status = 'available' AND expires_ms <= ?",
            vec![now.timestamp_millis().into(), now.timestamp_millis().into()],
        )?;
    Ok(())
}

pub fn list(
    repo: &Repo<impl Sql>,
    status: Option<CouponStatus>,
    now: DateTime<Utc>,
) -> Result<Vec<CouponView>, ApiError> {
    expire_coupons(repo, now)?;
    let rows: Vec<CouponRow> = repo.sql.rows(
            &format!("SELECT {COUPON_COLUMNS} FROM coupons WHERE (? IS NULL OR status = ?) ORDER BY claimed_ms DESC, coupon_id LIMIT 500"),
            vec![status.map(CouponStatus::as_str).into(), status.map(CouponStatus::as_str).into()],
        )?;
    rows.iter().map(CouponRow::view).collect()
}

pub fn available_count(repo: &Repo<impl Sql>, now: DateTime<Utc>) -> Result<i64, ApiError> {
    Ok(list(repo, Some(CouponStatus::Available), now)?.len() as i64)
}

/// One coupon as the member sees it.
pub fn view(repo: &Repo<impl Sql>, coupon_id: &str) -> Result<Option<CouponView>, ApiError> {
    coupon(repo, coupon_id)?
        .as_ref()
        .map(CouponRow::view)
        .transpose()
}

fn coupon(repo: &Repo<impl Sql>, coupon_id: &str) -> Result<Option<CouponRow>, ApiError> {
    let rows: Vec<CouponRow> = repo.sql.rows(
        &format!("SELECT {COUPON_COLUMNS} FROM coupons WHERE coupon_id = ?"),
        vec![coupon_id.into()],
    )?;
    Ok(rows.into_iter().next())
}

/// The core says an order was paid with this coupon: redeemed, once.
pub fn redeem(
    repo: &Repo<impl Sql>,
    coupon_id: &str,
    order_id: &str,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let Some(row) = coupon(repo, coupon_id)? else {
        log_warn("order paid with a coupon this member does not hold");
        return Ok(());
    };
    let status = row.status;
    match coupon::redeem(
        status,
        row.locked_order.as_deref(),
        order_id,
        row.redeemed_order.as_deref(),
    ) {
        Transition::Apply => {
            repo.sql.run(
                    "UPDATE coupons SET status = 'redeemed', redeemed_order = ?, locked_order = NULL, updated_ms = ? WHERE coupon_id = ?",
                    vec![order_id.into(), now.timestamp_millis().into(), coupon_id.into()],
                )?;
        }
        Transition::AlreadyDone => {}
        Transition::Refused => log_warn(&format!(
            "coupon redeem refused in state {}",
            row.status.as_str()
        )),
    }
    Ok(())
}

/// A coupon entering the wallet: from a claim on a campaign, or awarded (referral rewards).
pub struct NewCoupon<'a> {
    /// Unique per coupon ever given; the coupon id is derived from it.
    pub claim_id: &'a str,
    pub campaign_id: &'a str,
    pub terms: &'a CouponTerms,
    /// The classes the campaign lets it discount (`None`: every discountable class).
    pub eligible_classes: Option<&'a [DrugClass]>,
    pub expires: DateTime<Utc>,
    pub store_id: Option<&'a StoreId>,
    /// Where the claim came from; kept with the coupon (`coupon_attribution`) and forwarded.
    pub attribution: Option<&'a crate::domain::attribution::Attribution>,
}

/// Puts a coupon in the wallet, once per claim id, and reports it to the core
/// (`coupon.claimed`), which must know it to honour it. Answers the coupon id.
pub fn mint(
    repo: &Repo<impl Sql>,
    member_id: &str,
    coupon: &NewCoupon,
    now: DateTime<Utc>,
) -> Result<String, ApiError> {
    let coupon_id = digest_id("cpn", &[coupon.claim_id], 12);
    let stored = StoredTerms {
        terms: *coupon.terms,
        eligible_classes: coupon.eligible_classes.map(<[DrugClass]>::to_vec),
    };
    let terms = serde_json::to_string(&stored).map_err(|_| ApiError::Internal)?;
    let written = repo.sql.run(
            "INSERT OR IGNORE INTO coupons (coupon_id, campaign_id, claim_id, terms, status, claimed_ms, valid_from_ms, expires_ms, store_id, updated_ms)
             VALUES (?, ?, ?, ?, 'available', ?, ?, ?, ?, ?)",
            vec![
                coupon_id.as_str().into(),
                coupon.campaign_id.into(),
                coupon.claim_id.into(),
                terms.into(),
                now.timestamp_millis().into(),
                now.timestamp_millis().into(),
                coupon.expires.timestamp_millis().into(),
                coupon.store_id.map(StoreId::as_str).into(),
                now.timestamp_millis().into(),
            ],
        )?;
    if written > 0 {
        let mut data = json!({
            "member_id": member_id,
            "coupon_id": coupon_id,
            "campaign_id": coupon.campaign_id,
            "store_id": coupon.store_id,
            "claimed_at": Instant(now),
            "expires_at": Instant(coupon.expires),
        });
        if let Some(attribution) = coupon.attribution {
            super::coupon_attribution::keep(&repo.sql, &coupon_id, attribution)?;
            data["attribution"] = json!(attribution);
        }
        let event = OutboundEvent::new(
            format!("cpn-{coupon_id}"),
            "coupon.claimed",
            Instant(now),
            data,
        );
        outbox::enqueue_event(&repo.sql, &event, now.timestamp_millis())?;
    }
    Ok(coupon_id)
}

// --- coupons on orders

/// Locks the coupon to an order and prices the order with it, in the member's transaction:
/// the coupon must be this member's, usable now, and apply to the lines. Locking again for
/// the same order answers the same totals (a retried placement).
pub fn lock(
    repo: &Repo<impl Sql>,
    coupon_id: &str,
    order_id: &str,
    lines: &[OrderLine],
    prescription_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Reserved, ApiError> {
    expire_coupons(repo, now)?;
    let unavailable = |detail: &str| ApiError::CouponUnavailable {
        detail: detail.to_owned(),
    };
    let row =
        coupon(repo, coupon_id)?.ok_or_else(|| unavailable("no such coupon in this wallet"))?;
    let status = row.status;
    let transition = coupon::lock(status, row.locked_order.as_deref(), order_id);
    if transition == Transition::Refused {
        return Err(unavailable(&format!(
            "the coupon is {}",
            row.status.as_str()
        )));
    }
    if now.timestamp_millis() < row.valid_from_ms {
        return Err(unavailable("the coupon is not valid yet"));
    }
    let stored: StoredTerms = serde_json::from_str(&row.terms).map_err(|_| ApiError::Internal)?;
    let classes = stored.eligible_classes.as_deref();
    let totals = order::price(lines, prescription_id, Some((&stored.terms, classes)))?;
    if transition == Transition::Apply {
        repo.sql.run(
                "UPDATE coupons SET status = 'locked', locked_order = ?, updated_ms = ? WHERE coupon_id = ?",
                vec![order_id.into(), now.timestamp_millis().into(), coupon_id.into()],
            )?;
    }
    Ok(Reserved {
        totals,
        eligible_classes: stored.eligible_classes,
        tier: None,
    })
}

/// The order was rejected or cancelled (or never placed): its lock goes, once. A coupon
/// redeemed meanwhile, or locked by another order, is left alone.
pub fn release(
    repo: &Repo<impl Sql>,
    coupon_id: &str,
    order_id: &str,
    now: DateTime<Utc>,
) -> Result<bool, ApiError> {
    let Some(row) = coupon(repo, coupon_id)? else {
        return Ok(false);
    };
    let status = row.status;
    if coupon::release(status, row.locked_order.as_deref(), order_id) != Transition::Apply {
        return Ok(false);
    }
    repo.sql.run(
            "UPDATE coupons SET status = 'available', locked_order = NULL, updated_ms = ? WHERE coupon_id = ?",
            vec![now.timestamp_millis().into(), coupon_id.into()],
        )?;
    // Back in the wallet; if its time ran out while locked, it expires now.
    expire_coupons(repo, now)?;
    Ok(true)
}
