//! The first answer to a claim refused for good, kept under its Idempotency-Key, so a repeat
//! gets that answer (API.md) instead of being decided again after a top-up or a resume.
//! Only final refusals are kept: a 503 or an in-progress answer is worth retrying.

use super::repo::Repo;
use crate::http::error::ApiError;
use crate::objects::sql::internal;
use serde::Deserialize;

/// Kept for two days: the contract keeps keys at least 24 h.
const KEEP_MS: i64 = 48 * 3600 * 1000;

/// Refusals that are the claim's answer, whatever happens to the campaign afterwards.
pub fn is_final(error: &ApiError) -> bool {
    matches!(
        error,
        ApiError::NotEligible { .. }
            | ApiError::ClaimLimitReached { .. }
            | ApiError::SoldOut
            | ApiError::CampaignPaused
            | ApiError::CampaignEnded
            | ApiError::CampaignNotStarted
    )
}

/// `Err` with the first answer when this key was refused before (or 422 when the body differs).
pub fn replay(repo: &Repo, key: Option<&str>, body_hash: &str) -> Result<(), ApiError> {
    let Some(key) = key else {
        return Ok(());
    };
    #[derive(Deserialize)]
    struct Row {
        body_hash: String,
        problem: String,
    }
    let rows: Vec<Row> = repo
        .sql
        .exec(
            "SELECT body_hash, problem FROM claim_refusals WHERE idempotency_key = ?",
            vec![key.into()],
        )
        .and_then(|cursor| cursor.to_array())
        .map_err(internal("claim refusal"))?;
    match rows.into_iter().next() {
        None => Ok(()),
        Some(row) if row.body_hash != body_hash => Err(ApiError::IdempotencyKeyReused),
        Some(row) => Err(serde_json::from_str(&row.problem).map_err(|_| ApiError::Internal)?),
    }
}

/// Keeps a final refusal under its key (the first one wins).
pub fn remember(
    repo: &Repo,
    key: Option<&str>,
    body_hash: &str,
    error: &ApiError,
    now_ms: i64,
) -> Result<(), ApiError> {
    let Some(key) = key.filter(|_| is_final(error)) else {
        return Ok(());
    };
    let problem = serde_json::to_string(error).map_err(|_| ApiError::Internal)?;
    repo.sql
        .exec(
            "DELETE FROM claim_refusals WHERE created_ms < ?",
            vec![(now_ms - KEEP_MS).into()],
        )
        .map_err(internal("claim refusal prune"))?;
    repo.sql
        .exec(
            "INSERT OR IGNORE INTO claim_refusals (idempotency_key, body_hash, problem, created_ms) VALUES (?, ?, ?, ?)",
            vec![key.into(), body_hash.into(), problem.into(), now_ms.into()],
        )
        .map_err(internal("claim refusal"))?;
    Ok(())
}
