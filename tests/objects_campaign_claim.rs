//! A whole coupon claim against real SQLite: the member's object (reservation, issue, kept
//! refusals) following the domain's saga over the campaign's stock shards, with shards that
//! answer, fail, or carry a call out and lose the answer.
#![cfg(not(target_arch = "wasm32"))]

mod campaign_world;
mod seam;

use campaign_world::{during, top_up, World};
use pharmedge::domain::time::Instant;
use pharmedge::http::error::ApiError;
use pharmedge::objects::campaign::protocol::{ClaimTerms, Released, TakeReply};
use pharmedge::objects::campaign::stock;
use pharmedge::objects::member::claim::{claim, Claimed, Shards};
use pharmedge::objects::member::protocol::{ClaimRequest, MemberContext};
use pharmedge::objects::member::repo::Repo;
use pharmedge::objects::seam::Sql;
use seam::member::{member_db, rules};
use seam::{block_on, Sqlite};
use std::cell::RefCell;
use std::collections::BTreeSet;

/// What happens between a unit's take and its answer.
type AfterTake<'a> = Box<dyn FnOnce(&Links<'_>) + 'a>;

/// The campaign's shards, reached over links that can fail.
struct Links<'a> {
    world: &'a World,
    /// Calls to these shards fail before the shard sees them.
    down: RefCell<BTreeSet<u32>>,
    /// These shards carry calls out, but their answers are lost.
    lossy: RefCell<BTreeSet<u32>>,
    dry: RefCell<Vec<u32>>,
    /// Runs after the next unit is taken (the member's side failing in between).
    after_take: RefCell<Option<AfterTake<'a>>>,
    calls: RefCell<Vec<String>>,
}

impl<'a> Links<'a> {
    fn new(world: &'a World) -> Self {
        Links {
            world,
            down: RefCell::default(),
            lossy: RefCell::default(),
            dry: RefCell::default(),
            after_take: RefCell::default(),
            calls: RefCell::default(),
        }
    }

    fn call<T>(
        &self,
        shard: u32,
        what: &str,
        run: impl FnOnce(&Sqlite) -> T,
    ) -> Result<T, ApiError> {
        self.calls.borrow_mut().push(format!("{what} {shard}"));
        if self.down.borrow().contains(&shard) {
            return Err(ApiError::Unavailable);
        }
        let answer = run(&self.world.shards[shard as usize]);
        if self.lossy.borrow().contains(&shard) {
            return Err(ApiError::Unavailable);
        }
        Ok(answer)
    }
}

impl Shards for Links<'_> {
    fn known_dry(&self) -> Vec<u32> {
        Vec::new()
    }

    fn mark_dry(&self, shard: u32) {
        self.dry.borrow_mut().push(shard);
    }

    async fn take(&self, shard: u32, claim_id: &str, now: Instant) -> Result<TakeReply, ApiError> {
        let now_ms = now.0.timestamp_millis();
        let reply = self.call(shard, "take", |db| stock::take(db, claim_id, now_ms));
        let hook = self.after_take.borrow_mut().take();
        if let Some(hook) = hook {
            hook(self);
        }
        reply?
    }

    async fn release(&self, shard: u32, claim_id: &str) -> Result<Released, ApiError> {
        self.call(shard, "release", |db| stock::release(db, claim_id))?
    }
}

fn request(world: &World, member: &str, key: &str) -> ClaimRequest {
    let config = world.head().config().clone();
    ClaimRequest {
        member: MemberContext {
            member_id: pharmedge::domain::ids::MemberId::parse(member).unwrap(),
            registered_at_s: None,
        },
        terms: ClaimTerms {
            shard_count: config.shard_count(),
            config: Box::new(config),
        },
        store_id: None,
        idempotency_key: Some(key.into()),
        body_hash: "hash".into(),
        now: Instant::from_millis(during()),
        occurrence: None,
        closed: None,
        attribution: None,
    }
}

fn run(repo: &Repo<Sqlite>, links: &Links, request: &ClaimRequest) -> Claimed {
    block_on(claim(repo, &rules(), request, links))
}

fn issued(world: &World) -> i64 {
    world.stats().issued
}

/// The member's claims rows: (claim id, state).
fn claims(repo: &Repo<Sqlite>) -> Vec<(String, String)> {
    repo.sql
        .rows(
            "SELECT claim_id, state FROM claims ORDER BY seq",
            Vec::new(),
        )
        .unwrap()
}

#[test]
fn a_claim_issues_one_coupon_and_a_repeat_gets_the_same_answer() {
    let world = World::create(5, 2);
    let links = Links::new(&world);
    let repo = member_db();
    let first = run(&repo, &links, &request(&world, "mem-1", "k1"));
    let coupon = first.answer.expect("a coupon");
    assert!(coupon["coupon"]["coupon_id"].is_string(), "{coupon}");
    assert_eq!(issued(&world), 1);
    let again = run(&repo, &links, &request(&world, "mem-1", "k1"));
    assert_eq!(again.answer, Ok(coupon));
    assert!(!again.counted);
    assert_eq!(issued(&world), 1, "a repeat takes nothing");
    // The campaign allows one per member: refused before any shard is asked, and counted.
    links.calls.borrow_mut().clear();
    let second = run(&repo, &links, &request(&world, "mem-1", "k2"));
    assert!(matches!(
        second.answer,
        Err(ApiError::ClaimLimitReached { .. })
    ));
    assert!(second.counted);
    assert!(links.calls.borrow().is_empty());
    assert_eq!(
        claims(&repo).iter().filter(|(_, s)| s == "issued").count(),
        1
    );
}

#[test]
fn sold_out_asks_each_shard_once_and_is_kept_as_the_keys_answer() {
    let world = World::create(1, 2);
    let links = Links::new(&world);
    assert!(run(&member_db(), &links, &request(&world, "mem-a", "k1"))
        .answer
        .is_ok());
    let repo = member_db();
    links.calls.borrow_mut().clear();
    let refused = run(&repo, &links, &request(&world, "mem-b", "k1"));
    assert_eq!(refused.answer, Err(ApiError::SoldOut));
    assert!(refused.counted, "counted once for the claim");
    let order = pharmedge::domain::campaign::shard_order(
        &pharmedge::domain::ids::MemberId::parse("mem-b").unwrap(),
        2,
    );
    let asked: Vec<String> = order.iter().map(|shard| format!("take {shard}")).collect();
    assert_eq!(*links.calls.borrow(), asked);
    assert_eq!(
        *links.dry.borrow(),
        order,
        "both marked dry for the next claims"
    );
    // Stock comes back; the same key still answers as it first did, a new key claims.
    world.patch(&top_up(1), None).unwrap();
    world.push_all();
    let repeat = run(&repo, &links, &request(&world, "mem-b", "k1"));
    assert_eq!(repeat.answer, Err(ApiError::SoldOut));
    assert!(!repeat.counted);
    assert!(run(&repo, &links, &request(&world, "mem-b", "k2"))
        .answer
        .is_ok());
    assert_eq!(issued(&world), 2);
}

#[test]
fn an_unreachable_shard_answers_503_and_the_claim_can_be_retried() {
    let world = World::create(3, 2);
    let links = Links::new(&world);
    let repo = member_db();
    let ask = request(&world, "mem-1", "k1");
    let first_shard = pharmedge::domain::campaign::shard_order(&ask.member.member_id, 2)[0];
    links.down.borrow_mut().insert(first_shard);
    let failed = run(&repo, &links, &ask);
    assert_eq!(failed.answer, Err(ApiError::Unavailable));
    assert_eq!(
        *links.calls.borrow(),
        [
            format!("take {first_shard}"),
            format!("release {first_shard}")
        ],
        "no other shard is asked while this one may hold a unit"
    );
    assert!(claims(&repo).is_empty(), "the reservation is dropped");
    links.down.borrow_mut().clear();
    assert!(run(&repo, &links, &ask).answer.is_ok());
    assert_eq!(issued(&world), 1);
}

#[test]
fn a_unit_taken_whose_answer_was_lost_is_not_taken_twice() {
    let world = World::create(3, 2);
    let links = Links::new(&world);
    let repo = member_db();
    let ask = request(&world, "mem-1", "k1");
    let first_shard = pharmedge::domain::campaign::shard_order(&ask.member.member_id, 2)[0];
    // The take is carried out and its answer lost; the release does not get through.
    links.lossy.borrow_mut().insert(first_shard);
    *links.after_take.borrow_mut() = Some(Box::new(move |links: &Links| {
        links.lossy.borrow_mut().clear();
        links.down.borrow_mut().insert(first_shard);
    }));
    let failed = run(&repo, &links, &ask);
    assert_eq!(failed.answer, Err(ApiError::Unavailable));
    assert_eq!(issued(&world), 1, "the shard holds a unit for the claim id");
    // The retry reuses the claim id; the shard answers with the unit it holds.
    links.down.borrow_mut().clear();
    assert!(run(&repo, &links, &ask).answer.is_ok());
    assert_eq!(issued(&world), 1);
    assert_eq!(world.taken_rows(first_shard as usize), 1);
}

#[test]
fn a_unit_the_member_could_not_take_goes_back_exactly_once() {
    let repo = member_db();
    let world = World::create(2, 1);
    let links = Links::new(&world);
    // The wallet breaks after the unit is taken: the coupon cannot be issued.
    let member_sql = &repo.sql;
    *links.after_take.borrow_mut() = Some(Box::new(move |_: &Links| {
        member_sql.raw("ALTER TABLE coupons RENAME TO coupons_away");
    }));
    let failed = run(&repo, &links, &request(&world, "mem-1", "k1"));
    assert_eq!(failed.answer, Err(ApiError::Internal));
    assert!(!failed.counted);
    assert_eq!(
        *links.calls.borrow(),
        ["take 0", "release 0"].map(String::from)
    );
    assert_eq!(issued(&world), 0, "the unit is back on offer");
    assert!(
        claims(&repo).is_empty(),
        "nothing kept: a retry starts over"
    );
    repo.sql.raw("ALTER TABLE coupons_away RENAME TO coupons");
    assert!(run(&repo, &links, &request(&world, "mem-1", "k1"))
        .answer
        .is_ok());
    assert_eq!(issued(&world), 1);
}

/// What a second and a third claim answered while the first was in flight, and the claims
/// rows then.
type DuringTake = Vec<(Vec<(String, String)>, Claimed, Claimed)>;

/// Nothing is written before the take: a second claim of the same member while the first is
/// in flight counts the first against the limit (one per member) and sees its key as in
/// progress, from the object's memory alone; once the first lands, its row does the same.
#[test]
fn a_claim_in_flight_counts_against_the_limit_before_its_row_is_written() {
    use pharmedge::objects::member::claim::claim_in_flight;
    use pharmedge::objects::member::claim_flight::InFlight;
    let world = World::create(5, 2);
    let repo = member_db();
    let in_flight = InFlight::default();
    let during_take: RefCell<DuringTake> = RefCell::default();
    let links = Links::new(&world);
    let (repo_ref, in_flight_ref, seen) = (&repo, &in_flight, &during_take);
    let world_ref = &world;
    *links.after_take.borrow_mut() = Some(Box::new(move |links: &Links| {
        let rows = claims(repo_ref);
        let other_key = request(world_ref, "mem-1", "k2");
        let same_key = request(world_ref, "mem-1", "k1");
        let run_now = |request: &ClaimRequest| {
            block_on(claim_in_flight(
                repo_ref,
                &rules(),
                request,
                links,
                in_flight_ref,
            ))
        };
        let (limited, in_progress) = (run_now(&other_key), run_now(&same_key));
        seen.borrow_mut().push((rows, limited, in_progress));
    }));
    let first = block_on(claim_in_flight(
        &repo,
        &rules(),
        &request(&world, "mem-1", "k1"),
        &links,
        &in_flight,
    ));
    assert!(first.answer.is_ok(), "{:?}", first.answer);
    let seen = during_take.borrow();
    let (rows, limited, in_progress) = &seen[0];
    assert!(rows.is_empty(), "nothing written before the take: {rows:?}");
    assert!(
        matches!(limited.answer, Err(ApiError::ClaimLimitReached { .. })),
        "{:?}",
        limited.answer
    );
    assert_eq!(in_progress.answer, Err(ApiError::RequestInProgress));
    assert_eq!(issued(&world), 1, "one unit taken, by the first claim only");
    assert!(in_flight.pending().is_empty(), "landed");
    // The first claim's row, issued; the refused key's row, its answer kept.
    let mut states: Vec<String> = claims(&repo).into_iter().map(|(_, state)| state).collect();
    states.sort();
    assert_eq!(states, ["issued", "refused"]);
    let again = run(&repo, &links, &request(&world, "mem-1", "k2"));
    assert!(matches!(
        again.answer,
        Err(ApiError::ClaimLimitReached { .. })
    ));
}
