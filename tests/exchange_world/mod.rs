//! A member object's database for points exchanges and scripted stock shards (that answer,
//! run dry, lose answers, go down, or let something happen between a take and its answer),
//! with claims polled in turn so that their transactions interleave across the saga's awaits.
#![allow(dead_code)]

use crate::seam::member::*;
use crate::seam::Sqlite;
use chrono::{DateTime, Utc};
use pharmedge::domain::points::Source;
use pharmedge::http::error::ApiError;
use pharmedge::objects::campaign::protocol::{Released, TakeReply};
use pharmedge::objects::member::claim::{claim, Claimed, Shards};
use pharmedge::objects::member::protocol::ClaimRequest;
use pharmedge::objects::member::repo::Repo;
use pharmedge::objects::member::{exchange, ledger};
use pharmedge::objects::schema::Tables;
use pharmedge::objects::seam::Sql;
use serde_json::json;
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

pub const COST: i64 = 5;

/// A member object's database with the exchange table.
pub fn exchange_db() -> Repo<Sqlite> {
    let repo = member_db();
    Tables::default()
        .ensure(&repo.sql, &[&exchange::MODULE])
        .expect("migrations");
    repo
}

/// Gives the member `points`, earned at `now`.
pub fn earn(repo: &Repo<Sqlite>, source_id: &str, points: i64, now: DateTime<Utc>) {
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

pub fn request(key: &str, value_fen: i64, cost: i64, now: DateTime<Utc>) -> ClaimRequest {
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
pub struct YieldOnce(bool);

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

pub type Hook<'a> = Box<dyn FnOnce() + 'a>;

/// One stock shard, scripted.
#[derive(Default)]
pub struct Shard<'a> {
    pub remaining: RefCell<i64>,
    pub taken: RefCell<BTreeSet<String>>,
    /// Calls fail before the shard sees them.
    pub down: RefCell<bool>,
    /// Calls are carried out, their answers lost.
    pub lossy: RefCell<bool>,
    pub after_take: RefCell<Option<Hook<'a>>>,
    /// Goes down right after its next take.
    pub down_after_take: RefCell<bool>,
    pub calls: RefCell<Vec<String>>,
}

impl Shard<'_> {
    pub fn with(remaining: i64) -> Self {
        let shard = Shard::default();
        *shard.remaining.borrow_mut() = remaining;
        shard
    }

    pub fn calls(&self) -> Vec<String> {
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
pub fn interleaved<F: Future>(claims: Vec<F>) -> Vec<F::Output> {
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

pub fn run(repo: &Repo<Sqlite>, shard: &Shard, request: &ClaimRequest) -> Claimed {
    interleaved(vec![claim(repo, &rules(), request, shard)])
        .pop()
        .unwrap()
}

/// The spends in the ledger: (amount, source, source id).
pub fn spends(repo: &Repo<Sqlite>) -> Vec<(i64, String, String)> {
    repo.sql
        .rows(
            "SELECT amount, source, source_id FROM ledger WHERE kind = 'spend' ORDER BY id",
            Vec::new(),
        )
        .unwrap()
}

pub fn held_rows(repo: &Repo<Sqlite>) -> i64 {
    let row: Option<(i64,)> = repo
        .sql
        .row(
            "SELECT COUNT(*) FROM exchanges WHERE state = 'held'",
            Vec::new(),
        )
        .unwrap();
    row.unwrap().0
}
