//! Points exchange (积分兑换) on the seam: whole claims of a `points_exchange` campaign against
//! the member's real SQLite and scripted stock shards (that answer, run dry, lose answers, or
//! let the member's points go between the take and the issue), including claims of one member
//! interleaved across the saga's awaits. The points and the unit move together or not at all.
#![cfg(not(target_arch = "wasm32"))]

mod seam;

use chrono::{DateTime, Duration, Utc};
use pharmedge::domain::points::{EntryKind, Source};
use pharmedge::http::error::ApiError;
use pharmedge::objects::campaign::protocol::{Released, TakeReply};
use pharmedge::objects::member::claim::{claim, Claimed, Shards};
use pharmedge::objects::member::protocol::ClaimRequest;
use pharmedge::objects::member::repo::Repo;
use pharmedge::objects::member::{exchange, ledger, wallet};
use pharmedge::objects::schema::Tables;
use pharmedge::objects::seam::Sql;
use seam::member::*;
use seam::Sqlite;
use serde_json::json;
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

const COST: i64 = 5;

/// A member object's database with the exchange table.
fn exchange_db() -> Repo<Sqlite> {
    let repo = member_db();
    Tables::default()
        .ensure(&repo.sql, &[&exchange::MODULE])
        .expect("migrations");
    repo
}

/// Gives the member `points`, earned at `now`.
fn earn(repo: &Repo<Sqlite>, source_id: &str, points: i64, now: DateTime<Utc>) {
    tx(repo, || {
        ledger::prepare(repo, &member(), now)?;
        ledger::grant(
            repo,
            &rules(),
            MEMBER,
            Source::Checkin,
            source_id,
            points,
            now,
        )
    })
    .unwrap();
}

fn request(key: &str, value_fen: i64, cost: i64, now: DateTime<Utc>) -> ClaimRequest {
    serde_json::from_value(json!({
        "member": {"member_id": MEMBER, "registered_at_s": null},
        "terms": {"shard_count": 1, "config": {
            "id": "pts-1", "name": "积分兑换", "kind": "points_exchange", "cost_points": cost,
            "starts_at": "2026-03-01T00:00:00Z", "ends_at": "2026-06-01T00:00:00Z",
            "stock": 100, "shards": 1,
            "coupon": {"type": "fixed", "value_fen": value_fen, "valid_days": 30},
            "limits": {"per_member": 100},
            "rules_text": "5积分兑换5元券"
        }},
        "store_id": null, "idempotency_key": key, "body_hash": "hash",
        "now": pharmedge::domain::time::rfc3339(now)
    }))
    .unwrap()
}

/// Pending once, then ready: the saga's await on a shard lets other claims run.
#[derive(Default)]
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        Poll::Pending
    }
}

type Hook<'a> = Box<dyn FnOnce() + 'a>;

/// One stock shard, scripted.
#[derive(Default)]
struct Shard<'a> {
    remaining: RefCell<i64>,
    taken: RefCell<BTreeSet<String>>,
    /// Calls fail before the shard sees them.
    down: RefCell<bool>,
    /// Calls are carried out, their answers lost.
    lossy: RefCell<bool>,
    after_take: RefCell<Option<Hook<'a>>>,
    /// Goes down right after its next take.
    down_after_take: RefCell<bool>,
    calls: RefCell<Vec<String>>,
}

impl Shard<'_> {
    fn with(remaining: i64) -> Self {
        let shard = Shard::default();
        *shard.remaining.borrow_mut() = remaining;
        shard
    }

    fn calls(&self) -> Vec<String> {
        self.calls.borrow().clone()
    }
}

impl Shards for Shard<'_> {
    fn known_dry(&self) -> Vec<u32> {
        Vec::new()
    }

    fn mark_dry(&self, _: u32) {}

    async fn take(
        &self,
        _: u32,
        claim_id: &str,
        _: pharmedge::domain::time::Instant,
    ) -> Result<TakeReply, ApiError> {
        YieldOnce::default().await;
        self.calls.borrow_mut().push(format!("take {claim_id}"));
        if *self.down.borrow() {
            return Err(ApiError::Unavailable);
        }
        let reply = if self.taken.borrow().contains(claim_id) {
            TakeReply::Taken {
                remaining: *self.remaining.borrow(),
            }
        } else if *self.remaining.borrow() == 0 {
            TakeReply::Refused {
                refusal: pharmedge::domain::campaign::StockRefusal::SoldOut,
            }
        } else {
            *self.remaining.borrow_mut() -= 1;
            self.taken.borrow_mut().insert(claim_id.to_owned());
            TakeReply::Taken {
                remaining: *self.remaining.borrow(),
            }
        };
        let hook = self.after_take.borrow_mut().take();
        if let Some(hook) = hook {
            hook();
        }
        if self.down_after_take.replace(false) {
            *self.down.borrow_mut() = true;
        }
        if *self.lossy.borrow() {
            return Err(ApiError::Unavailable);
        }
        Ok(reply)
    }

    async fn release(&self, _: u32, claim_id: &str) -> Result<Released, ApiError> {
        self.calls.borrow_mut().push(format!("release {claim_id}"));
        if *self.down.borrow() {
            return Err(ApiError::Unavailable);
        }
        let released = self.taken.borrow_mut().remove(claim_id);
        if released {
            *self.remaining.borrow_mut() += 1;
        }
        Ok(Released { released })
    }
}

/// Polls every claim in turn until all are done: each runs to its next await, so their
/// transactions interleave as in one object serving concurrent requests.
fn interleaved<F: Future>(claims: Vec<F>) -> Vec<F::Output> {
    let mut claims: Vec<Pin<Box<F>>> = claims.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = claims.iter().map(|_| None).collect();
    let mut context = Context::from_waker(Waker::noop());
    for _ in 0..100 {
        for (claim, output) in claims.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                if let Poll::Ready(done) = claim.as_mut().poll(&mut context) {
                    *output = Some(done);
                }
            }
        }
        if outputs.iter().all(Option::is_some) {
            break;
        }
    }
    outputs
        .into_iter()
        .map(|o| o.expect("every claim ends"))
        .collect()
}

fn run(repo: &Repo<Sqlite>, shard: &Shard, request: &ClaimRequest) -> Claimed {
    interleaved(vec![claim(repo, &rules(), request, shard)])
        .pop()
        .unwrap()
}

/// The spends in the ledger: (amount, source, source id).
fn spends(repo: &Repo<Sqlite>) -> Vec<(i64, String, String)> {
    repo.sql
        .rows(
            "SELECT amount, source, source_id FROM ledger WHERE kind = 'spend' ORDER BY id",
            Vec::new(),
        )
        .unwrap()
}

fn held_rows(repo: &Repo<Sqlite>) -> i64 {
    let row: Option<(i64,)> = repo
        .sql
        .row(
            "SELECT COUNT(*) FROM exchanges WHERE state = 'held'",
            Vec::new(),
        )
        .unwrap();
    row.unwrap().0
}

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
        let reserved = wallet::reserve(
            &repo,
            &rules(),
            &member(),
            &dead.terms.config,
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
