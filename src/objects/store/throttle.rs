//! The wrong-code throttles at a store's counter: per staff member and per store, sliding
//! windows decided by `domain::pickup::counter_gate`.

use super::waiting;
use crate::domain::pickup;
use crate::domain::rules::PickupRules;
use crate::http::error::ApiError;
use crate::objects::order::protocol::VerifiedReply;
use crate::objects::seam::Transact;

/// Refuses with `rate_limited` while this staff member, or the store as a whole, has typed
/// too many wrong codes recently; forgets failures older than both windows.
pub fn gate(
    db: &impl Transact,
    rules: &PickupRules,
    staff_id: &str,
    now_ms: i64,
) -> Result<(), ApiError> {
    let horizon = rules
        .per_staff
        .horizon_ms(now_ms)
        .min(rules.per_store.horizon_ms(now_ms));
    db.atomically(|| -> Result<(), ApiError> {
        db.run(
            "DELETE FROM code_failures WHERE at_ms <= ?",
            vec![horizon.into()],
        )?;
        let failures: Vec<(String, i64)> =
            db.rows("SELECT staff_id, at_ms FROM code_failures", vec![])?;
        let all: Vec<i64> = failures.iter().map(|(_, at_ms)| *at_ms).collect();
        let mine: Vec<i64> = failures
            .iter()
            .filter(|(staff, _)| staff == staff_id)
            .map(|(_, at_ms)| *at_ms)
            .collect();
        pickup::counter_gate(rules, &mine, &all, now_ms)
            .map_err(|retry_after_s| ApiError::RateLimited { retry_after_s })
    })
}

/// What the order's answer to a verification means here: a wrong code is a guess and counts
/// against the staff member and the store; a verified order leaves the counter list.
pub fn settle(
    db: &impl Transact,
    staff_id: &str,
    now_ms: i64,
    answer: &Result<VerifiedReply, ApiError>,
) -> Result<(), ApiError> {
    match answer {
        Err(ApiError::InvalidCode) => db.atomically(|| -> Result<(), ApiError> {
            db.run(
                "INSERT INTO code_failures (staff_id, at_ms) VALUES (?, ?)",
                vec![staff_id.into(), now_ms.into()],
            )?;
            Ok(())
        }),
        Ok(verified) => waiting::gone(db, &verified.order_id),
        Err(_) => Ok(()),
    }
}
