//! Points exchange (积分兑换) when something fails between its steps: points that go between
//! the take and the issue, a shard whose answer is lost, a member object that dies after its
//! first transaction. The unit is given back or the claim resumed; the points are spent once
//! or not at all.
#![cfg(not(target_arch = "wasm32"))]

mod exchange_world;
mod seam;

use chrono::Duration;
use exchange_world::*;
use pharmedge::domain::points::{EntryKind, Source};
use pharmedge::http::error::ApiError;
use pharmedge::objects::member::{exchange, ledger, wallet};
use seam::member::*;

#[test]
fn a_unit_taken_for_points_that_went_meanwhile_is_given_back() {
    let repo = exchange_db();
    earn(&repo, "d1", COST, day(1));
    let shard = Shard::with(1);
    // Between the take and the issue a make-up spends 3 of the 5 points.
    let member_repo = &repo;
    *shard.after_take.borrow_mut() = Some(Box::new(move || {
        member_repo
            .debit(EntryKind::Spend, Source::Makeup, "2026-04-01", 3, day(1))
            .unwrap();
    }));
    let refused = run(&repo, &shard, &request("k-1", 500, COST, day(1)));
    assert_eq!(
        refused.answer,
        Err(ApiError::InsufficientPoints {
            balance: 2,
            required: COST
        })
    );
    assert_eq!(
        shard.calls(),
        ["take pts-1.mem-1.1", "release pts-1.mem-1.1"]
    );
    assert_eq!(*shard.remaining.borrow(), 1, "the unit is back on offer");
    assert_eq!(balance(&repo), 2);
    assert_eq!(
        spends(&repo),
        [(-3, "makeup".into(), "2026-04-01".into())],
        "no exchange spend"
    );
    assert_eq!(held_rows(&repo), 0);
}

#[test]
fn a_lost_answer_leaves_the_points_and_the_retry_exchanges_once() {
    let repo = exchange_db();
    earn(&repo, "d1", COST, day(1));
    let shard = Shard::with(3);
    // The take is carried out, its answer lost; the release does not get through.
    *shard.lossy.borrow_mut() = true;
    *shard.down_after_take.borrow_mut() = true;
    let ask = request("k-1", 500, COST, day(1));
    assert_eq!(run(&repo, &shard, &ask).answer, Err(ApiError::Unavailable));
    assert_eq!(
        (balance(&repo), spends(&repo).len(), held_rows(&repo)),
        (COST, 0, 0)
    );
    assert_eq!(
        *shard.remaining.borrow(),
        2,
        "the shard holds the claim's unit"
    );
    // The retry reuses the claim id: the shard answers with the unit it holds.
    *shard.lossy.borrow_mut() = false;
    *shard.down.borrow_mut() = false;
    assert!(run(&repo, &shard, &ask).answer.is_ok());
    assert_eq!(*shard.remaining.borrow(), 2, "one unit in all");
    assert_eq!((balance(&repo), spends(&repo).len()), (0, 1));
}

#[test]
fn a_member_object_that_died_mid_exchange_holds_the_points_two_minutes_then_resumes() {
    let repo = exchange_db();
    earn(&repo, "d1", COST, day(1));
    let shard = Shard::with(3);
    // The first transaction ran, the unit was taken, then the object died.
    let dead = request("k-dead", 500, COST, day(1));
    let held = tx(&repo, || {
        ledger::prepare(&repo, &member(), day(1))?;
        let reserved = wallet::reserve_in(
            &repo,
            &rules(),
            &member(),
            &dead.terms.config,
            dead.terms.config.id.as_str(),
            Some("k-dead"),
            "hash",
            day(1),
        )?;
        let wallet::Reserved::Go { claim_id } = reserved else {
            panic!("goes ahead")
        };
        exchange::hold(&repo, &rules(), &dead.terms.config, &claim_id, day(1))?;
        Ok::<_, ApiError>(claim_id)
    })
    .unwrap();
    shard.taken.borrow_mut().insert(held.clone());
    *shard.remaining.borrow_mut() -= 1;
    // Meanwhile the points are held: another exchange is refused.
    let soon = run(
        &repo,
        &shard,
        &request("k-2", 500, COST, day(1) + Duration::seconds(30)),
    );
    assert_eq!(
        soon.answer,
        Err(ApiError::InsufficientPoints {
            balance: 0,
            required: COST
        })
    );
    // Two minutes on the reservation is stale: the next exchange reuses its claim id, the
    // shard answers with the unit it holds, and the points are spent once.
    let later = run(
        &repo,
        &shard,
        &request("k-3", 500, COST, day(1) + Duration::minutes(3)),
    );
    assert!(later.answer.is_ok(), "{:?}", later.answer);
    assert_eq!(shard.calls(), [format!("take {held}")]);
    assert_eq!(*shard.remaining.borrow(), 2);
    assert_eq!(spends(&repo), [(-5, "campaign".into(), held)]);
    assert_eq!((balance(&repo), held_rows(&repo)), (0, 0));
}
