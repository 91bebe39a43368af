//! A campaign's stock shards against real SQLite: a claim id takes and gives back at most one
//! unit, pause and end stop a sale mid-way, top-ups (and pushes that would shrink) never
//! issue more than the stock, and seeded random interleavings of claims, releases, top-ups,
//! pauses and late pushes keep issued at or below the stock with the shards' sum exact.
#![cfg(not(target_arch = "wasm32"))]

mod campaign_world;
mod common;
mod seam;

use campaign_world::*;
use common::Lcg;
use pharmedge::domain::campaign::{SetStatus, StockRefusal};
use pharmedge::domain::campaign_patch::shard_shares;
use pharmedge::domain::claim_saga::Outcome;
use pharmedge::http::error::ApiError;
use pharmedge::objects::campaign::protocol::{Released, TakeReply};
use pharmedge::objects::campaign::stock;
use std::collections::BTreeMap;

fn refused(refusal: StockRefusal) -> TakeReply {
    TakeReply::Refused { refusal }
}

#[test]
fn a_claim_id_takes_and_gives_back_at_most_one_unit() {
    let world = World::create(3, 1);
    assert_eq!(
        world.take(0, "c.m.1", during()),
        TakeReply::Taken { remaining: 2 }
    );
    // Again (a retry): the same unit, nothing more taken.
    assert_eq!(
        world.take(0, "c.m.1", during()),
        TakeReply::Taken { remaining: 2 }
    );
    assert_eq!(world.shard_stats()[0].issued, 1);
    let shard = &world.shards[0];
    assert_eq!(
        stock::release(shard, "c.m.1").unwrap(),
        Released { released: true }
    );
    assert_eq!(
        stock::release(shard, "c.m.1").unwrap(),
        Released { released: false },
        "a second release gives nothing more back"
    );
    assert_eq!(
        stock::release(shard, "never-took").unwrap(),
        Released { released: false }
    );
    let stats = &world.shard_stats()[0];
    assert_eq!((stats.total, stats.remaining, stats.issued), (3, 3, 0));
    assert_eq!(world.taken_rows(0), 0);
}

#[test]
fn a_sold_out_shard_still_answers_for_the_unit_a_claim_holds() {
    let world = World::create(1, 1);
    assert_eq!(
        world.take(0, "c.a.1", during()),
        TakeReply::Taken { remaining: 0 }
    );
    assert_eq!(
        world.take(0, "c.b.1", during()),
        refused(StockRefusal::SoldOut)
    );
    assert_eq!(
        world.take(0, "c.a.1", during()),
        TakeReply::Taken { remaining: 0 }
    );
    // Sold out answers are not counted by the shard (the member's object counts the claim).
    assert!(world.shard_stats()[0].rejected.is_empty());
}

#[test]
fn pause_and_end_stop_a_sale_mid_way_and_are_counted_where_decided() {
    let world = World::create(10, 2);
    assert_eq!(
        world.claim("mem-a", "c.a.1", &[], during(), Ok(())),
        Outcome::Issued
    );
    world.patch(&set(SetStatus::Paused), None).unwrap();
    // Until the push lands the shards sell on; once it has, every claim is refused.
    assert_eq!(
        world.claim("mem-b", "c.b.1", &[], during(), Ok(())),
        Outcome::Issued
    );
    world.push_all();
    assert!(world.head().shards_synced);
    assert_eq!(
        world.claim("mem-c", "c.c.1", &[], during(), Ok(())),
        Outcome::Closed(StockRefusal::CampaignPaused)
    );
    world.patch(&set(SetStatus::Active), None).unwrap();
    world.push_all();
    assert_eq!(
        world.claim("mem-c", "c.c.1", &[], during(), Ok(())),
        Outcome::Issued
    );
    world.patch(&set(SetStatus::Ended), None).unwrap();
    world.push_all();
    assert_eq!(
        world.claim("mem-d", "c.d.1", &[], during(), Ok(())),
        Outcome::Closed(StockRefusal::CampaignEnded)
    );
    // Outside the window, whatever the status.
    let world = World::create(10, 1);
    assert_eq!(
        world.take(0, "c.e.1", ms("2026-06-03T11:59:59Z")),
        refused(StockRefusal::CampaignNotStarted)
    );
    assert_eq!(
        world.take(0, "c.e.1", ms("2026-06-03T13:00:00Z")),
        refused(StockRefusal::CampaignEnded)
    );
    let rejected = &world.shard_stats()[0].rejected;
    assert_eq!(rejected.get("campaign_not_started"), Some(&1));
    assert_eq!(rejected.get("campaign_ended"), Some(&1));
}

#[test]
fn a_shard_never_pushed_is_unavailable_not_sold_out() {
    let world = World::create(4, 2);
    let fresh = seam::Sqlite::open();
    pharmedge::objects::schema::Tables::default()
        .ensure(&fresh, &[&stock::MODULE])
        .unwrap();
    assert_eq!(
        stock::take(&fresh, "c.a.1", during()),
        Err(ApiError::Unavailable)
    );
    assert_eq!(stock::stats(&fresh).unwrap().total, 0);
    drop(world);
}

#[test]
fn a_top_up_grows_each_share_by_its_part_and_issued_units_stay_issued() {
    let world = World::create(4, 2);
    for (member, claim) in [("mem-a", "c.a.1"), ("mem-b", "c.b.1"), ("mem-c", "c.c.1")] {
        assert_eq!(
            world.claim(member, claim, &[], during(), Ok(())),
            Outcome::Issued
        );
    }
    let issued_before = world.stats().issued;
    assert_eq!(issued_before, 3);
    world.patch(&top_up(999), None).unwrap();
    world.push_all();
    let stats = world.stats();
    assert_eq!(stats.issued, 3, "a top-up issues nothing");
    assert_eq!(stats.remaining, 1_003 - 3);
    let shards = world.shard_stats();
    let shares = shard_shares(&world.head().state);
    for (shard, share) in shards.iter().zip(&shares) {
        assert_eq!(shard.total, *share);
        assert_eq!(shard.remaining, shard.total - shard.issued);
    }
    assert_eq!(
        shards.iter().map(|s| s.remaining).sum::<i64>(),
        1_003 - 3,
        "exactly the new units are on offer, not 999 more per shard"
    );
    // The same push again, and an old one, change nothing.
    let old = world.state_for(0);
    world.push_all();
    stock::sync(&world.shards[0], &old).unwrap();
    assert_eq!(world.shard_stats(), shards);
}

#[test]
fn a_late_push_never_undoes_a_newer_one() {
    let world = World::create(4, 1);
    world.patch(&set(SetStatus::Paused), None).unwrap();
    let pause = world.state_for(0);
    world.patch(&set(SetStatus::Active), None).unwrap();
    world.patch(&top_up(2), None).unwrap();
    world.push_all();
    // The pause's push arrives last (it was delayed, or retried by the alarm).
    let stats = stock::sync(&world.shards[0], &pause).unwrap();
    assert_eq!((stats.total, stats.remaining), (6, 6));
    assert_eq!(
        world.claim("mem-a", "c.a.1", &[], during(), Ok(())),
        Outcome::Issued
    );
}

#[test]
fn a_push_never_shrinks_a_shard_below_what_it_issued() {
    let world = World::create(2, 1);
    assert_eq!(
        world.claim("mem-a", "c.a.1", &[], during(), Ok(())),
        Outcome::Issued
    );
    assert_eq!(
        world.claim("mem-b", "c.b.1", &[], during(), Ok(())),
        Outcome::Issued
    );
    // A newer revision carrying a smaller share (no PATCH can make one; a bug could).
    let mut smaller = world.state_for(0);
    smaller.total = 1;
    smaller.revision += 5;
    let stats = stock::sync(&world.shards[0], &smaller).unwrap();
    assert_eq!((stats.total, stats.remaining, stats.issued), (2, 0, 2));
    // And a PATCH cannot shrink the stock.
    assert!(world.patch(&top_up(-1), None).is_err());
    assert!(world.patch(&top_up(0), None).is_err());
    assert_eq!(world.head().config().stock, 2);
}

#[test]
fn a_unit_the_member_refused_goes_back_on_offer() {
    let world = World::create(1, 1);
    assert_eq!(
        world.claim("mem-a", "c.a.1", &[], during(), Err("wallet")),
        Outcome::NotIssued("wallet")
    );
    assert_eq!(world.stats().issued, 0);
    assert_eq!(
        world.claim("mem-b", "c.b.1", &[], during(), Ok(())),
        Outcome::Issued
    );
    assert_eq!(
        world.claim("mem-c", "c.c.1", &[], during(), Ok(())),
        Outcome::SoldOut
    );
}

/// Seeded random interleavings over 1 to 6 shards: claims (some refused by the member after
/// the take and retried later with the same claim id), releases, top-ups pushed to some shards
/// only, pauses and resumes, late pushes of old states. After every step: issued never
/// exceeds the stock, each shard's issued is its taken rows and never above its share, and
/// the shards' sum is exactly the coupons the saga issued.
#[test]
fn seeded_interleavings_never_issue_more_than_the_stock() {
    for seed in 0..60 {
        let mut random = Lcg::new(seed);
        let shard_count = 1 + random.below(6) as u32;
        let world = World::create(1 + random.below(12) as i64, shard_count);
        let mut coupons: BTreeMap<String, ()> = BTreeMap::new();
        let mut old_states = world.push_all();
        for step in 0..120 {
            let action = random.below(10);
            let context = format!("seed {seed} step {step} action {action}");
            match action {
                0..=4 => {
                    let member = format!("mem-{}", random.below(30));
                    // A claim id is walked again only if it ended without a coupon (a claim
                    // that got one is replayed by the member's object, never walked again).
                    let claim_id = format!("{ID}.{member}.1");
                    if coupons.contains_key(&claim_id) {
                        continue;
                    }
                    let known_dry: Vec<u32> =
                        (0..shard_count).filter(|_| random.below(5) == 0).collect();
                    let issue = if random.below(5) == 0 {
                        Err("member")
                    } else {
                        Ok(())
                    };
                    let outcome = world.claim(&member, &claim_id, &known_dry, during(), issue);
                    if outcome == Outcome::Issued {
                        coupons.insert(claim_id, ());
                    }
                }
                5 => {
                    let add = 1 + random.below(5) as i64;
                    world.patch(&top_up(add), None).unwrap();
                    let mask = random.below(1 << shard_count);
                    world.push(|index| mask & (1 << index) != 0);
                }
                6 => {
                    let status = if random.below(2) == 0 {
                        SetStatus::Paused
                    } else {
                        SetStatus::Active
                    };
                    if world.patch(&set(status), None).is_ok() {
                        old_states = world.push_all();
                    }
                }
                7 => {
                    // A late push of an older state to one shard.
                    let index = random.below(u64::from(shard_count)) as usize;
                    stock::sync(&world.shards[index], &old_states[index]).unwrap();
                }
                8 => {
                    world.push_all();
                }
                _ => {
                    // A stray release of a claim id that may or may not hold a coupon: a
                    // coupon's unit is never released by the saga, so only strays are tried.
                    let index = random.below(u64::from(shard_count)) as usize;
                    let released = stock::release(&world.shards[index], "stray").unwrap();
                    assert!(!released.released, "{context}");
                }
            }
            let head = world.head();
            let shares = shard_shares(&head.state);
            let shards = world.shard_stats();
            let issued: i64 = shards.iter().map(|s| s.issued).sum();
            assert!(issued <= head.config().stock, "{context}");
            assert_eq!(issued, coupons.len() as i64, "{context}");
            for (index, (shard, share)) in shards.iter().zip(&shares).enumerate() {
                assert!(shard.remaining >= 0, "{context}");
                assert!(
                    shard.total <= *share,
                    "shard {index} above its share: {context}"
                );
                assert_eq!(shard.issued, world.taken_rows(index), "{context}");
            }
            let stats = world.stats();
            assert_eq!(stats.issued, issued, "{context}");
            assert_eq!(stats.remaining, head.config().stock - issued, "{context}");
        }
    }
}
