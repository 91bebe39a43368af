//! Points exchange (积分兑换) on the seam: whole claims of a `points_exchange` campaign against
//! the member's real SQLite and scripted stock shards, including claims of one member
//! interleaved across the saga's awaits: the points and the unit move together or not at all,
//! and the tier's monthly cap holds. Failures between the steps: objects_member_exchange_recovery.
#![cfg(not(target_arch = "wasm32"))]

mod exchange_world;
mod seam;

use exchange_world::*;
use pharmedge::http::error::ApiError;
use pharmedge::objects::member::claim::claim;
use pharmedge::objects::member::protocol::ClaimRequest;
use seam::member::*;
use std::collections::BTreeSet;

#[test]
fn an_exchange_spends_the_points_with_the_coupon_and_a_replay_answers_the_same() {
    let repo = exchange_db();
    earn(&repo, "d1", 15, day(1));
    let shard = Shard::with(10);
    let ask = request("k-1", 500, COST, day(1));
    let first = run(&repo, &shard, &ask);
    let coupon = first.answer.expect("a coupon");
    assert_eq!(coupon["coupon"]["campaign_id"], "pts-1");
    assert_eq!(balance(&repo), 10);
    assert_eq!(
        spends(&repo),
        [(-5, "campaign".into(), "pts-1.mem-1.1".into())]
    );
    assert_eq!(held_rows(&repo), 0, "the hold became the spend");
    assert!(kinds(&repo).contains(&"coupon.claimed".to_owned()));
    let again = run(&repo, &shard, &ask);
    assert_eq!(again.answer, Ok(coupon));
    assert_eq!(
        (balance(&repo), spends(&repo).len()),
        (10, 1),
        "nothing spent twice"
    );
    assert_eq!(
        shard.calls(),
        ["take pts-1.mem-1.1"],
        "a replay asks no shard"
    );
}

#[test]
fn concurrent_exchanges_of_one_member_only_take_the_units_their_points_cover() {
    let repo = exchange_db();
    earn(&repo, "d1", 3 * COST, day(1));
    let shard = Shard::with(50);
    let asks: Vec<ClaimRequest> = (0..20)
        .map(|n| request(&format!("k-{n}"), 500, COST, day(1)))
        .collect();
    let rules = rules();
    let done = interleaved(
        asks.iter()
            .map(|ask| claim(&repo, &rules, ask, &shard))
            .collect(),
    );
    let coupons = done.iter().filter(|c| c.answer.is_ok()).count();
    assert_eq!(coupons, 3);
    for refused in done.iter().filter(|c| c.answer.is_err()) {
        assert_eq!(
            refused.answer,
            Err(ApiError::InsufficientPoints {
                balance: 0,
                required: COST
            })
        );
        assert!(refused.counted, "counted once in the campaign's stats");
    }
    assert_eq!(
        shard.calls().len(),
        3,
        "the refused never reached a shard: {:?}",
        shard.calls()
    );
    assert_eq!(*shard.remaining.borrow(), 47);
    assert_eq!(
        (balance(&repo), spends(&repo).len(), held_rows(&repo)),
        (0, 3, 0)
    );
    // A refused key keeps its answer, even once points come back.
    earn(&repo, "d2", COST, day(1));
    let refused_key = done.iter().position(|c| c.answer.is_err()).unwrap();
    let repeat = run(&repo, &shard, &asks[refused_key]);
    assert_eq!(
        repeat.answer,
        Err(ApiError::InsufficientPoints {
            balance: 0,
            required: COST
        })
    );
    assert!(!repeat.counted);
    assert!(run(&repo, &shard, &request("k-new", 500, COST, day(1)))
        .answer
        .is_ok());
    assert_eq!(balance(&repo), 0);
}

#[test]
fn sold_out_leaves_the_points_untouched_and_holding_nothing() {
    let repo = exchange_db();
    earn(&repo, "d1", COST, day(1));
    let shard = Shard::with(0);
    let ask = request("k-1", 500, COST, day(1));
    assert_eq!(run(&repo, &shard, &ask).answer, Err(ApiError::SoldOut));
    assert_eq!(
        (balance(&repo), spends(&repo).len(), held_rows(&repo)),
        (COST, 0, 0)
    );
    assert_eq!(
        run(&repo, &shard, &ask).answer,
        Err(ApiError::SoldOut),
        "the key's answer"
    );
    // The hold is gone: with stock back, the same points exchange under a new key.
    *shard.remaining.borrow_mut() = 1;
    assert!(run(&repo, &shard, &request("k-2", 500, COST, day(1)))
        .answer
        .is_ok());
    assert_eq!(balance(&repo), 0);
}

#[test]
fn the_tier_cap_bounds_the_face_value_exchanged_in_a_business_month() {
    let repo = exchange_db();
    earn(&repo, "d1", 100, day(1));
    let shard = Shard::with(50);
    // A regular member: 50 yuan a month. Two 20-yuan coupons, then refused.
    assert!(run(&repo, &shard, &request("k-1", 2_000, 1, day(1)))
        .answer
        .is_ok());
    assert!(run(&repo, &shard, &request("k-2", 2_000, 1, day(2)))
        .answer
        .is_ok());
    let capped = run(&repo, &shard, &request("k-3", 2_000, 1, day(3)));
    assert_eq!(
        capped.answer,
        Err(ApiError::ExchangeCapReached {
            cap_fen: 5_000,
            used_fen: 4_000
        })
    );
    assert!(capped.counted);
    assert_eq!(balance(&repo), 98, "a refusal spends nothing");
    // A 10-yuan one still fits; a new business month starts from zero (1 May, Shanghai).
    assert!(run(&repo, &shard, &request("k-4", 1_000, 1, day(3)))
        .answer
        .is_ok());
    assert!(run(&repo, &shard, &request("k-5", 2_000, 1, day(31)))
        .answer
        .is_ok());
    // A gold member (2,999 yuan spent in the year) may exchange up to 200 yuan a month.
    repo.sql.raw("INSERT INTO paid_orders (order_id, paid_ms, amount_fen, own_fen) VALUES ('o-1', 1777600800000, 300000, 300000)");
    for n in 0..6 {
        let ask = request(&format!("k-gold-{n}"), 2_000, 1, day(32));
        assert!(run(&repo, &shard, &ask).answer.is_ok(), "gold exchange {n}");
    }
    assert_eq!(spends(&repo).len(), 3 + 1 + 6);
}

#[test]
fn exchanges_in_flight_count_against_the_tier_cap() {
    let repo = exchange_db();
    earn(&repo, "d1", 100, day(1));
    let shard = Shard::with(50);
    let rules = rules();
    let asks: Vec<ClaimRequest> = (0..10)
        .map(|n| request(&format!("k-{n}"), 2_000, 1, day(1)))
        .collect();
    let done = interleaved(
        asks.iter()
            .map(|ask| claim(&repo, &rules, ask, &shard))
            .collect(),
    );
    // A regular member's 50 yuan: two 20-yuan coupons; the third would be 60.
    assert_eq!(done.iter().filter(|c| c.answer.is_ok()).count(), 2);
    let refusals: BTreeSet<String> = done
        .iter()
        .filter_map(|c| c.answer.as_ref().err().map(|e| format!("{e:?}")))
        .collect();
    assert_eq!(
        refusals.into_iter().collect::<Vec<_>>(),
        [format!(
            "{:?}",
            ApiError::ExchangeCapReached {
                cap_fen: 5_000,
                used_fen: 4_000
            }
        )]
    );
    assert_eq!((balance(&repo), shard.calls().len()), (98, 2));
}
