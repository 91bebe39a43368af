//! The member's side of a coupon claim over the SQL seam against real SQLite: a reservation
//! counted against the per-member limit, the coupon issued into the wallet once, and a key's
//! first answer replayed (the saga between, which takes a unit from a stock shard, is the
//! object's `claim`).
#![cfg(not(target_arch = "wasm32"))]

mod seam;

use pharmedge::domain::campaign::CampaignConfig;
use pharmedge::http::error::ApiError;
use pharmedge::objects::member::repo::Repo;
use pharmedge::objects::member::{ledger, wallet};
use seam::member::*;
use seam::Sqlite;
use serde_json::json;

fn config() -> CampaignConfig {
    serde_json::from_value(json!({
        "id": "flash-1", "name": "周三秒杀", "kind": "flash_sale",
        "starts_at": "2026-03-01T00:00:00Z", "ends_at": "2026-05-01T00:00:00Z",
        "stock": 500,
        "coupon": {"type": "fixed", "value_fen": 990, "valid_days": 30},
        "limits": {"per_member": 1},
        "rules_text": "每人限领1张"
    }))
    .unwrap()
}

fn reserve(
    repo: &Repo<Sqlite>,
    key: Option<&str>,
    body: &str,
) -> Result<wallet::Reserved, ApiError> {
    tx(repo, || {
        ledger::prepare(repo, &member(), day(1))?;
        let config = config();
        let scope = config.id.as_str();
        wallet::reserve_in(repo, &rules(), &member(), &config, scope, key, body, day(1))
    })
}

fn issue(repo: &Repo<Sqlite>, claim_id: &str) -> serde_json::Value {
    tx(repo, || {
        wallet::issue(
            repo,
            &rules(),
            &member(),
            &config(),
            claim_id,
            Default::default(),
            day(1),
        )
    })
    .unwrap()
}

#[test]
fn a_claim_is_reserved_issued_once_and_its_key_replays_the_first_answer() {
    let repo = member_db();
    let Ok(wallet::Reserved::Go { claim_id }) = reserve(&repo, Some("k-1"), "body-1") else {
        panic!("a first claim goes ahead");
    };
    assert_eq!(claim_id, "flash-1.mem-1.1");
    let answer = issue(&repo, &claim_id);
    assert_eq!(answer["coupon"]["status"], "available");
    assert_eq!(answer["coupon"]["campaign_id"], "flash-1");
    // Issued again (a retried phase 3): the same coupon, reported once.
    assert_eq!(issue(&repo, &claim_id)["coupon"], answer["coupon"]);
    assert_eq!(kinds(&repo), vec!["coupon.claimed"]);
    match reserve(&repo, Some("k-1"), "body-1") {
        Ok(wallet::Reserved::Replay(first)) => assert_eq!(first, answer),
        _ => panic!("the key's first answer"),
    }
    assert_eq!(
        reserve(&repo, Some("k-1"), "body-2").err(),
        Some(ApiError::IdempotencyKeyReused)
    );
}

#[test]
fn a_pending_reservation_counts_against_the_per_member_limit() {
    let repo = member_db();
    assert!(matches!(
        reserve(&repo, Some("k-1"), "body-1"),
        Ok(wallet::Reserved::Go { .. })
    ));
    // Not issued yet: a second claim is still over the limit, and so is one without a key.
    let over = reserve(&repo, Some("k-2"), "body-2").err();
    assert!(
        matches!(over, Some(ApiError::ClaimLimitReached { .. })),
        "{over:?}"
    );
    // The first is still in progress under its key.
    assert_eq!(
        reserve(&repo, Some("k-1"), "body-1").err(),
        Some(ApiError::RequestInProgress)
    );
}
