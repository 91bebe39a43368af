//! A placement refused for good keeps its refusal as its Idempotency-Key's answer: a repeat
//! with the same key and body hears the same refusal, even if the SKU is back on sale or the
//! price changed back since (API.md: "the first response"). A new attempt takes a new key.

use super::repo::{OrderRow, Repo, PLACING, REFUSED};
use crate::http::error::ApiError;

/// Ends a placement that reserved nothing: a final refusal is kept under the key (only a
/// keyed order can be asked again), anything else is forgotten so a retry starts over.
pub fn end(repo: &Repo, error: &ApiError, keyed: bool) -> Result<(), ApiError> {
    if keyed && error.is_final_refusal() {
        let response = serde_json::to_string(error).map_err(|_| ApiError::Internal)?;
        repo.exec(
            "order refused",
            "UPDATE order_row SET status = ?, response = ? WHERE k = 1 AND status = ?",
            vec![REFUSED.into(), response.into(), PLACING.into()],
        )
    } else {
        super::ops::forget(repo)
    }
}

/// The refusal a refused placement answered.
pub fn stored(row: &OrderRow) -> Result<ApiError, ApiError> {
    let response = row.response.as_deref().ok_or(ApiError::Internal)?;
    serde_json::from_str(response).map_err(|_| ApiError::Internal)
}
