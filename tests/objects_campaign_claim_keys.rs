//! An Idempotency-Key reused across campaigns while a coupon claim is in flight (its
//! reservation only in the member object's memory, `claim_flight`): the reuse is refused
//! with 422 `idempotency_key_reused`, as it was when the reservation's row was written before
//! the take, and the claim in flight still gets its coupon (found in review of issue 12's
//! claim change: the reuse by a points exchange went through and the first claim answered 500).
#![cfg(not(target_arch = "wasm32"))]

mod campaign_world;
mod seam;

use campaign_world::{during, World};
use pharmedge::domain::ids::CampaignId;
use pharmedge::domain::time::Instant;
use pharmedge::http::error::ApiError;
use pharmedge::objects::campaign::protocol::{ClaimTerms, Released, TakeReply};
use pharmedge::objects::campaign::stock;
use pharmedge::objects::member::claim::{claim_in_flight, Claimed, Shards};
use pharmedge::objects::member::claim_flight::InFlight;
use pharmedge::objects::member::exchange;
use pharmedge::objects::member::protocol::{ClaimRequest, MemberContext};
use pharmedge::objects::member::repo::Repo;
use pharmedge::objects::schema::Tables;
use pharmedge::objects::seam::Sql;
use seam::member::{member_db, rules};
use seam::{block_on, Sqlite};
use std::cell::RefCell;

type Hook<'a> = Box<dyn FnOnce(&Hooked<'_>) + 'a>;

/// The campaign's shards, answering at once; `after_take` runs once, after the next take.
struct Hooked<'a> {
    world: &'a World,
    after_take: RefCell<Option<Hook<'a>>>,
}

impl Shards for Hooked<'_> {
    fn known_dry(&self) -> Vec<u32> {
        Vec::new()
    }

    fn mark_dry(&self, _shard: u32) {}

    async fn take(&self, shard: u32, claim_id: &str, now: Instant) -> Result<TakeReply, ApiError> {
        let reply = stock::take(
            &self.world.shards[shard as usize],
            claim_id,
            now.0.timestamp_millis(),
        );
        let hook = self.after_take.borrow_mut().take();
        if let Some(hook) = hook {
            hook(self);
        }
        reply
    }

    async fn release(&self, shard: u32, claim_id: &str) -> Result<Released, ApiError> {
        stock::release(&self.world.shards[shard as usize], claim_id)
    }
}

/// A claim of `campaign` (the world's campaign under another id; a points exchange when
/// `cost_points`), the body hash naming the campaign as the worker's does.
fn request(world: &World, campaign: &str, cost_points: Option<i64>, key: &str) -> ClaimRequest {
    let mut config = world.head().config().clone();
    config.id = CampaignId::parse(campaign).unwrap();
    config.cost_points = cost_points;
    ClaimRequest {
        member: MemberContext {
            member_id: pharmedge::domain::ids::MemberId::parse("mem-1").unwrap(),
            registered_at_s: None,
        },
        terms: ClaimTerms {
            shard_count: config.shard_count(),
            config: Box::new(config),
        },
        store_id: None,
        idempotency_key: Some(key.into()),
        body_hash: format!("hash-of-{campaign}"),
        now: Instant::from_millis(during()),
        occurrence: None,
        closed: None,
        attribution: None,
    }
}

fn claim_rows(repo: &Repo<Sqlite>) -> Vec<(String, String)> {
    repo.sql
        .rows(
            "SELECT claim_id, state FROM claims ORDER BY claim_id",
            Vec::new(),
        )
        .unwrap()
}

/// Runs `first`, and `second` while `first`'s unit is being taken; answers both.
fn second_during_take(
    first: &ClaimRequest,
    second: &ClaimRequest,
) -> (Claimed, Claimed, Vec<(String, String)>) {
    let world = World::create(5, 1);
    let repo = member_db();
    Tables::default()
        .ensure(&repo.sql, &[&exchange::MODULE])
        .unwrap();
    let in_flight = InFlight::default();
    let seen: RefCell<Option<Claimed>> = RefCell::default();
    let (repo_ref, in_flight_ref, seen_ref) = (&repo, &in_flight, &seen);
    let shards = Hooked {
        world: &world,
        after_take: RefCell::default(),
    };
    let second = second.clone();
    *shards.after_take.borrow_mut() = Some(Box::new(move |shards: &Hooked| {
        let answer = block_on(claim_in_flight(
            repo_ref,
            &rules(),
            &second,
            shards,
            in_flight_ref,
        ));
        *seen_ref.borrow_mut() = Some(answer);
    }));
    let first = block_on(claim_in_flight(&repo, &rules(), first, &shards, &in_flight));
    let second = seen
        .borrow_mut()
        .take()
        .expect("the second claim ran during the take");
    (first, second, claim_rows(&repo))
}

#[test]
fn a_key_reused_by_a_points_exchange_during_a_claims_take_is_refused_and_the_claim_issues() {
    let world = World::create(5, 1);
    let coupon = request(&world, "flash-1", None, "k1");
    let exchange = request(&world, "xchg-1", Some(50), "k1");
    let (first, second, rows) = second_during_take(&coupon, &exchange);
    assert_eq!(
        second.answer,
        Err(ApiError::IdempotencyKeyReused),
        "{rows:?}"
    );
    assert!(
        first.answer.is_ok(),
        "the claim in flight: {:?}",
        first.answer
    );
    assert_eq!(rows.len(), 1, "{rows:?}");
}

#[test]
fn a_key_reused_by_another_coupon_claim_during_a_take_is_422_not_409() {
    let world = World::create(5, 1);
    let first = request(&world, "flash-1", None, "k1");
    let other = request(&world, "other-1", None, "k1");
    let (first, second, rows) = second_during_take(&first, &other);
    assert_eq!(
        second.answer,
        Err(ApiError::IdempotencyKeyReused),
        "{rows:?}"
    );
    assert!(first.answer.is_ok(), "{:?}", first.answer);
    // The same key and body while in flight is still in progress.
    let world = World::create(5, 1);
    let same = request(&world, "flash-1", None, "k1");
    let (first, second, _) = second_during_take(&same, &same);
    assert_eq!(second.answer, Err(ApiError::RequestInProgress));
    assert!(first.answer.is_ok(), "{:?}", first.answer);
}
