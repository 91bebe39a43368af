//! A scheduled campaign on the member's side over real SQLite (issue 13): the per-member limit
//! counted within one occurrence, and a keyed claim between occurrences answered with its
//! key's first answer, the closure stored nowhere.
#![cfg(not(target_arch = "wasm32"))]

mod seam;

use pharmedge::domain::campaign::CampaignConfig;
use pharmedge::domain::schedule_campaign::scope;
use pharmedge::http::error::ApiError;
use pharmedge::objects::member::repo::Repo;
use pharmedge::objects::member::{ledger, wallet};
use pharmedge::objects::seam::Sql;
use seam::member::*;
use seam::Sqlite;
use serde_json::json;

/// Every Wednesday 20:00 business time, 3 units each, one per member per occurrence.
fn weekly(stock: i64) -> CampaignConfig {
    serde_json::from_value(json!({
        "id": "wed-flash", "name": "周三秒杀", "kind": "flash_sale",
        "starts_at": "2026-12-01T00:00:00Z", "ends_at": "2026-12-31T00:00:00Z",
        "stock": stock,
        "coupon": {"type": "fixed", "value_fen": 1000, "valid_days": 7},
        "limits": {"per_member": 1},
        "rules_text": "每周三20:00",
        "schedule": {"every": "week", "weekday": 3, "start_time": "20:00",
                     "duration_minutes": 60, "stock_per_occurrence": stock}
    }))
    .unwrap()
}

fn reserve_in(repo: &Repo<Sqlite>, scope: &str, key: &str) -> Result<wallet::Reserved, ApiError> {
    tx(repo, || {
        ledger::prepare(repo, &member(), day(1))?;
        wallet::reserve_in(
            repo,
            &rules(),
            &member(),
            &weekly(3),
            scope,
            Some(key),
            key,
            day(1),
        )
    })
}

#[test]
fn a_members_limit_counts_within_one_occurrence() {
    let repo = member_db();
    let first = scope(&weekly(3).id, Some("2026-12-02"));
    let second = scope(&weekly(3).id, Some("2026-12-09"));
    let Ok(wallet::Reserved::Go { claim_id }) = reserve_in(&repo, &first, "k1") else {
        panic!("the first claim goes ahead");
    };
    assert_eq!(claim_id, "wed-flash@2026-12-02.mem-1.1");
    assert!(matches!(
        reserve_in(&repo, &first, "k2"),
        Err(ApiError::ClaimLimitReached { .. })
    ));
    let Ok(wallet::Reserved::Go { claim_id }) = reserve_in(&repo, &second, "k3") else {
        panic!("next occurrence: a limit of its own");
    };
    assert_eq!(claim_id, "wed-flash@2026-12-09.mem-1.1");
}

#[test]
fn between_occurrences_a_keys_first_answer_still_comes_back() {
    let repo = member_db();
    let first = scope(&weekly(3).id, Some("2026-12-02"));
    let Ok(wallet::Reserved::Go { claim_id }) = reserve_in(&repo, &first, "k1") else {
        panic!("the claim goes ahead");
    };
    let issued = tx(&repo, || {
        wallet::issue(
            &repo,
            &rules(),
            &member(),
            &weekly(3),
            &claim_id,
            wallet::ClaimOrigin::default(),
            day(1),
        )
    })
    .unwrap();
    let closed = ApiError::CampaignNotStarted {
        next_occurrence: Some(json!({"starts_at": "2026-12-09T12:00:00Z"})),
    };
    let replay =
        |key: &str, body: &str| tx(&repo, || wallet::replay_or(&repo, Some(key), body, &closed));
    assert_eq!(replay("k1", "k1"), Ok(issued), "the first answer");
    assert_eq!(
        replay("k1", "other body"),
        Err(ApiError::IdempotencyKeyReused)
    );
    assert_eq!(replay("k-new", "k-new"), Err(closed.clone()));
    let kept: Vec<(i64,)> = repo
        .sql
        .rows(
            "SELECT COUNT(*) FROM claims WHERE idempotency_key = 'k-new'",
            Vec::new(),
        )
        .unwrap();
    assert_eq!(kept, [(0,)], "the closure is not kept under the key");
}
