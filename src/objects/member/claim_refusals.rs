//! The first answer to a claim refused for good, kept under its Idempotency-Key in the
//! `claims` table (state `refused`, not counted against the limits), so a repeat gets that
//! answer (API.md) instead of being decided again after a top-up or a resume. Only final
//! refusals are kept: a 503 or an in-progress answer is worth retrying.

use super::repo::Repo;
use crate::domain::ids::digest_id;
use crate::http::error::ApiError;
use crate::objects::seam::Sql;

/// Kept for two days: the contract keeps keys at least 24 h.
pub const KEEP_MS: i64 = 48 * 3600 * 1000;

/// The reason a refusal decided by the member's object is counted under in the campaign's
/// stats (`claims_rejected`).
pub fn rejection_reason(error: &ApiError) -> Option<String> {
    match error {
        ApiError::NotEligible { reason } => Some(format!("not_eligible:{reason}")),
        ApiError::ClaimLimitReached { .. }
        | ApiError::SoldOut
        | ApiError::InsufficientPoints { .. }
        | ApiError::ExchangeCapReached { .. } => Some(error.code()),
        _ => None,
    }
}

/// The stored answer of a refused key.
pub fn stored(problem: &str) -> ApiError {
    serde_json::from_str(problem).unwrap_or(ApiError::Internal)
}

/// A refusal decided before any reservation (eligibility, limits): a row of its own.
pub fn remember_early(
    repo: &Repo<impl Sql>,
    campaign_id: &str,
    key: Option<&str>,
    body_hash: &str,
    error: &ApiError,
    now_ms: i64,
) -> Result<(), ApiError> {
    let Some(key) = key.filter(|_| error.is_final_refusal()) else {
        return Ok(());
    };
    let problem = serde_json::to_string(error).map_err(|_| ApiError::Internal)?;
    let claim_id = digest_id("refused", &[campaign_id, key], 16);
    repo.sql.run(
            "INSERT OR IGNORE INTO claims (claim_id, campaign_id, seq, claim_date, state, idempotency_key, body_hash, response, created_ms)
             VALUES (?, ?, 0, '', 'refused', ?, ?, ?, ?)",
            vec![
                claim_id.into(),
                campaign_id.into(),
                key.into(),
                body_hash.into(),
                problem.into(),
                now_ms.into(),
            ],
        )?;
    Ok(())
}

/// A reservation that met a refusal: kept as the key's answer when final, else dropped (the
/// old `abandon`), so a retry after a 503 starts over.
pub fn settle_refused(
    repo: &Repo<impl Sql>,
    claim_id: &str,
    error: &ApiError,
) -> Result<(), ApiError> {
    if error.is_final_refusal() {
        let problem = serde_json::to_string(error).map_err(|_| ApiError::Internal)?;
        repo.sql.run(
                "UPDATE claims SET state = 'refused', response = ? WHERE claim_id = ? AND state = 'pending' AND idempotency_key IS NOT NULL",
                vec![problem.into(), claim_id.into()],
            )?;
    }
    repo.sql.run(
        "DELETE FROM claims WHERE claim_id = ? AND state = 'pending'",
        vec![claim_id.into()],
    )?;
    Ok(())
}
