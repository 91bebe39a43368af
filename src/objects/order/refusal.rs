//! A placement refused for good keeps its refusal as its Idempotency-Key's answer: a repeat
//! with the same key and body hears the same refusal, even if the SKU is back on sale or the
//! price changed back since (API.md: "the first response"). A new attempt takes a new key.

use super::repo::OrderRow;
use crate::domain::placement::OrderState;
use crate::http::error::ApiError;
use crate::objects::seam::Transact;

/// Ends a placement that reserved nothing: a final refusal is kept under the key (only a
/// keyed order can be asked again), anything else is forgotten so a retry starts over.
pub fn end(db: &impl Transact, error: &ApiError, keyed: bool) -> Result<(), ApiError> {
    db.atomically(|| {
        if keyed && error.is_final_refusal() {
            let response = serde_json::to_string(error).map_err(|_| ApiError::Internal)?;
            db.run(
                "UPDATE order_row SET status = ?, response = ? WHERE k = 1 AND status = ?",
                vec![
                    OrderState::Refused.into(),
                    response.into(),
                    OrderState::Placing.into(),
                ],
            )?;
        } else {
            // Nothing was reserved, nothing stays.
            db.run(
                "DELETE FROM order_row WHERE k = 1 AND status = ?",
                vec![OrderState::Placing.into()],
            )?;
        }
        Ok(())
    })
}

/// The refusal a refused placement answered.
pub fn stored(row: &OrderRow) -> Result<ApiError, ApiError> {
    let response = row.response.as_deref().ok_or(ApiError::Internal)?;
    serde_json::from_str(response).map_err(|_| ApiError::Internal)
}
